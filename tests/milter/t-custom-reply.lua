-- policy: custom-reply.conf
-- Every reply is overridable (DESIGN §1) and its text may use %a (the
-- client's address) and %s (the sender, as in Domino's own
-- "Mail from <%s> rejected for policy reasons."): the MTA must receive the
-- configured code, enhanced code and expanded text. Checked on the wire
-- with the raw client, since miltertest cannot show reply texts.
local T = dofile(helpers)

T.run(function()
	local lines, out = T.raw("abc.com", "10.10.1.8", "", "<bogus.user@bogus.com>",
		{ "<john.doe@ibm.com>" })
	T.check(table.concat(lines, "\n") == "connect n -\nmail c -\nrcpt y "
		.. "554 5.7.1 Relaying from 10.10.1.8 for <bogus.user@bogus.com> is not allowed.",
		"custom relay.reply with %a and %s, expanded once, on the wire\n" .. out)

	lines, out = T.raw("abc.com", "10.10.1.8", "jdoe", "<alice.smith@acme.com>", { "<x@ibm.com>" })
	T.check(table.concat(lines, "\n") == "connect n -\nmail y "
		.. "553 5.7.1 <alice.smith@acme.com> is not yours to send from",
		"custom verify_sender.reply (553) with %s on the wire\n" .. out)

	-- through miltertest: the reply is a custom reply code, and one decision line
	local conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "MAIL FROM:<bogus.user@bogus.com>", "<bogus.user@bogus.com>")
	local got = T.send_rcpt(conn, "<john.doe@ibm.com>")
	T.ok(got == SMFIR_REPLYCODE, "custom relay.reply: SMFIR_REPLYCODE (got " .. T.name_reply(got) .. ")")
	local d = T.decisions_since_mark()
	T.ok(#d == 1 and T.has(d[1], " decision=reject stage=rcpt rule=relay ")
		and T.has(d[1], ' reply="554 5.7.1 Relaying from '),
		"custom relay.reply: one decision line with the custom reply\n" .. table.concat(d, "\n"))
	T.close(conn)
end)

-- policy: error-limit.conf
-- Scenario j: connection.error_limit = 2 (Domino's SMTPErrorLimit): the
-- refusal that reaches the limit is answered with Domino's
-- "421 4.7.0 SMTP service not available, closing transmission channel."
-- (the MTA then drops the connection). Refusals are counted per session,
-- at MAIL and at RCPT alike; accepted commands do not count.
local T = dofile(helpers)

T.run(function()
	local conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "j. MAIL FROM:<bogus.user@bogus.com>", "<bogus.user@bogus.com>")
	T.rcpt(conn, "j. first relay attempt", "<john.doe@ibm.com>", { reply = T.RELAY })
	T.rcpt(conn, "j. a local recipient in between is accepted", "<jd@acme.com>", {})
	T.rcpt(conn, "j. second relay attempt reaches the limit", "<jane@ibm.com>",
		{ decision = "tempfail", reply = T.ERROR_LIMIT, contains = { " rule=relay " } })
	T.close(conn)

	-- the exact texts on the wire
	local lines, out = T.raw("abc.com", "10.10.1.8", "", "<bogus.user@bogus.com>",
		{ "<john.doe@ibm.com>", "<jane@ibm.com>", "<never.sent@ibm.com>" })
	T.ok(table.concat(lines, "\n") == "connect n -\nmail c -\nrcpt y " .. T.RELAY
		.. "\nrcpt y " .. T.ERROR_LIMIT,
		"j. on the wire: 554 then \"" .. T.ERROR_LIMIT .. "\"\n" .. out)

	-- a new session starts counting from zero
	conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "j. new session MAIL", "<bogus.user@bogus.com>")
	T.rcpt(conn, "j. new session: first refusal is a plain 554", "<john.doe@ibm.com>",
		{ reply = T.RELAY })
	T.close(conn)

	-- a refused MAIL counts too
	conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "j. refused MAIL (sender not owned)", "<alice.smith@acme.com>",
		{ auth = "jdoe", reply = T.NOT_OWNED })
	T.ok(mt.abort(conn) == nil, "j. abort after the refused MAIL")
	T.mail(conn, "j. MAIL with a null sender, authenticated: second refusal",
		"<>", { decision = "tempfail", reply = T.ERROR_LIMIT, contains = { " rule=verify_sender " } })
	T.close(conn)
end)

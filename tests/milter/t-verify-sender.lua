-- policy: closed.conf
-- Scenario g: verify authenticated sender (DESIGN §4, Domino's
-- SMTPVerifyAuthenticatedSender=1), envelope half, judged at MAIL.
-- The directory (tests/milter/policies/directory.conf): jdoe owns
-- john.doe@acme.com and jd@acme.com and may send as sales@acme.com;
-- asmith owns alice.smith@acme.com.
local T = dofile(helpers)

local DOMINO = "Message rejected. Authenticated user jdoe from host 10.10.1.8 sending mail "
	.. "from alice.smith@acme.com failed to match directory address john.doe@acme.com"

local function mail_only(desc, auth, from, want)
	local conn = T.connect("abc.com", "10.10.1.8")
	want.auth = auth
	local line = T.mail(conn, desc, from, want)
	T.close(conn)
	return line
end

T.run(function()
	-- someone else's address
	local line = mail_only("g. AUTH jdoe, MAIL FROM:<alice.smith@acme.com>", "jdoe",
		"<alice.smith@acme.com>", { reply = T.NOT_OWNED, contains = {
			" rule=verify_sender ", " auth=jdoe ", " from=<alice.smith@acme.com> ",
			'reason="sender not owned by authenticated user"', DOMINO } })
	-- the reply itself never reveals the directory's addresses
	local reply = string.match(line, ' reply="([^"]*)"')
	T.ok(reply ~= nil and not T.has(reply, "john.doe"), "g. the reply does not reveal john.doe@acme.com")

	-- the exact text on the wire
	local lines, out = T.raw("abc.com", "10.10.1.8", "jdoe", "<alice.smith@acme.com>", { "<x@ibm.com>" })
	T.ok(table.concat(lines, "\n") == "connect n -\nmail y " .. T.NOT_OWNED,
		"g. on the wire: MAIL answered with \"" .. T.NOT_OWNED .. "\"\n" .. out)

	-- own addresses, send-as, subaddress, case
	mail_only("g. AUTH jdoe, MAIL FROM:<john.doe@acme.com>", "jdoe", "<john.doe@acme.com>",
		{ contains = { 'reason="sender owned by authenticated user"' } })
	mail_only("g. AUTH jdoe, second address <jd@acme.com>", "jdoe", "<jd@acme.com>", {})
	mail_only("g. AUTH jdoe, send_as <sales@acme.com>", "jdoe", "<sales@acme.com>",
		{ contains = { 'reason="sender owned by authenticated user"' } })
	mail_only("g. AUTH jdoe, subaddress <john.doe+lists@acme.com>", "jdoe",
		"<john.doe+lists@acme.com>", {})
	mail_only("g. AUTH jdoe, <John.Doe@ACME.com> (case)", "jdoe", "<John.Doe@ACME.com>", {})
	mail_only("g. AUTH asmith, <alice.smith@acme.com>", "asmith", "<alice.smith@acme.com>", {})
	mail_only("g. AUTH asmith may not send as sales@acme.com", "asmith", "<sales@acme.com>",
		{ reply = T.NOT_OWNED })

	-- a login carrying a realm (Postfix with smtpd_sasl_local_domain)
	mail_only("g. AUTH jdoe@acme.com treated as jdoe: <john.doe@acme.com>", "jdoe@acme.com",
		"<john.doe@acme.com>", { contains = { " auth=jdoe@acme.com " } })
	mail_only("g. AUTH jdoe@acme.com treated as jdoe: <sales@acme.com>", "jdoe@acme.com",
		"<sales@acme.com>", {})
	mail_only("g. AUTH jdoe@acme.com, <alice.smith@acme.com>", "jdoe@acme.com",
		"<alice.smith@acme.com>", { reply = T.NOT_OWNED, contains = {
			"failed to match directory address john.doe@acme.com" } })
	mail_only("g. AUTH jdoe@evil.com (foreign realm) is not jdoe", "jdoe@evil.com",
		"<john.doe@acme.com>", { reply = T.NOT_OWNED,
			contains = { 'reason="authenticated user not in directory"' } })
	-- Domino accepts the full name as login too
	mail_only("g. AUTH \"John Doe\" (a name of jdoe)", "John Doe", "<john.doe@acme.com>", {})

	-- unknown login
	mail_only("g. unknown login mallory", "mallory", "<john.doe@acme.com>",
		{ reply = T.NOT_OWNED, contains = { " auth=mallory ",
			'reason="authenticated user not in directory"' } })

	-- null sender from an authenticated user (verify_sender.null_sender = "reject")
	mail_only("g. AUTH jdoe, MAIL FROM:<>", "jdoe", "<>",
		{ reply = T.NOT_OWNED, contains = { 'reason="null sender from authenticated user"' } })
	-- the null sender without AUTH is not this control's business
	local conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "g. unauthenticated MAIL FROM:<>", "<>", { contains = { 'reason="not authenticated"' } })
	T.rcpt(conn, "g. unauthenticated bounce to a local user", "<jd@acme.com>", {})
	T.close(conn)

	-- after a refused MAIL the session goes on; the next MAIL is judged anew
	conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "g. refused first MAIL", "<alice.smith@acme.com>",
		{ auth = "jdoe", reply = T.NOT_OWNED })
	T.ok(mt.abort(conn) == nil, "g. abort after the refused MAIL (as the MTA does)")
	T.mail(conn, "g. then an owned MAIL in the same session", "<john.doe@acme.com>",
		{ auth = "jdoe" })
	T.rcpt(conn, "g. which may relay", "<john.doe@ibm.com>",
		{ contains = { 'reason="authenticated user"' } })
	T.close(conn)
end)

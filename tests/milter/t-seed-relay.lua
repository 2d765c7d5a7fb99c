-- policy: closed.conf
-- Scenarios a-c of the issue: the seed transcript, the same after SMTP AUTH,
-- and a local recipient from the same external host.
--   a. external host abc.com [10.10.1.8], MAIL FROM:<bogus.user@bogus.com>,
--      RCPT TO:<john.doe@ibm.com> -> 554 5.7.1 Relay rejected for policy reasons.
--   b. {auth_authen}=jdoe, MAIL FROM:<john.doe@acme.com> -> RCPT accepted
--   c. unauthenticated, RCPT TO:<jd@acme.com> (local domain) -> accepted
local T = dofile(helpers)

T.run(function()
	-- a. the seed transcript
	local conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "a. MAIL FROM:<bogus.user@bogus.com>", "<bogus.user@bogus.com>",
		{ qid = "SEEDQ1", contains = { "SEEDQ1: decision=accept", " auth=- ",
			" client=abc.com[10.10.1.8] ", " from=<bogus.user@bogus.com> " } })
	T.rcpt(conn, "a. RCPT TO:<john.doe@ibm.com>", "<john.doe@ibm.com>",
		{ reply = T.RELAY, contains = { "SEEDQ1: decision=reject stage=rcpt rule=relay ",
			" client=abc.com[10.10.1.8] ", " rcpt=<john.doe@ibm.com> ",
			'detail="destination=ibm.com"' } })
	-- the session goes on: a second external recipient is refused too
	T.rcpt(conn, "a. RCPT TO:<someone@example.org>", "<someone@example.org>",
		{ reply = T.RELAY, contains = { 'detail="destination=example.org"' } })
	T.close(conn)

	-- a. the same transcript through the raw client: the exact text on the wire
	local lines, out = T.raw("abc.com", "10.10.1.8", "", "<bogus.user@bogus.com>",
		{ "<john.doe@ibm.com>" })
	T.ok(table.concat(lines, "\n") == "connect n -\nmail c -\nrcpt y " .. T.RELAY,
		"a. on the wire: RCPT answered with reply code text \"" .. T.RELAY .. "\"\n" .. out)

	-- b. the same client after AUTH
	conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "b. AUTH jdoe, MAIL FROM:<john.doe@acme.com>", "<john.doe@acme.com>",
		{ auth = "jdoe", contains = { " auth=jdoe " } })
	T.rcpt(conn, "b. AUTH jdoe, RCPT TO:<john.doe@ibm.com>", "<john.doe@ibm.com>",
		{ contains = { " auth=jdoe ", 'reason="authenticated user"' } })
	-- the login is kept for the session: a second message needs no new macro
	T.mail(conn, "b. second MAIL in the session (auth kept)", "<jd@acme.com>",
		{ contains = { " auth=jdoe " } })
	T.rcpt(conn, "b. second message RCPT TO:<x@ibm.com>", "<x@ibm.com>",
		{ contains = { 'reason="authenticated user"' } })
	T.close(conn)
	lines, out = T.raw("abc.com", "10.10.1.8", "jdoe", "<john.doe@acme.com>", { "<john.doe@ibm.com>" })
	T.ok(table.concat(lines, "\n") == "connect n -\nmail c -\nrcpt c -",
		"b. on the wire: MAIL and RCPT continue\n" .. out)

	-- c. local recipients from the external host, unauthenticated
	conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "c. MAIL FROM:<bogus.user@bogus.com>", "<bogus.user@bogus.com>")
	T.rcpt(conn, "c. RCPT TO:<jd@acme.com>", "<jd@acme.com>",
		{ contains = { 'reason="local recipient"' } })
	T.rcpt(conn, "c. RCPT TO:<John.Doe@ACME.COM.> (case, trailing dot)", "<John.Doe@ACME.COM.>",
		{ contains = { 'reason="local recipient"' } })
	T.rcpt(conn, "c. RCPT TO:<postmaster> (no domain: local)", "<postmaster>",
		{ contains = { 'reason="local recipient"' } })
	-- a subdomain of a local domain is not local (local_domains is exact)
	T.rcpt(conn, "c. RCPT TO:<x@sub.acme.com> (not a local domain)", "<x@sub.acme.com>",
		{ reply = T.RELAY, contains = { 'detail="destination=sub.acme.com"' } })
	-- a domain that merely ends in "acme.com" is external
	T.rcpt(conn, "c. RCPT TO:<x@notacme.com>", "<x@notacme.com>", { reply = T.RELAY })
	T.close(conn)
end)

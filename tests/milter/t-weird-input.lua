-- policy: closed.conf
-- Scenario l: missing macros and hostile input never crash the milter and
-- never let a relay through: whatever cannot be parsed is refused with the
-- relay reply (fail closed).
local T = dofile(helpers)

T.run(function()
	-- no {daemon_name} at connect, no i and no {auth_authen} at MAIL
	local conn = T.connect("abc.com", "10.10.1.8", false)
	T.mail(conn, "l. MAIL without any macro", "<bogus.user@bogus.com>",
		{ qid = false, contains = { "NOQUEUE: decision=accept stage=mail", " auth=- " } })
	T.rcpt(conn, "l. RCPT without any macro: relay refused, NOQUEUE", "<john.doe@ibm.com>",
		{ reply = T.RELAY, contains = { "NOQUEUE: decision=reject stage=rcpt rule=relay " } })
	local bad = {
		{ "empty path <>", "<>" },
		{ "empty string", "" },
		{ "only spaces", "   " },
		{ "unbalanced bracket", "<john.doe@ibm.com" },
		{ "two @", "<a@b@ibm.com>" },
		{ "space in local part", "<john doe@acme.com>" },
		{ "control byte", "<jo\1hn@acme.com>" },
		{ "empty local part", "<@acme.com>" },
		{ "empty domain", "<john@>" },
		{ "empty domain label", "<john@acme..com>" },
		{ "unterminated quote", "<\"john@acme.com>" },
		{ "bad source route", "<@:john@acme.com>" },
		{ "local part of 300 bytes", "<" .. string.rep("a", 300) .. "@acme.com>" },
		{ "domain of 300 bytes", "<a@" .. string.rep("b", 296) .. ".com>" },
		{ "1000 bytes, no domain", "<" .. string.rep("a", 1000) .. ">" },
	}
	for _, b in ipairs(bad) do
		T.rcpt(conn, "l. " .. b[1], b[2], { reply = T.RELAY, contains = {
			'reason="relay denied: unparsable recipient"', 'detail="destination=(empty)"' } })
	end
	-- control bytes are escaped in the log line
	T.rcpt(conn, "l. control byte is logged as \\x01", "<jo\1hn@acme.com>",
		{ reply = T.RELAY, contains = { "rcpt=<jo\\x01hn@acme.com>" } })
	-- without angle brackets an address is still judged
	T.rcpt(conn, "l. no angle brackets", "john.doe@ibm.com", { reply = T.RELAY,
		contains = { 'detail="destination=ibm.com"' } })
	T.close(conn)

	-- Postfix sends the queue id first at RCPT: NOQUEUE until it arrives
	conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "l. MAIL without i", "<bogus.user@bogus.com>",
		{ qid = false, contains = { "NOQUEUE: decision=accept" } })
	T.ok(mt.macro(conn, SMFIC_RCPT, "i", "4QIDATRCPT") == nil, "l. mt.macro(RCPT, i)")
	T.rcpt(conn, "l. i first seen at RCPT is logged", "<john.doe@ibm.com>",
		{ reply = T.RELAY, contains = { "4QIDATRCPT: decision=reject stage=rcpt" } })
	T.close(conn)

	-- an empty {auth_authen} is not a login
	T.transaction("l. empty {auth_authen}", { auth = "", from = "<john.doe@acme.com>",
		mail = { contains = { " auth=- ", 'reason="not authenticated"' } },
		rcpt = "<john.doe@ibm.com>", want = { reply = T.RELAY } })

	-- the connection's address family is unknown: no IP at all
	T.transaction("l. client without an IP address", {
		host = "abc.com", ip = "unspec", from = "<bogus.user@bogus.com>",
		rcpt = "<john.doe@ibm.com>", want = { reply = T.RELAY,
			contains = { " client=abc.com[unknown] " } } })

	-- an unparsable sender with AUTH is refused (it cannot be owned)
	T.transaction("l. AUTH jdoe with an unparsable MAIL FROM", {
		auth = "jdoe", from = "<john.doe@@acme.com>",
		mail = { reply = T.NOT_OWNED, contains = { 'reason="unparsable sender address"' } } })

	-- beyond miltertest's 1 KiB buffer: the raw client of tests/lib/milter.sh
	local a2000 = string.rep("a", 2000)
	T.log_mark()
	local lines, out = T.raw("abc.com", "10.10.1.8", "", "<" .. a2000 .. "@bogus.com>",
		{ "<" .. a2000 .. "@ibm.com>", "<" .. a2000 .. "@acme.com>", "<" .. a2000 .. ">",
			"<jd@acme.com>" })
	local want = { "connect n -", "mail c -", "rcpt y " .. T.RELAY, "rcpt y " .. T.RELAY,
		"rcpt y " .. T.RELAY, "rcpt c -" }
	T.ok(table.concat(lines, "\n") == table.concat(want, "\n"),
		"l. 2000-byte addresses: MAIL continues, each such RCPT gets " .. T.RELAY
		.. " and the session still works\n" .. out)
	T.ok(#T.decisions_since_mark() == 5, "l. one decision line per step for the raw client")

	lines, out = T.raw("abc.com", "10.10.1.8", "jdoe", "<" .. a2000 .. "@acme.com>", { "<x@ibm.com>" })
	T.ok(table.concat(lines, "\n") == "connect n -\nmail y " .. T.NOT_OWNED,
		"l. AUTH jdoe with a 2000-byte MAIL FROM: " .. T.NOT_OWNED .. "\n" .. out)

	lines, out = T.raw("abc.com", "10.10.1.8", a2000, "<john.doe@acme.com>", { "<x@ibm.com>" })
	T.ok(table.concat(lines, "\n") == "connect n -\nmail y " .. T.NOT_OWNED,
		"l. a 2000-byte login: " .. T.NOT_OWNED .. "\n" .. out)

	lines, out = T.raw(string.rep("h", 2000) .. ".example", "10.10.1.8", "", "<x@bogus.com>",
		{ "<x@ibm.com>" })
	T.ok(table.concat(lines, "\n") == "connect n -\nmail c -\nrcpt y " .. T.RELAY,
		"l. a 2000-byte client host name: relay refused\n" .. out)

	-- still alive and answering
	T.ok(T.alive(), "l. the milter is still running")
	T.transaction("l. a normal transaction afterwards", { from = "<bogus.user@bogus.com>",
		rcpt = "<john.doe@ibm.com>", want = { reply = T.RELAY } })
end)

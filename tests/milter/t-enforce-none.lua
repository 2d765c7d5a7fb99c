-- policy: enforce-none.conf
-- Scenario e: relay.enforce = "none" (Domino: "Perform anti-relay
-- enforcement for: None") - every client may relay, even with both deny
-- lists at "*".
local T = dofile(helpers)

T.run(function()
	local conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "e. MAIL FROM:<bogus.user@bogus.com>", "<bogus.user@bogus.com>")
	T.rcpt(conn, "e. RCPT TO:<john.doe@ibm.com>", "<john.doe@ibm.com>",
		{ contains = { 'reason="anti-relay enforcement is off"' } })
	T.rcpt(conn, "e. hidden route RCPT TO:<user%evil.com@acme.com>", "<user%evil.com@acme.com>",
		{ contains = { 'reason="anti-relay enforcement is off"' } })
	T.close(conn)
	T.transaction("e. no verified name, no daemon macro", {
		host = "unknown", ip = "198.51.100.7", connect_macros = false,
		from = "<x@example.net>", rcpt = "<y@example.org>",
		want = { contains = { 'reason="anti-relay enforcement is off"' } } })
end)

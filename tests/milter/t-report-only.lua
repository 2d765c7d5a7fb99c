-- policy: report-only.conf
-- Scenario k: report_only = true - nothing is refused; each refusal is
-- logged as decision=would-reject (with the reply it would have sent) and
-- the message gets "X-Relaywarden: would-reject rule=..." at end of message.
local T = dofile(helpers)

T.run(function()
	local conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "k. MAIL FROM:<bogus.user@bogus.com>", "<bogus.user@bogus.com>")
	T.rcpt(conn, "k. relay attempt continues", "<john.doe@ibm.com>",
		{ decision = "would-reject", reply = T.RELAY, contains = { " rule=relay " } })
	T.rcpt(conn, "k. a second relay attempt", "<jane@ibm.com>",
		{ decision = "would-reject", reply = T.RELAY })
	T.rcpt(conn, "k. a local recipient", "<jd@acme.com>", {})
	T.ok(mt.eom(conn) == nil, "k. mt.eom")
	T.ok(mt.getreply(conn) == SMFIR_CONTINUE, "k. EOM continues")
	T.ok(mt.eom_check(conn, MT_HDRADD, "X-Relaywarden", "would-reject rule=relay"),
		"k. header X-Relaywarden: would-reject rule=relay added")
	T.ok(mt.getheader(conn, "X-Relaywarden", 0) == "would-reject rule=relay",
		"k. its value is exactly \"would-reject rule=relay\"")
	T.ok(mt.getheader(conn, "X-Relaywarden", 1) == nil, "k. added once, the rule named once")

	-- the next message in the session is clean: no header
	T.mail(conn, "k. next MAIL in the session", "<bogus.user@bogus.com>")
	T.rcpt(conn, "k. local recipient only", "<jd@acme.com>", {})
	T.ok(mt.eom(conn) == nil, "k. mt.eom (clean message)")
	T.ok(mt.getreply(conn) == SMFIR_CONTINUE, "k. EOM continues (clean message)")
	T.ok(not mt.eom_check(conn, MT_HDRADD, "X-Relaywarden"), "k. no header on a clean message")
	T.close(conn)

	-- verify sender under report_only
	conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "k. AUTH jdoe, MAIL FROM:<alice.smith@acme.com> continues", "<alice.smith@acme.com>",
		{ auth = "jdoe", decision = "would-reject", reply = T.NOT_OWNED,
			contains = { " rule=verify_sender " } })
	T.rcpt(conn, "k. authenticated relay", "<john.doe@ibm.com>", {})
	T.ok(mt.eom(conn) == nil, "k. mt.eom (verify_sender)")
	T.ok(mt.getheader(conn, "X-Relaywarden", 0) == "would-reject rule=verify_sender",
		"k. header X-Relaywarden: would-reject rule=verify_sender")
	T.close(conn)

	-- a connection control under report_only: every message of the session is marked
	conn = T.connect_expect("k. denied host connects anyway", "unknown", "192.0.2.66",
		{ decision = "would-reject", reply = "554 5.7.1 Connection refused for policy reasons.",
		  contains = { " rule=deny_hosts " } })
	for i = 1, 2 do
		T.mail(conn, "k. MAIL " .. i .. " from the denied host", "<bogus.user@bogus.com>")
		T.rcpt(conn, "k. RCPT " .. i .. " from the denied host", "<jd@acme.com>", {})
		T.ok(mt.eom(conn) == nil, "k. mt.eom " .. i)
		T.ok(mt.getheader(conn, "X-Relaywarden", 0) == "would-reject rule=deny_hosts",
			"k. message " .. i .. ": X-Relaywarden: would-reject rule=deny_hosts")
	end
	T.close(conn)
end)

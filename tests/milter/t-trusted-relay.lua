-- policy: trusted-relay.conf
-- Seed 2's DMZ: 10.0.0.25 (trusted_relays, through the group DMZ) relays
-- everything from the Internet to this server. For its sessions the
-- connection controls (deny_hosts, here also through the group Blocked)
-- and protect_local_senders judge the client its topmost Received: line
-- names, at end of headers; lower lines, which the client may have
-- written itself, are never read; a missing or unparsable line is refused.
local T = dofile(helpers)

local DENIED = "554 5.7.1 Connection refused for policy reasons."
local UNPARSABLE = "550 5.7.1 Message rejected: unparsable Received header from trusted relay"
local PROTECT = "550 5.7.1 Sender address rejected: authentication required"

-- A line naming the relay as its client, as the MTA in front of the
-- milter would add it (neither Postfix nor Sendmail shows it the milter):
-- topmost, it is the one judged.
local OWN = "from dmz.acme.com (dmz.acme.com [10.0.0.25])\r\n\tby mx.acme.com (Postfix) with ESMTP id 4QID\r\n\tfor <jd@acme.com>; Tue, 1 Dec 2026 10:00:00 +0000"
local function by_relay(name, ip)
	return "from helo.example (" .. name .. " [" .. ip .. "])\r\n\tby dmz.acme.com (Postfix) with ESMTP id 3QID\r\n\tfor <jd@acme.com>; Tue, 1 Dec 2026 10:00:00 +0000"
end

-- One message from the relay up to end of headers; want nil = continue
-- without a decision line, else the exact reply (stage=header).
local function relayed(desc, from, received, want, contains)
	local conn = T.connect("dmz.acme.com", "10.0.0.25")
	T.mail(conn, desc .. ": MAIL (judged later)", from, {})
	T.rcpt(conn, desc .. ": RCPT", "<jd@acme.com>", {})
	for _, v in ipairs(received) do
		if mt.header(conn, "Received", v) ~= nil then T.fail(desc .. ": mt.header failed") end
		if mt.getreply(conn) ~= SMFIR_CONTINUE then T.fail(desc .. ": header not continued") end
	end
	if mt.header(conn, "From", from) ~= nil then T.fail(desc .. ": mt.header failed") end
	mt.getreply(conn)
	-- a refusal names the relay as the client, beside the relayed one
	local subs = { " client=dmz.acme.com[10.0.0.25] " }
	for _, sub in ipairs(contains or {}) do subs[#subs + 1] = sub end
	T.eoh_expect(conn, desc, want, want and subs)
	T.close(conn)
end

T.run(function()
	relayed("a denied client", "<a@example.org>", { by_relay("unknown", "192.0.2.66") }, DENIED,
		{ " rule=deny_hosts ", 'detail="received=unknown[192.0.2.66]"' })
	relayed("denied through the group Blocked, by address", "<a@example.org>",
		{ by_relay("mail.example.net", "198.51.100.7") }, DENIED,
		{ 'detail="received=mail.example.net[198.51.100.7]"' })
	relayed("denied through the group Blocked, by the name the relay verified",
		"<a@example.org>", { by_relay("mx.spammer.example", "203.0.113.5") }, DENIED)
	relayed("a name the relay marked (may be forged) is no name", "<a@example.org>",
		{ "from helo (mx.spammer.example [203.0.113.5] (may be forged))\r\n\tby dmz.acme.com" },
		nil)
	relayed("an allowed client is delivered", "<a@example.org>",
		{ by_relay("mail.example.org", "192.0.2.10") }, nil)
	relayed("a forged line below the relay's naming a denied host is ignored", "<a@example.org>",
		{ by_relay("mail.example.org", "192.0.2.10"), by_relay("unknown", "192.0.2.66") }, nil)
	relayed("a forged line below the relay's naming an internal host is ignored",
		"<a@example.org>",
		{ by_relay("unknown", "192.0.2.66"), by_relay("hub.acme.com", "10.0.0.5") }, DENIED)
	relayed("only the topmost line counts: one naming the relay itself judges the relay",
		"<a@example.org>", { OWN, by_relay("unknown", "192.0.2.66") }, nil)
	relayed("no Received: line at all", "<a@example.org>", {}, UNPARSABLE,
		{ " rule=trusted_relay ", 'detail="received=0"' })
	relayed("an unparsable line from the relay", "<a@example.org>",
		{ "from helo by dmz.acme.com with ESMTP", by_relay("mail.example.org", "192.0.2.10") },
		UNPARSABLE)
	relayed("protect_local_senders: an external client may not claim acme.com",
		"<john.doe@acme.com>", { by_relay("mail.example.org", "192.0.2.10") }, PROTECT,
		{ " rule=protect_local_senders " })
	relayed("protect_local_senders: an internal client may", "<john.doe@acme.com>",
		{ by_relay("hub.acme.com", "10.1.2.3") }, nil)
	-- report_only: the would-be refusal is the end-of-headers line and the
	-- message says so
	local conn = T.connect("dmz.acme.com", "10.0.0.25", { "{daemon_name}", "report" })
	T.mail(conn, "report_only: MAIL", "<a@example.org>", {})
	T.rcpt(conn, "report_only: RCPT", "<jd@acme.com>", {})
	for _, v in ipairs({ by_relay("unknown", "192.0.2.66") }) do
		if mt.header(conn, "Received", v) ~= nil then T.fail("mt.header failed") end
		mt.getreply(conn)
	end
	T.log_mark()
	if mt.eoh(conn) ~= nil then T.fail("mt.eoh failed") end
	T.expect(conn, "report_only: a denied relayed client", mt.getreply(conn),
		{ stage = "header", decision = "would-reject", reply = DENIED,
		  contains = { " rule=deny_hosts ", 'detail="received=unknown[192.0.2.66]"' } })
	if mt.bodystring(conn, "Hello.\r\n") ~= nil then T.fail("mt.bodystring failed") end
	mt.getreply(conn)
	if mt.eom(conn) ~= nil then T.fail("mt.eom failed") end
	mt.getreply(conn)
	T.ok(mt.eom_check(conn, MT_HDRADD, "X-Relaywarden", "would-reject rule=deny_hosts"),
		"report_only: X-Relaywarden: would-reject rule=deny_hosts")
	T.close(conn)
	T.connect_expect("a denied host connecting directly is refused at CONNECT", "unknown",
		"192.0.2.66", { reply = DENIED })
end)

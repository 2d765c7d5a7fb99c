-- policy: trusted-relay-dns.conf
-- dns: yes
-- trusted_relays with the DNS controls (private unbound, tests/dns/zones.conf):
-- for a session from the relay 10.0.0.25 the DNS white- and blacklists and
-- verify_hostname judge the client its Received: line names, at end of
-- headers; %a in the reply is that client, and so is the address in the
-- X-Relaywarden-DNSBL header of a "tag" zone. The relay itself is never
-- looked up.
local T = dofile(helpers)

local VERIFY = { "{daemon_name}", "verify" }
local NOT_VERIFIED = "550 5.7.25 Client host name could not be verified."

local function line_for(name, ip)
	return "from helo (" .. name .. " [" .. ip .. "])\r\n\tby dmz.acme.com (Postfix) with ESMTP id 3QID"
end

-- From the relay up to end of headers; returns conn (nil after a refusal).
local function relayed(desc, macros, received, want, contains)
	local conn = T.connect("dmz.acme.com", "10.0.0.25", macros)
	T.mail(conn, desc .. ": MAIL", "<someone@mx.sender.test>", {})
	T.rcpt(conn, desc .. ": RCPT", "<jd@acme.com>", {})
	for _, h in ipairs({ { "Received", received }, { "From", "<someone@mx.sender.test>" } }) do
		if mt.header(conn, h[1], h[2]) ~= nil then T.fail(desc .. ": mt.header failed") end
		mt.getreply(conn)
	end
	-- contains with no want: the one accept line a listing writes
	if T.eoh_expect(conn, desc, want, contains) == SMFIR_CONTINUE and want == nil then
		return conn
	end
	T.close(conn)
	return nil
end

T.run(function()
	relayed("a blacklisted client behind the relay", nil, line_for("unknown", "127.0.0.2"),
		"550 5.7.1 Mail from 127.0.0.2 refused: listed at bl.test",
		{ " rule=dnsbl ", " client=dmz.acme.com[10.0.0.25] ", "received=unknown[127.0.0.2]" })
	T.ok(T.dns_queries("25.0.0.10.bl.test") == 0, "the relay itself is not looked up")
	local conn = relayed("whitelisted and blacklisted", nil, line_for("unknown", "127.0.0.3"), nil,
		{ " decision=accept stage=header rule=dnswl ",
		  'detail="dnswl=wl.test received=unknown[127.0.0.3]"' })
	T.close(conn)
	T.ok(T.dns_queries("3.0.0.127.bl.test") == 0, "the whitelisted client is not looked up in bl.test")
	conn = relayed("a client in a tag and a log zone", nil, line_for("unknown", "127.0.0.5"), nil,
		{ " decision=accept stage=header rule=dnsbl ",
		  'detail="listed=tag.test(127.0.0.2) listed=log.test(127.0.0.2) received=unknown[127.0.0.5]"' })
	if mt.bodystring(conn, "Hello.\r\n") ~= nil then T.fail("mt.bodystring failed") end
	mt.getreply(conn)
	if mt.eom(conn) ~= nil then T.fail("mt.eom failed") end
	mt.getreply(conn)
	T.ok(mt.eom_check(conn, MT_HDRADD, "X-Relaywarden-DNSBL", "127.0.0.5 listed at tag.test"),
		"the tag header names the relayed client: 127.0.0.5 listed at tag.test")
	T.close(conn)
	conn = relayed("verify_hostname: a forward-confirmed name", VERIFY,
		line_for("good.client.test", "192.0.2.10"), nil)
	T.close(conn)
	relayed("verify_hostname: a name that resolves elsewhere", VERIFY,
		line_for("forged.client.test", "192.0.2.10"), NOT_VERIFIED,
		{ " rule=verify_hostname ", 'detail="forged.client.test does not resolve to 192.0.2.10 received=forged.client.test[192.0.2.10]"' })
	relayed("verify_hostname: the relay recorded no name", VERIFY, line_for("unknown", "192.0.2.10"),
		NOT_VERIFIED, { 'detail="no verified PTR name received=unknown[192.0.2.10]"' })
end)

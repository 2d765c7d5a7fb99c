-- policy: closed.conf
-- Scenario f: a client is internal when its *verified* host name is a local
-- domain or under one (DESIGN §2 step 1), or its address is in
-- internal_networks; with enforce = "external" internal clients relay.
local T = dofile(helpers)

local function try(desc, host, ip, want)
	T.transaction(desc, { host = host, ip = ip, from = "<a.user@acme.com>",
		rcpt = "<john.doe@ibm.com>", want = want })
end

T.run(function()
	local internal = { contains = {
		'reason="internal host, enforcement applies to external hosts"' } }
	try("f. mx1.acme.com [192.0.2.5] is internal", "mx1.acme.com", "192.0.2.5", internal)
	try("f. the local domain itself as host name", "acme.com", "192.0.2.5", internal)
	try("f. MX1.ACME.COM. (case, trailing dot)", "MX1.ACME.COM.", "192.0.2.5", internal)
	try("f. 127.0.0.1 is in internal_networks", "unknown", "127.0.0.1", internal)
	try("f. ::1 is in internal_networks", "unknown", "::1", internal)
	try("f. unknown [192.0.2.5]: no verified name, external", "unknown", "192.0.2.5",
		{ reply = T.RELAY, contains = { " client=unknown[192.0.2.5] " } })
	try("f. [192.0.2.5] (Sendmail's unverified form), external", "[192.0.2.5]", "192.0.2.5",
		{ reply = T.RELAY })
	try("f. unknown [2001:db8::5] (IPv6), external", "unknown", "2001:db8::5",
		{ reply = T.RELAY, contains = { " client=unknown[2001:db8::5] " } })
	try("f. mx1.notacme.com is not under acme.com", "mx1.notacme.com", "192.0.2.5",
		{ reply = T.RELAY })
	try("f. acme.com.evil.org is not under acme.com", "acme.com.evil.org", "192.0.2.5",
		{ reply = T.RELAY })
end)

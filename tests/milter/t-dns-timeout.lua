-- policy: dns-timeout.conf
-- dns: yes
-- A DNS server that never answers: every DNS control defers with
-- "451 4.4.3" (never accepts, never 5xx) within its timeout plus one
-- second; a "log" zone that cannot be asked lets the client in.
local T = dofile(helpers)

local DNS_FAIL = "451 4.4.3 DNS lookup failed, try again later"

local function now_ms()
	local p = assert(io.popen("date +%s%N"))
	local ns = tonumber(p:read("*l"))
	p:close()
	return ns // 1000000
end

local function within(desc, t0, limit_ms)
	local ms = now_ms() - t0
	T.ok(ms < limit_ms, desc .. ": answered in " .. ms .. " ms (limit " .. limit_ms .. ")")
end

T.run(function()
	local t0 = now_ms()
	T.connect_expect("DNSBL timeout (dns.timeout = 1)", "unknown", "192.0.2.20",
		{ decision = "tempfail", reply = DNS_FAIL, contains = { " rule=dnsbl ", "timed out" } })
	within("DNSBL timeout", t0, 2000)

	t0 = now_ms()
	local conn = T.connect_expect("a log zone that times out", "unknown", "192.0.2.21",
		{ line = false }, { "{daemon_name}", "logonly" })
	within("log zone timeout", t0, 2000)
	T.close(conn)

	conn = T.connect_expect("verify profile", "good.client.test", "192.0.2.10", { line = false },
		{ "{daemon_name}", "verify" })
	t0 = now_ms()
	T.mail(conn, "verify_hostname timeout", "<a@mx.sender.test>",
		{ decision = "tempfail", reply = DNS_FAIL, contains = { " rule=verify_hostname " } })
	within("verify_hostname timeout", t0, 2000)
	T.close(conn)

	-- a failure is never cached: the next session asks (and waits) again
	conn = T.connect_expect("verify profile, no name to confirm", "unknown", "192.0.2.10",
		{ line = false }, { "{daemon_name}", "verify" })
	T.mail(conn, "no verified name: refused without DNS", "<a@mx.sender.test>",
		{ reply = "550 5.7.25 Client host name could not be verified." })
	T.close(conn)
end)

-- policy: dns-domain-timeout.conf
-- dns: yes
-- verify_domain with a DNS server that never answers: "451 4.4.3" within
-- sender.verify_domain_timeout (2 s) plus one second, never 550.
local T = dofile(helpers)

local function now_ms()
	local p = assert(io.popen("date +%s%N"))
	local ns = tonumber(p:read("*l"))
	p:close()
	return ns // 1000000
end

T.run(function()
	local conn = T.connect("mx.other.example", "192.0.2.20")
	local t0 = now_ms()
	T.mail(conn, "verify_domain timeout", "<a@mx.sender.test>",
		{ decision = "tempfail", reply = "451 4.4.3 DNS lookup failed, try again later",
		  contains = { " rule=verify_domain ", "timed out" } })
	local ms = now_ms() - t0
	T.ok(ms >= 1500 and ms < 3000, "verify_domain timeout: answered in " .. ms
		.. " ms (expected about 2000, limit 3000)")
	T.close(conn)
end)

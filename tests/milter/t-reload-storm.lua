-- policy: storm.conf
-- dns: yes
-- 32 sessions at once, their steps interleaved (each on its own libmilter
-- thread), with a SIGUSR1 reload between rounds: every step still gets its
-- exact answer, old sessions keep their snapshot, nothing crashes. Under
-- `make tsan` this is the data-race test of the snapshot, the DNS resolver
-- (pool and cache), the directory and the session counter.
local T = dofile(helpers)
local N = 32

local function reload()
	local before = T.count_log("policy reloaded from")
	T.signal("USR1")
	T.wait_log_count("policy reloaded from", before + 1)
end

T.run(function()
	local conns = {}
	for i = 1, N do
		local ip = (i % 4 == 0) and "127.0.0.2" or ("192.0.2." .. (20 + i))
		local c = mt.connect("unix:" .. sock, 40, 0.25)
		T.ok(c ~= nil, "session " .. i .. " connects")
		mt.macro(c, SMFIC_CONNECT, "{daemon_name}", "smtp")
		mt.conninfo(c, "unknown", ip)
		local r = mt.getreply(c)
		if i % 4 == 0 then
			T.ok(r == SMFIR_REPLYCODE, "session " .. i .. ": listed client refused at connect")
			mt.disconnect(c)
		else
			T.ok(r == SMFIR_CONTINUE, "session " .. i .. ": clean client continues")
			conns[#conns + 1] = c
		end
		if i % 8 == 0 then reload() end
	end
	for round = 1, 3 do
		for k, c in ipairs(conns) do
			local from = (k % 3 == 0) and "<a@nosuch.sender.test>" or "<a@mx.sender.test>"
			mt.macro(c, SMFIC_MAIL, "i", "Q" .. k)
			mt.mailfrom(c, from)
			local r = mt.getreply(c)
			if k % 3 == 0 then
				T.ok(r == SMFIR_REPLYCODE, "round " .. round .. " session " .. k .. ": 550 5.1.8")
			else
				T.ok(r == SMFIR_CONTINUE, "round " .. round .. " session " .. k .. ": MAIL ok")
				mt.rcptto(c, "<jd@acme.com>")
				T.ok(mt.getreply(c) == SMFIR_CONTINUE, "round " .. round .. " session " .. k
					.. ": RCPT ok")
				mt.rcptto(c, "<x@ibm.com>")
				T.ok(mt.getreply(c) == SMFIR_REPLYCODE, "round " .. round .. " session " .. k
					.. ": relay refused")
				mt.abort(c)
			end
		end
		reload()
	end
	for _, c in ipairs(conns) do mt.disconnect(c) end
end)

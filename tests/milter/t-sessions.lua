-- policy: closed.conf
-- Sessions are independent: many connections open at once, their steps
-- interleaved (libmilter runs them on different worker threads), each
-- keeps its own client, login and verdict.
local T = dofile(helpers)

T.run(function()
	local n = 12
	local conns = {}
	for i = 1, n do
		conns[i] = T.connect("host" .. i .. ".example", "198.51.100." .. i)
	end
	for i = 1, n do
		if i % 2 == 1 then
			T.mail(conns[i], "session " .. i .. ": AUTH jdoe", "<john.doe@acme.com>",
				{ auth = "jdoe", qid = "Q" .. i, contains = { "Q" .. i .. ": ", " auth=jdoe " } })
		else
			T.mail(conns[i], "session " .. i .. ": not authenticated", "<x" .. i .. "@example.net>",
				{ qid = "Q" .. i, contains = { " auth=- " } })
		end
	end
	for round = 1, 2 do
		for i = n, 1, -1 do
			local desc = "session " .. i .. " round " .. round .. ": RCPT TO:<r" .. i .. "@ibm.com>"
			local want = { contains = { "Q" .. i .. ": ",
				" client=host" .. i .. ".example[198.51.100." .. i .. "] " } }
			if i % 2 == 0 then want.reply = T.RELAY end
			T.rcpt(conns[i], desc, "<r" .. i .. "@ibm.com>", want)
		end
	end
	for i = 1, n do
		T.close(conns[i])
	end
	T.ok(T.alive(), "the milter is still running")
end)

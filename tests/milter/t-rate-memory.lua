-- policy: rate-memory.conf
-- Issue 19's rate limits on the memory store, driven through the milter
-- protocol (counting happens at RCPT):
--  (a) per-login, 3 messages in 2 s: A's three messages pass, the fourth
--      gets exactly "451 4.7.1 Rate limit exceeded, try again later"
--      (rule=rate_limit, limit=per-login key=login:A messages=3/3); B
--      passes; the window slides: A is accepted again, never before 2 s
--      after A's first counted message (checked with clock readings taken
--      around the calls: a lower bound only), and while A's second message
--      is surely still counted, the next one is refused again (a sliding
--      window, not a reset; the refused tries counted nothing);
--  (b) recipients = 3 (listener "rcpt"): the 4th RCPT of a message is
--      refused, and so is the next message; another login is unaffected;
--      an exempt_logins entry is never limited;
--  (c) key "client" (listener "client"), with a login limit beside it: a
--      message refused by the login limit counts for neither limit, the
--      client's third message is refused whoever sends it, another client
--      passes, an IPv6 client is counted by its /64;
--  (d) key "sender" (listener "sender"): the envelope sender lower-cased,
--      "<>" for the null sender; a session without a login is not limited
--      by a login limit (listener "rcpt");
--  (e) exempt_hosts (listener "exempt"): a network and a group holding a
--      host name are never limited, another client is;
--  (f) report_only (listener "report"): decision=would-reject with the
--      reply it would have sent, the recipient continues, the message gets
--      X-Relaywarden: would-reject rule=rate_limit.
local T = dofile(helpers)

local OVER = "451 4.7.1 Rate limit exceeded, try again later"
local PER = 2
local LOGINS_A = { "jdoe", "mary", "peter", "susan" }   -- one per try of (a)

-- Wall clock with its fraction (os.time() has whole seconds only).
local function now()
	local p = assert(io.popen("date +%s.%N", "r"))
	local s = p:read("*l")
	p:close()
	return assert(tonumber(s), "date +%s.%N printed " .. tostring(s))
end

local function macros(daemon)
	return { "{daemon_name}", daemon or "smtp" }
end

-- One message from login (nil: unauthenticated): connect, MAIL, one RCPT
-- per entry of rcpts ({ rcpt, want } pairs, asserted by T.rcpt).
local function message(desc, t)
	local conn = T.connect("client.example", t.ip or "192.0.2.10", macros(t.daemon))
	T.mail(conn, desc .. ": MAIL", t.from, { auth = t.login })
	local lines = {}
	for i, r in ipairs(t.rcpts) do
		lines[i] = T.rcpt(conn, desc .. ": RCPT " .. i .. " " .. r[1], r[1], r[2])
	end
	T.close(conn)
	return lines
end

local function over(detail)
	return { decision = "tempfail", reply = OVER,
		contains = { " rule=rate_limit ", ' detail="' .. detail .. '"' } }
end

-- One try of a message by login in the smtp listener whose RCPT may pass
-- or not: returns accepted (bool), the decision line, and clock readings
-- just before the RCPT was sent and just after its reply came.
local function try_rcpt(desc, login, from)
	local conn = T.connect("client.example", "192.0.2.10", macros("smtp"))
	T.mail(conn, desc .. ": MAIL", from, { auth = login })
	local before = now()
	local got = T.send_rcpt(conn, "<someone@remote.example>")
	local after = now()
	local lines = T.decisions_since_mark()
	T.close(conn)
	if #lines ~= 1 then
		T.fail(desc .. ": expected one decision line, found " .. #lines .. ":\n"
			.. table.concat(lines, "\n"))
	end
	local line = lines[1]
	if got == SMFIR_CONTINUE and T.has(line, " decision=accept stage=rcpt ") then
		return true, line, before, after
	end
	if got == SMFIR_REPLYCODE and T.has(line, " decision=tempfail stage=rcpt ") then
		return false, line, before, after
	end
	T.fail(desc .. ": unexpected " .. T.name_reply(got) .. ":\n" .. line)
end

local function is_over(line, detail)
	return T.has(line, " rule=rate_limit ") and T.has(line, ' reply="' .. OVER .. '"')
		and T.has(line, ' detail="' .. detail .. '"')
end

-- (a) for login: true when the try was conclusive (A's four messages fit
-- in the window), false when the machine was too slow to tell (the fourth
-- was legitimately accepted because the first had had its 2 s).
local function per_login_try(login)
	local from = "<" .. login .. "@acme.com>"
	if login == "jdoe" then from = "<john.doe@acme.com>" end
	local detail = "limit=per-login key=login:" .. login .. " messages=3/3 per=2 store=memory"
	local ok, line, t1 = try_rcpt(login .. " message 1", login, from)
	T.ok(ok, login .. " message 1 accepted")
	-- Messages 2 and 3 half a window later, so that once message 1 is
	-- forgotten they are surely still counted for a while (the check after
	-- the slide). This spacing decides no outcome: a slow machine only
	-- makes a check inconclusive, and says so.
	T.ok(T.wait_until(function() return now() >= t1 + PER / 2 end), "half a window passed")
	local t2
	for i = 2, 3 do
		local before
		ok, line, before = try_rcpt(login .. " message " .. i, login, from)
		T.ok(ok, login .. " message " .. i .. " accepted")
		if i == 2 then t2 = before end
	end
	local after
	ok, line, _, after = try_rcpt(login .. " message 4", login, from)
	if ok then
		-- Forgotten no earlier than PER s after it was counted, and it was
		-- counted after t1: an acceptance before t1 + PER is a failure.
		T.ok(after - t1 >= PER, string.format("%s message 4 accepted only after the first had "
			.. "its %d s (%.3f s after it)", login, PER, after - t1))
		print(string.format("# %s: the four messages took %.3f s, more than the window; "
			.. "trying again with another login", login, after - t1))
		return false
	end
	local refused4 = is_over(line, detail)
	T.ok(refused4, login .. " message 4 -> " .. OVER .. " [" .. detail .. "]"
		.. (refused4 and "" or "\n" .. line))

	-- B is not A
	message("B (asmith) while A is limited", { login = "asmith", from = "<alice.smith@acme.com>",
		rcpts = { { "<someone@remote.example>" } } })

	-- The window slides: poll, a new transaction each try, until A passes.
	local accepted_after, refused = nil, 0
	T.ok(T.wait_until(function()
		local acc, l, _, a = try_rcpt(login .. " waiting for the window", login, from)
		if acc then
			accepted_after = a
			return true
		end
		if not is_over(l, detail) then
			T.fail(login .. ": while waiting, a refusal other than [" .. detail .. "]:\n" .. l)
		end
		refused = refused + 1
		return false
	end), login .. " accepted again once the window slid (" .. refused .. " refusals meanwhile)")
	T.ok(accepted_after - t1 >= PER, string.format("%s accepted again %.3f s after its first "
		.. "counted message: not before %d s", login, accepted_after - t1, PER))

	-- Message 2 (counted after t2) is remembered until t2 + PER at least:
	-- with messages 2 and 3 and the one just accepted, the next is over -
	-- unless the machine was too slow to tell. The refused tries above
	-- counted nothing, or this one would be refused with more than 3.
	local acc, l, _, a = try_rcpt(login .. " right after the slide", login, from)
	if a < t2 + PER then
		local again = not acc and is_over(l, detail)
		T.ok(again, login .. " refused again while message 2 still counts (the window slides, "
			.. "it is not reset)" .. (again and "" or "\n" .. l))
	else
		print(string.format("# %s: message 2 had its %d s before the check (%.3f s): "
			.. "not checked", login, PER, a - t2))
	end
	return true
end

T.run(function()
	-- (a) per-login in a sliding window of 2 s
	local conclusive = false
	for _, login in ipairs(LOGINS_A) do
		if per_login_try(login) then
			conclusive = true
			break
		end
	end
	T.ok(conclusive, "(a) four messages fitted in the 2 s window on one of "
		.. #LOGINS_A .. " tries")

	-- (b) recipients = 3 per login, listener "rcpt"
	local RDETAIL = "limit=per-login-rcpt key=login:jdoe recipients=3/3 per=3600 store=memory"
	message("(b) jdoe, 5 recipients", { daemon = "rcpt", login = "jdoe",
		from = "<john.doe@acme.com>",
		rcpts = { { "<r1@remote.example>" }, { "<r2@acme.com>" }, { "<r3@remote.example>" },
			{ "<r4@remote.example>", over(RDETAIL) }, { "<r5@acme.com>", over(RDETAIL) } } })
	-- "John Doe" is jdoe in the directory: the same counter
	message("(b) John Doe, the next message", { daemon = "rcpt", login = "John Doe",
		from = "<john.doe@acme.com>", rcpts = { { "<r6@remote.example>", over(RDETAIL) } } })
	message("(b) asmith is unaffected", { daemon = "rcpt", login = "asmith",
		from = "<alice.smith@acme.com>",
		rcpts = { { "<r1@remote.example>" }, { "<r2@remote.example>" }, { "<r3@remote.example>" },
			{ "<r4@remote.example>", over("limit=per-login-rcpt key=login:asmith recipients=3/3 "
				.. "per=3600 store=memory") } } })
	local many = {}
	for i = 1, 8 do many[i] = { "<s" .. i .. "@remote.example>" } end
	for m = 1, 2 do
		for _, line in ipairs(message("(b) scanner is exempt, message " .. m, { daemon = "rcpt",
			login = "scanner", from = "<scanner@acme.com>", rcpts = many })) do
			T.check(not T.has(line, "rate_limit") and not T.has(line, " detail="),
				"(b) scanner's recipient logged with no rate limit: " .. line)
		end
	end

	-- (c) per-client (2 a hour) beside client-login (1 a hour), listener "client"
	local IP = "198.51.100.7"
	local CDETAIL = "limit=per-client key=client:" .. IP .. " messages=2/2 per=3600 store=memory"
	message("(c) jdoe from " .. IP, { daemon = "client", ip = IP, login = "jdoe",
		from = "<john.doe@acme.com>", rcpts = { { "<x@remote.example>" } } })
	message("(c) jdoe again: over client-login, counts for neither", { daemon = "client", ip = IP,
		login = "jdoe", from = "<john.doe@acme.com>", rcpts = { { "<x@remote.example>",
			over("limit=client-login key=login:jdoe messages=1/1 per=3600 store=memory") } } })
	message("(c) asmith from " .. IP .. ": the client's second message", { daemon = "client",
		ip = IP, login = "asmith", from = "<alice.smith@acme.com>",
		rcpts = { { "<x@remote.example>" } } })
	message("(c) unauthenticated from " .. IP .. ": its third", { daemon = "client", ip = IP,
		from = "<someone@other.example>", rcpts = { { "<jd@acme.com>", over(CDETAIL) } } })
	message("(c) mary from " .. IP .. " too", { daemon = "client", ip = IP, login = "mary",
		from = "<mary@acme.com>", rcpts = { { "<x@remote.example>", over(CDETAIL) } } })
	message("(c) another client passes", { daemon = "client", ip = "198.51.100.8",
		from = "<someone@other.example>", rcpts = { { "<jd@acme.com>" } } })
	-- IPv6: one counter per /64
	for _, ip in ipairs({ "2001:db8:1:2::5", "2001:db8:1:2:ffff::9" }) do
		message("(c) " .. ip, { daemon = "client", ip = ip, from = "<someone@other.example>",
			rcpts = { { "<jd@acme.com>" } } })
	end
	message("(c) 2001:db8:1:2::77, the /64's third", { daemon = "client", ip = "2001:db8:1:2::77",
		from = "<someone@other.example>", rcpts = { { "<jd@acme.com>",
			over("limit=per-client key=client:2001:db8:1:2::/64 messages=2/2 per=3600 store=memory") } } })
	message("(c) another /64 passes", { daemon = "client", ip = "2001:db8:1:3::5",
		from = "<someone@other.example>", rcpts = { { "<jd@acme.com>" } } })

	-- (d) per-sender (1 a hour), listener "sender"
	message("(d) Boss@Other.example", { daemon = "sender", from = "<Boss@Other.example>",
		rcpts = { { "<jd@acme.com>" } } })
	message("(d) boss@other.example is the same sender", { daemon = "sender",
		from = "<boss@other.example>", rcpts = { { "<jd@acme.com>",
			over("limit=per-sender key=sender:boss@other.example messages=1/1 per=3600 "
				.. "store=memory") } } })
	message("(d) another sender passes", { daemon = "sender", from = "<clerk@other.example>",
		rcpts = { { "<jd@acme.com>" } } })
	message("(d) the null sender", { daemon = "sender", from = "<>",
		rcpts = { { "<jd@acme.com>" } } })
	message("(d) the null sender again", { daemon = "sender", from = "<>",
		rcpts = { { "<jd@acme.com>",
			over("limit=per-sender key=sender:<> messages=1/1 per=3600 store=memory") } } })
	local unauth = {}
	for i = 1, 6 do unauth[i] = { "<u" .. i .. "@acme.com>" } end
	message("(d) no login: the login limit does not apply", { daemon = "rcpt",
		from = "<someone@other.example>", rcpts = unauth })

	-- (e) exempt_hosts: 10.1.1.0/24 and the group AppServers (app1.acme.com)
	for i = 1, 3 do
		message("(e) 10.1.1.5, message " .. i, { daemon = "exempt", ip = "10.1.1.5",
			from = "<someone@other.example>", rcpts = { { "<jd@acme.com>" } } })
	end
	for i = 1, 3 do
		local conn = T.connect("app1.acme.com", "203.0.113.9", macros("exempt"))
		T.mail(conn, "(e) app1.acme.com, message " .. i .. ": MAIL", "<someone@other.example>")
		T.rcpt(conn, "(e) app1.acme.com, message " .. i, "<jd@acme.com>")
		T.close(conn)
	end
	message("(e) another client, message 1", { daemon = "exempt", ip = "203.0.113.10",
		from = "<someone@other.example>", rcpts = { { "<jd@acme.com>" } } })
	message("(e) another client, message 2", { daemon = "exempt", ip = "203.0.113.10",
		from = "<someone@other.example>", rcpts = { { "<jd@acme.com>",
			over("limit=exempt-client key=client:203.0.113.10 messages=1/1 per=3600 "
				.. "store=memory") } } })

	-- (f) report_only
	message("(f) jdoe's first message", { daemon = "report", login = "jdoe",
		from = "<john.doe@acme.com>", rcpts = { { "<x@remote.example>" } } })
	local conn = T.connect("client.example", "192.0.2.10", macros("report"))
	T.mail(conn, "(f) jdoe's second: MAIL", "<john.doe@acme.com>", { auth = "jdoe" })
	T.rcpt(conn, "(f) jdoe's second, over: would-reject", "<x@remote.example>",
		{ decision = "would-reject", reply = OVER, contains = { " rule=rate_limit ",
			' detail="limit=report-login key=login:jdoe messages=1/1 per=3600 store=memory"' } })
	T.eom(conn, "(f) the message is tagged",
		{ header = { "X-Relaywarden", "would-reject rule=rate_limit" } })
	T.close(conn)
end)

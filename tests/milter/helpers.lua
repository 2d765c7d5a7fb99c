-- tests/milter/helpers.lua - shared steps and assertions for the t-*.lua
-- miltertest scripts (not a test itself: the runner runs t-*.lua only).
--
-- The runner (tests/run-itests.sh) starts one relaywarden per script and
-- passes, with miltertest -D: sock (its unix socket), log (its stderr),
-- pid, policy (the running policy file, writable), tmp (the private temp
-- dir), fixtures (tests/milter/policies), lib (tests/lib/milter.sh) and
-- helpers (this file). Load with:  local T = dofile(helpers)
--
-- miltertest's mt.getreply() gives the reply *command* only (SMFIR_CONTINUE,
-- SMFIR_REPLYCODE, ...); it cannot show the text of a reply set with
-- smfi_setreply at MAIL or RCPT (its MT_SMTPREPLY check covers EOM only).
-- So every step here also reads the milter's one decision line for that
-- step and checks its reply="CODE X.Y.Z text" field exactly, and
-- t-wire.lua checks the bytes on the wire with the raw client of
-- tests/lib/milter.sh. Each step must produce exactly one decision line.
--
-- Every failed check raises (T.check only counts); T.run prints
-- "FAIL: ..." with a traceback and exits 1. Passing checks print "ok - ...".

local T = {}

T.RELAY = "554 5.7.1 Relay rejected for policy reasons."
T.NOT_OWNED = "550 5.7.1 Sender address rejected: not owned by authenticated user"
T.ERROR_LIMIT = "421 4.7.0 SMTP service not available, closing transmission channel."

local log_pos = 0

local function readall(path)
	local f = io.open(path, "r")
	if f == nil then return "" end
	local s = f:read("*a")
	f:close()
	return s or ""
end

function T.fail(msg)
	error(msg, 2)
end

function T.ok(cond, desc)
	if not cond then
		error("not ok - " .. desc, 2)
	end
	print("ok - " .. desc)
end

-- Like T.ok, but a failure is counted and the script goes on; T.run fails
-- at the end if any T.check failed.
T.failed = 0
function T.check(cond, desc)
	if cond then
		print("ok - " .. desc)
	else
		print("not ok - " .. desc)
		T.failed = T.failed + 1
	end
	return cond
end

function T.has(haystack, needle)
	return string.find(haystack, needle, 1, true) ~= nil
end

-- Log helpers ------------------------------------------------------------

-- Remembers where the log ends now; T.log_new() returns what came after.
function T.log_mark()
	log_pos = #readall(log)
end

function T.log_new()
	local s = readall(log)
	return string.sub(s, log_pos + 1)
end

function T.log_all()
	return readall(log)
end

local function lines_of(text)
	local out = {}
	for line in string.gmatch(text, "[^\n]+") do
		out[#out + 1] = line
	end
	return out
end

-- The decision lines (key=value audit lines) written since the mark.
function T.decisions_since_mark()
	local out = {}
	for _, line in ipairs(lines_of(T.log_new())) do
		if T.has(line, " decision=") then
			out[#out + 1] = line
		end
	end
	return out
end

-- Waiting: always for a condition (a log line, a reply), never for a time
-- that happens to be long enough here. A deadline (T.DEADLINE s unless
-- given, on the wall clock) only ever turns a hang into a failure.
T.DEADLINE = 30

-- Calls fn every 50 ms until it returns true (then true), or false once
-- timeout seconds have passed (fn is asked once more at the deadline).
function T.wait_until(fn, timeout)
	local deadline = os.time() + (timeout or T.DEADLINE) + 1  -- os.time() counts whole seconds
	while os.time() < deadline do
		if fn() then return true end
		mt.sleep(0.05)
	end
	return fn() and true or false
end

-- How many times text occurs in the whole milter log.
function T.count_log(text)
	local n, from = 0, 1
	local all = T.log_all()
	while true do
		local s, e = string.find(all, text, from, true)
		if s == nil then return n end
		n, from = n + 1, e + 1
	end
end

-- Waits until text occurs at least n times in the log; fails otherwise.
function T.wait_log_count(text, n, timeout)
	if T.wait_until(function() return T.count_log(text) >= n end, timeout) then return true end
	T.fail("the log never held " .. n .. " times [" .. text .. "]")
end

-- Waits until text appears in the log after the mark; false at the deadline.
function T.wait_log(text, timeout)
	return T.wait_until(function() return T.has(T.log_new(), text) end, timeout)
end

-- Milter protocol steps ----------------------------------------------------

local function must(err, what)
	if err ~= nil then
		error(what .. " failed: " .. tostring(err), 3)
	end
end

local reply_names = {}
local function name_reply(code)
	if next(reply_names) == nil then
		for _, n in ipairs({ "SMFIR_CONTINUE", "SMFIR_ACCEPT", "SMFIR_REJECT",
			"SMFIR_TEMPFAIL", "SMFIR_DISCARD", "SMFIR_REPLYCODE" }) do
			if _G[n] ~= nil then reply_names[_G[n]] = n end
		end
	end
	return reply_names[code] or string.format("reply %s (%q)", tostring(code),
		type(code) == "number" and string.char(code) or "?")
end
T.name_reply = name_reply

-- Opens a session: connect macros ({daemon_name}=smtp unless macros is
-- false, or the table given), then the client's host name and IP.
-- The milter answers CONTINUE at connect in every scenario of this suite.
function T.connect(host, ip, macros)
	local conn = mt.connect("unix:" .. sock, 40, 0.25)
	if conn == nil then
		T.fail("mt.connect(unix:" .. sock .. ") failed")
	end
	if macros == nil then
		macros = { "{daemon_name}", "smtp" }
	end
	if macros ~= false and #macros > 0 then
		must(mt.macro(conn, SMFIC_CONNECT, table.unpack(macros)), "mt.macro(CONNECT)")
	end
	T.log_mark()
	must(mt.conninfo(conn, host, ip), "mt.conninfo")
	local r = mt.getreply(conn)
	if r ~= SMFIR_CONTINUE then
		T.fail("connect " .. tostring(host) .. "[" .. tostring(ip) .. "]: expected SMFIR_CONTINUE, got "
			.. name_reply(r))
	end
	return conn
end

-- Opens a session the milter may refuse at CONNECT (connection controls,
-- DNS lists). want as for T.mail (stage "connect"); want.line = false
-- when an accepted connect writes no decision line (no rule involved).
-- Returns the connection (nil after a refusal: the MTA would not go on).
function T.connect_expect(desc, host, ip, want, macros)
	local conn = mt.connect("unix:" .. sock, 40, 0.25)
	if conn == nil then
		T.fail("mt.connect(unix:" .. sock .. ") failed")
	end
	macros = macros or { "{daemon_name}", "smtp" }
	must(mt.macro(conn, SMFIC_CONNECT, table.unpack(macros)), "mt.macro(CONNECT)")
	T.log_mark()
	must(mt.conninfo(conn, host, ip), "mt.conninfo")
	local got = mt.getreply(conn)
	want = want or {}
	want.stage = "connect"
	want.decision = want.decision or (want.reply and "reject" or "accept")
	if want.line == false then
		if got ~= SMFIR_CONTINUE or #T.decisions_since_mark() ~= 0 then
			T.fail(desc .. ": expected a silent SMFIR_CONTINUE, got " .. name_reply(got)
				.. "\n" .. T.log_new())
		end
		print("ok - " .. desc .. " -> continue")
		return conn
	end
	T.expect(conn, desc, got, want)
	if want.reply ~= nil and want.decision ~= "would-reject" then
		mt.disconnect(conn)
		return nil
	end
	return conn
end

-- Body and end of message: want.reply for a refusal at EOM (stage
-- "message"); want.header = { name, value } for a header the milter must
-- have added.
function T.eom(conn, desc, want)
	want = want or {}
	must(mt.header(conn, "From", "<x@example.org>"), "mt.header")
	must(mt.eoh(conn), "mt.eoh")
	T.check(mt.getreply(conn) == SMFIR_CONTINUE, desc .. ": end of headers continued")
	must(mt.bodystring(conn, want.body or "Hello.\r\n"), "mt.bodystring")
	T.check(mt.getreply(conn) == SMFIR_CONTINUE, desc .. ": body continued")
	T.log_mark()
	must(mt.eom(conn), "mt.eom")
	local got = mt.getreply(conn)
	if want.reply ~= nil then
		want.stage = "message"
		want.decision = want.decision or "reject"
		return T.expect(conn, desc, got, want)
	end
	if got ~= SMFIR_CONTINUE and got ~= SMFIR_ACCEPT then
		T.fail(desc .. ": end of message: expected CONTINUE, got " .. name_reply(got))
	end
	if want.header ~= nil then
		T.ok(mt.eom_check(conn, MT_HDRADD, want.header[1], want.header[2]),
			desc .. ": header " .. want.header[1] .. ": " .. want.header[2])
	else
		print("ok - " .. desc .. " -> continue")
	end
end

-- How many queries for name (no trailing dot) the private unbound logged.
function T.dns_queries(name)
	local n = 0
	for line in string.gmatch(readall(dnslog), "[^\n]+") do
		if string.find(string.lower(line), " " .. string.lower(name) .. ". ", 1, true) then
			n = n + 1
		end
	end
	return n
end

-- Sends MAIL FROM with the MAIL-stage macros: i=qid (unless qid is false)
-- and {auth_authen}=auth (when auth is a string).
function T.send_mail(conn, from, auth, qid, args)
	local m = {}
	if qid ~= false then
		m[#m + 1] = "i"
		m[#m + 1] = qid or "TESTQID"
	end
	if auth ~= nil then
		m[#m + 1] = "{auth_authen}"
		m[#m + 1] = auth
	end
	if #m > 0 then
		must(mt.macro(conn, SMFIC_MAIL, table.unpack(m)), "mt.macro(MAIL)")
	end
	T.log_mark()
	must(mt.mailfrom(conn, from, table.unpack(args or {})), "mt.mailfrom(" .. from .. ")")
	return mt.getreply(conn)
end

function T.send_rcpt(conn, rcpt)
	T.log_mark()
	must(mt.rcptto(conn, rcpt), "mt.rcptto")
	return mt.getreply(conn)
end

-- Checks the one decision line written for the step just sent.
--   want.decision  "accept" | "reject" | "tempfail" | "would-reject"
--   want.stage     "connect" | "mail" | "rcpt" | "message"
--   want.reply     exact "CODE X.Y.Z text", or nil for none
--   want.contains  list of further exact substrings
local function check_line(desc, want)
	local lines = T.decisions_since_mark()
	if #lines ~= 1 then
		T.fail(desc .. ": expected exactly one decision line in the log, found " .. #lines
			.. ":\n" .. table.concat(lines, "\n"))
	end
	local line = lines[1]
	local function need(sub)
		if not T.has(line, sub) then
			T.fail(desc .. ": the decision line lacks [" .. sub .. "]:\n" .. line)
		end
	end
	need(" decision=" .. want.decision .. " ")
	need(" stage=" .. want.stage .. " ")
	if want.reply ~= nil then
		-- The field is the whole quoted value: reply="..." then space or EOL.
		local field = ' reply="' .. want.reply .. '"'
		local s, e = string.find(line, field, 1, true)
		if s == nil or (e < #line and string.sub(line, e + 1, e + 1) ~= " ") then
			T.fail(desc .. ": expected the reply field [" .. field .. "] in:\n" .. line)
		end
	elseif T.has(line, " reply=") then
		T.fail(desc .. ": expected no reply field in:\n" .. line)
	end
	for _, sub in ipairs(want.contains or {}) do
		need(sub)
	end
	return line
end

function T.expect(conn, desc, got, want)
	local ok_code
	if want.reply == nil or want.decision == "would-reject" then
		ok_code = SMFIR_CONTINUE
	else
		ok_code = SMFIR_REPLYCODE
	end
	if got ~= ok_code then
		T.fail(desc .. ": expected " .. name_reply(ok_code) .. ", got " .. name_reply(got)
			.. "\nlog since the step:\n" .. T.log_new())
	end
	local line = check_line(desc, want)
	if want.reply ~= nil and want.decision ~= "would-reject" then
		print("ok - " .. desc .. " -> " .. want.reply)
	else
		print("ok - " .. desc .. " -> " .. (want.decision == "accept" and "continue" or want.decision))
	end
	return line
end

-- MAIL FROM; want as for check_line plus want.auth / want.qid (see
-- send_mail). want.decision defaults to "accept" (or "reject" when
-- want.reply is set).
function T.mail(conn, desc, from, want)
	want = want or {}
	want.stage = "mail"
	want.decision = want.decision or (want.reply and "reject" or "accept")
	local got = T.send_mail(conn, from, want.auth, want.qid, want.args)
	return T.expect(conn, desc, got, want)
end

function T.rcpt(conn, desc, rcpt, want)
	want = want or {}
	want.stage = "rcpt"
	want.decision = want.decision or (want.reply and "reject" or "accept")
	local got = T.send_rcpt(conn, rcpt)
	return T.expect(conn, desc, got, want)
end

-- End of headers, after the headers were sent: want nil = continue with no
-- decision line (with contains: exactly one accept line, holding each of
-- contains), else the exact reply of the one stage=header decision line,
-- which holds each string of contains. Returns the reply code.
function T.eoh_expect(conn, desc, want, contains)
	T.log_mark()
	if mt.eoh(conn) ~= nil then T.fail(desc .. ": mt.eoh failed") end
	local got = mt.getreply(conn)
	local lines = T.decisions_since_mark()
	local line = lines[1] or ""
	local ok
	if want == nil then
		ok = got == SMFIR_CONTINUE and #lines == (contains and 1 or 0)
		want = "continue"
	else
		ok = got == SMFIR_REPLYCODE and #lines == 1 and T.has(line, " stage=header ")
			and T.has(line, ' reply="' .. want .. '"')
	end
	for _, sub in ipairs(contains or {}) do ok = ok and T.has(line, sub) end
	T.ok(ok, desc .. " -> " .. want .. " (got " .. T.name_reply(got) .. ")\n"
		.. table.concat(lines, "\n"))
	return got
end

function T.close(conn)
	mt.disconnect(conn)
end

-- One whole transaction on a fresh connection.
--   t.host, t.ip, t.auth, t.from, t.rcpt, t.mail (want for MAIL),
--   t.want (want for RCPT; omitted when the MAIL is refused)
function T.transaction(desc, t)
	local conn = T.connect(t.host or "abc.com", t.ip or "10.10.1.8", t.connect_macros)
	local mw = t.mail or {}
	mw.auth = mw.auth or t.auth
	T.mail(conn, desc .. ": MAIL FROM:" .. t.from, t.from, mw)
	if t.rcpt ~= nil then
		T.rcpt(conn, desc .. ": RCPT TO:" .. t.rcpt, t.rcpt, t.want)
	end
	T.close(conn)
end

-- Process helpers -------------------------------------------------------

function T.shell_quote(s)
	return "'" .. string.gsub(s, "'", "'\\''") .. "'"
end

function T.signal(name)
	local ok = os.execute("kill -" .. name .. " " .. pid)
	if ok ~= true and ok ~= 0 then
		T.fail("kill -" .. name .. " " .. pid .. " failed")
	end
end

-- True while the milter runs (a zombie, not yet reaped by the runner's
-- shell, counts as dead).
function T.alive()
	local f = io.open("/proc/" .. pid .. "/stat", "r")
	if f == nil then return false end
	local stat = f:read("*a") or ""
	f:close()
	local state = string.match(stat, "^%d+ %b() (%a)")
	return state ~= nil and state ~= "Z" and state ~= "X"
end

-- Writes a file whole: into path .. ".tmp", then rename(2) over path. A
-- reader - the milter's mtime check polls every config_update_interval -
-- sees the old file or the new one, never a truncated or half-written one.
function T.write_file(path, text)
	local tmp = path .. ".tmp"
	local f = assert(io.open(tmp, "w"))
	assert(f:write(text))
	assert(f:close())
	assert(os.rename(tmp, path))
end

function T.file_exists(path)
	local f = io.open(path, "r")
	if f then f:close() return true end
	return false
end

-- Runs rw_raw from tests/lib/milter.sh (see there) and returns its lines.
function T.raw(host, ip, auth, from, rcpts)
	local args = { T.shell_quote(sock), T.shell_quote(host), T.shell_quote(ip),
		T.shell_quote(auth or ""), T.shell_quote(from) }
	for _, r in ipairs(rcpts) do args[#args + 1] = T.shell_quote(r) end
	local cmd = "bash -c " .. T.shell_quote('. "$0" && rw_raw "$@"') .. " "
		.. T.shell_quote(lib) .. " " .. table.concat(args, " ") .. " 2>&1"
	local p = assert(io.popen(cmd, "r"))
	local out = p:read("*a")
	p:close()
	return lines_of(out), out
end

-- Runs fn; on any error prints it with a traceback and exits 1.
function T.run(fn)
	local ok, err = xpcall(fn, debug.traceback)
	if ok and T.failed > 0 then
		ok, err = false, T.failed .. " check(s) failed"
	end
	if not ok then
		print("FAIL: " .. tostring(err))
		io.stdout:flush()
		os.exit(1)
	end
	io.stdout:flush()
end

return T

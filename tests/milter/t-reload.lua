-- policy: enforce-none.conf
-- Scenario i: reload on SIGUSR1 (DESIGN §6). A file that fails validation
-- is refused with its FILE:LINE: KEY: problem lines and the running policy
-- stays in force; a good file replaces it for new connections, while a
-- connection keeps the policy snapshot it started with.
local T = dofile(helpers)

-- A complete policy; enforce and an optional extra line vary.
local function policy_text(enforce, broken_line)
	return table.concat({
		"# written by t-reload.lua",                          -- 1
		'milter = { socket = "unix:/run/relaywarden/x.sock"; };', -- 2
		"config_update_interval = 0;",                        -- 3
		'local_domains = [ "acme.com" ];',                    -- 4
		"relay = {",                                          -- 5
		'  enforce = "' .. enforce .. '";',                   -- 6
		'  deny_to_domains = [ "*" ];',                       -- 7
		'  deny_from_hosts = [ "*" ];',                       -- 8
		broken_line or "  deny_wins = false;",                -- 9
		"};",                                                 -- 10
		'directory = { file = "directory.conf"; };',          -- 11
		"" }, "\n")
end

local function reload_and_wait(desc, marker)
	T.log_mark()
	T.signal("USR1")
	T.ok(T.wait_log(marker), desc .. ": the log says [" .. marker .. "]\n" .. T.log_new())
end

local function relay_attempt(desc, want)
	T.transaction(desc, { host = "abc.com", ip = "10.10.1.8", from = "<bogus.user@bogus.com>",
		rcpt = "<john.doe@ibm.com>", want = want })
end

local OFF = { contains = { 'reason="anti-relay enforcement is off"' } }

T.run(function()
	relay_attempt("i. start: enforce = none, relay accepted", OFF)

	-- 1. two values the loader refuses, at known lines: every error is logged
	T.write_file(policy, policy_text("sometimes", '  deny_wins = "no";'))
	reload_and_wait("i. invalid value", "reload of " .. policy .. " failed")
	local new = T.log_new()
	T.ok(T.has(new, "[err]: " .. policy .. ":6: relay.enforce: ") and T.has(new, '"sometimes"'),
		"i. the error is reported as " .. policy .. ":6: relay.enforce: ...\n" .. new)
	T.ok(T.has(new, "[err]: " .. policy .. ":9: relay.deny_wins: "),
		"i. so is the second one, " .. policy .. ":9: relay.deny_wins: ...")
	T.ok(T.has(new, "reload of " .. policy .. " failed; the running policy stays in force"),
		"i. the log says the running policy stays in force")
	relay_attempt("i. after the failed reload, a new connection: still accepted", OFF)

	-- 2. a syntax error
	T.write_file(policy, policy_text("external", "  deny_wins = = false;"))
	reload_and_wait("i. syntax error", "reload of " .. policy .. " failed")
	new = T.log_new()
	T.ok(T.has(new, "[err]: " .. policy .. ":9: syntax error"),
		"i. the syntax error is reported as " .. policy .. ":9: syntax error ...\n" .. new)
	relay_attempt("i. after the syntax error, a new connection: still accepted", OFF)

	-- 3. a good file; a connection opened before it keeps the old snapshot
	local old = T.connect("abc.com", "10.10.1.8")
	T.write_file(policy, policy_text("external"))
	reload_and_wait("i. good file", "policy reloaded from " .. policy)
	T.ok(not T.has(T.log_new(), "[err]"), "i. the good file loads without errors")
	relay_attempt("i. after the good reload, a new connection: 554", { reply = T.RELAY })
	T.mail(old, "i. connection opened before the reload: MAIL", "<bogus.user@bogus.com>")
	T.rcpt(old, "i. connection opened before the reload keeps enforce = none", "<john.doe@ibm.com>", OFF)
	T.close(old)

	-- 4. and back again, to show a reload is not a one-off
	T.write_file(policy, policy_text("none"))
	reload_and_wait("i. second good file", "policy reloaded from " .. policy)
	relay_attempt("i. after the second reload: accepted again", OFF)
end)

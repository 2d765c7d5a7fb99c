-- policy: autoreload.conf
-- Without a signal, the policy file and the directory file are re-read when
-- their mtime changes, checked every config_update_interval seconds (here
-- 1; DESIGN §6). A new user in the directory file becomes known to new
-- connections; a broken directory file keeps the running directory.
local T = dofile(helpers)

local directory = tmp .. "/directory.conf"

local function users(extra)
	return table.concat({
		"users = (",
		'  { login = "jdoe"; names = [ "John Doe" ];',
		'    addresses = [ "john.doe@acme.com", "jd@acme.com" ]; send_as = [ "sales@acme.com" ]; }' ..
			(extra and "," or ""),
		extra or "",
		");", "" }, "\n")
end

local function wait_for(desc, marker)
	T.ok(T.wait_log(marker), desc .. ": the log says [" .. marker .. "]\n" .. T.log_new())
end

T.run(function()
	T.transaction("auto: bsmith is not in the directory yet", { auth = "bsmith",
		from = "<b.smith@acme.com>", mail = { reply = T.NOT_OWNED,
			contains = { 'reason="authenticated user not in directory"' } } })

	-- a broken directory file: errors logged, the running directory stays
	T.log_mark()
	T.write_file(directory, users('  { login = "bsmith"; addresses = [ "not-an-address" ]; }'))
	wait_for("auto: broken directory file", "reload of " .. policy .. " failed")
	T.ok(T.has(T.log_new(), directory .. ":4: users.addresses: "),
		"auto: the directory error names " .. directory .. ":4: users.addresses\n" .. T.log_new())
	T.transaction("auto: still unknown after the failed reload", { auth = "bsmith",
		from = "<b.smith@acme.com>", mail = { reply = T.NOT_OWNED } })
	T.transaction("auto: jdoe still works after the failed reload", { auth = "jdoe",
		from = "<john.doe@acme.com>", rcpt = "<x@ibm.com>", want = {} })

	-- a good directory file
	T.log_mark()
	T.write_file(directory, users('  { login = "bsmith"; addresses = [ "b.smith@acme.com" ]; }'))
	wait_for("auto: directory changed", "policy reloaded from " .. policy)
	T.transaction("auto: bsmith is known after the reload", { auth = "bsmith",
		from = "<b.smith@acme.com>", rcpt = "<x@ibm.com>", want = {} })

	-- the policy file itself
	T.log_mark()
	local f = assert(io.open(policy, "r"))
	local text = f:read("*a")
	f:close()
	local changed, count = string.gsub(text, 'enforce = "external";', 'enforce = "none";')
	T.ok(count == 1, "auto: the fixture has one enforce line to change")
	T.write_file(policy, changed)
	wait_for("auto: policy changed", "policy reloaded from " .. policy)
	T.transaction("auto: enforce = none after the policy changed", { from = "<a@b.example>",
		rcpt = "<x@ibm.com>", want = { contains = { 'reason="anti-relay enforcement is off"' } } })
end)

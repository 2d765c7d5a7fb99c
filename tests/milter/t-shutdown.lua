-- policy: closed.conf
-- stops-milter: yes
-- SIGTERM (systemd's stop) shuts the milter down cleanly: libmilter's
-- signal thread stops smfi_main, main logs "relaywarden stopping" and the
-- process exits. libmilter polls every 5 s, so this may take that long.
-- (SIGHUP stops it too, as libmilter decides; reload is SIGUSR1: t-reload.)
local T = dofile(helpers)

T.run(function()
	T.transaction("shutdown: the milter answers before", { from = "<bogus.user@bogus.com>",
		rcpt = "<john.doe@ibm.com>", want = { reply = T.RELAY } })
	T.log_mark()
	T.signal("TERM")
	-- libmilter polls every 5 s; the deadline (T.DEADLINE) only fails
	local stopped = false
	T.wait_until(function()
		stopped = T.has(T.log_new(), "relaywarden stopping")
		return stopped or not T.alive()
	end)
	stopped = T.has(T.log_new(), "relaywarden stopping")
	T.ok(stopped, "SIGTERM: the milter logs \"relaywarden stopping\" (a clean shutdown, "
		.. "not death by the signal)\nlog after SIGTERM:\n" .. T.log_new())
	T.wait_until(function() return not T.alive() end)
	T.ok(not T.alive(), "SIGTERM: the process has exited")
end)

-- policy: max-sessions.conf
-- SMTPMaxSessions: connection.max_sessions = 2 counts live sessions across
-- all threads; the third concurrent one gets Domino's 421, and a closed
-- session frees its place.
local T = dofile(helpers)
local BUSY = "421 4.7.0 Too many sessions, try again later."

T.run(function()
	local a = T.connect("mx1.other.example", "192.0.2.31")
	local b = T.connect("mx2.other.example", "192.0.2.32")
	T.connect_expect("third concurrent session", "mx3.other.example", "192.0.2.33",
		{ decision = "tempfail", reply = BUSY, contains = { " rule=max_sessions ",
		  'detail="sessions=3 max=2"' } })
	T.mail(a, "the first session still works", "<someone@other.example>")
	T.close(b)
	-- libmilter runs the close callback after the MTA's QUIT, on its own
	-- time: ask again until a new session is let in (the deadline only fails)
	local conn
	T.wait_until(function()
		conn = mt.connect("unix:" .. sock, 40, 0.25)
		mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "smtp")
		mt.conninfo(conn, "mx4.other.example", "192.0.2.34")
		if mt.getreply(conn) == SMFIR_CONTINUE then return true end
		mt.disconnect(conn)
		conn = nil
		return false
	end)
	T.ok(conn ~= nil, "a closed session frees its place")
	T.close(a)
	if conn then T.close(conn) end
end)

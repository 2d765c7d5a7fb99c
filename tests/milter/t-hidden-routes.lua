-- policy: closed.conf
-- Scenario h: a recipient in a local domain whose local part hides another
-- destination is judged by that destination, and with
-- relay.hidden_routes = "reject" (the default) refused as a relay attempt
-- (DESIGN §2 step 5). From an external, unauthenticated host.
local T = dofile(helpers)

T.run(function()
	local conn = T.connect("abc.com", "10.10.1.8")
	T.mail(conn, "h. MAIL FROM:<bogus.user@bogus.com>", "<bogus.user@bogus.com>")
	-- control: the plain local recipient passes
	T.rcpt(conn, "h. control RCPT TO:<user@acme.com>", "<user@acme.com>",
		{ contains = { 'reason="local recipient"' } })
	local hidden = {
		{ "percent hack", "<user%evil.com@acme.com>" },
		{ "bang path", "<evil.com!user@acme.com>" },
		{ "quoted @", '<"user@evil.com"@acme.com>' },
		{ "source route", "<@evil.com:user@acme.com>" },
		{ "two-hop source route", "<@evil.com,@other.example:user@acme.com>" },
		{ "percent hack, upper case", "<USER%EVIL.COM@ACME.COM>" },
		{ "nested percent hack", "<user%evil.com%acme.com@acme.com>" },
	}
	for _, h in ipairs(hidden) do
		T.rcpt(conn, "h. " .. h[1] .. " RCPT TO:" .. h[2], h[2],
			{ reply = T.RELAY, contains = { " rule=relay ",
				'reason="relay denied: hidden route in local recipient"' } })
	end
	-- the destination the log names is the hidden one
	T.rcpt(conn, "h. percent hack names evil.com", "<user%evil.com@acme.com>",
		{ reply = T.RELAY, contains = { 'detail="destination=evil.com"' } })
	T.rcpt(conn, "h. bang path names evil.com", "<evil.com!user@acme.com>",
		{ reply = T.RELAY, contains = { 'detail="destination=evil.com"' } })
	T.rcpt(conn, "h. source route names its first hop", "<@evil.com,@other.example:user@acme.com>",
		{ reply = T.RELAY, contains = { 'detail="destination=evil.com"' } })
	T.close(conn)
end)

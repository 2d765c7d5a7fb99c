-- policy: require-auth.conf
-- Domino's SMTP Inbound Site "Anonymous: No / Name & password: Yes" on the
-- submission listener (connection.require_auth in a profile keyed by
-- {daemon_name}): an unauthenticated session is refused at MAIL FROM with
-- 530 5.7.0, except hosts in connection.anonymous_hosts
-- (SMTPAllowConnectionsAnonymous=1), here also by a named group holding a
-- group.
local T = dofile(helpers)

local AUTH_REQUIRED = "530 5.7.0 Authentication required"
local SUB = { "{daemon_name}", "submission" }

local function mail_case(desc, host, ip, macros, auth, want)
	local conn = T.connect(host, ip, macros)
	want.auth = auth
	T.mail(conn, desc, "<john.doe@acme.com>", want)
	T.close(conn)
end

T.run(function()
	mail_case("port 25 (no profile): unauthenticated MAIL goes on", "abc.com", "10.10.1.8", nil,
		nil, {})
	mail_case("submission: unauthenticated MAIL is refused", "abc.com", "10.10.1.8", SUB, nil,
		{ reply = AUTH_REQUIRED, contains = { " rule=require_auth ",
			'reason="authentication required"' } })
	mail_case("submission: authenticated MAIL goes on", "abc.com", "10.10.1.8", SUB, "jdoe",
		{ contains = { " auth=jdoe " } })
	mail_case("submission: 10.10.1.9 is in anonymous_hosts", "abc.com", "10.10.1.9", SUB, nil,
		{})
	mail_case("submission: app1.acme.com through the group AppServers", "app1.acme.com",
		"10.10.3.3", SUB, nil, {})
	mail_case("submission: 10.10.2.7 through AppServers' group Scanners", "unknown",
		"10.10.2.7", SUB, nil, {})
	mail_case("submission: its neighbour 10.10.3.7 is not", "unknown", "10.10.3.7", SUB, nil,
		{ reply = AUTH_REQUIRED })
	mail_case("require_auth_reply overrides the text", "abc.com", "10.10.1.8",
		{ "{daemon_name}", "custom" }, nil,
		{ reply = "550 5.7.1 Use port 587 with a password" })
	-- the login is kept for the session: a second MAIL without the macro passes
	local conn = T.connect("abc.com", "10.10.1.8", SUB)
	T.mail(conn, "submission: first MAIL authenticated", "<john.doe@acme.com>", { auth = "jdoe" })
	T.mail(conn, "submission: second MAIL of the session, login kept", "<john.doe@acme.com>", {})
	T.close(conn)
end)

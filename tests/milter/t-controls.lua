-- policy: controls.conf
-- DESIGN §1/§3 connection, sender and recipient controls, in §3's order,
-- and per-listener profiles chosen by the {daemon_name} macro.
local T = dofile(helpers)

local CONN = "554 5.7.1 Connection refused for policy reasons."
local SYNTAX = "501 5.1.7 Address must be enclosed in angle brackets."
local SIZE = "552 5.3.4 Message size exceeds fixed maximum message size"
local PROTECT = "550 5.7.1 Sender address rejected: authentication required"
local RCPT_POLICY = "550 5.7.1 Recipient rejected for policy reasons."
local function sender_policy(addr)
	return "554 5.7.1 Mail from <" .. addr .. "> rejected for policy reasons."
end

T.run(function()
	-- connection.deny_hosts: by address (v4 and v6) and by verified name
	T.connect_expect("deny_hosts by IPv4 address", "mx.other.example", "192.0.2.66",
		{ reply = CONN, contains = { " rule=deny_hosts " } })
	T.connect_expect("deny_hosts by IPv6 address", "unknown", "2001:db8::66",
		{ reply = CONN, contains = { " rule=deny_hosts " } })
	T.connect_expect("deny_hosts by verified name (subdomain)", "mx1.bad.example", "192.0.2.67",
		{ reply = CONN, contains = { " rule=deny_hosts " } })
	T.connect_expect("an unverified name is not matched by name", "unknown", "192.0.2.67",
		{ line = false })

	-- MAIL: syntax, then SIZE=, then sender.deny, then protection of local senders
	local conn = T.connect("mx.other.example", "192.0.2.20")
	T.mail(conn, "strict_syntax: MAIL FROM without angle brackets", "someone@other.example",
		{ reply = SYNTAX, contains = { " rule=strict_syntax " } })
	T.mail(conn, "SIZE= over max_message_size", "<someone@other.example>",
		{ args = { "SIZE=2001" }, reply = SIZE, contains = { " rule=max_message_size " } })
	T.mail(conn, "SIZE= at max_message_size", "<someone@other.example>", { args = { "SIZE=2000" } })
	T.mail(conn, "sender.deny by @domain", "<anyone@spam.example>",
		{ reply = sender_policy("anyone@spam.example"), contains = { " rule=sender_lists " } })
	T.mail(conn, "sender.deny by address", "<BOSS@bad.example>",
		{ reply = sender_policy("BOSS@bad.example") })
	T.mail(conn, "another address of that domain passes", "<clerk@bad.example>")
	T.mail(conn, "protect_local_senders: unauthenticated external client", "<jd@acme.com>",
		{ reply = PROTECT, contains = { " rule=protect_local_senders " } })
	T.mail(conn, "protect_local_senders_except", "<newsletter@acme.com>")
	T.mail(conn, "protect_local_senders: authenticated passes", "<jd@acme.com>",
		{ auth = "jdoe" })
	T.close(conn)

	conn = T.connect("app.acme.example", "10.20.1.5")
	T.mail(conn, "protect_local_senders: internal client passes", "<jd@acme.com>")
	T.close(conn)

	-- RCPT: syntax, relay, max, deny
	conn = T.connect("mx.other.example", "192.0.2.20")
	T.mail(conn, "MAIL for the recipient checks", "<someone@other.example>")
	T.rcpt(conn, "strict_syntax: RCPT TO without angle brackets", "jd@acme.com",
		{ reply = SYNTAX, contains = { " rule=strict_syntax " } })
	T.rcpt(conn, "relay comes before recipients.max", "<x@elsewhere.example>",
		{ reply = T.RELAY })
	T.rcpt(conn, "recipients.deny", "<CEO@acme.com>",
		{ reply = RCPT_POLICY, contains = { " rule=recipient_lists " } })
	T.rcpt(conn, "recipient 1", "<jd@acme.com>")
	T.rcpt(conn, "recipient 2", "<john.doe@acme.com>")
	T.rcpt(conn, "recipient 3", "<alice.smith@acme.com>")
	T.rcpt(conn, "recipients.max = 3: the fourth is deferred", "<sales@acme.com>",
		{ decision = "tempfail", reply = "452 4.5.3 Too many recipients",
		  contains = { " rule=max_recipients " } })
	T.close(conn)

	-- end of message: the counted size
	conn = T.connect("mx.other.example", "192.0.2.20")
	T.mail(conn, "MAIL without SIZE=", "<someone@other.example>")
	T.rcpt(conn, "RCPT", "<jd@acme.com>")
	T.eom(conn, "a message over max_message_size is refused at end of message",
		{ body = string.rep("0123456789012345678901234567890123456789\r\n", 50), reply = SIZE,
		  contains = { " rule=max_message_size " } })
	T.close(conn)
	conn = T.connect("mx.other.example", "192.0.2.20")
	T.mail(conn, "MAIL", "<someone@other.example>")
	T.rcpt(conn, "RCPT", "<jd@acme.com>")
	T.eom(conn, "a small message passes")
	T.close(conn)

	-- profile "submission": relay for authenticated users, Domino's 552
	local sub = { "{daemon_name}", "submission" }
	conn = T.connect_expect("profile submission: connect", "unknown", "192.0.2.20",
		{ line = false }, sub)
	T.mail(conn, "profile submission: no protect_local_senders", "<jd@acme.com>", { auth = "jdoe" })
	T.rcpt(conn, "profile submission: authenticated relay", "<x@elsewhere.example>")
	T.rcpt(conn, "profile submission: recipients.max = 1 with Domino's 552", "<y@elsewhere.example>",
		{ reply = "552 5.5.3 Too many recipients", contains = { " rule=max_recipients " } })
	T.close(conn)

	-- profile "partner": allow_hosts, sender.allow, recipients.allow
	local partner = { "{daemon_name}", "partner" }
	T.connect_expect("profile partner: a host outside allow_hosts", "mx.other.example",
		"192.0.2.20", { reply = CONN, contains = { " rule=allow_hosts " } }, partner)
	T.connect_expect("profile partner: deny_hosts of the base still applies", "unknown",
		"192.0.2.66", { reply = CONN, contains = { " rule=deny_hosts " } }, partner)
	conn = T.connect_expect("profile partner: a host inside allow_hosts", "mx.partner.example",
		"198.51.100.7", { line = false }, partner)
	T.mail(conn, "profile partner: sender outside sender.allow", "<someone@other.example>",
		{ reply = sender_policy("someone@other.example") })
	T.mail(conn, "profile partner: sender in sender.allow", "<orders@partner.example>")
	T.rcpt(conn, "profile partner: recipients.allow", "<jd@acme.com>")
	T.close(conn)

	-- profile "strict": error_limit = 2 counts refusals of every control
	local strict = { "{daemon_name}", "strict" }
	conn = T.connect_expect("profile strict: connect", "mx.other.example", "192.0.2.20",
		{ line = false }, strict)
	T.mail(conn, "profile strict: first refusal", "<a@spam.example>",
		{ reply = sender_policy("a@spam.example") })
	T.mail(conn, "profile strict: second refusal closes with 421", "bare@other.example",
		{ decision = "tempfail", reply = T.ERROR_LIMIT, contains = { " rule=strict_syntax " } })
	T.close(conn)
end)

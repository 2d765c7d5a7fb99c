-- policy: relay-lists.conf
-- Through the milter: relay.deny_wins (Domino's SMTPRelayHostsandDomain=1)
-- on the relay host lists and the sender lists, and relay.authenticated =
-- "check" (Domino: "perform anti-relay checks" for authenticated users).
-- The profiles are picked by {daemon_name}.
local T = dofile(helpers)

local SENDER = "554 5.7.1 Mail from <spam@partner.example> rejected for policy reasons."
local DENYWINS = { "{daemon_name}", "denywins" }
local CHECK = { "{daemon_name}", "check" }

T.run(function()
	-- allow_from_hosts = [ 10.10.1.8 ], deny_from_hosts = [ * ]
	T.transaction("deny_wins false: the allowed host relays although * is denied", {
		host = "abc.com", ip = "10.10.1.8",
		from = "<orders@partner.example>", rcpt = "<john.doe@ibm.com>",
		want = { contains = { 'reason="relay permitted by the relay lists"' } } })
	T.transaction("deny_wins true: the deny entry * wins over the allow entry", {
		host = "abc.com", ip = "10.10.1.8", connect_macros = DENYWINS,
		from = "<orders@partner.example>", rcpt = "<john.doe@ibm.com>",
		want = { reply = T.RELAY } })
	T.transaction("deny_wins true: local delivery is no relay", {
		host = "abc.com", ip = "10.10.1.8", connect_macros = DENYWINS,
		from = "<orders@partner.example>", rcpt = "<jd@acme.com>", want = {} })
	-- sender.allow = [ @partner.example ], sender.deny = [ spam@partner.example ]
	T.transaction("deny_wins false: sender.allow beats sender.deny", {
		host = "abc.com", ip = "10.10.1.8",
		from = "<spam@partner.example>", rcpt = "<jd@acme.com>", want = {} })
	T.transaction("deny_wins true: sender.deny wins", {
		host = "abc.com", ip = "10.10.1.8", connect_macros = DENYWINS,
		from = "<spam@partner.example>", mail = { reply = SENDER } })
	T.transaction("sender.allow refuses what it does not name", {
		host = "abc.com", ip = "10.10.1.8",
		from = "<x@other.example>",
		mail = { reply = "554 5.7.1 Mail from <x@other.example> rejected for policy reasons." } })
	-- relay.authenticated
	T.transaction("authenticated = allow: an authenticated user relays from anywhere", {
		host = "unknown", ip = "192.0.2.10", auth = "jdoe",
		from = "<john.doe@acme.com>", rcpt = "<john.doe@ibm.com>",
		want = { contains = { 'reason="authenticated user"' } } })
	T.transaction("authenticated = check: the same user is judged like anyone", {
		host = "unknown", ip = "192.0.2.10", auth = "jdoe", connect_macros = CHECK,
		from = "<john.doe@acme.com>", rcpt = "<john.doe@ibm.com>",
		want = { reply = T.RELAY } })
	T.transaction("authenticated = check: a permitted destination still passes", {
		host = "unknown", ip = "192.0.2.10", auth = "jdoe", connect_macros = CHECK,
		from = "<john.doe@acme.com>", rcpt = "<sales@partner.example>", want = {} })
end)

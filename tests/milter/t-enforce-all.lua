-- policy: enforce-all.conf
-- relay.enforce = "all" (Domino: "All connecting hosts"): internal clients
-- are checked too; only exclusions and authentication let them relay.
local T = dofile(helpers)

T.run(function()
	T.transaction("enforce all: internal mx1.acme.com is checked", {
		host = "mx1.acme.com", ip = "192.0.2.5", from = "<a.user@acme.com>",
		rcpt = "<john.doe@ibm.com>", want = { reply = T.RELAY } })
	T.transaction("enforce all: 127.0.0.1 is checked", {
		host = "localhost", ip = "127.0.0.1", from = "<a.user@acme.com>",
		rcpt = "<john.doe@ibm.com>", want = { reply = T.RELAY } })
	T.transaction("enforce all: excluded relay.acme.com relays", {
		host = "relay.acme.com", ip = "192.0.2.6", from = "<a.user@acme.com>",
		rcpt = "<john.doe@ibm.com>",
		want = { contains = { 'reason="host is excluded from anti-relay checks"' } } })
	T.transaction("enforce all: authenticated internal user relays", {
		host = "mx1.acme.com", ip = "192.0.2.5", auth = "jdoe", from = "<john.doe@acme.com>",
		rcpt = "<john.doe@ibm.com>", want = { contains = { 'reason="authenticated user"' } } })
	T.transaction("enforce all: local recipient from internal host", {
		host = "mx1.acme.com", ip = "192.0.2.5", from = "<a.user@acme.com>",
		rcpt = "<jd@acme.com>", want = { contains = { 'reason="local recipient"' } } })
end)

-- policy: exclude-name.conf
-- Scenario d (by name): relay.exclude_hosts = [ "abc.com" ]. A host name
-- entry matches the client's *verified* name (xxfi_connect's hostname) and
-- its subdomains on a label boundary; "unknown" (Postfix) and "[a.b.c.d]"
-- (Sendmail) mean no verified name and never match.
local T = dofile(helpers)

T.run(function()
	T.transaction("d. excluded host abc.com", {
		host = "abc.com", ip = "10.10.1.8",
		from = "<bogus.user@bogus.com>", rcpt = "<john.doe@ibm.com>",
		want = { contains = { 'reason="host is excluded from anti-relay checks"' } } })
	T.transaction("d. excluded host, name in upper case with a trailing dot", {
		host = "ABC.com.", ip = "10.10.1.8",
		from = "<bogus.user@bogus.com>", rcpt = "<john.doe@ibm.com>",
		want = { contains = { 'reason="host is excluded from anti-relay checks"' } } })
	T.transaction("d. a subdomain of the excluded name", {
		host = "mail.abc.com", ip = "10.10.1.20",
		from = "<bogus.user@bogus.com>", rcpt = "<john.doe@ibm.com>",
		want = { contains = { 'reason="host is excluded from anti-relay checks"' } } })
	T.transaction("d. notabc.com is not abc.com", {
		host = "notabc.com", ip = "10.10.1.8",
		from = "<bogus.user@bogus.com>", rcpt = "<john.doe@ibm.com>",
		want = { reply = T.RELAY } })
	T.transaction("d. same IP, no verified name (Postfix: unknown)", {
		host = "unknown", ip = "10.10.1.8",
		from = "<bogus.user@bogus.com>", rcpt = "<john.doe@ibm.com>",
		want = { reply = T.RELAY } })
	T.transaction("d. same IP, no verified name (Sendmail: [10.10.1.8])", {
		host = "[10.10.1.8]", ip = "10.10.1.8",
		from = "<bogus.user@bogus.com>", rcpt = "<john.doe@ibm.com>",
		want = { reply = T.RELAY } })
end)

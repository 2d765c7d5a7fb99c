-- policy: exclude-ip.conf
-- Scenario d (by address): relay.exclude_hosts = [ "10.10.1.8" ] - Domino's
-- "Exclude these connecting hosts from anti-relay checks". The excluded
-- client may relay whatever name it has; its neighbour may not.
local T = dofile(helpers)

T.run(function()
	T.transaction("d. excluded 10.10.1.8 as abc.com", {
		host = "abc.com", ip = "10.10.1.8",
		from = "<bogus.user@bogus.com>", rcpt = "<john.doe@ibm.com>",
		want = { contains = { 'reason="host is excluded from anti-relay checks"' } } })
	T.transaction("d. excluded 10.10.1.8 without a verified name", {
		host = "unknown", ip = "10.10.1.8",
		from = "<bogus.user@bogus.com>", rcpt = "<john.doe@ibm.com>",
		want = { contains = { " client=unknown[10.10.1.8] ",
			'reason="host is excluded from anti-relay checks"' } } })
	T.transaction("d. neighbour 10.10.1.9 is not excluded", {
		host = "abc.com", ip = "10.10.1.9",
		from = "<bogus.user@bogus.com>", rcpt = "<john.doe@ibm.com>",
		want = { reply = T.RELAY } })
end)

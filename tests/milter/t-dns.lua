-- policy: dns.conf
-- dns: yes
-- DESIGN §1/§3 DNS controls against a real DNS server (unbound with
-- tests/dns/zones.conf): DNS blacklists (reject / tag / log), the DNS
-- whitelist exempting from them, §3's order (a denied host is refused
-- before any DNS query), the TTL cache, and at MAIL verify_hostname and
-- verify_domain (profile "verify").
local T = dofile(helpers)

local DNS_FAIL = "451 4.4.3 DNS lookup failed, try again later"
local HOSTNAME = "550 5.7.25 Client host name could not be verified."
local NO_DOMAIN = "550 5.1.8 Sender domain does not exist."
local VERIFY = { "{daemon_name}", "verify" }

T.run(function()
	-- §3: deny_hosts is judged before any DNS list is asked
	T.connect_expect("denied host", "unknown", "127.0.0.9",
		{ reply = "554 5.7.1 Connection refused for policy reasons.",
		  contains = { " rule=deny_hosts " } })
	T.ok(T.dns_queries("9.0.0.127.wl.test") == 0 and T.dns_queries("9.0.0.127.bl.test") == 0,
		"no DNS query for a denied host")

	T.connect_expect("listed in a reject zone", "unknown", "127.0.0.2",
		{ reply = "550 5.7.1 Mail from 127.0.0.2 refused: listed at bl.test",
		  contains = { " rule=dnsbl ", 'detail="listed=bl.test(127.0.0.2)"' } })
	T.connect_expect("IPv6 client listed (reversed nibbles)", "unknown", "2001:db8::bad",
		{ reply = "550 5.7.1 Mail from 2001:db8::bad refused: listed at bl.test",
		  contains = { " rule=dnsbl ", "listed=bl.test(127.0.0.4)" } })
	T.connect_expect("the list answers 127.255.255.254 (query refused)", "unknown",
		"127.0.0.7", { decision = "tempfail", reply = DNS_FAIL, contains = { " rule=dnsbl ",
		"query refused by the list (127.255.255.254)" } })
	T.connect_expect("not listed anywhere", "mx.other.example", "192.0.2.20", { line = false })

	-- the whitelist exempts from every blacklist; the blacklists are not asked
	local conn = T.connect_expect("whitelisted and blacklisted", "unknown", "127.0.0.3",
		{ contains = { " rule=dnswl ", 'detail="dnswl=wl.test"' } })
	T.ok(T.dns_queries("3.0.0.127.bl.test") == 0, "a whitelisted client is not looked up in bl.test")
	T.close(conn)

	-- tag and log zones: accepted; a tag zone adds a header to the message
	conn = T.connect_expect("listed in a tag and a log zone", "unknown", "127.0.0.5",
		{ contains = { " rule=dnsbl ", 'reason="client listed in a DNS blacklist (logged)"',
		  'detail="listed=tag.test(127.0.0.2) listed=log.test(127.0.0.2)"' } })
	T.mail(conn, "MAIL from a tagged client", "<someone@other.example>")
	T.rcpt(conn, "RCPT from a tagged client", "<jd@acme.com>")
	T.eom(conn, "the tagged message", { header = { "X-Relaywarden-DNSBL",
		"127.0.0.5 listed at tag.test" } })
	T.close(conn)

	-- answers are cached for their TTL (120 s here): no second query
	T.ok(T.dns_queries("2.0.0.127.bl.test") == 1, "one query so far for 127.0.0.2")
	T.connect_expect("listed again, from the cache", "unknown", "127.0.0.2",
		{ reply = "550 5.7.1 Mail from 127.0.0.2 refused: listed at bl.test" })
	T.ok(T.dns_queries("2.0.0.127.bl.test") == 1, "the second lookup came from the cache")

	-- verify_hostname (judged at MAIL, as Domino does)
	conn = T.connect_expect("verify: forward-confirmed name", "good.client.test", "192.0.2.10",
		{ line = false }, VERIFY)
	T.mail(conn, "verify: confirmed name, sender domain with an MX", "<a@mx.sender.test>")
	T.mail(conn, "verify: sender domain with only an A record", "<a@a-only.sender.test>")
	T.mail(conn, "verify: sender domain with only an AAAA record", "<a@aaaa-only.sender.test>")
	T.mail(conn, "verify: sender domain that does not exist", "<a@nosuch.sender.test>",
		{ reply = NO_DOMAIN, contains = { " rule=verify_domain ", "NXDOMAIN" } })
	T.mail(conn, "verify: sender domain with a null MX", "<a@nullmx.sender.test>",
		{ reply = NO_DOMAIN, contains = { "null MX" } })
	T.mail(conn, "verify: sender domain whose server refuses", "<a@x.refused.test>",
		{ decision = "tempfail", reply = DNS_FAIL, contains = { " rule=verify_domain " } })
	T.mail(conn, "verify: the null sender has no domain to verify", "<>")
	T.close(conn)
	T.ok(T.dns_queries("good.client.test") == 1, "the client name was looked up once")

	conn = T.connect_expect("verify: IPv6 name", "v6.client.test", "2001:db8::10",
		{ line = false }, VERIFY)
	T.mail(conn, "verify: IPv6 forward-confirmed", "<a@mx.sender.test>")
	T.close(conn)
	conn = T.connect_expect("verify: forged name", "forged.client.test", "192.0.2.11",
		{ line = false }, VERIFY)
	T.mail(conn, "verify: the name does not resolve to the client", "<a@mx.sender.test>",
		{ reply = HOSTNAME, contains = { " rule=verify_hostname ",
		  "forged.client.test does not resolve to 192.0.2.11" } })
	T.close(conn)
	conn = T.connect_expect("verify: Postfix found no name", "unknown", "192.0.2.12",
		{ line = false }, VERIFY)
	T.mail(conn, "verify: Postfix's unknown", "<a@mx.sender.test>", { reply = HOSTNAME })
	T.close(conn)
	conn = T.connect_expect("verify: Sendmail found no name", "[192.0.2.12]", "192.0.2.12",
		{ line = false }, VERIFY)
	T.mail(conn, "verify: Sendmail's [address]", "<a@mx.sender.test>", { reply = HOSTNAME })
	T.close(conn)
	conn = T.connect_expect("verify: name whose server refuses", "host.refused.test",
		"192.0.2.13", { line = false }, VERIFY)
	T.mail(conn, "verify: lookup failure defers", "<a@mx.sender.test>",
		{ decision = "tempfail", reply = DNS_FAIL, contains = { " rule=verify_hostname " } })
	T.close(conn)
end)

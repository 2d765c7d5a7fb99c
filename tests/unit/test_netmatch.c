/*
 * test_netmatch.c - domain, host and address sets, table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "netmatch.h"

struct match_row {
	const char *label;
	const char *entries[4];    /* NULL-terminated */
	const char *query;         /* domain, or "ip|name" for hosts */
	bool expect;
};

static const struct match_row domain_rows[] = {
	{ "plain matches itself", { "spamme.com" }, "spamme.com", true },
	{ "plain matches subdomain", { "spamme.com" }, "you.spamme.com", true },
	{ "plain never matches a longer label", { "spamme.com" }, "notspamme.com", false },
	{ "plain deep subdomain", { "spamme.com" }, "a.b.c.spamme.com", true },
	{ "@ means the domain only", { "@spamme.com" }, "spamme.com", true },
	{ "@ excludes subdomains", { "@spamme.com" }, "you.spamme.com", false },
	{ ". means subdomains only", { ".spamme.com" }, "you.spamme.com", true },
	{ ". excludes the domain", { ".spamme.com" }, "spamme.com", false },
	{ "star matches all", { "*" }, "anything.example", true },
	{ "case-insensitive", { "SpamMe.COM" }, "YOU.spamme.com", true },
	{ "trailing dot on entry", { "spamme.com." }, "spamme.com", true },
	{ "trailing dot on query", { "spamme.com" }, "x.spamme.com.", true },
	{ "parent is not matched", { "a.spamme.com" }, "spamme.com", false },
	{ "empty query", { "spamme.com" }, "", false },
	{ "address literal entry", { "[10.1.1.1]" }, "[10.1.1.1]", true },
	{ "no entries", { NULL }, "spamme.com", false },
};

static const struct match_row host_rows[] = {
	{ "exact v4", { "10.1.1.1" }, "10.1.1.1|", true },
	{ "exact v4 other", { "10.1.1.1" }, "10.1.1.2|", false },
	{ "bracketed v4", { "[10.1.1.1]" }, "10.1.1.1|", true },
	{ "wildcard last octet", { "[10.1.1.*]" }, "10.1.1.254|", true },
	{ "wildcard last octet outside", { "[10.1.1.*]" }, "10.1.2.1|", false },
	{ "two wildcards", { "10.1.*.*" }, "10.1.200.3|", true },
	{ "range first", { "[10.1.1.1-30]" }, "10.1.1.1|", true },
	{ "range last", { "[10.1.1.1-30]" }, "10.1.1.30|", true },
	{ "range below", { "[10.1.1.1-30]" }, "10.1.1.0|", false },
	{ "range above", { "[10.1.1.1-30]" }, "10.1.1.31|", false },
	{ "range then star", { "10.1.1-3.*" }, "10.1.3.77|", true },
	{ "range then star outside", { "10.1.1-3.*" }, "10.1.4.1|", false },
	{ "cidr first", { "[10.1.1.0/27]" }, "10.1.1.0|", true },
	{ "cidr last", { "10.1.1.0/27" }, "10.1.1.31|", true },
	{ "cidr outside", { "10.1.1.0/27" }, "10.1.1.32|", false },
	{ "v6 exact", { "2001:db8::1" }, "2001:db8::1|", true },
	{ "v6 prefix", { "2001:db8::/32" }, "2001:db8:ffff::7|", true },
	{ "v6 prefix outside", { "2001:db8::/32" }, "2001:db9::1|", false },
	{ "IPv6: form", { "[IPv6:2001:db8::1]" }, "2001:db8::1|", true },
	{ "v4-mapped client", { "10.1.1.1" }, "::ffff:10.1.1.1|", true },
	{ "name matches verified name", { "acme.com" }, "10.9.9.9|mx.acme.com", true },
	{ "name label boundary", { "acme.com" }, "10.9.9.9|notacme.com", false },
	{ "name without verified name", { "acme.com" }, "10.9.9.9|", false },
	{ "star matches any client", { "*" }, "|", true },
	{ "address entry ignores name", { "10.1.1.1" }, "10.2.2.2|10.1.1.1", false },
};

static void
parse_host_query(const char *q, struct ip_addr *ip, bool *has_ip, char *name, size_t len)
{
	const char *bar = strchr(q, '|');
	char addr[64];

	snprintf(addr, sizeof(addr), "%.*s", (int)(bar - q), q);
	*has_ip = addr[0] != '\0' && ip_parse(addr, ip);
	snprintf(name, len, "%s", bar + 1);
}

static void
test_domain_sets(void **state)
{
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(domain_rows) / sizeof(domain_rows[0]); i++) {
		const struct match_row *r = &domain_rows[i];
		struct domain_set *s = domain_set_new();
		for (size_t k = 0; r->entries[k]; k++)
			if (domain_set_add(s, r->entries[k], err, sizeof(err)) < 0)
				fail_msg("%s: entry %s refused: %s", r->label, r->entries[k], err);
		if (domain_set_match(s, r->query) != r->expect)
			fail_msg("%s: %s expected %d", r->label, r->query, r->expect);
		domain_set_free(s);
	}
}

static void
test_host_sets(void **state)
{
	char err[256], name[256];
	struct ip_addr ip;
	bool has_ip;

	(void)state;
	for (size_t i = 0; i < sizeof(host_rows) / sizeof(host_rows[0]); i++) {
		const struct match_row *r = &host_rows[i];
		struct host_set *s = host_set_new();
		for (size_t k = 0; r->entries[k]; k++)
			if (host_set_add(s, r->entries[k], 0, err, sizeof(err)) < 0)
				fail_msg("%s: entry %s refused: %s", r->label, r->entries[k], err);
		parse_host_query(r->query, &ip, &has_ip, name, sizeof(name));
		if (host_set_match(s, has_ip ? &ip : NULL, name) != r->expect)
			fail_msg("%s: %s expected %d", r->label, r->query, r->expect);
		host_set_free(s);
	}
}

struct bad_row {
	const char *entry;
	unsigned flags;
	const char *error;
};

static const struct bad_row bad_hosts[] = {
	{ "10.*.1.1", 0, "\"10.*.1.1\": after a range or *, only * may follow (wildcards must be "
	  "trailing octets)" },
	{ "10.1.1.0/33", 0, "\"10.1.1.0/33\" is not a network (expected a.b.c.d/len or IPv6/len)" },
	{ "10.1.1.5/27", 0, "\"10.1.1.5/27\" has host bits set beyond /27" },
	{ "10.1.1.300", 0, "\"10.1.1.300\" is not an IPv4 address or Domino pattern (expected "
	  "a.b.c.d, a.b.c.*, a.b.c.N-M or a.b.c.d/len)" },
	{ "10.1.1.30-1", 0, "\"10.1.1.30-1\" is not an IPv4 address or Domino pattern (expected "
	  "a.b.c.d, a.b.c.*, a.b.c.N-M or a.b.c.d/len)" },
	{ "[mx.acme.com]", 0, "\"[mx.acme.com]\" is not an IP address or network (expected a.b.c.d, "
	  "a.b.c.d/len, IPv6 or IPv6/len)" },
	{ "mx.acme.com", HOST_SET_ADDRESSES_ONLY, "\"mx.acme.com\" is not an IP address or network "
	  "(expected a.b.c.d, a.b.c.d/len, IPv6 or IPv6/len)" },
	{ "exa mple.com", 0, "\"exa mple.com\" is not a valid domain name (expected name, @name, "
	  ".name or *)" },
	{ "2001:db8::zz", 0, "\"2001:db8::zz\" is not an IPv6 address" },
};

static void
test_bad_entries(void **state)
{
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_hosts) / sizeof(bad_hosts[0]); i++) {
		struct host_set *s = host_set_new();
		err[0] = '\0';
		if (host_set_add(s, bad_hosts[i].entry, bad_hosts[i].flags, err, sizeof(err)) != -1 ||
		    strcmp(err, bad_hosts[i].error) != 0)
			fail_msg("%s: got \"%s\", expected \"%s\"", bad_hosts[i].entry, err,
			    bad_hosts[i].error);
		host_set_free(s);
	}
}

static void
test_addr_sets(void **state)
{
	struct addr_set *s = addr_set_new();
	char err[256];

	(void)state;
	assert_int_equal(addr_set_add(s, "Boss@Acme.com", err, sizeof(err)), 0);
	assert_int_equal(addr_set_add(s, "@spam.example", err, sizeof(err)), 0);
	assert_int_equal(addr_set_add(s, "no-at-sign", err, sizeof(err)), -1);
	assert_string_equal(err, "\"no-at-sign\" is not an address (expected local@domain or @domain)");
	assert_true(addr_set_match(s, "boss", "acme.com"));
	assert_false(addr_set_match(s, "other", "acme.com"));
	assert_true(addr_set_match(s, "anyone", "spam.example"));
	assert_false(addr_set_match(s, "anyone", "sub.spam.example"));
	addr_set_free(s);
}

/* The sets answer right whatever their size (their cost is measured in bench/). */
static void
test_large_sets(void **state)
{
	struct domain_set *d = domain_set_new();
	struct host_set *h = host_set_new();
	char entry[64], err[256];
	struct ip_addr ip;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		snprintf(entry, sizeof(entry), "d%d.example", i);
		assert_int_equal(domain_set_add(d, entry, err, sizeof(err)), 0);
		snprintf(entry, sizeof(entry), "10.%d.%d.0/24", i / 256 % 256, i % 256);
		assert_int_equal(host_set_add(h, entry, 0, err, sizeof(err)), 0);
	}
	assert_true(domain_set_match(d, "x.d99999.example"));
	assert_false(domain_set_match(d, "d100000.example"));
	assert_true(ip_parse("10.255.255.9", &ip));
	assert_true(host_set_match(h, &ip, NULL));
	assert_true(ip_parse("11.0.0.1", &ip));
	assert_false(host_set_match(h, &ip, NULL));
	domain_set_free(d);
	host_set_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_sets),
		cmocka_unit_test(test_host_sets),
		cmocka_unit_test(test_bad_entries),
		cmocka_unit_test(test_addr_sets),
		cmocka_unit_test(test_large_sets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_address.c - table-driven tests for address.c.
 *
 * Every row states the whole expected result, so a parser change that moves
 * any field, not just the kind, fails the row and prints its label. Long
 * inputs are built at run time from a prefix, a repeated fill and a suffix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "address.h"
#include "compat.h"

struct parse_row {
	const char *label;
	const char *input;
	enum address_kind kind;
	const char *local;
	const char *domain;
	enum address_route route;
	const char *route_domain;
	bool bracketed;
	bool quoted;
	const char *error; /* ADDRESS_INVALID rows only */
};

static const struct parse_row parse_rows[] = {
	{ "plain", "<user@acme.com>", ADDRESS_OK, "user", "acme.com", ROUTE_NONE, "", true, false,
	    NULL },
	{ "mixed case keeps local case", "<John.Doe@ACME.Com>", ADDRESS_OK, "John.Doe", "acme.com",
	    ROUTE_NONE, "", true, false, NULL },
	{ "trailing dot", "<user@acme.com.>", ADDRESS_OK, "user", "acme.com", ROUTE_NONE, "", true,
	    false, NULL },
	{ "upper case and trailing dot", "<User@ACME.COM.>", ADDRESS_OK, "User", "acme.com",
	    ROUTE_NONE, "", true, false, NULL },
	{ "no brackets", "user@acme.com", ADDRESS_OK, "user", "acme.com", ROUTE_NONE, "", false,
	    false, NULL },
	{ "no brackets, spaces around", "  user@acme.com  ", ADDRESS_OK, "user", "acme.com",
	    ROUTE_NONE, "", false, false, NULL },
	{ "spaces around brackets", " <user@acme.com> ", ADDRESS_OK, "user", "acme.com", ROUTE_NONE,
	    "", true, false, NULL },
	{ "null path", "<>", ADDRESS_NULL, "", "", ROUTE_NONE, "", true, false, NULL },
	{ "null path, spaces around", "  <>  ", ADDRESS_NULL, "", "", ROUTE_NONE, "", true, false,
	    NULL },
	{ "postmaster without domain", "<postmaster>", ADDRESS_OK, "postmaster", "", ROUTE_NONE, "",
	    true, false, NULL },
	{ "bare local part", "Postmaster", ADDRESS_OK, "Postmaster", "", ROUTE_NONE, "", false,
	    false, NULL },
	{ "source route, one hop", "<@relay.example:user@acme.com>", ADDRESS_OK, "user", "acme.com",
	    ROUTE_SOURCE, "relay.example", true, false, NULL },
	{ "source route, many hops", "<@A.Example.,@b.example,@c.example:user@acme.com>",
	    ADDRESS_OK, "user", "acme.com", ROUTE_SOURCE, "a.example", true, false, NULL },
	{ "source route, literal hop", "<@[10.0.0.1]:user@acme.com>", ADDRESS_OK, "user",
	    "acme.com", ROUTE_SOURCE, "[10.0.0.1]", true, false, NULL },
	{ "source route, IPv6 hop", "<@[IPv6:2001:DB8::1],@b.example:user@acme.com>", ADDRESS_OK,
	    "user", "acme.com", ROUTE_SOURCE, "[ipv6:2001:db8::1]", true, false, NULL },
	{ "source route beats percent", "<@a.example:user%b.example@acme.com>", ADDRESS_OK,
	    "user%b.example", "acme.com", ROUTE_SOURCE, "a.example", true, false, NULL },
	{ "source route, no brackets", "@a.example:user@acme.com", ADDRESS_OK, "user", "acme.com",
	    ROUTE_SOURCE, "a.example", false, false, NULL },
	{ "percent hack", "<user%evil.example@acme.com>", ADDRESS_OK, "user%evil.example",
	    "acme.com", ROUTE_PERCENT, "evil.example", true, false, NULL },
	{ "percent hack, several", "<user%a.example%B.Example.@acme.com>", ADDRESS_OK,
	    "user%a.example%B.Example.", "acme.com", ROUTE_PERCENT, "b.example", true, false,
	    NULL },
	{ "percent hack, empty host", "<user%@acme.com>", ADDRESS_OK, "user%", "acme.com",
	    ROUTE_PERCENT, "", true, false, NULL },
	{ "percent hack, no domain", "<user%evil.example>", ADDRESS_OK, "user%evil.example", "",
	    ROUTE_PERCENT, "evil.example", true, false, NULL },
	{ "bang path", "<evil.example!user@acme.com>", ADDRESS_OK, "evil.example!user", "acme.com",
	    ROUTE_BANG, "evil.example", true, false, NULL },
	{ "bang path, several", "<A.example!b.example!user@acme.com>", ADDRESS_OK,
	    "A.example!b.example!user", "acme.com", ROUTE_BANG, "a.example", true, false, NULL },
	{ "bang path, empty host", "<!user@acme.com>", ADDRESS_OK, "!user", "acme.com", ROUTE_BANG,
	    "", true, false, NULL },
	{ "percent beats bang", "<a.example!user%b.example@acme.com>", ADDRESS_OK,
	    "a.example!user%b.example", "acme.com", ROUTE_PERCENT, "b.example", true, false, NULL },
	{ "quoted @", "<\"user@evil.example\"@acme.com>", ADDRESS_OK, "user@evil.example",
	    "acme.com", ROUTE_QUOTED_AT, "evil.example", true, true, NULL },
	{ "quoted @, several", "<\"a@b.example@C.Example.\"@acme.com>", ADDRESS_OK,
	    "a@b.example@C.Example.", "acme.com", ROUTE_QUOTED_AT, "c.example", true, true, NULL },
	{ "quoted @ beats percent", "<\"user%x.example@y.example\"@acme.com>", ADDRESS_OK,
	    "user%x.example@y.example", "acme.com", ROUTE_QUOTED_AT, "y.example", true, true,
	    NULL },
	{ "quoted @, empty host", "<\"user@\"@acme.com>", ADDRESS_OK, "user@", "acme.com",
	    ROUTE_QUOTED_AT, "", true, true, NULL },
	{ "quoted @, no domain", "<\"user@evil.example\">", ADDRESS_OK, "user@evil.example", "",
	    ROUTE_QUOTED_AT, "evil.example", true, true, NULL },
	{ "quoted escaped @", "<\"user\\@evil.example\"@acme.com>", ADDRESS_OK, "user@evil.example",
	    "acme.com", ROUTE_QUOTED_AT, "evil.example", true, true, NULL },
	{ "quoted percent", "<\"user%evil.example\"@acme.com>", ADDRESS_OK, "user%evil.example",
	    "acme.com", ROUTE_PERCENT, "evil.example", true, true, NULL },
	{ "quoted plain", "<\"john\"@acme.com>", ADDRESS_OK, "john", "acme.com", ROUTE_NONE, "",
	    true, true, NULL },
	{ "quoted with space", "<\"John Smith\"@acme.com>", ADDRESS_OK, "John Smith", "acme.com",
	    ROUTE_NONE, "", true, true, NULL },
	{ "quoted with escapes", "<\"a\\\"b\\\\c\"@acme.com>", ADDRESS_OK, "a\"b\\c", "acme.com",
	    ROUTE_NONE, "", true, true, NULL },
	{ "quoted with angle bracket", "<\"a>b\"@acme.com>", ADDRESS_OK, "a>b", "acme.com",
	    ROUTE_NONE, "", true, true, NULL },
	{ "quoted, no brackets", "\"a b\"@acme.com", ADDRESS_OK, "a b", "acme.com", ROUTE_NONE, "",
	    false, true, NULL },
	{ "IPv4 literal", "<user@[192.0.2.1]>", ADDRESS_OK, "user", "[192.0.2.1]", ROUTE_NONE, "",
	    true, false, NULL },
	{ "IPv6 literal", "<user@[IPv6:2001:DB8::1]>", ADDRESS_OK, "user", "[ipv6:2001:db8::1]",
	    ROUTE_NONE, "", true, false, NULL },
	{ "UTF-8 local part", "<j\xc3\xbcrgen@acme.com>", ADDRESS_OK, "j\xc3\xbcrgen", "acme.com",
	    ROUTE_NONE, "", true, false, NULL },
	{ "UTF-8 domain: A-label form", "<user@B\xc3\xbc\x63her.Example>", ADDRESS_OK, "user",
	    "xn--bcher-kva.example", ROUTE_NONE, "", true, false, NULL },
	{ "A-label domain, upper case", "<user@XN--BCHER-KVA.example>", ADDRESS_OK, "user",
	    "xn--bcher-kva.example", ROUTE_NONE, "", true, false, NULL },
	{ "U-label source route hop", "<@b\xc3\xbc\x63her.example:u@acme.com>", ADDRESS_OK, "u",
	    "acme.com", ROUTE_SOURCE, "xn--bcher-kva.example", true, false, NULL },
	{ "U-label percent-hack host", "<u%b\xc3\xbc\x63her.example@acme.com>", ADDRESS_OK,
	    "u%b\xc3\xbc\x63her.example", "acme.com", ROUTE_PERCENT, "xn--bcher-kva.example", true,
	    false, NULL },
	{ "malformed A-label", "<u@xn--zz.example>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "not a valid IDNA2008 domain name (malformed A-label)" },
	{ "full-width dot is not IDNA2008", "<u@acme\xef\xbc\x8e" "com>", ADDRESS_INVALID, "", "",
	    ROUTE_NONE, "", false, false, "not a valid IDNA2008 domain name" },
	{ "invalid UTF-8 in domain", "<u@acme.com\xff>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "not a valid IDNA2008 domain name" },
	{ "underscore and hyphen in domain", "<user@my_host-1.acme.com>", ADDRESS_OK, "user",
	    "my_host-1.acme.com", ROUTE_NONE, "", true, false, NULL },
	{ "atext specials", "<a#$&'*+-/=?^_`{|}~b@acme.com>", ADDRESS_OK, "a#$&'*+-/=?^_`{|}~b",
	    "acme.com", ROUTE_NONE, "", true, false, NULL },
	{ "sloppy dots in local part", "<taro..yamada.@docomo.example>", ADDRESS_OK,
	    "taro..yamada.", "docomo.example", ROUTE_NONE, "", true, false, NULL },
	{ "NULL input", NULL, ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false, "no address" },
	{ "empty", "", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false, "empty address" },
	{ "spaces only", "   ", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "empty address" },
	{ "unbalanced <", "<user@acme.com", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "unbalanced angle brackets" },
	{ "unbalanced >", "user@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "unbalanced angle brackets" },
	{ "lone <", "<", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "unbalanced angle brackets" },
	{ "lone >", ">", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "unbalanced angle brackets" },
	{ "text after null path", "<>x", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "unbalanced angle brackets" },
	{ "nested brackets", "<<user@acme.com>>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "invalid character in local part" },
	{ "control byte", "<us\x01er@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "control character in address" },
	{ "CR LF", "<user@acme.com>\r\n", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "control character in address" },
	{ "DEL", "<user\x7f@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "control character in address" },
	{ "tab inside quotes", "<\"a\tb\"@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "control character in address" },
	{ "unterminated quote", "<\"user@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "unterminated quoted string" },
	{ "backslash at end of quote", "\"user\\\"", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "unterminated quoted string" },
	{ "text after quoted string", "<\"a\"b@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "text after quoted string" },
	{ "quote inside dot-string", "<a\"b\"@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "invalid character in local part" },
	{ "empty quoted local", "<\"\"@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "empty local part" },
	{ "empty local part", "<@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "empty local part" },
	{ "empty local part, no brackets", "@acme.com", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "empty local part" },
	{ "empty domain", "<user@>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "empty domain" },
	{ "domain is a dot", "<user@.>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "empty domain" },
	{ "empty label", "<user@a..b>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "empty domain label" },
	{ "leading dot in domain", "<user@.acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "empty domain label" },
	{ "two trailing dots", "<user@acme.com..>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "empty domain label" },
	{ "two unquoted @", "<a@b@c>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "more than one '@'" },
	{ "two unquoted @ after quote", "<\"a\"@b@c>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "more than one '@'" },
	{ "space in local part", "<us er@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "invalid character in local part" },
	{ "space inside brackets", "< user@acme.com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "invalid character in local part" },
	{ "space in domain", "<user@acme .com>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "invalid character in domain" },
	{ "semicolon in domain", "<user@acme.com;x>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "invalid character in domain" },
	{ "percent in domain", "<user@a%b>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "invalid character in domain" },
	{ "unterminated literal", "<user@[1.2.3.4>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "invalid address literal" },
	{ "empty literal", "<user@[]>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false, false,
	    "invalid address literal" },
	{ "space in literal", "<user@[1.2.3.4 ]>", ADDRESS_INVALID, "", "", ROUTE_NONE, "", false,
	    false, "invalid address literal" },
	{ "bracket inside literal", "<user@[1.2[3]>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "invalid address literal" },
	{ "backslash inside literal", "<user@[1.2\\3]>", ADDRESS_INVALID, "", "", ROUTE_NONE,
	    "", false, false, "invalid address literal" },
	{ "source route without ':'", "<@a.example,@b.example>", ADDRESS_INVALID, "", "",
	    ROUTE_NONE, "", false, false, "empty local part" },
	{ "source route, empty hop", "<@,@b.example:user@acme.com>", ADDRESS_INVALID, "", "",
	    ROUTE_NONE, "", false, false, "empty domain" },
	{ "source route, hop without @", "<@a.example,b.example:user@acme.com>", ADDRESS_INVALID,
	    "", "", ROUTE_NONE, "", false, false, "bad source route" },
	{ "source route, empty mailbox", "<@a.example:>", ADDRESS_INVALID, "", "", ROUTE_NONE, "",
	    false, false, "empty local part" },
	{ "source route, space in hop", "<@a example:user@acme.com>", ADDRESS_INVALID, "", "",
	    ROUTE_NONE, "", false, false, "invalid character in domain" },
	{ "source route, unclosed literal hop", "<@[10.0.0.1:user@acme.com>", ADDRESS_INVALID, "",
	    "", ROUTE_NONE, "", false, false, "invalid address literal" },
};

static void
expect_str(const char *label, const char *field, const char *want, const char *got)
{
	if (got == NULL || strcmp(want, got) != 0)
		fail_msg("%s: %s is \"%s\", want \"%s\"", label, field, got ? got : "(null)", want);
}

static void
expect_int(const char *label, const char *field, int want, int got)
{
	if (want != got)
		fail_msg("%s: %s is %d, want %d", label, field, got, want);
}

static void
check_row(const struct parse_row *r, const struct address *a)
{
	expect_int(r->label, "kind", (int)r->kind, (int)a->kind);
	expect_str(r->label, "local", r->local, a->local);
	expect_str(r->label, "domain", r->domain, a->domain);
	expect_int(r->label, "route", (int)r->route, (int)a->route);
	expect_str(r->label, "route_domain", r->route_domain, a->route_domain);
	expect_int(r->label, "quoted", r->quoted, a->quoted);
	/* Only an IDNA failure is a malformed address (553 at MAIL/RCPT). */
	expect_int(r->label, "bad_idn", r->error != NULL && strncmp(r->error, "not a valid IDNA", 16)
	    == 0, a->bad_idn);
	if (r->kind == ADDRESS_INVALID) {
		expect_str(r->label, "error", r->error, a->error);
		return;
	}
	expect_int(r->label, "bracketed", r->bracketed, a->bracketed);
	if (a->error != NULL)
		fail_msg("%s: error \"%s\" set on a valid address", r->label, a->error);
}

static void
test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < RW_NELEM(parse_rows); i++) {
		struct address a;

		/* Stale garbage must not leak into any field. */
		memset(&a, 'X', sizeof(a));
		address_parse(parse_rows[i].input, &a);
		check_row(&parse_rows[i], &a);
	}
}

/* Long inputs: prefix + fill repeated count times + suffix. */
struct long_row {
	const char *label;
	const char *prefix;
	const char *fill;
	size_t count;
	const char *suffix;
	enum address_kind kind;
	size_t local_len, domain_len, route_len; /* checked when valid */
	const char *error;
};

static const struct long_row long_rows[] = {
	{ "local part at limit", "<", "a", 256, "@acme.com>", ADDRESS_OK, 256, 8, 0, NULL },
	{ "local part over limit", "<", "a", 257, "@acme.com>", ADDRESS_INVALID, 0, 0, 0,
	    "local part too long" },
	{ "quoted local at limit", "<\"", "\\a", 256, "\"@acme.com>", ADDRESS_OK, 256, 8, 0, NULL },
	{ "quoted local over limit", "<\"", "\\a", 257, "\"@acme.com>", ADDRESS_INVALID, 0, 0, 0,
	    "local part too long" },
	{ "longest hidden route", "<\"@", "b", 255, "\"@acme.com>", ADDRESS_OK, 256, 8, 255, NULL },
	{ "domain at limit", "<u@", "a", 255, ">", ADDRESS_OK, 1, 255, 0, NULL },
	{ "domain over limit", "<u@", "a", 256, ">", ADDRESS_INVALID, 0, 0, 0, "domain too long" },
	{ "domain at limit plus trailing dot", "<u@", "a", 255, ".>", ADDRESS_OK, 1, 255, 0, NULL },
	{ "source route hop over limit", "<@", "a", 256, ":u@acme.com>", ADDRESS_INVALID, 0, 0, 0,
	    "domain too long" },
	{ "text at limit", "<u@d>", " ", ADDRESS_TEXT_MAX - 5, "", ADDRESS_OK, 1, 1, 0, NULL },
	{ "text over limit", "<u@d>", " ", ADDRESS_TEXT_MAX - 4, "", ADDRESS_INVALID, 0, 0, 0,
	    "address too long" },
	{ "text far over limit", "<", "a", 5000, "@acme.com>", ADDRESS_INVALID, 0, 0, 0,
	    "address too long" },
	{ "control byte beyond limit", "<", "a", 3000, "\x01>", ADDRESS_INVALID, 0, 0, 0,
	    "address too long" },
};

static void
build_long(const struct long_row *r, char *buf, size_t len)
{
	size_t n = strlen(r->prefix), fl = strlen(r->fill);

	assert_true(n + r->count * fl + strlen(r->suffix) < len);
	memcpy(buf, r->prefix, n);
	for (size_t i = 0; i < r->count; i++, n += fl)
		memcpy(buf + n, r->fill, fl);
	strcpy(buf + n, r->suffix);
}

static void
test_long_table(void **state)
{
	static char text[8192];

	(void)state;
	for (size_t i = 0; i < RW_NELEM(long_rows); i++) {
		const struct long_row *r = &long_rows[i];
		struct address a;

		build_long(r, text, sizeof(text));
		address_parse(text, &a);
		expect_int(r->label, "kind", (int)r->kind, (int)a.kind);
		if (r->kind == ADDRESS_INVALID) {
			expect_str(r->label, "error", r->error, a.error);
			continue;
		}
		expect_int(r->label, "local length", (int)r->local_len, (int)strlen(a.local));
		expect_int(r->label, "domain length", (int)r->domain_len, (int)strlen(a.domain));
		expect_int(r->label, "route length", (int)r->route_len,
		           (int)strlen(a.route_domain));
	}
}

struct key_row {
	const char *label;
	const char *input;
	char delim;
	size_t len; /* 0: ADDRESS_TEXT_MAX */
	bool ok;
	const char *key; /* "" when !ok */
};

static const struct key_row key_rows[] = {
	{ "plain, lower-cased", "<User@ACME.com>", '\0', 0, true, "user@acme.com" },
	{ "no delimiter, no folding", "<user+tag@acme.com>", '\0', 0, true, "user+tag@acme.com" },
	{ "subaddress folded", "<User+Tag@acme.com>", '+', 0, true, "user@acme.com" },
	{ "folded at the first delimiter", "<a+b+c@acme.com>", '+', 0, true, "a@acme.com" },
	{ "trailing delimiter", "<user+@acme.com>", '+', 0, true, "user@acme.com" },
	{ "leading delimiter kept whole", "<+owner@acme.com>", '+', 0, true, "+owner@acme.com" },
	{ "leading delimiter, second one too", "<+a+b@acme.com>", '+', 0, true, "+a+b@acme.com" },
	{ "other delimiter", "<user-tag+x@acme.com>", '-', 0, true, "user@acme.com" },
	{ "delimiter absent", "<user@acme.com>", '+', 0, true, "user@acme.com" },
	{ "no domain", "<Postmaster>", '\0', 0, true, "postmaster" },
	{ "quoted, same as unquoted", "<\"John\"@acme.com>", '\0', 0, true, "john@acme.com" },
	{ "quoted with space", "<\"John Smith\"@acme.com>", '\0', 0, true, "john smith@acme.com" },
	{ "quoted subaddress folded", "<\"a+b c\"@acme.com>", '+', 0, true, "a@acme.com" },
	{ "quoted @ with domain", "<\"a@b\"@c.example>", '\0', 0, true, "a@b@c.example" },
	{ "quoted @ without domain is ambiguous", "<\"a@b.example\">", '\0', 0, false, "" },
	{ "UTF-8 local part case-folded", "<J\xc3\x9cRGEN@Acme.com>", '\0', 0, true,
	    "j\xc3\xbcrgen@acme.com" },
	{ "UTF-8 local part, decomposed = composed", "<ju\xcc\x88rgen@acme.com>", '\0', 0, true,
	    "j\xc3\xbcrgen@acme.com" },
	{ "UTF-8 local part, sharp s folds to ss", "<Stra\xc3\x9f" "e@acme.com>", '\0', 0, true,
	    "strasse@acme.com" },
	{ "U-label domain keyed in A-label form", "<J\xc3\x96RG@B\xc3\x9c" "CHER.example>", '\0', 0,
	    true, "j\xc3\xb6rg@xn--bcher-kva.example" },
	{ "invalid UTF-8 local part: bytes, ASCII folded", "<J\xff@acme.com>", '\0', 0, true,
	    "j\xff@acme.com" },
	{ "address literal", "<u@[IPv6:::1]>", '\0', 0, true, "u@[ipv6:::1]" },
	{ "null path", "<>", '\0', 0, false, "" },
	{ "invalid", "<a@b@c>", '\0', 0, false, "" },
	{ "exact fit", "<ab@c>", '\0', 5, true, "ab@c" },
	{ "one byte short", "<ab@c>", '\0', 4, false, "" },
	{ "fits only once folded", "<abc+longtag@d>", '+', 6, true, "abc@d" },
	{ "no domain, exact fit", "<abc>", '\0', 4, true, "abc" },
	{ "no domain, one short", "<abc>", '\0', 3, false, "" },
};

static void
test_key_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < RW_NELEM(key_rows); i++) {
		const struct key_row *r = &key_rows[i];
		size_t len = r->len ? r->len : ADDRESS_TEXT_MAX;
		char buf[ADDRESS_TEXT_MAX + 8];
		struct address a;

		memset(buf, 'Z', sizeof(buf));
		address_parse(r->input, &a);
		expect_int(r->label, "result", r->ok, address_key(&a, r->delim, buf, len));
		expect_str(r->label, "key", r->key, buf);
		for (size_t j = len; j < sizeof(buf); j++)
			if (buf[j] != 'Z')
				fail_msg("%s: wrote past len at %zu", r->label, j);
	}
}

struct escape_row {
	const char *label;
	const char *input;
	size_t len;
	const char *want;
};

static const struct escape_row escape_rows[] = {
	{ "printable copied", "<user@acme.com>", 64, "<user@acme.com>" },
	{ "empty", "", 64, "" },
	{ "NULL", NULL, 64, "" },
	{ "control byte", "a\x01z", 64, "a\\x01z" },
	{ "CR LF", "a\r\n", 64, "a\\x0d\\x0a" },
	{ "DEL", "\x7f", 64, "\\x7f" },
	{ "UTF-8", "\xc3\xbc", 64, "\\xc3\\xbc" },
	{ "space cannot forge a field", "<a decision=accept@d>", 64, "<a\\x20decision=accept@d>" },
	{ "quote and backslash", "\"a\\b\"", 64, "\\x22a\\x5cb\\x22" },
	{ "exact fit", "abcdef", 7, "abcdef" },
	{ "one over", "abcdefg", 7, "abc..." },
	{ "escape not split", "ab\001cdef", 8, "ab..." },
	{ "escape fits exactly", "ab\x01", 7, "ab\\x01" },
	{ "smallest buffer, fits", "abc", 4, "abc" },
	{ "smallest buffer, truncated", "abcd", 4, "..." },
	{ "one character and dots", "abcdef", 5, "a..." },
	{ "smallest buffer, escape", "\x01", 4, "..." },
	{ "tiny buffer", "abcdef", 2, "." },
	{ "one byte buffer", "abcdef", 1, "" },
};

static void
test_escape_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < RW_NELEM(escape_rows); i++) {
		const struct escape_row *r = &escape_rows[i];
		char buf[80];

		memset(buf, 'Z', sizeof(buf));
		address_log_escape(r->input, buf, r->len);
		expect_str(r->label, "escaped", r->want, buf);
		for (size_t j = r->len; j < sizeof(buf); j++)
			if (buf[j] != 'Z')
				fail_msg("%s: wrote past len at %zu", r->label, j);
	}
}

/* Longer than any buffer: must stop reading early and still end in "...". */
static void
test_escape_long(void **state)
{
	static char text[100000];
	char buf[16];

	(void)state;
	memset(text, 'a', sizeof(text) - 1);
	address_log_escape(text, buf, sizeof(buf));
	assert_string_equal(buf, "aaaaaaaaaaaa...");
}

static void
test_escape_zero_len(void **state)
{
	char buf[1] = {'Z'};

	(void)state;
	address_log_escape("abc", buf, 0);
	assert_int_equal(buf[0], 'Z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table), cmocka_unit_test(test_long_table),
	    cmocka_unit_test(test_key_table),   cmocka_unit_test(test_escape_table),
	    cmocka_unit_test(test_escape_long), cmocka_unit_test(test_escape_zero_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

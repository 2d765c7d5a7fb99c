/*
 * test_received.c - table-driven tests for received.c: the client of a
 * Received: line as Postfix and Sendmail write it, and what is refused.
 * Every row is its own cmocka test named by its label; a parsed row states
 * the address and the name ("" for unknown or forged).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "compat.h"
#include "received.h"

struct row {
	const char *label;
	const char *value;
	bool ok;
	const char *addr, *name;
};

#define OK(l, v, a, n) { l, v, true, a, n }
#define BAD(l, v) { l, v, false, NULL, NULL }

static const struct row rows[] = {
	OK("Postfix", " from helo.example (mail.example.org [192.0.2.1])\r\n\tby mx.acme.test "
	    "(Postfix) with ESMTP id 4ABC for <jd@acme.com>; Tue, 1 Dec 2026 10:00:00 +0000",
	    "192.0.2.1", "mail.example.org"),
	OK("Postfix, no blank before the value", "from h (a.example [192.0.2.2])\r\n\tby mx",
	    "192.0.2.2", "a.example"),
	OK("Postfix: unknown name", "from helo (unknown [192.0.2.3])\n\tby mx", "192.0.2.3", ""),
	OK("Postfix: IPv6", "from helo (v6.example [IPv6:2001:db8::1])\n\tby mx", "2001:db8::1",
	    "v6.example"),
	OK("Sendmail: may be forged inside the comment",
	    "from helo (bad.example [192.0.2.4] (may be forged))\n\tby mx (8.17.1/8.17.1)",
	    "192.0.2.4", ""),
	OK("may be forged after the comment",
	    "from helo (bad.example [192.0.2.5]) (may be forged)\n\tby mx", "192.0.2.5", ""),
	OK("Sendmail: no PTR", "from helo ([192.0.2.6])\n\tby mx", "192.0.2.6", ""),
	OK("Sendmail: IDENT user", "from helo (root@id.example [192.0.2.7])\n\tby mx", "192.0.2.7",
	    "id.example"),
	OK("names are lower-cased, one trailing dot dropped",
	    "from helo (MAIL.Example.ORG. [192.0.2.8])\n\tby mx", "192.0.2.8", "mail.example.org"),
	OK("a HELO posing as the comment is skipped as one word",
	    "from (evil.example[6.6.6.6]) (real.example [192.0.2.9])\n\tby mx", "192.0.2.9",
	    "real.example"),
	OK("a HELO of several words posing as the comment (Postfix joins them)",
	    "from a (evil.example [6.6.6.6]) (real.example [192.0.2.12])\n\tby mx", "192.0.2.12",
	    "real.example"),
	OK("the comment of a Received: from a client that authenticated",
	    "from h (a.example [192.0.2.13])\n\t(Authenticated sender: jdoe)\n\tby mx", "192.0.2.13",
	    "a.example"),
	BAD("not folded before by: the comment is not where the MTA writes it",
	    "from helo (x.example [192.0.2.1]) by mx"),
	BAD("a client comment faked in the for part",
	    "from h\n\tby mx for <a@b> (x.example [192.0.2.1])"),
	BAD("the HELO alone", "from (x.example [192.0.2.1])\n\tby mx"),
	OK("folded with LF only", "from helo (f.example [192.0.2.10])\n\tby mx", "192.0.2.10",
	    "f.example"),
	BAD("the comment on a line of its own (neither MTA writes that)",
	    "from helo\n\t(f.example [192.0.2.10])\n\tby mx"),
	OK("a name that is not a DNS name is no name", "from helo (b_a!d [192.0.2.11])\n\tby mx",
	    "192.0.2.11", ""),
	BAD("empty", ""),
	BAD("no from", "by mx.acme.test (Postfix) with ESMTP id 4ABC"),
	BAD("local submission: no client", "by mx.acme.test (Postfix, from userid 0) id 4ABC"),
	BAD("no comment", "from helo\n\tby mx"),
	BAD("no bracketed address", "from helo (mail.example.org)\n\tby mx"),
	BAD("not an address", "from helo (x.example [192.0.2.300])\n\tby mx"),
	BAD("unclosed bracket", "from helo (x.example [192.0.2.1"),
	BAD("unclosed comment", "from helo (x.example [192.0.2.1]"),
	BAD("words after the address", "from helo (x.example [192.0.2.1] via evil)\n\tby mx"),
	BAD("fromage", "fromage helo (x.example [192.0.2.1])\n\tby mx"),
};

static void
test_row(void **state)
{
	const struct row *r = *state;
	struct received got;

	bool ok = received_parse(r->value, &got);
	if (ok != r->ok)
		fail_msg("%s: parse %s, expected %s", r->label, ok ? "ok" : "failed",
		    r->ok ? "ok" : "a failure");
	if (!ok)
		return;
	assert_string_equal(got.addr, r->addr);
	assert_string_equal(got.name, r->name);
}

int
main(void)
{
	static struct CMUnitTest tests[RW_NELEM(rows)];

	for (size_t i = 0; i < RW_NELEM(rows); i++)
		tests[i] = (struct CMUnitTest){ rows[i].label, test_row, NULL, NULL,
			(void *)&rows[i] };
	return _cmocka_run_group_tests("received", tests, RW_NELEM(rows), NULL, NULL);
}

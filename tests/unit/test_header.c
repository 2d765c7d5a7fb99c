/*
 * test_header.c - RFC 5322 originator header parsing, table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "header.h"

struct row {
	const char *label;
	const char *value;
	int rc;
	const char *keys;      /* expected keys joined by ' ', or the error text when rc < 0 */
};

static const struct row rows[] = {
	{ "plain", "a@b.com", 0, "a@b.com" },
	{ "display name", "John Doe <j@x.com>", 0, "j@x.com" },
	{ "quoted display with comma", "\"Doe, John\" <j@x.com>", 0, "j@x.com" },
	{ "comment after", "j@x.com (John)", 0, "j@x.com" },
	{ "comment inside name", "John (the boss) <j@x.com>", 0, "j@x.com" },
	{ "nested comment", "(a (b) c) j@x.com", 0, "j@x.com" },
	{ "encoded word", "=?utf-8?B?Sm9obg==?= <j@x.com>", 0, "j@x.com" },
	{ "domain lower-cased", "J@X.COM", 0, "j@x.com" },
	{ "quoted local part", "\"john doe\"@x.com", 0, "john doe@x.com" },
	{ "two mailboxes", "a@x.com, b@y.com", 0, "a@x.com b@y.com" },
	{ "empty element tolerated", "a@x.com,, b@y.com", 0, "a@x.com b@y.com" },
	{ "group with members", "Team: a@x.com, b@y.com;", 0, "a@x.com b@y.com" },
	{ "empty group", "undisclosed-recipients:;", 0, "" },
	{ "folded CRLF", "John\r\n Doe <j@x.com>", 0, "j@x.com" },
	{ "folded LF tab", "John\n\t<j@x.com>", 0, "j@x.com" },
	{ "obsolete route", "<@relay.com:j@x.com>", 0, "j@x.com" },
	{ "spoof: quoted address as display name", "\"boss@acme.com\" <evil@evil.com>", -1,
	  "display name holds another address" },
	{ "own address as display name (Outlook)", "\"J@X.com\" <j@x.com>", 0, "j@x.com" },
	{ "spoof: address inside a display name", "\"Boss (b@x.com)\" <j@x.com>", -1,
	  "display name holds another address" },
	{ "spoof: group named by an address", "\"b@x.com\": j@x.com;", -1,
	  "group name holds an address" },
	{ "spoof: bare address as display name", "boss@acme.com <evil@evil.com>", -1,
	  "display name holds an address or special character" },
	{ "unbalanced angle", "John <j@x.com", -1, "unbalanced angle brackets" },
	{ "unterminated quote", "\"John <j@x.com>", -1, "unterminated quoted string" },
	{ "unterminated comment", "(John <j@x.com>", -1, "unterminated comment" },
	{ "empty angle", "<>", -1, "mailbox without local part or domain" },
	{ "no domain", "john", -1, "mailbox without local part or domain" },
	{ "garbage after angle", "<j@x.com> extra", -1, "unbalanced angle brackets" },
	{ "empty value", "", -1, "empty address list" },
	{ "control byte", "j@x.com\x01", -1, "control character in header" },
	{ "group not closed", "Team: a@x.com", -1, "group without closing ';'" },
	/* issue 14: routes are obs-domain-lists only */
	{ "route: two hops", "<@a.example,@b.example:j@x.com>", 0, "j@x.com" },
	{ "route: empty entries and CFWS", "< @a.example , , @b.example : j@x.com>", 0, "j@x.com" },
	{ "route: address as a hop", "<@x, a@y.com:j@x.com>", -1, "malformed route" },
	{ "route: second angle", "<@<a@y.com>:j@x.com>", -1, "unbalanced angle brackets" },
	{ "route: quoted hop", "<@\"a@y.com\":j@x.com>", -1, "malformed route" },
	{ "route: literal hop", "<@[10.0.0.1]:j@x.com>", -1, "malformed route" },
	{ "route: at without domain", "<@:j@x.com>", -1, "malformed route" },
	{ "route: at without domain later", "<@a.example,@:j@x.com>", -1, "malformed route" },
	{ "route: hops without comma", "<@a.example @b.example:j@x.com>", -1, "malformed route" },
	{ "route: never closed", "<@a.example,@b.example>", -1, "malformed route" },
	{ "route: non-LDH hop", "<@a=b.example:j@x.com>", -1, "malformed route" },
	/* addr-spec: words, dots, atoms, one literal */
	{ "adjacent words", "john doe@x.com", -1, "malformed mailbox" },
	{ "literal after domain", "j@x.com[1.2.3.4]", -1, "malformed mailbox" },
	{ "quoted domain", "j@\"x.com\"", -1, "malformed mailbox" },
	{ "encoded word in local part", "=?utf-8?q?a?=@x.com", -1, "malformed mailbox" },
	{ "literal domain", "j@[192.0.2.1]", 0, "j@[192.0.2.1]" },
	/* display text as the reader sees it */
	{ "Q word reads as address", "=?utf-8?q?a=40y.com?= <j@x.com>", -1,
	  "display name holds another address" },
	{ "B word reads as address", "=?UTF-8?B?YUB5LmNvbQ==?= <j@x.com>", -1,
	  "display name holds another address" },
	{ "adjacent words join", "=?utf-8?q?a?= =?utf-8?q?=40y.com?= <j@x.com>", -1,
	  "display name holds another address" },
	{ "word in quoted string", "\"=?utf-8?q?a=40y.com?=\" <j@x.com>", -1,
	  "display name holds another address" },
	{ "word in group name", "=?utf-8?q?a=40y.com?= : j@x.com;", -1, "group name holds an address" },
	{ "word against the bracket", "=?utf-8?q?John?=<j@x.com>", 0, "j@x.com" },
	{ "word with @ against the bracket", "=?utf-8?q?j=40x.com?=<j@x.com>", -1,
	  "encoded word not set apart by blanks" },
	{ "word with @ glued to an atom", "=?utf-8?q?John_=40?=home <j@x.com>", -1,
	  "encoded word not set apart by blanks" },
	{ "lone @ glued", "=?utf-8?q?=40?=<j@x.com>", -1, "encoded word not set apart by blanks" },
	{ "raw @ in a word Python leaves undecoded", "\"=?utf-8?q?@Team?=\" <j@x.com>", -1,
	  "display name holds another address" },
	{ "nested comment flattened", "j@x.com (a(b)\xef\xbc\xa0y.com)", -1,
	  "comment holds another address" },
	{ "encoded word whole once parentheses go", "j@x.com (=(?utf-8?q?a=40y.com)?=)", -1,
	  "comment holds another address" },
	{ "encoded word from the name into a comment",
	  "\"=?utf-8?q?a=40y.com?_\" (x?=) <j@x.com>", -1, "display name holds another address" },
	{ "... and undecodable so", "\"=?utf-8?q?a=40y.com?.=\" (?iso-8859-1?q?x?=) <j@x.com>", -1,
	  "bad =XX escape in encoded word" },
	{ "\"=?\" in an atom that is no encoded word", "a=?b <j@x.com>", -1,
	  "encoded word not set apart by blanks" },
	{ "quoted-pair in an encoded word", "\"=?utf-8?q?a=40x=2ee\\x=61mple?=\" <a@x.example>", -1,
	  "quoted-pair in an encoded word" },
	{ "quoted-pair in a commented encoded word", "a@x.example (=?utf-8?q?a\\b?=)", -1,
	  "quoted-pair in an encoded word" },
	{ "two encoded words glued", "=?utf-8?q?a?==?utf-8?q?b?= <j@x.com>", -1,
	  "encoded word not set apart by blanks" },
	{ "quoted-pair without encoded word", "\"Doe\\, John\" <j@x.com>", 0, "j@x.com" },
	{ "at first and inside", "\"@a@y.com\" <j@x.com>", -1, "display name holds another address" },
	{ "word with specials is one atom", "=?utf-8?q?John_Q.?= <j@x.com>", 0, "j@x.com" },
	{ "word in comment", "j@x.com (=?utf-8?q?a=40y.com?=)", -1, "comment holds another address" },
	{ "full-width at", "\"a\xef\xbc\xa0y.com\" <j@x.com>", -1, "display name holds another address" },
	{ "full-width at in atom", "a\xef\xbc\xa0y.com <j@x.com>", -1, "display name holds another address" },
	{ "name cut at bracket", "\"a@[10.0.0.1]\" <j@x.com>", -1, "display name holds another address" },
	{ "comment as name", "j@x.com (a@y.com)", -1, "comment holds another address" },
	{ "comment before", "(a@y.com) <j@x.com>", -1, "comment holds another address" },
	{ "comment in angle", "<j@x.com (a@y.com)>", -1, "comment holds another address" },
	{ "comment outside mailboxes", "g:; (a@y.com), j@x.com", -1, "comment holds another address" },
	{ "own address as comment", "j@x.com (J@X.com)", 0, "j@x.com" },
	{ "own address encoded", "=?utf-8?q?j=40x.com?= <j@x.com>", 0, "j@x.com" },
	{ "plain decoded name", "=?iso-8859-1?q?J=F6rg?= <j@x.com>", 0, "j@x.com" },
	{ "at with blanks is no address", "\"John @ home\" <j@x.com>", 0, "j@x.com" },
	{ "unknown charset", "=?x-nope?q?a?= <j@x.com>", -1,
	  "encoded word in an unknown charset or invalid in it" },
	{ "bad base64", "=?utf-8?b?!!!!?= <j@x.com>", -1, "bad base64 in encoded word" },
	{ "bad Q escape", "=?utf-8?q?a=G1?= <j@x.com>", -1, "bad =XX escape in encoded word" },
	{ "raw latin-1 name", "J\xf6rg <j@x.com>", -1, "display text is not valid UTF-8" },
};

static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct mailbox_list list;
		const char *error = NULL;
		char keys[1024] = "", key[ADDRESS_TEXT_MAX];
		int rc = header_parse_mailboxes(r->value, &list, &error);

		for (size_t k = 0; rc == 0 && k < list.count; k++) {
			assert_true(address_key(&list.boxes[k], '\0', key, sizeof(key)));
			snprintf(keys + strlen(keys), sizeof(keys) - strlen(keys), "%s%s",
			    k ? " " : "", key);
		}
		if (rc != r->rc || strcmp(rc == 0 ? keys : error, r->keys) != 0)
			fail_msg("%s: got rc %d \"%s\", expected rc %d \"%s\"", r->label, rc,
			    rc == 0 ? keys : error, r->rc, r->keys);
		header_mailboxes_free(&list);
	}
}

static void
test_limits(void **state)
{
	static char big[HEADER_VALUE_MAX + 16], many[101 * 8 + 1];
	struct mailbox_list list;
	const char *error;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(header_parse_mailboxes(big, &list, &error), -1);
	assert_string_equal(error, "header value too long");
	for (int i = 0; i < 101; i++)
		strcat(many, i ? ",a@b.com" : "a@b.com");
	assert_int_equal(header_parse_mailboxes(many, &list, &error), -1);
	assert_string_equal(error, "too many mailboxes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

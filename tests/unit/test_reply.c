/*
 * test_reply.c - table-driven tests for reply.c: reply_parse, reply_format,
 * reply_expand.
 *
 * Every row is its own cmocka test named by its label, so a failure names
 * the row. A parse row states the whole result: ok or the error, and on
 * success code, enhanced code and text; on failure the reply is left zeroed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compat.h"
#include "reply.h"

/* ---- reply_parse ---- */

struct parse_row {
	const char *label;
	const char *text;
	enum reply_class klass;
	bool ok;
	const char *code, *xcode, *body;  /* ok rows */
	const char *err;                  /* failing rows: the exact message */
	const char *err_part;             /* failing rows: a substring, when the exact
	                                     words are not pinned */
};

#define OK5(l, t, c, x, b) { l, t, REPLY_REJECT, true, c, x, b, NULL, NULL }
#define OK4(l, t, c, x, b) { l, t, REPLY_TEMPFAIL, true, c, x, b, NULL, NULL }
#define BAD(l, t, k, e) { l, t, k, false, NULL, NULL, NULL, e, NULL }
#define BADPART(l, t, k, e) { l, t, k, false, NULL, NULL, NULL, NULL, e }

#define NO_CODE5 "does not start with a 3-digit code and a space (expected \"5xx 5.x.y text\")"
#define NO_TEXT "reply text must be 1-255 printable characters"

static char long_text_ok[600], long_text_bad[600];

static const struct parse_row parse_rows[] = {
	OK5("relay default", "554 5.7.1 Relay rejected for policy reasons.", "554", "5.7.1",
	    "Relay rejected for policy reasons."),
	OK5("verify sender default",
	    "550 5.7.1 Sender address rejected: not owned by authenticated user", "550", "5.7.1",
	    "Sender address rejected: not owned by authenticated user"),
	OK5("three-digit detail", "550 5.7.25 Client host name could not be verified.", "550",
	    "5.7.25", "Client host name could not be verified."),
	OK5("widest enhanced code", "554 5.999.999 x", "554", "5.999.999", "x"),
	OK5("one-character text", "550 5.1.1 x", "550", "5.1.1", "x"),
	OK5("percent escapes kept for expansion", "550 5.7.1 Mail from %a refused: listed at %z",
	    "550", "5.7.1", "Mail from %a refused: listed at %z"),
	OK5("inner spaces kept", "554 5.7.1 two  spaces here", "554", "5.7.1",
	    "two  spaces here"),
	OK5("5xx other than 55x", "500 5.0.0 Unrecognised", "500", "5.0.0", "Unrecognised"),
	OK4("error limit default",
	    "421 4.7.0 SMTP service not available, closing transmission channel.", "421", "4.7.0",
	    "SMTP service not available, closing transmission channel."),
	OK4("directory default", "451 4.7.1 Directory unavailable, try again later", "451", "4.7.1",
	    "Directory unavailable, try again later"),
	OK4("too many recipients", "452 4.5.3 Too many recipients", "452", "4.5.3",
	    "Too many recipients"),
	/* Filled at run time: 255 characters of text fit, 256 do not. */
	{ "text of 255 characters", long_text_ok, REPLY_REJECT, true, "554", "5.7.1", NULL, NULL,
	    NULL },
	BAD("text of 256 characters", long_text_bad, REPLY_REJECT, NO_TEXT),

	BAD("empty", "", REPLY_REJECT, "\"\" " NO_CODE5),
	BAD("code only", "554", REPLY_REJECT, "\"554\" " NO_CODE5),
	BAD("two-digit code", "55 5.7.1 x", REPLY_REJECT, "\"55 5.7.1 x\" " NO_CODE5),
	BAD("four-digit code", "5540 5.7.1 x", REPLY_REJECT, "\"5540 5.7.1 x\" " NO_CODE5),
	BAD("multi-line dash", "554-5.7.1 x", REPLY_REJECT, "\"554-5.7.1 x\" " NO_CODE5),
	BAD("letters for code", "abc 5.7.1 x", REPLY_REJECT, "\"abc 5.7.1 x\" " NO_CODE5),
	BAD("leading space", " 554 5.7.1 x", REPLY_REJECT, "\" 554 5.7.1 x\" " NO_CODE5),
	BAD("no code, tempfail wording", "4.7.1 later", REPLY_TEMPFAIL,
	    "\"4.7.1 later\" does not start with a 3-digit code and a space (expected \"4xx 4.x.y "
	    "text\")"),
	BAD("4xx for a reject", "454 4.7.1 Relay access denied", REPLY_REJECT,
	    "code 454 does not fit this action, which rejects (expected 5xx)"),
	BAD("5xx for a tempfail", "554 5.7.1 Go away", REPLY_TEMPFAIL,
	    "code 554 does not fit this action, which defers (expected 4xx)"),
	BAD("2xx for a reject", "250 2.0.0 Ok", REPLY_REJECT,
	    "code 250 does not fit this action, which rejects (expected 5xx)"),
	BAD("3xx for a tempfail", "354 3.0.0 Go ahead", REPLY_TEMPFAIL,
	    "code 354 does not fit this action, which defers (expected 4xx)"),
	BAD("enhanced class disagrees (5xx/4)", "554 4.7.1 Relay denied", REPLY_REJECT,
	    "enhanced code \"4.7.1\" does not agree with code 554 (expected 5.x.y)"),
	BAD("enhanced class disagrees (4xx/5)", "451 5.7.1 Later", REPLY_TEMPFAIL,
	    "enhanced code \"5.7.1\" does not agree with code 451 (expected 4.x.y)"),
	BAD("enhanced class 2", "550 2.0.0 Nope", REPLY_REJECT,
	    "enhanced code \"2.0.0\" does not agree with code 550 (expected 5.x.y)"),
	/* Malformed enhanced codes: refused; the words are not pinned (see the
	 * report: "does not agree" is said of a code that is merely malformed). */
	BADPART("enhanced code missing", "554 Relay denied", REPLY_REJECT, "enhanced code \"Relay\""),
	BADPART("enhanced code two parts", "554 5.7 Relay denied", REPLY_REJECT,
	    "enhanced code \"5.7\""),
	BADPART("enhanced code four parts", "554 5.7.1.2 Relay denied", REPLY_REJECT,
	    "enhanced code \"5.7.1.2\""),
	BADPART("enhanced detail of four digits", "554 5.7.1000 Relay denied", REPLY_REJECT,
	    "enhanced code \"5.7.1000\""),
	BADPART("enhanced subject of four digits", "554 5.1000.1 Relay denied", REPLY_REJECT,
	    "enhanced code \"5.1000.1\""),
	BADPART("enhanced empty subject", "554 5..1 Relay denied", REPLY_REJECT,
	    "enhanced code \"5..1\""),
	BADPART("enhanced empty detail", "554 5.7. Relay denied", REPLY_REJECT,
	    "enhanced code \"5.7.\""),
	BADPART("enhanced letters", "554 5.x.y Relay denied", REPLY_REJECT, "enhanced code \"5.x.y\""),
	BADPART("double space before enhanced code", "554  5.7.1 Relay denied", REPLY_REJECT,
	    "enhanced code \"\""),
	BAD("no text", "554 5.7.1", REPLY_REJECT, NO_TEXT),
	BAD("no text, trailing space", "554 5.7.1 ", REPLY_REJECT, NO_TEXT),
	/* DESIGN §1: the text must say something; blanks are no words. */
	BADPART("text of blanks only", "554 5.7.1    ", REPLY_REJECT, "reply text"),
	BAD("CR LF in text", "554 5.7.1 bad\r\n250 ok", REPLY_REJECT, NO_TEXT),
	BAD("LF in text", "554 5.7.1 bad\nthing", REPLY_REJECT, NO_TEXT),
	BAD("bell control byte", "554 5.7.1 bell\a", REPLY_REJECT, NO_TEXT),
	BAD("tab in text", "554 5.7.1 a\tb", REPLY_REJECT, NO_TEXT),
	BAD("DEL in text", "554 5.7.1 a\x7f", REPLY_REJECT, NO_TEXT),
	BAD("tempfail without text", "421 4.7.0", REPLY_TEMPFAIL, NO_TEXT),
};

static void
test_parse_row(void **state)
{
	const struct parse_row *r = *state;
	struct reply out;
	char err[512] = "(untouched)";

	memset(&out, 0xa5, sizeof(out));
	int rc = reply_parse(r->text, r->klass, &out, err, sizeof(err));
	if (r->ok) {
		if (rc != 0)
			print_error("unexpected error: %s\n", err);
		assert_int_equal(rc, 0);
		assert_string_equal(out.code, r->code);
		assert_string_equal(out.xcode, r->xcode);
		if (r->body != NULL)
			assert_string_equal(out.text, r->body);
		else
			assert_string_equal(out.text, r->text + 4 + strlen(r->xcode) + 1);
		assert_int_equal(out.klass, r->klass);
		return;
	}
	assert_int_equal(rc, -1);
	if (r->err != NULL)
		assert_string_equal(err, r->err);
	if (r->err_part != NULL && strstr(err, r->err_part) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, r->err_part);
	/* Nothing half-parsed is left behind for a careless caller. */
	assert_string_equal(out.code, "");
	assert_string_equal(out.xcode, "");
	assert_string_equal(out.text, "");
}

/* A short error buffer is truncated, never overrun, always terminated. */
static void
test_parse_short_errbuf(void **state)
{
	struct reply out;
	char err[16];

	(void)state;
	memset(err, 'Z', sizeof(err));
	assert_int_equal(reply_parse("454 4.7.1 x", REPLY_REJECT, &out, err, 8), -1);
	assert_int_equal(strlen(err), 7);
	assert_memory_equal(err, "code 45", 7);
	assert_int_equal(err[8], 'Z');
}

/* ---- reply_format ---- */

struct format_row {
	const char *label;
	const char *text;      /* parsed as a reject */
	size_t len;            /* buffer size given to reply_format */
	const char *want;
};

static const struct format_row format_rows[] = {
	{ "format relay", "554 5.7.1 Relay rejected for policy reasons.", 512,
	    "554 5.7.1 Relay rejected for policy reasons." },
	{ "format keeps percent", "550 5.7.1 Mail from %a refused", 512,
	    "550 5.7.1 Mail from %a refused" },
	{ "format truncates", "554 5.7.1 Relay rejected for policy reasons.", 12, "554 5.7.1 R" },
	{ "format into one byte", "554 5.7.1 Relay rejected", 1, "" },
};

static void
test_format_row(void **state)
{
	const struct format_row *r = *state;
	struct reply rep;
	char err[256], buf[600];

	assert_int_equal(reply_parse(r->text, REPLY_REJECT, &rep, err, sizeof(err)), 0);
	memset(buf, 'Z', sizeof(buf));
	reply_format(&rep, buf, r->len);
	assert_string_equal(buf, r->want);
	assert_int_equal(buf[r->len], 'Z');
}

/* ---- reply_expand ---- */

struct expand_row {
	const char *label;
	const char *text;      /* the reply text (after code and enhanced code) */
	const char *sender, *addr, *zone;
	size_t len;            /* buffer size */
	const char *want;
};

static const struct expand_row expand_rows[] = {
	{ "expand nothing to expand", "Relay rejected for policy reasons.", "a@b", "1.2.3.4", "z",
	    256, "Relay rejected for policy reasons." },
	{ "expand sender", "Mail from <%s> rejected for policy reasons.", "a@b.example", NULL,
	    NULL, 256, "Mail from <a@b.example> rejected for policy reasons." },
	{ "expand address and zone", "Mail from %a refused: listed at %z", NULL, "192.0.2.9",
	    "zen.example", 256, "Mail from 192.0.2.9 refused: listed at zen.example" },
	{ "expand all three", "%s|%a|%z", "s@x", "::1", "bl.example", 256, "s@x|::1|bl.example" },
	{ "expand missing values to empty", "[%s][%a][%z]", NULL, NULL, NULL, 256, "[][][]" },
	{ "expand twice", "%a and %a", NULL, "10.0.0.1", NULL, 256, "10.0.0.1 and 10.0.0.1" },
	{ "expand unknown escape kept", "100%q sure %d", "s", "a", "z", 256, "100%q sure %d" },
	{ "expand percent space kept", "50% off", "s", "a", "z", 256, "50% off" },
	{ "expand trailing percent kept", "100%", "s", "a", "z", 256, "100%" },
	{ "expand upper-case escape is unknown", "%S %A %Z", "s", "a", "z", 256, "%S %A %Z" },
	{ "expand value with percent not re-expanded", "from %s", "%a@x", "ADDR", NULL, 256,
	    "from %a@x" },
	{ "expand truncates literal text", "Relay rejected", NULL, NULL, NULL, 6, "Relay" },
	{ "expand truncates inside a value", "from %s!", "sender@example.org", NULL, NULL, 10,
	    "from send" },
	{ "expand into one byte", "anything %s", "x", NULL, NULL, 1, "" },
};

static void
test_expand_row(void **state)
{
	const struct expand_row *r = *state;
	struct reply rep = { "550", "5.7.1", "", REPLY_REJECT };
	char buf[600];

	snprintf(rep.text, sizeof(rep.text), "%s", r->text);
	memset(buf, 'Z', sizeof(buf));
	reply_expand(&rep, r->sender, r->addr, r->zone, buf, r->len);
	assert_string_equal(buf, r->want);
	assert_int_equal(buf[r->len], 'Z');
}

/* Like snprintf, a zero-length buffer must not be written at all. */
static void
test_expand_zero_length(void **state)
{
	struct reply rep = { "550", "5.7.1", "text", REPLY_REJECT };
	char buf[4] = "XYZ";

	(void)state;
	reply_expand(&rep, "s", "a", "z", buf, 0);
	assert_string_equal(buf, "XYZ");
}

/* Parse then format gives the configured text back unchanged. */
static void
test_round_trip(void **state)
{
	static const char *const texts[] = {
		"554 5.7.1 Relay rejected for policy reasons.",
		"550 5.7.1 Sender address rejected: not owned by authenticated user",
		"550 5.1.1 No such user here",
	};
	struct reply rep;
	char err[256], buf[600];

	(void)state;
	for (size_t i = 0; i < RW_NELEM(texts); i++) {
		assert_int_equal(reply_parse(texts[i], REPLY_REJECT, &rep, err, sizeof(err)), 0);
		reply_format(&rep, buf, sizeof(buf));
		assert_string_equal(buf, texts[i]);
	}
}

static void
make_long_texts(void)
{
	snprintf(long_text_ok, sizeof(long_text_ok), "554 5.7.1 %0255d", 0);
	memset(long_text_ok + 10, 'a', 255);
	snprintf(long_text_bad, sizeof(long_text_bad), "554 5.7.1 %0256d", 0);
	memset(long_text_bad + 10, 'b', 256);
}

#define ADD_ROWS(rows, fn)                                                       \
	for (size_t i = 0; i < RW_NELEM(rows); i++)                              \
		tests[n++] = (struct CMUnitTest){ (rows)[i].label, fn, NULL, NULL, \
			(void *)&(rows)[i] }

int
main(void)
{
	static struct CMUnitTest tests[RW_NELEM(parse_rows) + RW_NELEM(format_rows) +
	    RW_NELEM(expand_rows) + 8];
	size_t n = 0;

	make_long_texts();
	ADD_ROWS(parse_rows, test_parse_row);
	ADD_ROWS(format_rows, test_format_row);
	ADD_ROWS(expand_rows, test_expand_row);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_parse_short_errbuf);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_expand_zero_length);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_round_trip);
	return _cmocka_run_group_tests("reply", tests, n, NULL, NULL);
}

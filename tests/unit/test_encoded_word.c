/*
 * test_encoded_word.c - RFC 2047 decoding (encoded_word.c) and NFKC
 * folding (text_fold.c), table-driven: what a reader's mail program shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "encoded_word.h"
#include "text_fold.h"

struct row {
	const char *label;
	const char *in;
	const char *out;       /* decoded text, or NULL: refused with error */
	const char *error;
};

static const struct row decode_rows[] = {
	{ "plain text untouched", "John Doe", "John Doe", NULL },
	{ "Q with underscore and escape", "=?utf-8?q?J=C3=B6rg_Doe?=", "J\xc3\xb6rg Doe", NULL },
	{ "Q upper-case marker", "=?UTF-8?Q?a=40b?=", "a@b", NULL },
	{ "Q lower-case hex", "=?utf-8?q?=c3=b6?=", "\xc3\xb6", NULL },
	{ "B padded", "=?utf-8?B?YUBiLmM=?=", "a@b.c", NULL },
	{ "B unpadded", "=?utf-8?b?YUBiLmM?=", "a@b.c", NULL },
	{ "latin-1", "=?iso-8859-1?q?J=F6rg?=", "J\xc3\xb6rg", NULL },
	{ "windows-1252 euro", "=?windows-1252?q?=80?=", "\xe2\x82\xac", NULL },
	{ "UTF-16BE", "=?utf-16be?b?AGEAQABiAC4AYw==?=", "a@b.c", NULL },
	{ "ISO-2022-JP (stateful)", "=?iso-2022-jp?b?GyRCJCIbKEI=?=", "\xe3\x81\x82", NULL },
	{ "RFC 2231 language", "=?utf-8*en?q?Hi?=", "Hi", NULL },
	{ "blanks between words vanish", "=?utf-8?q?a?= \t =?utf-8?q?b?=", "ab", NULL },
	{ "blanks before plain text stay", "=?utf-8?q?a?= b", "a b", NULL },
	{ "word inside an atom", "x=?utf-8?q?=40?=y", "x@y", NULL },
	{ "empty payload", "=?utf-8?q?" "?=", "", NULL },
	{ "not a word: no encoding", "=?utf-8?x?a?=", "=?utf-8?x?a?=", NULL },
	{ "not a word: never closed", "=?utf-8?q?abc", "=?utf-8?q?abc", NULL },
	{ "not a word: lone opener", "a =? b", "a =? b", NULL },
	{ "unknown charset", "=?x-nope?q?a?=", NULL,
	  "encoded word in an unknown charset or invalid in it" },
	{ "no charset", "=??q?a?=", NULL, "encoded word without a charset" },
	{ "iconv suffix", "=?utf-8//IGNORE?q?a=FF?=", NULL,
	  "encoded word in an unknown charset or invalid in it" },
	{ "special in charset", "=?utf-8@?q?a?=", NULL,
	  "encoded word in an unknown charset or invalid in it" },
	{ "invalid in charset", "=?utf-8?q?=FF?=", NULL,
	  "encoded word in an unknown charset or invalid in it" },
	{ "truncated UTF-8", "=?utf-8?q?=C3?=", NULL,
	  "encoded word in an unknown charset or invalid in it" },
	{ "bad base64 character", "=?utf-8?b?YU!i?=", NULL, "bad base64 in encoded word" },
	{ "dangling sextet", "=?utf-8?b?YUBiL?=", NULL, "bad base64 in encoded word" },
	{ "padding inside", "=?utf-8?b?YQ==YQ==?=", NULL, "bad base64 in encoded word" },
	{ "three pads", "=?utf-8?b?Y===?=", NULL, "bad base64 in encoded word" },
	{ "bad Q escape", "=?utf-8?q?a=4?=", NULL, "bad =XX escape in encoded word" },
	{ "Q escape not hex", "=?utf-8?q?=ZZ?=", NULL, "bad =XX escape in encoded word" },
	{ "decoded NUL", "=?utf-8?q?a=00b?=", NULL, "control character in encoded word" },
	{ "decoded CR LF", "=?utf-8?b?YQ0KYg==?=", NULL, "control character in encoded word" },
};

static const struct row fold_rows[] = {
	{ "ASCII", "alice", "alice", NULL },
	{ "full-width at", "a\xef\xbc\xa0" "b", "a@b", NULL },
	{ "small commercial at", "a\xef\xb9\xab" "b", "a@b", NULL },
	{ "full-width letters", "\xef\xbd\x81\xef\xbc\xa2", "aB", NULL },
	{ "ideographic space", "a\xe3\x80\x80" "b", "a b", NULL },
	{ "composed stays composed", "o\xcc\x88", "\xc3\xb6", NULL },
	{ "empty", "", "", NULL },
	{ "invalid UTF-8", "J\xf6rg", NULL, "display text is not valid UTF-8" },
	{ "overlong", "\xc0\xa0", NULL, "display text is not valid UTF-8" },
};

static void
check(const struct row *rows, size_t n, char *(*fn)(const char *, size_t, const char **))
{
	for (size_t i = 0; i < n; i++) {
		const char *error = NULL;
		char *got = fn(rows[i].in, strlen(rows[i].in), &error);
		if (rows[i].out != NULL && (got == NULL || strcmp(got, rows[i].out) != 0))
			fail_msg("%s: got \"%s\" (%s), expected \"%s\"", rows[i].label,
			    got ? got : "NULL", error ? error : "-", rows[i].out);
		if (rows[i].out == NULL && (got != NULL || strcmp(error, rows[i].error) != 0))
			fail_msg("%s: got \"%s\" (%s), expected refusal \"%s\"", rows[i].label,
			    got ? got : "NULL", error ? error : "-", rows[i].error);
		free(got);
	}
}

static char *
decode_joined(const char *text, size_t len, const char **error)
{
	return encoded_word_decode(text, len, true, error);
}

static void
test_decode(void **state)
{
	const char *error = NULL;
	char *apart;

	(void)state;
	check(decode_rows, sizeof(decode_rows) / sizeof(decode_rows[0]), decode_joined);
	apart = encoded_word_decode("=?utf-8?q?a?= \t=?utf-8?q?b?=", 29, false, &error);
	assert_string_equal(apart, "a \tb");
	free(apart);
}

static void
test_fold(void **state)
{
	(void)state;
	check(fold_rows, sizeof(fold_rows) / sizeof(fold_rows[0]), text_fold_nfkc);
}

static void
test_present(void **state)
{
	(void)state;
	assert_true(encoded_word_present("x=?y", 4));
	assert_false(encoded_word_present("x=?y", 2));
	assert_false(encoded_word_present("a=b?c", 5));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_present),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

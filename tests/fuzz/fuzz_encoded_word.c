/*
 * fuzz_encoded_word.c - libFuzzer target for encoded_word.c and
 * text_fold.c (issue 14): any bytes up to a NUL, decoded both ways (adjacent words
 * joined and apart), then folded with NFKC.
 *
 * A decode either succeeds with a NUL-terminated string or fails with a
 * reason; text without "=?" decodes to itself; a decoded text never holds
 * a control byte the input did not have; the fold either succeeds or
 * fails with a reason, and folding its own output gives the same text
 * (NFKC is idempotent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "encoded_word.h"
#include "text_fold.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return true;
	return false;
}

static void
fold_twice(const char *s)
{
	const char *error = NULL;
	char *once = text_fold_nfkc(s, strlen(s), &error), *twice;

	if (once == NULL) {
		if (error == NULL)
			abort();
		return;
	}
	twice = text_fold_nfkc(once, strlen(once), &error);
	if (twice == NULL || strcmp(once, twice) != 0)
		abort();
	free(twice);
	free(once);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	bool controls;

	if (size > 4096)
		return 0;
	size = strnlen(text, size);     /* a C string, as the parser hands it over */
	controls = has_control(text, size);
	for (int join = 0; join < 2; join++) {
		const char *error = NULL;
		char *out = encoded_word_decode(text, size, join, &error);
		if (out == NULL) {
			if (error == NULL)
				abort();
			continue;
		}
		if (!encoded_word_present(text, size) &&
		    (strlen(out) != size || memcmp(out, text, size) != 0))
			abort();
		if (!controls && has_control(out, strlen(out)))
			abort();
		fold_twice(out);
		free(out);
	}
	return 0;
}

/*
 * text_fold.c - NFKC through libunistring (uninorm.h).
 *
 * Invalid UTF-8 is refused rather than replaced: bytes in an unknown
 * charset may show as anything, "@" included, in some mail program.
 */
#include <stdlib.h>
#include <string.h>
#include <unistr.h>
#include <uninorm.h>

#include "text_fold.h"
#include "xalloc.h"

char *
text_fold_nfkc(const char *text, size_t len, const char **error)
{
	size_t n = 0;
	uint8_t *norm;
	char *out;

	if (memchr(text, '\0', len) != NULL || u8_check((const uint8_t *)text, len) != NULL) {
		*error = "display text is not valid UTF-8";
		return NULL;
	}
	if (len == 0) {
		out = xmalloc(1);
		out[0] = '\0';
		return out;
	}
	norm = u8_normalize(UNINORM_NFKC, (const uint8_t *)text, len, NULL, &n);
	if (norm == NULL) {
		*error = "display text cannot be normalised";
		return NULL;
	}
	out = xmalloc(n + 1);
	memcpy(out, norm, n);
	out[n] = '\0';
	free(norm);
	return out;
}

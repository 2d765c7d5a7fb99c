/*
 * header_token.h - the lexical pieces of an originator header value.
 *
 * header.c's tokenizer makes them from its unfolded copy of the value;
 * its grammar parses mailboxes from them and header_display.c judges the
 * display text (phrases, comments) they hold. Types only: the text
 * pointers point into the tokenizer's buffer, owned by header.c.
 */
#ifndef RW_HEADER_TOKEN_H
#define RW_HEADER_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

enum header_token_kind {
	HEADER_TOKEN_ATOM,
	HEADER_TOKEN_QUOTED,
	HEADER_TOKEN_LITERAL,
	HEADER_TOKEN_SPECIAL,
};

struct header_token {
	enum header_token_kind kind;
	char special;          /* HEADER_TOKEN_SPECIAL */
	bool space_before;     /* blanks or a comment before it */
	bool escaped;          /* HEADER_TOKEN_QUOTED: held a quoted-pair */
	const char *text;      /* into the unfolded copy; not NUL-terminated */
	size_t len;
};

struct header_comment {
	const char *text;      /* unescaped in place, outer parentheses dropped */
	size_t len;
	size_t pos;            /* tokens before it */
	bool judged;
	bool escaped;          /* held a quoted-pair */
};

#endif

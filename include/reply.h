/*
 * reply.h - SMTP replies as the admin writes them and as libmilter needs them.
 *
 * A reply string "554 5.7.1 Relay rejected for policy reasons." is split into
 * code, enhanced code and text once, at config load, and checked against the
 * action it serves: libmilter silently drops a reply whose class does not fit
 * the callback's return value, so a misfit is a config error, not a surprise
 * in production. Pure; the smfi_setreply call lives in callbacks.c.
 */
#ifndef RW_REPLY_H
#define RW_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define REPLY_TEXT_MAX 256

enum reply_class {
	REPLY_REJECT,     /* 5xx */
	REPLY_TEMPFAIL,   /* 4xx */
	REPLY_EITHER,     /* 4xx or 5xx: the code chooses (recipients.max); parsed
	                     replies carry the class their code gave */
};

struct reply {
	char code[4];                    /* "554" */
	char xcode[16];                  /* "5.7.1" */
	char text[REPLY_TEXT_MAX];       /* "Relay rejected for policy reasons." */
	enum reply_class klass;
};

/* Parses and validates text for klass. Returns 0, or -1 with a one-line
 * problem in err (e.g. "code 454 is a temporary failure; this action
 * rejects, expected 5xx"). */
int reply_parse(const char *text, enum reply_class klass, struct reply *out,
    char *err, size_t errlen);

/* Formats "code xcode text" into buf. */
void reply_format(const struct reply *r, char *buf, size_t len);

/* Expands %-escapes in r->text into buf (for libmilter, '%' must be doubled
 * there; callbacks do that): %s sender, %a client address, %z DNS zone.
 * Missing values expand to "". Unknown escapes are kept literally. */
void reply_expand(const struct reply *r, const char *sender, const char *addr,
    const char *zone, char *buf, size_t len);

#endif

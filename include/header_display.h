/*
 * header_display.h - judging the display text of an originator header.
 *
 * header.c hands over a phrase (a run of its tokens) or its comments, with
 * the mailbox they name (NULL for a group or no mailbox); the text is read
 * as mail programs show it (raw, RFC 2047 decoded, NFKC) and may not read
 * as another address. Pure; thread-safe; allocates only scratch text.
 */
#ifndef RW_HEADER_DISPLAY_H
#define RW_HEADER_DISPLAY_H

#include <stddef.h>

#include "address.h"
#include "header_token.h"

/* The phrase toks[a, b) (of ntoks): 0, or -1 with a static reason in
 * *error - why when it reads as another address than box's. */
int header_display_phrase(const struct header_token *toks, size_t ntoks, size_t a, size_t b,
    const struct address *box, const char *why, const char **error);

/* The display name a reader builds from the phrase toks[a, lt) and every
 * comment placed within tokens [a, b]: 0, or -1 with *error. */
int header_display_joined(const struct header_token *toks, const struct header_comment *comments,
    size_t ncomments, size_t a, size_t lt, size_t b, const struct address *box,
    const char **error);

/* Each comment placed within tokens [a, b] not judged yet, marked judged:
 * 0, or -1 with *error. */
int header_display_comments(struct header_comment *comments, size_t ncomments, size_t a, size_t b,
    const struct address *box, const char **error);

#endif

/*
 * xalloc.h - allocate or die.
 *
 * Every function succeeds or logs at err and exits with EX_OSERR (Postfix's
 * mymalloc contract). The MTA's milter_default_action = tempfail turns a
 * dead milter into 4xx, so no caller carries an out-of-memory branch.
 * Thread-safe.
 */
#ifndef RW_XALLOC_H
#define RW_XALLOC_H

#include <stddef.h>

#include "compat.h"

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a freshly allocated formatted string. */
char *xasprintf(const char *fmt, ...) RW_PRINTF(1, 2);

#endif

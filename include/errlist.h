/*
 * errlist.h - a list of "FILE:LINE: KEY: problem" lines.
 *
 * Config loading appends every problem here and keeps going, so one run
 * reports all of them; main prints them, reload logs them, check prints
 * them. Owned by one thread at a time.
 */
#ifndef RW_ERRLIST_H
#define RW_ERRLIST_H

#include <stddef.h>

#include "compat.h"

struct errlist {
	char **lines;
	size_t count;
	char **warnings;    /* same format, never fatal */
	size_t nwarnings;
};

/* file may be NULL; line <= 0 omits the line number; key may be NULL. */
void errlist_add(struct errlist *e, const char *file, int line, const char *key,
    const char *fmt, ...) RW_PRINTF(5, 6);
void errlist_warn(struct errlist *e, const char *file, int line, const char *key,
    const char *fmt, ...) RW_PRINTF(5, 6);
/* Puts the lines from index from on that name a line of file in the order
 * of their line numbers (stable: one line's problems keep their order);
 * a line without a number stays where it is and bounds the sorting. */
void errlist_sort(struct errlist *e, size_t from, const char *file);
void errlist_clear(struct errlist *e);

#endif

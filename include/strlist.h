/*
 * strlist.h - a growable list of owned strings, v[n] == NULL.
 */
#ifndef RW_STRLIST_H
#define RW_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v;
	size_t n;
};

void strlist_add(struct strlist *l, const char *s);
/* dst becomes a copy of src (dst's old contents are not freed). */
void strlist_copy(struct strlist *dst, const struct strlist *src);
void strlist_free(struct strlist *l);

#endif

/*
 * strlist.c - a growable, NULL-terminated list of strings (LDAP URIs and
 * attributes, DNS servers and zones): the policy owns every copy.
 */
#include <stdlib.h>

#include "strlist.h"
#include "xalloc.h"

void
strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 2) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL;
}

void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
strlist_copy(struct strlist *dst, const struct strlist *src)
{
	*dst = (struct strlist){ 0 };
	for (size_t i = 0; i < src->n; i++)
		strlist_add(dst, src->v[i]);
}

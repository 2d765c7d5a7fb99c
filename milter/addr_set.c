/*
 * addr_set.c - sets of addresses and address domains (see addr_set.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr_set.h"
#include "idn.h"
#include "strmap.h"
#include "xalloc.h"

/* ---- address sets ---- */

struct addr_set {
	struct strmap *keys;   /* "local@domain" and "@domain" */
};

struct addr_set *
addr_set_new(void)
{
	struct addr_set *s = xcalloc(1, sizeof(*s));

	s->keys = strmap_new();
	return s;
}

void
addr_set_free(struct addr_set *s)
{
	if (s == NULL)
		return;
	strmap_free(s->keys);
	free(s);
}

/* "local@domain" with the local part folded (idn_local_fold) and the
 * domain in A-label form: the key both sides are compared under. */
static bool
addr_key(const char *local, size_t nl, const char *domain, char *key, size_t len)
{
	size_t n = idn_local_fold(local, nl, key, len);

	return n != (size_t)-1 && (size_t)snprintf(key + n, len - n, "@%s", domain) < len - n;
}

int
addr_set_add(struct addr_set *s, const char *entry, char *err, size_t errlen)
{
	const char *at = strrchr(entry, '@');
	char domain[256], key[600];

	if (at == NULL || !domain_normalize(at + 1, domain, sizeof(domain)) ||
	    (size_t)(at - entry) > 256 || !addr_key(entry, (size_t)(at - entry), domain, key,
	    sizeof(key))) {
		snprintf(err, errlen, "\"%s\" is not an address (expected local@domain or @domain)",
		    entry);
		return -1;
	}
	strmap_put(s->keys, key, strlen(key), 1);
	return 0;
}

bool
addr_set_match(const struct addr_set *s, const char *local, const char *domain)
{
	char key[600];

	if (addr_key(local, strlen(local), domain, key, sizeof(key)) &&
	    strmap_get(s->keys, key, strlen(key), NULL))
		return true;
	snprintf(key, sizeof(key), "@%s", domain);
	return domain[0] != '\0' && strmap_get(s->keys, key, strlen(key), NULL);
}

size_t
addr_set_count(const struct addr_set *s)
{
	return strmap_count(s->keys);
}

/*
 * domain.c - domain names in A-label form and domain sets (see domain.h).
 *
 * A set keeps its names in a strmap with notation flags and is matched by
 * walking the query's label suffixes: the cost is the query's label count,
 * whatever the list size. Built on the loading thread, read concurrently
 * afterwards; never changed once built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "idn.h"
#include "strmap.h"
#include "xalloc.h"

enum { DOM_PLAIN = 1, DOM_EXACT = 2, DOM_SUB = 4 };

bool
domain_normalize(const char *name, char *out, size_t outlen)
{
	size_t len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || outlen < IDN_DOMAIN_MAX + 1)
		return false;
	return idn_domain_to_ascii(name, len, out, outlen) == NULL;
}

/* ---- domain sets ---- */

struct domain_set {
	struct strmap *names;
	bool any;
	size_t count;
};

struct domain_set *
domain_set_new(void)
{
	struct domain_set *s = xcalloc(1, sizeof(*s));

	s->names = strmap_new();
	return s;
}

void
domain_set_free(struct domain_set *s)
{
	if (s == NULL)
		return;
	strmap_free(s->names);
	free(s);
}

/* Address literals ("[10.1.1.1]", "[ipv6:...]") are kept verbatim: a
 * recipient domain may be one. */
static bool
literal_domain(const char *entry, char *out, size_t outlen)
{
	size_t len = strlen(entry);

	if (len < 3 || len >= outlen || entry[0] != '[' || entry[len - 1] != ']')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = entry[i];
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[len] = '\0';
	return true;
}

int
domain_set_add(struct domain_set *s, const char *entry, char *err, size_t errlen)
{
	char name[256];
	unsigned flag = DOM_PLAIN;
	const char *body = entry;

	if (strcmp(entry, "*") == 0) {
		s->any = true;
		s->count++;
		return 0;
	}
	if (entry[0] == '@' || entry[0] == '.') {
		flag = entry[0] == '@' ? DOM_EXACT : DOM_SUB;
		body = entry + 1;
	}
	if (!domain_normalize(body, name, sizeof(name)) &&
	    !(flag == DOM_PLAIN && literal_domain(body, name, sizeof(name)))) {
		snprintf(err, errlen, "\"%s\" is not a valid domain name (expected name, @name, "
		    ".name or *)", entry);
		return -1;
	}
	if (name[0] == '[')
		flag = DOM_EXACT;
	strmap_put(s->names, name, strlen(name), flag);
	s->count++;
	return 0;
}

bool
domain_set_match(const struct domain_set *s, const char *domain)
{
	size_t len = strlen(domain);
	unsigned flags;

	if (s->any)
		return true;
	if (len > 0 && domain[len - 1] == '.')
		len--;
	if (len == 0)
		return false;
	if (strmap_get(s->names, domain, len, &flags) && (flags & (DOM_PLAIN | DOM_EXACT)))
		return true;
	for (size_t i = 0; i < len; i++) {
		if (domain[i] != '.' || i + 1 >= len)
			continue;
		if (strmap_get(s->names, domain + i + 1, len - i - 1, &flags) &&
		    (flags & (DOM_PLAIN | DOM_SUB)))
			return true;
	}
	return false;
}

size_t
domain_set_count(const struct domain_set *s)
{
	return s->count;
}

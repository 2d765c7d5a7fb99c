/*
 * domain.h - domain names in A-label form, and the domain sets behind every domain
 * list (relay.allow_to_domains, ...). Pure; immutable once built.
 *
 * Domain rules (DESIGN §2 "Matching"): "acme.com" matches acme.com and every
 * subdomain on a label boundary (never notacme.com); "@acme.com" matches that
 * domain only; ".acme.com" matches subdomains only; "*" matches everything.
 * Comparison is ASCII case-insensitive and one trailing dot is ignored on both
 * sides. International names may be given as U-labels or A-labels; both are
 * stored and compared in A-label form (idn.h).
 */
#ifndef RW_DOMAIN_H
#define RW_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

/* Writes name's lower-case A-label form (idn_domain_to_ascii) into out
 * (outlen >= 254) without one trailing dot and checks it is a plausible DNS
 * name (labels of [a-z0-9_-], 1-63 bytes, total <= 253; an international
 * name must be IDNA2008). Returns false (out unspecified) when it is not. */
bool domain_normalize(const char *name, char *out, size_t outlen);

/* ---- domain sets: relay.allow_to_domains, relay.deny_to_domains, ... ---- */
struct domain_set;

struct domain_set *domain_set_new(void);
void domain_set_free(struct domain_set *s);
/* Adds "*", "name", "@name" or ".name". Returns 0, or -1 with a one-line
 * problem in err ("not a valid domain name", ...). */
int domain_set_add(struct domain_set *s, const char *entry, char *err, size_t errlen);
bool domain_set_match(const struct domain_set *s, const char *domain);
size_t domain_set_count(const struct domain_set *s);

#endif

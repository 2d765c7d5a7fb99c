/*
 * addr_set.h - the address sets behind sender.allow/deny, recipients.allow/deny
 * and the exempt lists: "local@domain" and "@domain" entries, one hash
 * probe per lookup. Pure; immutable once built.
 */
#ifndef RW_ADDR_SET_H
#define RW_ADDR_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"

/* ---- address sets: sender.allow/deny, recipients.allow/deny, exempt lists ---- */
struct addr_set;

struct addr_set *addr_set_new(void);
void addr_set_free(struct addr_set *s);
/* Entry: "local@domain" (exact, case-insensitive) or "@domain" (that domain,
 * every local part). Returns 0, or -1 with a one-line problem in err. */
int addr_set_add(struct addr_set *s, const char *entry, char *err, size_t errlen);
/* local and domain as address.h produces them; domain may be "". */
bool addr_set_match(const struct addr_set *s, const char *local, const char *domain);
size_t addr_set_count(const struct addr_set *s);

#endif

/*
 * host_set.h - the host sets behind every host list (relay.exclude_hosts,
 * *_from_hosts, internal_networks, ...): names with the domain rules of
 * domain.h, addresses and networks. Lookups cost O(address bits) or
 * O(labels), whatever the list size. Pure; immutable once built.
 */
#ifndef RW_HOST_SET_H
#define RW_HOST_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "ip.h"

/* ---- host sets: relay.exclude_hosts, *_from_hosts, internal_networks ---- */
struct host_set;

#define HOST_SET_ADDRESSES_ONLY 0x1   /* refuse host names (internal_networks) */

struct host_set *host_set_new(void);
void host_set_free(struct host_set *s);
/* Entry forms: "*"; a host name with the domain rules above, matched against
 * the client's verified name; an address in Domino's forms, bracketed or not:
 * "10.1.1.1", "[10.1.1.*]" or "10.1.*.*" (trailing wildcard octets only),
 * "[10.1.1.1-30]" (a range in the last non-wildcard octet), "10.1.1.0/27",
 * IPv6 "2001:db8::1", "2001:db8::/32", "[IPv6:2001:db8::1]".
 * Returns 0, or -1 with a one-line problem in err. */
int host_set_add(struct host_set *s, const char *entry, unsigned flags,
    char *err, size_t errlen);
/* ip may be NULL (address unknown); name may be NULL or "" (no verified
 * name). True if any entry matches the address or the name. */
bool host_set_match(const struct host_set *s, const struct ip_addr *ip, const char *name);
size_t host_set_count(const struct host_set *s);

#endif

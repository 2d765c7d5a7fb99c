/*
 * netmatch.h - the list matchers behind every host, domain and address list.
 *
 * Built once at config load, then read concurrently by any thread (the sets
 * are immutable after building). Lookups cost O(1) hash probes, O(labels)
 * for domains, or O(address bits) for the prefix trie, whatever the size of
 * the list: never a scan over the entries. Pure: no I/O, no DNS, no libmilter.
 *
 * Domain rules (DESIGN §2 "Matching"): "acme.com" matches acme.com and every
 * subdomain on a label boundary (never notacme.com); "@acme.com" matches that
 * domain only; ".acme.com" matches subdomains only; "*" matches everything.
 * Comparison is ASCII case-insensitive and one trailing dot is ignored on both
 * sides. International names may be given as U-labels or A-labels; both are
 * stored and compared in A-label form (idn.h).
 */
#ifndef RW_NETMATCH_H
#define RW_NETMATCH_H

#include <stdbool.h>
#include <stddef.h>

struct ip_addr {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char bytes[16];  /* network order; 4 bytes used for AF_INET */
};

/* Parses a bare IPv4 or IPv6 literal (no brackets, no prefix). An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d) is returned as AF_INET. */
bool ip_parse(const char *text, struct ip_addr *out);
/* True if v is "ip", "ip:port", "[v6]" or "[v6]:port"; writes "ip:port"
 * ("[v6]:port"), the port default_port when v has none, to out. */
bool ip_port_parse(const char *v, long default_port, char *out, size_t len);
/* Formats like inet_ntop; buf should hold 46 bytes. */
void ip_format(const struct ip_addr *ip, char *buf, size_t len);

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

/*
 * host_set.c - host sets: names, addresses and networks (see host_set.h).
 *
 * Addresses and networks live in a binary prefix trie per family and are
 * matched by walking the address bits; names in a domain set. Both cost the
 * same whatever the list size. Built on the loading thread, read
 * concurrently afterwards; never changed once built.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "host_set.h"
#include "xalloc.h"

/* ---- prefix trie ---- */

struct trie_node {
	unsigned child[2];     /* index into nodes; 0 = none (node 0 is the root) */
	bool terminal;
};

struct trie {
	struct trie_node *nodes;
	size_t count, cap;
};

static void
trie_init(struct trie *t)
{
	t->cap = 16;
	t->nodes = xcalloc(t->cap, sizeof(*t->nodes));
	t->count = 1;
}

static int
bit_at(const unsigned char *bytes, unsigned i)
{
	return (bytes[i / 8] >> (7 - i % 8)) & 1;
}

static void
trie_insert(struct trie *t, const unsigned char *bytes, unsigned prefix)
{
	size_t n = 0;

	for (unsigned i = 0; i < prefix && !t->nodes[n].terminal; i++) {
		int b = bit_at(bytes, i);
		if (t->nodes[n].child[b] == 0) {
			if (t->count == t->cap) {
				t->cap *= 2;
				t->nodes = xrealloc(t->nodes, t->cap * sizeof(*t->nodes));
			}
			memset(&t->nodes[t->count], 0, sizeof(*t->nodes));
			t->nodes[n].child[b] = (unsigned)t->count++;
		}
		n = t->nodes[n].child[b];
	}
	t->nodes[n].terminal = true;
}

static bool
trie_match(const struct trie *t, const unsigned char *bytes, unsigned bits)
{
	size_t n = 0;

	for (unsigned i = 0; i < bits; i++) {
		if (t->nodes[n].terminal)
			return true;
		n = t->nodes[n].child[bit_at(bytes, i)];
		if (n == 0)
			return false;
	}
	return t->nodes[n].terminal;
}

/* ---- host sets ---- */

struct host_set {
	struct domain_set *names;
	struct trie v4, v6;
	bool any;
	size_t count;
};

struct host_set *
host_set_new(void)
{
	struct host_set *s = xcalloc(1, sizeof(*s));

	s->names = domain_set_new();
	trie_init(&s->v4);
	trie_init(&s->v6);
	return s;
}

void
host_set_free(struct host_set *s)
{
	if (s == NULL)
		return;
	domain_set_free(s->names);
	free(s->v4.nodes);
	free(s->v6.nodes);
	free(s);
}

/* Inserts the octets [lo, hi] at position k (bytes[0..k) fixed) as the
 * fewest aligned prefixes. */
static void
insert_range(struct trie *t, unsigned char *bytes, unsigned k, unsigned lo, unsigned hi)
{
	while (lo <= hi) {
		unsigned size = 1, bits = 0;
		while (bits < 8 && lo % (size * 2) == 0 && lo + size * 2 - 1 <= hi) {
			size *= 2;
			bits++;
		}
		bytes[k] = (unsigned char)lo;
		trie_insert(t, bytes, k * 8 + 8 - bits);
		lo += size;
	}
}

/* One octet: "N", "*" or "N-M". Returns false if malformed. */
static bool
parse_octet(const char *s, size_t len, unsigned *lo, unsigned *hi, bool *star)
{
	char buf[16], *end;

	*star = len == 1 && s[0] == '*';
	if (*star || len == 0 || len >= sizeof(buf))
		return *star;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return false;
	unsigned long a = strtoul(buf, &end, 10), b = a;
	if (*end == '-') {
		const char *second = end + 1;
		if (*second < '0' || *second > '9')
			return false;
		b = strtoul(second, &end, 10);
	}
	if (*end != '\0' || a > 255 || b > 255 || a > b)
		return false;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return true;
}

static int
add_v4_pattern(struct host_set *s, const char *text, char *err, size_t errlen)
{
	unsigned char bytes[4] = { 0 };
	const char *p = text;
	int open_at = -1;        /* first octet that is a range or '*' */

	for (unsigned k = 0; k < 4; k++) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		unsigned lo = 0, hi = 255;
		bool star;
		if ((k < 3) != (dot != NULL) || !parse_octet(p, len, &lo, &hi, &star)) {
			snprintf(err, errlen, "\"%s\" is not an IPv4 address or Domino pattern "
			    "(expected a.b.c.d, a.b.c.*, a.b.c.N-M or a.b.c.d/len)", text);
			return -1;
		}
		if (open_at >= 0 && !star) {
			snprintf(err, errlen, "\"%s\": after a range or *, only * may follow "
			    "(wildcards must be trailing octets)", text);
			return -1;
		}
		if (open_at < 0 && (star || lo != hi)) {
			open_at = (int)k;
			if (!star)
				insert_range(&s->v4, bytes, k, lo, hi);
			else
				trie_insert(&s->v4, bytes, k * 8);
		}
		bytes[k] = (unsigned char)lo;
		p = dot ? dot + 1 : p + len;
	}
	if (open_at < 0)
		trie_insert(&s->v4, bytes, 32);
	return 0;
}

static int
add_cidr(struct host_set *s, const char *text, char *err, size_t errlen)
{
	char addr[64], *end;
	const char *slash = strchr(text, '/');
	struct ip_addr ip;
	size_t alen = (size_t)(slash - text);

	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	unsigned long len = strtoul(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || !ip_parse(addr, &ip) ||
	    (strchr(addr, ':') != NULL && ip.family == AF_INET))
		goto bad;
	unsigned bits = ip.family == AF_INET ? 32 : 128;
	if (len > bits)
		goto bad;
	for (unsigned i = (unsigned)len; i < bits; i++) {
		if (bit_at(ip.bytes, i)) {
			snprintf(err, errlen, "\"%s\" has host bits set beyond /%lu", text, len);
			return -1;
		}
	}
	trie_insert(ip.family == AF_INET ? &s->v4 : &s->v6, ip.bytes, (unsigned)len);
	return 0;
bad:
	snprintf(err, errlen, "\"%s\" is not a network (expected a.b.c.d/len or IPv6/len)", text);
	return -1;
}

static bool
looks_numeric_v4(const char *s)
{
	return strchr(s, '.') != NULL && strspn(s, "0123456789.*-") == strlen(s);
}

/* Adds an address form; returns 1 if text was not one (a name). */
static int
add_address(struct host_set *s, const char *text, char *err, size_t errlen)
{
	struct ip_addr ip;

	if (strchr(text, '/') != NULL)
		return add_cidr(s, text, err, errlen);
	if (strchr(text, ':') != NULL) {
		if (!ip_parse(text, &ip)) {
			snprintf(err, errlen, "\"%s\" is not an IPv6 address", text);
			return -1;
		}
		trie_insert(ip.family == AF_INET ? &s->v4 : &s->v6, ip.bytes,
		    ip.family == AF_INET ? 32 : 128);
		return 0;
	}
	if (looks_numeric_v4(text))
		return add_v4_pattern(s, text, err, errlen);
	return 1;
}

int
host_set_add(struct host_set *s, const char *entry, unsigned flags, char *err, size_t errlen)
{
	char inner[256];
	size_t len = strlen(entry);
	bool bracketed = len >= 2 && entry[0] == '[' && entry[len - 1] == ']';

	if (strcmp(entry, "*") == 0) {
		s->any = true;
		s->count++;
		return 0;
	}
	if (len == 0 || len >= sizeof(inner)) {
		snprintf(err, errlen, "\"%s\" is not a host, address or network", entry);
		return -1;
	}
	snprintf(inner, sizeof(inner), "%.*s", (int)(bracketed ? len - 2 : len),
	    bracketed ? entry + 1 : entry);
	const char *text = strncasecmp(inner, "ipv6:", 5) == 0 ? inner + 5 : inner;
	int rc = add_address(s, text, err, errlen);
	if (rc <= 0) {
		s->count += rc == 0;
		return rc;
	}
	if (bracketed || (flags & HOST_SET_ADDRESSES_ONLY)) {
		snprintf(err, errlen, "\"%s\" is not an IP address or network (expected a.b.c.d, "
		    "a.b.c.d/len, IPv6 or IPv6/len)", entry);
		return -1;
	}
	if (domain_set_add(s->names, text, err, errlen) < 0)
		return -1;
	s->count++;
	return 0;
}

bool
host_set_match(const struct host_set *s, const struct ip_addr *ip, const char *name)
{
	if (s->any)
		return true;
	if (ip != NULL && ip->family == AF_INET && trie_match(&s->v4, ip->bytes, 32))
		return true;
	if (ip != NULL && ip->family == AF_INET6 && trie_match(&s->v6, ip->bytes, 128))
		return true;
	return name != NULL && name[0] != '\0' && domain_set_match(s->names, name);
}

size_t
host_set_count(const struct host_set *s)
{
	return s->count;
}

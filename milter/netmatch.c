/*
 * netmatch.c - domain sets, host sets and address sets (see netmatch.h).
 *
 * Domains live in a strmap with notation flags and are matched by walking
 * the query's label suffixes; addresses and networks live in a binary
 * prefix trie per family and are matched by walking the address bits. Both
 * cost the same whatever the list size. Built on the loading thread, read
 * concurrently afterwards; never changed once built.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "idn.h"
#include "netmatch.h"
#include "strmap.h"
#include "xalloc.h"

enum { DOM_PLAIN = 1, DOM_EXACT = 2, DOM_SUB = 4 };

bool
ip_parse(const char *text, struct ip_addr *out)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, out->bytes) != 1)
		return false;
	out->family = AF_INET6;
	if (memcmp(out->bytes, mapped, sizeof(mapped)) == 0) {
		memmove(out->bytes, out->bytes + 12, 4);
		memset(out->bytes + 4, 0, 12);
		out->family = AF_INET;
	}
	return true;
}

void
ip_format(const struct ip_addr *ip, char *buf, size_t len)
{
	if (inet_ntop(ip->family, ip->bytes, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

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

bool
ip_port_parse(const char *v, long default_port, char *out, size_t len)
{
	char host[64];
	const char *port = NULL;
	struct ip_addr ip;

	if (v[0] == '[') {
		const char *end = strchr(v, ']');
		if (end == NULL || (size_t)(end - v - 1) >= sizeof(host))
			return false;
		snprintf(host, sizeof(host), "%.*s", (int)(end - v - 1), v + 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return false;
	} else {
		const char *colon = strchr(v, ':');
		bool v4 = colon != NULL && strchr(colon + 1, ':') == NULL;
		size_t hl = v4 ? (size_t)(colon - v) : strlen(v);
		if (hl >= sizeof(host))
			return false;
		snprintf(host, sizeof(host), "%.*s", (int)hl, v);
		port = v4 ? colon + 1 : NULL;
	}
	if (!ip_parse(host, &ip))
		return false;
	long pn = default_port;
	if (port != NULL) {
		char *end;
		pn = strtol(port, &end, 10);
		if (end == port || *end != '\0' || pn < 1 || pn > 65535)
			return false;
	}
	if (ip.family == AF_INET6)
		snprintf(out, len, "[%s]:%ld", host, pn);
	else
		snprintf(out, len, "%s:%ld", host, pn);
	return true;
}

/*
 * dns.c - DNS questions through c-ares, bounded in time (see dns.h).
 *
 * c-ares (1.18 in Debian 12) wants one thread per channel, so idle
 * channels wait in a small pool and a thread that finds none makes its
 * own. A batch of questions (MX, A and AAAA of one domain; one name per
 * DNS list) shares one channel and one deadline, so the batch costs one
 * round trip and never more than its timeout. Answers are read here with
 * a small RR walker, which also yields the TTL the cache honours (the SOA
 * minimum for a negative answer, RFC 2308).
 */
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "dns_cache.h"
#include "stats.h"
#include "xalloc.h"

#define POOL_IDLE_MAX 8
#define TTL_MAX 86400
#define NEGATIVE_TTL_DEFAULT 60     /* a negative answer without an SOA */

enum { T_A = 1, T_SOA = 6, T_MX = 15, T_AAAA = 28, C_IN = 1 };

struct dns {
	char *servers_csv;                 /* NULL: /etc/resolv.conf */
	int timeout;                       /* seconds */
	pthread_mutex_t pool_lock;
	ares_channel idle[POOL_IDLE_MAX];
	size_t nidle;
	struct dns_cache *cache;
};

/* One question of a batch and, once done, its answer. */
struct question {
	char name[300];
	int type;
	bool done;
	int status;                        /* ARES_* */
	unsigned char *abuf;
	int alen;
	uint64_t answered_ns;              /* stats_now_ns() when the answer came */
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_status;

static void
lib_init(void)
{
	lib_status = ares_library_init(ARES_LIB_INIT_ALL);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct dns *
dns_new(const struct strlist *servers, int timeout, const char *file, struct errlist *errs)
{
	size_t before = errs->count, cap = 1, used = 0;
	char entry[128];

	pthread_once(&lib_once, lib_init);
	if (lib_status != ARES_SUCCESS) {
		errlist_add(errs, file, 0, "dns", "c-ares did not initialise: %s",
		    ares_strerror(lib_status));
		return NULL;
	}
	for (size_t i = 0; i < servers->n; i++)
		cap += strlen(servers->v[i]) + 16;
	char *csv = xcalloc(1, cap);
	for (size_t i = 0; i < servers->n; i++) {
		if (!ip_port_parse(servers->v[i], 53, entry, sizeof(entry))) {
			errlist_add(errs, file, 0, "dns.servers", "\"%s\" is not an IP address with "
			    "an optional port (expected e.g. \"127.0.0.1:5353\" or \"[::1]:53\")",
			    servers->v[i]);
			continue;
		}
		used += (size_t)snprintf(csv + used, cap - used, "%s%s", used ? "," : "", entry);
	}
	if (errs->count != before) {
		free(csv);
		return NULL;
	}
	struct dns *d = xcalloc(1, sizeof(*d));
	d->servers_csv = servers->n ? csv : (free(csv), NULL);
	d->timeout = timeout;
	pthread_mutex_init(&d->pool_lock, NULL);
	d->cache = dns_cache_new();
	return d;
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nidle; i++)
		ares_destroy(d->idle[i]);
	dns_cache_free(d->cache);
	pthread_mutex_destroy(&d->pool_lock);
	free(d->servers_csv);
	free(d);
}

/* ---- channels ---- */

static int
channel_new(const struct dns *d, ares_channel *out)
{
	struct ares_options o = { 0 };
	int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;

	o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.timeout = d->timeout * 1000 / 3 > 300 ? d->timeout * 1000 / 3 : 300;
	o.tries = 3;
	int rc = ares_init_options(out, &o, mask);
	if (rc != ARES_SUCCESS)
		return rc;
	if (d->servers_csv != NULL && (rc = ares_set_servers_ports_csv(*out, d->servers_csv)) !=
	    ARES_SUCCESS)
		ares_destroy(*out);
	return rc;
}

static int
channel_get(struct dns *d, ares_channel *out)
{
	pthread_mutex_lock(&d->pool_lock);
	if (d->nidle > 0) {
		*out = d->idle[--d->nidle];
		pthread_mutex_unlock(&d->pool_lock);
		return ARES_SUCCESS;
	}
	pthread_mutex_unlock(&d->pool_lock);
	return channel_new(d, out);
}

static void
channel_put(struct dns *d, ares_channel ch)
{
	pthread_mutex_lock(&d->pool_lock);
	if (d->nidle < POOL_IDLE_MAX) {
		d->idle[d->nidle++] = ch;
		ch = NULL;
	}
	pthread_mutex_unlock(&d->pool_lock);
	if (ch != NULL)
		ares_destroy(ch);
}

static void
on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct question *q = arg;

	(void)timeouts;
	q->done = true;
	q->status = status;
	q->answered_ns = stats_now_ns();
	if (abuf != NULL && alen > 0) {
		q->abuf = xmalloc((size_t)alen);
		memcpy(q->abuf, abuf, (size_t)alen);
		q->alen = alen;
	}
}

static bool
all_done(const struct question *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!q[i].done)
			return false;
	return true;
}

/* One poll over the channel's sockets, at most wait_ms; then lets c-ares
 * read what arrived and retry what timed out. */
static void
poll_once(ares_channel ch, int wait_ms)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM), n = 0;
	struct timeval tv, *tvp = ares_timeout(ch, NULL, &tv);

	/* c-ares's ARES_GETSOCK_WRITABLE shifts a signed 1 into bit 31 (UB). */
	unsigned ubits = (unsigned)bits;
	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		short ev = (short)(((ubits >> i) & 1u ? POLLIN : 0) |
		    ((ubits >> (i + ARES_GETSOCK_MAXNUM)) & 1u ? POLLOUT : 0));
		if (ev != 0)
			pfd[n++] = (struct pollfd){ socks[i], ev, 0 };
	}
	if (tvp != NULL) {
		long long ms = (long long)tvp->tv_sec * 1000 + tvp->tv_usec / 1000 + 1;
		if (ms < wait_ms)
			wait_ms = (int)ms;
	}
	int ready = poll(pfd, (nfds_t)n, wait_ms);
	if (ready <= 0) {
		ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		ares_process_fd(ch, (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) ? pfd[i].fd :
		    ARES_SOCKET_BAD, (pfd[i].revents & POLLOUT) ? pfd[i].fd : ARES_SOCKET_BAD);
	}
}

/* One question for the metrics: how long, and whether it failed (an
 * answer that a name or record does not exist is an answer). */
static void
count_question(const struct question *q, uint64_t asked_ns)
{
	bool answered = q->status == ARES_SUCCESS || q->status == ARES_ENODATA ||
	    q->status == ARES_ENOTFOUND;
	uint64_t end = q->answered_ns > asked_ns ? q->answered_ns : stats_now_ns();

	stats_dns_query(!answered, end - asked_ns);
}

/* Asks all n questions at once; returns when all are answered or the
 * deadline passes (unanswered ones get ARES_ETIMEOUT). */
static void
ask(struct dns *d, struct question *q, size_t n, long long deadline)
{
	ares_channel ch;
	int rc = channel_get(d, &ch);

	if (rc != ARES_SUCCESS) {
		for (size_t i = 0; i < n; i++) {
			q[i].done = true;
			q[i].status = rc;
			stats_dns_query(true, 0);
		}
		return;
	}
	uint64_t asked_ns = stats_now_ns();
	for (size_t i = 0; i < n; i++)
		ares_query(ch, q[i].name, C_IN, q[i].type, on_answer, &q[i]);
	while (!all_done(q, n)) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			ares_cancel(ch);       /* calls on_answer with ARES_ECANCELLED */
			break;
		}
		poll_once(ch, (int)left);
	}
	for (size_t i = 0; i < n; i++) {
		if (!q[i].done || q[i].status == ARES_ECANCELLED) {
			q[i].done = true;
			q[i].status = ARES_ETIMEOUT;
		}
		count_question(&q[i], asked_ns);
	}
	channel_put(d, ch);
}

static void
questions_free(struct question *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(q[i].abuf);
}

/* ---- reading answers ---- */

struct rr {
	int type;
	uint32_t ttl;
	const unsigned char *rdata;
	size_t rdlen;
};

/* Skips a possibly compressed name; returns the offset after it or 0. */
static size_t
skip_name(const unsigned char *b, size_t len, size_t o)
{
	while (o < len) {
		unsigned c = b[o];
		if ((c & 0xc0) == 0xc0)
			return o + 2 <= len ? o + 2 : 0;
		if (c == 0)
			return o + 1;
		o += c + 1;
	}
	return 0;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Calls fn for each RR of the answer (section 0) or authority (1)
 * section; returns false if the message is malformed. */
static bool
walk_rrs(const struct question *q, int section, void (*fn)(const struct rr *, void *), void *ctx)
{
	const unsigned char *b = q->abuf;
	size_t len = (size_t)q->alen, o = 12;

	if (b == NULL || len < 12)
		return false;
	unsigned counts[3] = { (unsigned)(b[4] << 8 | b[5]), (unsigned)(b[6] << 8 | b[7]),
		(unsigned)(b[8] << 8 | b[9]) };
	for (unsigned i = 0; i < counts[0]; i++) {
		if ((o = skip_name(b, len, o)) == 0 || (o += 4) > len)
			return false;
	}
	for (int s = 0; s <= section; s++) {
		for (unsigned i = 0; i < counts[s + 1]; i++) {
			if ((o = skip_name(b, len, o)) == 0 || o + 10 > len)
				return false;
			struct rr r = { b[o] << 8 | b[o + 1], be32(b + o + 4), b + o + 10,
				(size_t)(b[o + 8] << 8 | b[o + 9]) };
			if (o + 10 + r.rdlen > len)
				return false;
			if (s == section)
				fn(&r, ctx);
			o += 10 + r.rdlen;
		}
	}
	return true;
}

/* What one answer says about one record type. */
struct reading {
	int type;
	const struct ip_addr *want;        /* A/AAAA: look for this address */
	bool dnsbl;                        /* A: a listing is an address in 127/8 */
	bool found;                        /* a record of the type (that matched want) */
	bool null_mx;
	bool list_error;                   /* DNSBL: 127.255.255.x, "query refused" */
	char text[64];                     /* the first A record, for DNSBL logs */
	uint32_t ttl;
};

static void
read_rr(const struct rr *r, void *ctx)
{
	struct reading *g = ctx;

	if (r->type != g->type)
		return;
	if (r->ttl < g->ttl)
		g->ttl = r->ttl;
	if (r->type == T_MX) {
		g->null_mx = r->rdlen == 3 && r->rdata[2] == 0;
		g->found = g->found || !g->null_mx;
		return;
	}
	size_t alen = r->type == T_A ? 4 : 16;
	if (r->rdlen != alen)
		return;
	if (g->want != NULL) {
		g->found = g->found || memcmp(g->want->bytes, r->rdata, alen) == 0;
		return;
	}
	if (!g->dnsbl) {
		g->found = true;
		return;
	}
	if (r->type == T_A && r->rdata[0] == 127 && !g->found) {
		g->found = !(r->rdata[1] == 255 && r->rdata[2] == 255);
		g->list_error = !g->found;
		inet_ntop(AF_INET, r->rdata, g->text, sizeof(g->text));
	} else if (g->text[0] == '\0') {
		inet_ntop(r->type == T_A ? AF_INET : AF_INET6, r->rdata, g->text, sizeof(g->text));
	}
}

static void
read_soa(const struct rr *r, void *ctx)
{
	uint32_t *ttl = ctx;

	if (r->type != T_SOA || r->rdlen < 20)
		return;
	uint32_t min = be32(r->rdata + r->rdlen - 4);
	uint32_t t = r->ttl < min ? r->ttl : min;
	if (t < *ttl)
		*ttl = t;
}

/* Classifies q: YES (a matching record), NO (NXDOMAIN, no data or no
 * match) or TEMPFAIL; fills g and *ttl (how long the answer may be kept). */
static enum dns_answer
judge(const struct question *q, struct reading *g, uint32_t *ttl, char *why, size_t whylen)
{
	g->ttl = TTL_MAX;
	switch (q->status) {
	case ARES_SUCCESS:
		if (!walk_rrs(q, 0, read_rr, g)) {
			snprintf(why, whylen, "%s: malformed answer", q->name);
			return DNS_ANSWER_TEMPFAIL;
		}
		if (g->ttl < *ttl)
			*ttl = g->ttl;
		return g->found ? DNS_ANSWER_YES : DNS_ANSWER_NO;
	case ARES_ENODATA:
	case ARES_ENOTFOUND: {
		uint32_t neg = NEGATIVE_TTL_DEFAULT;
		(void)walk_rrs(q, 1, read_soa, &neg);   /* no SOA: the default */
		if (neg < *ttl)
			*ttl = neg;
		snprintf(why, whylen, "%s: %s", q->name, q->status == ARES_ENOTFOUND ?
		    "NXDOMAIN" : "no record");
		return DNS_ANSWER_NO;
	}
	default:
		snprintf(why, whylen, "%s: %s", q->name, q->status == ARES_ETIMEOUT ?
		    "timed out" : ares_strerror(q->status));
		return DNS_ANSWER_TEMPFAIL;
	}
}

/* Counts the hits that spare a question. */
static bool
cached(struct dns *d, const char *key, enum dns_answer *a, char *text, size_t textlen)
{
	if (!dns_cache_get(d->cache, key, a, text, textlen))
		return false;
	stats_dns_cache_hit();
	return true;
}

static void
lower_copy(char *out, size_t len, const char *in)
{
	size_t i = 0;

	for (; in[i] && i + 1 < len; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	out[i] = '\0';
}

/* ---- the three questions ---- */

enum dns_answer
dns_name_has_address(struct dns *d, const char *name, const struct ip_addr *ip, char *why,
    size_t whylen)
{
	char key[400], ipt[64];
	enum dns_answer a;
	struct question q = { .type = ip->family == AF_INET ? T_A : T_AAAA };
	struct reading g = { .type = q.type, .want = ip };
	uint32_t ttl = TTL_MAX;

	ip_format(ip, ipt, sizeof(ipt));
	lower_copy(q.name, sizeof(q.name), name);
	snprintf(key, sizeof(key), "fc %s %s", q.name, ipt);
	snprintf(why, whylen, "%s", "");
	if (cached(d, key, &a, NULL, 0))
		return a;
	ask(d, &q, 1, now_ms() + d->timeout * 1000LL);
	a = judge(&q, &g, &ttl, why, whylen);
	if (a == DNS_ANSWER_NO && q.status == ARES_SUCCESS)
		snprintf(why, whylen, "%s has no address %s", q.name, ipt);
	questions_free(&q, 1);
	dns_cache_put(d->cache, key, a, NULL, ttl);
	return a;
}

/* MX, A and AAAA go out together; an MX answers alone, else any address. */
enum dns_answer
dns_domain_exists(struct dns *d, const char *domain, int timeout, char *why, size_t whylen)
{
	static const int types[3] = { T_MX, T_A, T_AAAA };
	struct question q[3] = { { .type = T_MX }, { .type = T_A }, { .type = T_AAAA } };
	enum dns_answer a[3], result;
	char key[400], w[3][300];
	uint32_t ttl = TTL_MAX;

	for (size_t i = 0; i < 3; i++)
		lower_copy(q[i].name, sizeof(q[i].name), domain);
	snprintf(key, sizeof(key), "dom %s", q[0].name);
	if (cached(d, key, &result, why, whylen))
		return result;
	ask(d, q, 3, now_ms() + timeout * 1000LL);
	bool null_mx = false;
	for (size_t i = 0; i < 3; i++) {
		struct reading g = { .type = types[i] };
		a[i] = judge(&q[i], &g, &ttl, w[i], sizeof(w[i]));
		null_mx = null_mx || (i == 0 && g.null_mx);
	}
	questions_free(q, 3);
	if (a[0] == DNS_ANSWER_YES || (a[0] == DNS_ANSWER_NO && !null_mx &&
	    (a[1] == DNS_ANSWER_YES || a[2] == DNS_ANSWER_YES)))
		result = DNS_ANSWER_YES;
	else if (a[0] == DNS_ANSWER_TEMPFAIL || (!null_mx && (a[1] == DNS_ANSWER_TEMPFAIL ||
	    a[2] == DNS_ANSWER_TEMPFAIL)))
		result = DNS_ANSWER_TEMPFAIL;
	else
		result = DNS_ANSWER_NO;
	size_t failed = a[0] == DNS_ANSWER_TEMPFAIL ? 0 : a[1] == DNS_ANSWER_TEMPFAIL ? 1 : 2;
	if (result == DNS_ANSWER_TEMPFAIL)
		snprintf(why, whylen, "%s", w[failed]);
	else if (result == DNS_ANSWER_NO)
		snprintf(why, whylen, "%s", null_mx ? "null MX (RFC 7505)" : w[0]);
	else
		snprintf(why, whylen, "%s", "");
	dns_cache_put(d->cache, key, result, why, ttl);
	return result;
}

/* 192.0.2.1 -> 1.2.0.192.zone; 2001:db8::1 -> 1.0.0. ... .8.b.d.0.1.0.0.2.zone */
static void
list_name(const struct ip_addr *ip, const char *zone, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (ip->family == AF_INET) {
		snprintf(out, len, "%u.%u.%u.%u.%s", ip->bytes[3], ip->bytes[2], ip->bytes[1],
		    ip->bytes[0], zone);
		return;
	}
	for (int i = 15; i >= 0 && o + 4 < len; i--) {
		out[o++] = hex[ip->bytes[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[ip->bytes[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, len - o, "%s", zone);
}

void
dns_list_lookup(struct dns *d, const struct ip_addr *ip, const char *const *zones, size_t n,
    enum dns_answer *answers, char (*texts)[64])
{
	struct question *q = xcalloc(n ? n : 1, sizeof(*q));
	size_t *pending = xcalloc(n ? n : 1, sizeof(*pending)), np = 0;
	char key[400];

	for (size_t i = 0; i < n; i++) {
		list_name(ip, zones[i], q[np].name, sizeof(q[np].name));
		snprintf(key, sizeof(key), "bl %s", q[np].name);
		if (cached(d, key, &answers[i], texts[i], sizeof(texts[i])))
			continue;
		q[np].type = T_A;
		pending[np++] = i;
	}
	if (np > 0)
		ask(d, q, np, now_ms() + d->timeout * 1000LL);
	for (size_t j = 0; j < np; j++) {
		size_t i = pending[j];
		struct reading g = { .type = T_A, .dnsbl = true };
		uint32_t ttl = TTL_MAX;
		char why[300];
		answers[i] = judge(&q[j], &g, &ttl, why, sizeof(why));
		if (answers[i] == DNS_ANSWER_YES || g.text[0] != '\0')
			snprintf(texts[i], sizeof(texts[i]), "%s", g.text);
		else if (answers[i] == DNS_ANSWER_TEMPFAIL)
			snprintf(texts[i], sizeof(texts[i]), "%s", q[j].status == ARES_ETIMEOUT ?
			    "timed out" : ares_strerror(q[j].status));
		else
			texts[i][0] = '\0';
		if (g.list_error) {       /* the list refused to answer us: not a verdict */
			answers[i] = DNS_ANSWER_TEMPFAIL;
			snprintf(texts[i], sizeof(texts[i]), "query refused by the list (%s)", g.text);
		}
		snprintf(key, sizeof(key), "bl %s", q[j].name);
		dns_cache_put(d->cache, key, answers[i], texts[i], ttl);
	}
	questions_free(q, np);
	free(q);
	free(pending);
}

/*
 * stats.c - process-wide counters of the running milter (see stats.h).
 *
 * Everything is an atomic: a milter thread counts with one or two
 * fetch-adds and never waits for a reader. Decisions are counted in a
 * fixed open-addressing table keyed by (stage, rule, decision, code); a
 * slot is claimed once with a compare-and-swap and never freed, so readers
 * walk it without a lock. Histograms keep per-bucket counts and are made
 * cumulative when read.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "stats.h"

const double stats_bucket_bounds[STATS_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};

struct histogram {
	atomic_ulong bucket[STATS_BUCKETS + 1];   /* the last one is +Inf */
	atomic_ullong sum_ns;
};

enum { SLOTS = 512, SLOT_FREE = 0, SLOT_WRITING = 1, SLOT_READY = 2 };

struct slot {
	atomic_int state;
	unsigned char stage, decision;
	char rule[32], code[8];          /* code: "554", "none" */
	atomic_ulong count;
};

static const char *const stage_words[] = { "connect", "mail", "rcpt", "header", "message",
	"other" };
static const char *const decision_words[] = { "accept", "reject", "tempfail", "would-reject" };
static const char *const backend_names[] = { "file", "ldap", "other" };
#define NBACKENDS (sizeof(backend_names) / sizeof(backend_names[0]))

struct backend {
	atomic_ulong result[3];                   /* enum lookup_result */
	atomic_ulong hits, misses, searches;
	struct histogram latency;
};

static struct slot slots[SLOTS];
static atomic_ulong dropped;
static atomic_uint live;
static atomic_ulong sessions_total;
static struct backend backends[NBACKENDS];
static atomic_ulong dns_queries, dns_failures, dns_hits;
static struct histogram dns_latency;
static atomic_ulong reloads_ok, reloads_failed, generation;
static atomic_ullong loaded_at_ns, load_ns, start_ns;
static atomic_bool last_failed;
static atomic_ulong rate_checks[STATS_RATE_STORES][3];
static atomic_int rate_up = -1;

const char *const stats_rate_store_words[STATS_RATE_STORES] = { "memory", "redis", "local" };

uint64_t
stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The milter's start: the first figure counted or read. */
static void
note_start(void)
{
	unsigned long long zero = 0;

	if (atomic_load_explicit(&start_ns, memory_order_relaxed) == 0)
		atomic_compare_exchange_strong(&start_ns, &zero, wall_ns());
}

static size_t
word_index(const char *const *words, size_t n, const char *w)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (strcmp(words[i], w) == 0)
			return i;
	return n - 1;
}

static void
histogram_add(struct histogram *h, uint64_t ns)
{
	double s = (double)ns / 1e9;
	size_t i = 0;

	while (i < STATS_BUCKETS && s > stats_bucket_bounds[i])
		i++;
	atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, ns, memory_order_relaxed);
}

static void
histogram_read(struct histogram *h, struct stats_histogram *out)
{
	unsigned long total = 0;

	for (size_t i = 0; i < STATS_BUCKETS; i++) {
		total += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
		out->le[i] = total;
	}
	out->count = total + atomic_load_explicit(&h->bucket[STATS_BUCKETS], memory_order_relaxed);
	out->sum = (double)atomic_load_explicit(&h->sum_ns, memory_order_relaxed) / 1e9;
}

static uint32_t
slot_hash(unsigned stage, unsigned decision, const char *rule, const char *code)
{
	uint32_t h = 2166136261u ^ (stage * 31u + decision);

	for (const char *p = rule; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (const char *p = code; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static bool
slot_is(const struct slot *s, unsigned stage, unsigned decision, const char *rule,
    const char *code)
{
	return s->stage == stage && s->decision == decision && strcmp(s->rule, rule) == 0 &&
	    strcmp(s->code, code) == 0;
}

/* src cut to len - 1 bytes. Not snprintf: this runs for every decision,
 * and a format pass costs more than the rest of the counting. */
static void
label_copy(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The slot of this label set, claimed if new; NULL when the table is full. */
static struct slot *
slot_find(unsigned stage, unsigned decision, const char *long_rule, const char *long_code)
{
	char rule[sizeof(slots[0].rule)], code[sizeof(slots[0].code)];

	/* named, hashed and compared as stored: a label longer than its field
	 * must find its slot again, not claim a new one each time */
	label_copy(rule, sizeof(rule), long_rule);
	label_copy(code, sizeof(code), long_code);
	uint32_t h = slot_hash(stage, decision, rule, code);

	for (size_t probe = 0; probe < SLOTS; probe++) {
		struct slot *s = &slots[(h + probe) % SLOTS];
		int state = atomic_load_explicit(&s->state, memory_order_acquire);
		if (state == SLOT_FREE) {
			int expect = SLOT_FREE;
			if (atomic_compare_exchange_strong(&s->state, &expect, SLOT_WRITING)) {
				s->stage = (unsigned char)stage;
				s->decision = (unsigned char)decision;
				memcpy(s->rule, rule, sizeof(rule));
				memcpy(s->code, code, sizeof(code));
				atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
				return s;
			}
			state = expect;
		}
		while (state == SLOT_WRITING)      /* another thread is naming it: a few stores */
			state = atomic_load_explicit(&s->state, memory_order_acquire);
		if (slot_is(s, stage, decision, rule, code))
			return s;
	}
	return NULL;
}

void
stats_decision(const char *stage, const struct decision *d)
{
	size_t n_stage = sizeof(stage_words) / sizeof(stage_words[0]);
	size_t n_dec = sizeof(decision_words) / sizeof(decision_words[0]);
	unsigned st = (unsigned)word_index(stage_words, n_stage, stage);
	unsigned de = (unsigned)word_index(decision_words, n_dec + 1, decision_word(d));
	const char *code = d->reply != NULL ? d->reply->code : "none";
	struct slot *s;

	note_start();
	if (de >= n_dec || (s = slot_find(st, de, d->rule ? d->rule : "none", code)) == NULL) {
		atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

void
stats_each_decision(stats_decision_fn fn, void *ctx)
{
	for (size_t i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_READY)
			continue;
		fn(ctx, stage_words[s->stage], s->rule, decision_words[s->decision], s->code,
		    atomic_load_explicit(&s->count, memory_order_relaxed));
	}
}

void
stats_session_opened(void)
{
	note_start();
	atomic_fetch_add(&live, 1);
	atomic_fetch_add_explicit(&sessions_total, 1, memory_order_relaxed);
}

void
stats_session_closed(void)
{
	atomic_fetch_sub(&live, 1);
}

unsigned
stats_sessions_live(void)
{
	return atomic_load(&live);
}

static struct backend *
backend_of(const char *name)
{
	return &backends[word_index(backend_names, NBACKENDS, name)];
}

void
stats_directory_lookup(const char *backend, enum lookup_result r, uint64_t nanoseconds)
{
	struct backend *b = backend_of(backend);

	atomic_fetch_add_explicit(&b->result[r], 1, memory_order_relaxed);
	histogram_add(&b->latency, nanoseconds);
}

void
stats_directory_cache(const char *backend, bool hit)
{
	struct backend *b = backend_of(backend);

	atomic_fetch_add_explicit(hit ? &b->hits : &b->misses, 1, memory_order_relaxed);
}

void
stats_directory_search(const char *backend)
{
	atomic_fetch_add_explicit(&backend_of(backend)->searches, 1, memory_order_relaxed);
}

void
stats_dns_query(bool failed, uint64_t nanoseconds)
{
	atomic_fetch_add_explicit(&dns_queries, 1, memory_order_relaxed);
	if (failed)
		atomic_fetch_add_explicit(&dns_failures, 1, memory_order_relaxed);
	histogram_add(&dns_latency, nanoseconds);
}

void
stats_dns_cache_hit(void)
{
	atomic_fetch_add_explicit(&dns_hits, 1, memory_order_relaxed);
}

void
stats_rate_check(const char *store, enum rate_answer a)
{
	size_t i = 0;

	while (i + 1 < STATS_RATE_STORES && strcmp(stats_rate_store_words[i], store) != 0)
		i++;
	if ((unsigned)a < 3)
		atomic_fetch_add_explicit(&rate_checks[i][a], 1, memory_order_relaxed);
}

void
stats_rate_store_up(bool up)
{
	atomic_store_explicit(&rate_up, up ? 1 : 0, memory_order_relaxed);
}

void
stats_policy_load(bool reload, bool ok, double seconds)
{
	note_start();
	if (reload)
		atomic_fetch_add(ok ? &reloads_ok : &reloads_failed, 1);
	atomic_store(&last_failed, !ok);
	if (!ok)
		return;
	atomic_store(&loaded_at_ns, wall_ns());
	atomic_store(&load_ns, (unsigned long long)(seconds * 1e9));
	atomic_fetch_add(&generation, 1);
}

static void
backend_read(size_t i, struct stats_backend *out)
{
	struct backend *b = &backends[i];

	out->name = backend_names[i];
	out->found = atomic_load(&b->result[LOOKUP_FOUND]);
	out->notfound = atomic_load(&b->result[LOOKUP_NOTFOUND]);
	out->tempfail = atomic_load(&b->result[LOOKUP_TEMPFAIL]);
	out->cache_hits = atomic_load(&b->hits);
	out->cache_misses = atomic_load(&b->misses);
	out->searches = atomic_load(&b->searches);
	histogram_read(&b->latency, &out->latency);
}

void
stats_read(struct stats_view *v)
{
	memset(v, 0, sizeof(*v));
	note_start();
	v->start_time = (double)atomic_load(&start_ns) / 1e9;
	v->sessions_live = atomic_load(&live);
	v->sessions_total = atomic_load(&sessions_total);
	for (size_t i = 0; i < NBACKENDS; i++) {
		backend_read(i, &v->backends[v->nbackends]);
		const struct stats_backend *b = &v->backends[v->nbackends];
		/* "other" only when something unexpected was counted */
		if (i + 1 < NBACKENDS || b->latency.count + b->cache_hits + b->cache_misses +
		    b->searches > 0)
			v->nbackends++;
	}
	v->dns_queries = atomic_load(&dns_queries);
	v->dns_failures = atomic_load(&dns_failures);
	v->dns_cache_hits = atomic_load(&dns_hits);
	histogram_read(&dns_latency, &v->dns_latency);
	v->reloads_ok = atomic_load(&reloads_ok);
	v->reloads_failed = atomic_load(&reloads_failed);
	v->generation = atomic_load(&generation);
	v->loaded_at = (double)atomic_load(&loaded_at_ns) / 1e9;
	v->load_seconds = (double)atomic_load(&load_ns) / 1e9;
	v->last_reload_failed = atomic_load(&last_failed);
	v->decisions_dropped = atomic_load(&dropped);
	for (size_t i = 0; i < STATS_RATE_STORES; i++)
		for (size_t j = 0; j < 3; j++)
			v->rate_checks[i][j] = atomic_load(&rate_checks[i][j]);
	v->rate_store_up = atomic_load(&rate_up);
}

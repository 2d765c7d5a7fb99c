/*
 * rate_store.c - the rate limits' counters (see rate_store.h): the
 * process's memory table, and the dispatch to Redis with its failure mode.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rate_redis.h"
#include "rate_store.h"
#include "secret_file.h"
#include "stats.h"
#include "strlist.h"
#include "xalloc.h"

/* ---- the memory table ---- */

/* Bounded: an attacker who rotates client addresses must not grow the
 * milter without end. At the bound, windows already over are dropped
 * first, then the entry touched longest ago. */
#define MEMORY_HASH_SIZE 131072         /* a power of two */

struct slot {
	int64_t step;                   /* now_ms / width; -1: empty */
	uint32_t messages, recipients;
};

struct entry {
	struct entry *next;
	char *key;
	uint64_t width_ms;              /* per * 1000 / RATE_BUCKETS */
	uint64_t touched_ms;
	struct slot slots[RATE_BUCKETS + 1];
};

static pthread_mutex_t memory_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *memory_hash[MEMORY_HASH_SIZE];
static size_t memory_entries;

static uint32_t
key_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h & (MEMORY_HASH_SIZE - 1);
}

static uint64_t
width_of(unsigned per)
{
	uint64_t w = (uint64_t)per * 1000 / RATE_BUCKETS;

	return w > 0 ? w : 1;
}

/* The counts of e's window at step cur: RATE_BUCKETS whole steps and the
 * current one, so at least the last `per` seconds. */
static void
window_sum(const struct entry *e, int64_t cur, unsigned long *messages,
    unsigned long *recipients)
{
	*messages = *recipients = 0;
	for (size_t i = 0; i < RATE_BUCKETS + 1; i++) {
		const struct slot *s = &e->slots[i];
		if (s->step >= cur - RATE_BUCKETS && s->step <= cur) {
			*messages += s->messages;
			*recipients += s->recipients;
		}
	}
}

static bool
entry_expired(const struct entry *e, uint64_t now_ms)
{
	int64_t cur = (int64_t)(now_ms / e->width_ms);

	for (size_t i = 0; i < RATE_BUCKETS + 1; i++)
		if (e->slots[i].step >= cur - RATE_BUCKETS)
			return false;
	return true;
}

static void
entry_free(struct entry *e)
{
	free(e->key);
	free(e);
}

/* Drops the entries for which drop says so; returns how many. */
static size_t
memory_drop(bool (*drop)(const struct entry *, uint64_t), uint64_t arg)
{
	size_t n = 0;

	for (size_t b = 0; b < MEMORY_HASH_SIZE; b++) {
		for (struct entry **pp = &memory_hash[b]; *pp != NULL;) {
			if (!drop(*pp, arg)) {
				pp = &(*pp)->next;
				continue;
			}
			struct entry *dead = *pp;
			*pp = dead->next;
			entry_free(dead);
			n++;
		}
	}
	memory_entries -= n;
	return n;
}

static bool
touched_before(const struct entry *e, uint64_t when_ms)
{
	return e->touched_ms < when_ms;
}

/* Drops expired entries; if there were none, those touched in the oldest
 * sixteenth of the time the table spans (at least the oldest one), so
 * that a full table is scanned once per many new keys, not for each. */
static void
memory_make_room(uint64_t now_ms)
{
	uint64_t oldest = now_ms;

	if (memory_drop(entry_expired, now_ms) > 0)
		return;
	for (size_t b = 0; b < MEMORY_HASH_SIZE; b++)
		for (const struct entry *e = memory_hash[b]; e != NULL; e = e->next)
			if (e->touched_ms < oldest)
				oldest = e->touched_ms;
	size_t n = memory_drop(touched_before, oldest + (now_ms - oldest) / 16 + 1);
	log_warn("rate limits: the memory table is full (%d keys); forgot the %zu touched longest "
	    "ago", RATE_MEMORY_MAX, n);
}

/* The entry for t, created when create; the width is part of the key, so
 * a reload that changes `per` starts that limit afresh. */
static struct entry *
memory_entry(const struct rate_take *t, uint64_t now_ms, bool create)
{
	uint32_t h = key_hash(t->key);
	uint64_t w = width_of(t->per);

	for (struct entry *e = memory_hash[h]; e != NULL; e = e->next)
		if (e->width_ms == w && strcmp(e->key, t->key) == 0)
			return e;
	if (!create)
		return NULL;
	if (memory_entries >= RATE_MEMORY_MAX)
		memory_make_room(now_ms);
	struct entry *e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(t->key);
	e->width_ms = w;
	for (size_t i = 0; i < RATE_BUCKETS + 1; i++)
		e->slots[i].step = -1;
	e->next = memory_hash[h];
	memory_hash[h] = e;
	memory_entries++;
	return e;
}

static bool
goes_over(const struct rate_take *t)
{
	return (t->max_messages > 0 && t->messages + t->add_messages > t->max_messages) ||
	    (t->max_recipients > 0 && t->recipients + t->add_recipients > t->max_recipients);
}

static void
entry_add(struct entry *e, const struct rate_take *t, uint64_t now_ms)
{
	int64_t cur = (int64_t)(now_ms / e->width_ms);
	struct slot *s = &e->slots[cur % (RATE_BUCKETS + 1)];

	if (s->step != cur) {
		s->step = cur;
		s->messages = s->recipients = 0;
	}
	s->messages += t->add_messages;
	s->recipients += t->add_recipients;
	e->touched_ms = now_ms;
}

enum rate_answer
rate_memory_take(struct rate_take *takes, size_t n, bool peek, uint64_t now_ms, size_t *over)
{
	enum rate_answer a = RATE_OK;

	pthread_mutex_lock(&memory_lock);
	for (size_t i = 0; i < n; i++) {
		struct rate_take *t = &takes[i];
		struct entry *e = memory_entry(t, now_ms, false);
		t->messages = t->recipients = 0;
		if (e != NULL)
			window_sum(e, (int64_t)(now_ms / e->width_ms), &t->messages, &t->recipients);
		if (a == RATE_OK && goes_over(t)) {
			a = RATE_OVER;
			*over = i;
		}
	}
	for (size_t i = 0; a == RATE_OK && !peek && i < n; i++)
		entry_add(memory_entry(&takes[i], now_ms, true), &takes[i], now_ms);
	pthread_mutex_unlock(&memory_lock);
	return a;
}

void
rate_memory_clear(void)
{
	pthread_mutex_lock(&memory_lock);
	for (size_t b = 0; b < MEMORY_HASH_SIZE; b++) {
		while (memory_hash[b] != NULL) {
			struct entry *e = memory_hash[b];
			memory_hash[b] = e->next;
			entry_free(e);
		}
	}
	memory_entries = 0;
	pthread_mutex_unlock(&memory_lock);
}

size_t
rate_memory_count(void)
{
	pthread_mutex_lock(&memory_lock);
	size_t n = memory_entries;
	pthread_mutex_unlock(&memory_lock);
	return n;
}

/* ---- the store a policy uses ---- */

struct rate_store {
	enum rate_backend backend;
	enum rate_on_failure on_failure;
	struct rate_redis *redis;
};

struct rate_store *
rate_store_open(const struct rate_store_config *cfg, const char *path, struct errlist *errs)
{
	struct rate_store *s = xcalloc(1, sizeof(*s));
	size_t before = errs->count;

	s->backend = cfg->backend;
	s->on_failure = cfg->on_failure;
	if (cfg->backend == RATE_BACKEND_REDIS) {
		char *password = NULL;
		if (cfg->password_file != NULL && cfg->password_file[0] != '\0')
			password = secret_file_read(cfg->password_file, path,
			    "rate_store.password_file", errs);
		if (cfg->uris.n == 0)
			errlist_add(errs, path, 0, "rate_store.uris", "backend \"redis\" needs at least "
			    "one URI (expected e.g. [ \"redis://127.0.0.1:6379/0\" ])");
		else
			s->redis = rate_redis_new(&cfg->uris, cfg->timeout, cfg->pool_size, password,
			    cfg->on_failure == RATE_FAIL_LOCAL ? "local" : "tempfail", path, errs);
		free(password);
	} else if (cfg->uris.n > 0) {
		errlist_warn(errs, path, 0, "rate_store.uris", "ignored: rate_store.backend is "
		    "\"memory\" (set backend = \"redis\" to share the counts)");
	}
	if (errs->count == before)
		return s;
	rate_store_free(s);
	return NULL;
}

void
rate_store_free(struct rate_store *s)
{
	if (s == NULL)
		return;
	rate_redis_free(s->redis);
	free(s);
}

void
rate_store_health(struct rate_store *s, char *buf, size_t len)
{
	char redis[512];

	if (s->backend == RATE_BACKEND_MEMORY) {
		snprintf(buf, len, "memory, %zu key(s)", rate_memory_count());
		return;
	}
	rate_redis_health(s->redis, redis, sizeof(redis));
	snprintf(buf, len, "redis, on_failure=%s: %s", s->on_failure == RATE_FAIL_LOCAL ? "local" :
	    "tempfail", redis);
}

enum rate_answer
rate_store_take(struct rate_store *s, struct rate_take *takes, size_t n, bool peek,
    size_t *over, const char **used, char *why, size_t len)
{
	enum rate_answer a;

	*used = "memory";
	if (s->backend == RATE_BACKEND_REDIS) {
		a = rate_redis_take(s->redis, takes, n, peek, over, why, len);
		stats_rate_check("redis", a);
		*used = "redis";
		if (a != RATE_UNAVAILABLE || s->on_failure == RATE_FAIL_TEMPFAIL)
			return a;
		*used = "local";        /* on_failure = "local": this node counts alone */
	}
	a = rate_memory_take(takes, n, peek, stats_now_ns() / 1000000, over);
	stats_rate_check(*used, a);
	return a;
}

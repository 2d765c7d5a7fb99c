/*
 * directory_cache.c - sharded LRU+TTL cache of directory answers.
 *
 * Each shard has its own mutex, a chained hash table and an LRU list. An
 * entry holds a reference to its dir_user, so a caller may keep using a
 * user after the entry is evicted. Time is CLOCK_MONOTONIC seconds.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "directory_cache.h"
#include "stats.h"
#include "xalloc.h"

#define SHARDS 16
#define BUCKETS 256          /* per shard */

struct entry {
	struct entry *chain;           /* bucket chain */
	struct entry *prev, *next;     /* LRU list, most recent first */
	char *key;                     /* lower-cased login */
	uint32_t hash;
	enum lookup_result result;
	struct dir_user *user;         /* FOUND user lookups only */
	enum recipient_kind kind;      /* FOUND recipient lookups only */
	time_t expires;
};

struct shard {
	pthread_mutex_t lock;
	struct entry *buckets[BUCKETS];
	struct entry *lru_head, *lru_tail;
	size_t count;
};

struct cache {
	struct directory *inner;
	int ttl, negative_ttl;
	size_t per_shard;
	struct shard shards[SHARDS];
};

static time_t
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static uint32_t
hash_login(const char *s, char *lower, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i = 0;

	for (; s[i] && i + 1 < len; i++) {
		char c = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
		lower[i] = c;
		h = (h ^ (unsigned char)c) * 16777619u;
	}
	lower[i] = '\0';
	return h;
}

static void
lru_unlink(struct shard *sh, struct entry *e)
{
	if (e->prev) e->prev->next = e->next; else sh->lru_head = e->next;
	if (e->next) e->next->prev = e->prev; else sh->lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct shard *sh, struct entry *e)
{
	e->next = sh->lru_head;
	e->prev = NULL;
	if (sh->lru_head) sh->lru_head->prev = e; else sh->lru_tail = e;
	sh->lru_head = e;
}

/* Unlinks e everywhere; returns it for freeing outside the lock. */
static struct entry *
shard_remove(struct shard *sh, struct entry *e)
{
	struct entry **pp = &sh->buckets[e->hash % BUCKETS];

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	lru_unlink(sh, e);
	sh->count--;
	return e;
}

static void
entry_free(struct entry *e)
{
	if (e == NULL)
		return;
	directory_user_unref(e->user);
	free(e->key);
	free(e);
}

static struct entry *
shard_find(struct shard *sh, const char *key, uint32_t h)
{
	for (struct entry *e = sh->buckets[h % BUCKETS]; e; e = e->chain)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Returns true with *r (and *out referenced) on a fresh hit. */
static bool
cache_get(struct cache *c, const char *key, uint32_t h, enum lookup_result *r,
    struct dir_user **out, enum recipient_kind *kind)
{
	struct shard *sh = &c->shards[h % SHARDS];
	struct entry *stale = NULL;
	bool hit = false;

	pthread_mutex_lock(&sh->lock);
	struct entry *e = shard_find(sh, key, h);
	if (e != NULL && e->expires <= now_seconds()) {
		stale = shard_remove(sh, e);
	} else if (e != NULL) {
		lru_unlink(sh, e);
		lru_push(sh, e);
		*r = e->result;
		*out = e->user ? directory_user_ref(e->user) : NULL;
		*kind = e->kind;
		hit = true;
	}
	pthread_mutex_unlock(&sh->lock);
	entry_free(stale);
	return hit;
}

static void
cache_put(struct cache *c, const char *key, uint32_t h, enum lookup_result r,
    struct dir_user *user, enum recipient_kind kind)
{
	int ttl = r == LOOKUP_FOUND ? c->ttl : c->negative_ttl;
	struct shard *sh = &c->shards[h % SHARDS];
	struct entry *e, *old, *evicted = NULL;

	if (ttl <= 0)
		return;
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->hash = h;
	e->result = r;
	e->user = user ? directory_user_ref(user) : NULL;
	e->kind = kind;
	e->expires = now_seconds() + ttl;
	pthread_mutex_lock(&sh->lock);
	if ((old = shard_find(sh, key, h)) != NULL)
		old = shard_remove(sh, old);
	if (sh->count >= c->per_shard && sh->lru_tail != NULL)
		evicted = shard_remove(sh, sh->lru_tail);
	e->chain = sh->buckets[h % BUCKETS];
	sh->buckets[h % BUCKETS] = e;
	lru_push(sh, e);
	sh->count++;
	pthread_mutex_unlock(&sh->lock);
	entry_free(old);
	entry_free(evicted);
}

/* One cached question: a user lookup (out != NULL) or a recipient lookup
 * (kind != NULL). Recipient keys live in their own namespace. */
static enum lookup_result
cached(struct cache *c, const char *name, bool recipient, struct dir_user **out,
    enum recipient_kind *kind, char *why, size_t whylen)
{
	char key[512], text[520];
	enum recipient_kind k = RECIPIENT_PERSON;
	struct dir_user *u = NULL;
	enum lookup_result r;

	snprintf(text, sizeof(text), "%s%s", recipient ? "\001" : "", name);
	uint32_t h = hash_login(text, key, sizeof(key));
	bool cacheable = strlen(text) < sizeof(key);

	if (cacheable && cache_get(c, key, h, &r, &u, &k)) {
		stats_directory_cache(c->inner->ops->name, true);
	} else {
		stats_directory_cache(c->inner->ops->name, false);
		r = recipient ? c->inner->ops->lookup_recipient(c->inner->state, name, &k, why, whylen)
		    : c->inner->ops->lookup_user(c->inner->state, name, &u, why, whylen);
		switch (r) {
		case LOOKUP_FOUND:
		case LOOKUP_NOTFOUND:
			/* unknown groups are an outage in part: asked again next time */
			if (cacheable && (u == NULL || u->groups_error == NULL))
				cache_put(c, key, h, r, u, k);
			break;
		case LOOKUP_TEMPFAIL:
			break;          /* never cached: the next try may succeed */
		}
	}
	if (out != NULL)
		*out = u;
	if (kind != NULL)
		*kind = k;
	return r;
}

static enum lookup_result
cache_lookup_user(void *state, const char *login, struct dir_user **out, char *why,
    size_t whylen)
{
	return cached(state, login, false, out, NULL, why, whylen);
}

static enum lookup_result
cache_lookup_recipient(void *state, const char *address, enum recipient_kind *kind, char *why,
    size_t whylen)
{
	return cached(state, address, true, NULL, kind, why, whylen);
}

static void
cache_free(void *state)
{
	struct cache *c = state;

	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *sh = &c->shards[i];
		while (sh->lru_head != NULL)
			entry_free(shard_remove(sh, sh->lru_head));
		pthread_mutex_destroy(&sh->lock);
	}
	directory_free(c->inner);
	free(c);
}

/* An entry about login: its own user lookup (key = the lower-cased login),
 * or a user lookup that found that login under another name (a realm
 * form, "jdoe@acme.com"). Recipient entries are about addresses: they go
 * only when everything goes. */
static bool
entry_about(const struct entry *e, const char *key, const char *login)
{
	if (login == NULL)
		return true;
	if (e->key[0] == '\001')
		return false;
	return strcmp(e->key, key) == 0 || (e->user != NULL && strcasecmp(e->user->login, login) == 0);
}

static size_t
shard_flush(struct shard *sh, const char *key, const char *login)
{
	struct entry *gone = NULL, *next;
	size_t n = 0;

	pthread_mutex_lock(&sh->lock);
	for (struct entry *e = sh->lru_head; e != NULL; e = next) {
		next = e->next;
		if (!entry_about(e, key, login))
			continue;
		shard_remove(sh, e);
		e->chain = gone;        /* freed outside the lock */
		gone = e;
		n++;
	}
	pthread_mutex_unlock(&sh->lock);
	for (struct entry *e = gone; e != NULL; e = next) {
		next = e->chain;
		entry_free(e);
	}
	return n;
}

static size_t
cache_flush(void *state, const char *login)
{
	struct cache *c = state;
	char key[512];
	size_t n = 0;

	if (login != NULL)
		hash_login(login, key, sizeof(key));
	for (size_t i = 0; i < SHARDS; i++)
		n += shard_flush(&c->shards[i], key, login);
	return n;
}

static void
cache_health(void *state, directory_health_fn fn, void *ctx)
{
	struct cache *c = state;

	directory_health(c->inner, fn, ctx);
}

static const struct directory_ops cache_ops = { "cache", cache_lookup_user,
	cache_lookup_recipient, cache_free, cache_flush, cache_health };

struct directory *
directory_cache_wrap(struct directory *inner, int ttl, int negative_ttl, int max_entries)
{
	if (inner == NULL || (ttl <= 0 && negative_ttl <= 0))
		return inner;
	struct cache *c = xcalloc(1, sizeof(*c));
	c->inner = inner;
	c->ttl = ttl;
	c->negative_ttl = negative_ttl;
	c->per_shard = max_entries > SHARDS ? (size_t)max_entries / SHARDS : 1;
	for (size_t i = 0; i < SHARDS; i++)
		pthread_mutex_init(&c->shards[i].lock, NULL);
	struct directory *d = xcalloc(1, sizeof(*d));
	d->ops = &cache_ops;
	d->state = c;
	return d;
}

/*
 * dns_cache.c - DNS answers kept for their TTL (see dns_cache.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_cache.h"
#include "xalloc.h"

#define CACHE_BUCKETS 4096
#define CACHE_MAX 100000

struct entry {
	struct entry *next;
	time_t expires;
	enum dns_answer answer;
	char text[64];
	char key[];
};

struct dns_cache {
	pthread_mutex_t lock;
	struct entry *buckets[CACHE_BUCKETS];
	size_t n;
};

static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static size_t
bucket_of(const char *key)
{
	size_t h = 5381;

	for (; *key; key++)
		h = h * 33 + (unsigned char)*key;
	return h % CACHE_BUCKETS;
}

struct dns_cache *
dns_cache_new(void)
{
	struct dns_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void
dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	for (size_t b = 0; b < CACHE_BUCKETS; b++) {
		for (struct entry *e = c->buckets[b], *next; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool
dns_cache_get(struct dns_cache *c, const char *key, enum dns_answer *a, char *text,
    size_t textlen)
{
	bool hit = false;
	time_t now = now_s();

	pthread_mutex_lock(&c->lock);
	for (struct entry *e = c->buckets[bucket_of(key)]; e != NULL; e = e->next) {
		if (strcmp(e->key, key) == 0 && e->expires > now) {
			*a = e->answer;
			if (text != NULL)
				snprintf(text, textlen, "%s", e->text);
			hit = true;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

/* Called with the lock held, when full. */
static void
sweep(struct dns_cache *c, time_t now)
{
	for (size_t b = 0; b < CACHE_BUCKETS; b++) {
		struct entry **pp = &c->buckets[b];
		while (*pp != NULL) {
			struct entry *e = *pp;
			if (e->expires > now) {
				pp = &e->next;
				continue;
			}
			*pp = e->next;
			free(e);
			c->n--;
		}
	}
}

void
dns_cache_put(struct dns_cache *c, const char *key, enum dns_answer a, const char *text,
    uint32_t ttl)
{
	if (a == DNS_ANSWER_TEMPFAIL || ttl == 0)
		return;         /* failures are asked again, never remembered */
	time_t now = now_s();
	size_t klen = strlen(key) + 1;
	struct entry *e = xcalloc(1, sizeof(*e) + klen);

	memcpy(e->key, key, klen);
	e->answer = a;
	e->expires = now + (time_t)ttl;
	snprintf(e->text, sizeof(e->text), "%s", text ? text : "");
	pthread_mutex_lock(&c->lock);
	if (c->n >= CACHE_MAX)
		sweep(c, now);
	if (c->n < CACHE_MAX) {
		size_t b = bucket_of(key);
		e->next = c->buckets[b];
		c->buckets[b] = e;
		c->n++;
		e = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	free(e);
}

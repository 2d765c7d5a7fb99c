/*
 * dns_cache.h - DNS answers kept for their TTL (used by dns.c).
 *
 * A hash of keys ("mx:acme.com", "bl:2.0.0.127.zen.example") to an answer
 * and a short text, each kept until its own expiry. Failures are never
 * kept: the next session asks again. Bounded: when full, expired entries
 * are swept, and a new answer that still does not fit is simply not kept.
 * Thread-safe (one lock; held for a lookup or an insert, never across I/O).
 */
#ifndef RW_DNS_CACHE_H
#define RW_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"

struct dns_cache;

struct dns_cache *dns_cache_new(void);
void dns_cache_free(struct dns_cache *c);
/* true and *a (and text, if not NULL) when key holds an unexpired answer. */
bool dns_cache_get(struct dns_cache *c, const char *key, enum dns_answer *a, char *text,
    size_t textlen);
/* Keeps a for ttl seconds; DNS_ANSWER_TEMPFAIL and ttl 0 are not kept. */
void dns_cache_put(struct dns_cache *c, const char *key, enum dns_answer a, const char *text,
    uint32_t ttl);

#endif

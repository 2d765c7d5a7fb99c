/*
 * directory_cache.h - a TTL cache in front of any directory backend.
 *
 * Caches found answers for ttl seconds and not-found answers for
 * negative_ttl seconds, never unavailable ones. Bounded to max_entries
 * (least recently used goes first), sharded so that threads rarely wait on
 * each other; no lock is held while the backend is asked. The cache lives
 * in the policy snapshot, so a reload starts with an empty one.
 */
#ifndef RW_DIRECTORY_CACHE_H
#define RW_DIRECTORY_CACHE_H

#include "directory.h"

/* Takes ownership of inner; returns inner itself when ttl and negative_ttl
 * are both 0. */
struct directory *directory_cache_wrap(struct directory *inner, int ttl, int negative_ttl,
    int max_entries);

#endif

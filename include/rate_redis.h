/*
 * rate_redis.h - the rate limits' counters in Redis, shared by every node
 * that points at it (hiredis, Debian's libhiredis).
 *
 * A check is one round trip: one Lua script (EVALSHA) reads, judges and
 * counts every limit of a recipient atomically, with Redis's own clock,
 * so the nodes' clocks do not matter. URIs are tried in order; one that
 * refuses, times out or answers READONLY (a replica) passes to the next,
 * so a primary with replicas under Sentinel is found again after a
 * failover. An outage is logged once, when it starts, and once when Redis
 * answers again; meanwhile a check is tried at most once a second and
 * fails at once otherwise.
 */
#ifndef RW_RATE_REDIS_H
#define RW_RATE_REDIS_H

#include "errlist.h"
#include "rate_store.h"
#include "strlist.h"

struct redis_uri {
	char host[256];               /* "" for a unix socket */
	char path[108];               /* the unix socket, or "" */
	int port;
	int db;
};

/* "redis://HOST[:PORT][/DB]" (HOST a name, an IPv4 or a [IPv6] literal;
 * PORT 6379, DB 0 by default) or "unix:/PATH". -1 with why on anything
 * else (a password in the URI is refused: it belongs in password_file). */
int rate_redis_parse_uri(const char *uri, struct redis_uri *out, char *why, size_t len);

struct rate_redis;

/* No network I/O; errors name PATH and rate_store.uris. on_failure is
 * the word the outage's log line shows. */
struct rate_redis *rate_redis_new(const struct strlist *uris, int timeout, int pool_size,
    const char *password, const char *on_failure, const char *path, struct errlist *errs);
void rate_redis_free(struct rate_redis *r);
/* "up (127.0.0.1:6379)", "down since 2026-12-02T10:00:00Z: WHY" or "not
 * asked yet", for `ctl status`. */
void rate_redis_health(struct rate_redis *r, char *buf, size_t len);
enum rate_answer rate_redis_take(struct rate_redis *r, struct rate_take *takes, size_t n,
    bool peek, size_t *over, char *why, size_t len);

#endif

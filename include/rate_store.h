/*
 * rate_store.h - where the rate limits count: the process's own memory, or
 * Redis shared by several nodes (rate_redis.c).
 *
 * One call checks every limit that applies to a recipient and, only when
 * none would go over, counts it in all of them: all or nothing, so a
 * refused recipient never uses up another limit. The window is sliding in
 * RATE_BUCKETS steps of per/RATE_BUCKETS seconds, counted from the start
 * of the oldest step: an event is forgotten between per and
 * per * (RATE_BUCKETS + 1) / RATE_BUCKETS seconds after it was counted,
 * never earlier, so no timing at a window's edge gets more than the limit
 * through in any `per` seconds.
 *
 * The memory table and the Redis client are process-wide mutable state,
 * each behind its own lock; a store object belongs to a policy (reload
 * builds a new one, the counts stay where they are).
 */
#ifndef RW_RATE_STORE_H
#define RW_RATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errlist.h"
#include "strlist.h"

#define RATE_BUCKETS 20
#define RATE_KEY_MAX 384
#define RATE_MEMORY_MAX 100000          /* keys in the memory table */

/* One limit's part of a check. The caller fills the first block. */
struct rate_take {
	char key[RATE_KEY_MAX];        /* "NAME:PER:KIND:VALUE": the counter's name */
	unsigned per;                  /* seconds, >= 1 */
	unsigned max_messages;         /* 0 = messages not limited */
	unsigned max_recipients;       /* 0 = recipients not limited */
	unsigned add_messages;         /* 1 for a message's first recipient, else 0 */
	unsigned add_recipients;       /* 1 */
	/* Answers: the counts in the window before this check. */
	unsigned long messages, recipients;
};

enum rate_answer {
	RATE_OK,                       /* counted (or, peeking, would be) */
	RATE_OVER,                     /* *over is the first limit that would go over */
	RATE_UNAVAILABLE,              /* the shared store did not answer; why says so */
};

enum rate_backend { RATE_BACKEND_MEMORY, RATE_BACKEND_REDIS };
enum rate_on_failure { RATE_FAIL_TEMPFAIL, RATE_FAIL_LOCAL };

struct rate_store_config {
	enum rate_backend backend;
	struct strlist uris;           /* redis: "redis://host[:port][/db]" or "unix:/path" */
	int timeout;                   /* seconds, connect and each reply */
	enum rate_on_failure on_failure;
	char *password_file;           /* NULL: no AUTH */
	int pool_size;
};

struct rate_store;

/* Validates cfg (errors name PATH and the key) and builds the store; no
 * network I/O. NULL when errs got an error. */
struct rate_store *rate_store_open(const struct rate_store_config *cfg, const char *path,
    struct errlist *errs);
void rate_store_free(struct rate_store *s);

/* Checks takes[0..n) and counts them unless peek. RATE_OVER sets *over.
 * used says which store answered: "memory", "redis" or "local" (the
 * node's memory while Redis is away, on_failure = "local"). */
enum rate_answer rate_store_take(struct rate_store *s, struct rate_take *takes, size_t n,
    bool peek, size_t *over, const char **used, char *why, size_t len);

/* One line for `ctl status`: "memory, N keys" or "redis, on_failure=...: up (...)". */
void rate_store_health(struct rate_store *s, char *buf, size_t len);

/* The process's memory table, with the clock given: for the unit tests
 * and for rate_store_take. now_ms is any monotonic millisecond clock. */
enum rate_answer rate_memory_take(struct rate_take *takes, size_t n, bool peek,
    uint64_t now_ms, size_t *over);
/* Forgets every count (tests). */
void rate_memory_clear(void);
/* Live keys in the memory table. */
size_t rate_memory_count(void);

#endif

/*
 * stats.h - the running milter's figures: decisions, sessions, directory
 * and DNS lookups, reloads. Process-wide counters, all atomics (no lock on
 * a milter thread's path), read by the metrics endpoint (metrics.c), the
 * control socket (control.c) and explain. Counting never fails and never
 * allocates; reading is a snapshot of each counter, not of all at once.
 */
#ifndef RW_STATS_H
#define RW_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decision.h"
#include "directory.h"
#include "rate_store.h"

/* Stages in the words of the decision log line ("connect", "mail", "rcpt",
 * "header", "message"); an unknown word is counted as "other". */
void stats_decision(const char *stage, const struct decision *d);

/* Sessions: opened at negotiation (or connect), closed at close. */
void stats_session_opened(void);
void stats_session_closed(void);
unsigned stats_sessions_live(void);

/* One answer of a directory backend ("file", "ldap"; the cache is not a
 * backend), how long the backend took; a cache hit or miss in front of it;
 * one LDAP search request sent. */
void stats_directory_lookup(const char *backend, enum lookup_result r, uint64_t nanoseconds);
void stats_directory_cache(const char *backend, bool hit);
void stats_directory_search(const char *backend);

/* One DNS question answered (or failed: timeout, SERVFAIL, ...), how long
 * it took; a DNS cache hit that spared a question. */
void stats_dns_query(bool failed, uint64_t nanoseconds);
void stats_dns_cache_hit(void);

/* One rate-limit check answered by store "memory", "redis" or "local"
 * (memory while Redis is away); whether Redis answered last. */
#define STATS_RATE_STORES 3
extern const char *const stats_rate_store_words[STATS_RATE_STORES];
void stats_rate_check(const char *store, enum rate_answer a);
void stats_rate_store_up(bool up);

/* A policy load: at start-up (reload false) or a reload; ok when it was
 * installed. seconds is how long loading and validating took. */
void stats_policy_load(bool reload, bool ok, double seconds);

/* Monotonic nanoseconds, for the durations above. */
uint64_t stats_now_ns(void);

/* The figures, read once each. */
#define STATS_BUCKETS 14
extern const double stats_bucket_bounds[STATS_BUCKETS]; /* seconds; +Inf is implied */

struct stats_histogram {
	unsigned long count;
	double sum;                               /* seconds */
	unsigned long le[STATS_BUCKETS];          /* cumulative, as Prometheus wants */
};

struct stats_backend {
	const char *name;                         /* "file", "ldap" */
	unsigned long found, notfound, tempfail;  /* lookups answered by the backend */
	unsigned long cache_hits, cache_misses, searches;
	struct stats_histogram latency;
};

struct stats_view {
	double start_time;                        /* Unix seconds */
	unsigned sessions_live;
	unsigned long sessions_total;
	size_t nbackends;
	struct stats_backend backends[4];
	unsigned long dns_queries, dns_failures, dns_cache_hits;
	struct stats_histogram dns_latency;
	unsigned long reloads_ok, reloads_failed;
	unsigned long generation;                 /* policies installed since start */
	double loaded_at;                         /* Unix seconds of the current policy */
	double load_seconds;                      /* how long loading it took */
	bool last_reload_failed;                  /* the newest load attempt was refused */
	unsigned long decisions_dropped;          /* label sets beyond the table */
	unsigned long rate_checks[STATS_RATE_STORES][3];  /* by store, by enum rate_answer */
	int rate_store_up;                        /* 1 / 0; -1: Redis never asked */
};

void stats_read(struct stats_view *v);

/* One row of the decision table: calls fn for every (stage, rule,
 * decision, code) seen, with its count; rule and code are "none" for an
 * accept without a rule or a reply. */
typedef void (*stats_decision_fn)(void *ctx, const char *stage, const char *rule,
    const char *decision, const char *code, unsigned long count);
void stats_each_decision(stats_decision_fn fn, void *ctx);

/* stats_prometheus.c: every figure in the Prometheus text exposition
 * format (version 0.0.4), names prefixed relaywarden_, base units;
 * version is the build's (relaywarden_build_info). */
void stats_prometheus_write(FILE *out, const char *version);

#endif

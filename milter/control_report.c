/*
 * control_report.c - the text of `ctl stats` and `ctl status`: the
 * figures of stats.h (the same the metrics endpoint serves) and the
 * running policy, laid out for a terminal. Runs on a control connection's
 * thread; reads only atomics and a pinned snapshot.
 *
 * The decision table of stats is also what `ctl top` parses: the rows
 * after the line "decisions:", each "  STAGE RULE DECISION CODE COUNT"
 * (words without blanks), up to the next line that does not start with
 * two blanks.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "directory.h"
#include "reload.h"
#include "snapshot.h"
#include "stats.h"
#include "xalloc.h"

struct row {
	const char *stage, *rule, *decision, *code;
	unsigned long count;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static void
collect_row(void *ctx, const char *stage, const char *rule, const char *decision,
    const char *code, unsigned long count)
{
	struct rows *r = ctx;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	r->v[r->n++] = (struct row){ stage, rule, decision, code, count };
}

static int
stage_rank(const char *stage)
{
	static const char *const order[] = { "connect", "mail", "rcpt", "header", "message" };

	for (int i = 0; i < 5; i++)
		if (strcmp(order[i], stage) == 0)
			return i;
	return 5;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = stage_rank(x->stage) - stage_rank(y->stage);

	if (c == 0)
		c = strcmp(x->rule, y->rule);
	if (c == 0)
		c = strcmp(x->decision, y->decision);
	return c != 0 ? c : strcmp(x->code, y->code);
}

static void
write_decisions(FILE *out)
{
	struct rows r = { 0 };

	stats_each_decision(collect_row, &r);
	qsort(r.v, r.n, sizeof(*r.v), row_cmp);
	fprintf(out, "decisions:\n");
	fprintf(out, "  %-8s %-28s %-13s %-5s %10s\n", "STAGE", "RULE", "DECISION", "CODE",
	    "COUNT");
	for (size_t i = 0; i < r.n; i++)
		fprintf(out, "  %-8s %-28s %-13s %-5s %10lu\n", r.v[i].stage, r.v[i].rule,
		    r.v[i].decision, r.v[i].code, r.v[i].count);
	free(r.v);
}

/* The q-quantile of h, linear within its bucket (as Prometheus'
 * histogram_quantile estimates it), in words: "0.42 ms", "-" when empty,
 * "> 2500 ms" when it falls beyond the last bound. */
static void
quantile_words(const struct stats_histogram *h, double q, char *buf, size_t len)
{
	double want = q * (double)h->count;
	unsigned long prev = 0;

	if (h->count == 0) {
		snprintf(buf, len, "-");
		return;
	}
	for (size_t i = 0; i < STATS_BUCKETS; i++) {
		if ((double)h->le[i] >= want && h->le[i] > prev) {
			double lo = i == 0 ? 0 : stats_bucket_bounds[i - 1], hi = stats_bucket_bounds[i];
			double v = lo + (hi - lo) * (want - (double)prev) / (double)(h->le[i] - prev);
			snprintf(buf, len, "%.3g ms", v * 1000);
			return;
		}
		prev = h->le[i];
	}
	snprintf(buf, len, "> %g ms", stats_bucket_bounds[STATS_BUCKETS - 1] * 1000);
}

static void
write_latency(FILE *out, const struct stats_histogram *h)
{
	char p50[32], p99[32];

	quantile_words(h, 0.5, p50, sizeof(p50));
	quantile_words(h, 0.99, p99, sizeof(p99));
	fprintf(out, "latency p50 %s, p99 %s (%lu timed)\n", p50, p99, h->count);
}

static void
iso_time(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&s, &tm) == NULL) {
		snprintf(buf, len, "never");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
control_report_stats(FILE *out)
{
	struct stats_view v;
	char when[32];

	stats_read(&v);
	fprintf(out, "sessions: live %u, total %lu\n", v.sessions_live, v.sessions_total);
	write_decisions(out);
	if (v.decisions_dropped > 0)
		fprintf(out, "  (%lu decisions beyond the table, not shown)\n", v.decisions_dropped);
	for (size_t i = 0; i < v.nbackends; i++) {
		const struct stats_backend *b = &v.backends[i];
		fprintf(out, "directory %s: found %lu, not found %lu, unavailable %lu; cache hits %lu, "
		    "misses %lu; searches %lu\n", b->name, b->found, b->notfound, b->tempfail,
		    b->cache_hits, b->cache_misses, b->searches);
		fprintf(out, "  ");
		write_latency(out, &b->latency);
	}
	fprintf(out, "dns: queries %lu, failures %lu, cache hits %lu\n", v.dns_queries,
	    v.dns_failures, v.dns_cache_hits);
	fprintf(out, "  ");
	write_latency(out, &v.dns_latency);
	iso_time(v.loaded_at, when, sizeof(when));
	fprintf(out, "reloads: ok %lu, failed %lu; generation %lu, loaded %s in %.3f s\n",
	    v.reloads_ok, v.reloads_failed, v.generation, when, v.load_seconds);
	for (size_t i = 0; i < STATS_RATE_STORES; i++) {
		const unsigned long *c = v.rate_checks[i];
		if (c[RATE_OK] + c[RATE_OVER] + c[RATE_UNAVAILABLE] > 0)
			fprintf(out, "rate checks (%s): ok %lu, over %lu, unavailable %lu\n",
			    stats_rate_store_words[i], c[RATE_OK], c[RATE_OVER], c[RATE_UNAVAILABLE]);
	}
}

static void
write_uptime(FILE *out, double start)
{
	long up = (long)((double)time(NULL) - start);
	char when[32];

	if (up < 0)
		up = 0;
	iso_time(start, when, sizeof(when));
	fprintf(out, "uptime: %ldd %02ld:%02ld:%02ld (since %s)\n", up / 86400, up / 3600 % 24,
	    up / 60 % 60, up % 60, when);
}

static void
write_server(void *ctx, const char *server, const char *state, time_t since, const char *error)
{
	FILE *out = ctx;
	char when[32] = "";

	if (since > 0)
		iso_time((double)since, when, sizeof(when));
	fprintf(out, "  %s %s%s%s%s%s\n", server, state, when[0] ? " since " : "", when,
	    error[0] ? ", last error: " : "", error);
}

static void
write_directory(FILE *out, const struct policy *p)
{
	if (p->backend == BACKEND_FILE) {
		fprintf(out, "directory: file %s\n", p->directory_file ? p->directory_file : "");
		return;
	}
	fprintf(out, "directory: ldap, cache ttl %d s, negative ttl %d s\n", p->cache.ttl,
	    p->cache.negative_ttl);
	directory_health(p->directory, write_server, out);
}

void
control_report_status(FILE *out, const char *version)
{
	const struct policy *p = snapshot_acquire();
	struct stats_view v;
	char when[32];

	stats_read(&v);
	fprintf(out, "relaywarden %s, pid %ld\n", version ? version : "?", (long)getpid());
	write_uptime(out, v.start_time);
	fprintf(out, "policy: %s\n", p->path ? p->path : "?");
	iso_time(v.loaded_at, when, sizeof(when));
	fprintf(out, "generation: %lu, loaded %s in %.3f s\n", v.generation, when, v.load_seconds);
	if (v.reloads_ok + v.reloads_failed == 0)
		fprintf(out, "last reload: none since start\n");
	else
		fprintf(out, "last reload: %s (reloads ok %lu, failed %lu)\n",
		    v.last_reload_failed ? "failed, the running policy stays in force" : "ok",
		    v.reloads_ok, v.reloads_failed);
	reload_print_refusal(out, "  ");
	fprintf(out, "sessions: live %u, total %lu\n", v.sessions_live, v.sessions_total);
	write_directory(out, p);
	if (p->nrate_limits > 0 || p->rate_store_cfg.backend == RATE_BACKEND_REDIS) {
		char rs[768];
		rate_store_health(p->rate_store, rs, sizeof(rs));
		fprintf(out, "rate store: %s\n", rs);
	}
	snapshot_release(p);
}

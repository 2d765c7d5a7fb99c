/*
 * stats_prometheus.c - the figures of stats.c as Prometheus text
 * (exposition format 0.0.4): relaywarden_ names, _total counters, seconds.
 * Checked by `promtool check metrics` in tests/milter/t-metrics.sh.
 */
#include <stdio.h>

#include "stats.h"

/* A label value: backslash, quote and newline escaped. */
static void
put_label(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', out);
		if (*v == '\n') {
			fputs("\\n", out);
			continue;
		}
		fputc(*v, out);
	}
}

static void
family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP relaywarden_%s %s\n# TYPE relaywarden_%s %s\n", name, help, name, type);
}

static void
histogram(FILE *out, const char *name, const char *labels, const struct stats_histogram *h)
{
	const char *sep = labels[0] ? "," : "";

	for (size_t i = 0; i < STATS_BUCKETS; i++)
		fprintf(out, "relaywarden_%s_bucket{%s%sle=\"%g\"} %lu\n", name, labels, sep,
		    stats_bucket_bounds[i], h->le[i]);
	fprintf(out, "relaywarden_%s_bucket{%s%sle=\"+Inf\"} %lu\n", name, labels, sep, h->count);
	fprintf(out, "relaywarden_%s_sum%s%s%s %.9f\n", name, labels[0] ? "{" : "", labels,
	    labels[0] ? "}" : "", h->sum);
	fprintf(out, "relaywarden_%s_count%s%s%s %lu\n", name, labels[0] ? "{" : "", labels,
	    labels[0] ? "}" : "", h->count);
}

static void
decision_row(void *ctx, const char *stage, const char *rule, const char *decision,
    const char *code, unsigned long count)
{
	FILE *out = ctx;

	fprintf(out, "relaywarden_decisions_total{stage=\"%s\",rule=\"", stage);
	put_label(out, rule);
	fprintf(out, "\",decision=\"%s\",code=\"", decision);
	put_label(out, code);
	fprintf(out, "\"} %lu\n", count);
}

static void
write_process(FILE *out, const char *version, const struct stats_view *v)
{
	family(out, "build_info", "gauge", "The running relaywarden's version (always 1).");
	fputs("relaywarden_build_info{version=\"", out);
	put_label(out, version);
	fputs("\"} 1\n", out);
	family(out, "start_time_seconds", "gauge", "When the milter started, in Unix time.");
	fprintf(out, "relaywarden_start_time_seconds %.3f\n", v->start_time);
	family(out, "sessions", "gauge", "SMTP sessions the MTA has open with the milter now.");
	fprintf(out, "relaywarden_sessions %u\n", v->sessions_live);
	family(out, "sessions_total", "counter", "SMTP sessions since start.");
	fprintf(out, "relaywarden_sessions_total %lu\n", v->sessions_total);
}

static void
write_decisions(FILE *out, const struct stats_view *v)
{
	family(out, "decisions_total", "counter",
	    "Decisions by SMTP stage, rule, decision (accept, reject, tempfail, would-reject) "
	    "and reply code (none for an accept).");
	stats_each_decision(decision_row, out);
	family(out, "decision_label_sets_dropped_total", "counter",
	    "Decisions not counted above because the label table was full.");
	fprintf(out, "relaywarden_decision_label_sets_dropped_total %lu\n", v->decisions_dropped);
}

static void
write_directory(FILE *out, const struct stats_view *v)
{
	char labels[64];

	family(out, "directory_lookups_total", "counter",
	    "Answers of the directory backend (cache hits not included), by result.");
	for (size_t i = 0; i < v->nbackends; i++) {
		const struct stats_backend *b = &v->backends[i];
		fprintf(out, "relaywarden_directory_lookups_total{backend=\"%s\",result=\"found\"} "
		    "%lu\n", b->name, b->found);
		fprintf(out, "relaywarden_directory_lookups_total{backend=\"%s\",result=\"notfound\"} "
		    "%lu\n", b->name, b->notfound);
		fprintf(out, "relaywarden_directory_lookups_total{backend=\"%s\",result=\"tempfail\"} "
		    "%lu\n", b->name, b->tempfail);
	}
	family(out, "directory_failures_total", "counter",
	    "Directory lookups that could not be answered (the step deferred with 4xx, or "
	    "continued under on_failure = \"accept\").");
	for (size_t i = 0; i < v->nbackends; i++)
		fprintf(out, "relaywarden_directory_failures_total{backend=\"%s\"} %lu\n",
		    v->backends[i].name, v->backends[i].tempfail);
	family(out, "directory_searches_total", "counter", "LDAP search requests sent.");
	for (size_t i = 0; i < v->nbackends; i++)
		fprintf(out, "relaywarden_directory_searches_total{backend=\"%s\"} %lu\n",
		    v->backends[i].name, v->backends[i].searches);
	family(out, "directory_cache_hits_total", "counter", "Directory answers taken from the cache.");
	for (size_t i = 0; i < v->nbackends; i++)
		fprintf(out, "relaywarden_directory_cache_hits_total{backend=\"%s\"} %lu\n",
		    v->backends[i].name, v->backends[i].cache_hits);
	family(out, "directory_cache_misses_total", "counter",
	    "Directory questions the cache could not answer.");
	for (size_t i = 0; i < v->nbackends; i++)
		fprintf(out, "relaywarden_directory_cache_misses_total{backend=\"%s\"} %lu\n",
		    v->backends[i].name, v->backends[i].cache_misses);
	family(out, "directory_lookup_duration_seconds", "histogram",
	    "How long the directory backend took to answer one lookup.");
	for (size_t i = 0; i < v->nbackends; i++) {
		snprintf(labels, sizeof(labels), "backend=\"%s\"", v->backends[i].name);
		histogram(out, "directory_lookup_duration_seconds", labels, &v->backends[i].latency);
	}
}

static void
write_dns(FILE *out, const struct stats_view *v)
{
	family(out, "dns_queries_total", "counter", "DNS questions asked.");
	fprintf(out, "relaywarden_dns_queries_total %lu\n", v->dns_queries);
	family(out, "dns_failures_total", "counter",
	    "DNS questions with no usable answer (timeout, SERVFAIL, ...).");
	fprintf(out, "relaywarden_dns_failures_total %lu\n", v->dns_failures);
	family(out, "dns_cache_hits_total", "counter", "DNS answers taken from the cache.");
	fprintf(out, "relaywarden_dns_cache_hits_total %lu\n", v->dns_cache_hits);
	family(out, "dns_query_duration_seconds", "histogram", "How long one DNS question took.");
	histogram(out, "dns_query_duration_seconds", "", &v->dns_latency);
}

static void
write_policy(FILE *out, const struct stats_view *v)
{
	family(out, "reloads_total", "counter",
	    "Policy reloads by result (failure: the running policy stayed).");
	fprintf(out, "relaywarden_reloads_total{result=\"success\"} %lu\n", v->reloads_ok);
	fprintf(out, "relaywarden_reloads_total{result=\"failure\"} %lu\n", v->reloads_failed);
	family(out, "policy_last_reload_failed", "gauge",
	    "1 when the newest reload was refused and an older policy is in force.");
	fprintf(out, "relaywarden_policy_last_reload_failed %d\n", v->last_reload_failed ? 1 : 0);
	family(out, "policy_generation", "gauge", "Policies installed since start (1 = the first).");
	fprintf(out, "relaywarden_policy_generation %lu\n", v->generation);
	family(out, "policy_loaded_timestamp_seconds", "gauge",
	    "When the policy in force was installed, in Unix time.");
	fprintf(out, "relaywarden_policy_loaded_timestamp_seconds %.3f\n", v->loaded_at);
	family(out, "policy_load_duration_seconds", "gauge",
	    "How long loading and validating the policy in force took.");
	fprintf(out, "relaywarden_policy_load_duration_seconds %.6f\n", v->load_seconds);
}

static void
write_rate(FILE *out, const struct stats_view *v)
{
	static const char *const results[] = { "ok", "over", "unavailable" };

	family(out, "rate_checks_total", "counter",
	    "Rate-limit checks by store (memory, redis, local: memory while Redis is away) and "
	    "result (ok, over a limit, store unavailable).");
	for (size_t i = 0; i < STATS_RATE_STORES; i++)
		for (size_t j = 0; j < 3; j++)
			fprintf(out, "relaywarden_rate_checks_total{store=\"%s\",result=\"%s\"} %lu\n",
			    stats_rate_store_words[i], results[j], v->rate_checks[i][j]);
	if (v->rate_store_up < 0)
		return;
	family(out, "rate_store_up", "gauge", "1 when Redis answered the last rate-limit check.");
	fprintf(out, "relaywarden_rate_store_up %d\n", v->rate_store_up);
}

void
stats_prometheus_write(FILE *out, const char *version)
{
	struct stats_view v;

	stats_read(&v);
	write_process(out, version, &v);
	write_decisions(out, &v);
	write_directory(out, &v);
	write_dns(out, &v);
	write_policy(out, &v);
	write_rate(out, &v);
}

/*
 * explain.c - trace one transaction offline, or validate a policy file.
 *
 * Builds a session exactly as the milter does (same config_load, same
 * session steps, same directory), with a trace that prints every step of
 * DESIGN §2-§4 to stdout, then the reply the MTA would send and the log
 * line the milter would write. Single-threaded; logs go to stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "config.h"
#include "dns.h"
#include "explain.h"
#include "ldap_probe.h"
#include "session.h"
#include "stats.h"
#include "xalloc.h"

struct explain_args {
	const char *config;
	const char *client;
	const char *client_name;
	const char *daemon;
	const char *auth;
	const char *from;
	const char *size;
	unsigned sessions;
	const char **rcpts;
	size_t nrcpts;
	const char **headers;
	size_t nheaders;
};

static void
emit(void *ctx, const char *line)
{
	(void)ctx;
	printf("    %s\n", line);
}


static const char check_usage[] = "usage: relaywarden check -c FILE [--probe [--login LOGIN]]\n";

/* check -c FILE: validate. --probe: then try the directory as the policy
 * uses it (ldap_probe.c); --login LOGIN: look that login up too. */
int
check_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "probe", no_argument, NULL, 'P' },
		{ "login", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *login = NULL;
	bool probe = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'P': probe = true; break;
		case 'l': login = optarg; break;
		default: fputs(check_usage, stderr); return EX_USAGE;
		}
	}
	if (path == NULL || optind != argc || (login != NULL && !probe)) {
		fputs(check_usage, stderr);
		return EX_USAGE;
	}
	struct policy *p = config_load_printing(path);
	if (p == NULL)
		return EX_CONFIG;
	printf("%s: OK\n", path);
	int rc = probe ? ldap_probe_cli(p, login) : 0;
	config_free(p);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: relaywarden explain -c FILE --client IP [--client-name NAME] "
	    "[--daemon NAME] [--auth LOGIN] [--sessions N] --from ADDR [--size BYTES] --rcpt ADDR... "
	    "[--header \"Name: value\"]...\n");
}

static int
parse_args(int argc, char **argv, struct explain_args *a)
{
	static const struct option opts[] = {
		{ "client", required_argument, NULL, 'i' },
		{ "client-name", required_argument, NULL, 'n' },
		{ "daemon", required_argument, NULL, 'd' },
		{ "auth", required_argument, NULL, 'a' },
		{ "from", required_argument, NULL, 'f' },
		{ "rcpt", required_argument, NULL, 'r' },
		{ "header", required_argument, NULL, 'H' },
		{ "size", required_argument, NULL, 's' },
		{ "sessions", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	a->rcpts = xcalloc((size_t)argc, sizeof(*a->rcpts));
	a->headers = xcalloc((size_t)argc, sizeof(*a->headers));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'i': a->client = optarg; break;
		case 'n': a->client_name = optarg; break;
		case 'd': a->daemon = optarg; break;
		case 'a': a->auth = optarg; break;
		case 'f': a->from = optarg; break;
		case 'r': a->rcpts[a->nrcpts++] = optarg; break;
		case 'H': a->headers[a->nheaders++] = optarg; break;
		case 's': a->size = optarg; break;
		case 'S': a->sessions = (unsigned)strtoul(optarg, NULL, 10); break;
		default: return -1;
		}
	}
	if (a->config == NULL || a->client == NULL || a->from == NULL || a->nrcpts == 0 ||
	    optind != argc)
		return -1;
	return 0;
}

/* Worst outcome so far: tempfail over reject over accept. */
static int
outcome(const struct decision *d, int worst)
{
	int now = d->action == DECISION_TEMPFAIL ? 2 : d->action == DECISION_REJECT ? 1 : 0;
	return now > worst ? now : worst;
}

static void
print_verdict(struct session *s, const char *stage, const char *rcpt, const struct decision *d)
{
	char reply[REPLY_TEXT_MAX * 2], line[4096];

	if (d->action == DECISION_CONTINUE) {
		printf("  => 250 continue%s\n", d->would_reject ? " (report_only: would reject)" : "");
	} else {
		session_reply_text(s, d, reply, sizeof(reply));
		printf("  => %s %s %s%s\n", d->reply->code, d->reply->xcode, reply,
		    d->disconnect ? " (connection closed)" : "");
	}
	session_log_decision(s, stage, rcpt, d, line, sizeof(line));
	printf("  log: %s\n", line);
}

/* The argument as the MTA hands it to the milter: in angle brackets, in buf
 * (the caller judges buf, so it is always written). */
static const char *
bracketed(const char *addr, char *buf, size_t len)
{
	snprintf(buf, len, addr[0] == '<' ? "%s" : "<%s>", addr);
	return buf;
}

/* "Name: value" -> session_header; then end of headers. */
static void
run_headers(struct session *s, const struct explain_args *a, const struct trace *t,
    struct decision *d)
{
	printf("DATA\n");
	for (size_t i = 0; i < a->nheaders; i++) {
		const char *colon = strchr(a->headers[i], ':');
		if (colon == NULL) {
			printf("    ignoring \"%s\": not \"Name: value\"\n", a->headers[i]);
			continue;
		}
		char *name = xstrndup(a->headers[i], (size_t)(colon - a->headers[i]));
		const char *value = colon + 1 + strspn(colon + 1, " \t");
		printf("%s: %s\n", name, value);
		session_header(s, name, value);
		free(name);
	}
	printf("(end of headers)\n");
	session_eoh(s, d, t);
	print_verdict(s, "header", NULL, d);
}

/* What the transaction cost: the milter's own counters (stats.h). */
static void
print_counters(void)
{
	struct stats_view v;
	unsigned long searches = 0, hits = 0, misses = 0, failures = 0;

	stats_read(&v);
	for (size_t i = 0; i < v.nbackends; i++) {
		searches += v.backends[i].searches;
		hits += v.backends[i].cache_hits;
		misses += v.backends[i].cache_misses;
		failures += v.backends[i].tempfail;
	}
	printf("directory: %lu LDAP search(es), %lu cache hit(s), %lu miss(es), %lu failure(s)\n",
	    searches, hits, misses, failures);
	printf("dns: %lu quer(ies), %lu cache hit(s), %lu failure(s)\n", v.dns_queries,
	    v.dns_cache_hits, v.dns_failures);
}

static int
run_transaction(struct policy *p, const struct explain_args *a)
{
	struct trace t = { emit, NULL };
	struct session *s = session_new(p);
	struct decision d;

	s->rate_peek = true;    /* explain shows the counts; it never sends mail */
	char from[ADDRESS_TEXT_MAX + 2], rcpt[ADDRESS_TEXT_MAX + 2];
	int worst = 0;

	char size_arg[64];
	const char *args[2] = { NULL, NULL };

	printf("CONNECT %s[%s]%s%s\n", a->client_name ? a->client_name : "unknown", a->client,
	    a->daemon ? " daemon=" : "", a->daemon ? a->daemon : "");
	session_connect(s, a->client_name ? a->client_name : "unknown", a->client, a->daemon,
	    a->sessions ? a->sessions : 1, &d, &t);
	print_verdict(s, "connect", NULL, &d);
	worst = outcome(&d, worst);
	bool mail_ok = d.action == DECISION_CONTINUE;
	if (a->size != NULL) {
		snprintf(size_arg, sizeof(size_arg), "SIZE=%s", a->size);
		args[0] = size_arg;
	}
	if (mail_ok) {
		printf("MAIL FROM:%s%s%s%s%s\n", bracketed(a->from, from, sizeof(from)),
		    a->auth ? " AUTH=" : "", a->auth ? a->auth : "", args[0] ? " " : "",
		    args[0] ? args[0] : "");
		session_mail(s, a->auth, from, args, &d, &t);
		print_verdict(s, "mail", NULL, &d);
		worst = outcome(&d, worst);
		mail_ok = d.action == DECISION_CONTINUE;
	}
	size_t accepted = 0;
	for (size_t i = 0; mail_ok && i < a->nrcpts && !d.disconnect; i++) {
		printf("RCPT TO:%s\n", bracketed(a->rcpts[i], rcpt, sizeof(rcpt)));
		session_rcpt(s, rcpt, &d, &t);
		print_verdict(s, "rcpt", rcpt, &d);
		worst = outcome(&d, worst);
		accepted += d.action == DECISION_CONTINUE;
	}
	if (accepted > 0 && a->nheaders > 0) {
		run_headers(s, a, &t, &d);
		worst = outcome(&d, worst);
	}
	print_counters();
	printf("result: %s (exit %d)\n", worst == 2 ? "tempfail" : worst == 1 ? "reject" : "accept",
	    worst);
	session_free(s);
	return worst;
}

int
explain_main(int argc, char **argv)
{
	struct explain_args a = { 0 };

	log_set_level(LOG_LEVEL_ERR);   /* the log line is printed below each step */
	if (parse_args(argc, argv, &a) < 0) {
		usage();
		free(a.rcpts);
		free(a.headers);
		return EX_USAGE;
	}
	struct policy *p = config_load_printing(a.config);
	if (p == NULL) {
		free(a.rcpts);
		free(a.headers);
		return EX_CONFIG;
	}
	int rc = run_transaction(p, &a);
	config_free(p);
	free(a.rcpts);
	free(a.headers);
	return rc;
}

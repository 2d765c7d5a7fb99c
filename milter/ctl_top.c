/*
 * ctl_top.c - `relaywarden ctl top [-n SECONDS] [--once]`: the decisions
 * per stage and rule, refreshed in the terminal - what was refused and how often in
 * the last minute, and in all since the milter started.
 *
 * Every SECONDS (default 2) it asks the control socket for `stats` and
 * reads the decision rows (control_report.c's layout); the rate is the
 * change since the oldest sample of the last minute, per minute. It clears
 * the screen with plain ANSI and leaves on q or Ctrl-C, the terminal as it
 * found it. With --once, or when stdout is not a terminal, it prints one
 * table (totals; no rate without a second sample) and exits.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "xalloc.h"

#define KEYLEN 96
#define SAMPLES 64

struct count {
	char key[KEYLEN];            /* "STAGE RULE DECISION CODE" */
	unsigned long n;
};

struct sample {
	double t;                    /* monotonic seconds */
	struct count *v;
	size_t n;
};

static volatile sig_atomic_t stop_now;

static void
on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
add_count(struct sample *s, const char *key, unsigned long n)
{
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	snprintf(s->v[s->n].key, KEYLEN, "%s", key);
	s->v[s->n++].n = n;
}

/* The decision rows of a stats answer. */
static void
parse_stats(char *body, struct sample *s)
{
	bool in_table = false;
	char *save = NULL;

	for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char stage[32], rule[40], decision[20], code[8], key[KEYLEN];
		unsigned long n;
		if (strcmp(line, "decisions:") == 0) {
			in_table = true;
			continue;
		}
		if (!in_table || strncmp(line, "  ", 2) != 0) {
			in_table = false;
			continue;
		}
		if (sscanf(line, "%31s %39s %19s %7s %lu", stage, rule, decision, code, &n) != 5)
			continue;            /* the heading */
		snprintf(key, sizeof(key), "%s %s %s %s", stage, rule, decision, code);
		add_count(s, key, n);
	}
}

static unsigned long
count_in(const struct sample *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].key, key) == 0)
			return s->v[i].n;
	return 0;
}

struct line {
	const char *key;
	unsigned long total;
	double rate;                 /* per minute; < 0: not known yet */
};

static int
line_cmp(const void *a, const void *b)
{
	const struct line *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void
print_table(const char *sock, const struct sample *cur, const struct sample *base, int every)
{
	struct line *l = xcalloc(cur->n + 1, sizeof(*l));
	double span = base ? cur->t - base->t : 0;
	char when[32];
	time_t t = time(NULL);
	struct tm tm;

	for (size_t i = 0; i < cur->n; i++) {
		l[i].key = cur->v[i].key;
		l[i].total = cur->v[i].n;
		l[i].rate = span > 0 ? (double)(cur->v[i].n - count_in(base, l[i].key)) * 60 / span : -1;
	}
	qsort(l, cur->n, sizeof(*l), line_cmp);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	printf("relaywarden ctl top - %s - %s", sock, when);
	if (every > 0)
		printf(" (every %d s, q quits)", every);
	printf("\n%-8s %-28s %-13s %-5s %10s %10s\n", "STAGE", "RULE", "DECISION", "CODE",
	    "PER MIN", "TOTAL");
	for (size_t i = 0; i < cur->n; i++) {
		char stage[32], rule[40], decision[20], code[8], rate[16];
		sscanf(l[i].key, "%31s %39s %19s %7s", stage, rule, decision, code);
		if (l[i].rate < 0)
			snprintf(rate, sizeof(rate), "-");
		else
			snprintf(rate, sizeof(rate), "%.1f", l[i].rate);
		printf("%-8s %-28s %-13s %-5s %10s %10lu\n", stage, rule, decision, code, rate,
		    l[i].total);
	}
	if (cur->n == 0)
		printf("(no decisions yet)\n");
	fflush(stdout);
	free(l);
}

static int
take_sample(const char *sock, struct sample *s)
{
	char *body = NULL;
	int rc = ctl_client_ask(sock, "stats", &body);

	memset(s, 0, sizeof(*s));
	s->t = now_seconds();
	if (rc == 0)
		parse_stats(body, s);
	else
		fputs(body ? body : "", stderr);
	free(body);
	return rc;
}

/* Waits up to ms for a key; true when it was q (or Ctrl-C came). */
static bool
wait_for_quit(int ms, bool keys)
{
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	char c;

	if (poll(&pfd, keys ? 1 : 0, ms) > 0 && read(STDIN_FILENO, &c, 1) == 1)
		return c == 'q' || c == 'Q';
	return stop_now != 0;
}

static int
refresh_loop(const char *sock, int every)
{
	struct sample hist[SAMPLES];
	size_t n = 0;
	int rc = 0;
	bool keys = isatty(STDIN_FILENO);

	while (!stop_now) {
		if (n == SAMPLES) {
			free(hist[0].v);
			memmove(hist, hist + 1, (SAMPLES - 1) * sizeof(*hist));
			n--;
		}
		if ((rc = take_sample(sock, &hist[n])) != 0)
			break;
		n++;
		/* the base: the oldest sample not older than a minute */
		size_t b = 0;
		while (b + 1 < n && hist[n - 1].t - hist[b].t > 60)
			b++;
		fputs("\033[H\033[2J", stdout);
		print_table(sock, &hist[n - 1], b + 1 < n ? &hist[b] : NULL, every);
		if (wait_for_quit(every * 1000, keys))
			break;
	}
	for (size_t i = 0; i < n; i++)
		free(hist[i].v);
	return rc;
}

static int
top_usage(void)
{
	fputs("usage: relaywarden ctl [-c FILE | --socket PATH] top [-n SECONDS] [--once]\n", stderr);
	return EX_USAGE;
}

int
ctl_top_main(const char *sock, int argc, char **argv)
{
	static const struct option opts[] = { { "once", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 } };
	int every = 2, c, rc;
	bool once = false;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c == 'n' && atoi(optarg) > 0 && atoi(optarg) <= 3600)
			every = atoi(optarg);
		else if (c == 'o')
			once = true;
		else
			return top_usage();
	}
	if (optind != argc)
		return top_usage();
	if (once || !isatty(STDOUT_FILENO)) {
		struct sample s;
		if ((rc = take_sample(sock, &s)) == 0)
			print_table(sock, &s, NULL, 0);
		free(s.v);
		return rc;
	}
	struct termios saved, raw;
	bool term = tcgetattr(STDIN_FILENO, &saved) == 0;
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (term) {
		raw = saved;
		raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	rc = refresh_loop(sock, every);
	if (term)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return rc;
}

/*
 * reload_client.c - `relaywarden reload -c FILE [--pid PID]`, the
 * systemd ExecReload that fails when the reload fails.
 *
 * It loads FILE as the service user (dropping to milter.user first when
 * started as root, so that a file only root can read fails here, as it
 * would in the milter), then asks the running milter (--pid, or the one
 * process whose command line runs this policy) with sigqueue and
 * waits for its answer (reload.c). Exit 0 reloaded, 78 the policy has
 * errors (the running one stays), 69 no milter or no answer, 64 usage.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "reload.h"
#include "startup.h"

#define ANSWER_SECONDS 60   /* a 100 000-entry policy loads in a quarter second */

static int
usage(void)
{
	fprintf(stderr, "usage: relaywarden reload -c FILE [--pid PID]\n");
	return EX_USAGE;
}

/* Loads path and prints what is wrong with it; true if it validates. */
static bool
validates(const char *path, char **user)
{
	struct policy *p = config_load_printing(path);

	if (p == NULL)
		return false;
	if (user != NULL)
		*user = p->milter_user != NULL ? strdup(p->milter_user) : NULL;
	config_free(p);
	return true;
}

/* The policy path of a running milter's command line (argv[0] ending in
 * "relaywarden", argv[1] an option, not a subcommand), resolved from its
 * working directory into buf; false if pid is not such a milter. */
static bool
milter_policy(const char *pid, char *buf, size_t len)
{
	char path[64], cmd[4096], joined[PATH_MAX + 64];
	const char *arg[64], *policy = NULL;
	size_t n, argc = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, fp);
	fclose(fp);
	cmd[n] = '\0';
	for (size_t i = 0; i < n && argc < 64; i += strlen(cmd + i) + 1)
		arg[argc++] = cmd + i;
	const char *base = argc > 0 && strrchr(arg[0], '/') ? strrchr(arg[0], '/') + 1 : cmd;
	if (argc < 2 || strcmp(base, "relaywarden") != 0 || arg[1][0] != '-')
		return false;
	/* getopt's forms: "-c FILE", "-cFILE", "-fc FILE". */
	for (size_t i = 1; i < argc; i++) {
		const char *c = arg[i][0] == '-' && arg[i][1] != '-' ? strchr(arg[i] + 1, 'c') : NULL;
		if (c != NULL)
			policy = c[1] != '\0' ? c + 1 : i + 1 < argc ? arg[++i] : NULL;
		else if (strcmp(arg[i], "-p") == 0)
			i++;            /* its value is not an option */
	}
	if (policy == NULL)
		return false;
	if (policy[0] == '/')
		snprintf(joined, sizeof(joined), "%s", policy);
	else
		snprintf(joined, sizeof(joined), "/proc/%s/cwd/%s", pid, policy);
	return realpath(joined, buf) != NULL && strlen(buf) < len;
}

/* The one running milter whose policy is path, or 0 (printed why). */
static pid_t
find_milter(const char *path)
{
	char want[PATH_MAX], theirs[PATH_MAX];
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0, self = getpid();
	int count = 0;

	if (d == NULL || realpath(path, want) == NULL) {
		if (d != NULL)
			closedir(d);
		fprintf(stderr, "relaywarden reload: cannot resolve %s\n", path);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)e->d_name[0]) || atol(e->d_name) == self)
			continue;
		if (milter_policy(e->d_name, theirs, sizeof(theirs)) && strcmp(theirs, want) == 0) {
			found = (pid_t)atol(e->d_name);
			count++;
		}
	}
	closedir(d);
	if (count == 1)
		return found;
	fprintf(stderr, count == 0 ? "relaywarden reload: no running relaywarden uses %s\n" :
	    "relaywarden reload: several relaywarden processes use %s; say which with --pid PID\n",
	    want);
	return 0;
}

/* Asks pid to reload and waits for its answer: 0, 1 refused, -1 none. */
static int
ask(pid_t pid)
{
	sigset_t set;
	siginfo_t info;
	struct timespec deadline, left;
	union sigval v = { .sival_int = RELOAD_ASK };

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);      /* before asking: the answer may be fast */
	if (sigqueue(pid, SIGUSR1, v) != 0) {
		fprintf(stderr, "relaywarden reload: cannot signal pid %ld: %s\n", (long)pid,
		    strerror(errno));
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ANSWER_SECONDS;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &left);
		left.tv_sec = deadline.tv_sec - left.tv_sec;
		if (left.tv_sec <= 0)
			break;
		left.tv_nsec = 0;
		if (sigtimedwait(&set, &info, &left) == SIGUSR2 && info.si_pid == pid)
			return info.si_value.sival_int == 0 ? 0 : 1;
	}
	fprintf(stderr, "relaywarden reload: pid %ld did not answer within %d s\n", (long)pid,
	    ANSWER_SECONDS);
	return -1;
}

int
reload_client_main(int argc, char **argv)
{
	static const struct option opts[] = { { "pid", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 } };
	const char *path = NULL;
	pid_t pid = 0;
	char *user = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'P' && atol(optarg) > 0)
			pid = (pid_t)atol(optarg);
		else
			return usage();
	}
	if (path == NULL || optind != argc)
		return usage();
	if (!validates(path, &user))
		return EX_CONFIG;
	/* As root, judge the file as the milter will read it: as milter.user. */
	if (user != NULL && geteuid() == 0 &&
	    (startup_drop_privileges(user) < 0 || !validates(path, NULL))) {
		fprintf(stderr, "%s does not load as milter.user %s; not reloading\n", path, user);
		free(user);
		return EX_CONFIG;
	}
	free(user);
	if (pid == 0 && (pid = find_milter(path)) == 0)
		return EX_UNAVAILABLE;
	switch (ask(pid)) {
	case 0:
		printf("%s: reloaded by pid %ld\n", path, (long)pid);
		return 0;
	case 1:
		fprintf(stderr, "%s: pid %ld refused the reload (see its log); the running policy "
		    "stays in force\n", path, (long)pid);
		return EX_CONFIG;
	default:
		return EX_UNAVAILABLE;
	}
}

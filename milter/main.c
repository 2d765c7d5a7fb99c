/*
 * main.c - command-line dispatch and the milter's start-up order.
 *
 * relaywarden [-f] -c FILE [-p SOCKET]   run the milter
 * relaywarden check -c FILE               validate a policy
 * relaywarden explain -c FILE ...         trace one transaction
 * relaywarden version
 *
 * Start-up: load and validate the policy (exit 78 on any error), publish
 * it, register with libmilter, open the socket, drop privileges, block
 * SIGUSR1 before any thread exists, start the reload thread, run.
 * relaywarden never forks: run it under systemd (Type=simple).
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "callbacks.h"
#include "config.h"
#include "explain.h"
#include "log.h"
#include "reload.h"
#include "snapshot.h"
#include "xalloc.h"

#define RW_VERSION "0.1.0"

struct run_args {
	const char *config;
	const char *socket;
	bool foreground;
};

static int
run_usage(void)
{
	fprintf(stderr, "usage: relaywarden [-f] -c FILE [-p SOCKET]\n"
	    "       relaywarden check -c FILE\n"
	    "       relaywarden explain -c FILE --client IP [--client-name NAME] [--daemon NAME]\n"
	    "                   [--auth LOGIN] --from ADDR --rcpt ADDR... [--header \"N: v\"]...\n"
	    "       relaywarden version\n");
	return EX_USAGE;
}

/* A unix socket bound as root belongs to milter.user and its primary group
 * (give that user the MTA's group, e.g. postfix), mode 0660: the MTA can
 * connect, nobody else can. */
static int
hand_over_socket(const char *spec, const struct passwd *pw)
{
	const char *path = strchr(spec, ':') + 1;

	if (strncmp(spec, "unix:", 5) != 0 && strncmp(spec, "local:", 6) != 0)
		return 0;
	if (chown(path, pw->pw_uid, pw->pw_gid) != 0 || chmod(path, 0660) != 0) {
		log_err("cannot give %s to %s: %m", path, pw->pw_name);
		return -1;
	}
	return 0;
}

static int
drop_privileges(const char *user, const char *socket)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		log_err("milter.user: no such user \"%s\"", user);
		return -1;
	}
	if (getuid() == pw->pw_uid)
		return 0;
	if (hand_over_socket(socket, pw) < 0)
		return -1;
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_err("cannot drop privileges to %s: %m", user);
		return -1;
	}
	log_info("running as %s", user);
	return 0;
}

static int
start_milter(const struct policy *p)
{
	if (smfi_register(callbacks_desc) != MI_SUCCESS) {
		log_err("smfi_register failed");
		return -1;
	}
	if (smfi_setconn((char *)p->milter_socket) != MI_SUCCESS ||
	    smfi_settimeout(p->milter_timeout) != MI_SUCCESS) {
		log_err("cannot use milter.socket %s", p->milter_socket);
		return -1;
	}
	if (smfi_opensocket(true) != MI_SUCCESS) {
		log_err("cannot open milter.socket %s (is another relaywarden running, or the "
		    "directory missing?)", p->milter_socket);
		return -1;
	}
	if (p->milter_user != NULL && drop_privileges(p->milter_user, p->milter_socket) < 0)
		return -1;
	return 0;
}

static int
parse_run_args(int argc, char **argv, struct run_args *a)
{
	int c;

	while ((c = getopt(argc, argv, "fc:p:")) != -1) {
		switch (c) {
		case 'f': a->foreground = true; break;
		case 'c': a->config = optarg; break;
		case 'p': a->socket = optarg; break;
		default: return -1;
		}
	}
	return a->config != NULL && optind == argc ? 0 : -1;
}

static int
run(int argc, char **argv)
{
	struct run_args a = { 0 };
	struct errlist errs = { 0 };

	if (parse_run_args(argc, argv, &a) < 0)
		return run_usage();
	log_open("relaywarden", a.foreground);
	struct policy *p = config_load(a.config, &errs);
	for (size_t i = 0; i < errs.nwarnings; i++)
		log_warn("%s", errs.warnings[i]);
	for (size_t i = 0; i < errs.count; i++)
		log_err("%s", errs.lines[i]);
	errlist_clear(&errs);
	if (p == NULL) {
		log_err("%s has errors; not starting", a.config);
		return EX_CONFIG;
	}
	if (a.socket != NULL) {
		free(p->milter_socket);
		p->milter_socket = xstrdup(a.socket);
	}
	snapshot_install(p);
	if (start_milter(p) < 0)
		return EX_UNAVAILABLE;
	reload_block_signal();
	if (reload_start(a.config, a.socket) < 0) {
		log_err("cannot start the reload thread");
		return EX_OSERR;
	}
	log_info("relaywarden %s listening on %s with policy %s", RW_VERSION, p->milter_socket,
	    a.config);
	int rc = smfi_main();
	log_info("relaywarden stopping");
	snapshot_shutdown();
	return rc == MI_SUCCESS ? 0 : EX_SOFTWARE;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "explain") == 0)
		return explain_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "version") == 0) {
		printf("relaywarden %s\n", RW_VERSION);
		return 0;
	}
	return run(argc, argv);
}

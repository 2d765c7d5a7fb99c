/*
 * main.c - command-line dispatch and the milter's start-up order.
 *
 * relaywarden [-f] -c FILE [-p SOCKET] [-C unix:PATH]   run the milter
 * relaywarden check -c FILE [--probe [--login LOGIN]]   validate a policy
 *                                         (--probe: and try its directory)
 * relaywarden explain -c FILE ...         trace one transaction
 * relaywarden reload -c FILE [--pid PID]  validate, reload the running milter
 * relaywarden ctl [-c FILE | --socket PATH] COMMAND   talk to its control socket
 * relaywarden keys | version | --version | --help
 *
 * Start-up: block SIGUSR1 (and libmilter's stop signals) before anything,
 * load and validate the policy (exit 78 on any error), publish it, register
 * with libmilter, check that every file a reload reads is readable by the
 * user it will run as, refuse a socket a live instance answers on, open
 * the socket, share it with the MTA's group, open the control socket, drop
 * privileges, start the reload thread and the control socket's, run.
 * relaywarden never forks: run it under systemd (Type=simple).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "callbacks.h"
#include "config.h"
#include "config_keys.h"
#include "control.h"
#include "explain.h"
#include "ldap_probe.h"
#include "log.h"
#include "metrics.h"
#include "reload.h"
#include "snapshot.h"
#include "startup.h"
#include "stats.h"
#include "xalloc.h"

#include "version.h"

struct run_args {
	const char *config;
	const char *socket;
	const char *control;     /* -C: control.socket for this run */
	bool foreground;
};

static const char usage_text[] =
    "usage: relaywarden [-f] -c FILE [-p SOCKET] [-C unix:PATH]   run the milter (-f: foreground,\n"
    "                   log to stderr; -p, -C: milter.socket, control.socket for this run)\n"
    "       relaywarden check -c FILE               validate a policy; every error as FILE:LINE: KEY\n"
    "       relaywarden check -c FILE --probe [--login LOGIN]   and connect, TLS, bind and search\n"
    "                   every directory.ldap.uris as the policy will; exit 0 only if all works\n"
    "       relaywarden explain -c FILE --client IP [--client-name NAME] [--daemon NAME]\n"
    "                   [--auth LOGIN] [--sessions N] --from ADDR [--size BYTES] --rcpt ADDR...\n"
    "                   [--header \"Name: value\"]...   trace one transaction; exit 0/1/2\n"
    "       relaywarden reload -c FILE [--pid PID]  validate FILE as the service user, make the\n"
    "                                               running milter reload it, report the outcome\n"
    "       relaywarden ctl [-c FILE | --socket PATH] reload | stats | status |\n"
    "                   flush-cache [LOGIN] | top [-n SECONDS] [--once]\n"
    "                   talk to the running milter's control.socket (see relaywarden(8))\n"
    "       relaywarden keys                        list every policy key\n"
    "       relaywarden version | --version | --help\n"
    "See relaywarden(8) and relaywarden.conf(5).\n";

static int
run_usage(void)
{
	fputs(usage_text, stderr);
	return EX_USAGE;
}

/* Before serving: the files every reload reads readable by the user the
 * milter runs as, one instance per socket, a socket the MTA may use, root
 * dropped. */
static int
start_milter(const struct policy *p, const char *config)
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
	if (startup_check_readable(config, p) < 0 || startup_claim_socket(p->milter_socket) < 0)
		return -1;
	if (smfi_opensocket(true) != MI_SUCCESS) {
		log_err("cannot open milter.socket %s (does its directory exist and may this user "
		    "write there?)", p->milter_socket);
		return -1;
	}
	if (startup_share_socket(p->milter_socket, p->milter_user) < 0 || control_open(p) < 0)
		return -1;
	if (p->milter_user != NULL) {
		if (startup_drop_privileges(p->milter_user) < 0)
			return -1;
		log_info("running as %s", p->milter_user);
	}
	return 0;
}

static int
parse_run_args(int argc, char **argv, struct run_args *a)
{
	int c;

	while ((c = getopt(argc, argv, "fc:p:C:")) != -1) {
		switch (c) {
		case 'f': a->foreground = true; break;
		case 'c': a->config = optarg; break;
		case 'p': a->socket = optarg; break;
		case 'C': a->control = optarg; break;
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
	/* First: a SIGUSR1 (systemctl reload right after start) must wait for
	 * the reload thread, not kill the process by its default action. */
	reload_block_signal();
	log_open("relaywarden", a.foreground);
	double seconds;
	struct policy *p = reload_load(a.config, &errs, &seconds);
	errlist_clear(&errs);
	if (p == NULL) {
		log_err("%s has errors; not starting", a.config);
		return EX_CONFIG;
	}
	if (a.socket != NULL) {
		free(p->milter_socket);
		p->milter_socket = xstrdup(a.socket);
	}
	if (a.control != NULL && strncmp(a.control, "unix:/", 6) != 0) {
		log_err("-C %s: expected unix:/PATH", a.control);
		config_free(p);
		return EX_USAGE;
	}
	if (a.control != NULL) {
		free(p->control_socket);
		p->control_socket = xstrdup(a.control);
	}
	snapshot_install(p);
	stats_policy_load(false, true, seconds);
	if (metrics_start(p) < 0)
		return EX_UNAVAILABLE;
	if (start_milter(p, a.config) < 0)
		return EX_UNAVAILABLE;
	if (reload_start(a.config, a.socket, a.control) < 0) {
		log_err("cannot start the reload thread");
		return EX_OSERR;
	}
	if (control_start(RW_VERSION) < 0)
		return EX_OSERR;
	log_notice("relaywarden %s listening on %s with policy %s", RW_VERSION, p->milter_socket,
	    a.config);
	/* The directory is tried once, beside serving: failures are logged,
	 * never a reason not to start (an outage is 451 and heals itself). */
	const struct policy *probed = snapshot_acquire();
	ldap_probe_start(probed);
	int rc = smfi_main();
	log_notice("relaywarden stopping");
	control_stop();
	ldap_probe_join();
	metrics_stop();
	snapshot_release(probed);
	snapshot_shutdown();
	return rc == MI_SUCCESS ? 0 : EX_SOFTWARE;
}

/* `relaywarden keys`: every policy key of the table, with what its value
 * looks like; the man page's key list is tested against this. */
static int
keys_main(void)
{
	const struct config_key *k;

	for (size_t i = 0; (k = config_key_at(i)) != NULL; i++)
		if (!config_key_is_section(k))
			printf("%s\t%s\n", k->path, config_type_words(k->type));
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "explain") == 0)
		return explain_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
		return ctl_client_main(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "keys") == 0)
		return keys_main();
	if (argc >= 2 && strcmp(argv[1], "reload") == 0) {
		log_open("relaywarden", true);
		return reload_client_main(argc - 1, argv + 1);
	}
	if (argc == 2 && (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("relaywarden %s\n", RW_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	return run(argc, argv);
}

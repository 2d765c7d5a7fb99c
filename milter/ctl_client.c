/*
 * ctl_client.c - `relaywarden ctl [-c FILE | --socket PATH] COMMAND [ARG]`,
 * the client of the control socket (control.h).
 *
 * The socket is --socket PATH (or unix:PATH), else the control.socket of
 * FILE (default /etc/relaywarden/relaywarden.conf). Only that key is read
 * from FILE, with libconfig alone: finding the socket must not depend on
 * the rest of the file being right (`ctl reload` of a broken file has to
 * reach the milter to hear every error). A file libconfig cannot parse
 * gets its errors printed as `check` prints them. The milter's text goes
 * to stdout when it says ok, to stderr otherwise; the exit status is the
 * one the milter names (78 policy refused, ...), 69 when no milter
 * answers, 64 for usage.
 */
#include <getopt.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "xalloc.h"

#define DEFAULT_POLICY "/etc/relaywarden/relaywarden.conf"

static int
usage(void)
{
	fputs("usage: relaywarden ctl [-c FILE | --socket PATH] reload | stats | status |\n"
	      "                       flush-cache [LOGIN] | top [-n SECONDS] [--once]\n", stderr);
	return EX_USAGE;
}

/* control.socket of path into *out (malloc'd; NULL when unset): 0, or
 * EX_CONFIG when the file does not parse (its errors printed). */
static int
socket_of(const char *path, char **out)
{
	config_t cfg;
	const char *spec = NULL;
	int rc = 0;

	*out = NULL;
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		struct policy *p = config_load_printing(path);   /* prints why, as check does */
		config_free(p);
		rc = EX_CONFIG;
	} else if (config_lookup_string(&cfg, "control.socket", &spec) == CONFIG_TRUE &&
	    spec[0] != '\0') {
		*out = xstrdup(strncmp(spec, "unix:", 5) == 0 ? spec + 5 : spec);
	}
	config_destroy(&cfg);
	return rc;
}

static int
run_command(const char *sock, const char *command)
{
	char *body = NULL;
	int rc = ctl_client_ask(sock, command, &body);

	fputs(body ? body : "", rc == 0 ? stdout : stderr);
	free(body);
	return rc;
}

/* COMMAND [ARG] into "COMMAND ARG"; NULL for a usage error. */
static char *
command_line(int argc, char **argv)
{
	if (argc < 1 || argc > 2)
		return NULL;
	bool takes_arg = strcmp(argv[0], "flush-cache") == 0;
	if (argc == 2 && (!takes_arg || argv[1][0] == '\0' || strpbrk(argv[1], " \t\r\n")))
		return NULL;
	return argc == 2 ? xasprintf("%s %s", argv[0], argv[1]) : xstrdup(argv[0]);
}

int
ctl_client_main(int argc, char **argv)
{
	static const struct option opts[] = { { "socket", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 } };
	const char *policy = NULL, *given = NULL;
	char *sock = NULL;
	int c, rc;

	optind = 1;
	/* "+": options end at the command, so `top -n 5` keeps its own. */
	while ((c = getopt_long(argc, argv, "+c:", opts, NULL)) != -1) {
		if (c == 'c')
			policy = optarg;
		else if (c == 'S')
			given = optarg;
		else
			return usage();
	}
	if (optind >= argc || (policy != NULL && given != NULL))
		return usage();
	if (given != NULL)
		sock = xstrdup(strncmp(given, "unix:", 5) == 0 ? given + 5 : given);
	else if ((rc = socket_of(policy ? policy : DEFAULT_POLICY, &sock)) != 0)
		return rc;
	if (sock == NULL) {
		fprintf(stderr, "relaywarden ctl: %s sets no control.socket (control = { socket = "
		    "\"unix:/run/relaywarden/control.sock\"; };), or give --socket PATH\n",
		    policy ? policy : DEFAULT_POLICY);
		return EX_UNAVAILABLE;
	}
	argv += optind;
	argc -= optind;
	if (strcmp(argv[0], "top") == 0) {
		rc = ctl_top_main(sock, argc, argv);
	} else {
		char *line = command_line(argc, argv);
		rc = line ? run_command(sock, line) : usage();
		free(line);
	}
	free(sock);
	return rc;
}

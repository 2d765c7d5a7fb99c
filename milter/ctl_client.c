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
#include <errno.h>
#include <getopt.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "xalloc.h"

#define DEFAULT_POLICY "/etc/relaywarden/relaywarden.conf"
#define ANSWER_SECONDS 120   /* a reload of a 100 000-entry policy takes a quarter second */

static int
usage(void)
{
	fputs("usage: relaywarden ctl [-c FILE | --socket PATH] reload | stats | status |\n"
	      "                       flush-cache [LOGIN] | top [-n SECONDS] [--once]\n", stderr);
	return EX_USAGE;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { ANSWER_SECONDS, 0 };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "relaywarden ctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "relaywarden ctl: cannot connect to %s: %s%s\n", path, strerror(errno),
		    errno == EACCES ? " (only root and the service user may)" :
		    errno == ENOENT || errno == ECONNREFUSED ? " (is relaywarden running with this "
		    "control.socket?)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

/* The answer's last line is its status: "ok" or "error N". */
static int
split_status(char *text, size_t len)
{
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	char *last = strrchr(text, '\n');
	const char *status = last ? last + 1 : text;
	int rc = EX_UNAVAILABLE;

	if (strcmp(status, "ok") == 0)
		rc = 0;
	else if (strncmp(status, "error ", 6) == 0 && atoi(status + 6) > 0 && atoi(status + 6) < 126)
		rc = atoi(status + 6);
	else
		return EX_UNAVAILABLE;   /* cut short: the milter died or timed out */
	if (last != NULL)
		last[1] = '\0';
	else
		text[0] = '\0';
	return rc;
}

int
ctl_client_ask(const char *path, const char *command, char **body)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	int fd = connect_to(path);

	*body = NULL;
	if (fd < 0)
		return EX_UNAVAILABLE;
	char *line = xasprintf("%s\n", command);
	ssize_t sent = send(fd, line, strlen(line), MSG_NOSIGNAL);
	free(line);
	for (;;) {
		if (cap - len < 4096)
			text = xrealloc(text, cap += 65536);
		ssize_t n = recv(fd, text + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	text = text ? text : xstrdup("");
	text[len] = '\0';
	int rc = sent < 0 ? EX_UNAVAILABLE : split_status(text, len);
	if (rc == EX_UNAVAILABLE && len == 0)
		fprintf(stderr, "relaywarden ctl: %s gave no answer\n", path);
	*body = text;
	return rc;
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

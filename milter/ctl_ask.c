/*
 * ctl_ask.c - one question to the control socket (control.h): connect,
 * send the command line, read the whole answer, split off its status
 * line. Shared by `relaywarden ctl` (ctl_client.c) and `ctl top`
 * (ctl_top.c); prints on stderr only why there was no answer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "control.h"
#include "xalloc.h"

#define ANSWER_SECONDS 120   /* a reload of a 100 000-entry policy takes a quarter second */

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

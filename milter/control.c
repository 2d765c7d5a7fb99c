/*
 * control.c - the control socket's server (see control.h): binds it, owns
 * the accept thread and one short-lived thread per connection, reads the
 * command line and runs reload and flush-cache; the reports are
 * control_report.c's. Touches the policy only through snapshot.c and
 * reload.c; holds no lock of its own on a milter thread's path.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "control.h"
#include "errlist.h"
#include "log.h"
#include "reload.h"
#include "snapshot.h"
#include "startup.h"
#include "stats.h"
#include "xalloc.h"

static int listen_fd = -1;
static char *socket_path;
static uid_t service_uid;            /* besides root, the one uid let in */
static const char *build_version;
static atomic_uint clients;

static int
bind_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0)
		return -1;
	/* Born 0600: no moment in which another user could connect. The main
	 * thread runs alone here, so the process-wide umask is ours. */
	mode_t old = umask(0177);
	int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc != 0 || listen(fd, CONTROL_CLIENTS) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Started as root with milter.user set: the socket is the service user's. */
static int
give_socket(const char *path, const char *user)
{
	const struct passwd *pw;

	service_uid = geteuid();
	if (user == NULL || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_err("milter.user: no such user \"%s\"", user);
		return -1;
	}
	service_uid = pw->pw_uid;
	if (chown(path, pw->pw_uid, pw->pw_gid) != 0) {
		log_err("cannot give control.socket %s to %s: %m", path, user);
		return -1;
	}
	return 0;
}

int
control_open(const struct policy *p)
{
	const char *spec = p->control_socket;

	if (spec == NULL || spec[0] == '\0')
		return 0;
	const char *path = spec + 5;     /* config.c allows only "unix:/..." */
	int claim = startup_claim_path("control.socket", path, "");
	if (claim < 0 || (claim == 1 && unlink(path) != 0 && errno != ENOENT)) {
		if (claim == 1)
			log_err("cannot remove the stale control.socket %s: %m", path);
		return -1;
	}
	if ((listen_fd = bind_socket(path)) < 0) {
		log_err("cannot open control.socket %s: %m (does its directory exist and may this "
		    "user write there?)", path);
		return -1;
	}
	socket_path = xstrdup(path);
	if (chmod(path, 0600) != 0)
		log_err("cannot make control.socket %s mode 0600: %m", path);
	if (chmod(path, 0600) != 0 || give_socket(path, p->milter_user) < 0) {
		control_stop();
		return -1;
	}
	return 0;
}

/* ---- one connection ---- */

static void
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;          /* the client went away: nothing to tell it */
		buf += n;
		len -= (size_t)n;
	}
}

/* One line into buf: 0, or the status to refuse with (and why in out). */
static int
read_command(int fd, char *buf, size_t len, FILE *out)
{
	size_t got = 0;

	for (;;) {
		ssize_t n = recv(fd, buf + got, len - 1 - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			fprintf(out, "no command within %d s; closing\n", CONTROL_READ_SECONDS);
			return EX_TEMPFAIL;
		}
		if (n <= 0)
			break;
		got += (size_t)n;
		char *nl = memchr(buf, '\n', got);
		if (nl != NULL) {
			*nl = '\0';
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = '\0';
			return 0;
		}
		if (got == len - 1) {
			fprintf(out, "command line longer than %zu bytes\n", len - 2);
			return EX_USAGE;
		}
	}
	buf[got] = '\0';
	return 0;                        /* the last line need not end in \n */
}

static int
cmd_reload(FILE *out)
{
	struct errlist errs = { 0 };
	const char *path = NULL;
	int rc = reload_run(&errs, &path);
	struct stats_view v;

	for (size_t i = 0; i < errs.nwarnings; i++)
		fprintf(out, "warning: %s\n", errs.warnings[i]);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(out, "%s\n", errs.lines[i]);
	errlist_clear(&errs);
	if (path == NULL)
		return EX_UNAVAILABLE;
	if (rc < 0) {
		fprintf(out, "%s: refused; the running policy stays in force\n", path);
		return EX_CONFIG;
	}
	stats_read(&v);
	fprintf(out, "%s: reloaded, generation %lu\n", path, v.generation);
	return 0;
}

static int
cmd_flush(FILE *out, const char *login)
{
	const struct policy *p = snapshot_acquire();
	long n = directory_flush(p->directory, login);

	snapshot_release(p);
	if (n < 0) {
		fprintf(out, "0 entries flushed (no directory cache: directory.backend is file, or "
		    "directory.cache ttl and negative_ttl are 0)\n");
		return 0;
	}
	log_info("control flush-cache login=%s entries=%ld", login ? login : "(all)", n);
	fprintf(out, "%ld %s flushed%s%s\n", n, n == 1 ? "entry" : "entries", login ? " for " : "",
	    login ? login : "");
	return 0;
}

/* Runs one command line; its text goes to out; returns the status. */
static int
run_command(char *line, FILE *out)
{
	char *save = NULL;
	char *cmd = strtok_r(line, " \t", &save);
	char *arg = cmd ? strtok_r(NULL, " \t", &save) : NULL;
	bool extra = arg != NULL && strtok_r(NULL, " \t", &save) != NULL;

	if (cmd != NULL && strcmp(cmd, "flush-cache") == 0 && !extra)
		return cmd_flush(out, arg);
	if (cmd != NULL && arg == NULL && strcmp(cmd, "reload") == 0)
		return cmd_reload(out);
	if (cmd != NULL && arg == NULL && strcmp(cmd, "stats") == 0) {
		control_report_stats(out);
		return 0;
	}
	if (cmd != NULL && arg == NULL && strcmp(cmd, "status") == 0) {
		control_report_status(out, build_version);
		return 0;
	}
	fprintf(out, "unknown command \"%s\" (commands: reload, stats, status, flush-cache "
	    "[LOGIN])\n", cmd ? cmd : "");
	return EX_USAGE;
}

static bool
peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
		return false;
	return cred.uid == 0 || cred.uid == service_uid;
}

static void
serve(int fd)
{
	char line[CONTROL_LINE_MAX + 2], *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int rc;

	if (out == NULL)
		return;
	if (!peer_allowed(fd)) {
		fprintf(out, "permission denied: only root and the service user may use the control "
		    "socket\n");
		rc = EX_NOPERM;
	} else if ((rc = read_command(fd, line, sizeof(line), out)) == 0) {
		char *copy = xstrdup(line);
		rc = run_command(line, out);
		/* reads (stats every 2 s under `ctl top`) would flood the log */
		if (strncmp(copy, "stats", 5) == 0 || strncmp(copy, "status", 6) == 0)
			log_debug("control command=\"%s\" status=%d", copy, rc);
		else
			log_info("control command=\"%s\" status=%d", copy, rc);
		free(copy);
	}
	if (rc == 0)
		fputs("ok\n", out);
	else
		fprintf(out, "error %d\n", rc);
	fclose(out);
	send_all(fd, text, len);
	free(text);
}

/* Closing a unix socket with unread input resets the peer, which may then
 * lose the answer's last lines: say EOF first, read what is left (a
 * bounded amount, within the read timeout), then close. */
static void
finish(int fd)
{
	char sink[4096];
	size_t total = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	while (total < 65536 && ((n = recv(fd, sink, sizeof(sink), 0)) > 0 || (n < 0 && errno == EINTR)))
		total += n > 0 ? (size_t)n : 0;
	close(fd);
}

static void *
client_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;

	serve(fd);
	finish(fd);
	atomic_fetch_sub(&clients, 1);
	return NULL;
}

static void
dispatch(int fd)
{
	struct timeval tv = { CONTROL_READ_SECONDS, 0 };
	pthread_t tid;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (atomic_fetch_add(&clients, 1) >= CONTROL_CLIENTS) {
		static const char busy[] = "busy: too many control connections; try again\nerror 75\n";
		send_all(fd, busy, sizeof(busy) - 1);
		atomic_fetch_sub(&clients, 1);
		close(fd);
		return;
	}
	if (pthread_create(&tid, NULL, client_thread, (void *)(intptr_t)fd) != 0) {
		atomic_fetch_sub(&clients, 1);
		close(fd);
		return;
	}
	pthread_detach(tid);
}

static void *
accept_thread(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			dispatch(fd);
		else if (errno == EMFILE || errno == ENFILE)
			usleep(100000);  /* out of descriptors: let the milter have them */
		else if (errno != EINTR && errno != ECONNABORTED)
			break;           /* shut down by control_stop */
	}
	return NULL;
}

int
control_start(const char *version)
{
	pthread_t tid;

	build_version = version;
	if (listen_fd < 0)
		return 0;
	if (pthread_create(&tid, NULL, accept_thread, (void *)(intptr_t)listen_fd) != 0) {
		log_err("cannot start the control socket's thread");
		return -1;
	}
	pthread_detach(tid);
	log_info("control socket unix:%s (mode 0600)", socket_path);
	return 0;
}

void
control_stop(void)
{
	if (listen_fd < 0)
		return;
	shutdown(listen_fd, SHUT_RDWR);  /* wakes accept4; the fd goes with the process */
	listen_fd = -1;
	if (socket_path != NULL)
		unlink(socket_path);
	free(socket_path);
	socket_path = NULL;
}

/*
 * metrics.c - the metrics.listen endpoint: one thread, one poll() loop,
 * non-blocking sockets, a buffer per client (see metrics.h).
 *
 * A client that connects and never sends, sends a byte at a time, or asks
 * and never reads costs one of METRICS_CLIENTS slots and is closed when its
 * METRICS_CLIENT_SECONDS are up; when every slot is taken the oldest client
 * makes room for the newest, so a scraper is never locked out for long.
 * The kernel's send buffer of a client is kept small, so a client that
 * does not read pins little memory. The milter threads never touch any of
 * this: they count with atomics (stats.c) and the renderer reads them.
 *
 * The listener cannot move on reload (it was opened as root): the thread
 * notices a newly installed policy (stats' generation) and warns when its
 * metrics.listen differs from the one in use, as reload.c does for
 * milter.socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "metrics_listen.h"
#include "snapshot.h"
#include "stats.h"
#include "version.h"
#include "xalloc.h"

#define METRICS_CLIENTS 16
#define METRICS_CLIENT_SECONDS 10      /* Prometheus's default scrape_timeout */
#define METRICS_SNDBUF 4096

struct client {
	int fd;                       /* -1: free slot */
	uint64_t deadline;            /* monotonic ns: closed then, done or not */
	char peer[64];
	char req[METRICS_HTTP_MAX_REQUEST];
	size_t reqlen;
	char *resp;                   /* NULL while the request is read */
	size_t resplen, respoff;
};

static struct {
	bool running;
	int fd;                       /* the listener */
	int wake[2];                  /* metrics_stop writes here */
	pthread_t thread;
	char *spec;                   /* metrics.listen as opened */
	char unix_path[108];          /* removed at stop; "" for inet */
	unsigned long generation;     /* the newest policy seen */
	uint64_t accept_after;        /* monotonic ns: accept paused until then */
	struct client clients[METRICS_CLIENTS];
} m = { .fd = -1, .wake = { -1, -1 } };

static int
bind_inet(const struct metrics_listen *l)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int one = 1;

	if (l->ipv6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)l->port);
		inet_pton(AF_INET6, l->host, &s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)l->port);
		inet_pton(AF_INET, l->host, &s4->sin_addr);
		len = sizeof(*s4);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->ipv6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* A live socket is another instance's: refused. A stale one is removed. */
static int
claim_unix(const struct sockaddr_un *sun)
{
	struct stat st;

	if (lstat(sun->sun_path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("metrics.listen %s exists and is not a socket; not starting", sun->sun_path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int live = fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	if (fd >= 0)
		close(fd);
	if (live) {
		log_err("metrics.listen %s answers: another relaywarden is running there; not "
		    "starting", sun->sun_path);
		return -1;
	}
	unlink(sun->sun_path);
	return 0;
}

/* Mode 0660, owned by milter.user (and its group) when we are root: the
 * scraper joins that group. */
static int
share_unix(const char *path, const char *user)
{
	const struct passwd *pw = user != NULL ? getpwnam(user) : NULL;

	if (pw != NULL && geteuid() == 0 && chown(path, pw->pw_uid, pw->pw_gid) != 0) {
		log_err("cannot give metrics.listen %s to %s: %m", path, user);
		return -1;
	}
	if (chmod(path, 0660) != 0) {
		log_err("cannot make metrics.listen %s mode 0660: %m", path);
		return -1;
	}
	return 0;
}

static int
bind_unix(const struct metrics_listen *l, const char *user)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	strcpy(sun.sun_path, l->path);
	if (claim_unix(&sun) < 0)
		return -2;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	snprintf(m.unix_path, sizeof(m.unix_path), "%s", l->path);
	if (share_unix(l->path, user) < 0) {
		close(fd);
		return -2;
	}
	return fd;
}

/* why != NULL: closed before its exchange was done (deadline, eviction);
 * the connection is reset, so that what was not sent yet is dropped at
 * once rather than left to the kernel to deliver to a client that does
 * not read. */
static void
client_close(struct client *c, const char *why)
{
	if (why != NULL) {
		struct linger now = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
		log_info("metrics client=%s closed reason=%s", c->peer, why);
	}
	close(c->fd);
	free(c->resp);
	c->fd = -1;
	c->resp = NULL;
	c->reqlen = c->resplen = c->respoff = 0;
}

static void
peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	snprintf(buf, len, "local");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(buf, len, "%s:%d", host, port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(buf, len, "[%s]:%d", host, port);
	}
}

/* A free slot, or the oldest client's (closed to make room). */
static struct client *
free_slot(void)
{
	struct client *oldest = NULL;

	for (size_t i = 0; i < METRICS_CLIENTS; i++) {
		struct client *c = &m.clients[i];
		if (c->fd < 0)
			return c;
		if (oldest == NULL || c->deadline < oldest->deadline)
			oldest = c;
	}
	client_close(oldest, "evicted");
	return oldest;
}

static void
accept_clients(void)
{
	int fd, sndbuf = METRICS_SNDBUF;

	while ((fd = accept4(m.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct client *c = free_slot();
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
		c->fd = fd;
		c->deadline = stats_now_ns() + (uint64_t)METRICS_CLIENT_SECONDS * 1000000000u;
		peer_name(fd, c->peer, sizeof(c->peer));
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
		return;
	/* out of descriptors (EMFILE) and the like: the listener stays
	 * readable, so look away for a second rather than spin */
	log_warn("metrics.listen %s: accept failed: %m; not accepting for 1 s", m.spec);
	m.accept_after = stats_now_ns() + 1000000000u;
}

/* The body of a 200 for /metrics, or NULL (out of memory: a 500). */
static char *
render_metrics(size_t *len)
{
	char *body = NULL;
	FILE *out = open_memstream(&body, len);

	if (out == NULL)
		return NULL;
	stats_prometheus_write(out, RW_VERSION);
	if (fclose(out) != 0) {
		free(body);
		return NULL;
	}
	return body;
}

static const char index_text[] =
    "relaywarden: Prometheus metrics are at /metrics\n";

static void
respond(struct client *c, enum metrics_http_route r)
{
	const char *status = metrics_http_status(r);
	const char *type = "text/plain; charset=utf-8";
	char *body = NULL;
	size_t blen = 0;

	if (r == METRICS_HTTP_METRICS) {
		body = render_metrics(&blen);
		type = "text/plain; version=0.0.4; charset=utf-8";
		if (body == NULL)
			status = "500 Internal Server Error";
	}
	if (body == NULL) {
		body = r == METRICS_HTTP_INDEX ? xstrdup(index_text) : xasprintf("%s\n", status);
		blen = strlen(body);
	}
	char *head = xasprintf("HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
	    "Connection: close\r\n\r\n", status, type, blen,
	    r == METRICS_HTTP_NOT_ALLOWED ? "Allow: GET\r\n" : "");
	size_t hlen = strlen(head);
	c->resp = xmalloc(hlen + blen);
	memcpy(c->resp, head, hlen);
	memcpy(c->resp + hlen, body, blen);
	c->resplen = hlen + blen;
	free(head);
	free(body);
	log_debug("metrics client=%s status=\"%s\" bytes=%zu", c->peer, status, c->resplen);
}

static void
client_read(struct client *c)
{
	ssize_t n = recv(c->fd, c->req + c->reqlen, sizeof(c->req) - c->reqlen, 0);

	if (n == 0) {
		client_close(c, NULL);          /* gone before it asked: nothing to say */
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_close(c, NULL);
		return;
	}
	c->reqlen += (size_t)n;
	enum metrics_http_route r = metrics_http_route(c->req, c->reqlen);
	if (r != METRICS_HTTP_INCOMPLETE)
		respond(c, r);
}

/* Done: anything more the client sent is read first, so that close()
 * does not turn into a reset that could destroy the response in flight. */
static void
client_finish(struct client *c)
{
	char sink[512];

	shutdown(c->fd, SHUT_WR);
	while (recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	client_close(c, NULL);
}

static void
client_write(struct client *c)
{
	while (c->respoff < c->resplen) {
		ssize_t n = send(c->fd, c->resp + c->respoff, c->resplen - c->respoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				client_close(c, NULL);
			return;
		}
		c->respoff += (size_t)n;
	}
	client_finish(c);
}

/* A new policy whose metrics.listen is not the one in use: say so once. */
static void
notice_reload(void)
{
	struct stats_view v;

	stats_read(&v);
	if (v.generation == m.generation)
		return;
	m.generation = v.generation;
	const struct policy *p = snapshot_acquire();
	const char *now = p != NULL && p->metrics_listen != NULL ? p->metrics_listen : "";
	if (p != NULL && strcmp(now, m.spec) != 0)
		log_warn("metrics.listen changed to \"%s\"; it takes effect at the next restart "
		    "(still listening on %s)", now, m.spec);
	snapshot_release(p);
}

static void
expire_clients(uint64_t now)
{
	for (size_t i = 0; i < METRICS_CLIENTS; i++)
		if (m.clients[i].fd >= 0 && now >= m.clients[i].deadline)
			client_close(&m.clients[i], m.clients[i].resp ? "timeout-writing" :
			    "timeout-reading");
}

/* The poll timeout: until the nearest client deadline, at most 1 s (the
 * reload check). */
static int
poll_timeout(uint64_t now)
{
	uint64_t wait = 1000000000u;

	for (size_t i = 0; i < METRICS_CLIENTS; i++) {
		const struct client *c = &m.clients[i];
		if (c->fd < 0)
			continue;
		uint64_t left = c->deadline > now ? c->deadline - now : 0;
		if (left < wait)
			wait = left;
	}
	return (int)((wait + 999999) / 1000000);
}

/* pfd[0] the wake pipe, pfd[1] the listener, then one per client slot
 * in use; slot[i] maps pfd[i + 2] back to its client. */
static size_t
poll_set(struct pollfd *pfd, struct client **slot)
{
	size_t n = 2;

	pfd[0] = (struct pollfd){ .fd = m.wake[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = m.fd,
		.events = stats_now_ns() >= m.accept_after ? POLLIN : 0 };
	for (size_t i = 0; i < METRICS_CLIENTS; i++) {
		struct client *c = &m.clients[i];
		if (c->fd < 0)
			continue;
		slot[n - 2] = c;
		pfd[n++] = (struct pollfd){ .fd = c->fd, .events = c->resp ? POLLOUT : POLLIN };
	}
	return n;
}

static void *
serve(void *arg)
{
	struct pollfd pfd[METRICS_CLIENTS + 2];
	struct client *slot[METRICS_CLIENTS];

	(void)arg;
	for (;;) {
		size_t n = poll_set(pfd, slot);
		if (poll(pfd, n, poll_timeout(stats_now_ns())) < 0 && errno != EINTR) {
			log_err("metrics.listen %s: poll failed: %m; metrics stop", m.spec);
			break;
		}
		if (pfd[0].revents != 0)
			break;
		for (size_t i = 2; i < n; i++) {
			struct client *c = slot[i - 2];
			if (pfd[i].revents == 0 || c->fd != pfd[i].fd)
				continue;
			if (c->resp == NULL)
				client_read(c);
			if (c->fd >= 0 && c->resp != NULL)
				client_write(c);
		}
		if (pfd[1].revents & POLLIN)
			accept_clients();
		expire_clients(stats_now_ns());
		notice_reload();
	}
	return NULL;
}

static int
open_listener(const struct policy *p, const struct metrics_listen *l)
{
	int fd = l->is_unix ? bind_unix(l, p->milter_user) : bind_inet(l);

	if (fd == -1)
		log_err("cannot listen on metrics.listen %s: %m", p->metrics_listen);
	if (fd < 0)
		return -1;
	if (listen(fd, METRICS_CLIENTS) < 0) {
		log_err("cannot listen on metrics.listen %s: %m", p->metrics_listen);
		close(fd);
		return -1;
	}
	m.fd = fd;
	return 0;
}

int
metrics_start(const struct policy *p)
{
	struct metrics_listen l;
	char why[160];

	if (p->metrics_listen == NULL || p->metrics_listen[0] == '\0')
		return 0;
	/* config.c has refused a bad value already; this only fills l */
	if (metrics_listen_parse(p->metrics_listen, &l, why, sizeof(why)) < 0) {
		log_err("metrics.listen %s: %s", p->metrics_listen, why);
		return -1;
	}
	if (open_listener(p, &l) < 0)
		return -1;
	if (pipe2(m.wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_err("metrics: cannot make a pipe: %m");
		return -1;
	}
	for (size_t i = 0; i < METRICS_CLIENTS; i++)
		m.clients[i].fd = -1;
	m.spec = xstrdup(p->metrics_listen);
	struct stats_view v;
	stats_read(&v);
	m.generation = v.generation;
	if (pthread_create(&m.thread, NULL, serve, NULL) != 0) {
		log_err("metrics: cannot start the thread");
		return -1;
	}
	m.running = true;
	log_info("metrics listening on %s (GET /metrics, no authentication)", m.spec);
	return 0;
}

void
metrics_stop(void)
{
	if (m.running) {
		(void)!write(m.wake[1], "x", 1);
		pthread_join(m.thread, NULL);
		m.running = false;
	}
	for (size_t i = 0; i < METRICS_CLIENTS; i++)
		if (m.clients[i].fd >= 0)
			client_close(&m.clients[i], NULL);
	if (m.fd >= 0)
		close(m.fd);
	if (m.unix_path[0] != '\0')
		unlink(m.unix_path);
	for (int i = 0; i < 2; i++)
		if (m.wake[i] >= 0)
			close(m.wake[i]);
	free(m.spec);
	m.fd = m.wake[0] = m.wake[1] = -1;
	m.unix_path[0] = '\0';
	m.spec = NULL;
}

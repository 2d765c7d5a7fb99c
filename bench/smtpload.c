/*
 * smtpload.c - an SMTP load driver that authenticates, for the end-to-end
 * benchmark (smtp-source cannot send AUTH).
 *
 * Each thread holds one SMTP session at a time: banner, EHLO, AUTH PLAIN,
 * then PER_SESSION messages (MAIL, RCPT, DATA with a From: header equal to
 * the envelope sender), then QUIT. No pipelining: every command waits for
 * its reply, as a plain MUA does. Counts messages answered 250 after DATA,
 * refused (4xx/5xx at any step) and broken sessions.
 *
 *   smtpload -s PORT [-c SESSIONS] [-n MESSAGES] [-k PER_SESSION]
 *            -a LOGIN:PASSWORD -f FROM -t TO
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct options {
	int port, threads, per_session;
	long total;
	const char *login, *password, *from, *to;
};

static struct options opt = { 0, 8, 10, 1000, NULL, NULL, NULL, NULL };
static atomic_long next_msg, delivered, refused, broken;
static char auth_line[1024];
static atomic_int first_refusal_said;

/* A buffered reader over one socket. */
struct sess {
	int fd;
	char buf[4096];
	size_t have, used;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
base64(const unsigned char *in, size_t n, char *out)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
}

static int
send_text(struct sess *s, const char *text)
{
	size_t len = strlen(text);

	while (len > 0) {
		ssize_t n = write(s->fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_line(struct sess *s, char *line, size_t cap)
{
	size_t o = 0;

	for (;;) {
		if (s->used == s->have) {
			ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return -1;
			s->have = (size_t)n;
			s->used = 0;
		}
		char c = s->buf[s->used++];
		if (c == '\n') {
			line[o > 0 && line[o - 1] == '\r' ? o - 1 : o] = '\0';
			return 0;
		}
		if (o + 1 < cap)
			line[o++] = c;
	}
}

/* Reads a (multi-line) reply; returns its code, or -1 on a broken session. */
static int
reply(struct sess *s, char *last, size_t cap)
{
	for (;;) {
		if (read_line(s, last, cap) < 0 || strlen(last) < 3)
			return -1;
		if (last[3] != '-')
			return atoi(last);
	}
}

/* Sends a command and expects a reply code; says the first refusal once. */
static int
command(struct sess *s, const char *text, int want)
{
	char last[1024];
	int code;

	if (text != NULL && send_text(s, text) < 0)
		return -1;
	if ((code = reply(s, last, sizeof(last))) < 0)
		return -1;
	if (code != want && atomic_exchange(&first_refusal_said, 1) == 0)
		fprintf(stderr, "smtpload: %.*s answered: %s\n", text ? (int)strcspn(text, "\r") : 6,
		    text ? text : "banner", last);
	return code == want ? 0 : 1;
}

static int
dial(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (fd < 0)
		return -1;
	struct timeval tmo = { 30, 0 };         /* a hung server ends the session, not the run */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		return fd;
	close(fd);
	return -1;
}

/* 0 = delivered, 1 = refused (session still usable after RSET), -1 = broken. */
static int
message(struct sess *s, long seq)
{
	char text[1024];
	int r;

	snprintf(text, sizeof(text), "MAIL FROM:<%s>\r\n", opt.from);
	if ((r = command(s, text, 250)) != 0)
		return r;
	snprintf(text, sizeof(text), "RCPT TO:<%s>\r\n", opt.to);
	if ((r = command(s, text, 250)) != 0)
		return r;
	if ((r = command(s, "DATA\r\n", 354)) != 0)
		return r;
	snprintf(text, sizeof(text), "From: <%s>\r\nTo: <%s>\r\nSubject: bench %ld\r\n"
	    "Message-ID: <bench.%ld@acme.test>\r\n\r\nHello.\r\n.\r\n", opt.from, opt.to, seq,
	    seq);
	return command(s, text, 250);
}

static int
open_session(struct sess *s)
{
	char last[1024];

	s->have = s->used = 0;
	if ((s->fd = dial()) < 0)
		return -1;
	if (command(s, NULL, 220) != 0 || send_text(s, "EHLO load.example.net\r\n") < 0 ||
	    reply(s, last, sizeof(last)) != 250 || command(s, auth_line, 235) != 0) {
		close(s->fd);
		return -1;
	}
	return 0;
}

static void *
worker(void *arg)
{
	struct sess s = { .fd = -1 };
	int left = 0;

	(void)arg;
	for (long seq; (seq = atomic_fetch_add(&next_msg, 1)) < opt.total;) {
		if (left == 0) {
			if (open_session(&s) < 0) {
				atomic_fetch_add(&broken, 1);
				continue;
			}
			left = opt.per_session;
		}
		int r = message(&s, seq);
		atomic_fetch_add(r == 0 ? &delivered : r > 0 ? &refused : &broken, 1);
		if (r > 0 && command(&s, "RSET\r\n", 250) != 0)
			r = -1;
		if (--left == 0 || r < 0) {
			if (r >= 0)
				command(&s, "QUIT\r\n", 221);
			close(s.fd);
			left = 0;
		}
	}
	if (left > 0) {
		command(&s, "QUIT\r\n", 221);
		close(s.fd);
	}
	return NULL;
}

static int
parse(int argc, char **argv)
{
	char *colon;
	int ch;

	while ((ch = getopt(argc, argv, "s:c:n:k:a:f:t:")) != -1) {
		switch (ch) {
		case 's': opt.port = atoi(optarg); break;
		case 'c': opt.threads = atoi(optarg); break;
		case 'n': opt.total = atol(optarg); break;
		case 'k': opt.per_session = atoi(optarg); break;
		case 'a':
			if ((colon = strchr(optarg, ':')) == NULL)
				return -1;
			*colon = '\0';
			opt.login = optarg;
			opt.password = colon + 1;
			break;
		case 'f': opt.from = optarg; break;
		case 't': opt.to = optarg; break;
		default: return -1;
		}
	}
	return opt.port > 0 && opt.threads > 0 && opt.total > 0 && opt.per_session > 0 &&
	    opt.login && opt.from && opt.to ? 0 : -1;
}

int
main(int argc, char **argv)
{
	unsigned char plain[512];
	char b64[700];

	if (parse(argc, argv) < 0 || strlen(opt.login) + strlen(opt.password) + 2 > sizeof(plain)) {
		fprintf(stderr, "usage: smtpload -s PORT [-c SESSIONS] [-n MESSAGES] "
		    "[-k PER_SESSION] -a LOGIN:PASSWORD -f FROM -t TO\n");
		return 64;
	}
	/* AUTH PLAIN: authzid \0 authcid \0 password */
	size_t ll = strlen(opt.login), pl = strlen(opt.password);
	plain[0] = '\0';
	memcpy(plain + 1, opt.login, ll);
	plain[1 + ll] = '\0';
	memcpy(plain + 2 + ll, opt.password, pl);
	base64(plain, 2 + ll + pl, b64);
	snprintf(auth_line, sizeof(auth_line), "AUTH PLAIN %s\r\n", b64);

	pthread_t *t = calloc((size_t)opt.threads, sizeof(*t));
	if (t == NULL)
		return 1;
	double t0 = now_s();
	for (int i = 0; i < opt.threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < opt.threads; i++)
		pthread_join(t[i], NULL);
	double secs = now_s() - t0;
	printf("messages=%ld secs=%.3f mps=%.0f delivered=%ld refused=%ld broken=%ld\n",
	    opt.total, secs, (double)atomic_load(&delivered) / secs, atomic_load(&delivered),
	    atomic_load(&refused), atomic_load(&broken));
	free(t);
	return atomic_load(&broken) > 0 || atomic_load(&refused) > 0 ? 1 : 0;
}

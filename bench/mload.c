/*
 * mload.c - a milter-protocol (v6) load driver for the benchmarks.
 *
 * Speaks the protocol itself (no libmilter), as an MTA would: negotiate,
 * macros, connect, MAIL with {auth_authen} and i, RCPT, a From: header,
 * end of headers, body, end of message; several transactions per
 * connection. Each thread owns one connection at a time. Records the
 * latency of every transaction and of every MAIL step, and counts the
 * replies, so a run can be checked as well as timed.
 *
 * It offers every step and "no reply" flag Postfix 3.7 offers (0x1fffff),
 * sends DATA unless the milter chose SMFIP_NODATA, waits for a reply only
 * where the milter did not choose "no reply", and counts the replies it
 * waited for from MAIL to end of message: rt_per_tx, the milter round
 * trips per message (deterministic; -H N sends N headers, From: first).
 *
 *   mload -s unix:/path | inet:PORT@127.0.0.1  -c THREADS -n TRANSACTIONS
 *         [-k PER_CONNECTION] [-m hit|miss|p95|relay|header|inbound] [-p PEOPLE]
 *         [-H HEADERS]
 *
 * Mixes: hit/miss/p95 authenticated, the login's own address, logins drawn
 * from 10 (hit), all PEOPLE (miss) or 95 % from 10; relay unauthenticated
 * to an external recipient (refused by a closed relay); header a spoofed
 * From:; inbound unauthenticated to a local recipient (accepted).
 * A milter's "accept" ends the message there: nothing more of it is sent,
 * only the abort Postfix sends before the next.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Protocol flags: steps the milter may skip, and steps it may ask to get
 * without a reply (SMFIP_NR_*). We offer what Postfix 3.7 offers. */
#define P_NOCONNECT 0x1
#define P_NOHELO 0x2
#define P_NOMAIL 0x4
#define P_NORCPT 0x8
#define P_NOBODY 0x10
#define P_NOHDRS 0x20
#define P_NOEOH 0x40
#define P_NR_HDR 0x80
#define P_NODATA 0x200
#define P_NR_CONN 0x1000
#define P_NR_MAIL 0x4000
#define P_NR_RCPT 0x8000
#define P_NR_DATA 0x10000
#define P_NR_EOH 0x40000
#define P_NR_BODY 0x80000
#define P_OFFER 0x1fffff

enum mix { MIX_HIT, MIX_MISS, MIX_P95, MIX_RELAY, MIX_HEADER, MIX_INBOUND };

struct options {
	const char *socket;
	int threads, per_conn, people, headers;
	long total;
	enum mix mix;
};

struct stats {
	double *tx_us, *mail_us;           /* one slot per transaction */
	atomic_long next;                  /* next transaction number */
	atomic_long cont, reject, tempfail, other, errors;
	atomic_long replies;               /* waited for, MAIL to end of message */
	atomic_ulong steps;                /* the protocol flags the milter chose */
};

static struct options opt = { NULL, 1, 10, 10000, 1, 10000, MIX_HIT };
static struct stats st;

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
dial(void)
{
	int fd;

	if (strncmp(opt.socket, "unix:", 5) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", opt.socket + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
	} else {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		const char *at = strchr(opt.socket, '@');
		sin.sin_port = htons((uint16_t)atoi(opt.socket + 5));
		inet_pton(AF_INET, at ? at + 1 : "127.0.0.1", &sin.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return fd;
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
send_cmd(int fd, char cmd, const char *data, size_t len)
{
	char hdr[5];
	uint32_t n = htonl((uint32_t)len + 1);

	memcpy(hdr, &n, 4);
	hdr[4] = cmd;
	return write_all(fd, hdr, 5) < 0 || (len > 0 && write_all(fd, data, len) < 0) ? -1 : 0;
}

/* Reads one reply; skips progress and (at EOM) modification packets.
 * Returns the command byte, or 0 on a broken connection. */
static char
get_reply(int fd, char *data, size_t cap)
{
	for (;;) {
		uint32_t n;
		char cmd;
		if (read_all(fd, (char *)&n, 4) < 0 || read_all(fd, &cmd, 1) < 0)
			return 0;
		size_t len = ntohl(n) - 1;
		char *buf = len < cap ? data : malloc(len + 1);
		if (buf == NULL || (len > 0 && read_all(fd, buf, len) < 0))
			return 0;
		buf[len] = '\0';
		if (buf != data)
			free(buf);
		if (cmd == 'p' || cmd == 'h' || cmd == 'm' || cmd == 'i' || cmd == '+' ||
		    cmd == '-' || cmd == 'e' || cmd == 'b')
			continue;
		return cmd;
	}
}

/* A NUL-separated argument block: "a\0b\0". */
static size_t
block(char *out, size_t cap, const char *const *parts, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o < cap; i++) {
		size_t l = strlen(parts[i]) + 1;
		if (o + l > cap)
			break;
		memcpy(out + o, parts[i], l);
		o += l;
	}
	return o;
}

struct conn {
	int fd;
	uint32_t skip;                     /* P_NO* flags the milter chose */
};

static int
negotiate(struct conn *c)
{
	uint32_t v[3] = { htonl(6), htonl(0x1ff), htonl(P_OFFER) };
	char reply[4096];

	if (send_cmd(c->fd, 'O', (const char *)v, sizeof(v)) < 0 ||
	    get_reply(c->fd, reply, sizeof(reply)) != 'O')
		return -1;
	memcpy(&c->skip, reply + 8, 4);
	c->skip = ntohl(c->skip);
	atomic_store(&st.steps, c->skip);
	return 0;
}

/* Sends a step unless negotiated away (flag); waits for its reply unless
 * the milter asked for none (nr). Returns the reply (or 'c'). */
static char
step_nr(struct conn *c, uint32_t flag, uint32_t nr, char cmd, const char *data, size_t len)
{
	char reply[4096];

	if (c->skip & flag)
		return 'c';
	if (send_cmd(c->fd, cmd, data, len) < 0)
		return 0;
	if (c->skip & nr)
		return 'c';
	if (cmd != 'C')
		atomic_fetch_add(&st.replies, 1);
	return get_reply(c->fd, reply, sizeof(reply));
}

static char
step(struct conn *c, uint32_t flag, char cmd, const char *data, size_t len)
{
	return step_nr(c, flag, 0, cmd, data, len);
}

static int
open_conn(struct conn *c, long seq)
{
	char buf[512], ip[32];
	size_t n;

	if ((c->fd = dial()) < 0 || negotiate(c) < 0)
		return -1;
	/* 'D': the command letter (no NUL), then name\0value\0 pairs */
	const char *macros[] = { "{daemon_name}", "smtp", "j", "mx.acme.test" };
	buf[0] = 'C';
	n = 1 + block(buf + 1, sizeof(buf) - 1, macros, 4);
	if (send_cmd(c->fd, 'D', buf, n) < 0)
		return -1;
	snprintf(ip, sizeof(ip), "198.51.%ld.%ld", (seq / 250) % 250, seq % 250 + 1);
	n = (size_t)snprintf(buf, sizeof(buf), "client.example.net%c4%c%c%s", 0, 0x30, 0x39, ip)
	    + 1;
	return step_nr(c, P_NOCONNECT, P_NR_CONN, 'C', buf, n) == 'c' ? 0 : -1;
}

static void
count(char r)
{
	switch (r) {
	case 'c': case 'a': atomic_fetch_add(&st.cont, 1); break;
	case 'r': case 'y': atomic_fetch_add(&st.reject, 1); break;
	case 't': atomic_fetch_add(&st.tempfail, 1); break;
	case 0: atomic_fetch_add(&st.errors, 1); break;
	default: atomic_fetch_add(&st.other, 1); break;
	}
}

static unsigned
login_number(long seq, unsigned *rnd)
{
	switch (opt.mix) {
	case MIX_MISS: return (unsigned)(seq % opt.people) + 1;
	case MIX_P95: return rand_r(rnd) % 100 < 95 ? (unsigned)(seq % 10) + 1 :
		(unsigned)(rand_r(rnd) % opt.people) + 1;
	case MIX_HIT: case MIX_RELAY: case MIX_HEADER: case MIX_INBOUND: break;
	}
	return (unsigned)(seq % 10) + 1;
}

/* One transaction; the worst reply of its steps is counted. */
static int
transaction(struct conn *c, long seq, unsigned *rnd)
{
	char buf[1024], from[64], login[16];
	unsigned u = login_number(seq, rnd);
	bool auth = opt.mix != MIX_RELAY && opt.mix != MIX_INBOUND;
	size_t n;

	snprintf(login, sizeof(login), "u%05u", u);
	snprintf(from, sizeof(from), "<u%05u@acme.com>", u);
	const char *mm[] = { "i", "BENCHQID", "{auth_authen}", login };
	buf[0] = 'M';
	n = 1 + block(buf + 1, sizeof(buf) - 1, mm, auth ? 4 : 2);
	double t0 = now_us();
	if (send_cmd(c->fd, 'D', buf, n) < 0)
		return -1;
	const char *margs[] = { from };
	n = block(buf, sizeof(buf), margs, 1);
	char r = step_nr(c, P_NOMAIL, P_NR_MAIL, 'M', buf, n);
	st.mail_us[seq] = now_us() - t0;
	if (r == 'c') {
		const char *rargs[] = { auth ? "<partner@example.org>" :
		    opt.mix == MIX_INBOUND ? "<u00001@acme.com>" : "<john.doe@ibm.com>" };
		n = block(buf, sizeof(buf), rargs, 1);
		r = step_nr(c, P_NORCPT, P_NR_RCPT, 'R', buf, n);
	}
	if (r == 'c')
		r = step_nr(c, P_NODATA, P_NR_DATA, 'T', NULL, 0);
	for (int h = 0; h < opt.headers && r == 'c'; h++) {
		char name[32], value[64];
		snprintf(name, sizeof(name), "X-Bench-%d", h);
		snprintf(value, sizeof(value), "header %d of %d", h + 1, opt.headers);
		const char *hdr[] = { h ? name : "From",
		    h ? value : opt.mix == MIX_HEADER ? "Someone <x@acme.com>" : from };
		n = block(buf, sizeof(buf), hdr, 2);
		r = step_nr(c, P_NOHDRS, P_NR_HDR, 'L', buf, n);
	}
	if (r == 'c')
		r = step_nr(c, P_NOEOH, P_NR_EOH, 'N', NULL, 0);
	if (r == 'c')
		r = step_nr(c, P_NOBODY, P_NR_BODY, 'B', "Hello.\r\n", 8);
	if (r == 'c')
		r = step(c, 0, 'E', NULL, 0);
	else if (r != 0 && send_cmd(c->fd, 'A', NULL, 0) < 0)
		r = 0;
	st.tx_us[seq] = now_us() - t0;
	count(r);
	return r == 0 ? -1 : 0;
}

static void *
worker(void *arg)
{
	unsigned rnd = (unsigned)(uintptr_t)arg * 7919u + 1;
	struct conn c = { -1, 0 };
	int left = 0;

	for (long seq; (seq = atomic_fetch_add(&st.next, 1)) < opt.total;) {
		if (left == 0 && (open_conn(&c, seq) < 0)) {
			atomic_fetch_add(&st.errors, 1);
			if (c.fd >= 0)
				close(c.fd);
			c.fd = -1;
			continue;
		}
		left = left == 0 ? opt.per_conn : left;
		if (transaction(&c, seq, &rnd) < 0)
			left = 1;
		if (--left == 0) {
			send_cmd(c.fd, 'Q', NULL, 0);
			close(c.fd);
			c.fd = -1;
		}
	}
	if (c.fd >= 0) {
		send_cmd(c.fd, 'Q', NULL, 0);
		close(c.fd);
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double
pct(double *v, long n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n > 0 ? v[(long)(p * (double)(n - 1))] : 0;
}

static int
parse(int argc, char **argv)
{
	static const char *const mixes[] = { "hit", "miss", "p95", "relay", "header", "inbound" };
	int ch;

	while ((ch = getopt(argc, argv, "s:c:n:k:m:p:H:")) != -1) {
		switch (ch) {
		case 's': opt.socket = optarg; break;
		case 'c': opt.threads = atoi(optarg); break;
		case 'n': opt.total = atol(optarg); break;
		case 'k': opt.per_conn = atoi(optarg); break;
		case 'p': opt.people = atoi(optarg); break;
		case 'H': opt.headers = atoi(optarg); break;
		case 'm':
			for (size_t i = 0; i < sizeof(mixes) / sizeof(*mixes); i++)
				if (strcmp(optarg, mixes[i]) == 0)
					opt.mix = (enum mix)i;
			break;
		default: return -1;
		}
	}
	return opt.socket && opt.threads > 0 && opt.total > 0 && opt.per_conn > 0 &&
	    opt.people > 0 && opt.headers >= 1 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	if (parse(argc, argv) < 0) {
		fprintf(stderr, "usage: mload -s SOCKET [-c THREADS] [-n TRANSACTIONS] "
		    "[-k PER_CONNECTION] [-m hit|miss|p95|relay|header] [-p PEOPLE] [-H HEADERS]\n");
		return 64;
	}
	st.tx_us = calloc((size_t)opt.total, sizeof(double));
	st.mail_us = calloc((size_t)opt.total, sizeof(double));
	pthread_t *t = calloc((size_t)opt.threads, sizeof(*t));
	if (st.tx_us == NULL || st.mail_us == NULL || t == NULL)
		return 1;
	double t0 = now_us();
	for (int i = 0; i < opt.threads; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
	for (int i = 0; i < opt.threads; i++)
		pthread_join(t[i], NULL);
	double secs = (now_us() - t0) / 1e6;
	printf("tx=%ld secs=%.3f tps=%.0f tx_p50_us=%.0f tx_p99_us=%.0f mail_p50_us=%.0f "
	    "mail_p99_us=%.0f continue=%ld reject=%ld tempfail=%ld other=%ld errors=%ld "
	    "rt_per_tx=%.2f steps=0x%lx\n",
	    opt.total, secs, (double)opt.total / secs, pct(st.tx_us, opt.total, 0.5),
	    pct(st.tx_us, opt.total, 0.99), pct(st.mail_us, opt.total, 0.5),
	    pct(st.mail_us, opt.total, 0.99), atomic_load(&st.cont), atomic_load(&st.reject),
	    atomic_load(&st.tempfail), atomic_load(&st.other), atomic_load(&st.errors),
	    (double)atomic_load(&st.replies) / (double)opt.total, atomic_load(&st.steps));
	free(t);
	return atomic_load(&st.errors) > 0 ? 1 : 0;
}

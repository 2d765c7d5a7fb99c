/*
 * test_metrics.c - the pure halves of the metrics endpoint: metrics_http.c
 * (what a request head is answered with) and metrics_listen.c (what
 * metrics.listen may say). Table-driven; the sockets are tested for real
 * in tests/milter/t-metrics.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "metrics_http.h"
#include "metrics_listen.h"

struct hrow {
	const char *label, *req;
	enum metrics_http_route want;
};

static const struct hrow hrows[] = {
	{ "Prometheus's scrape", "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n"
	    "User-Agent: Prometheus/2.42.0\r\n\r\n", METRICS_HTTP_METRICS },
	{ "HTTP/1.0, bare LF", "GET /metrics HTTP/1.0\n\n", METRICS_HTTP_METRICS },
	{ "a query string is ignored", "GET /metrics?x=1 HTTP/1.1\r\n\r\n", METRICS_HTTP_METRICS },
	{ "the index", "GET / HTTP/1.1\r\n\r\n", METRICS_HTTP_INDEX },
	{ "another path", "GET /metricsx HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_FOUND },
	{ "a prefix of the path", "GET /metric HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_FOUND },
	{ "POST", "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", METRICS_HTTP_NOT_ALLOWED },
	{ "HEAD", "HEAD /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_NOT_ALLOWED },
	{ "HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", METRICS_HTTP_BAD },
	{ "HTTP/0.9", "GET /metrics\r\n\r\n", METRICS_HTTP_BAD },
	{ "lower-case method", "get /metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD },
	{ "no target", "GET  HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD },
	{ "absolute URI", "GET http://x/metrics HTTP/1.1\r\n\r\n", METRICS_HTTP_BAD },
	{ "junk", "junk\r\n\r\n", METRICS_HTTP_BAD },
	{ "TLS hello", "\x16\x03\x01\x02\x00\x01", METRICS_HTTP_BAD },
	{ "a blank line only", "\r\n\r\n", METRICS_HTTP_BAD },
	{ "not finished", "GET /metrics HTTP/1.1\r\nHost: x\r\n", METRICS_HTTP_INCOMPLETE },
	{ "nothing yet", "", METRICS_HTTP_INCOMPLETE },
};

static void
test_http_routes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hrows) / sizeof(hrows[0]); i++) {
		enum metrics_http_route r = metrics_http_route(hrows[i].req, strlen(hrows[i].req));
		if (r != hrows[i].want)
			fail_msg("%s: route %d, want %d", hrows[i].label, (int)r, (int)hrows[i].want);
	}
}

/* A head that fills the buffer without ending is refused, not waited on. */
static void
test_http_too_large(void **state)
{
	static char buf[METRICS_HTTP_MAX_REQUEST];

	(void)state;
	memcpy(buf, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(buf + 26, 'a', sizeof(buf) - 26);
	assert_int_equal(metrics_http_route(buf, sizeof(buf) - 1), METRICS_HTTP_INCOMPLETE);
	assert_int_equal(metrics_http_route(buf, sizeof(buf)), METRICS_HTTP_BAD);
}

static void
test_http_status(void **state)
{
	(void)state;
	assert_null(metrics_http_status(METRICS_HTTP_INCOMPLETE));
	assert_string_equal(metrics_http_status(METRICS_HTTP_METRICS), "200 OK");
	assert_string_equal(metrics_http_status(METRICS_HTTP_INDEX), "200 OK");
	assert_string_equal(metrics_http_status(METRICS_HTTP_NOT_FOUND), "404 Not Found");
	assert_string_equal(metrics_http_status(METRICS_HTTP_NOT_ALLOWED), "405 Method Not Allowed");
	assert_string_equal(metrics_http_status(METRICS_HTTP_BAD), "400 Bad Request");
}

struct lrow {
	const char *spec;
	int rc;
	bool is_unix, ipv6;
	const char *where;             /* host or path */
	int port;
	const char *why;
};

static const struct lrow lrows[] = {
	{ "127.0.0.1:9749", 0, false, false, "127.0.0.1", 9749, NULL },
	{ "0.0.0.0:1", 0, false, false, "0.0.0.0", 1, NULL },
	{ "[::1]:9749", 0, false, true, "::1", 9749, NULL },
	{ "[::]:65535", 0, false, true, "::", 65535, NULL },
	{ "unix:/run/relaywarden/metrics.sock", 0, true, false, "/run/relaywarden/metrics.sock", 0,
	    NULL },
	{ "unix:run/metrics.sock", -1, 0, 0, NULL, 0, "a unix socket needs an absolute path" },
	{ "127.0.0.1", -1, 0, 0, NULL, 0, "no port" },
	{ "127.0.0.1:", -1, 0, 0, NULL, 0, "the port is not a number from 1 to 65535" },
	{ "127.0.0.1:0", -1, 0, 0, NULL, 0, "the port is not a number from 1 to 65535" },
	{ "127.0.0.1:65536", -1, 0, 0, NULL, 0, "the port is not a number from 1 to 65535" },
	{ "127.0.0.1:+80", -1, 0, 0, NULL, 0, "the port is not a number from 1 to 65535" },
	{ "127.0.0.1:80x", -1, 0, 0, NULL, 0, "the port is not a number from 1 to 65535" },
	{ ":9749", -1, 0, 0, NULL, 0, "no IP address before the port" },
	{ "localhost:9749", -1, 0, 0, NULL, 0, "not an IPv4 address (host names are not accepted)" },
	{ "::1:9749", -1, 0, 0, NULL, 0, "not an IPv4 address (host names are not accepted)" },
	{ "[::1]9749", -1, 0, 0, NULL, 0, "no \"]:\" after an IPv6 address" },
	{ "[127.0.0.1]:9749", -1, 0, 0, NULL, 0, "not an IPv6 address inside [ ]" },
	{ "inet:9749@127.0.0.1", -1, 0, 0, NULL, 0, "not an IPv4 address (host names are not accepted)" },
};

static void
test_listen_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lrows) / sizeof(lrows[0]); i++) {
		const struct lrow *r = &lrows[i];
		struct metrics_listen l;
		char why[160] = "";
		int rc = metrics_listen_parse(r->spec, &l, why, sizeof(why));
		if (rc != r->rc)
			fail_msg("%s: rc %d (%s), want %d", r->spec, rc, why, r->rc);
		if (rc < 0) {
			if (strcmp(why, r->why) != 0)
				fail_msg("%s: why \"%s\", want \"%s\"", r->spec, why, r->why);
			continue;
		}
		assert_int_equal(l.is_unix, r->is_unix);
		assert_int_equal(l.ipv6, r->ipv6);
		assert_string_equal(l.is_unix ? l.path : l.host, r->where);
		assert_int_equal(l.port, r->port);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_routes),
		cmocka_unit_test(test_http_too_large),
		cmocka_unit_test(test_http_status),
		cmocka_unit_test(test_listen_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * metrics_http.c - judge an HTTP request head for the metrics endpoint
 * (see metrics_http.h). Only the request line matters: header fields are
 * read past, never interpreted (no keep-alive, no body, no
 * authentication - metrics.listen is documented as unauthenticated).
 */
#include <string.h>

#include "metrics_http.h"

/* The end of the head: a blank line, CRLF or bare LF (HTTP/1.1 §2.2
 * tolerance; curl and Prometheus send CRLF). */
static const char *
head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return buf + i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

static size_t
token_len(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && p[n] >= 'A' && p[n] <= 'Z')
		n++;
	return n;
}

/* The path of the request target, without a query string. */
static enum metrics_http_route
route_path(const char *target, size_t n)
{
	const char *q = memchr(target, '?', n);

	if (q != NULL)
		n = (size_t)(q - target);
	if (n == 8 && memcmp(target, "/metrics", 8) == 0)
		return METRICS_HTTP_METRICS;
	if (n == 1)
		return METRICS_HTTP_INDEX;
	return METRICS_HTTP_NOT_FOUND;
}

/* "METHOD SP /target SP HTTP/1.x" then CRLF or LF. */
static enum metrics_http_route
route_line(const char *p, const char *eol)
{
	size_t m = token_len(p, eol);

	if (m == 0 || p + m >= eol || p[m] != ' ')
		return METRICS_HTTP_BAD;
	const char *target = p + m + 1;
	const char *sp = memchr(target, ' ', (size_t)(eol - target));
	if (sp == NULL || target[0] != '/' || sp == target)
		return METRICS_HTTP_BAD;
	const char *version = sp + 1;
	size_t vlen = (size_t)(eol - version);
	if (vlen > 0 && version[vlen - 1] == '\r')
		vlen--;
	if (vlen != 8 || (memcmp(version, "HTTP/1.0", 8) != 0 && memcmp(version, "HTTP/1.1", 8) != 0))
		return METRICS_HTTP_BAD;
	for (const char *c = target; c < sp; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f)
			return METRICS_HTTP_BAD;
	if (m != 3 || memcmp(p, "GET", 3) != 0)
		return METRICS_HTTP_NOT_ALLOWED;
	return route_path(target, (size_t)(sp - target));
}

enum metrics_http_route
metrics_http_route(const char *buf, size_t len)
{
	const char *end = head_end(buf, len);

	if (end == NULL) {
		/* a line that cannot be HTTP is refused at once, not after the
		 * client has filled the buffer */
		if (len > 0 && (buf[0] < 'A' || buf[0] > 'Z'))
			return METRICS_HTTP_BAD;
		return len >= METRICS_HTTP_MAX_REQUEST ? METRICS_HTTP_BAD : METRICS_HTTP_INCOMPLETE;
	}
	if ((size_t)(end - buf) > METRICS_HTTP_MAX_REQUEST)
		return METRICS_HTTP_BAD;
	return route_line(buf, memchr(buf, '\n', (size_t)(end - buf)));
}

const char *
metrics_http_status(enum metrics_http_route r)
{
	switch (r) {
	case METRICS_HTTP_INCOMPLETE: return NULL;
	case METRICS_HTTP_METRICS: case METRICS_HTTP_INDEX: return "200 OK";
	case METRICS_HTTP_NOT_FOUND: return "404 Not Found";
	case METRICS_HTTP_NOT_ALLOWED: return "405 Method Not Allowed";
	case METRICS_HTTP_BAD: return "400 Bad Request";
	}
	return NULL;
}

/*
 * metrics_http.h - the little HTTP the metrics endpoint speaks: is a
 * request's head complete, and what to answer it. Pure (no I/O); the
 * sockets are metrics.c's. HTTP/1.0 and 1.1, one request per connection.
 */
#ifndef RW_METRICS_HTTP_H
#define RW_METRICS_HTTP_H

#include <stddef.h>

/* A request head larger than this is refused (400). */
#define METRICS_HTTP_MAX_REQUEST 4096

enum metrics_http_route {
	METRICS_HTTP_INCOMPLETE,     /* no blank line yet: read more */
	METRICS_HTTP_METRICS,        /* GET /metrics: 200 with the exposition */
	METRICS_HTTP_INDEX,          /* GET /: 200 with a pointer to /metrics */
	METRICS_HTTP_NOT_FOUND,      /* GET of anything else: 404 */
	METRICS_HTTP_NOT_ALLOWED,    /* another method: 405 */
	METRICS_HTTP_BAD,            /* not HTTP/1.x, or too large: 400 */
};

/* What to answer the len bytes read so far (buf need not end in NUL). */
enum metrics_http_route metrics_http_route(const char *buf, size_t len);

/* The status line's code and phrase of a route ("200 OK"); NULL for
 * METRICS_HTTP_INCOMPLETE. */
const char *metrics_http_status(enum metrics_http_route r);

#endif

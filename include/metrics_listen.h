/*
 * metrics_listen.h - what metrics.listen may say: "HOST:PORT" with HOST an
 * IPv4 address, "[IPv6]:PORT", or "unix:/absolute/path". Pure (no I/O, no
 * name resolution: a host name would make start-up depend on DNS); used by
 * config.c to refuse a bad value at load and by metrics.c to bind.
 */
#ifndef RW_METRICS_LISTEN_H
#define RW_METRICS_LISTEN_H

#include <stdbool.h>
#include <stddef.h>

struct metrics_listen {
	bool is_unix;
	char path[108];              /* unix: the socket's path (sun_path's size) */
	char host[46];               /* inet: the address without brackets */
	bool ipv6;
	int port;                    /* 1..65535 */
};

/* 0 and *out filled, or -1 with why (what was expected) in whybuf. */
int metrics_listen_parse(const char *spec, struct metrics_listen *out, char *whybuf,
    size_t whylen);

#endif

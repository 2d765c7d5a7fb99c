/*
 * metrics_listen.c - parse metrics.listen (see metrics_listen.h). Pure:
 * inet_pton only checks the text, it never resolves a name.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_listen.h"

static int
fail(char *whybuf, size_t whylen, const char *why)
{
	snprintf(whybuf, whylen, "%s", why);
	return -1;
}

static int
parse_unix(const char *path, struct metrics_listen *out, char *whybuf, size_t whylen)
{
	if (path[0] != '/')
		return fail(whybuf, whylen, "a unix socket needs an absolute path");
	if (strlen(path) >= sizeof(out->path))
		return fail(whybuf, whylen, "the unix socket path is longer than 107 bytes");
	out->is_unix = true;
	strcpy(out->path, path);
	return 0;
}

static int
parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* "1.2.3.4:PORT" or "[::1]:PORT": the host part ends at the last colon
 * (IPv4) or at the closing bracket (IPv6). */
static int
parse_inet(const char *spec, struct metrics_listen *out, char *whybuf, size_t whylen)
{
	const char *host = spec, *colon;
	size_t hlen;
	unsigned char buf[16];

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL || close[1] != ':')
			return fail(whybuf, whylen, "no \"]:\" after an IPv6 address");
		host = spec + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
		out->ipv6 = true;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			return fail(whybuf, whylen, "no port");
		hlen = (size_t)(colon - spec);
	}
	if (hlen == 0 || hlen >= sizeof(out->host))
		return fail(whybuf, whylen, "no IP address before the port");
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	if (inet_pton(out->ipv6 ? AF_INET6 : AF_INET, out->host, buf) != 1)
		return fail(whybuf, whylen, out->ipv6 ? "not an IPv6 address inside [ ]" :
		    "not an IPv4 address (host names are not accepted)");
	if (parse_port(colon + 1, &out->port) < 0)
		return fail(whybuf, whylen, "the port is not a number from 1 to 65535");
	return 0;
}

int
metrics_listen_parse(const char *spec, struct metrics_listen *out, char *whybuf, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(spec, "unix:", 5) == 0)
		return parse_unix(spec + 5, out, whybuf, whylen);
	return parse_inet(spec, out, whybuf, whylen);
}

/*
 * ip.c - IP address literals: parsing, formatting, "ip:port" (see ip.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ip.h"

bool
ip_parse(const char *text, struct ip_addr *out)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, out->bytes) != 1)
		return false;
	out->family = AF_INET6;
	if (memcmp(out->bytes, mapped, sizeof(mapped)) == 0) {
		memmove(out->bytes, out->bytes + 12, 4);
		memset(out->bytes + 4, 0, 12);
		out->family = AF_INET;
	}
	return true;
}

void
ip_format(const struct ip_addr *ip, char *buf, size_t len)
{
	if (inet_ntop(ip->family, ip->bytes, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

bool
ip_port_parse(const char *v, long default_port, char *out, size_t len)
{
	char host[64];
	const char *port = NULL;
	struct ip_addr ip;

	if (v[0] == '[') {
		const char *end = strchr(v, ']');
		if (end == NULL || (size_t)(end - v - 1) >= sizeof(host))
			return false;
		snprintf(host, sizeof(host), "%.*s", (int)(end - v - 1), v + 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return false;
	} else {
		const char *colon = strchr(v, ':');
		bool v4 = colon != NULL && strchr(colon + 1, ':') == NULL;
		size_t hl = v4 ? (size_t)(colon - v) : strlen(v);
		if (hl >= sizeof(host))
			return false;
		snprintf(host, sizeof(host), "%.*s", (int)hl, v);
		port = v4 ? colon + 1 : NULL;
	}
	if (!ip_parse(host, &ip))
		return false;
	long pn = default_port;
	if (port != NULL) {
		char *end;
		pn = strtol(port, &end, 10);
		if (end == port || *end != '\0' || pn < 1 || pn > 65535)
			return false;
	}
	if (ip.family == AF_INET6)
		snprintf(out, len, "[%s]:%ld", host, pn);
	else
		snprintf(out, len, "%s:%ld", host, pn);
	return true;
}

/*
 * ip.h - IPv4 and IPv6 address literals. Pure.
 */
#ifndef RW_IP_H
#define RW_IP_H

#include <stdbool.h>
#include <stddef.h>

struct ip_addr {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char bytes[16];  /* network order; 4 bytes used for AF_INET */
};

/* Parses a bare IPv4 or IPv6 literal (no brackets, no prefix). An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d) is returned as AF_INET. */
bool ip_parse(const char *text, struct ip_addr *out);
/* True if v is "ip", "ip:port", "[v6]" or "[v6]:port"; writes "ip:port"
 * ("[v6]:port"), the port default_port when v has none, to out. */
bool ip_port_parse(const char *v, long default_port, char *out, size_t len);
/* Formats like inet_ntop; buf should hold 46 bytes. */
void ip_format(const struct ip_addr *ip, char *buf, size_t len);

#endif

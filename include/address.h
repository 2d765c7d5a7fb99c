/*
 * address.h - RFC 5321 path parsing and normalisation.
 *
 * Parses what the MTA hands a milter as the first argument of MAIL FROM or
 * RCPT TO ("<user@example.com>", "<>", "<@a,@b:user@c>", or without angle
 * brackets) into a fixed-size struct; allocates nothing it keeps (an
 * international domain is converted to its A-label form by idn.c, which
 * frees what libidn2 allocates), never reads past the terminating NUL, never
 * writes past its buffers. Also finds destinations hidden in the local part
 * (percent hack, bang path, quoted "@", source route), which the relay
 * decision judges instead of the visible domain.
 * Pure and thread-safe.
 */
#ifndef RW_ADDRESS_H
#define RW_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#define ADDRESS_LOCAL_MAX 256    /* RFC 5321 says 64; real mail is sloppier */
#define ADDRESS_DOMAIN_MAX 255
#define ADDRESS_TEXT_MAX 1024    /* longer input is invalid, not truncated */

enum address_kind {
	ADDRESS_OK,        /* local part (and maybe domain) parsed */
	ADDRESS_NULL,      /* the null path "<>" */
	ADDRESS_INVALID,   /* unparsable; error says why */
};

enum address_route {
	ROUTE_NONE,
	ROUTE_SOURCE,      /* <@a,@b:user@d>: first hop a */
	ROUTE_QUOTED_AT,   /* <"user@host"@d>: host (after the last '@') */
	ROUTE_PERCENT,     /* <user%host@d>: host (after the last '%') */
	ROUTE_BANG,        /* <host!user@d>: host (before the first '!') */
};

struct address {
	enum address_kind kind;
	bool bracketed;            /* enclosed in <> */
	bool quoted;               /* local part was a quoted-string */
	char local[ADDRESS_LOCAL_MAX + 1];    /* unquoted, escapes resolved, case kept */
	char domain[ADDRESS_DOMAIN_MAX + 1];  /* lower-case A-label form (idn.h), no
	                                        trailing dot; "" if none;
	                                        address literals kept as "[1.2.3.4]" */
	enum address_route route;
	char route_domain[ADDRESS_DOMAIN_MAX + 1]; /* hidden destination, lower-case */
	const char *error;         /* static text when kind == ADDRESS_INVALID */
	bool bad_idn;              /* invalid because a domain is not IDNA2008: a
	                              malformed address (553 at MAIL and RCPT) */
};

/* Parses text (NUL-terminated). Always fills *out; check out->kind. */
void address_parse(const char *text, struct address *out);

/* Writes the comparison key "local@domain" ("local" when there is no
 * domain), all lower-case (a UTF-8 local part case-folded, idn_local_fold),
 * into buf; quoted and unquoted spellings of one
 * local part give one key. With delim != '\0', a subaddress is folded
 * first ("user+tag" -> "user"; a local part that starts with delim is kept
 * whole). Returns false (buf "") if it does not fit (buf should be
 * ADDRESS_TEXT_MAX bytes), kind != ADDRESS_OK, or a domainless local part
 * holds '@' (its key would pose as another address). */
bool address_key(const struct address *a, char delim, char *buf, size_t len);

/* Copies text into buf for logging: control bytes, non-ASCII, space, '"'
 * and '\\' become \xHH (so a logged value can never forge a key=value
 * field), truncated with "..." to fit. Never fails. */
void address_log_escape(const char *text, char *buf, size_t len);

#endif

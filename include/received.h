/*
 * received.h - the client named in a Received: header, as Postfix and
 * Sendmail write it (trusted_relays: the client a DMZ relay recorded).
 *
 *   from HELO (NAME [IP]) by ...                    Postfix, Sendmail
 *   from HELO (unknown [IP]) by ...                 Postfix, no verified name
 *   from HELO (NAME [IP] (may be forged)) by ...    Sendmail, PTR not confirmed
 *   from HELO (NAME [IP]) (may be forged) by ...    the same, outside the comment
 *   from HELO ([IP]) by ...                         Sendmail, no PTR
 *   from HELO (NAME [IPv6:2001:db8::1]) by ...      IPv6
 *   from HELO (ident@NAME [IP]) by ...              Sendmail with IDENT
 *
 * Anything else is unparsable: the caller refuses it, never guesses. Pure
 * and thread-safe; never reads past the value's NUL.
 */
#ifndef RW_RECEIVED_H
#define RW_RECEIVED_H

#include <stdbool.h>

#include "ip.h"

struct received {
	struct ip_addr ip;
	char addr[64];           /* the IP as text */
	char name[256];          /* verified name, normalised; "" for unknown or forged */
};

/* Parses one Received: value (folded or not, leading blanks allowed). */
bool received_parse(const char *value, struct received *out);

#endif

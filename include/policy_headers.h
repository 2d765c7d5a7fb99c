/*
 * policy_headers.h - DESIGN §4 at end of headers: may the authenticated
 * user send with these originator headers (From:, Sender:)?
 *
 * Pure, like policy.h: the header values and the directory's answer on the
 * login arrive as facts; the verdict goes into the caller's decision. Never
 * logs, never blocks; thread-safe.
 */
#ifndef RW_POLICY_HEADERS_H
#define RW_POLICY_HEADERS_H

#include "policy.h"

/* The originator headers of one message, as counted at end of headers. */
struct header_facts {
	unsigned nfrom, nsender;
	const char *from;                /* first From: value, NULL if none */
	const char *sender;              /* first Sender: value, NULL if none */
};

/* §4 headers: Sender: if present, else From:; every mailbox must be owned.
 * With headers_rule "from_and_sender", every mailbox of both must be owned,
 * except that, beside an owned Sender:, a From: mailbox may be one whose
 * owner granted the user on-behalf rights (dir_user.on_behalf). Nothing is
 * checked unless policy_needs_owner_headers(p, s->auth). */
void policy_headers_decide(const struct policy *p, const struct client_facts *c,
    const struct sender_facts *s, const struct header_facts *h, struct decision *d,
    const struct trace *t);

#endif

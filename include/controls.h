/*
 * controls.h - the connection, sender and recipient controls of DESIGN §1
 * and §3 (Domino's SMTP Inbound Controls beyond the relay decision).
 *
 * Pure, like policy.c: DNS answers and counts arrive as facts, gathered by
 * session.c in the order §3 prescribes (a denied host is refused before
 * any DNS query is made). Each function judges one step and leaves the
 * decision at DECISION_CONTINUE when the step lets the transaction go on.
 */
#ifndef RW_CONTROLS_H
#define RW_CONTROLS_H

#include "dns.h"
#include "policy.h"

#define DNSBL_MAX_ZONES 16

/* The DNS list answers for one client (CONNECT). */
struct dnsbl_facts {
	const char *whitelisted_by;                 /* dnswl zone listing the client, or NULL */
	size_t n;                                   /* answers for dnsbl[0..n-1] */
	enum dns_answer answers[DNSBL_MAX_ZONES];
	char texts[DNSBL_MAX_ZONES][64];            /* the A record, or why it failed */
};

/* At CONNECT: max_sessions (sessions = live sessions including this one),
 * then deny_hosts / allow_hosts (deny beats allow, as in Domino) - for a
 * trusted relay (c->via_relay) not yet: session.c judges the lists again
 * at end of headers with the client of its Received: line (sessions 0). */
void controls_decide_connect(const struct policy *p, const struct client_facts *c,
    unsigned sessions, struct decision *d, const struct trace *t);
/* True if the client's address should be looked up in the DNS lists. */
bool controls_needs_dnsbl(const struct policy *p, const struct client_facts *c);
/* Whether CONNECT can end, for some client, in anything but a silent
 * continue: the session limit, a host list, a DNS list (whose "log" and
 * "tag" listings are written at connect too). */
bool controls_connect_may_refuse(const struct policy *p);
/* At CONNECT, after the lookups: the first "reject" zone listing the
 * client refuses; a lookup failure in a "reject" zone defers; "tag" zones
 * are written to tags (comma-separated) for a header at end of message. */
void controls_decide_dnsbl(const struct policy *p, const struct client_facts *c,
    const struct dnsbl_facts *f, char *tags, size_t tagslen, struct decision *d,
    const struct trace *t);

/* What MAIL FROM brought besides the address. */
struct mail_facts {
	const struct address *from;
	bool authenticated;
	long long size;                   /* SIZE= parameter; -1 when absent */
	enum dns_answer hostname;         /* forward confirmation (verify_hostname) */
	const char *hostname_why;
};

/* True if verify_hostname needs a forward lookup of the client's name. */
bool controls_needs_hostname(const struct policy *p, const struct client_facts *c);
/* At MAIL, in order: verify_hostname, strict_syntax, a malformed (not
 * IDNA2008) domain, SIZE=, sender.deny /
 * sender.allow, protect_local_senders. */
void controls_decide_sender(const struct policy *p, const struct client_facts *c,
    const struct relay_state *rs, const struct mail_facts *m, struct decision *d,
    const struct trace *t);
/* At MAIL, before anything asks the DNS: connection.require_auth (an
 * unauthenticated session is refused unless the client is in
 * connection.anonymous_hosts). */
void controls_decide_require_auth(const struct policy *p, const struct client_facts *c,
    bool authenticated, struct decision *d, const struct trace *t);
/* At end of headers, for the client a trusted relay's Received: line names
 * (c, classified into rs): verify_hostname, then protect_local_senders -
 * what controls_decide_sender leaves out for a session from the relay. */
void controls_decide_relayed(const struct policy *p, const struct client_facts *c,
    const struct relay_state *rs, const struct mail_facts *m, struct decision *d,
    const struct trace *t);
/* True if verify_domain needs a DNS answer for from's domain. */
bool controls_needs_sender_domain(const struct policy *p, const struct address *from);
/* At MAIL: the MX-else-address answer for the sender's domain. */
void controls_decide_sender_domain(const struct policy *p, const struct address *from,
    enum dns_answer a, const char *why, struct decision *d, const struct trace *t);

/* At RCPT, before the relay decision: strict_syntax, then a malformed (not
 * IDNA2008) domain (553 5.1.3). */
void controls_decide_rcpt_syntax(const struct policy *p, const struct address *rcpt,
    struct decision *d, const struct trace *t);
/* At RCPT, after the relay decision: recipients.max (accepted = recipients
 * already accepted in this message), then recipients.deny / allow. */
void controls_decide_rcpt_lists(const struct policy *p, const struct address *rcpt,
    unsigned accepted, struct decision *d, const struct trace *t);

/* At end of message: the counted size against max_message_size. */
void controls_decide_size(const struct policy *p, unsigned long long bytes, struct decision *d,
    const struct trace *t);

#endif

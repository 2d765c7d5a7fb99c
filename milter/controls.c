/*
 * controls.c - connection, sender and recipient controls (see controls.h).
 *
 * Pure: judges the immutable policy against facts; never logs, never
 * blocks. The order of the steps inside each function is DESIGN §3's.
 */
#include <stdio.h>
#include <string.h>

#include "controls.h"

static const char *const answer_words[] = { "not listed", "listed", "lookup failed" };

void
controls_decide_connect(const struct policy *p, const struct client_facts *c, unsigned sessions,
    struct decision *d, const struct trace *t)
{
	const struct connection_policy *cp = &p->connection;
	const struct ip_addr *ip = c->has_ip ? &c->ip : NULL;
	const char *name = c->name[0] ? c->name : NULL;

	decision_init(d);
	if (cp->max_sessions > 0 && sessions > (unsigned)cp->max_sessions) {
		decision_trace(t, "connection: %u sessions, max_sessions is %d: refused", sessions,
		    cp->max_sessions);
		decision_refuse(d, DECISION_TEMPFAIL, "max_sessions", "too many sessions",
		    &cp->max_sessions_reply);
		snprintf(d->detail, sizeof(d->detail), "sessions=%u max=%d", sessions,
		    cp->max_sessions);
		return;
	}
	if (c->via_relay) {
		decision_trace(t, "connection: %s[%s] is a trusted relay: the host lists judge the "
		    "client of its Received: line, at end of headers", name ? name : "unknown", c->addr);
		d->reason = "trusted relay";
		return;
	}
	if (host_set_match(cp->deny_hosts, ip, name)) {
		decision_trace(t, "connection: %s[%s] is in connection.deny_hosts: refused",
		    name ? name : "unknown", c->addr);
		decision_refuse(d, DECISION_REJECT, "deny_hosts", "host is denied connections",
		    &cp->reply);
		return;
	}
	if (host_set_count(cp->allow_hosts) > 0 && !host_set_match(cp->allow_hosts, ip, name)) {
		decision_trace(t, "connection: %s[%s] is not in connection.allow_hosts: refused",
		    name ? name : "unknown", c->addr);
		decision_refuse(d, DECISION_REJECT, "allow_hosts", "host is not allowed to connect",
		    &cp->reply);
		return;
	}
	decision_trace(t, "connection: host lists pass (%u session(s)%s)", sessions,
	    host_set_count(cp->allow_hosts) ? ", in allow_hosts" : "");
	d->reason = "connection allowed";
}

bool
controls_needs_dnsbl(const struct policy *p, const struct client_facts *c)
{
	return c->has_ip && !c->via_relay && (p->connection.ndnsbl > 0);
}

/* The same conditions as controls_decide_connect and check_dns_lists
 * (session.c): keep them together. */
bool
controls_connect_may_refuse(const struct policy *p)
{
	const struct connection_policy *cp = &p->connection;

	return cp->max_sessions > 0 || host_set_count(cp->deny_hosts) > 0 ||
	    host_set_count(cp->allow_hosts) > 0 || cp->ndnsbl > 0;
}

static void
add_tag(char *tags, size_t len, const char *zone)
{
	size_t used = strlen(tags);

	snprintf(tags + used, len - used, "%s%s", used ? "," : "", zone);
}

/* Log zones only note a hit; tag zones also mark the message; the first
 * reject zone that lists the client ends the connection. */
void
controls_decide_dnsbl(const struct policy *p, const struct client_facts *c,
    const struct dnsbl_facts *f, char *tags, size_t tagslen, struct decision *d,
    const struct trace *t)
{
	const struct connection_policy *cp = &p->connection;
	const struct dnsbl_zone *failed = NULL;
	const char *failed_why = "";

	decision_init(d);
	if (f->whitelisted_by != NULL) {
		decision_trace(t, "dnswl: %s listed at %s: exempt from the DNS blacklists", c->addr,
		    f->whitelisted_by);
		d->rule = "dnswl";
		d->reason = "client whitelisted";
		snprintf(d->detail, sizeof(d->detail), "dnswl=%s", f->whitelisted_by);
		return;
	}
	for (size_t i = 0; i < f->n && i < cp->ndnsbl; i++) {
		const struct dnsbl_zone *z = &cp->dnsbl[i];
		decision_trace(t, "dnsbl: %s at %s: %s (%s)", c->addr, z->zone, answer_words[f->answers[i]],
		    f->texts[i][0] ? f->texts[i] : "-");
		if (f->answers[i] == DNS_ANSWER_TEMPFAIL) {
			if (z->action == DNSBL_REJECT && failed == NULL) {
				failed = z;
				failed_why = f->texts[i];
			}
			continue;
		}
		if (f->answers[i] == DNS_ANSWER_NO)
			continue;
		size_t used = strlen(d->detail);
		snprintf(d->detail + used, sizeof(d->detail) - used, "%slisted=%s(%s)",
		    used ? " " : "", z->zone, f->texts[i]);
		d->rule = "dnsbl";
		d->reason = "client listed in a DNS blacklist (logged)";
		if (z->action == DNSBL_TAG)
			add_tag(tags, tagslen, z->zone);
		if (z->action == DNSBL_REJECT) {
			decision_refuse(d, DECISION_REJECT, "dnsbl", "client listed in a DNS blacklist",
			    &z->reply);
			d->zone = z->zone;
			return;
		}
	}
	if (failed != NULL) {
		decision_refuse(d, DECISION_TEMPFAIL, "dnsbl", "DNS blacklist lookup failed",
		    &p->dns_reply);
		d->zone = failed->zone;
		size_t used = strlen(d->detail);
		snprintf(d->detail + used, sizeof(d->detail) - used, "%szone=%s: %s", used ? " " : "",
		    failed->zone, failed_why);
	}
}

bool
controls_needs_hostname(const struct policy *p, const struct client_facts *c)
{
	return p->connection.verify_hostname && c->name[0] != '\0' && !c->via_relay;
}

static void
decide_hostname(const struct policy *p, const struct client_facts *c, const struct mail_facts *m,
    struct decision *d, const struct trace *t)
{
	if (c->name[0] == '\0') {
		decision_trace(t, "verify hostname: the MTA found no verified name for %s: refused",
		    c->addr);
		decision_refuse(d, DECISION_REJECT, "verify_hostname", "client host name not verified",
		    &p->connection.verify_hostname_reply);
		snprintf(d->detail, sizeof(d->detail), "no verified PTR name");
		return;
	}
	decision_trace(t, "verify hostname: %s resolves to %s: %s", c->name, c->addr,
	    m->hostname == DNS_ANSWER_YES ? "yes" : m->hostname == DNS_ANSWER_NO ? "no" :
	    "lookup failed");
	if (m->hostname == DNS_ANSWER_TEMPFAIL) {
		decision_refuse(d, DECISION_TEMPFAIL, "verify_hostname", "DNS lookup failed",
		    &p->dns_reply);
		snprintf(d->detail, sizeof(d->detail), "%s", m->hostname_why ? m->hostname_why : "");
	} else if (m->hostname == DNS_ANSWER_NO) {
		decision_refuse(d, DECISION_REJECT, "verify_hostname", "client host name not verified",
		    &p->connection.verify_hostname_reply);
		snprintf(d->detail, sizeof(d->detail), "%s does not resolve to %s", c->name, c->addr);
	}
}

/* The rule of each side of the relay lists (decision_lists), for an
 * address: which says which list refused it. */
static bool
listed_refused(const struct addr_set *allow, const struct addr_set *deny, const char *local,
    const char *domain, bool deny_wins, const char **which)
{
	bool deny_hit = addr_set_match(deny, local, domain);

	*which = deny_hit ? "deny" : "allow";
	return decision_lists(addr_set_match(allow, local, domain), deny_hit,
	    addr_set_count(allow), addr_set_count(deny), deny_wins) == LISTS_REFUSE;
}

static bool
syntax_refused(const struct policy *p, const struct address *a, const char *what,
    struct decision *d, const struct trace *t)
{
	if (!p->sender.strict_syntax || a->bracketed)
		return false;
	decision_trace(t, "strict syntax: %s address is not in angle brackets: refused", what);
	decision_refuse(d, DECISION_REJECT, "strict_syntax", "address not in angle brackets",
	    &p->sender.strict_syntax_reply);
	return true;
}

/* A domain that is not IDNA2008 (or an A-label that does not round-trip)
 * names no mailbox: refused as malformed, never compared as raw bytes. */
static bool
malformed_refused(const struct reply *reply, const struct address *a, const char *what,
    struct decision *d, const struct trace *t)
{
	if (a->kind != ADDRESS_INVALID || !a->bad_idn)
		return false;
	decision_trace(t, "address: %s address is malformed (%s): refused", what, a->error);
	decision_refuse(d, DECISION_REJECT, "malformed_address", "domain is not valid IDNA2008",
	    reply);
	snprintf(d->detail, sizeof(d->detail), "%s", a->error);
	return true;
}

static bool
size_refused(const struct policy *p, long long size, struct decision *d, const struct trace *t)
{
	int max = p->sender.max_message_size;

	if (max == 0 || size < 0)
		return false;
	decision_trace(t, "message size: SIZE=%lld, max_message_size %d: %s", size, max,
	    size > max ? "refused" : "pass");
	if (size <= max)
		return false;
	decision_refuse(d, DECISION_REJECT, "max_message_size", "message too large",
	    &p->sender.max_message_size_reply);
	snprintf(d->detail, sizeof(d->detail), "size=%lld max=%d", size, max);
	return true;
}

static bool
sender_lists_refused(const struct policy *p, const struct address *from, struct decision *d,
    const struct trace *t)
{
	const struct sender_policy *sp = &p->sender;
	const char *which;

	if (addr_set_count(sp->allow) == 0 && addr_set_count(sp->deny) == 0)
		return false;
	if (from->kind != ADDRESS_OK) {
		decision_trace(t, "sender lists: %s, not judged by sender.allow/deny",
		    from->kind == ADDRESS_NULL ? "null sender <>" : "unparsable sender");
		return false;
	}
	bool refused = listed_refused(sp->allow, sp->deny, from->local, from->domain,
	    p->relay.deny_wins, &which);
	decision_trace(t, "sender lists: <%s@%s> %s", from->local, from->domain,
	    refused ? (strcmp(which, "deny") == 0 ? "is in sender.deny: refused" :
	    "is not in sender.allow: refused") : "pass");
	if (refused)
		decision_refuse(d, DECISION_REJECT, "sender_lists", strcmp(which, "deny") == 0 ?
		    "sender is denied" : "sender is not allowed", &sp->reply);
	return refused;
}

static bool
protect_refused(const struct policy *p, const struct relay_state *rs, const struct address *from,
    bool authenticated, struct decision *d, const struct trace *t)
{
	if (!p->protect_local_senders || from->kind != ADDRESS_OK ||
	    !policy_is_local_domain(p, from->domain))
		return false;
	const char *who = authenticated ? "authenticated" : rs->internal ? "internal" : NULL;
	if (who == NULL && addr_set_match(p->protect_except, from->local, from->domain))
		who = "in protect_local_senders_except";
	decision_trace(t, "protect local senders: <%s@%s> uses a local domain; client %s",
	    from->local, from->domain, who ? who : "is external and unauthenticated: refused");
	if (who != NULL)
		return false;
	decision_refuse(d, DECISION_REJECT, "protect_local_senders",
	    "local sender domain from an unauthenticated external client", &p->protect_reply);
	return true;
}

void
controls_decide_sender(const struct policy *p, const struct client_facts *c,
    const struct relay_state *rs, const struct mail_facts *m, struct decision *d,
    const struct trace *t)
{
	decision_init(d);
	if (p->connection.verify_hostname && !c->via_relay) {
		decide_hostname(p, c, m, d, t);
		if (d->action != DECISION_CONTINUE)
			return;
	}
	if (syntax_refused(p, m->from, "sender", d, t) ||
	    malformed_refused(&p->sender.malformed_reply, m->from, "sender", d, t) ||
	    size_refused(p, m->size, d, t) ||
	    sender_lists_refused(p, m->from, d, t) ||
	    (!c->via_relay && protect_refused(p, rs, m->from, m->authenticated, d, t)))
		return;
}

void
controls_decide_require_auth(const struct policy *p, const struct client_facts *c,
    bool authenticated, struct decision *d, const struct trace *t)
{
	const struct connection_policy *cp = &p->connection;
	const char *name = c->name[0] ? c->name : NULL;

	decision_init(d);
	if (!cp->require_auth || authenticated)
		return;
	if (host_set_match(cp->anonymous_hosts, c->has_ip ? &c->ip : NULL, name)) {
		decision_trace(t, "require auth: %s[%s] is in connection.anonymous_hosts: may send "
		    "without authenticating", name ? name : "unknown", c->addr);
		return;
	}
	decision_trace(t, "require auth: the session is not authenticated: refused");
	decision_refuse(d, DECISION_REJECT, "require_auth", "authentication required",
	    &cp->require_auth_reply);
}

void
controls_decide_relayed(const struct policy *p, const struct client_facts *c,
    const struct relay_state *rs, const struct mail_facts *m, struct decision *d,
    const struct trace *t)
{
	decision_init(d);
	if (p->connection.verify_hostname) {
		decide_hostname(p, c, m, d, t);
		if (d->action != DECISION_CONTINUE)
			return;
	}
	protect_refused(p, rs, m->from, m->authenticated, d, t);
}

bool
controls_needs_sender_domain(const struct policy *p, const struct address *from)
{
	return p->sender.verify_domain && from->kind == ADDRESS_OK && from->domain[0] != '\0' &&
	    from->domain[0] != '[';
}

void
controls_decide_sender_domain(const struct policy *p, const struct address *from,
    enum dns_answer a, const char *why, struct decision *d, const struct trace *t)
{
	decision_init(d);
	decision_trace(t, "verify domain: %s %s", from->domain, a == DNS_ANSWER_YES ?
	    "has an MX or address record" : a == DNS_ANSWER_NO ? "does not exist" :
	    "could not be looked up");
	if (a == DNS_ANSWER_NO) {
		decision_refuse(d, DECISION_REJECT, "verify_domain", "sender domain does not exist",
		    &p->sender.verify_domain_reply);
	} else if (a == DNS_ANSWER_TEMPFAIL) {
		decision_refuse(d, DECISION_TEMPFAIL, "verify_domain", "DNS lookup failed",
		    &p->dns_reply);
	} else {
		return;
	}
	snprintf(d->detail, sizeof(d->detail), "domain=%s%s%s", from->domain, why && *why ?
	    " " : "", why ? why : "");
}

void
controls_decide_rcpt_syntax(const struct policy *p, const struct address *rcpt,
    struct decision *d, const struct trace *t)
{
	decision_init(d);
	if (!syntax_refused(p, rcpt, "recipient", d, t))
		malformed_refused(&p->recipients.malformed_reply, rcpt, "recipient", d, t);
}

void
controls_decide_rcpt_lists(const struct policy *p, const struct address *rcpt, unsigned accepted,
    struct decision *d, const struct trace *t)
{
	const struct recipient_policy *r = &p->recipients;
	const char *which;

	decision_init(d);
	if (r->max > 0 && accepted >= (unsigned)r->max) {
		decision_trace(t, "recipients: %u already accepted, max is %d: refused", accepted,
		    r->max);
		decision_refuse(d, decision_action_of(&r->max_reply), "max_recipients",
		    "too many recipients", &r->max_reply);
		snprintf(d->detail, sizeof(d->detail), "accepted=%u max=%d", accepted, r->max);
		return;
	}
	if (rcpt->kind != ADDRESS_OK || (addr_set_count(r->allow) == 0 &&
	    addr_set_count(r->deny) == 0))
		return;
	bool refused = listed_refused(r->allow, r->deny, rcpt->local, rcpt->domain,
	    p->relay.deny_wins, &which);
	decision_trace(t, "recipient lists: <%s@%s> %s", rcpt->local, rcpt->domain,
	    refused ? (strcmp(which, "deny") == 0 ? "is in recipients.deny: refused" :
	    "is not in recipients.allow: refused") : "pass");
	if (refused)
		decision_refuse(d, DECISION_REJECT, "recipient_lists", strcmp(which, "deny") == 0 ?
		    "recipient is denied" : "recipient is not allowed", &r->reply);
}

void
controls_decide_size(const struct policy *p, unsigned long long bytes, struct decision *d,
    const struct trace *t)
{
	int max = p->sender.max_message_size;

	decision_init(d);
	if (max == 0)
		return;
	decision_trace(t, "message size: %llu bytes counted, max_message_size %d: %s", bytes, max,
	    bytes > (unsigned long long)max ? "refused" : "pass");
	if (bytes <= (unsigned long long)max)
		return;
	decision_refuse(d, DECISION_REJECT, "max_message_size", "message too large",
	    &p->sender.max_message_size_reply);
	snprintf(d->detail, sizeof(d->detail), "size=%llu max=%d", bytes, max);
}

/*
 * session.c - per-connection state and the transaction steps shared by the
 * milter and explain (see session.h). Asks the directory (the only I/O),
 * then hands the answer to the pure policy as a fact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "idn.h"
#include "policy_headers.h"
#include "received.h"
#include "session.h"
#include "xalloc.h"

struct session *
session_new(const struct policy *p)
{
	struct session *s = xcalloc(1, sizeof(*s));

	s->snapshot = p;
	s->policy = p;
	session_message_reset(s);
	return s;
}

void
session_free(struct session *s)
{
	session_message_reset(s);
	free(s->auth);
	free(s);
}

void
session_message_reset(struct session *s)
{
	directory_user_unref(s->msg.user);
	free(s->msg.from_header);
	free(s->msg.sender_header);
	free(s->msg.received);
	memset(&s->msg, 0, sizeof(s->msg));
	strcpy(s->msg.qid, "NOQUEUE");
}

void
session_set_qid(struct session *s, const char *qid)
{
	if (qid != NULL && *qid != '\0' && strcmp(qid, s->msg.qid) != 0)
		address_log_escape(qid, s->msg.qid, sizeof(s->msg.qid));
}

/* Postfix passes "unknown" and Sendmail "[a.b.c.d]" when the client's PTR
 * is missing or not forward-confirmed: neither is a verified name. */
static void
set_client_name(struct client_facts *c, const char *hostname)
{
	c->name[0] = '\0';
	if (hostname == NULL || hostname[0] == '[' || strcmp(hostname, "unknown") == 0)
		return;
	if (!domain_normalize(hostname, c->name, sizeof(c->name)))
		c->name[0] = '\0';
}

/* §3 at CONNECT, after the host lists: whitelists first (a listing
 * exempts from every blacklist), then all blacklists at once. */
static void
check_dns_lists(struct session *s, const struct client_facts *c, struct decision *d,
    const struct trace *t)
{
	const struct connection_policy *cp = &s->policy->connection;
	struct dnsbl_facts f = { 0 };
	const char *zones[DNSBL_MAX_ZONES];

	if (!controls_needs_dnsbl(s->policy, c))
		return;
	if (cp->dnswl.n > 0) {
		size_t n = cp->dnswl.n < DNSBL_MAX_ZONES ? cp->dnswl.n : DNSBL_MAX_ZONES;
		dns_list_lookup(s->policy->dns, &c->ip, (const char *const *)cp->dnswl.v, n,
		    f.answers, f.texts);
		for (size_t i = 0; i < n && f.whitelisted_by == NULL; i++)
			if (f.answers[i] == DNS_ANSWER_YES)
				f.whitelisted_by = cp->dnswl.v[i];
	}
	if (f.whitelisted_by == NULL) {
		for (size_t i = 0; i < cp->ndnsbl; i++)
			zones[i] = cp->dnsbl[i].zone;
		dns_list_lookup(s->policy->dns, &c->ip, zones, cp->ndnsbl, f.answers, f.texts);
		f.n = cp->ndnsbl;
	}
	controls_decide_dnsbl(s->policy, c, &f, s->dnsbl_tags, sizeof(s->dnsbl_tags), d, t);
}

void
session_connect(struct session *s, const char *hostname, const char *ip,
    const char *daemon_name, unsigned sessions, struct decision *d, const struct trace *t)
{
	struct client_facts *c = &s->client;

	memset(c, 0, sizeof(*c));
	s->policy = config_profile(s->snapshot, daemon_name);
	set_client_name(c, hostname);
	c->has_ip = ip != NULL && ip_parse(ip, &c->ip);
	if (c->has_ip)
		ip_format(&c->ip, c->addr, sizeof(c->addr));
	else
		snprintf(c->addr, sizeof(c->addr), "unknown");
	if (daemon_name != NULL)
		address_log_escape(daemon_name, c->daemon_name, sizeof(c->daemon_name));
	c->via_relay = host_set_count(s->policy->trusted_relays) > 0 &&
	    host_set_match(s->policy->trusted_relays, c->has_ip ? &c->ip : NULL,
	    c->name[0] ? c->name : NULL);
	if (s->policy != s->snapshot)
		decision_trace(t, "profile: {daemon_name} %s selects profile \"%s\"", c->daemon_name,
		    s->policy->daemon_name);
	policy_classify_client(s->policy, c, &s->relay, t);
	controls_decide_connect(s->policy, c, sessions, d, t);
	if (d->action == DECISION_CONTINUE)
		check_dns_lists(s, c, d, t);
	policy_finish(s->policy, &s->errors, d, t);
	if (d->would_reject)      /* report_only: every message of the session says so */
		snprintf(s->connect_would_reject, sizeof(s->connect_would_reject), "%s", d->rule);
}

static bool
realm_is_local(const void *ctx, const char *realm)
{
	return policy_is_local_realm(ctx, realm);
}

/* explain: an international domain in both forms, as the lists see it. */
static void
trace_idn(const struct trace *t, const char *what, const struct address *a)
{
	char shown[2 * ADDRESS_DOMAIN_MAX + 8];

	if (t == NULL || a->kind != ADDRESS_OK || !idn_domain_is_international(a->domain))
		return;
	idn_domain_display(a->domain, shown, sizeof(shown));
	decision_trace(t, "idn: %s domain %s, compared in A-label form", what, shown);
}

/* Asks the directory about the login once per message; EOH reuses it. */
static void
lookup_owner(struct session *s, const struct trace *t)
{
	const struct policy *p = s->policy;
	struct message *m = &s->msg;

	if (m->looked_up)
		return;
	m->lookup = directory_lookup_login(p->directory, s->auth, realm_is_local, p, &m->user,
	    m->lookup_why, sizeof(m->lookup_why));
	m->looked_up = true;
	decision_trace(t, "directory: login %s: %s", s->auth, directory_result_name(m->lookup));
}

static struct sender_facts
sender_facts_of(struct session *s)
{
	struct sender_facts sf = { s->auth, &s->msg.from, LOOKUP_NOTFOUND,
		NULL, s->msg.lookup_why };

	if (s->msg.looked_up) {
		sf.lookup = s->msg.lookup;
		sf.user = s->msg.user;
	}
	return sf;
}

static void
note_would_reject(struct session *s, const struct decision *d)
{
	char *buf = s->msg.would_reject;
	size_t used = strlen(buf);

	if (!d->would_reject || strstr(buf, d->rule) != NULL)
		return;
	snprintf(buf + used, sizeof(s->msg.would_reject) - used, "%s%s", used ? "," : "", d->rule);
}

/* SIZE=n among the ESMTP parameters, or -1. */
static long long
declared_size(const char *const *args)
{
	for (; args != NULL && *args != NULL; args++) {
		if (strncasecmp(*args, "SIZE=", 5) != 0)
			continue;
		char *end;
		long long v = strtoll(*args + 5, &end, 10);
		return end != *args + 5 && *end == '\0' && v >= 0 ? v : -1;
	}
	return -1;
}

/* Forward confirmation of the MTA's client name, once per session. */
static void
check_hostname(struct session *s, const struct trace *t)
{
	if (s->hostname_checked || !controls_needs_hostname(s->policy, &s->client))
		return;
	s->hostname = dns_name_has_address(s->policy->dns, s->client.name, &s->client.ip,
	    s->hostname_why, sizeof(s->hostname_why));
	s->hostname_checked = true;
	decision_trace(t, "dns: %s has address %s: %s", s->client.name, s->client.addr,
	    s->hostname == DNS_ANSWER_YES ? "yes" : s->hostname == DNS_ANSWER_NO ? "no" :
	    s->hostname_why);
}

/* §3 at MAIL: hostname, syntax, size, lists, protection, then the
 * sender's domain in DNS; CONTINUE means verify sender comes next. */
static void
sender_controls(struct session *s, const char *const *args, struct decision *d,
    const struct trace *t)
{
	const struct policy *p = s->policy;
	char why[300] = "";

	controls_decide_require_auth(p, &s->client, s->auth != NULL, d, t);
	if (d->action != DECISION_CONTINUE)
		return;
	if (!s->client.has_ip && !s->hostname_checked) {
		s->hostname_checked = true;     /* nothing to confirm the name against */
		s->hostname = DNS_ANSWER_NO;
	}
	check_hostname(s, t);
	struct mail_facts mf = { &s->msg.from, s->auth != NULL, declared_size(args),
		s->hostname, s->hostname_why };
	controls_decide_sender(p, &s->client, &s->relay, &mf, d, t);
	if (d->action != DECISION_CONTINUE || !controls_needs_sender_domain(p, &s->msg.from))
		return;
	enum dns_answer a = dns_domain_exists(p->dns, s->msg.from.domain,
	    p->sender.verify_domain_timeout, why, sizeof(why));
	controls_decide_sender_domain(p, &s->msg.from, a, why, d, t);
}

void
session_mail(struct session *s, const char *auth, const char *from, const char *const *args,
    struct decision *d, const struct trace *t)
{
	const struct policy *p = s->policy;

	session_message_reset(s);
	snprintf(s->msg.would_reject, sizeof(s->msg.would_reject), "%s", s->connect_would_reject);
	if (auth != NULL && *auth != '\0' && (s->auth == NULL || strcmp(s->auth, auth) != 0)) {
		free(s->auth);          /* whole: a prefix of a long login is another login */
		s->auth = xstrdup(auth);
	}
	address_parse(from, &s->msg.from);
	address_log_escape(from, s->msg.from_text, sizeof(s->msg.from_text));
	trace_idn(t, "sender", &s->msg.from);
	policy_note_auth(p, s->auth, &s->relay, t);

	sender_controls(s, args, d, t);
	if (d->action == DECISION_CONTINUE) {
		if (policy_needs_owner(p, s->auth, &s->msg.from))
			lookup_owner(s, t);
		struct sender_facts sf = sender_facts_of(s);
		policy_decide_mail(p, &s->client, &sf, d, t);
	}
	policy_finish(p, &s->errors, d, t);
	note_would_reject(s, d);
}

/* RCPT's cheap checks in DESIGN §3 order: syntax, relay, recipients.max,
 * recipients.deny/allow. */
static void
rcpt_cheap_checks(const struct session *s, const struct address *a, struct decision *d,
    const struct trace *t)
{
	const struct policy *p = s->policy;

	controls_decide_rcpt_syntax(p, a, d, t);
	if (d->action != DECISION_CONTINUE)
		return;
	policy_decide_relay(p, &s->client, &s->relay, a, d, t);
	if (d->action != DECISION_CONTINUE)
		return;
	const char *why = d->reason;
	controls_decide_rcpt_lists(p, a, s->msg.accepted, d, t);
	if (d->action == DECISION_CONTINUE)
		d->reason = why;        /* the relay verdict is the reason a recipient passes */
}

/* The rate limits come last, so that only a recipient every other check
 * lets through is counted (and a refused one never waits for Redis). */
static void
check_rate(struct session *s, struct decision *d, const struct trace *t)
{
	const struct policy *p = s->policy;
	const struct message *m = &s->msg;
	struct rate_take takes[RATE_LIMITS_MAX];
	size_t which[RATE_LIMITS_MAX], over = 0;
	const char *store = "memory";
	char why[256] = "";
	/* A message counts at its first counted recipient (a refused one, or
	 * one let through by report_only, counts nothing). explain counts
	 * nothing: its earlier recipients are added to the check. */
	struct rate_facts f = { &s->client, s->auth,
		m->looked_up && m->lookup == LOOKUP_FOUND && m->user != NULL ? m->user->login : NULL,
		&m->from, !m->rate_counted, s->rate_peek ? m->accepted : 0 };
	size_t n = rate_limit_takes(p, &f, takes, which, t);

	if (n == 0)
		return;
	enum rate_answer a = rate_store_take(p->rate_store, takes, n, s->rate_peek, &over, &store,
	    why, sizeof(why));
	s->msg.rate_counted |= a == RATE_OK && !s->rate_peek;
	rate_limit_decide(p, takes, which, n, a, over, store, why, d, t);
}

/* RCPT: every cheap check first; the directory only for a recipient they
 * let through (a refused one never waits for an LDAP timeout). */
void
session_rcpt(struct session *s, const char *rcpt, struct decision *d, const struct trace *t)
{
	const struct policy *p = s->policy;
	struct recipient_facts rf = { false, LOOKUP_NOTFOUND, RECIPIENT_PERSON, "" };
	char key[ADDRESS_TEXT_MAX], why[256] = "";
	struct address a;

	address_parse(rcpt, &a);
	trace_idn(t, "recipient", &a);
	rcpt_cheap_checks(s, &a, d, t);
	if (d->action == DECISION_CONTINUE && policy_needs_recipient(p, &a) &&
	    address_key(&a, '\0', key, sizeof(key))) {
		rf.asked = true;
		rf.lookup = directory_lookup_recipient(p->directory, key, &rf.kind, why, sizeof(why));
		rf.why = why;
		decision_trace(t, "directory: recipient %s: %s", key, directory_result_name(rf.lookup));
		policy_decide_recipient(p, &s->relay, &rf, d, t);
	}
	if (d->action == DECISION_CONTINUE && p->nrate_limits > 0)
		check_rate(s, d, t);
	policy_finish(p, &s->errors, d, t);
	note_would_reject(s, d);
	s->msg.accepted += d->action == DECISION_CONTINUE;
}

/* "From", "from" and "From " (obsolete syntax: blanks before the colon,
 * which mail programs still read as From:) are all the From: header. */
static bool
header_name_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	return strncasecmp(name, want, n) == 0 && name[n + strspn(name + n, " \t")] == '\0';
}

void
session_header(struct session *s, const char *name, const char *value)
{
	struct message *m = &s->msg;

	m->size += strlen(name) + strlen(value) + 4;     /* "Name: value\r\n" */
	if (header_name_is(name, "From") && m->nfrom++ == 0)
		m->from_header = xstrdup(value);
	else if (header_name_is(name, "Sender") && m->nsender++ == 0)
		m->sender_header = xstrdup(value);
	else if (header_name_is(name, "Message-ID") && m->message_id[0] == '\0')
		snprintf(m->message_id, sizeof(m->message_id), "%s", value + strspn(value, " \t"));
	else if (s->client.via_relay && header_name_is(name, "Received") && m->nreceived++ == 0)
		m->received = xstrdup(value);
}

/* The Received: line the trusted relay wrote: the topmost one the milter
 * sees (neither Postfix 3.7 nor Sendmail 8.17 shows the milter the line
 * it adds itself - measured, tests/e2e). Lower lines are never looked at:
 * anyone could have written them. False if there is none, or it is
 * unparsable. */
static bool
relay_received(const struct session *s, struct received *r)
{
	return s->msg.nreceived > 0 && received_parse(s->msg.received, r);
}

/* The relayed client's name, forward-confirmed (verify_hostname). */
static enum dns_answer
relayed_hostname(const struct session *s, const struct client_facts *c, char *why, size_t len)
{
	if (!controls_needs_hostname(s->policy, c))
		return DNS_ANSWER_NO;
	return dns_name_has_address(s->policy->dns, c->name, &c->ip, why, len);
}

/* DESIGN §3 for the client a trusted relay names: the host lists, the DNS
 * lists (a "log" or "tag" listing is kept as the verdict if nothing
 * refuses), verify_hostname and protect_local_senders. */
static void
relayed_controls(struct session *s, struct decision *d, const struct trace *t)
{
	const struct policy *p = s->policy;
	struct client_facts *c = &s->msg.relayed;
	struct received r;
	struct relay_state rs;
	struct decision listed;
	char why[256] = "";

	decision_init(d);
	if (!relay_received(s, &r)) {
		decision_trace(t, "trusted relay: no parsable Received: line from it: refused");
		decision_refuse(d, DECISION_REJECT, "trusted_relay",
		    "unparsable Received header from a trusted relay", &p->trusted_relays_reply);
		snprintf(d->detail, sizeof(d->detail), "received=%u", s->msg.nreceived);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->has_ip = true;
	c->ip = r.ip;
	memcpy(c->addr, r.addr, sizeof(c->addr));
	memcpy(c->name, r.name, sizeof(c->name));
	memcpy(c->daemon_name, s->client.daemon_name, sizeof(c->daemon_name));
	decision_trace(t, "trusted relay: its Received: line names %s[%s]",
	    c->name[0] ? c->name : "unknown", c->addr);
	policy_classify_client(p, c, &rs, t);
	s->dnsbl_tags[0] = '\0';
	controls_decide_connect(p, c, 0, d, t);
	if (d->action == DECISION_CONTINUE)
		check_dns_lists(s, c, d, t);
	if (d->action == DECISION_CONTINUE) {
		listed = *d;
		enum dns_answer h = relayed_hostname(s, c, why, sizeof(why));
		struct mail_facts mf = { &s->msg.from, s->auth != NULL, -1, h, why };
		controls_decide_relayed(p, c, &rs, &mf, d, t);
		if (d->action == DECISION_CONTINUE && listed.rule != NULL)
			*d = listed;
	}
	size_t used = strlen(d->detail);
	snprintf(d->detail + used, sizeof(d->detail) - used, "%sreceived=%s[%s]", used ? " " : "",
	    c->name[0] ? c->name : "unknown", c->addr);
}

void
session_eoh(struct session *s, struct decision *d, const struct trace *t)
{
	const struct policy *p = s->policy;
	const struct message *m = &s->msg;
	struct header_facts h = { m->nfrom, m->nsender, m->from_header, m->sender_header };

	struct decision relayed;

	decision_init(&relayed);
	if (s->client.via_relay) {
		relayed_controls(s, &relayed, t);
		policy_finish(p, &s->errors, &relayed, t);
		note_would_reject(s, &relayed);
		if (relayed.action != DECISION_CONTINUE) {
			*d = relayed;
			return;
		}
	}
	if (policy_needs_owner_headers(p, s->auth))
		lookup_owner(s, t);
	struct sender_facts sf = sender_facts_of(s);
	policy_headers_decide(p, &s->client, &sf, &h, d, t);
	policy_finish(p, &s->errors, d, t);
	note_would_reject(s, d);
	/* A relayed client's would-reject (report_only) or DNS "log" listing
	 * is the line to write when the headers themselves had nothing to say. */
	if (relayed.rule != NULL && d->action == DECISION_CONTINUE && !d->would_reject)
		*d = relayed;
}

void
session_body(struct session *s, size_t len)
{
	s->msg.size += len;
}

void
session_eom(struct session *s, struct decision *d, const struct trace *t)
{
	controls_decide_size(s->policy, s->msg.size + 2, d, t);   /* + the blank line */
	policy_finish(s->policy, &s->errors, d, t);
	note_would_reject(s, d);
}

bool
session_needs_end(const struct session *s)
{
	return s->policy->sender.max_message_size > 0 || s->dnsbl_tags[0] != '\0' ||
	    s->msg.would_reject[0] != '\0';
}

bool
session_needs_headers(const struct session *s)
{
	return s->client.via_relay || policy_needs_owner_headers(s->policy, s->auth) ||
	    session_needs_end(s);
}

void
session_reply_text(const struct session *s, const struct decision *d, char *buf, size_t len)
{
	char sender[ADDRESS_TEXT_MAX];
	const char *from = s->msg.from_text;
	size_t flen = strlen(from);

	/* %s is the bare address: a reply writes its own angle brackets. */
	if (flen >= 2 && from[0] == '<' && from[flen - 1] == '>')
		snprintf(sender, sizeof(sender), "%.*s", (int)(flen - 2), from + 1);
	else
		snprintf(sender, sizeof(sender), "%s", from);
	/* %a: the client a trusted relay named, once known */
	reply_expand(d->reply, sender, s->msg.relayed.has_ip ? s->msg.relayed.addr : s->client.addr,
	    d->zone ? d->zone : "", buf, len);
}

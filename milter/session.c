/*
 * session.c - per-connection state and the transaction steps shared by the
 * milter and explain (see session.h). Asks the directory (the only I/O),
 * then hands the answer to the pure policy as a fact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "xalloc.h"

struct session *
session_new(const struct policy *p)
{
	struct session *s = xcalloc(1, sizeof(*s));

	s->policy = p;
	session_message_reset(s);
	return s;
}

void
session_free(struct session *s)
{
	free(s);
}

void
session_message_reset(struct session *s)
{
	memset(&s->msg, 0, sizeof(s->msg));
	strcpy(s->msg.qid, "NOQUEUE");
}

void
session_set_qid(struct session *s, const char *qid)
{
	if (qid != NULL && *qid != '\0')
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

void
session_connect(struct session *s, const char *hostname, const char *ip,
    const char *daemon_name, const struct trace *t)
{
	struct client_facts *c = &s->client;

	memset(c, 0, sizeof(*c));
	set_client_name(c, hostname);
	c->has_ip = ip != NULL && ip_parse(ip, &c->ip);
	if (c->has_ip)
		ip_format(&c->ip, c->addr, sizeof(c->addr));
	else
		snprintf(c->addr, sizeof(c->addr), "unknown");
	if (daemon_name != NULL)
		address_log_escape(daemon_name, c->daemon_name, sizeof(c->daemon_name));
	policy_classify_client(s->policy, c, &s->relay, t);
}

static bool
realm_is_local(const void *ctx, const char *realm)
{
	return policy_is_local_domain(ctx, realm);
}

static enum lookup_result
lookup_owner(struct session *s, struct dir_user **user, char *why, size_t whylen,
    const struct trace *t)
{
	const struct policy *p = s->policy;
	enum lookup_result r = directory_lookup_login(p->directory, s->auth, realm_is_local, p,
	    user, why, whylen);

	trace_printf(t, "directory: login %s: %s", s->auth, lookup_result_name(r));
	return r;
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

void
session_mail(struct session *s, const char *auth, const char *from, struct decision *d,
    const struct trace *t)
{
	const struct policy *p = s->policy;
	struct dir_user *user = NULL;
	char why[256] = "";

	session_message_reset(s);
	if (auth != NULL && *auth != '\0')
		snprintf(s->auth, sizeof(s->auth), "%s", auth);
	address_parse(from, &s->msg.from);
	address_log_escape(from, s->msg.from_text, sizeof(s->msg.from_text));
	policy_note_auth(p, s->auth[0] ? s->auth : NULL, &s->relay, t);

	struct sender_facts sf = { s->auth[0] ? s->auth : NULL, &s->msg.from, LOOKUP_NOTFOUND,
		NULL, why };
	if (policy_needs_owner(p, sf.auth, &s->msg.from)) {
		sf.lookup = lookup_owner(s, &user, why, sizeof(why), t);
		sf.user = user;
	}
	policy_decide_mail(p, &s->client, &sf, d, t);
	dir_user_unref(user);
	policy_finish(p, &s->errors, d, t);
	note_would_reject(s, d);
}

void
session_rcpt(struct session *s, const char *rcpt, struct decision *d, const struct trace *t)
{
	struct address a;

	address_parse(rcpt, &a);
	policy_decide_rcpt(s->policy, &s->client, &s->relay, &a, d, t);
	policy_finish(s->policy, &s->errors, d, t);
	note_would_reject(s, d);
}

static const char *
decision_word(const struct decision *d)
{
	if (d->would_reject)
		return "would-reject";
	switch (d->action) {
	case DECISION_CONTINUE:
		return "accept";
	case DECISION_REJECT:
		return "reject";
	case DECISION_TEMPFAIL:
		return "tempfail";
	}
	return "?";
}

void
session_log_decision(struct session *s, const char *stage, const char *rcpt,
    const struct decision *d, char *buf, size_t len)
{
	const struct client_facts *c = &s->client;
	char line[4096], reply[REPLY_TEXT_MAX + 32] = "", rcpt_text[ADDRESS_TEXT_MAX] = "";
	char auth[300];

	if (d->reply != NULL)
		reply_format(d->reply, reply, sizeof(reply));
	if (rcpt != NULL)
		address_log_escape(rcpt, rcpt_text, sizeof(rcpt_text));
	address_log_escape(s->auth[0] ? s->auth : "-", auth, sizeof(auth));
	snprintf(line, sizeof(line), "%s: decision=%s stage=%s rule=%s client=%s[%s] auth=%s "
	    "from=%s%s%s reason=\"%s\"%s%s%s%s%s%s", s->msg.qid, decision_word(d), stage,
	    d->rule ? d->rule : "-", c->name[0] ? c->name : "unknown", c->addr, auth,
	    s->msg.from_text, rcpt ? " rcpt=" : "", rcpt_text,
	    d->reason ? d->reason : "allowed", reply[0] ? " reply=\"" : "", reply,
	    reply[0] ? "\"" : "", d->detail[0] ? " detail=\"" : "", d->detail,
	    d->detail[0] ? "\"" : "");
	if (d->rule != NULL && strcmp(d->rule, "directory") == 0 && d->action == DECISION_CONTINUE)
		log_warn("%s", line);
	else
		log_info("%s", line);
	if (buf != NULL)
		snprintf(buf, len, "%s", line);
}

/*
 * session_log.c - the key=value log lines of a session: one per decision,
 * one when a message is received (Domino's "Message ... received") and
 * one when a client first authenticates ("Authentication succeeded for
 * user ..."). Every value that came from the client is escaped.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "idn.h"
#include "session.h"

/* For values inside key="...": spaces stay readable, but quotes,
 * backslashes and control or non-ASCII bytes (attacker-controlled address
 * text reaches the detail) become \xHH. */
static void
quote_safe(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\x%02X", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* A bounded line built by appending: the decision line is written on every
 * step of every transaction, and a printf pass per field costs more than
 * the policy decision itself (bench/callgrind.sh). */
struct line {
	char *p;
	size_t len, cap;
};

static void
put(struct line *l, const char *text)
{
	size_t n = strlen(text);

	if (n > l->cap - 1 - l->len)
		n = l->cap - 1 - l->len;
	memcpy(l->p + l->len, text, n);
	l->len += n;
	l->p[l->len] = '\0';
}

static void
put_field(struct line *l, const char *key, const char *value, bool quoted)
{
	put(l, key);
	if (quoted)
		put(l, "\"");
	put(l, value);
	if (quoted)
		put(l, "\"");
}

/* The client as name[ip], and the login, escaped for a log line. */
static void
put_client_auth(struct line *l, const struct session *s)
{
	char auth[300];

	address_log_escape(s->auth ? s->auth : "-", auth, sizeof(auth));
	put_field(l, " client=", s->client.name[0] ? s->client.name : "unknown", false);
	put_field(l, "[", s->client.addr, false);
	put_field(l, "] auth=", auth, false);
}

/* An international domain is also logged in its A-label form (the one
 * every list was compared with), beside the address as the client sent it. */
static void
put_idn_domain(struct line *l, const char *key, const struct address *a)
{
	if (a->kind == ADDRESS_OK && idn_domain_is_international(a->domain))
		put_field(l, key, a->domain, false);
}

void
session_log_decision(struct session *s, const char *stage, const char *rcpt,
    const struct decision *d, char *buf, size_t len)
{
	char text[4096], reply[REPLY_TEXT_MAX * 2], rcpt_text[ADDRESS_TEXT_MAX];
	char detail[sizeof(d->detail) * 4], expanded[REPLY_TEXT_MAX * 2], safe[sizeof(expanded) * 4];
	struct line l = { text, 0, sizeof(text) };
	bool warn = d->rule != NULL && strcmp(d->rule, "directory") == 0 &&
	    d->action == DECISION_CONTINUE;

	if (buf == NULL && !log_enabled(warn ? LOG_LEVEL_WARN : LOG_LEVEL_INFO))
		return;         /* log_level = "warn" on a busy relay: format nothing */
	put(&l, s->msg.qid);
	put_field(&l, ": decision=", decision_word(d), false);
	put_field(&l, " stage=", stage, false);
	put_field(&l, " rule=", d->rule ? d->rule : "-", false);
	put_client_auth(&l, s);
	put_field(&l, " from=", s->msg.from_text, false);
	put_idn_domain(&l, " from_domain=", &s->msg.from);
	if (rcpt != NULL) {
		struct address ra;
		address_log_escape(rcpt, rcpt_text, sizeof(rcpt_text));
		put_field(&l, " rcpt=", rcpt_text, false);
		address_parse(rcpt, &ra);
		put_idn_domain(&l, " rcpt_domain=", &ra);
	}
	put_field(&l, " reason=", d->reason ? d->reason : "allowed", true);
	if (d->reply != NULL) {
		session_reply_text(s, d, expanded, sizeof(expanded));
		quote_safe(expanded, safe, sizeof(safe));
		snprintf(reply, sizeof(reply), "%s %s %s", d->reply->code, d->reply->xcode, safe);
		put_field(&l, " reply=", reply, true);
	}
	if (d->detail[0] != '\0') {
		quote_safe(d->detail, detail, sizeof(detail));
		put_field(&l, " detail=", detail, true);
	}
	log_text(warn ? LOG_LEVEL_WARN : LOG_LEVEL_INFO, text);
	if (buf != NULL)
		snprintf(buf, len, "%s", text);
}

void
session_log_received(const struct session *s)
{
	char text[2048], num[32], msgid[MESSAGE_ID_MAX * 4];
	struct line l = { text, 0, sizeof(text) };

	if (!log_enabled(LOG_LEVEL_INFO))
		return;
	put(&l, s->msg.qid);
	put(&l, ": message received");
	put_client_auth(&l, s);
	put_field(&l, " from=", s->msg.from_text, false);
	snprintf(num, sizeof(num), " nrcpt=%u size=%llu", s->msg.accepted, s->msg.size + 2);
	put(&l, num);
	quote_safe(s->msg.message_id, msgid, sizeof(msgid));
	put_field(&l, " msgid=", msgid[0] ? msgid : "-", true);
	log_text(LOG_LEVEL_INFO, text);
}

void
session_log_authenticated(const struct session *s)
{
	char text[1024];
	struct line l = { text, 0, sizeof(text) };

	if (!log_enabled(LOG_LEVEL_INFO) || s->auth == NULL)
		return;
	put(&l, s->msg.qid);
	put(&l, ": authenticated");
	put_client_auth(&l, s);
	put(&l, " reason=\"authentication succeeded\"");
	log_text(LOG_LEVEL_INFO, text);
}

/*
 * rate_limit.c - which rate limits apply to a recipient, under which key,
 * and the decision from the store's answer (see rate_limit.h). Pure.
 */
#include <ctype.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "rate_limit.h"

static const char *const key_words[] = { "login", "client", "sender" };

/* ASCII lower case: a login is the same login in any case (LDAP and most
 * SASL back ends compare it so), and an attacker must not get a fresh
 * counter by writing JDoe. */
static void
fold(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; in[i] != '\0' && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

/* An IPv6 client is counted by its /64: one host is given a whole /64 and
 * can use any address of it. */
static void
client_value(const struct client_facts *c, char *out, size_t len)
{
	struct ip_addr ip = c->ip;

	if (!c->has_ip) {
		snprintf(out, len, "unknown");
		return;
	}
	if (ip.family == AF_INET6) {
		memset(ip.bytes + 8, 0, 8);
		ip_format(&ip, out, len);
		strncat(out, "/64", len - strlen(out) - 1);
		return;
	}
	ip_format(&ip, out, len);
}

/* The value a limit counts under; false when it does not apply (no login).
 * delim is verify_sender.recipient_delimiter. */
static bool
key_value(const struct rate_limit *l, const struct rate_facts *f, char delim, char *out,
    size_t len)
{
	switch (l->key) {
	case RATE_KEY_LOGIN:
		if (f->login == NULL || *f->login == '\0')
			return false;
		fold(f->user != NULL ? f->user : f->login, out, len);
		return true;
	case RATE_KEY_CLIENT:
		client_value(f->client, out, len);
		return true;
	case RATE_KEY_SENDER:
		if (f->from->kind == ADDRESS_NULL) {
			snprintf(out, len, "<>");
			return true;
		}
		/* one mailbox, one counter: neither the local part's case nor a
		 * +tag makes another (nor does anything MAIL would have refused) */
		char key[ADDRESS_TEXT_MAX];
		if (!address_key(f->from, delim, key, sizeof(key)))
			snprintf(key, sizeof(key), "%s", f->from->local);
		fold(key, out, len);
		return true;
	}
	return false;
}

static bool
exempt(const struct rate_limit *l, const struct rate_facts *f)
{
	const struct client_facts *c = f->client;
	char login[256];

	if (host_set_count(l->exempt_hosts) > 0 &&
	    host_set_match(l->exempt_hosts, c->has_ip ? &c->ip : NULL, c->name[0] ? c->name : NULL))
		return true;
	if (f->login == NULL || *f->login == '\0')
		return false;
	fold(f->login, login, sizeof(login));
	if (strmap_get(l->exempt_logins, login, strlen(login), NULL))
		return true;
	if (f->user == NULL)
		return false;
	fold(f->user, login, sizeof(login));
	return strmap_get(l->exempt_logins, login, strlen(login), NULL);
}

size_t
rate_limit_takes(const struct policy *p, const struct rate_facts *f, struct rate_take *takes,
    size_t *which, const struct trace *t)
{
	char value[RATE_KEY_MAX];
	size_t n = 0;

	for (size_t i = 0; i < p->nrate_limits && n < RATE_LIMITS_MAX; i++) {
		const struct rate_limit *l = &p->rate_limits[i];
		if (!key_value(l, f, p->verify_sender.delimiter, value, sizeof(value))) {
			decision_trace(t, "rate limit %s: no login, does not apply", l->name);
			continue;
		}
		if (exempt(l, f)) {
			decision_trace(t, "rate limit %s: %s %s is exempt", l->name, key_words[l->key],
			    value);
			continue;
		}
		struct rate_take *k = &takes[n];
		memset(k, 0, sizeof(*k));
		/* A value too long for the key is cut: two such values then share
		 * one counter, which only limits them sooner. */
		snprintf(k->key, sizeof(k->key), "%s:%u:%s:%s", l->name, l->per, key_words[l->key],
		    value);
		k->per = l->per;
		k->max_messages = l->messages;
		k->max_recipients = l->recipients;
		k->add_messages = f->first ? 1 : 0;
		k->add_recipients = 1 + f->pending;
		which[n++] = i;
	}
	return n;
}

/* "messages=3/200 recipients=5/2000": the counts before this recipient,
 * of the limits that are set. */
static void
counts(const struct rate_limit *l, const struct rate_take *k, char *out, size_t len)
{
	int used = 0;

	out[0] = '\0';
	if (l->messages > 0)
		used = snprintf(out, len, " messages=%lu/%u", k->messages, l->messages);
	if (l->recipients > 0 && used >= 0 && (size_t)used < len)
		snprintf(out + used, len - (size_t)used, " recipients=%lu/%u", k->recipients,
		    l->recipients);
}

/* "login:jdoe" of a take's key "NAME:PER:login:jdoe", for the log. */
static const char *
shown_key(const struct rate_limit *l, const struct rate_take *k)
{
	const char *v = k->key + strlen(l->name) + 1;

	v = strchr(v, ':');
	return v != NULL ? v + 1 : k->key;
}

void
rate_limit_decide(const struct policy *p, const struct rate_take *takes, const size_t *which,
    size_t n, enum rate_answer a, size_t over, const char *store, const char *why,
    struct decision *d, const struct trace *t)
{
	char c[96], key[RATE_KEY_MAX];

	for (size_t i = 0; i < n && a != RATE_UNAVAILABLE; i++) {
		const struct rate_limit *l = &p->rate_limits[which[i]];
		char pending[64] = "";
		counts(l, &takes[i], c, sizeof(c));
		if (takes[i].add_recipients > 1)        /* explain: this message's earlier ones */
			snprintf(pending, sizeof(pending), ", + %u recipient(s) of this message",
			    takes[i].add_recipients);
		decision_trace(t, "rate limit %s: %s has%s in %u s (%s)%s%s", l->name,
		    shown_key(l, &takes[i]), c, l->per, store, pending,
		    a == RATE_OVER && i == over ? ": goes over" : "");
	}
	switch (a) {
	case RATE_OK:
		return;
	case RATE_OVER: {
		const struct rate_limit *l = &p->rate_limits[which[over]];
		decision_refuse(d, decision_action_of(&l->reply), "rate_limit", "rate limit exceeded",
		    &l->reply);
		address_log_escape(shown_key(l, &takes[over]), key, sizeof(key));
		counts(l, &takes[over], c, sizeof(c));
		snprintf(d->detail, sizeof(d->detail), "limit=%s key=%s%s per=%u store=%s", l->name,
		    key, c, l->per, store);
		return;
	}
	case RATE_UNAVAILABLE:
		decision_trace(t, "rate limits: the %s store is unavailable: %s", store, why);
		decision_refuse(d, DECISION_TEMPFAIL, "rate_store", "rate limit store unavailable",
		    &p->rate_store_reply);
		snprintf(d->detail, sizeof(d->detail), "store=%s error=%s", store, why);
		return;
	}
}

void
rate_limits_free(struct rate_limit *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		host_set_free(v[i].exempt_hosts);
		strmap_free(v[i].exempt_logins);
	}
	free(v);
}

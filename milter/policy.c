/*
 * policy.c - the relay decision of DESIGN §2 and the envelope check of §4
 * (the header check of §4 is policy_headers.c, which shares the
 * verify-sender helpers of policy_internal.h).
 *
 * Pure: reads the immutable policy and the facts it is handed, writes only
 * the caller's decision. Never logs (the caller logs one line per decision)
 * and never blocks. Every branch that explain should show goes through
 * decision_trace, which costs nothing when tracing is off.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "policy_internal.h"
#include "strmap.h"

void
policy_classify_client(const struct policy *p, const struct client_facts *c,
    struct relay_state *out, const struct trace *t)
{
	const struct ip_addr *ip = c->has_ip ? &c->ip : NULL;
	const char *name = c->name[0] ? c->name : NULL;

	out->internal = (ip && host_set_match(p->internal_networks, ip, NULL)) ||
	    (name && domain_set_match(p->local_domains, name));
	decision_trace(t, "classify: client %s[%s] is %s", name ? name : "unknown", c->addr,
	    out->internal ? "internal" : "external");
	out->allowed = true;
	switch (p->relay.enforce) {
	case ENFORCE_NONE:
		out->why = "anti-relay enforcement is off";
		goto done;
	case ENFORCE_EXTERNAL:
		if (out->internal) {
			out->why = "internal host, enforcement applies to external hosts";
			goto done;
		}
		break;
	case ENFORCE_ALL:
		break;
	}
	if (host_set_match(p->relay.exclude_hosts, ip, name)) {
		out->why = "host is excluded from anti-relay checks";
		goto done;
	}
	out->allowed = false;
	out->why = "anti-relay checks apply";
done:
	decision_trace(t, "relay session: %s (%s)", out->allowed ? "allowed" : "checked", out->why);
}

void
policy_note_auth(const struct policy *p, const char *auth, struct relay_state *rs,
    const struct trace *t)
{
	if (auth == NULL || *auth == '\0')
		return;
	rs->authenticated = true;
	if (rs->allowed)
		return;
	if (p->relay.authenticated == RELAY_AUTH_ALLOW) {
		rs->allowed = true;
		rs->why = "authenticated user";
		decision_trace(t, "relay session: allowed (authenticated user %s)", auth);
	} else {
		decision_trace(t, "relay session: still checked (relay.authenticated = \"check\")");
	}
}

/* exempt_users names bare logins; {auth_authen} may carry a local realm. */
static bool
login_exempt(const struct policy *p, const char *auth)
{
	const struct strmap *ex = p->verify_sender.exempt_users;
	const char *at = strrchr(auth, '@');

	if (strmap_get(ex, auth, strlen(auth), NULL))
		return true;
	return at != NULL && at != auth && policy_is_local_realm(p, at + 1) &&
	    strmap_get(ex, auth, (size_t)(at - auth), NULL);
}

bool
policy_needs_owner(const struct policy *p, const char *auth, const struct address *from)
{
	return auth != NULL && *auth != '\0' && p->verify_sender.envelope &&
	    from->kind == ADDRESS_OK &&
	    !login_exempt(p, auth);
}

static bool
owns(const struct strmap *set, const char *key, const char *domain)
{
	char at[ADDRESS_DOMAIN_MAX + 2];

	if (strmap_get(set, key, strlen(key), NULL))
		return true;
	snprintf(at, sizeof(at), "@%s", domain);
	return domain[0] != '\0' && strmap_get(set, at, strlen(at), NULL);
}

/* Tries the address as written, then with its subaddress folded. */
bool
policy_set_has(const struct policy *p, const struct strmap *set, const struct address *from)
{
	char exact[ADDRESS_TEXT_MAX], folded[ADDRESS_TEXT_MAX];

	if (set == NULL || !address_key(from, '\0', exact, sizeof(exact)) ||
	    !address_key(from, p->verify_sender.delimiter, folded, sizeof(folded)))
		return false;
	return owns(set, exact, from->domain) || owns(set, folded, from->domain);
}

/* Unknown: not the user's own, and the groups that might own it could not
 * be read. */
enum policy_owned
policy_user_owns(const struct policy *p, const struct dir_user *u, const struct address *from)
{
	if (policy_set_has(p, u->owned, from))
		return OWNED_YES;
	if (!p->verify_sender.group_send_as || u->group_owned == NULL)
		return OWNED_NO;
	if (u->groups_error != NULL)
		return OWNED_UNKNOWN;
	return policy_set_has(p, u->group_owned, from) ? OWNED_YES : OWNED_NO;
}

void
policy_domino_words(struct decision *d, const struct client_facts *c,
    const struct sender_facts *s)
{
	char addr[ADDRESS_TEXT_MAX];

	if (!address_key(s->from, '\0', addr, sizeof(addr)))
		addr[0] = '\0';
	snprintf(d->detail, sizeof(d->detail),
	    "Message rejected. Authenticated user %s from host %s sending mail from %s "
	    "failed to match directory address %s", s->auth, c->addr, addr,
	    s->lookup == LOOKUP_FOUND && s->user->primary[0] ? s->user->primary : "(none)");
}

/* Not the user's own address, and only a group could own it: the group
 * search failed, so this sender (and only this one) is unavailable. */
void
policy_groups_unavailable(const struct policy *p, const struct sender_facts *s,
    struct decision *d, const struct trace *t)
{
	decision_trace(t, "verify sender: <%s@%s> is not the user's own and the groups are "
	    "unavailable (%s)", s->from->local, s->from->domain, s->user->groups_error);
	decision_directory_unavailable(d, p->on_failure == ON_FAILURE_ACCEPT, &p->directory_reply,
	    s->user->groups_error);
}

void
policy_decide_owner(const struct policy *p, const struct client_facts *c,
    const struct sender_facts *s, struct decision *d, const struct trace *t)
{
	switch (s->lookup) {
	case LOOKUP_TEMPFAIL:
		decision_trace(t, "verify sender: directory unavailable (%s)", s->lookup_why);
		decision_directory_unavailable(d, p->on_failure == ON_FAILURE_ACCEPT,
		    &p->directory_reply, s->lookup_why);
		return;
	case LOOKUP_NOTFOUND:
		decision_trace(t, "verify sender: user %s not found in the directory", s->auth);
		decision_refuse(d, DECISION_REJECT, "verify_sender", "authenticated user not in directory",
		    &p->verify_sender.reply);
		policy_domino_words(d, c, s);
		return;
	case LOOKUP_FOUND:
		decision_trace(t, "verify sender: user %s owns %zu address(es)", s->user->login,
		    s->user->naddresses);
		switch (policy_user_owns(p, s->user, s->from)) {
		case OWNED_YES:
			decision_trace(t, "verify sender: <%s@%s> is owned: pass", s->from->local,
			    s->from->domain);
			d->reason = "sender owned by authenticated user";
			return;
		case OWNED_UNKNOWN:
			policy_groups_unavailable(p, s, d, t);
			return;
		case OWNED_NO:
			break;
		}
		decision_trace(t, "verify sender: <%s@%s> is not owned: fail", s->from->local,
		    s->from->domain);
		decision_refuse(d, DECISION_REJECT, "verify_sender", "sender not owned by authenticated user",
		    &p->verify_sender.reply);
		policy_domino_words(d, c, s);
		return;
	}
}

void
policy_decide_mail(const struct policy *p, const struct client_facts *c,
    const struct sender_facts *s, struct decision *d, const struct trace *t)
{
	decision_init(d);
	if (s->auth == NULL || *s->auth == '\0') {
		decision_trace(t, "verify sender: not authenticated, nothing to verify");
		d->reason = "not authenticated";
		return;
	}
	if (!p->verify_sender.envelope) {
		decision_trace(t, "verify sender: verify_sender.envelope is off");
		return;
	}
	if (login_exempt(p, s->auth)) {
		decision_trace(t, "verify sender: %s is in verify_sender.exempt_users: pass", s->auth);
		return;
	}
	switch (s->from->kind) {
	case ADDRESS_NULL:
		decision_trace(t, "verify sender: null sender <> (verify_sender.null_sender = %s)",
		    p->verify_sender.null_sender == NULL_SENDER_ALLOW ? "allow" : "reject");
		if (p->verify_sender.null_sender == NULL_SENDER_REJECT)
			decision_refuse(d, DECISION_REJECT, "verify_sender",
			    "null sender from authenticated user", &p->verify_sender.reply);
		return;
	case ADDRESS_INVALID:
		decision_trace(t, "verify sender: unparsable sender (%s)", s->from->error);
		decision_refuse(d, DECISION_REJECT, "verify_sender", "unparsable sender address",
		    &p->verify_sender.reply);
		return;
	case ADDRESS_OK:
		policy_decide_owner(p, c, s, d, t);
		return;
	}
}


static const char *const verdict_names[] = { "no opinion (lists empty)", "permitted", "refused" }; /* by decision_lists */

static bool
relay_permitted(const struct policy *p, const struct client_facts *c, const char *dest,
    const struct trace *t)
{
	const struct relay_policy *r = &p->relay;
	const struct ip_addr *ip = c->has_ip ? &c->ip : NULL;
	const char *name = c->name[0] ? c->name : NULL;

	enum decision_lists host = decision_lists(host_set_match(r->allow_from_hosts, ip, name),
	    host_set_match(r->deny_from_hosts, ip, name), host_set_count(r->allow_from_hosts),
	    host_set_count(r->deny_from_hosts), r->deny_wins);
	enum decision_lists to = decision_lists(domain_set_match(r->allow_to_domains, dest),
	    domain_set_match(r->deny_to_domains, dest), domain_set_count(r->allow_to_domains),
	    domain_set_count(r->deny_to_domains), r->deny_wins);
	decision_trace(t, "relay: host %s[%s] %s; destination %s %s", name ? name : "unknown",
	    c->addr, verdict_names[host], dest, verdict_names[to]);
	if (host == LISTS_PERMIT || to == LISTS_PERMIT)
		return true;
	return host == LISTS_NO_SAY && to == LISTS_NO_SAY;
}

static void
refuse_relay(const struct policy *p, struct decision *d, const char *reason, const char *dest)
{
	decision_refuse(d, DECISION_REJECT, "relay", reason, &p->relay.reply);
	snprintf(d->detail, sizeof(d->detail), "destination=%s", dest[0] ? dest : "(empty)");
}

/* Judge mode judges one hidden hop. "a%b%c@local", "a!b!u@local" or a mix
 * name several; judging only one would let the next one through, so they
 * are refused. A source route's further hops are not visible here, so one
 * whose first hop is local is refused too. */
static bool
multi_hop(const struct policy *p, const struct address *a)
{
	size_t hops = 0;

	for (const char *c = a->local; *c; c++)
		hops += *c == '%' || *c == '!' || *c == '@';
	return hops > 1 || (a->route == ROUTE_SOURCE && policy_is_local_domain(p, a->route_domain));
}

/* Step 5: which destination is judged. Returns NULL when the recipient is
 * local and not a relay at all; sets *hidden_reject for reject mode. */
static const char *
judged_destination(const struct policy *p, const struct address *a, bool *hidden_reject,
    const struct trace *t)
{
	bool local = a->domain[0] == '\0' || policy_is_local_domain(p, a->domain);

	*hidden_reject = false;
	if (a->route == ROUTE_NONE || !local) {
		decision_trace(t, "recipient: domain %s is %s", a->domain[0] ? a->domain : "(none)",
		    local ? "local" : "external");
		return local ? NULL : a->domain;
	}
	decision_trace(t, "recipient: local domain %s hides destination %s",
	    a->domain[0] ? a->domain : "(none)", a->route_domain[0] ? a->route_domain : "(empty)");
	if (p->relay.hidden_routes == HIDDEN_REJECT || a->route_domain[0] == '\0' ||
	    multi_hop(p, a)) {
		*hidden_reject = true;
		return a->route_domain;
	}
	if (policy_is_local_domain(p, a->route_domain))
		return NULL;
	return a->route_domain;
}

void
policy_decide_relay(const struct policy *p, const struct client_facts *c,
    const struct relay_state *rs, const struct address *rcpt, struct decision *d,
    const struct trace *t)
{
	bool hidden_reject;

	decision_init(d);
	if (rs->allowed) {
		decision_trace(t, "relay: allowed for this session (%s)", rs->why);
		d->reason = rs->why;
		return;
	}
	if (rcpt->kind != ADDRESS_OK) {
		decision_trace(t, "recipient: unparsable (%s)",
		    rcpt->kind == ADDRESS_NULL ? "null path" : rcpt->error);
		refuse_relay(p, d, "relay denied: unparsable recipient", "");
		return;
	}
	const char *dest = judged_destination(p, rcpt, &hidden_reject, t);
	if (dest == NULL) {
		decision_trace(t, "relay: local recipient, not a relay");
		d->reason = "local recipient";
		return;
	}
	if (hidden_reject) {
		decision_trace(t, "relay: hidden route refused (relay.hidden_routes = \"reject\")");
		refuse_relay(p, d, "relay denied: hidden route in local recipient", dest);
		return;
	}
	if (relay_permitted(p, c, dest, t)) {
		decision_trace(t, "relay: permitted by the relay lists");
		d->reason = "relay permitted by the relay lists";
		return;
	}
	refuse_relay(p, d, "relay denied", dest);
}

bool
policy_needs_recipient(const struct policy *p, const struct address *rcpt)
{
	const struct recipient_policy *r = &p->recipients;

	return (r->verify_local || r->deny_groups != DENY_GROUPS_NONE || r->deny_ambiguous) &&
	    rcpt->kind == ADDRESS_OK && rcpt->route == ROUTE_NONE && rcpt->domain[0] != '\0' &&
	    policy_is_local_domain(p, rcpt->domain);
}

static bool
groups_denied(const struct policy *p, const struct relay_state *rs)
{
	switch (p->recipients.deny_groups) {
	case DENY_GROUPS_NONE:
		return false;
	case DENY_GROUPS_EXTERNAL:
		return !rs->internal && !rs->authenticated;
	case DENY_GROUPS_ALL:
		return true;
	}
	return true;
}

/* One directory answer judges verify_local, deny_groups and deny_ambiguous. */
static void
decide_recipient(const struct policy *p, const struct relay_state *rs,
    const struct recipient_facts *rf, struct decision *d, const struct trace *t)
{
	const struct recipient_policy *r = &p->recipients;

	switch (rf->lookup) {
	case LOOKUP_TEMPFAIL:
		decision_trace(t, "recipient: directory unavailable (%s)", rf->why);
		decision_directory_unavailable(d, p->on_failure == ON_FAILURE_ACCEPT,
		    &p->directory_reply, rf->why);
		return;
	case LOOKUP_NOTFOUND:
		decision_trace(t, "recipient: not in the directory");
		if (r->verify_local)
			decision_refuse(d, DECISION_REJECT, "verify_local", "no such user",
			    &r->verify_local_reply);
		return;
	case LOOKUP_FOUND:
		break;
	}
	decision_trace(t, "recipient: the directory knows it as %s", rf->kind == RECIPIENT_GROUP ?
	    "a group" : rf->kind == RECIPIENT_AMBIGUOUS ? "several entries" : "a person");
	if (rf->kind == RECIPIENT_AMBIGUOUS && r->deny_ambiguous)
		decision_refuse(d, DECISION_REJECT, "deny_ambiguous", "recipient is ambiguous",
		    &r->deny_ambiguous_reply);
	else if (rf->kind == RECIPIENT_GROUP && groups_denied(p, rs))
		decision_refuse(d, DECISION_REJECT, "deny_groups", "mail to groups is not accepted",
		    &r->deny_groups_reply);
}

void
policy_decide_recipient(const struct policy *p, const struct relay_state *rs,
    const struct recipient_facts *rf, struct decision *d, const struct trace *t)
{
	if (d->action == DECISION_CONTINUE && rf->asked)
		decide_recipient(p, rs, rf, d, t);
}

void
policy_finish(const struct policy *p, unsigned *errors, struct decision *d,
    const struct trace *t)
{
	if (d->action == DECISION_CONTINUE)
		return;
	if (p->report_only) {
		decision_trace(t, "report_only: would %s, continuing",
		    d->action == DECISION_REJECT ? "reject" : "tempfail");
		d->would_reject = true;
		d->action = DECISION_CONTINUE;
		return;
	}
	if (p->error_limit == 0 || ++*errors < (unsigned)p->error_limit)
		return;
	decision_trace(t, "error limit: %u refusals in this session, closing with 421", *errors);
	d->action = DECISION_TEMPFAIL;
	d->disconnect = true;
	d->reply = &p->error_limit_reply;
}

bool
policy_needs_owner_headers(const struct policy *p, const char *auth)
{
	return auth != NULL && *auth != '\0' && p->verify_sender.headers &&
	    !login_exempt(p, auth);
}

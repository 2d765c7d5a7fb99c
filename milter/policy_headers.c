/*
 * policy_headers.c - the originator-header check of DESIGN §4 at end of
 * headers: Domino's rule (Sender: if present, else From:) or
 * headers_rule "from_and_sender" (both, with on-behalf rights for From:).
 *
 * Pure, as policy.c: reads the immutable policy and the facts, writes only
 * the caller's decision, never logs or blocks. Ownership and the refusal
 * words come from policy.c (policy_internal.h); calls go that way only.
 */
#include <stdio.h>

#include "header.h"
#include "policy.h"
#include "policy_headers.h"
#include "policy_internal.h"

static void
malformed(const struct policy *p, struct decision *d, const char *why, const struct trace *t)
{
	decision_trace(t, "verify headers: malformed: %s", why);
	decision_refuse(d, DECISION_REJECT, "verify_sender", "malformed originator header",
	    &p->malformed_reply);
	snprintf(d->detail, sizeof(d->detail), "%s", why);
}

/* Domino's rule: the Sender: header if present, else From:. Returns the
 * value to check, or NULL after refusing the message as malformed. */
static const char *
header_to_check(const struct policy *p, const struct header_facts *h, const char **name,
    struct decision *d, const struct trace *t)
{
	if (h->nfrom > 1 || h->nsender > 1) {
		malformed(p, d, h->nfrom > 1 ? "more than one From: header" :
		    "more than one Sender: header", t);
		return NULL;
	}
	*name = h->sender ? "Sender" : "From";
	return h->sender ? h->sender : h->from;
}

/* The first mailbox not owned (OWNED_NO or OWNED_UNKNOWN, in *first), or
 * OWNED_YES when all are. */
static enum policy_owned
mailboxes_owned(const struct policy *p, const struct sender_facts *s,
    const struct mailbox_list *boxes, const char *name, size_t *first, const struct trace *t)
{
	static const char *const words[] = { "not owned", "owned", "unknown (groups unavailable)" };

	for (size_t i = 0; i < boxes->count; i++) {
		const struct address *a = &boxes->boxes[i];
		enum policy_owned owned = policy_user_owns(p, s->user, a);
		decision_trace(t, "verify headers: %s: <%s@%s> is %s", name, a->local, a->domain,
		    words[owned]);
		if (owned != OWNED_YES) {
			*first = i;
			return owned;
		}
	}
	return OWNED_YES;
}

static void
judge_mailboxes(const struct policy *p, const struct client_facts *c,
    const struct sender_facts *s, const struct mailbox_list *boxes, const char *name,
    struct decision *d, const struct trace *t)
{
	struct sender_facts first = *s;

	first.from = &boxes->boxes[0];
	if (s->lookup != LOOKUP_FOUND) {
		policy_decide_owner(p, c, &first, d, t);    /* unavailable or unknown user */
		return;
	}
	size_t i = 0;
	switch (mailboxes_owned(p, s, boxes, name, &i, t)) {
	case OWNED_YES:
		d->reason = "originator header owned by authenticated user";
		snprintf(d->detail, sizeof(d->detail), "headers_rule=domino checked=%s:", name);
		return;
	case OWNED_UNKNOWN:
		first.from = &boxes->boxes[i];
		policy_groups_unavailable(p, &first, d, t);
		return;
	case OWNED_NO:
		first.from = &boxes->boxes[i];
		break;
	}
	decision_refuse(d, DECISION_REJECT, "verify_sender",
	    "header sender not owned by authenticated user", &p->verify_sender.reply);
	policy_domino_words(d, c, &first);
}

/* ---- verify_sender.headers_rule = "from_and_sender" ---- */

/* Parses one originator header; false after refusing it as malformed. */
static bool
parse_originator(const struct policy *p, const char *value, struct mailbox_list *boxes,
    struct decision *d, const struct trace *t)
{
	const char *error;

	if (header_parse_mailboxes(value, boxes, &error) < 0) {
		malformed(p, d, error, t);
		return false;
	}
	if (boxes->count == 0) {
		malformed(p, d, "no mailbox in the originator header", t);
		return false;
	}
	return true;
}

/* The first mailbox of list the user does not own (NULL: all owned). With
 * behalf != NULL, a mailbox granted on-behalf passes too and the first
 * such one is noted in *behalf. */
static const struct address *
first_not_owned(const struct policy *p, const struct dir_user *u,
    const struct mailbox_list *list, const char *name, const struct address **behalf,
    bool *unknown, const struct trace *t)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct address *a = &list->boxes[i];
		enum policy_owned owned = policy_user_owns(p, u, a);
		bool granted = owned != OWNED_YES && behalf != NULL && policy_set_has(p, u->on_behalf, a);
		decision_trace(t, "verify headers: %s: <%s@%s> is %s", name, a->local, a->domain,
		    owned == OWNED_YES ? "owned" : granted ? "sent on behalf of its owner (on_behalf)" :
		    owned == OWNED_UNKNOWN ? "unknown (groups unavailable)" : "not owned");
		if (granted && *behalf == NULL)
			*behalf = a;
		if (owned != OWNED_YES && !granted) {
			*unknown = owned == OWNED_UNKNOWN;
			return a;
		}
	}
	return NULL;
}

static void
judge_from_and_sender(const struct policy *p, const struct client_facts *c,
    const struct sender_facts *s, const struct mailbox_list *from,
    const struct mailbox_list *sender, struct decision *d, const struct trace *t)
{
	struct sender_facts bad = *s;
	const struct address *behalf = NULL;

	bad.from = sender->count > 0 ? &sender->boxes[0] : &from->boxes[0];
	if (s->lookup != LOOKUP_FOUND) {
		policy_decide_owner(p, c, &bad, d, t);    /* unavailable or unknown user */
		return;
	}
	/* On behalf needs the user's own Sender: beside it, as readers show
	 * "Sender on behalf of From"; without one it would be send-as. */
	bool unknown = false;
	bad.from = first_not_owned(p, s->user, sender, "Sender", NULL, &unknown, t);
	bool in_sender = bad.from != NULL;
	if (!in_sender)
		bad.from = first_not_owned(p, s->user, from, "From",
		    sender->count > 0 ? &behalf : NULL, &unknown, t);
	if (bad.from != NULL && unknown) {
		policy_groups_unavailable(p, &bad, d, t);
		return;
	}
	if (bad.from != NULL) {
		decision_refuse(d, DECISION_REJECT, "verify_sender", in_sender ?
		    "header sender not owned by authenticated user (Sender:, headers_rule "
		    "from_and_sender)" : "header sender not owned by authenticated user (From:, "
		    "headers_rule from_and_sender)", &p->verify_sender.reply);
		policy_domino_words(d, c, &bad);
		return;
	}
	d->reason = behalf != NULL ? "From: on behalf of its owner, Sender: owned" :
	    "originator headers owned by authenticated user";
	if (behalf != NULL)
		snprintf(d->detail, sizeof(d->detail), "headers_rule=from_and_sender on_behalf=<%s@%s>",
		    behalf->local, behalf->domain);
	else
		snprintf(d->detail, sizeof(d->detail), "headers_rule=from_and_sender");
	d->noteworthy = behalf != NULL;   /* a delegation used: the audit wants it */
}

static void
decide_from_and_sender(const struct policy *p, const struct client_facts *c,
    const struct sender_facts *s, const struct header_facts *h, struct decision *d,
    const struct trace *t)
{
	struct mailbox_list from = { 0 }, sender = { 0 };

	decision_trace(t, "verify headers: headers_rule from_and_sender: From: and Sender: "
	    "must both be owned");
	if ((h->sender == NULL || parse_originator(p, h->sender, &sender, d, t)) &&
	    (h->from == NULL || parse_originator(p, h->from, &from, d, t))) {
		if (h->sender == NULL && from.count > 1)
			malformed(p, d, "From: has several mailboxes and there is no Sender:", t);
		else
			judge_from_and_sender(p, c, s, &from, &sender, d, t);
	}
	header_mailboxes_free(&from);
	header_mailboxes_free(&sender);
}

void
policy_headers_decide(const struct policy *p, const struct client_facts *c,
    const struct sender_facts *s, const struct header_facts *h, struct decision *d,
    const struct trace *t)
{
	struct mailbox_list boxes;
	const char *name = "From", *error;

	decision_init(d);
	if (!policy_needs_owner_headers(p, s->auth)) {
		decision_trace(t, "verify headers: not checked (%s)", s->auth == NULL ?
		    "not authenticated" : !p->verify_sender.headers ? "verify_sender.headers off" :
		    "exempt user");
		d->reason = "headers not checked";
		return;
	}
	const char *value = header_to_check(p, h, &name, d, t);
	if (d->action != DECISION_CONTINUE)
		return;
	if (value == NULL) {
		decision_trace(t, "verify headers: no From: or Sender: header; envelope was checked");
		d->reason = "no originator header";
		return;
	}
	if (p->verify_sender.headers_rule == HEADERS_FROM_AND_SENDER) {
		decide_from_and_sender(p, c, s, h, d, t);
		return;
	}
	if (header_parse_mailboxes(value, &boxes, &error) < 0) {
		malformed(p, d, error, t);
		return;
	}
	if (boxes.count == 0)
		malformed(p, d, "no mailbox in the originator header", t);
	else if (h->sender == NULL && boxes.count > 1)
		malformed(p, d, "From: has several mailboxes and there is no Sender:", t);
	else
		judge_mailboxes(p, c, s, &boxes, name, d, t);
	header_mailboxes_free(&boxes);
}

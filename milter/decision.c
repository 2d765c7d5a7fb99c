/*
 * decision.c - the decision vocabulary of the engine (see decision.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "decision.h"

void
decision_init(struct decision *d)
{
	memset(d, 0, sizeof(*d));
	d->action = DECISION_CONTINUE;
}

const char *
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

enum decision_action
decision_action_of(const struct reply *r)
{
	return r->klass == REPLY_TEMPFAIL ? DECISION_TEMPFAIL : DECISION_REJECT;
}

void
decision_refuse(struct decision *d, enum decision_action action, const char *rule,
    const char *reason, const struct reply *reply)
{
	d->action = action;
	d->rule = rule;
	d->reason = reason;
	d->reply = reply;
}

void
decision_trace(const struct trace *t, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (t == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	t->emit(t->ctx, line);
}

enum decision_lists
decision_lists(bool allow_hit, bool deny_hit, size_t nallow, size_t ndeny, bool deny_wins)
{
	if (nallow == 0 && ndeny == 0)
		return LISTS_NO_SAY;
	if (allow_hit && !(deny_hit && deny_wins))
		return LISTS_PERMIT;
	if (deny_hit || nallow > 0)
		return LISTS_REFUSE;
	return LISTS_PERMIT;
}

void
decision_directory_unavailable(struct decision *d, bool accept, const struct reply *reply,
    const char *why)
{
	if (accept) {
		d->rule = "directory";
		d->reason = "directory unavailable, accepted by directory.on_failure";
		return;
	}
	decision_refuse(d, DECISION_TEMPFAIL, "directory", "directory unavailable", reply);
	snprintf(d->detail, sizeof(d->detail), "%s", why);
}

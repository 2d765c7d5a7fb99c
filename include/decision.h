/*
 * decision.h - the vocabulary every stage of the engine decides in: a
 * decision (continue, reject, tempfail, with the rule, the reason in a
 * Domino admin's words and the reply), explain's trace, and the two rules
 * several controls share — allow/deny lists, and what an unavailable
 * directory means. Pure: no I/O, no policy.
 */
#ifndef RW_DECISION_H
#define RW_DECISION_H

#include <stdbool.h>
#include <stddef.h>

#include "compat.h"
#include "reply.h"

enum decision_action {
	DECISION_CONTINUE,
	DECISION_REJECT,
	DECISION_TEMPFAIL,
};

struct decision {
	enum decision_action action;
	bool would_reject;               /* report_only turned a refusal into CONTINUE */
	bool disconnect;                 /* error_limit reached: 421 and close */
	bool noteworthy;                 /* an accept worth an info line (on-behalf used) */
	const char *rule;                /* "relay", "verify_sender", "directory", ... */
	const char *reason;              /* static, in a Domino admin's words */
	const struct reply *reply;       /* points into the policy; NULL on CONTINUE */
	const char *zone;                /* %z of the reply (DNSBL zone), or NULL */
	char detail[512];                /* extra words for the log line, may be "" */
};

/* explain's window into the engine; NULL in the milter. */
struct trace {
	void (*emit)(void *ctx, const char *line);
	void *ctx;
};

/* A fresh CONTINUE decision. */
void decision_init(struct decision *d);
/* Turns d into a refusal with the policy's reply. */
void decision_refuse(struct decision *d, enum decision_action action, const char *rule,
    const char *reason, const struct reply *reply);
/* "accept", "reject", "tempfail" or "would-reject" (report_only): the
 * decision= word of the log line and the metrics label. */
const char *decision_word(const struct decision *d);
/* REJECT or TEMPFAIL, as the reply's own code says (recipients.max). */
enum decision_action decision_action_of(const struct reply *r);
/* Formats one step for explain; does nothing when t is NULL. */
void decision_trace(const struct trace *t, const char *fmt, ...) RW_PRINTF(2, 3);

/* One allow list and one deny list (Domino's rule, for each side of the
 * relay lists and for the sender and recipient lists): allow beats deny
 * unless deny_wins; a non-empty allow list refuses what it does not name;
 * two empty lists have no say. */
enum decision_lists { LISTS_NO_SAY, LISTS_PERMIT, LISTS_REFUSE };
enum decision_lists decision_lists(bool allow_hit, bool deny_hit, size_t nallow, size_t ndeny,
    bool deny_wins);

/* The directory could not answer (why): with on_failure = "accept" the
 * step continues, logged under rule "directory" (a warning line); else it
 * defers with reply (directory.reply, 451 4.7.1) — never an accept of an
 * unverified sender, never a 5xx. */
void decision_directory_unavailable(struct decision *d, bool accept, const struct reply *reply,
    const char *why);

#endif

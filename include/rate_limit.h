/*
 * rate_limit.h - the rate limits of a policy (rate_limits = ( ... )) and
 * their part of the RCPT decision. Pure: which limits apply to a
 * recipient and under which key, and what the store's answer means; the
 * counting itself is rate_store.c's, called by session.c.
 */
#ifndef RW_RATE_LIMIT_H
#define RW_RATE_LIMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "address.h"
#include "decision.h"
#include "rate_store.h"
#include "reply.h"

#define RATE_LIMITS_MAX 16

enum rate_key { RATE_KEY_LOGIN, RATE_KEY_CLIENT, RATE_KEY_SENDER };

struct rate_limit {
	char *name;
	enum rate_key key;
	unsigned messages;              /* per window; 0 = not limited */
	unsigned recipients;            /* per window; 0 = not limited */
	unsigned per;                   /* seconds */
	struct host_set *exempt_hosts;
	struct strmap *exempt_logins;   /* lower-cased */
	struct reply reply;             /* 451 4.7.1 Rate limit exceeded, try again later */
};

struct client_facts;
struct policy;

/* One recipient about to be accepted. */
struct rate_facts {
	const struct client_facts *client;
	const char *login;              /* SMTP AUTH login, or NULL */
	const char *user;               /* the directory's name for it, when looked up */
	const struct address *from;
	bool first;                     /* the message's first accepted recipient */
	unsigned pending;               /* explain: recipients accepted before, not counted */
};

/* The checks for the limits that apply, in takes (RATE_LIMITS_MAX) and,
 * for each, the index of its limit in which. Returns how many. */
size_t rate_limit_takes(const struct policy *p, const struct rate_facts *f,
    struct rate_take *takes, size_t *which, const struct trace *t);
/* The store's answer as a decision: CONTINUE for RATE_OK, the limit's
 * reply for RATE_OVER, rate_store.reply for RATE_UNAVAILABLE. */
void rate_limit_decide(const struct policy *p, const struct rate_take *takes,
    const size_t *which, size_t n, enum rate_answer a, size_t over, const char *store,
    const char *why, struct decision *d, const struct trace *t);
void rate_limits_free(struct rate_limit *v, size_t n);

#endif

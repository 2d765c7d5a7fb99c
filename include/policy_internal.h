/*
 * policy_internal.h - the verify-sender helpers policy.c shares with
 * policy_headers.c. Only for policy*.c: the rest of the program calls the
 * public functions of policy.h and policy_headers.h.
 *
 * Defined in policy.c and used by policy_headers.c, never the other way
 * (tests/cycles.py forbids a cycle). Pure, like both users.
 */
#ifndef RW_POLICY_INTERNAL_H
#define RW_POLICY_INTERNAL_H

#include "policy.h"

enum policy_owned { OWNED_NO, OWNED_YES, OWNED_UNKNOWN };

/* True if set (a directory user's owned, group_owned or on_behalf set; NULL
 * is empty) holds the address as written or with its subaddress folded. */
bool policy_set_has(const struct policy *p, const struct strmap *set, const struct address *a);
/* Whether user u owns a: its own addresses, then (group_send_as) its
 * groups'; unknown when only a group could and the groups were unreadable. */
enum policy_owned policy_user_owns(const struct policy *p, const struct dir_user *u,
    const struct address *a);
/* Domino's refusal words (user, host, s->from, directory address) in d->detail. */
void policy_domino_words(struct decision *d, const struct client_facts *c,
    const struct sender_facts *s);
/* s->from is not the user's own and the groups could not be read: the
 * directory-unavailable decision (on_failure) for this sender. */
void policy_groups_unavailable(const struct policy *p, const struct sender_facts *s,
    struct decision *d, const struct trace *t);
/* The verify-sender verdict on s->from (an ADDRESS_OK address) given the
 * directory's answer in s: unavailable, unknown user, owned or not owned. */
void policy_decide_owner(const struct policy *p, const struct client_facts *c,
    const struct sender_facts *s, struct decision *d, const struct trace *t);

#endif

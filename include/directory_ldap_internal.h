/*
 * directory_ldap_internal.h - what the LDAP backend's modules share: only
 * directory_ldap*.c include it (directory_ldap.c, directory_ldap_groups.c,
 * directory_ldap_values.c); everyone else sees directory_ldap.h.
 *
 * Calls go one way: directory_ldap.c calls the groups and values modules,
 * the groups module calls the values module, and the values module calls
 * neither (tests/cycles.py).
 */
#ifndef RW_DIRECTORY_LDAP_INTERNAL_H
#define RW_DIRECTORY_LDAP_INTERNAL_H

#include <ldap.h>
#include <stdbool.h>
#include <stddef.h>

#include "directory.h"
#include "directory_ldap.h"
#include "strlist.h"

#define MEMBER_OF_ATTR "memberOf"

struct ldap_dir {
	struct ldap_config cfg;     /* deep copy */
	char *password;             /* NULL: anonymous */
	struct ldap_conn *conn;
	char *group_match;          /* (&(|(objectClass=<each group class>))<group_filter>) */
};

/* One user lookup in progress: the entry read, and what it names to read next. */
struct user_ctx {
	struct ldap_dir *d;
	struct dir_user *user;
	bool group;                 /* addresses go to group_owned */
	char *dn;
	struct strlist send_as_dns;
	struct strlist member_of;   /* nested_groups = "member_of": the user's groups */
	unsigned other_types;       /* X500:, SIP:, ... values ignored */
	struct strlist own;         /* the entry's own address values, for on_behalf */
};

/* ---- directory_ldap_values.c ---- */

/* Replaces every %<c> in tmpl by the escaped value. Returns NULL if a value
 * cannot be escaped (never for valid input). The caller frees. */
char *directory_ldap_values_filter(const char *tmpl, char c, const char *value);

typedef void address_value_fn(const char *value, struct user_ctx *c, void *arg);

/* Calls fn for each text value of attr (no NUL, short enough), AD's smtp:
 * prefix removed; values of another type (X500:, SIP:, ...) are counted in
 * c->other_types when count is true. */
void directory_ldap_values_each(LDAP *ld, LDAPMessage *e, const char *attr, struct user_ctx *c,
    bool count, address_value_fn *fn, void *arg);
/* attr's owned addresses to owned (group_owned while c->group), other
 * values (send-as DNs) to non_addresses if given. */
void directory_ldap_values_add(LDAP *ld, LDAPMessage *e, const char *attr, struct user_ctx *c,
    struct strlist *non_addresses);
/* An ldap_conn_search callback (arg: the user_ctx): every address_attributes
 * value of the entry, as directory_ldap_values_add. */
void directory_ldap_values_collect(LDAP *ld, LDAPMessage *e, void *arg);

/* ---- directory_ldap_groups.c ---- */

/* (&(|(objectClass=<each group class>))<group_filter>): what makes an entry
 * a group. The caller frees. */
char *directory_ldap_groups_match(const struct ldap_config *cfg);
/* From the user's entry: its memberOf values (nested_groups = "member_of"),
 * and its own addresses, which on_behalf values may name. */
void directory_ldap_groups_add_member_of(LDAP *ld, LDAPMessage *e, struct user_ctx *c);
void directory_ldap_groups_remember_own(LDAP *ld, LDAPMessage *e, struct user_ctx *c);
/* The user's groups' addresses to group_owned; a failed search marks the
 * groups unavailable (directory_user_groups_failed), not the lookup. */
void directory_ldap_groups_add(struct ldap_dir *d, struct user_ctx *c);
/* The addresses of owners whose on_behalf_attributes name the user (no
 * search when none is set). LOOKUP_TEMPFAIL on an outage, else LOOKUP_FOUND. */
enum lookup_result directory_ldap_groups_add_on_behalf(struct ldap_dir *d, struct user_ctx *c,
    char *why, size_t whylen);

#endif

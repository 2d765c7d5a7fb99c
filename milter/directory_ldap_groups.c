/*
 * directory_ldap_groups.c - whose addresses besides their own an LDAP user
 * may send as: the groups they are in (group send-as, nested_groups) and
 * the owners whose on_behalf_attributes name them (contracts in
 * directory_ldap_internal.h; directory_ldap_groups_filter in
 * directory_ldap.h).
 *
 * A failed group search marks only the groups unavailable
 * (dir_user.groups_error); a failed on-behalf search fails the lookup.
 */
#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "directory_ldap.h"
#include "directory_ldap_internal.h"
#include "ldap_conn.h"
#include "log.h"
#include "xalloc.h"

/* AD's LDAP_MATCHING_RULE_IN_CHAIN: membership through any depth of groups. */
#define IN_CHAIN_OID "1.2.840.113556.1.4.1941"
#define MEMBER_OF_MAX 256           /* groups read per user (member_of) */

/* The user's memberOf values, at most MEMBER_OF_MAX (logged beyond). */
void
directory_ldap_groups_add_member_of(LDAP *ld, LDAPMessage *e, struct user_ctx *c)
{
	struct berval **vals = ldap_get_values_len(ld, e, MEMBER_OF_ATTR);
	size_t n = vals ? (size_t)ldap_count_values_len(vals) : 0;

	for (size_t i = 0; i < n && i < MEMBER_OF_MAX; i++) {
		if (memchr(vals[i]->bv_val, '\0', vals[i]->bv_len) != NULL)
			continue;
		char *dn = xasprintf("%.*s", (int)vals[i]->bv_len, vals[i]->bv_val);
		strlist_add(&c->member_of, dn);
		free(dn);
	}
	if (n > MEMBER_OF_MAX)
		log_info("ldap: login %s is in %zu groups; the first %d are read for group send-as",
		    c->user->login, n, MEMBER_OF_MAX);
	ldap_value_free_len(vals);
}

/* The entry's own address values as stored (and normalised, when that
 * differs): what an owner's on_behalf attribute may name besides the DN. */
static void
remember_value(const char *v, struct user_ctx *c, void *arg)
{
	char key[ADDRESS_TEXT_MAX];

	(void)arg;
	if (v[0] == '@' || !directory_owned_key(v, key, sizeof(key)))
		return;
	strlist_add(&c->own, v);
	if (strcmp(key, v) != 0)
		strlist_add(&c->own, key);
}

void
directory_ldap_groups_remember_own(LDAP *ld, LDAPMessage *e, struct user_ctx *c)
{
	if (c->d->cfg.on_behalf_attributes.n == 0)
		return;
	for (size_t a = 0; a < c->d->cfg.address_attributes.n; a++)
		directory_ldap_values_each(ld, e, c->d->cfg.address_attributes.v[a], c, false,
		    remember_value, NULL);
}

/* (&(|(objectClass=groupOfNames)(objectClass=group)...)<group_filter>):
 * what makes an entry a group, for group send-as. */
char *
directory_ldap_groups_match(const struct ldap_config *cfg)
{
	char *classes = xstrdup(""), *f;

	for (size_t i = 0; i < cfg->group_classes.n; i++) {
		char *joined = xasprintf("%s(objectClass=%s)", classes, cfg->group_classes.v[i]);
		free(classes);
		classes = joined;
	}
	f = xasprintf("(&(|%s)%s)", classes, cfg->group_filter);
	free(classes);
	return f;
}

/* (&<match>(|(member=<dn>)(uniqueMember=<dn>))), or with in_chain
 * (member:1.2.840.113556.1.4.1941:=<dn>) for each member attribute. */
static char *
groups_of_filter(const struct ldap_config *cfg, const char *match, const char *dn)
{
	bool chain = cfg->nested_groups == LDAP_NESTED_IN_CHAIN;
	char *parts = xstrdup(""), *f;

	for (size_t i = 0; i < cfg->member_attributes.n; i++) {
		char *tmpl = xasprintf("(%s%s=%%u)", cfg->member_attributes.v[i],
		    chain ? ":" IN_CHAIN_OID ":" : "");
		char *one = directory_ldap_values_filter(tmpl, 'u', dn);
		char *joined = xasprintf("%s%s", parts, one ? one : "");
		free(tmpl);
		free(one);
		free(parts);
		parts = joined;
	}
	f = xasprintf("(&%s(|%s))", match, parts);
	free(parts);
	return f;
}

static char *
group_search_filter(struct ldap_dir *d, const char *dn)
{
	return groups_of_filter(&d->cfg, d->group_match, dn);
}

/* nested_groups = "member_of": each group the user's memberOf names, read
 * if it is a group (group_classes, group_filter). */
static enum lookup_result
add_member_of_groups(struct ldap_dir *d, struct user_ctx *c, char *why, size_t whylen)
{
	int entries;

	for (size_t i = 0; i < c->member_of.n; i++) {
		struct ldap_search s = { c->member_of.v[i], LDAP_SCOPE_BASE, d->group_match,
			d->cfg.address_attributes.v, 1, true };
		if (ldap_conn_search(d->conn, &s, directory_ldap_values_collect, c, &entries, why,
		    whylen) == LOOKUP_TEMPFAIL)
			return LOOKUP_TEMPFAIL;
	}
	return LOOKUP_FOUND;
}

/* The groups' addresses go to group_owned. A failed group search is not an
 * outage of the whole lookup: the user's own addresses are known, and only
 * a sender that needs a group is unavailable (dir_user.groups_error). */
void
directory_ldap_groups_add(struct ldap_dir *d, struct user_ctx *c)
{
	char why[512] = "";
	enum lookup_result r;

	c->group = true;
	if (d->cfg.nested_groups == LDAP_NESTED_MEMBER_OF) {
		r = add_member_of_groups(d, c, why, sizeof(why));
	} else {
		char *filter = group_search_filter(d, c->dn);
		struct ldap_search s = { d->cfg.base, LDAP_SCOPE_SUBTREE, filter,
			d->cfg.address_attributes.v, 100, false };
		int entries;
		r = ldap_conn_search(d->conn, &s, directory_ldap_values_collect, c, &entries, why,
		    sizeof(why));
		free(filter);
	}
	c->group = false;
	if (r == LOOKUP_TEMPFAIL) {
		log_warn("ldap: groups of %s unavailable: %s (only senders that need a group are "
		    "refused with the directory reply)", c->user->login, why);
		directory_user_groups_failed(c->user, why);
	}
}

/* ---- on-behalf grants: owners whose on_behalf_attributes name this user ---- */

static void
on_behalf_value(const char *v, struct user_ctx *c, void *arg)
{
	char key[ADDRESS_TEXT_MAX];

	(void)arg;
	if (strchr(v, '=') == NULL && directory_owned_key(v, key, sizeof(key)))
		directory_user_add_on_behalf(c->user, key);
}

static void
collect_on_behalf(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct user_ctx *c = arg;

	for (size_t a = 0; a < c->d->cfg.address_attributes.n; a++)
		directory_ldap_values_each(ld, e, c->d->cfg.address_attributes.v[a], c, false,
		    on_behalf_value, NULL);
}

/* (|(attr=<dn>)(attr=<own address>)...) over every on_behalf attribute;
 * each value escaped by directory_ldap_values_filter. */
static char *
on_behalf_filter(struct ldap_dir *d, struct user_ctx *c)
{
	char *parts = xstrdup(""), *f;

	for (size_t i = 0; i < d->cfg.on_behalf_attributes.n; i++) {
		char *tmpl = xasprintf("(%s=%%u)", d->cfg.on_behalf_attributes.v[i]);
		for (size_t k = 0; k <= c->own.n; k++) {
			char *one = directory_ldap_values_filter(tmpl, 'u', k == c->own.n ? c->dn : c->own.v[k]);
			char *joined = xasprintf("%s%s", parts, one ? one : "");
			free(one);
			free(parts);
			parts = joined;
		}
		free(tmpl);
	}
	f = xasprintf("(|%s)", parts);
	free(parts);
	return f;
}

/* One more search, only when on_behalf_attributes is set: the owners who
 * granted this user on-behalf rights, and their addresses. */
enum lookup_result
directory_ldap_groups_add_on_behalf(struct ldap_dir *d, struct user_ctx *c, char *why,
    size_t whylen)
{
	if (d->cfg.on_behalf_attributes.n == 0)
		return LOOKUP_FOUND;
	char *filter = on_behalf_filter(d, c);
	struct ldap_search s = { d->cfg.base, LDAP_SCOPE_SUBTREE, filter, d->cfg.address_attributes.v,
		100, false };
	int entries;
	enum lookup_result r = ldap_conn_search(d->conn, &s, collect_on_behalf, c, &entries, why,
	    whylen);

	free(filter);
	return r == LOOKUP_TEMPFAIL ? r : LOOKUP_FOUND;
}

char *
directory_ldap_groups_filter(const struct ldap_config *cfg, const char *dn)
{
	char *match = directory_ldap_groups_match(cfg), *f = groups_of_filter(cfg, match, dn);

	free(match);
	return f;
}


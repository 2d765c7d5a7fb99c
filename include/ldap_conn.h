/*
 * ldap_conn.h - pooled, failing-over LDAP searches (see ldap_conn.c).
 *
 * Used only by directory_ldap.c. Thread-safe. A search answers FOUND (at
 * least one entry, each handed to the collector while the handle is still
 * the caller's), NOTFOUND (zero entries) or TEMPFAIL (transport, timeout,
 * bind or server error, with a reason in why).
 */
#ifndef RW_LDAP_CONN_H
#define RW_LDAP_CONN_H

#include <ldap.h>

#include "directory.h"
#include "directory_ldap.h"

struct ldap_conn;

struct ldap_search {
	const char *base;
	int scope;
	const char *filter;
	char **attrs;
	int sizelimit;
	bool missing_is_notfound;   /* no such object / bad DN: not found, not an outage */
};

typedef void (*ldap_collect_fn)(LDAP *ld, LDAPMessage *entry, void *ctx);

/* cfg and password must outlive the pool; no network I/O here. */
struct ldap_conn *ldap_conn_new(const struct ldap_config *cfg, const char *password);
void ldap_conn_free(struct ldap_conn *c);
enum lookup_result ldap_conn_search(struct ldap_conn *c, const struct ldap_search *s,
    ldap_collect_fn fn, void *ctx, int *entries, char *why, size_t whylen);

#endif

/*
 * ldap_conn.h - pooled, failing-over LDAP searches (see ldap_conn.c).
 *
 * The pool is used only by directory_ldap*.c. Thread-safe. A search answers FOUND (at
 * least one entry, each handed to the collector while the handle is still
 * the caller's), NOTFOUND (zero entries) or TEMPFAIL (transport, timeout,
 * bind or server error, with a reason in why).
 */
#ifndef RW_LDAP_CONN_H
#define RW_LDAP_CONN_H

#include <ldap.h>

#include "directory.h"
#include "directory_ldap.h"
#include "ldap_tls.h"

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

/* The steps of opening a connection, reported in this order. */
enum ldap_conn_step { LDAP_STEP_CONNECT, LDAP_STEP_TLS, LDAP_STEP_BIND };
/* Hears one step's outcome: rc LDAP_SUCCESS with facts ("TLS1.3, ...",
 * "as cn=...") or the failure in words ("Invalid credentials (49)", with the
 * server's diagnostic and, for TLS, why the certificate did not verify). */
typedef void (*ldap_step_fn)(void *ctx, enum ldap_conn_step step, int rc, const char *detail);
const char *ldap_conn_step_name(enum ldap_conn_step s);

/* One connection to uri: TCP, TLS (ldaps://, or StartTLS when cfg->starttls;
 * a certificate is always verified), then a simple bind as cfg->bind_dn
 * (anonymous when empty). When TLS was asked for and fails, nothing more is
 * sent: never a bind in clear. step (NULL: none) hears each step. Returns
 * an LDAP result code; on failure why is "URI: STEP: words". tls: the
 * caller's shared TLS context (ldap_tls_ctx_new), or NULL. Used by the
 * pool and by ldap_probe.c. */
int ldap_conn_open(const struct ldap_config *cfg, const struct ldap_tls_ctx *tls, const char *password,
    const char *uri, LDAP **out, ldap_step_fn step, void *ctx, char *why, size_t whylen);

/* cfg and password must outlive the pool; no network I/O here. */
struct ldap_conn *ldap_conn_new(const struct ldap_config *cfg, const char *password);
void ldap_conn_free(struct ldap_conn *c);
/* Each URI's state as the pool saw it last ("unknown" before its first
 * use), for `ctl status`. Takes the pool's lock for a copy, never I/O. */
void ldap_conn_health(struct ldap_conn *c, directory_health_fn fn, void *ctx);
enum lookup_result ldap_conn_search(struct ldap_conn *c, const struct ldap_search *s,
    ldap_collect_fn fn, void *ctx, int *entries, char *why, size_t whylen);

#endif

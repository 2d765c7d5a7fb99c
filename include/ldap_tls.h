/*
 * ldap_tls.h - TLS for the LDAP connections: the per-handle options
 * (ca_file, cert_file, key_file, always demanding a verified certificate),
 * the checks of those files at load, and naming why a certificate did not
 * verify.
 *
 * Debian 12's libldap (GnuTLS) reports every verification failure as
 * "(unknown error code)", so ldap_tls_diagnose looks again: a second
 * connection that only completes the handshake (StartTLS or ldaps), never
 * binds and never sends a credential, takes the server's certificate and
 * verifies it with GnuTLS against the same trust and the URI's host name,
 * giving GnuTLS's own words ("The certificate issuer is unknown.", "The
 * certificate chain uses expired certificate.", "The name in the
 * certificate does not match the expected."). Thread-safe.
 */
#ifndef RW_LDAP_TLS_H
#define RW_LDAP_TLS_H

#include <ldap.h>
#include <stdbool.h>
#include <stddef.h>

#include "directory_ldap.h"
#include "errlist.h"

struct ldap_tls_ctx;

/* Whether connections to uri use TLS (ldaps://, or starttls = true). */
bool ldap_tls_used(const struct ldap_config *cfg, const char *uri);
/* One TLS context made from cfg's files, for every handle of a pool or a
 * probe: libldap's GnuTLS code (2.5) never frees the client key and
 * certificate it loads into a context, and reads the CA file for each, so
 * a context per connection would leak on every reconnect. NULL when the
 * files do not load now (each handle then makes its own and says why). */
struct ldap_tls_ctx *ldap_tls_ctx_new(const struct ldap_config *cfg);
void ldap_tls_ctx_free(struct ldap_tls_ctx *t);
/* Sets the TLS options on a fresh handle: demand a verified certificate
 * (never libldap's or ldap.conf's default), then shared's context, or one
 * of its own from ca_file, cert_file and key_file when shared is NULL. 0,
 * or -1 with a reason in why. */
int ldap_tls_options(const struct ldap_config *cfg, const struct ldap_tls_ctx *shared, LDAP *ld,
    char *why, size_t whylen);
/* At load: cert_file and key_file both or neither, both readable, the key
 * not readable by group or others. Problems are appended to errs (file is
 * the policy file). */
void ldap_tls_check_files(const struct ldap_config *cfg, const char *file, struct errlist *errs);
/* After a TLS handshake to uri failed: why it failed, in words, written to
 * why (e.g. "certificate not trusted: The certificate issuer is unknown.").
 * Makes one connection bounded by cfg->timeout, without the client
 * certificate; sends nothing but the StartTLS request. Leaves why empty
 * when it finds nothing to add. */
void ldap_tls_diagnose(const struct ldap_config *cfg, const char *uri, char *why, size_t whylen);
/* After a good handshake on ld: "TLS1.3, AES-256-GCM" style facts, or "". */
void ldap_tls_describe(LDAP *ld, char *out, size_t len);

#endif

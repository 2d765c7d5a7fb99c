/*
 * ldap_probe.h - find the directory's problems before mail does.
 *
 * For every URI of directory.ldap.uris, in order: connect, TLS (StartTLS or
 * ldaps, certificate verified), bind, then each search the policy makes
 * (the base, the user filter, the group and recipient filters when the
 * policy uses them, and the features in the table of ldap_probe.c), one
 * line per step with the server's own diagnostic:
 *   ldaps://127.0.0.1:6361/ tls ok: TLS1.3, ...
 *   ldap://127.0.0.1:3890/ bind failed: Invalid credentials (49)
 * A step that fails ends that URI's probe. With a login, the user search
 * looks for it, and a last line shows what the milter's own lookup (cache,
 * failover and all) answers for it. Connections are the probe's own (the
 * same ldap_conn_open as the pool), closed when done; nothing is cached.
 */
#ifndef RW_LDAP_PROBE_H
#define RW_LDAP_PROBE_H

#include <stdbool.h>

#include "policy.h"

/* Hears one line; ok false for a failed step. */
typedef void (*ldap_probe_fn)(void *ctx, bool ok, const char *line);

/* Runs the probe of p's LDAP directory (nothing for another backend).
 * login may be NULL. Returns the number of failed steps: 0 when everything
 * the policy needs works. */
int ldap_probe_run(const struct policy *p, const char *login, ldap_probe_fn out, void *ctx);

/* `relaywarden check --probe`: the lines on stdout, then "probe: ok" or
 * "probe: N problem(s)". Returns 0, or 69 (EX_UNAVAILABLE) on any failure. */
int ldap_probe_cli(const struct policy *p, const char *login);

/* At start-up: the same probe on a thread of its own, so serving never
 * waits for it and never depends on it. Each failure is logged once
 * (warning, "ldap probe: LINE"), successes at debug, then one summary line.
 * p must stay valid until ldap_probe_join, which waits for the thread
 * (every step is bounded by directory.ldap.timeout). No-op unless the
 * backend is ldap. */
void ldap_probe_start(const struct policy *p);
void ldap_probe_join(void);

#endif

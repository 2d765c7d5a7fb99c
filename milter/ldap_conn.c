/*
 * ldap_conn.c - the LDAP connection pool behind directory_ldap.c.
 *
 * Owns pool_size handles and the health of every URI. One mutex guards the
 * in-use flags and the health table and is never held during an ldap_*
 * network call. A handle is used by one thread at a time (libldap keeps
 * error state per handle); one that saw a transport error is unbound and
 * reconnected on next use. Every step has a timeout: network connect,
 * synchronous operations (bind, StartTLS) and each search. Opening a
 * connection is one function, ldap_conn_open, shared with the probe: TLS
 * when asked for or never a byte in clear, then the bind.
 */
#define LDAP_DEPRECATED 0
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ldap_conn.h"
#include "ldap_tls.h"
#include "log.h"
#include "stats.h"
#include "xalloc.h"

#define URI_DEAD_SECONDS 30

struct uri_health {
	const char *uri;
	unsigned failures;          /* consecutive */
	time_t dead_until;
	bool used;                  /* a search has gone to it */
	time_t since;               /* the last change between up and down */
	char last_error[256];       /* "" until the first failure */
};

struct handle {
	LDAP *ld;                   /* NULL: not connected */
	size_t uri;                 /* the URI ld is connected to */
	bool in_use;
};

struct ldap_conn {
	const struct ldap_config *cfg;
	const char *password;       /* NULL: anonymous */
	struct ldap_tls_ctx *tls;   /* shared by every handle; NULL: each its own */
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct handle *handles;
	struct uri_health *uris;
};

struct ldap_conn *
ldap_conn_new(const struct ldap_config *cfg, const char *password)
{
	struct ldap_conn *c = xcalloc(1, sizeof(*c));

	c->cfg = cfg;
	c->password = password;
	c->tls = ldap_tls_ctx_new(cfg);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->freed, NULL);
	c->handles = xcalloc((size_t)cfg->pool_size, sizeof(*c->handles));
	c->uris = xcalloc(cfg->uris.n, sizeof(*c->uris));
	for (size_t i = 0; i < cfg->uris.n; i++)
		c->uris[i].uri = cfg->uris.v[i];
	return c;
}

void
ldap_conn_free(struct ldap_conn *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->cfg->pool_size; i++)
		if (c->handles[i].ld != NULL)
			ldap_unbind_ext_s(c->handles[i].ld, NULL, NULL);
	free(c->handles);
	free(c->uris);
	ldap_tls_ctx_free(c->tls);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->freed);
	free(c);
}

/* ---- URI health: skip a URI that just failed; all dead means try all ---- */

static size_t
uri_pick(struct ldap_conn *d, size_t skip_before)
{
	time_t now = time(NULL);
	size_t n = d->cfg->uris.n, pick = n;

	pthread_mutex_lock(&d->lock);
	for (size_t i = skip_before; i < n && pick == n; i++)
		if (d->uris[i].dead_until <= now)
			pick = i;
	if (pick == n && skip_before == 0) {
		for (size_t i = 0; i < n; i++)
			d->uris[i].dead_until = 0;
		pick = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return pick;
}

static void
uri_report(struct ldap_conn *d, size_t i, bool ok, const char *what)
{
	bool was_down, now_down;

	pthread_mutex_lock(&d->lock);
	struct uri_health *u = &d->uris[i];
	was_down = u->failures > 0;
	u->failures = ok ? 0 : u->failures + 1;
	u->dead_until = ok ? 0 : time(NULL) + URI_DEAD_SECONDS;
	now_down = u->failures > 0;
	if (!u->used || was_down != now_down)
		u->since = time(NULL);
	u->used = true;
	if (!ok)
		snprintf(u->last_error, sizeof(u->last_error), "%s", what ? what : "");
	pthread_mutex_unlock(&d->lock);
	if (was_down != now_down)
		log_warn("ldap uri=%s state=%s%s%s", u->uri, ok ? "up" : "down",
		    ok ? "" : " error=", ok ? "" : what);
}

void
ldap_conn_health(struct ldap_conn *d, directory_health_fn fn, void *ctx)
{
	for (size_t i = 0; i < d->cfg->uris.n; i++) {
		struct uri_health u;
		pthread_mutex_lock(&d->lock);
		u = d->uris[i];
		pthread_mutex_unlock(&d->lock);
		fn(ctx, u.uri, !u.used ? "unknown" : u.failures > 0 ? "down" : "up", u.since,
		    u.last_error);
	}
}

/* ---- the handle pool ---- */

static int
pool_checkout(struct ldap_conn *d)
{
	struct timespec deadline;
	int got = -1;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += d->cfg->timeout;
	pthread_mutex_lock(&d->lock);
	while (got < 0) {
		for (int i = 0; i < d->cfg->pool_size && got < 0; i++)
			if (!d->handles[i].in_use)
				got = i;
		if (got < 0 && pthread_cond_timedwait(&d->freed, &d->lock, &deadline) != 0)
			break;
	}
	if (got >= 0)
		d->handles[got].in_use = true;
	pthread_mutex_unlock(&d->lock);
	return got;
}

static void
pool_checkout_done(struct ldap_conn *d, int h)
{
	pthread_mutex_lock(&d->lock);
	d->handles[h].in_use = false;
	pthread_cond_signal(&d->freed);
	pthread_mutex_unlock(&d->lock);
}

/* broken: unbind the handle (outside the lock) so the next user reconnects. */
static void
pool_checkin(struct ldap_conn *d, int h, bool broken)
{
	LDAP *dead = NULL;

	pthread_mutex_lock(&d->lock);
	if (broken) {
		dead = d->handles[h].ld;
		d->handles[h].ld = NULL;
	}
	d->handles[h].in_use = false;
	pthread_cond_signal(&d->freed);
	pthread_mutex_unlock(&d->lock);
	if (dead != NULL)
		ldap_unbind_ext_s(dead, NULL, NULL);
}

static bool
transport_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY || rc == LDAP_TIMELIMIT_EXCEEDED;
}

static int
set_options(const struct ldap_config *cfg, LDAP *ld)
{
	struct timeval tv = { cfg->timeout, 0 };
	int version = LDAP_VERSION3;

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS)
		return -1;
	return 0;
}

/* "Invalid credentials (49)", then the server's or libldap's own words. */
static void
rc_words(LDAP *ld, int rc, const char *extra, char *out, size_t len)
{
	char *diag = NULL;

	if (ld != NULL)
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	/* GnuTLS' text for "verification failed": ldap_tls_diagnose says more. */
	bool useless = diag == NULL || diag[0] == '\0' || strcmp(diag, "(unknown error code)") == 0;
	snprintf(out, len, "%s (%d)%s%s%s%s", ldap_err2string(rc), rc, useless ? "" : ": ",
	    useless ? "" : diag, extra && extra[0] ? ": " : "", extra ? extra : "");
	ldap_memfree(diag);
}

static void
step_done(ldap_step_fn step, void *ctx, enum ldap_conn_step which, int rc, const char *detail)
{
	if (step != NULL)
		step(ctx, which, rc, detail);
}

static const char *const step_names[] = { "connect", "tls", "bind" };

const char *
ldap_conn_step_name(enum ldap_conn_step s)
{
	return step_names[s];
}

/* A failed step: its words to the listener and to why; the handle goes. */
static int
step_failed(LDAP *ld, const char *uri, enum ldap_conn_step which, int rc, const char *extra,
    ldap_step_fn step, void *ctx, char *why, size_t whylen)
{
	char words[1024];

	if (which == LDAP_STEP_TLS && extra != NULL && extra[0] != '\0')
		snprintf(words, sizeof(words), "%s", extra);   /* the reason says more than rc */
	else
		rc_words(ld, rc, extra, words, sizeof(words));
	step_done(step, ctx, which, rc, words);
	snprintf(why, whylen, "%s: %s: %s", uri, step_names[which], words);
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return rc == LDAP_SUCCESS ? LDAP_LOCAL_ERROR : rc;
}

/* TCP (and the handshake, for ldaps), then StartTLS when asked for. A TLS
 * failure is diagnosed on a connection of its own; nothing goes in clear. */
static int
open_transport(const struct ldap_config *cfg, const char *uri, LDAP *ld, ldap_step_fn step,
    void *ctx, char *why, size_t whylen)
{
	bool ldaps = strncasecmp(uri, "ldaps:", 6) == 0;
	char detail[1024] = "";
	int rc;

	errno = 0;
	rc = ldap_connect(ld);
	int saved = errno;
	if (rc != LDAP_SUCCESS) {
		char *diag = NULL;
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
		bool tls = ldaps && diag != NULL;   /* TCP failures leave no message */
		ldap_memfree(diag);
		if (tls)
			ldap_tls_diagnose(cfg, uri, detail, sizeof(detail));
		else if (saved == ECONNREFUSED || saved == ETIMEDOUT || saved == EHOSTUNREACH ||
		    saved == ENETUNREACH || saved == ECONNRESET)   /* others mislead */
			snprintf(detail, sizeof(detail), "%s", strerror(saved));
		return step_failed(ld, uri, tls ? LDAP_STEP_TLS : LDAP_STEP_CONNECT, rc, detail, step,
		    ctx, why, whylen);
	}
	step_done(step, ctx, LDAP_STEP_CONNECT, rc, "");
	if (!ldap_tls_used(cfg, uri)) {
		step_done(step, ctx, LDAP_STEP_TLS, LDAP_SUCCESS, "not used (plain LDAP: starttls = "
		    "false)");
		return LDAP_SUCCESS;
	}
	if (!ldaps && (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		if (rc == LDAP_CONNECT_ERROR)   /* the handshake, not the server's refusal */
			ldap_tls_diagnose(cfg, uri, detail, sizeof(detail));
		return step_failed(ld, uri, LDAP_STEP_TLS, rc, detail, step, ctx, why, whylen);
	}
	ldap_tls_describe(ld, detail, sizeof(detail));
	step_done(step, ctx, LDAP_STEP_TLS, LDAP_SUCCESS, detail);
	return LDAP_SUCCESS;
}

int
ldap_conn_open(const struct ldap_config *cfg, const struct ldap_tls_ctx *tls, const char *password,
    const char *uri, LDAP **out, ldap_step_fn step, void *ctx, char *why, size_t whylen)
{
	LDAP *ld = NULL;
	char detail[1024];
	int rc = ldap_initialize(&ld, uri);

	*out = NULL;
	if (rc != LDAP_SUCCESS)
		return step_failed(NULL, uri, LDAP_STEP_CONNECT, rc, "bad URI", step, ctx, why, whylen);
	if (set_options(cfg, ld) < 0)
		return step_failed(ld, uri, LDAP_STEP_CONNECT, LDAP_LOCAL_ERROR, "cannot set options",
		    step, ctx, why, whylen);
	if (ldap_tls_used(cfg, uri) && ldap_tls_options(cfg, tls, ld, detail, sizeof(detail)) < 0)
		return step_failed(ld, uri, LDAP_STEP_TLS, LDAP_LOCAL_ERROR, detail, step, ctx, why,
		    whylen);
	if ((rc = open_transport(cfg, uri, ld, step, ctx, why, whylen)) != LDAP_SUCCESS)
		return rc;
	if (cfg->bind_dn[0] != '\0') {
		struct berval cred = { password ? strlen(password) : 0, (char *)password };
		rc = ldap_sasl_bind_s(ld, cfg->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
		/* Under TLS 1.3 a server refuses a missing client certificate
		 * after the client's handshake is done: the bind meets a
		 * closed connection. */
		bool hangup = rc == LDAP_SERVER_DOWN && ldap_tls_used(cfg, uri) &&
		    (cfg->cert_file == NULL || cfg->cert_file[0] == '\0');
		if (rc != LDAP_SUCCESS)
			return step_failed(ld, uri, LDAP_STEP_BIND, rc, hangup ? "the server closed the "
			    "connection after the TLS handshake (does it require a client certificate? "
			    "cert_file and key_file are not set)" : NULL, step, ctx, why, whylen);
	}
	snprintf(detail, sizeof(detail), "%s%s", cfg->bind_dn[0] ? "as " : "anonymous",
	    cfg->bind_dn);
	step_done(step, ctx, LDAP_STEP_BIND, LDAP_SUCCESS, detail);
	*out = ld;
	return LDAP_SUCCESS;
}

/* Runs one search on a checked-out handle, connecting to URI u first if
 * the handle is not connected. */
static int
handle_search(struct ldap_conn *d, int h, size_t u, const struct ldap_search *s, LDAPMessage **res,
    char *why, size_t whylen)
{
	struct timeval tv = { d->cfg->timeout, 0 };
	int rc;

	*res = NULL;
	if (d->handles[h].ld == NULL) {
		rc = ldap_conn_open(d->cfg, d->tls, d->password, d->cfg->uris.v[u], &d->handles[h].ld,
		    NULL, NULL, why, whylen);
		if (rc != LDAP_SUCCESS)
			return LDAP_CONNECT_ERROR;
		d->handles[h].uri = u;
	}
	stats_directory_search("ldap");
	log_debug("ldap search base=\"%s\" filter=\"%s\"", s->base, s->filter);
	rc = ldap_search_ext_s(d->handles[h].ld, s->base, s->scope, s->filter, s->attrs, 0, NULL,
	    NULL, &tv, s->sizelimit, res);
	if (transport_error(rc) && *res != NULL) {
		ldap_msgfree(*res);
		*res = NULL;
	}
	return rc;
}

static enum lookup_result
collect(LDAP *ld, LDAPMessage *res, ldap_collect_fn fn, void *ctx, int *entries)
{
	*entries = 0;
	for (LDAPMessage *e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
		(*entries)++;
		fn(ld, e, ctx);
	}
	return *entries > 0 ? LOOKUP_FOUND : LOOKUP_NOTFOUND;
}

static void
handle_drop(struct ldap_conn *d, int h)
{
	if (d->handles[h].ld != NULL)
		ldap_unbind_ext_s(d->handles[h].ld, NULL, NULL);
	d->handles[h].ld = NULL;
}

/* A server answered (rc is not a transport error): read the entries and
 * give the handle back. */
static enum lookup_result
finish_search(struct ldap_conn *d, int h, size_t u, int rc, LDAPMessage *res,
    const struct ldap_search *s, ldap_collect_fn fn, void *ctx, int *entries, char *why,
    size_t whylen)
{
	enum lookup_result r = LOOKUP_TEMPFAIL;

	uri_report(d, u, true, NULL);
	if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED)
		r = collect(d->handles[h].ld, res, fn, ctx, entries);
	else if (s->missing_is_notfound &&
	    (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_INVALID_DN_SYNTAX))
		r = LOOKUP_NOTFOUND;
	else
		snprintf(why, whylen, "%s: %s", d->cfg->uris.v[u], ldap_err2string(rc));
	ldap_msgfree(res);
	pool_checkout_done(d, h);
	return r;
}

/* One search with failover: a transport error marks the URI down, drops the
 * connection and tries the next live URI. A pooled connection that the
 * server closed while idle is reconnected once before the URI is blamed.
 * Entries are read while the handle is still ours. */
enum lookup_result
ldap_conn_search(struct ldap_conn *d, const struct ldap_search *s, ldap_collect_fn fn, void *ctx,
    int *entries, char *why, size_t whylen)
{
	int h = pool_checkout(d);
	size_t next = 0, n = d->cfg->uris.n;
	bool retried = false;
	LDAPMessage *res;

	*entries = 0;
	if (h < 0) {
		snprintf(why, whylen, "all %d LDAP connections busy for %d s", d->cfg->pool_size,
		    d->cfg->timeout);
		return LOOKUP_TEMPFAIL;
	}
	for (size_t attempt = 0; attempt < n; attempt++) {
		bool reused = d->handles[h].ld != NULL;
		size_t u = reused ? d->handles[h].uri : uri_pick(d, next);
		if (u >= n)
			break;
		why[0] = '\0';
		int rc = handle_search(d, h, u, s, &res, why, whylen);
		if (!transport_error(rc))
			return finish_search(d, h, u, rc, res, s, fn, ctx, entries, why, whylen);
		handle_drop(d, h);
		if (reused && rc == LDAP_SERVER_DOWN && !retried) {
			retried = true;
			attempt--;              /* same URI, fresh connection */
			continue;
		}
		if (why[0] == '\0')
			snprintf(why, whylen, "%s: %s", d->cfg->uris.v[u], ldap_err2string(rc));
		uri_report(d, u, false, why);
		next = u + 1;
	}
	pool_checkin(d, h, true);
	return LOOKUP_TEMPFAIL;
}

/*
 * ldap_conn.c - the LDAP connection pool behind directory_ldap.c.
 *
 * Owns pool_size handles and the health of every URI. One mutex guards the
 * in-use flags and the health table and is never held during an ldap_*
 * network call. A handle is used by one thread at a time (libldap keeps
 * error state per handle); one that saw a transport error is unbound and
 * reconnected on next use. Every step has a timeout: network connect,
 * synchronous operations (bind, StartTLS) and each search.
 */
#define LDAP_DEPRECATED 0
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ldap_conn.h"
#include "log.h"
#include "xalloc.h"

#define URI_DEAD_SECONDS 30

struct uri_health {
	const char *uri;
	unsigned failures;          /* consecutive */
	time_t dead_until;
};

struct handle {
	LDAP *ld;                   /* NULL: not connected */
	size_t uri;                 /* the URI ld is connected to */
	bool in_use;
};

struct ldap_conn {
	const struct ldap_config *cfg;
	const char *password;       /* NULL: anonymous */
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
	pthread_mutex_unlock(&d->lock);
	if (was_down != now_down)
		log_warn("ldap uri=%s state=%s%s%s", u->uri, ok ? "up" : "down",
		    ok ? "" : " error=", ok ? "" : what);
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
set_options(struct ldap_conn *d, LDAP *ld)
{
	struct timeval tv = { d->cfg->timeout, 0 };
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;

	if (ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS)
		return -1;
	if (d->cfg->ca_file[0] == '\0')
		return 0;
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, d->cfg->ca_file) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS)
		return -1;
	return 0;
}

/* Connects (and binds) a handle to URI u. Returns an LDAP result code. */
static int
handle_connect(struct ldap_conn *d, size_t u, LDAP **out)
{
	LDAP *ld = NULL;
	int rc = ldap_initialize(&ld, d->cfg->uris.v[u]);

	if (rc != LDAP_SUCCESS)
		return rc;
	if (set_options(d, ld) < 0) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return LDAP_LOCAL_ERROR;
	}
	if (d->cfg->starttls && strncmp(d->cfg->uris.v[u], "ldaps:", 6) != 0)
		rc = ldap_start_tls_s(ld, NULL, NULL);
	if (rc == LDAP_SUCCESS && d->cfg->bind_dn[0] != '\0') {
		struct berval cred = { d->password ? strlen(d->password) : 0, (char *)d->password };
		rc = ldap_sasl_bind_s(ld, d->cfg->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	}
	if (rc != LDAP_SUCCESS) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return rc;
	}
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
		rc = handle_connect(d, u, &d->handles[h].ld);
		if (rc != LDAP_SUCCESS) {
			snprintf(why, whylen, "%s: connect: %s", d->cfg->uris.v[u], ldap_err2string(rc));
			return LDAP_CONNECT_ERROR;
		}
		d->handles[h].uri = u;
	}
	directory_count(COUNT_SEARCH);
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

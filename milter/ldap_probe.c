/*
 * ldap_probe.c - `check --probe` and the start-up probe (see ldap_probe.h).
 *
 * Each URI gets a connection of its own through ldap_conn_open (the pool's
 * code, so the probe proves what lookups will do), then the table below:
 * one row per feature, asked only when the policy uses it.
 */
#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "directory_ldap.h"
#include "ldap_conn.h"
#include "ldap_probe.h"
#include "log.h"
#include "xalloc.h"

#define PROBE_LOGIN "relaywarden-probe"     /* a login no directory holds */
#define PROBE_ADDRESS "relaywarden-probe@invalid"

struct probe {
	const struct policy *p;
	const struct ldap_config *cfg;
	const char *login;          /* NULL: prove the filter only */
	const char *uri;
	struct ldap_tls_ctx *tls;   /* one TLS context for every URI */
	ldap_probe_fn out;
	void *ctx;
	int failures;
};

static void
say(struct probe *pr, bool ok, const char *step, const char *detail)
{
	char line[1400];

	snprintf(line, sizeof(line), "%s %s %s%s%s", pr->uri ? pr->uri : "directory", step,
	    ok ? "ok" : "failed", detail[0] ? ": " : "", detail);
	if (!ok)
		pr->failures++;
	pr->out(pr->ctx, ok, line);
}

static void
heard_step(void *ctx, enum ldap_conn_step step, int rc, const char *detail)
{
	struct probe *pr = ctx;
	char line[1400];

	if (rc == LDAP_SUCCESS && strncmp(detail, "not used", 8) == 0) {
		snprintf(line, sizeof(line), "%s tls %s", pr->uri, detail);
		pr->out(pr->ctx, true, line);
		return;
	}
	say(pr, rc == LDAP_SUCCESS, ldap_conn_step_name(step), detail);
}

/* ---- searches ---- */

/* One bounded search; SIZELIMIT counts as accepted. On failure detail gets
 * "No such object (32): <the server's words>". */
static int
search(struct probe *pr, LDAP *ld, const char *base, int scope, const char *filter, char **attrs,
    int sizelimit, int *entries, char **dn, char *detail, size_t len)
{
	struct timeval tv = { pr->cfg->timeout, 0 };
	LDAPMessage *res = NULL;
	char *diag = NULL;
	int rc = ldap_search_ext_s(ld, base, scope, filter, attrs, 0, NULL, NULL, &tv, sizelimit, &res);

	*entries = 0;
	if (rc == LDAP_SUCCESS || rc == LDAP_SIZELIMIT_EXCEEDED) {
		*entries = ldap_count_entries(ld, res);
		LDAPMessage *e = ldap_first_entry(ld, res);
		char *d = e != NULL && dn != NULL ? ldap_get_dn(ld, e) : NULL;
		if (dn != NULL)
			*dn = xstrdup(d ? d : "");
		ldap_memfree(d);
		ldap_msgfree(res);
		return LDAP_SUCCESS;
	}
	ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	snprintf(detail, len, "%s (%d)%s%s", ldap_err2string(rc), rc, diag && diag[0] ? ": " : "",
	    diag ? diag : "");
	ldap_memfree(diag);
	ldap_msgfree(res);
	return rc;
}

static char *no_attrs[] = { LDAP_NO_ATTRS, NULL };

static int
probe_base(struct probe *pr, LDAP *ld, char *detail, size_t len)
{
	const char *base = pr->cfg->base ? pr->cfg->base : "";
	int n;
	char words[600];

	if (search(pr, ld, base, LDAP_SCOPE_BASE, "(objectClass=*)", no_attrs, 1, &n, NULL, words,
	    sizeof(words)) != LDAP_SUCCESS) {
		snprintf(detail, len, "\"%s\": %s", base, words);
		return -1;
	}
	snprintf(detail, len, "\"%s\" %s", base, base[0] ? "exists" : "(the root DSE) answers");
	return 0;
}

static int
probe_user(struct probe *pr, LDAP *ld, char *detail, size_t len)
{
	const char *login = pr->login ? pr->login : PROBE_LOGIN;
	char *filter = directory_ldap_user_filter(pr->cfg, login), *dn = NULL;
	char words[600];
	int n = 0, rc = -1;

	if (filter == NULL) {
		snprintf(detail, len, "\"%s\": its domain is not in login_domains, or the filter "
		    "cannot be built", login);
		return -1;
	}
	if (search(pr, ld, pr->cfg->base, LDAP_SCOPE_SUBTREE, filter, no_attrs, 2, &n, &dn, words,
	    sizeof(words)) != LDAP_SUCCESS)
		snprintf(detail, len, "%s: %s", filter, words);
	else if (pr->login == NULL)
		rc = 0, snprintf(detail, len, "filter %s accepted", filter);
	else if (n == 1)
		rc = 0, snprintf(detail, len, "%s is %s", login, dn);
	else
		snprintf(detail, len, "%s: %s", filter, n == 0 ? "no entry (the login is not found)" :
		    "more than one entry (the login is ambiguous: treated as not found)");
	free(dn);
	free(filter);
	return rc;
}

static int
probe_filter(struct probe *pr, LDAP *ld, const char *filter, char *detail, size_t len)
{
	char words[600];
	int n;

	if (filter == NULL) {
		snprintf(detail, len, "cannot build the filter");
		return -1;
	}
	if (search(pr, ld, pr->cfg->base, LDAP_SCOPE_SUBTREE, filter, no_attrs, 1, &n, NULL, words,
	    sizeof(words)) != LDAP_SUCCESS) {
		snprintf(detail, len, "%s: %s", filter, words);
		return -1;
	}
	snprintf(detail, len, "filter %s accepted", filter);
	return 0;
}

/* The groups of an entry as the lookups ask for them: with nested_groups =
 * "in_chain" this is where a server without AD's matching rule says so
 * (389-ds: "Critical extension is unavailable"). The base stands for the
 * user's DN. */
static int
probe_groups(struct probe *pr, LDAP *ld, char *detail, size_t len)
{
	const char *dn = pr->cfg->base && pr->cfg->base[0] ? pr->cfg->base : "cn=relaywarden-probe";
	char *filter = directory_ldap_groups_filter(pr->cfg, dn);
	int rc = probe_filter(pr, ld, filter, detail, len);

	free(filter);
	return rc;
}

/* nested_groups = "member_of" needs a server that computes memberOf: some
 * entry under the base must carry it. */
static int
probe_member_of(struct probe *pr, LDAP *ld, char *detail, size_t len)
{
	char words[600], *dn = NULL;
	int n = 0;

	if (search(pr, ld, pr->cfg->base, LDAP_SCOPE_SUBTREE, "(memberOf=*)", no_attrs, 1, &n, &dn,
	    words, sizeof(words)) != LDAP_SUCCESS)
		snprintf(detail, len, "(memberOf=*): %s", words);
	else if (n == 0)
		snprintf(detail, len, "nested_groups = \"member_of\": no entry under \"%s\" carries "
		    "memberOf (enable the memberOf plugin of 389-ds/FreeIPA or OpenLDAP's memberof "
		    "overlay)", pr->cfg->base ? pr->cfg->base : "");
	else
		snprintf(detail, len, "nested_groups = \"member_of\": %s carries memberOf", dn);
	free(dn);
	return n > 0 ? 0 : -1;
}

static int
probe_recipients(struct probe *pr, LDAP *ld, char *detail, size_t len)
{
	char *filter = directory_ldap_filter(pr->cfg->recipient_filter, 's', PROBE_ADDRESS);
	int rc = probe_filter(pr, ld, filter, detail, len);

	free(filter);
	return rc;
}

/* A control the policy needs, from the root DSE's supportedControl. */
static int
probe_control(struct probe *pr, LDAP *ld, const char *oid, char *detail, size_t len)
{
	char *attrs[] = { "supportedControl", NULL };
	struct timeval tv = { pr->cfg->timeout, 0 };
	LDAPMessage *res = NULL;
	bool found = false;
	int rc = ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
	    &tv, 1, &res);
	LDAPMessage *e = rc == LDAP_SUCCESS ? ldap_first_entry(ld, res) : NULL;
	struct berval **v = e != NULL ? ldap_get_values_len(ld, e, "supportedControl") : NULL;

	for (size_t i = 0; v && v[i]; i++)
		found |= v[i]->bv_len == strlen(oid) && memcmp(v[i]->bv_val, oid, v[i]->bv_len) == 0;
	ldap_value_free_len(v);
	ldap_msgfree(res);
	snprintf(detail, len, "control %s %s by the server", oid, found ? "supported" :
	    "not announced");
	return found ? 0 : -1;
}

static int
probe_paged(struct probe *pr, LDAP *ld, char *detail, size_t len)
{
	return probe_control(pr, ld, LDAP_CONTROL_PAGEDRESULTS, detail, len);
}

/* ---- which features the policy uses ---- */

static bool
always(const struct policy *p)
{
	(void)p;
	return true;
}

static bool
uses_groups(const struct policy *p)
{
	return p->ldap.want_groups;
}

static bool
uses_member_of(const struct policy *p)
{
	return p->ldap.want_groups && p->ldap.nested_groups == LDAP_NESTED_MEMBER_OF;
}

static bool
uses_recipients_one(const struct policy *p)
{
	return p->recipients.verify_local || p->recipients.deny_groups != DENY_GROUPS_NONE ||
	    p->recipients.deny_ambiguous;
}

static bool
uses_recipients(const struct policy *p)
{
	bool any = uses_recipients_one(p);

	for (size_t i = 0; i < p->nprofiles; i++)
		any |= uses_recipients_one(p->profiles[i]);
	return any;
}

/* No lookup pages its results yet: the row is ready for the one that does. */
static bool
uses_paging(const struct policy *p)
{
	(void)p;
	return false;
}

static const struct feature {
	const char *step;
	bool (*needed)(const struct policy *p);
	int (*run)(struct probe *pr, LDAP *ld, char *detail, size_t len);
} features[] = {
	{ "base", always, probe_base },
	{ "user search", always, probe_user },
	{ "group search", uses_groups, probe_groups },
	{ "nested groups", uses_member_of, probe_member_of },
	{ "recipient search", uses_recipients, probe_recipients },
	{ "paged results", uses_paging, probe_paged },
};

/* ---- the probe ---- */

static void
probe_uri(struct probe *pr, const char *password)
{
	char why[1024], detail[1200];
	LDAP *ld = NULL;

	if (ldap_conn_open(pr->cfg, pr->tls, password, pr->uri, &ld, heard_step, pr, why, sizeof(why))
	    != LDAP_SUCCESS)
		return;
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (!features[i].needed(pr->p))
			continue;
		detail[0] = '\0';
		int rc = features[i].run(pr, ld, detail, sizeof(detail));
		say(pr, rc == 0, features[i].step, detail);
		if (rc != 0)
			break;
	}
	ldap_unbind_ext_s(ld, NULL, NULL);
}

static bool
realm_is_local(const void *ctx, const char *realm)
{
	return policy_is_local_domain(ctx, realm);
}

/* The milter's own lookup of login: what a transaction would see. */
static void
probe_lookup(struct probe *pr)
{
	struct dir_user *u = NULL;
	char why[256] = "", detail[600];
	enum lookup_result r = directory_lookup_login(pr->p->directory, pr->login, realm_is_local, pr->p, &u, why,
	    sizeof(why));

	pr->uri = NULL;
	if (r == LOOKUP_FOUND)
		snprintf(detail, sizeof(detail), "%s: found, primary <%s>, %zu address(es), %zu through "
		    "groups", pr->login, u->primary, u->naddresses, strmap_count(u->group_owned));
	else
		snprintf(detail, sizeof(detail), "%s: %s%s%s", pr->login, directory_result_name(r),
		    why[0] ? ": " : "", why);
	say(pr, r == LOOKUP_FOUND, "lookup", detail);
	if (u != NULL)
		directory_user_unref(u);
}

int
ldap_probe_run(const struct policy *p, const char *login, ldap_probe_fn out, void *ctx)
{
	struct probe pr = { p, &p->ldap, login, NULL, NULL, out, ctx, 0 };
	struct errlist errs = { 0 };
	char *password = NULL;

	if (p->backend != BACKEND_LDAP)
		return 0;
	if (p->ldap.bind_password_file && p->ldap.bind_password_file[0] &&
	    (password = directory_ldap_read_password(p->ldap.bind_password_file, p->path, &errs)) ==
	    NULL) {
		say(&pr, false, "bind password", errs.count ? errs.lines[0] : "cannot read it");
		errlist_clear(&errs);
		return pr.failures;
	}
	pr.tls = ldap_tls_ctx_new(&p->ldap);
	for (size_t i = 0; i < p->ldap.uris.n; i++) {
		pr.uri = p->ldap.uris.v[i];
		probe_uri(&pr, password);
	}
	ldap_tls_ctx_free(pr.tls);
	if (password != NULL)
		explicit_bzero(password, strlen(password));
	free(password);
	if (login != NULL && p->directory != NULL)
		probe_lookup(&pr);
	return pr.failures;
}

/* ---- check --probe ---- */

static void
print_line(void *ctx, bool ok, const char *line)
{
	(void)ctx;
	(void)ok;
	printf("%s\n", line);
	fflush(stdout);
}

int
ldap_probe_cli(const struct policy *p, const char *login)
{
	if (p->backend != BACKEND_LDAP) {
		printf("probe: directory.backend is not \"ldap\": nothing to probe\n");
		return 0;
	}
	/* A server that hangs up mid-handshake (a client certificate it
	 * demands) must be a failed step, not the end of the process. */
	signal(SIGPIPE, SIG_IGN);
	int failures = ldap_probe_run(p, login, print_line, NULL);
	if (failures == 0)
		printf("probe: ok\n");
	else
		printf("probe: %d problem(s)\n", failures);
	return failures == 0 ? 0 : EX_UNAVAILABLE;
}

/* ---- at start-up ---- */

static pthread_t probe_thread;
static bool probe_started;

static void
log_line(void *ctx, bool ok, const char *line)
{
	(void)ctx;
	if (ok)
		log_debug("ldap probe: %s", line);
	else
		log_warn("ldap probe: %s", line);
}

static void *
probe_main(void *arg)
{
	const struct policy *p = arg;
	sigset_t pipe;

	/* Started before smfi_main ignores SIGPIPE: a write to a server that
	 * hung up must fail with EPIPE, not kill the milter. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	int failures = ldap_probe_run(p, NULL, log_line, NULL);

	if (failures == 0)
		log_info("ldap probe: ok (%zu URI(s))", p->ldap.uris.n);
	else
		log_warn("ldap probe: %d problem(s); lookups fail over to the URIs that work, or "
		    "answer %s %s, until they are fixed", failures,
		    p->on_failure == ON_FAILURE_ACCEPT ? "accept" : p->directory_reply.code,
		    p->on_failure == ON_FAILURE_ACCEPT ? "(on_failure)" : p->directory_reply.xcode);
	return NULL;
}

void
ldap_probe_start(const struct policy *p)
{
	if (p->backend != BACKEND_LDAP || probe_started)
		return;
	if (pthread_create(&probe_thread, NULL, probe_main, (void *)p) != 0) {
		log_warn("ldap probe: cannot start its thread; not probing");
		return;
	}
	probe_started = true;
}

void
ldap_probe_join(void)
{
	if (probe_started)
		pthread_join(probe_thread, NULL);
	probe_started = false;
}

/*
 * directory_ldap.c - LDAP backend (see directory_ldap.h for the contract).
 *
 * Validates the settings, builds the user and recipient searches and reads
 * the user's entry into dir_user; the user's groups and on-behalf grants
 * are directory_ldap_groups.c's, the value reading and filter building
 * directory_ldap_values.c's, the connections, failover and timeouts
 * ldap_conn.c's. Every filter is built by directory_ldap_values_filter,
 * and every substituted value passes through ldap_bv2escaped_filter_value
 * (RFC 4515).
 */
#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "address.h"
#include "directory_ldap.h"
#include "secret_file.h"
#include "directory_ldap_internal.h"
#include "idn.h"
#include "ldap_conn.h"
#include "ldap_tls.h"
#include "log.h"
#include "xalloc.h"

static char *
dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

/* A template must be one parenthesised filter with balanced parentheses and
 * (for user and recipient filters) its placeholder. */
static bool
template_valid(const char *tmpl, char placeholder)
{
	int depth = 0;
	size_t len = strlen(tmpl);

	if (len < 3 || tmpl[0] != '(' || tmpl[len - 1] != ')')
		return false;
	for (size_t i = 0; i < len; i++) {
		depth += tmpl[i] == '(' ? 1 : tmpl[i] == ')' ? -1 : 0;
		if (depth < 0 || (depth == 0 && i + 1 < len))
			return false;
	}
	if (depth != 0)
		return false;
	if (placeholder == '\0')
		return true;
	char pat[3] = { '%', placeholder, '\0' };
	return strstr(tmpl, pat) != NULL;
}

/* A class goes into a filter unescaped: a descriptor (a letter, then
 * letters, digits and '-') or a numeric OID. */
static bool
class_name_valid(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return false;
	if (v[0] >= '0' && v[0] <= '9')
		return strspn(v, "0123456789.") == n && v[n - 1] != '.';
	return ((v[0] | 0x20) >= 'a' && (v[0] | 0x20) <= 'z') &&
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

static void
check_group_classes(const struct ldap_config *c, const char *file, struct errlist *errs)
{
	if (c->group_classes.n == 0)
		errlist_add(errs, file, 0, "directory.ldap.group_classes", "empty (expected e.g. "
		    "[ \"groupOfNames\", \"group\" ])");
	for (size_t i = 0; i < c->group_classes.n; i++)
		if (!class_name_valid(c->group_classes.v[i]))
			errlist_add(errs, file, 0, "directory.ldap.group_classes", "\"%s\" is not an "
			    "object class name (expected letters, digits and '-', or an OID)",
			    c->group_classes.v[i]);
}

static void
check_login_domains(const struct ldap_config *c, const char *file, struct errlist *errs)
{
	for (size_t i = 0; i < c->login_domains.n; i++)
		if (strpbrk(c->login_domains.v[i], "\\@") != NULL)
			errlist_add(errs, file, 0, "directory.ldap.login_domains", "\"%s\" is not a "
			    "domain name as Windows shows it (expected e.g. \"ACME\")",
			    c->login_domains.v[i]);
}

static void
check_config(const struct ldap_config *c, const char *file, struct errlist *errs)
{
	if (c->uris.n == 0)
		errlist_add(errs, file, 0, "directory.ldap.uris", "empty (expected at least one "
		    "ldap://host:port/ or ldaps://host:port/)");
	for (size_t i = 0; i < c->uris.n; i++)
		if (!ldap_is_ldap_url(c->uris.v[i]))
			errlist_add(errs, file, 0, "directory.ldap.uris", "\"%s\" is not an LDAP URI "
			    "(expected ldap://host:port/ or ldaps://host:port/)", c->uris.v[i]);
	if (!template_valid(c->user_filter, 'u'))
		errlist_add(errs, file, 0, "directory.ldap.user_filter", "\"%s\" is not one "
		    "parenthesised filter containing %%u", c->user_filter);
	if (!template_valid(c->recipient_filter, 's'))
		errlist_add(errs, file, 0, "directory.ldap.recipient_filter", "\"%s\" is not one "
		    "parenthesised filter containing %%s", c->recipient_filter);
	if (c->group_filter[0] != '\0' && !template_valid(c->group_filter, '\0'))
		errlist_add(errs, file, 0, "directory.ldap.group_filter", "\"%s\" is not one "
		    "parenthesised filter (or \"\" for none)", c->group_filter);
	if (c->address_attributes.n == 0)
		errlist_add(errs, file, 0, "directory.ldap.address_attributes",
		    "empty (expected e.g. [ \"mail\" ])");
	/* An empty base is the server's default search base (Domino's LDAP
	 * searches its whole directory from it, as its documentation advises). */
	check_group_classes(c, file, errs);
	check_login_domains(c, file, errs);
}

static void
copy_config(struct ldap_config *d, const struct ldap_config *s)
{
	*d = *s;
	strlist_copy(&d->uris, &s->uris);
	strlist_copy(&d->address_attributes, &s->address_attributes);
	strlist_copy(&d->send_as_attributes, &s->send_as_attributes);
	strlist_copy(&d->on_behalf_attributes, &s->on_behalf_attributes);
	strlist_copy(&d->member_attributes, &s->member_attributes);
	strlist_copy(&d->group_classes, &s->group_classes);
	strlist_copy(&d->login_domains, &s->login_domains);
	d->bind_dn = dup_or_empty(s->bind_dn);
	d->bind_password_file = dup_or_empty(s->bind_password_file);
	d->base = dup_or_empty(s->base);
	d->user_filter = dup_or_empty(s->user_filter);
	d->recipient_filter = dup_or_empty(s->recipient_filter);
	d->group_filter = dup_or_empty(s->group_filter);
	d->ca_file = dup_or_empty(s->ca_file);
	d->cert_file = dup_or_empty(s->cert_file);
	d->key_file = dup_or_empty(s->key_file);
}

void
ldap_config_free(struct ldap_config *c)
{
	strlist_free(&c->uris);
	strlist_free(&c->address_attributes);
	strlist_free(&c->send_as_attributes);
	strlist_free(&c->on_behalf_attributes);
	strlist_free(&c->member_attributes);
	strlist_free(&c->group_classes);
	strlist_free(&c->login_domains);
	free(c->bind_dn);
	free(c->bind_password_file);
	free(c->base);
	free(c->user_filter);
	free(c->recipient_filter);
	free(c->group_filter);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
}

static void
ldap_dir_free(void *state)
{
	struct ldap_dir *d = state;

	ldap_conn_free(d->conn);
	ldap_config_free(&d->cfg);
	free(d->group_match);
	if (d->password != NULL)
		explicit_bzero(d->password, strlen(d->password));
	free(d->password);
	free(d);
}

/* ---- reading entries ---- */

static void
collect_user(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct user_ctx *c = arg;
	char *dn = ldap_get_dn(ld, e);

	if (c->dn != NULL) {        /* a second entry: ambiguous, read no more */
		ldap_memfree(dn);
		return;
	}
	c->dn = xstrdup(dn ? dn : "");
	ldap_memfree(dn);
	for (size_t i = 0; i < c->d->cfg.address_attributes.n; i++)
		directory_ldap_values_add(ld, e, c->d->cfg.address_attributes.v[i], c, NULL);
	for (size_t i = 0; i < c->d->cfg.send_as_attributes.n; i++)
		directory_ldap_values_add(ld, e, c->d->cfg.send_as_attributes.v[i], c, &c->send_as_dns);
	if (c->d->cfg.want_groups && c->d->cfg.nested_groups == LDAP_NESTED_MEMBER_OF)
		directory_ldap_groups_add_member_of(ld, e, c);
	directory_ldap_groups_remember_own(ld, e, c);
}

static enum lookup_result
add_delegations(struct ldap_dir *d, struct user_ctx *c, char *why, size_t whylen)
{
	int entries;

	for (size_t i = 0; i < c->send_as_dns.n; i++) {
		struct ldap_search s = { c->send_as_dns.v[i], LDAP_SCOPE_BASE, "(objectClass=*)",
			d->cfg.address_attributes.v, 1, true };
		enum lookup_result r = ldap_conn_search(d->conn, &s, directory_ldap_values_collect, c,
		    &entries, why, whylen);
		if (r == LOOKUP_TEMPFAIL)
			return r;
		if (r == LOOKUP_NOTFOUND)
			log_warn("ldap: send-as value \"%s\" of %s names no entry; it grants nothing",
			    c->send_as_dns.v[i], c->user->login);
	}
	return LOOKUP_FOUND;
}

static char **
user_attributes(struct ldap_dir *d)
{
	size_t n = d->cfg.address_attributes.n + d->cfg.send_as_attributes.n + 1, k = 0;
	char **attrs = xcalloc(n + 1, sizeof(*attrs));

	for (size_t i = 0; i < d->cfg.address_attributes.n; i++)
		attrs[k++] = d->cfg.address_attributes.v[i];
	for (size_t i = 0; i < d->cfg.send_as_attributes.n; i++)
		attrs[k++] = d->cfg.send_as_attributes.v[i];
	if (d->cfg.want_groups && d->cfg.nested_groups == LDAP_NESTED_MEMBER_OF)
		attrs[k++] = MEMBER_OF_ATTR;
	return attrs;
}

/* "ACME\jdoe", the down-level form Windows users type: with login_domains
 * set, the name to search for is jdoe when ACME is one of them (any case),
 * and there is none (not found, no search) for another domain - a prefix
 * is never stripped blindly. A login without a backslash, or any login when
 * login_domains is empty, is itself (a backslash is then just a character,
 * escaped in the filter). */
static const char *
login_name(const struct ldap_config *cfg, const char *login)
{
	const char *bs = strchr(login, '\\');

	if (bs == NULL || cfg->login_domains.n == 0)
		return login;
	for (size_t i = 0; i < cfg->login_domains.n; i++) {
		const char *dom = cfg->login_domains.v[i];
		if (strlen(dom) == (size_t)(bs - login) && strncasecmp(login, dom, strlen(dom)) == 0 &&
		    bs[1] != '\0') {
			log_debug("ldap: login %s: domain %s is in login_domains; looking up %s", login,
			    dom, bs + 1);
			return bs + 1;
		}
	}
	log_info("ldap: login %s: domain %.*s is not in directory.ldap.login_domains; not found",
	    login, (int)(bs - login), login);
	return NULL;
}

static enum lookup_result
ldap_lookup_user(void *state, const char *login, struct dir_user **out, char *why,
    size_t whylen)
{
	struct ldap_dir *d = state;
	struct user_ctx c = { d, directory_user_new(login), false, NULL, { 0 }, { 0 }, 0, { 0 } };
	const char *name = login_name(&d->cfg, login);
	char *filter = name ? directory_ldap_values_filter(d->cfg.user_filter, 'u', name) : NULL;
	char **attrs = user_attributes(d);
	struct ldap_search s = { d->cfg.base, LDAP_SCOPE_SUBTREE, filter, attrs, 2, false };
	int entries = 0;
	enum lookup_result r = LOOKUP_NOTFOUND;

	if (filter != NULL)
		r = ldap_conn_search(d->conn, &s, collect_user, &c, &entries, why, whylen);
	if (r == LOOKUP_FOUND && entries > 1) {
		log_info("ldap: login %s is ambiguous (%d entries); treated as not found", login,
		    entries);
		r = LOOKUP_NOTFOUND;
	}
	if (r == LOOKUP_FOUND)
		r = add_delegations(d, &c, why, whylen);
	if (r == LOOKUP_FOUND && d->cfg.want_groups)
		directory_ldap_groups_add(d, &c);
	if (r == LOOKUP_FOUND)
		r = directory_ldap_groups_add_on_behalf(d, &c, why, whylen);
	if (c.other_types > 0)
		log_debug("ldap: login %s: %u address value(s) of another type (X500:, SIP:, ...) "
		    "ignored", login, c.other_types);
	free(filter);
	free(attrs);
	free(c.dn);
	strlist_free(&c.send_as_dns);
	strlist_free(&c.member_of);
	strlist_free(&c.own);
	if (r == LOOKUP_FOUND)
		*out = c.user;
	else
		directory_user_unref(c.user);
	return r;
}

struct kind_ctx {
	const struct ldap_dir *d;
	bool group;
};

/* An entry is a group when one of its objectClass values is in group_classes. */
static void
collect_kind(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct kind_ctx *k = arg;
	const struct strlist *classes = &k->d->cfg.group_classes;
	struct berval **vals = ldap_get_values_len(ld, e, "objectClass");

	for (size_t i = 0; vals && vals[i]; i++)
		for (size_t j = 0; j < classes->n; j++)
			if (vals[i]->bv_len == strlen(classes->v[j]) &&
			    strncasecmp(vals[i]->bv_val, classes->v[j], vals[i]->bv_len) == 0)
				k->group = true;
	ldap_value_free_len(vals);
}

/* recipient_filter for the address key; for an international domain also
 * for its U-label form, OR-ed: a directory may store either (the key is
 * always the A-label form). */
static char *
recipient_search_filter(struct ldap_dir *d, const char *address)
{
	const char *at = strrchr(address, '@');
	char shown[2 * ADDRESS_TEXT_MAX], *u = NULL;

	if (at == NULL || !idn_domain_is_international(at + 1))
		return directory_ldap_values_filter(d->cfg.recipient_filter, 's', address);
	idn_domain_display(at + 1, shown, sizeof(shown));     /* "U (A)" */
	char *cut = strstr(shown, " (");
	if (cut == NULL)
		return directory_ldap_values_filter(d->cfg.recipient_filter, 's', address);
	*cut = '\0';
	u = xasprintf("%.*s@%s", (int)(at - address), address, shown);
	char *fa = directory_ldap_values_filter(d->cfg.recipient_filter, 's', address);
	char *fu = directory_ldap_values_filter(d->cfg.recipient_filter, 's', u);
	char *f = fa && fu ? xasprintf("(|%s%s)", fa, fu) : NULL;
	free(fa);
	free(fu);
	free(u);
	return f;
}

static enum lookup_result
ldap_lookup_recipient(void *state, const char *address, enum recipient_kind *kind, char *why,
    size_t whylen)
{
	struct ldap_dir *d = state;
	char *attrs[] = { "objectClass", NULL };
	char *filter = recipient_search_filter(d, address);
	struct ldap_search s = { d->cfg.base, LDAP_SCOPE_SUBTREE, filter, attrs, 2, false };
	struct kind_ctx k = { d, false };
	int entries = 0;
	enum lookup_result r = LOOKUP_NOTFOUND;

	if (filter != NULL)
		r = ldap_conn_search(d->conn, &s, collect_kind, &k, &entries, why, whylen);
	*kind = entries > 1 ? RECIPIENT_AMBIGUOUS : k.group ? RECIPIENT_GROUP : RECIPIENT_PERSON;
	free(filter);
	return r;
}

static void
ldap_health(void *state, directory_health_fn fn, void *ctx)
{
	struct ldap_dir *d = state;

	ldap_conn_health(d->conn, fn, ctx);
}

static const struct directory_ops ldap_ops = { "ldap", ldap_lookup_user, ldap_lookup_recipient,
	ldap_dir_free, NULL, ldap_health };

struct directory *
directory_ldap_open(const struct ldap_config *cfg, const char *file, struct errlist *errs)
{
	size_t before = errs->count;
	char *password = NULL;

	check_config(cfg, file, errs);
	ldap_tls_check_files(cfg, file, errs);
	if (cfg->bind_password_file != NULL && cfg->bind_password_file[0] != '\0')
		password = secret_file_read(cfg->bind_password_file, file,
		    "directory.ldap.bind_password_file", errs);
	if (errs->count != before) {
		free(password);
		return NULL;
	}
	struct ldap_dir *d = xcalloc(1, sizeof(*d));
	copy_config(&d->cfg, cfg);
	d->password = password;
	d->conn = ldap_conn_new(&d->cfg, d->password);
	d->group_match = directory_ldap_groups_match(&d->cfg);
	struct directory *dir = xcalloc(1, sizeof(*dir));
	dir->ops = &ldap_ops;
	dir->state = d;
	return dir;
}

/* ---- for ldap_probe.c (see directory_ldap.h) ---- */

char *
directory_ldap_read_password(const char *path, const char *file, struct errlist *errs)
{
	return secret_file_read(path, file, "directory.ldap.bind_password_file", errs);
}

char *
directory_ldap_filter(const char *tmpl, char c, const char *value)
{
	return directory_ldap_values_filter(tmpl, c, value);
}

char *
directory_ldap_user_filter(const struct ldap_config *cfg, const char *login)
{
	const char *name = login_name(cfg, login);

	return name ? directory_ldap_values_filter(cfg->user_filter, 'u', name) : NULL;
}

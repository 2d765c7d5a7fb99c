/*
 * directory_ldap.c - LDAP backend (see directory_ldap.h for the contract).
 *
 * Validates the settings, builds filters and reads entries into dir_user;
 * the connections, failover and timeouts live in ldap_conn.c. Filters are
 * built in exactly one place, filter_expand, and every substituted value
 * passes through ldap_bv2escaped_filter_value (RFC 4515).
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
#include "ldap_conn.h"
#include "ldap_tls.h"
#include "log.h"
#include "xalloc.h"

struct ldap_dir {
	struct ldap_config cfg;     /* deep copy */
	char *password;             /* NULL: anonymous */
	struct ldap_conn *conn;
};

static char *
dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
}

/* Replaces every %<c> in tmpl by the escaped value. Returns NULL if a value
 * cannot be escaped (never for valid input). */
static char *
filter_expand(const char *tmpl, char c, const char *value)
{
	struct berval in = { strlen(value), (char *)value }, out = { 0, NULL };
	size_t cap = strlen(tmpl) + 1, used = 0;
	char *buf;

	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		return NULL;
	for (const char *p = tmpl; *p; p++)
		if (p[0] == '%' && p[1] == c)
			cap += out.bv_len;
	buf = xmalloc(cap);
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == c) {
			memcpy(buf + used, out.bv_val, out.bv_len);
			used += out.bv_len;
			p++;
		} else {
			buf[used++] = *p;
		}
	}
	buf[used] = '\0';
	ber_memfree(out.bv_val);
	return buf;
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

static char *
read_password(const char *path, const char *file, struct errlist *errs)
{
	struct stat st;
	char buf[1024];
	FILE *fp;

	if (stat(path, &st) != 0) {
		errlist_add(errs, file, 0, "directory.ldap.bind_password_file",
		    "cannot read %s", path);
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		errlist_add(errs, file, 0, "directory.ldap.bind_password_file",
		    "%s is readable by group or others (expected mode 0600 or 0400)", path);
		return NULL;
	}
	if ((fp = fopen(path, "r")) == NULL || fgets(buf, sizeof(buf), fp) == NULL) {
		if (fp != NULL)
			fclose(fp);
		errlist_add(errs, file, 0, "directory.ldap.bind_password_file",
		    "cannot read a password from %s", path);
		return NULL;
	}
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	return xstrdup(buf);
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
	if (!template_valid(c->group_filter, '\0'))
		errlist_add(errs, file, 0, "directory.ldap.group_filter", "\"%s\" is not one "
		    "parenthesised filter", c->group_filter);
	if (c->address_attributes.n == 0)
		errlist_add(errs, file, 0, "directory.ldap.address_attributes",
		    "empty (expected e.g. [ \"mail\" ])");
	if (c->base == NULL || c->base[0] == '\0')
		errlist_add(errs, file, 0, "directory.ldap.base", "empty (expected a DN)");
}

static void
copy_config(struct ldap_config *d, const struct ldap_config *s)
{
	*d = *s;
	strlist_copy(&d->uris, &s->uris);
	strlist_copy(&d->address_attributes, &s->address_attributes);
	strlist_copy(&d->send_as_attributes, &s->send_as_attributes);
	strlist_copy(&d->member_attributes, &s->member_attributes);
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
	strlist_free(&c->member_attributes);
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
	if (d->password != NULL)
		explicit_bzero(d->password, strlen(d->password));
	free(d->password);
	free(d);
}

/* ---- reading entries ---- */

struct user_ctx {
	struct ldap_dir *d;
	struct dir_user *user;
	bool group;                 /* addresses go to group_owned */
	char *dn;
	struct strlist send_as_dns;
};

static void
add_values(LDAP *ld, LDAPMessage *e, const char *attr, struct user_ctx *c,
    struct strlist *non_addresses)
{
	struct berval **vals = ldap_get_values_len(ld, e, attr);
	char key[ADDRESS_TEXT_MAX], text[ADDRESS_TEXT_MAX];

	for (size_t i = 0; vals && vals[i]; i++) {
		if (vals[i]->bv_len >= sizeof(text) || memchr(vals[i]->bv_val, '\0', vals[i]->bv_len))
			continue;
		memcpy(text, vals[i]->bv_val, vals[i]->bv_len);
		text[vals[i]->bv_len] = '\0';
		if (directory_owned_key(text, key, sizeof(key)) && strchr(text, '=') == NULL)
			directory_user_add(c->user, key, c->group);
		else if (non_addresses != NULL)
			strlist_add(non_addresses, text);
	}
	ldap_value_free_len(vals);
}

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
		add_values(ld, e, c->d->cfg.address_attributes.v[i], c, NULL);
	for (size_t i = 0; i < c->d->cfg.send_as_attributes.n; i++)
		add_values(ld, e, c->d->cfg.send_as_attributes.v[i], c, &c->send_as_dns);
}

static void
collect_addresses(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct user_ctx *c = arg;

	for (size_t i = 0; i < c->d->cfg.address_attributes.n; i++)
		add_values(ld, e, c->d->cfg.address_attributes.v[i], c, NULL);
}

static enum lookup_result
add_delegations(struct ldap_dir *d, struct user_ctx *c, char *why, size_t whylen)
{
	int entries;

	for (size_t i = 0; i < c->send_as_dns.n; i++) {
		struct ldap_search s = { c->send_as_dns.v[i], LDAP_SCOPE_BASE, "(objectClass=*)",
			d->cfg.address_attributes.v, 1, true };
		enum lookup_result r = ldap_conn_search(d->conn, &s, collect_addresses, c, &entries, why,
		    whylen);
		if (r == LOOKUP_TEMPFAIL)
			return r;
		if (r == LOOKUP_NOTFOUND)
			log_warn("ldap: send-as value \"%s\" of %s names no entry; it grants nothing",
			    c->send_as_dns.v[i], c->user->login);
	}
	return LOOKUP_FOUND;
}

/* (&<group_filter>(|(member=<dn>)(uniqueMember=<dn>))) */
static char *
group_search_filter(struct ldap_dir *d, const char *dn)
{
	char *parts = xstrdup(""), *f;

	for (size_t i = 0; i < d->cfg.member_attributes.n; i++) {
		char *tmpl = xasprintf("(%s=%%u)", d->cfg.member_attributes.v[i]);
		char *one = filter_expand(tmpl, 'u', dn);
		char *joined = xasprintf("%s%s", parts, one ? one : "");
		free(tmpl);
		free(one);
		free(parts);
		parts = joined;
	}
	f = xasprintf("(&%s(|%s))", d->cfg.group_filter, parts);
	free(parts);
	return f;
}

static enum lookup_result
add_groups(struct ldap_dir *d, struct user_ctx *c, char *why, size_t whylen)
{
	char *filter = group_search_filter(d, c->dn);
	struct ldap_search s = { d->cfg.base, LDAP_SCOPE_SUBTREE, filter, d->cfg.address_attributes.v,
		100, false };
	int entries;

	c->group = true;
	enum lookup_result r = ldap_conn_search(d->conn, &s, collect_addresses, c, &entries, why, whylen);
	c->group = false;
	free(filter);
	return r == LOOKUP_TEMPFAIL ? r : LOOKUP_FOUND;
}

static char **
user_attributes(struct ldap_dir *d)
{
	size_t n = d->cfg.address_attributes.n + d->cfg.send_as_attributes.n, k = 0;
	char **attrs = xcalloc(n + 1, sizeof(*attrs));

	for (size_t i = 0; i < d->cfg.address_attributes.n; i++)
		attrs[k++] = d->cfg.address_attributes.v[i];
	for (size_t i = 0; i < d->cfg.send_as_attributes.n; i++)
		attrs[k++] = d->cfg.send_as_attributes.v[i];
	return attrs;
}

static enum lookup_result
ldap_lookup_user(void *state, const char *login, struct dir_user **out, char *why,
    size_t whylen)
{
	struct ldap_dir *d = state;
	struct user_ctx c = { d, directory_user_new(login), false, NULL, { 0 } };
	char *filter = filter_expand(d->cfg.user_filter, 'u', login);
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
		r = add_groups(d, &c, why, whylen);
	if (r == LOOKUP_TEMPFAIL)
		directory_count(COUNT_FAILURE);
	free(filter);
	free(attrs);
	free(c.dn);
	strlist_free(&c.send_as_dns);
	if (r == LOOKUP_FOUND)
		*out = c.user;
	else
		directory_user_unref(c.user);
	return r;
}

static void
collect_kind(LDAP *ld, LDAPMessage *e, void *arg)
{
	static const char *const group_classes[] = { "groupOfNames", "groupOfUniqueNames",
		"groupOfURLs", NULL };
	struct berval **vals = ldap_get_values_len(ld, e, "objectClass");
	bool *group = arg;

	for (size_t i = 0; vals && vals[i]; i++)
		for (size_t k = 0; group_classes[k]; k++)
			if (vals[i]->bv_len == strlen(group_classes[k]) &&
			    strncasecmp(vals[i]->bv_val, group_classes[k], vals[i]->bv_len) == 0)
				*group = true;
	ldap_value_free_len(vals);
}

static enum lookup_result
ldap_lookup_recipient(void *state, const char *address, enum recipient_kind *kind, char *why,
    size_t whylen)
{
	struct ldap_dir *d = state;
	char *attrs[] = { "objectClass", NULL };
	char *filter = filter_expand(d->cfg.recipient_filter, 's', address);
	struct ldap_search s = { d->cfg.base, LDAP_SCOPE_SUBTREE, filter, attrs, 2, false };
	bool group = false;
	int entries = 0;
	enum lookup_result r = LOOKUP_NOTFOUND;

	if (filter != NULL)
		r = ldap_conn_search(d->conn, &s, collect_kind, &group, &entries, why, whylen);
	if (r == LOOKUP_TEMPFAIL)
		directory_count(COUNT_FAILURE);
	*kind = entries > 1 ? RECIPIENT_AMBIGUOUS : group ? RECIPIENT_GROUP : RECIPIENT_PERSON;
	free(filter);
	return r;
}

static const struct directory_ops ldap_ops = { "ldap", ldap_lookup_user, ldap_lookup_recipient,
	ldap_dir_free };

struct directory *
directory_ldap_open(const struct ldap_config *cfg, const char *file, struct errlist *errs)
{
	size_t before = errs->count;
	char *password = NULL;

	check_config(cfg, file, errs);
	ldap_tls_check_files(cfg, file, errs);
	if (cfg->bind_password_file != NULL && cfg->bind_password_file[0] != '\0')
		password = read_password(cfg->bind_password_file, file, errs);
	if (errs->count != before) {
		free(password);
		return NULL;
	}
	struct ldap_dir *d = xcalloc(1, sizeof(*d));
	copy_config(&d->cfg, cfg);
	d->password = password;
	d->conn = ldap_conn_new(&d->cfg, d->password);
	struct directory *dir = xcalloc(1, sizeof(*dir));
	dir->ops = &ldap_ops;
	dir->state = d;
	return dir;
}

/* ---- for ldap_probe.c (see directory_ldap.h) ---- */

char *
directory_ldap_read_password(const char *path, const char *file, struct errlist *errs)
{
	return read_password(path, file, errs);
}

char *
directory_ldap_filter(const char *tmpl, char c, const char *value)
{
	return filter_expand(tmpl, c, value);
}

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
#include "idn.h"
#include "ldap_conn.h"
#include "ldap_tls.h"
#include "log.h"
#include "xalloc.h"

/* AD's LDAP_MATCHING_RULE_IN_CHAIN: membership through any depth of groups. */
#define IN_CHAIN_OID "1.2.840.113556.1.4.1941"
#define MEMBER_OF_ATTR "memberOf"
#define MEMBER_OF_MAX 256           /* groups read per user (member_of) */

struct ldap_dir {
	struct ldap_config cfg;     /* deep copy */
	char *password;             /* NULL: anonymous */
	struct ldap_conn *conn;
	char *group_match;          /* (&(|(objectClass=<each group class>))<group_filter>) */
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

struct user_ctx {
	struct ldap_dir *d;
	struct dir_user *user;
	bool group;                 /* addresses go to group_owned */
	char *dn;
	struct strlist send_as_dns;
	struct strlist member_of;   /* nested_groups = "member_of": the user's groups */
	unsigned other_types;       /* X500:, SIP:, ... values ignored */
	struct strlist own;         /* the entry's own address values, for on_behalf */
};

/* An address value as AD and Exchange write them in proxyAddresses:
 * "SMTP:a@b" (the primary) and "smtp:a@b" are a@b; any other "type:"
 * prefix (X500:, SIP:, x400:, EUM:, ...) is an address of another kind,
 * NULL. A value without a prefix (a@b, @domain, a DN) is itself. */
static const char *
value_address(const char *text)
{
	size_t n = strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

	if (n == 0 || text[n] != ':')
		return text;
	if (n == 4 && strncasecmp(text, "smtp", 4) == 0)
		return text + 5;
	return NULL;
}

typedef void address_value_fn(const char *value, struct user_ctx *c, void *arg);

/* Calls fn for each text value of attr (no NUL, short enough), AD's smtp:
 * prefix removed; values of another type (X500:, SIP:, ...) are counted in
 * c->other_types, once per entry read for the user itself (count true). */
static void
each_address_value(LDAP *ld, LDAPMessage *e, const char *attr, struct user_ctx *c, bool count,
    address_value_fn *fn, void *arg)
{
	struct berval **vals = ldap_get_values_len(ld, e, attr);
	char text[ADDRESS_TEXT_MAX];

	for (size_t i = 0; vals && vals[i]; i++) {
		if (vals[i]->bv_len >= sizeof(text) || memchr(vals[i]->bv_val, '\0', vals[i]->bv_len))
			continue;
		memcpy(text, vals[i]->bv_val, vals[i]->bv_len);
		text[vals[i]->bv_len] = '\0';
		const char *v = value_address(text);
		if (v != NULL)
			fn(v, c, arg);
		else if (count)
			c->other_types++;
	}
	ldap_value_free_len(vals);
}

/* An owned address (to owned or group_owned), else a DN or other value for
 * non_addresses (send-as DNs), if given. */
static void
add_value(const char *v, struct user_ctx *c, void *arg)
{
	struct strlist *non_addresses = arg;
	char key[ADDRESS_TEXT_MAX];

	if (directory_owned_key(v, key, sizeof(key)) && strchr(v, '=') == NULL)
		directory_user_add(c->user, key, c->group);
	else if (non_addresses != NULL)
		strlist_add(non_addresses, v);
}

static void
add_values(LDAP *ld, LDAPMessage *e, const char *attr, struct user_ctx *c,
    struct strlist *non_addresses)
{
	each_address_value(ld, e, attr, c, true, add_value, non_addresses);
}

/* The user's memberOf values, at most MEMBER_OF_MAX (logged beyond). */
static void
add_member_of(LDAP *ld, LDAPMessage *e, struct user_ctx *c)
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

static void
remember_own(LDAP *ld, LDAPMessage *e, struct user_ctx *c)
{
	if (c->d->cfg.on_behalf_attributes.n == 0)
		return;
	for (size_t a = 0; a < c->d->cfg.address_attributes.n; a++)
		each_address_value(ld, e, c->d->cfg.address_attributes.v[a], c, false,
		    remember_value, NULL);
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
	if (c->d->cfg.want_groups && c->d->cfg.nested_groups == LDAP_NESTED_MEMBER_OF)
		add_member_of(ld, e, c);
	remember_own(ld, e, c);
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

/* (&(|(objectClass=groupOfNames)(objectClass=group)...)<group_filter>):
 * what makes an entry a group, for group send-as. */
static char *
group_match_filter(const struct ldap_config *cfg)
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
		char *one = filter_expand(tmpl, 'u', dn);
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
		if (ldap_conn_search(d->conn, &s, collect_addresses, c, &entries, why, whylen) ==
		    LOOKUP_TEMPFAIL)
			return LOOKUP_TEMPFAIL;
	}
	return LOOKUP_FOUND;
}

/* The groups' addresses go to group_owned. A failed group search is not an
 * outage of the whole lookup: the user's own addresses are known, and only
 * a sender that needs a group is unavailable (dir_user.groups_error). */
static void
add_groups(struct ldap_dir *d, struct user_ctx *c)
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
		r = ldap_conn_search(d->conn, &s, collect_addresses, c, &entries, why, sizeof(why));
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
		each_address_value(ld, e, c->d->cfg.address_attributes.v[a], c, false,
		    on_behalf_value, NULL);
}

/* (|(attr=<dn>)(attr=<own address>)...) over every on_behalf attribute;
 * each value escaped by filter_expand. */
static char *
on_behalf_filter(struct ldap_dir *d, struct user_ctx *c)
{
	char *parts = xstrdup(""), *f;

	for (size_t i = 0; i < d->cfg.on_behalf_attributes.n; i++) {
		char *tmpl = xasprintf("(%s=%%u)", d->cfg.on_behalf_attributes.v[i]);
		for (size_t k = 0; k <= c->own.n; k++) {
			char *one = filter_expand(tmpl, 'u', k == c->own.n ? c->dn : c->own.v[k]);
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
static enum lookup_result
add_on_behalf(struct ldap_dir *d, struct user_ctx *c, char *why, size_t whylen)
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
	char *filter = name ? filter_expand(d->cfg.user_filter, 'u', name) : NULL;
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
		add_groups(d, &c);
	if (r == LOOKUP_FOUND)
		r = add_on_behalf(d, &c, why, whylen);
	if (r == LOOKUP_TEMPFAIL)
		directory_count(COUNT_FAILURE);
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
		return filter_expand(d->cfg.recipient_filter, 's', address);
	idn_domain_display(at + 1, shown, sizeof(shown));     /* "U (A)" */
	char *cut = strstr(shown, " (");
	if (cut == NULL)
		return filter_expand(d->cfg.recipient_filter, 's', address);
	*cut = '\0';
	u = xasprintf("%.*s@%s", (int)(at - address), address, shown);
	char *fa = filter_expand(d->cfg.recipient_filter, 's', address);
	char *fu = filter_expand(d->cfg.recipient_filter, 's', u);
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
	if (r == LOOKUP_TEMPFAIL)
		directory_count(COUNT_FAILURE);
	*kind = entries > 1 ? RECIPIENT_AMBIGUOUS : k.group ? RECIPIENT_GROUP : RECIPIENT_PERSON;
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
	d->group_match = group_match_filter(&d->cfg);
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

char *
directory_ldap_groups_filter(const struct ldap_config *cfg, const char *dn)
{
	char *match = group_match_filter(cfg), *f = groups_of_filter(cfg, match, dn);

	free(match);
	return f;
}

char *
directory_ldap_user_filter(const struct ldap_config *cfg, const char *login)
{
	const char *name = login_name(cfg, login);

	return name ? filter_expand(cfg->user_filter, 'u', name) : NULL;
}

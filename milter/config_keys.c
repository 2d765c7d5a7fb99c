/*
 * config_keys.c - every key of the policy file, in one table.
 *
 * Each row names a dotted key, its type and the field it fills. Keys that
 * this build recognises but does not enforce yet are "inert": they load
 * when left at their harmless default (false, empty, off) and are refused
 * otherwise, so an admin is never told a control is on when it is not.
 * Runs on the loading thread only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "strmap.h"
#include "xalloc.h"

enum key_type {
	K_SECTION, K_BOOL, K_INT, K_STRING, K_PATH, K_ENUM, K_LOGLEVEL, K_CHAR,
	K_DOMAINS, K_LOCAL_DOMAINS, K_HOSTS, K_NETWORKS, K_ADDRS, K_LOGINS, K_STRLIST, K_REPLY, K_GROUPS,
};

struct config_key {
	const char *path;
	enum key_type type;
	size_t offset;                 /* into struct policy; unused when inert */
	const char *const *names;      /* K_ENUM: values in enum order */
	int min, max;                  /* K_INT */
	enum reply_class klass;        /* K_REPLY */
	bool inert;                    /* recognised, not enforced by this build */
};

static const char *const enforce_names[] = { "external", "all", "none", NULL };
static const char *const auth_names[] = { "allow", "check", NULL };
static const char *const hidden_names[] = { "reject", "judge", NULL };
static const char *const null_names[] = { "allow", "reject", NULL };
static const char *const failure_names[] = { "tempfail", "accept", NULL };
static const char *const backend_names[] = { "file", "ldap", NULL };
static const char *const groups_names[] = { "none", "external", "all", NULL };

#define F(field) offsetof(struct policy, field)
#define SECTION(p) { p, K_SECTION, 0, NULL, 0, 0, 0, false }
#define KEY(p, t, field) { p, t, F(field), NULL, 0, 0, 0, false }
#define INT(p, field, lo, hi) { p, K_INT, F(field), NULL, lo, hi, 0, false }
#define ENUM(p, field, n) { p, K_ENUM, F(field), n, 0, 0, 0, false }
#define REPLY(p, field, k) { p, K_REPLY, F(field), NULL, 0, 0, k, false }
#define INERT(p, t) { p, t, 0, NULL, 0, 0, 0, true }
#define INERT_ENUM(p, n) { p, K_ENUM, 0, n, 0, 0, 0, true }

static const struct config_key keys[] = {
	SECTION("milter"),
	KEY("milter.socket", K_STRING, milter_socket),
	KEY("milter.user", K_STRING, milter_user),
	INT("milter.timeout", milter_timeout, 1, 3600),
	KEY("log_level", K_LOGLEVEL, log_level),
	KEY("report_only", K_BOOL, report_only),
	INT("config_update_interval", config_update_interval, 0, 86400),
	KEY("local_domains", K_LOCAL_DOMAINS, local_domains),
	KEY("internal_networks", K_NETWORKS, internal_networks),
	SECTION("relay"),
	ENUM("relay.enforce", relay.enforce, enforce_names),
	KEY("relay.exclude_hosts", K_HOSTS, relay.exclude_hosts),
	ENUM("relay.authenticated", relay.authenticated, auth_names),
	KEY("relay.allow_to_domains", K_DOMAINS, relay.allow_to_domains),
	KEY("relay.deny_to_domains", K_DOMAINS, relay.deny_to_domains),
	KEY("relay.allow_from_hosts", K_HOSTS, relay.allow_from_hosts),
	KEY("relay.deny_from_hosts", K_HOSTS, relay.deny_from_hosts),
	KEY("relay.deny_wins", K_BOOL, relay.deny_wins),
	ENUM("relay.hidden_routes", relay.hidden_routes, hidden_names),
	REPLY("relay.reply", relay.reply, REPLY_REJECT),
	SECTION("verify_sender"),
	KEY("verify_sender.envelope", K_BOOL, verify_sender.envelope),
	KEY("verify_sender.headers", K_BOOL, verify_sender.headers),
	REPLY("verify_sender.malformed_reply", malformed_reply, REPLY_REJECT),
	ENUM("verify_sender.null_sender", verify_sender.null_sender, null_names),
	KEY("verify_sender.recipient_delimiter", K_CHAR, verify_sender.delimiter),
	KEY("verify_sender.group_send_as", K_BOOL, verify_sender.group_send_as),
	KEY("verify_sender.exempt_users", K_LOGINS, verify_sender.exempt_users),
	REPLY("verify_sender.reply", verify_sender.reply, REPLY_REJECT),
	INERT("protect_local_senders", K_BOOL),
	INERT("protect_local_senders_except", K_ADDRS),
	SECTION("connection"),
	INERT("connection.allow_hosts", K_HOSTS),
	INERT("connection.deny_hosts", K_HOSTS),
	INERT("connection.verify_hostname", K_BOOL),
	INERT("connection.max_sessions", K_INT),
	INT("connection.error_limit", error_limit, 0, 1000),
	REPLY("connection.error_limit_reply", error_limit_reply, REPLY_TEMPFAIL),
	INERT("connection.dnsbl", K_GROUPS),
	INERT("connection.dnswl", K_DOMAINS),
	SECTION("sender"),
	INERT("sender.allow", K_ADDRS),
	INERT("sender.deny", K_ADDRS),
	INERT("sender.verify_domain", K_BOOL),
	{ "sender.verify_domain_timeout", K_INT, 0, NULL, 1, 3600, 0, true },
	INERT("sender.strict_syntax", K_BOOL),
	{ "sender.max_message_size", K_INT, 0, NULL, 0, 0, 0, true },
	SECTION("recipients"),
	INERT("recipients.allow", K_ADDRS),
	INERT("recipients.deny", K_ADDRS),
	KEY("recipients.verify_local", K_BOOL, recipients.verify_local),
	ENUM("recipients.deny_groups", recipients.deny_groups, groups_names),
	KEY("recipients.deny_ambiguous", K_BOOL, recipients.deny_ambiguous),
	REPLY("recipients.verify_local_reply", recipients.verify_local_reply, REPLY_REJECT),
	REPLY("recipients.deny_groups_reply", recipients.deny_groups_reply, REPLY_REJECT),
	REPLY("recipients.deny_ambiguous_reply", recipients.deny_ambiguous_reply, REPLY_REJECT),
	{ "recipients.max", K_INT, 0, NULL, 0, 0, 0, true },
	SECTION("dns"),
	INERT("dns.servers", K_HOSTS),
	{ "dns.timeout", K_INT, 0, NULL, 1, 60, 0, true },
	SECTION("directory"),
	ENUM("directory.backend", backend, backend_names),
	KEY("directory.file", K_PATH, directory_file),
	ENUM("directory.on_failure", on_failure, failure_names),
	REPLY("directory.reply", directory_reply, REPLY_TEMPFAIL),
	SECTION("directory.cache"),
	INT("directory.cache.ttl", cache.ttl, 0, 86400),
	INT("directory.cache.negative_ttl", cache.negative_ttl, 0, 86400),
	INT("directory.cache.max_entries", cache.max_entries, 0, 10000000),
	SECTION("directory.ldap"),
	KEY("directory.ldap.uris", K_STRLIST, ldap.uris),
	KEY("directory.ldap.bind_dn", K_STRING, ldap.bind_dn),
	KEY("directory.ldap.bind_password_file", K_PATH, ldap.bind_password_file),
	KEY("directory.ldap.base", K_STRING, ldap.base),
	KEY("directory.ldap.user_filter", K_STRING, ldap.user_filter),
	KEY("directory.ldap.recipient_filter", K_STRING, ldap.recipient_filter),
	KEY("directory.ldap.group_filter", K_STRING, ldap.group_filter),
	KEY("directory.ldap.address_attributes", K_STRLIST, ldap.address_attributes),
	KEY("directory.ldap.send_as_attributes", K_STRLIST, ldap.send_as_attributes),
	KEY("directory.ldap.member_attributes", K_STRLIST, ldap.member_attributes),
	KEY("directory.ldap.starttls", K_BOOL, ldap.starttls),
	KEY("directory.ldap.ca_file", K_PATH, ldap.ca_file),
	INT("directory.ldap.timeout", ldap.timeout, 1, 60),
	INT("directory.ldap.pool_size", ldap.pool_size, 1, 64),
	INERT("profiles", K_GROUPS),
};

#define FIELD(ctx, k, type) ((type *)((char *)(ctx)->policy + (k)->offset))

void
config_error(struct config_ctx *ctx, const config_setting_t *s, const char *key, const char *fmt,
    ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *file = s ? config_setting_source_file(s) : NULL;
	char *full = NULL;

	if (file != NULL && file[0] != '/' && strcmp(file, ctx->path) != 0)
		file = full = xasprintf("%s/%s", ctx->dir, file);   /* an @include */
	errlist_add(ctx->errs, file ? file : ctx->path, s ? (int)config_setting_source_line(s) : 0,
	    key, "%s", msg);
	free(full);
}

static bool
is_list(const config_setting_t *s)
{
	int t = config_setting_type(s);
	return t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
}

static const char *
type_words(enum key_type t)
{
	switch (t) {
	case K_BOOL: return "true or false";
	case K_INT: return "an integer";
	case K_STRING: case K_PATH: case K_ENUM: case K_LOGLEVEL: case K_CHAR: case K_REPLY:
		return "a string in double quotes";
	case K_DOMAINS: case K_LOCAL_DOMAINS: case K_HOSTS: case K_NETWORKS: case K_ADDRS:
	case K_LOGINS: case K_STRLIST:
		return "a list of strings, [ \"...\", ... ]";
	case K_GROUPS: return "a list of groups, ( { ... }, ... )";
	case K_SECTION: return "a group, { ... }";
	}
	return "?";
}

static bool
type_fits(enum key_type t, const config_setting_t *s)
{
	int st = config_setting_type(s);

	switch (t) {
	case K_BOOL: return st == CONFIG_TYPE_BOOL;
	case K_INT: return st == CONFIG_TYPE_INT || st == CONFIG_TYPE_INT64;
	case K_STRING: case K_PATH: case K_ENUM: case K_LOGLEVEL: case K_CHAR: case K_REPLY:
		return st == CONFIG_TYPE_STRING;
	case K_DOMAINS: case K_LOCAL_DOMAINS: case K_HOSTS: case K_NETWORKS: case K_ADDRS:
	case K_LOGINS: case K_STRLIST:
		return is_list(s);
	case K_GROUPS: return st == CONFIG_TYPE_LIST;
	case K_SECTION: return st == CONFIG_TYPE_GROUP;
	}
	return false;
}

const struct config_key *
config_key_find(const char *path)
{
	for (size_t i = 0; i < RW_NELEM(keys); i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

bool
config_key_is_section(const struct config_key *k)
{
	return k->type == K_SECTION;
}

/* Levenshtein distance, capped; only for "did you mean" on a config error. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[128];

	if (lb >= RW_NELEM(row))
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *
config_key_suggest(const char *path)
{
	const char *best = NULL;
	size_t best_d = 4;

	for (size_t i = 0; i < RW_NELEM(keys); i++) {
		size_t d = edit_distance(path, keys[i].path);
		if (d < best_d) {
			best_d = d;
			best = keys[i].path;
		}
	}
	return best;
}

static void
apply_enum(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	const char *v = config_setting_get_string(s);
	char expected[256] = "";

	for (size_t i = 0; k->names[i] != NULL; i++) {
		if (strcmp(v, k->names[i]) == 0) {
			if (k->inert && i != 0)
				config_error(ctx, s, k->path, "\"%s\" is not implemented in this "
				    "version yet (only \"%s\" is)", v, k->names[0]);
			else if (!k->inert)
				*FIELD(ctx, k, int) = (int)i;
			return;
		}
		snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected),
		    "%s\"%s\"", i ? " or " : "", k->names[i]);
	}
	config_error(ctx, s, k->path, "unknown value \"%s\" (expected %s)", v, expected);
}

static void
apply_int(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	long long v = config_setting_get_int64(s);

	if ((k->min != 0 || k->max != 0) && (v < k->min || v > k->max)) {
		config_error(ctx, s, k->path, "%lld is out of range (expected %d to %d)", v, k->min,
		    k->max);
		return;
	}
	if (k->inert && k->min == 0 && k->max == 0 && v != 0)
		config_error(ctx, s, k->path, "is not implemented in this version yet (expected 0)");
	else if (!k->inert)
		*FIELD(ctx, k, int) = (int)v;
}

static void
apply_path(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	const char *v = config_setting_get_string(s);
	char **field = FIELD(ctx, k, char *);

	free(*field);
	*field = NULL;
	if (*v == '\0') {      /* "" means none, except where a file is required */
		if (strcmp(k->path, "directory.file") == 0)
			config_error(ctx, s, k->path, "empty path (expected a file name)");
		return;
	}
	*field = v[0] == '/' ? xstrdup(v) : xasprintf("%s/%s", ctx->dir, v);
}

static void
apply_char(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	const char *v = config_setting_get_string(s);

	if (strlen(v) > 1 || (v[0] != '\0' && (v[0] <= ' ' || v[0] == '@' || v[0] >= 0x7f))) {
		config_error(ctx, s, k->path, "\"%s\" is not a single printable character "
		    "(expected e.g. \"+\", or \"\" for none)", v);
		return;
	}
	*FIELD(ctx, k, char) = v[0];
}

static void
apply_reply(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	char err[512];

	if (reply_parse(config_setting_get_string(s), k->klass, FIELD(ctx, k, struct reply), err,
	    sizeof(err)) < 0)
		config_error(ctx, s, k->path, "%s", err);
}

/* Local domains are plain names: recipients compare exactly, client names
 * on a label boundary, so both indexes are filled from one entry. */
static int
add_local_domain(struct policy *p, const char *v, char *err, size_t errlen)
{
	char name[256];

	if (!domain_normalize(v, name, sizeof(name))) {
		snprintf(err, errlen, "\"%s\" is not a domain name (expected e.g. \"acme.com\")", v);
		return -1;
	}
	strmap_put(p->local_domain_names, name, strlen(name), 1);
	return domain_set_add(p->local_domains, name, err, errlen);
}

/* Adds one list element to the set behind the key; returns 0 or -1 + err. */
static int
add_element(const struct config_key *k, struct config_ctx *ctx, const char *v, char *err,
    size_t errlen)
{
	switch (k->type) {
	case K_DOMAINS:
		return domain_set_add(*FIELD(ctx, k, struct domain_set *), v, err, errlen);
	case K_LOCAL_DOMAINS:
		return add_local_domain(ctx->policy, v, err, errlen);
	case K_HOSTS:
		return host_set_add(*FIELD(ctx, k, struct host_set *), v, 0, err, errlen);
	case K_NETWORKS:
		return host_set_add(*FIELD(ctx, k, struct host_set *), v, HOST_SET_ADDRESSES_ONLY,
		    err, errlen);
	case K_ADDRS:
		return addr_set_add(*FIELD(ctx, k, struct addr_set *), v, err, errlen);
	case K_LOGINS:
		if (*v == '\0') {
			snprintf(err, errlen, "empty entry");
			return -1;
		}
		strmap_put(*FIELD(ctx, k, struct strmap *), v, strlen(v), 1);
		return 0;
	case K_STRLIST:
		if (*v == '\0') {
			snprintf(err, errlen, "empty entry");
			return -1;
		}
		strlist_add(FIELD(ctx, k, struct strlist), v);
		return 0;
	case K_SECTION: case K_BOOL: case K_INT: case K_STRING: case K_PATH: case K_ENUM:
	case K_LOGLEVEL: case K_CHAR: case K_REPLY: case K_GROUPS:
		break;
	}
	snprintf(err, errlen, "internal error: key type %d is not a list", (int)k->type);
	return -1;
}

static void
apply_list(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	int n = config_setting_length(s);
	char err[512];

	if (k->inert && n > 0) {
		config_error(ctx, s, k->path, "is not implemented in this version yet "
		    "(expected an empty list)");
		return;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			config_error(ctx, e, k->path, "element %d is not a string (expected %s)",
			    i + 1, type_words(k->type));
			continue;
		}
		if (!k->inert && add_element(k, ctx, config_setting_get_string(e), err,
		    sizeof(err)) < 0)
			config_error(ctx, e, k->path, "%s", err);
	}
}

void
config_key_apply(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	if (!type_fits(k->type, s)) {
		config_error(ctx, s, k->path, "wrong type (expected %s)", type_words(k->type));
		return;
	}
	switch (k->type) {
	case K_SECTION:
		return;
	case K_BOOL:
		if (k->inert && config_setting_get_bool(s))
			config_error(ctx, s, k->path, "is not implemented in this version yet "
			    "(expected false)");
		else if (!k->inert)
			*FIELD(ctx, k, bool) = config_setting_get_bool(s);
		return;
	case K_INT:
		apply_int(k, s, ctx);
		return;
	case K_STRING:
		if (!k->inert) {
			free(*FIELD(ctx, k, char *));
			*FIELD(ctx, k, char *) = xstrdup(config_setting_get_string(s));
		}
		return;
	case K_PATH:
		apply_path(k, s, ctx);
		return;
	case K_ENUM:
		apply_enum(k, s, ctx);
		return;
	case K_LOGLEVEL:
		if (!log_level_parse(config_setting_get_string(s), FIELD(ctx, k, enum log_level)))
			config_error(ctx, s, k->path, "unknown level \"%s\" (expected \"err\", "
			    "\"warn\", \"info\" or \"debug\")", config_setting_get_string(s));
		return;
	case K_CHAR:
		apply_char(k, s, ctx);
		return;
	case K_REPLY:
		apply_reply(k, s, ctx);
		return;
	case K_DOMAINS: case K_LOCAL_DOMAINS: case K_HOSTS: case K_NETWORKS: case K_ADDRS:
	case K_LOGINS: case K_STRLIST:
	case K_GROUPS:
		if (k->type == K_STRLIST && !k->inert)
			strlist_free(FIELD(ctx, k, struct strlist));  /* the file replaces defaults */
		apply_list(k, s, ctx);
		return;
	}
}

static void
default_reply(struct reply *r, enum reply_class klass, const char *text)
{
	char err[256];

	if (reply_parse(text, klass, r, err, sizeof(err)) < 0)
		abort();        /* a built-in reply is wrong: a programming error */
}

void
config_keys_defaults(struct policy *p)
{
	p->milter_socket = xstrdup("unix:/run/relaywarden/relaywarden.sock");
	p->milter_timeout = 30;
	p->log_level = LOG_LEVEL_INFO;
	p->config_update_interval = 120;
	p->local_domains = domain_set_new();
	p->local_domain_names = strmap_new();
	p->internal_networks = host_set_new();
	p->relay.enforce = ENFORCE_EXTERNAL;
	p->relay.exclude_hosts = host_set_new();
	p->relay.authenticated = RELAY_AUTH_ALLOW;
	p->relay.allow_to_domains = domain_set_new();
	p->relay.deny_to_domains = domain_set_new();
	p->relay.allow_from_hosts = host_set_new();
	p->relay.deny_from_hosts = host_set_new();
	p->relay.hidden_routes = HIDDEN_REJECT;
	default_reply(&p->relay.reply, REPLY_REJECT, "554 5.7.1 Relay rejected for policy reasons.");
	p->verify_sender.envelope = true;
	p->verify_sender.headers = true;
	p->verify_sender.null_sender = NULL_SENDER_REJECT;
	p->verify_sender.delimiter = '+';
	p->verify_sender.exempt_users = strmap_new();
	default_reply(&p->verify_sender.reply, REPLY_REJECT,
	    "550 5.7.1 Sender address rejected: not owned by authenticated user");
	default_reply(&p->recipients.verify_local_reply, REPLY_REJECT, "550 5.1.1 No such user here");
	default_reply(&p->recipients.deny_groups_reply, REPLY_REJECT,
	    "550 5.7.1 Mail to groups is not accepted.");
	default_reply(&p->recipients.deny_ambiguous_reply, REPLY_REJECT,
	    "550 5.1.4 Recipient address is ambiguous.");
	default_reply(&p->malformed_reply, REPLY_REJECT,
	    "550 5.7.1 Message rejected: malformed originator header");
	default_reply(&p->error_limit_reply, REPLY_TEMPFAIL,
	    "421 4.7.0 SMTP service not available, closing transmission channel.");
	p->on_failure = ON_FAILURE_TEMPFAIL;
	p->cache = (struct cache_config){ 300, 60, 100000 };
	strlist_add(&p->ldap.uris, "ldap://127.0.0.1:389/");
	p->ldap.bind_dn = xstrdup("");
	p->ldap.base = xstrdup("");
	p->ldap.user_filter = xstrdup("(&(objectClass=inetOrgPerson)(|(uid=%u)(mail=%u)(cn=%u)))");
	p->ldap.recipient_filter = xstrdup("(|(mail=%s)(mailAlternateAddress=%s))");
	p->ldap.group_filter =
	    xstrdup("(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))");
	strlist_add(&p->ldap.address_attributes, "mail");
	strlist_add(&p->ldap.address_attributes, "mailAlternateAddress");
	strlist_add(&p->ldap.member_attributes, "member");
	strlist_add(&p->ldap.member_attributes, "uniqueMember");
	p->ldap.timeout = 3;
	p->ldap.pool_size = 4;
	default_reply(&p->directory_reply, REPLY_TEMPFAIL,
	    "451 4.7.1 Directory unavailable, try again later");
	default_reply(&p->internal_reply, REPLY_TEMPFAIL,
	    "451 4.3.0 Internal error in relaywarden, try again later");
}

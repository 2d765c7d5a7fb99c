/*
 * config_keys.c - every key of the policy file, in one table: its dotted
 * path, type, field and bounds, how a misspelt key is matched to a known
 * one, and every default. Reading a value into the policy is
 * config_apply.c's. Runs on the loading thread only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "dns.h"
#include "strmap.h"
#include "xalloc.h"

static const char *const enforce_names[] = { "external", "all", "none", NULL };
static const char *const auth_names[] = { "allow", "check", NULL };
static const char *const hidden_names[] = { "reject", "judge", NULL };
static const char *const null_names[] = { "allow", "reject", NULL };
static const char *const failure_names[] = { "tempfail", "accept", NULL };
static const char *const backend_names[] = { "file", "ldap", NULL };
static const char *const groups_names[] = { "none", "external", "all", NULL };
static const char *const nested_names[] = { "none", "in_chain", "member_of", NULL };
static const char *const headers_rule_names[] = { "domino", "from_and_sender", NULL };
static const char *const rate_backend_names[] = { "memory", "redis", NULL };
static const char *const rate_failure_names[] = { "tempfail", "local", NULL };

#define F(field) offsetof(struct policy, field)
/* The last argument is the default, written as a value of the policy file
 * would be (NULL: false, 0, the first enum value, none, an empty list); a
 * list's default entries are separated and ended by \0 ("a\0b\0"). */
#define SECTION(p) { p, K_SECTION, 0, NULL, 0, 0, 0, NULL }
#define KEY(p, t, field, def) { p, t, F(field), NULL, 0, 0, 0, def }
#define INT(p, field, lo, hi, def) { p, K_INT, F(field), NULL, lo, hi, 0, def }
#define ENUM(p, field, n, def) { p, K_ENUM, F(field), n, 0, 0, 0, def }
#define REPLY(p, field, k, def) { p, K_REPLY, F(field), NULL, 0, 0, k, def }

static const struct config_key keys[] = {
	SECTION("milter"),
	KEY("milter.socket", K_STRING, milter_socket, "unix:/var/spool/postfix/relaywarden/relaywarden.sock"),
	KEY("milter.user", K_STRING, milter_user, NULL),
	INT("milter.timeout", milter_timeout, 1, 3600, "30"),
	SECTION("metrics"),
	KEY("metrics.listen", K_STRING, metrics_listen, NULL),
	SECTION("control"),
	KEY("control.socket", K_STRING, control_socket, NULL),
	KEY("log_level", K_LOGLEVEL, log_level, "info"),
	KEY("report_only", K_BOOL, report_only, NULL),
	INT("config_update_interval", config_update_interval, 0, 86400, "120"),
	KEY("local_domains", K_LOCAL_DOMAINS, local_domains, NULL),
	KEY("internal_networks", K_NETWORKS, internal_networks, NULL),
	SECTION("relay"),
	ENUM("relay.enforce", relay.enforce, enforce_names, "external"),
	KEY("relay.exclude_hosts", K_HOSTS, relay.exclude_hosts, NULL),
	ENUM("relay.authenticated", relay.authenticated, auth_names, "allow"),
	KEY("relay.allow_to_domains", K_DOMAINS, relay.allow_to_domains, NULL),
	KEY("relay.deny_to_domains", K_DOMAINS, relay.deny_to_domains, NULL),
	KEY("relay.allow_from_hosts", K_HOSTS, relay.allow_from_hosts, NULL),
	KEY("relay.deny_from_hosts", K_HOSTS, relay.deny_from_hosts, NULL),
	KEY("relay.deny_wins", K_BOOL, relay.deny_wins, NULL),
	ENUM("relay.hidden_routes", relay.hidden_routes, hidden_names, "reject"),
	REPLY("relay.reply", relay.reply, REPLY_REJECT, "554 5.7.1 Relay rejected for policy reasons."),
	SECTION("verify_sender"),
	KEY("verify_sender.envelope", K_BOOL, verify_sender.envelope, "true"),
	KEY("verify_sender.headers", K_BOOL, verify_sender.headers, "true"),
	ENUM("verify_sender.headers_rule", verify_sender.headers_rule, headers_rule_names, "domino"),
	REPLY("verify_sender.malformed_reply", malformed_reply, REPLY_REJECT, "550 5.7.1 Message rejected: malformed originator header"),
	ENUM("verify_sender.null_sender", verify_sender.null_sender, null_names, "reject"),
	KEY("verify_sender.recipient_delimiter", K_CHAR, verify_sender.delimiter, "+"),
	KEY("verify_sender.group_send_as", K_BOOL, verify_sender.group_send_as, NULL),
	KEY("verify_sender.exempt_users", K_LOGINS, verify_sender.exempt_users, NULL),
	REPLY("verify_sender.reply", verify_sender.reply, REPLY_REJECT, "550 5.7.1 Sender address rejected: not owned by authenticated user"),
	KEY("protect_local_senders", K_BOOL, protect_local_senders, NULL),
	KEY("protect_local_senders_except", K_ADDRS, protect_except, NULL),
	REPLY("protect_local_senders_reply", protect_reply, REPLY_REJECT, "550 5.7.1 Sender address rejected: authentication required"),
	KEY("trusted_relays", K_HOSTS, trusted_relays, NULL),
	REPLY("trusted_relays_reply", trusted_relays_reply, REPLY_REJECT, "550 5.7.1 Message rejected: unparsable Received header from trusted relay"),
	{ "groups", K_GROUPS, 0, NULL, 0, 0, 0, NULL },   /* config_groups.c reads it */
	SECTION("connection"),
	KEY("connection.allow_hosts", K_HOSTS, connection.allow_hosts, NULL),
	KEY("connection.deny_hosts", K_HOSTS, connection.deny_hosts, NULL),
	REPLY("connection.reply", connection.reply, REPLY_REJECT, "554 5.7.1 Connection refused for policy reasons."),
	KEY("connection.verify_hostname", K_BOOL, connection.verify_hostname, NULL),
	REPLY("connection.verify_hostname_reply", connection.verify_hostname_reply, REPLY_REJECT, "550 5.7.25 Client host name could not be verified."),
	INT("connection.max_sessions", connection.max_sessions, 0, 1000000, NULL),
	REPLY("connection.max_sessions_reply", connection.max_sessions_reply, REPLY_TEMPFAIL, "421 4.7.0 Too many sessions, try again later."),
	INT("connection.error_limit", error_limit, 0, 1000, NULL),
	REPLY("connection.error_limit_reply", error_limit_reply, REPLY_TEMPFAIL, "421 4.7.0 SMTP service not available, closing transmission channel."),
	KEY("connection.dnsbl", K_DNSBL, connection, NULL),
	KEY("connection.dnswl", K_ZONES, connection.dnswl, NULL),
	KEY("connection.require_auth", K_BOOL, connection.require_auth, NULL),
	KEY("connection.anonymous_hosts", K_HOSTS, connection.anonymous_hosts, NULL),
	REPLY("connection.require_auth_reply", connection.require_auth_reply, REPLY_REJECT, "530 5.7.0 Authentication required"),
	SECTION("sender"),
	KEY("sender.allow", K_ADDRS, sender.allow, NULL),
	KEY("sender.deny", K_ADDRS, sender.deny, NULL),
	REPLY("sender.reply", sender.reply, REPLY_REJECT, "554 5.7.1 Mail from <%s> rejected for policy reasons."),
	KEY("sender.verify_domain", K_BOOL, sender.verify_domain, NULL),
	INT("sender.verify_domain_timeout", sender.verify_domain_timeout, 1, 3600, "30"),
	REPLY("sender.verify_domain_reply", sender.verify_domain_reply, REPLY_REJECT, "550 5.1.8 Sender domain does not exist."),
	KEY("sender.strict_syntax", K_BOOL, sender.strict_syntax, NULL),
	REPLY("sender.strict_syntax_reply", sender.strict_syntax_reply, REPLY_REJECT, "501 5.1.7 Address must be enclosed in angle brackets."),
	REPLY("sender.malformed_reply", sender.malformed_reply, REPLY_REJECT, "553 5.1.7 Sender address rejected: malformed address"),
	INT("sender.max_message_size", sender.max_message_size, 0, 2147483647, NULL),
	REPLY("sender.max_message_size_reply", sender.max_message_size_reply, REPLY_REJECT, "552 5.3.4 Message size exceeds fixed maximum message size"),
	SECTION("recipients"),
	KEY("recipients.allow", K_ADDRS, recipients.allow, NULL),
	KEY("recipients.deny", K_ADDRS, recipients.deny, NULL),
	REPLY("recipients.reply", recipients.reply, REPLY_REJECT, "550 5.7.1 Recipient rejected for policy reasons."),
	REPLY("recipients.malformed_reply", recipients.malformed_reply, REPLY_REJECT, "553 5.1.3 Recipient address rejected: malformed address"),
	KEY("recipients.verify_local", K_BOOL, recipients.verify_local, NULL),
	ENUM("recipients.deny_groups", recipients.deny_groups, groups_names, "none"),
	KEY("recipients.deny_ambiguous", K_BOOL, recipients.deny_ambiguous, NULL),
	REPLY("recipients.verify_local_reply", recipients.verify_local_reply, REPLY_REJECT, "550 5.1.1 No such user here"),
	REPLY("recipients.deny_groups_reply", recipients.deny_groups_reply, REPLY_REJECT, "550 5.7.1 Mail to groups is not accepted."),
	REPLY("recipients.deny_ambiguous_reply", recipients.deny_ambiguous_reply, REPLY_REJECT, "550 5.1.4 Recipient address is ambiguous."),
	INT("recipients.max", recipients.max, 0, 1000000, NULL),
	REPLY("recipients.max_reply", recipients.max_reply, REPLY_EITHER, "452 4.5.3 Too many recipients"),
	SECTION("dns"),
	KEY("dns.servers", K_SERVERS, dns_servers, NULL),
	INT("dns.timeout", dns_timeout, 1, 60, "5"),
	REPLY("dns.reply", dns_reply, REPLY_TEMPFAIL, "451 4.4.3 DNS lookup failed, try again later"),
	SECTION("directory"),
	ENUM("directory.backend", backend, backend_names, "file"),
	KEY("directory.file", K_PATH, directory_file, NULL),
	ENUM("directory.on_failure", on_failure, failure_names, "tempfail"),
	REPLY("directory.reply", directory_reply, REPLY_TEMPFAIL, "451 4.7.1 Directory unavailable, try again later"),
	SECTION("directory.cache"),
	INT("directory.cache.ttl", cache.ttl, 0, 86400, "300"),
	INT("directory.cache.negative_ttl", cache.negative_ttl, 0, 86400, "60"),
	INT("directory.cache.max_entries", cache.max_entries, 0, 10000000, "100000"),
	SECTION("directory.ldap"),
	KEY("directory.ldap.uris", K_STRLIST, ldap.uris, "ldap://127.0.0.1:389/\0"),
	KEY("directory.ldap.bind_dn", K_STRING, ldap.bind_dn, ""),
	KEY("directory.ldap.bind_password_file", K_PATH, ldap.bind_password_file, NULL),
	KEY("directory.ldap.base", K_STRING, ldap.base, ""),
	KEY("directory.ldap.user_filter", K_STRING, ldap.user_filter, "(&(objectClass=inetOrgPerson)(|(uid=%u)(mail=%u)(cn=%u)))"),
	KEY("directory.ldap.recipient_filter", K_STRING, ldap.recipient_filter, "(|(mail=%s)(mailAlternateAddress=%s))"),
	KEY("directory.ldap.group_filter", K_STRING, ldap.group_filter, ""),
	KEY("directory.ldap.address_attributes", K_STRLIST, ldap.address_attributes, "mail\0mailAlternateAddress\0"),
	KEY("directory.ldap.send_as_attributes", K_STRLIST, ldap.send_as_attributes, NULL),
	KEY("directory.ldap.on_behalf_attributes", K_STRLIST, ldap.on_behalf_attributes, NULL),
	KEY("directory.ldap.member_attributes", K_STRLIST, ldap.member_attributes, "member\0uniqueMember\0"),
	KEY("directory.ldap.group_classes", K_STRLIST, ldap.group_classes, "groupOfNames\0groupOfUniqueNames\0groupOfURLs\0group\0"),
	ENUM("directory.ldap.nested_groups", ldap.nested_groups, nested_names, "none"),
	KEY("directory.ldap.login_domains", K_STRLIST, ldap.login_domains, NULL),
	KEY("directory.ldap.starttls", K_BOOL, ldap.starttls, NULL),
	KEY("directory.ldap.ca_file", K_PATH, ldap.ca_file, NULL),
	KEY("directory.ldap.cert_file", K_PATH, ldap.cert_file, NULL),
	KEY("directory.ldap.key_file", K_PATH, ldap.key_file, NULL),
	INT("directory.ldap.timeout", ldap.timeout, 1, 60, "3"),
	INT("directory.ldap.pool_size", ldap.pool_size, 1, 64, "4"),
	KEY("rate_limits", K_RATE_LIMITS, rate_limits, NULL),
	SECTION("rate_store"),
	ENUM("rate_store.backend", rate_store_cfg.backend, rate_backend_names, "memory"),
	KEY("rate_store.uris", K_STRLIST, rate_store_cfg.uris, NULL),
	INT("rate_store.timeout", rate_store_cfg.timeout, 1, 60, "1"),
	ENUM("rate_store.on_failure", rate_store_cfg.on_failure, rate_failure_names, "tempfail"),
	KEY("rate_store.password_file", K_PATH, rate_store_cfg.password_file, NULL),
	INT("rate_store.pool_size", rate_store_cfg.pool_size, 1, 64, "4"),
	REPLY("rate_store.reply", rate_store_reply, REPLY_TEMPFAIL, "451 4.7.1 Rate limit store unavailable, try again later"),
	KEY("profiles", K_PROFILES, profiles, NULL),
};

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

const char *
config_type_words(enum key_type t)
{
	switch (t) {
	case K_BOOL: return "true or false";
	case K_INT: return "an integer";
	case K_STRING: case K_PATH: case K_ENUM: case K_LOGLEVEL: case K_CHAR: case K_REPLY:
		return "a string in double quotes";
	case K_DOMAINS: case K_LOCAL_DOMAINS: case K_HOSTS: case K_NETWORKS: case K_ADDRS:
	case K_LOGINS: case K_STRLIST: case K_ZONES: case K_SERVERS:
		return "a list of strings, [ \"...\", ... ]";
	case K_DNSBL: case K_PROFILES: case K_RATE_LIMITS: return "a list of groups, ( { ... }, ... )";
	case K_GROUPS: return "a group of lists, { Name = [ \"...\", ... ]; ... }";
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
	case K_LOGINS: case K_STRLIST: case K_ZONES: case K_SERVERS:
		return is_list(s);
	case K_DNSBL: case K_PROFILES: case K_RATE_LIMITS: return st == CONFIG_TYPE_LIST;
	case K_SECTION: case K_GROUPS: return st == CONFIG_TYPE_GROUP;
	}
	return false;
}

bool
config_key_type_check(const struct config_key *k, const config_setting_t *s,
    struct config_ctx *ctx)
{
	if (type_fits(k->type, s))
		return true;
	config_error(ctx, s, k->path, "wrong type (expected %s)", config_type_words(k->type));
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

const struct config_key *
config_key_at(size_t i)
{
	return i < RW_NELEM(keys) ? &keys[i] : NULL;
}

bool
config_key_is_section(const struct config_key *k)
{
	return k->type == K_SECTION;
}

/* Levenshtein distance, capped; only for "did you mean" on a config error. */
size_t
config_edit_distance(const char *a, const char *b)
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
		size_t d = config_edit_distance(path, keys[i].path);
		if (d < best_d) {
			best_d = d;
			best = keys[i].path;
		}
	}
	return best;
}

void
config_default_reply(struct reply *r, enum reply_class klass, const char *text)
{
	char err[256];

	if (reply_parse(text, klass, r, err, sizeof(err)) < 0)
		abort();        /* a built-in reply is wrong: a programming error */
}

#define FIELD(p, k, type) ((type *)((char *)(p) + (k)->offset))

void
config_keys_dnsbl_free(struct connection_policy *cp)
{
	for (size_t i = 0; i < cp->ndnsbl; i++)
		free(cp->dnsbl[i].zone);
	free(cp->dnsbl);
	cp->dnsbl = NULL;
	cp->ndnsbl = 0;
}

/* A key's default, from its row. */
static void
key_default(struct policy *p, const struct config_key *k)
{
	const char *def = k->def;

	switch (k->type) {
	case K_SECTION: case K_DNSBL: case K_PROFILES: case K_GROUPS: case K_RATE_LIMITS:
		return;
	case K_BOOL: *FIELD(p, k, bool) = def != NULL && strcmp(def, "true") == 0; return;
	case K_INT: *FIELD(p, k, int) = def != NULL ? atoi(def) : 0; return;
	case K_STRING: case K_PATH: *FIELD(p, k, char *) = def != NULL ? xstrdup(def) : NULL; return;
	case K_ENUM:
		*FIELD(p, k, int) = 0;
		for (int i = 0; def != NULL && k->names[i] != NULL; i++)
			if (strcmp(def, k->names[i]) == 0)
				*FIELD(p, k, int) = i;
		return;
	case K_LOGLEVEL:
		if (def == NULL || !log_level_parse(def, FIELD(p, k, enum log_level)))
			abort();        /* a programming error in the table */
		return;
	case K_CHAR: *FIELD(p, k, char) = def != NULL ? def[0] : '\0'; return;
	case K_REPLY: config_default_reply(FIELD(p, k, struct reply), k->klass, def); return;
	case K_LOCAL_DOMAINS: p->local_domain_names = strmap_new(); /* FALLTHROUGH */
	case K_DOMAINS: *FIELD(p, k, struct domain_set *) = domain_set_new(); return;
	case K_HOSTS: case K_NETWORKS: *FIELD(p, k, struct host_set *) = host_set_new(); return;
	case K_ADDRS: *FIELD(p, k, struct addr_set *) = addr_set_new(); return;
	case K_LOGINS: *FIELD(p, k, struct strmap *) = strmap_new(); return;
	case K_STRLIST: case K_ZONES: case K_SERVERS:
		for (const char *v = def; v != NULL && *v != '\0'; v += strlen(v) + 1)
			strlist_add(FIELD(p, k, struct strlist), v);
		return;
	}
}

/* What a key's value owns, freed. */
static void
key_free(struct policy *p, const struct config_key *k)
{
	switch (k->type) {
	case K_SECTION: case K_BOOL: case K_INT: case K_ENUM: case K_LOGLEVEL: case K_CHAR:
	case K_REPLY: case K_PROFILES: case K_GROUPS:
		return;
	case K_STRING: case K_PATH: free(*FIELD(p, k, char *)); return;
	case K_LOCAL_DOMAINS: strmap_free(p->local_domain_names); /* FALLTHROUGH */
	case K_DOMAINS: domain_set_free(*FIELD(p, k, struct domain_set *)); return;
	case K_HOSTS: case K_NETWORKS: host_set_free(*FIELD(p, k, struct host_set *)); return;
	case K_ADDRS: addr_set_free(*FIELD(p, k, struct addr_set *)); return;
	case K_LOGINS: strmap_free(*FIELD(p, k, struct strmap *)); return;
	case K_STRLIST: case K_ZONES: case K_SERVERS: strlist_free(FIELD(p, k, struct strlist)); return;
	case K_DNSBL: config_keys_dnsbl_free(FIELD(p, k, struct connection_policy)); return;
	case K_RATE_LIMITS:
		rate_limits_free(p->rate_limits, p->nrate_limits);
		p->rate_limits = NULL;
		p->nrate_limits = 0;
		return;
	}
}

void
config_keys_defaults(struct policy *p)
{
	for (size_t i = 0; i < RW_NELEM(keys); i++)
		key_default(p, &keys[i]);
	/* Not a key: the reply of an internal error in a callback. */
	config_default_reply(&p->internal_reply, REPLY_TEMPFAIL,
	    "451 4.3.0 Internal error in relaywarden, try again later");
}

void
config_keys_free(struct policy *p)
{
	for (size_t i = 0; i < RW_NELEM(keys); i++)
		key_free(p, &keys[i]);
}

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

#define F(field) offsetof(struct policy, field)
#define SECTION(p) { p, K_SECTION, 0, NULL, 0, 0, 0 }
#define KEY(p, t, field) { p, t, F(field), NULL, 0, 0, 0 }
#define INT(p, field, lo, hi) { p, K_INT, F(field), NULL, lo, hi, 0 }
#define ENUM(p, field, n) { p, K_ENUM, F(field), n, 0, 0, 0 }
#define REPLY(p, field, k) { p, K_REPLY, F(field), NULL, 0, 0, k }

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
	KEY("protect_local_senders", K_BOOL, protect_local_senders),
	KEY("protect_local_senders_except", K_ADDRS, protect_except),
	REPLY("protect_local_senders_reply", protect_reply, REPLY_REJECT),
	SECTION("connection"),
	KEY("connection.allow_hosts", K_HOSTS, connection.allow_hosts),
	KEY("connection.deny_hosts", K_HOSTS, connection.deny_hosts),
	REPLY("connection.reply", connection.reply, REPLY_REJECT),
	KEY("connection.verify_hostname", K_BOOL, connection.verify_hostname),
	REPLY("connection.verify_hostname_reply", connection.verify_hostname_reply, REPLY_REJECT),
	INT("connection.max_sessions", connection.max_sessions, 0, 1000000),
	REPLY("connection.max_sessions_reply", connection.max_sessions_reply, REPLY_TEMPFAIL),
	INT("connection.error_limit", error_limit, 0, 1000),
	REPLY("connection.error_limit_reply", error_limit_reply, REPLY_TEMPFAIL),
	KEY("connection.dnsbl", K_DNSBL, connection),
	KEY("connection.dnswl", K_ZONES, connection.dnswl),
	SECTION("sender"),
	KEY("sender.allow", K_ADDRS, sender.allow),
	KEY("sender.deny", K_ADDRS, sender.deny),
	REPLY("sender.reply", sender.reply, REPLY_REJECT),
	KEY("sender.verify_domain", K_BOOL, sender.verify_domain),
	INT("sender.verify_domain_timeout", sender.verify_domain_timeout, 1, 3600),
	REPLY("sender.verify_domain_reply", sender.verify_domain_reply, REPLY_REJECT),
	KEY("sender.strict_syntax", K_BOOL, sender.strict_syntax),
	REPLY("sender.strict_syntax_reply", sender.strict_syntax_reply, REPLY_REJECT),
	INT("sender.max_message_size", sender.max_message_size, 0, 2147483647),
	REPLY("sender.max_message_size_reply", sender.max_message_size_reply, REPLY_REJECT),
	SECTION("recipients"),
	KEY("recipients.allow", K_ADDRS, recipients.allow),
	KEY("recipients.deny", K_ADDRS, recipients.deny),
	REPLY("recipients.reply", recipients.reply, REPLY_REJECT),
	KEY("recipients.verify_local", K_BOOL, recipients.verify_local),
	ENUM("recipients.deny_groups", recipients.deny_groups, groups_names),
	KEY("recipients.deny_ambiguous", K_BOOL, recipients.deny_ambiguous),
	REPLY("recipients.verify_local_reply", recipients.verify_local_reply, REPLY_REJECT),
	REPLY("recipients.deny_groups_reply", recipients.deny_groups_reply, REPLY_REJECT),
	REPLY("recipients.deny_ambiguous_reply", recipients.deny_ambiguous_reply, REPLY_REJECT),
	INT("recipients.max", recipients.max, 0, 1000000),
	REPLY("recipients.max_reply", recipients.max_reply, REPLY_EITHER),
	SECTION("dns"),
	KEY("dns.servers", K_SERVERS, dns_servers),
	INT("dns.timeout", dns_timeout, 1, 60),
	REPLY("dns.reply", dns_reply, REPLY_TEMPFAIL),
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
	KEY("profiles", K_PROFILES, profiles),
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
	case K_DNSBL: case K_PROFILES: return "a list of groups, ( { ... }, ... )";
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
	case K_DNSBL: case K_PROFILES: return st == CONFIG_TYPE_LIST;
	case K_SECTION: return st == CONFIG_TYPE_GROUP;
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

void
config_default_reply(struct reply *r, enum reply_class klass, const char *text)
{
	char err[256];

	if (reply_parse(text, klass, r, err, sizeof(err)) < 0)
		abort();        /* a built-in reply is wrong: a programming error */
}

void
config_keys_defaults(struct policy *p)
{
	p->milter_socket = xstrdup("unix:/var/spool/postfix/relaywarden/relaywarden.sock");
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
	config_default_reply(&p->relay.reply, REPLY_REJECT, "554 5.7.1 Relay rejected for policy reasons.");
	p->verify_sender.envelope = true;
	p->verify_sender.headers = true;
	p->verify_sender.null_sender = NULL_SENDER_REJECT;
	p->verify_sender.delimiter = '+';
	p->verify_sender.exempt_users = strmap_new();
	config_default_reply(&p->verify_sender.reply, REPLY_REJECT,
	    "550 5.7.1 Sender address rejected: not owned by authenticated user");
	config_default_reply(&p->recipients.verify_local_reply, REPLY_REJECT, "550 5.1.1 No such user here");
	config_default_reply(&p->recipients.deny_groups_reply, REPLY_REJECT,
	    "550 5.7.1 Mail to groups is not accepted.");
	config_default_reply(&p->recipients.deny_ambiguous_reply, REPLY_REJECT,
	    "550 5.1.4 Recipient address is ambiguous.");
	config_default_reply(&p->malformed_reply, REPLY_REJECT,
	    "550 5.7.1 Message rejected: malformed originator header");
	config_default_reply(&p->error_limit_reply, REPLY_TEMPFAIL,
	    "421 4.7.0 SMTP service not available, closing transmission channel.");
	p->protect_except = addr_set_new();
	config_default_reply(&p->protect_reply, REPLY_REJECT,
	    "550 5.7.1 Sender address rejected: authentication required");
	p->connection.allow_hosts = host_set_new();
	p->connection.deny_hosts = host_set_new();
	config_default_reply(&p->connection.reply, REPLY_REJECT,
	    "554 5.7.1 Connection refused for policy reasons.");
	config_default_reply(&p->connection.verify_hostname_reply, REPLY_REJECT,
	    "550 5.7.25 Client host name could not be verified.");
	config_default_reply(&p->connection.max_sessions_reply, REPLY_TEMPFAIL,
	    "421 4.7.0 Too many sessions, try again later.");
	p->sender.allow = addr_set_new();
	p->sender.deny = addr_set_new();
	config_default_reply(&p->sender.reply, REPLY_REJECT,
	    "554 5.7.1 Mail from <%s> rejected for policy reasons.");
	p->sender.verify_domain_timeout = 30;
	config_default_reply(&p->sender.verify_domain_reply, REPLY_REJECT,
	    "550 5.1.8 Sender domain does not exist.");
	config_default_reply(&p->sender.strict_syntax_reply, REPLY_REJECT,
	    "501 5.1.7 Address must be enclosed in angle brackets.");
	config_default_reply(&p->sender.max_message_size_reply, REPLY_REJECT,
	    "552 5.3.4 Message size exceeds fixed maximum message size");
	p->recipients.allow = addr_set_new();
	p->recipients.deny = addr_set_new();
	config_default_reply(&p->recipients.reply, REPLY_REJECT,
	    "550 5.7.1 Recipient rejected for policy reasons.");
	config_default_reply(&p->recipients.max_reply, REPLY_EITHER, "452 4.5.3 Too many recipients");
	p->dns_timeout = 5;
	config_default_reply(&p->dns_reply, REPLY_TEMPFAIL,
	    "451 4.4.3 DNS lookup failed, try again later");
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
	config_default_reply(&p->directory_reply, REPLY_TEMPFAIL,
	    "451 4.7.1 Directory unavailable, try again later");
	config_default_reply(&p->internal_reply, REPLY_TEMPFAIL,
	    "451 4.3.0 Internal error in relaywarden, try again later");
}

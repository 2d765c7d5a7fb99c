/*
 * config_apply.c - reads one policy-file value into struct policy: the
 * handlers behind the key table of config_keys.c (enums, bounded integers,
 * paths relative to the policy file, replies, the typed lists, DNS lists).
 * A list key replaces what was there (the defaults, or the base policy's
 * value when a profile overrides it). Runs on the loading thread only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_groups.h"
#include "config_keys.h"
#include "controls.h"
#include "dns.h"
#include "strmap.h"
#include "xalloc.h"

static const char *const dnsbl_names[] = { "log", "tag", "reject", NULL };

static void
apply_enum(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	const char *v = config_setting_get_string(s);
	char expected[256] = "";

	for (size_t i = 0; k->names[i] != NULL; i++) {
		if (strcmp(v, k->names[i]) == 0) {
			*CONFIG_FIELD(ctx, k, int) = (int)i;
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
	*CONFIG_FIELD(ctx, k, int) = (int)v;
}

static void
apply_path(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	const char *v = config_setting_get_string(s);
	char **field = CONFIG_FIELD(ctx, k, char *);

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
	*CONFIG_FIELD(ctx, k, char) = v[0];
}

static void
apply_reply(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	char err[512];

	if (reply_parse(config_setting_get_string(s), k->klass, CONFIG_FIELD(ctx, k, struct reply), err,
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
add_zone(struct strlist *l, const char *v, char *err, size_t errlen)
{
	char zone[256];

	if (!domain_normalize(v, zone, sizeof(zone))) {
		snprintf(err, errlen, "\"%s\" is not a DNS zone (expected e.g. \"list.example\")", v);
		return -1;
	}
	strlist_add(l, zone);
	return 0;
}

static int
add_element(const struct config_key *k, struct config_ctx *ctx, const char *v, char *err,
    size_t errlen)
{
	char server[128];

	switch (k->type) {
	case K_DOMAINS:
		return domain_set_add(*CONFIG_FIELD(ctx, k, struct domain_set *), v, err, errlen);
	case K_LOCAL_DOMAINS:
		return add_local_domain(ctx->policy, v, err, errlen);
	case K_HOSTS:
		return host_set_add(*CONFIG_FIELD(ctx, k, struct host_set *), v, 0, err, errlen);
	case K_NETWORKS:
		return host_set_add(*CONFIG_FIELD(ctx, k, struct host_set *), v, HOST_SET_ADDRESSES_ONLY,
		    err, errlen);
	case K_ADDRS:
		return addr_set_add(*CONFIG_FIELD(ctx, k, struct addr_set *), v, err, errlen);
	case K_LOGINS:
		if (*v == '\0') {
			snprintf(err, errlen, "empty entry");
			return -1;
		}
		strmap_put(*CONFIG_FIELD(ctx, k, struct strmap *), v, strlen(v), 1);
		return 0;
	case K_STRLIST:
		if (*v == '\0') {
			snprintf(err, errlen, "empty entry");
			return -1;
		}
		strlist_add(CONFIG_FIELD(ctx, k, struct strlist), v);
		return 0;
	case K_ZONES:
		return add_zone(CONFIG_FIELD(ctx, k, struct strlist), v, err, errlen);
	case K_SERVERS:
		if (!ip_port_parse(v, 53, server, sizeof(server))) {
			snprintf(err, errlen, "\"%s\" is not an IP address with an optional port "
			    "(expected e.g. \"127.0.0.1:5353\" or \"[::1]:53\")", v);
			return -1;
		}
		strlist_add(CONFIG_FIELD(ctx, k, struct strlist), v);
		return 0;
	case K_SECTION: case K_BOOL: case K_INT: case K_STRING: case K_PATH: case K_ENUM:
	case K_LOGLEVEL: case K_CHAR: case K_REPLY: case K_DNSBL: case K_PROFILES: case K_GROUPS:
	case K_RATE_LIMITS:
		break;
	}
	snprintf(err, errlen, "internal error: key type %d is not a list", (int)k->type);
	return -1;
}

/* A list in the file replaces the defaults, and a profile's list the
 * base policy's. */
static void
reset_list(const struct config_key *k, struct config_ctx *ctx)
{
	struct policy *p = ctx->policy;

	switch (k->type) {
	case K_DOMAINS:
		domain_set_free(*CONFIG_FIELD(ctx, k, struct domain_set *));
		*CONFIG_FIELD(ctx, k, struct domain_set *) = domain_set_new();
		return;
	case K_LOCAL_DOMAINS:
		domain_set_free(p->local_domains);
		strmap_free(p->local_domain_names);
		p->local_domains = domain_set_new();
		p->local_domain_names = strmap_new();
		return;
	case K_HOSTS: case K_NETWORKS:
		host_set_free(*CONFIG_FIELD(ctx, k, struct host_set *));
		*CONFIG_FIELD(ctx, k, struct host_set *) = host_set_new();
		return;
	case K_ADDRS:
		addr_set_free(*CONFIG_FIELD(ctx, k, struct addr_set *));
		*CONFIG_FIELD(ctx, k, struct addr_set *) = addr_set_new();
		return;
	case K_LOGINS:
		strmap_free(*CONFIG_FIELD(ctx, k, struct strmap *));
		*CONFIG_FIELD(ctx, k, struct strmap *) = strmap_new();
		return;
	case K_STRLIST: case K_ZONES: case K_SERVERS:
		strlist_free(CONFIG_FIELD(ctx, k, struct strlist));
		return;
	case K_SECTION: case K_BOOL: case K_INT: case K_STRING: case K_PATH: case K_ENUM:
	case K_LOGLEVEL: case K_CHAR: case K_REPLY: case K_DNSBL: case K_PROFILES: case K_GROUPS:
	case K_RATE_LIMITS:
		return;
	}
}

static void
apply_list(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	int n = config_setting_length(s);
	char err[512];

	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			config_error(ctx, e, k->path, "element %d is not a string (expected %s)",
			    i + 1, config_type_words(k->type));
			continue;
		}
		const char *v = config_setting_get_string(e);
		if (config_groups_is_name(k->type, v))
			config_groups_expand(k, ctx, e, v, add_element);
		else if (add_element(k, ctx, v, err, sizeof(err)) < 0)
			config_error(ctx, e, k->path, "%s", err);
	}
}

/* One { zone = "..."; action = "..."; reply = "..."; } entry. */
static void
apply_dnsbl_zone(config_setting_t *g, struct dnsbl_zone *z, struct config_ctx *ctx)
{
	char err[512], zone[256];
	const char *v;

	config_default_reply(&z->reply, REPLY_REJECT, "550 5.7.1 Mail from %a refused: listed at %z");
	z->action = DNSBL_REJECT;
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(e);
		if (strcmp(name, "zone") != 0 && strcmp(name, "action") != 0 &&
		    strcmp(name, "reply") != 0)
			config_error(ctx, e, "connection.dnsbl", "unknown key \"%s\" in a zone "
			    "(expected zone, action or reply)", name);
		else if (config_setting_type(e) != CONFIG_TYPE_STRING)
			config_error(ctx, e, "connection.dnsbl", "%s is not a string in double quotes",
			    name);
	}
	if (!config_setting_lookup_string(g, "zone", &v) || !domain_normalize(v, zone,
	    sizeof(zone)))
		config_error(ctx, g, "connection.dnsbl", "each entry needs zone = \"list.example\"");
	else
		z->zone = xstrdup(zone);
	if (config_setting_lookup_string(g, "action", &v)) {
		size_t i = 0;
		while (dnsbl_names[i] != NULL && strcmp(dnsbl_names[i], v) != 0)
			i++;
		if (dnsbl_names[i] == NULL)
			config_error(ctx, config_setting_get_member(g, "action"), "connection.dnsbl",
			    "unknown action \"%s\" (expected \"log\", \"tag\" or \"reject\")", v);
		else
			z->action = (enum dnsbl_action)i;
	}
	if (config_setting_lookup_string(g, "reply", &v) &&
	    reply_parse(v, REPLY_REJECT, &z->reply, err, sizeof(err)) < 0)
		config_error(ctx, config_setting_get_member(g, "reply"), "connection.dnsbl", "%s",
		    err);
}

static void
apply_dnsbl(config_setting_t *s, struct config_ctx *ctx)
{
	struct connection_policy *cp = &ctx->policy->connection;
	int n = config_setting_length(s);

	config_keys_dnsbl_free(cp);
	if (n > DNSBL_MAX_ZONES) {
		config_error(ctx, s, "connection.dnsbl", "%d zones (at most %d)", n, DNSBL_MAX_ZONES);
		return;
	}
	cp->dnsbl = xcalloc((size_t)n + 1, sizeof(*cp->dnsbl));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			config_error(ctx, g, "connection.dnsbl", "element %d is not a group (expected "
			    "{ zone = \"...\"; action = \"reject\"; })", i + 1);
			continue;
		}
		apply_dnsbl_zone(g, &cp->dnsbl[cp->ndnsbl++], ctx);
	}
}

void
config_key_apply(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx)
{
	if (!config_key_type_check(k, s, ctx))
		return;
	switch (k->type) {
	case K_SECTION:
		return;
	case K_BOOL:
		*CONFIG_FIELD(ctx, k, bool) = config_setting_get_bool(s);
		return;
	case K_INT:
		apply_int(k, s, ctx);
		return;
	case K_STRING:
		free(*CONFIG_FIELD(ctx, k, char *));
		*CONFIG_FIELD(ctx, k, char *) = xstrdup(config_setting_get_string(s));
		return;
	case K_PATH:
		apply_path(k, s, ctx);
		return;
	case K_ENUM:
		apply_enum(k, s, ctx);
		return;
	case K_LOGLEVEL:
		if (!log_level_parse(config_setting_get_string(s), CONFIG_FIELD(ctx, k, enum log_level)))
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
	case K_LOGINS: case K_STRLIST: case K_ZONES: case K_SERVERS:
		reset_list(k, ctx);
		apply_list(k, s, ctx);
		return;
	case K_DNSBL:
		apply_dnsbl(s, ctx);
		return;
	case K_RATE_LIMITS:
		config_rate_limits_apply(s, ctx);
		return;
	case K_PROFILES:
		return;           /* config.c builds each profile as a whole policy */
	case K_GROUPS:
		return;           /* config_groups.c: read before the lists that name them */
	}
}

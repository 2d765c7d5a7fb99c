/*
 * config_rate.c - reads rate_limits = ( { name = ...; key = ...; ... } )
 * into the policy, every problem named with its line. A profile's list
 * replaces the base's.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_groups.h"
#include "config_keys.h"
#include "rate_limit.h"
#include "xalloc.h"

#define KEY "rate_limits"
#define PER_MAX (31 * 86400)

static const char *const key_names[] = { "login", "client", "sender", NULL };
static const char *const members[] = {
	"name", "key", "messages", "recipients", "per", "exempt_hosts", "exempt_logins", "reply",
	NULL
};

/* A config_ctx that also knows which limit's lists an entry goes to, for
 * config_groups_expand's callback. */
struct limit_ctx {
	struct config_ctx base;         /* first: the callback gets its address */
	struct rate_limit *limit;
};

static const struct config_key exempt_hosts_key = { KEY ".exempt_hosts", K_HOSTS, 0, NULL, 0,
	0, 0, NULL };
static const struct config_key exempt_logins_key = { KEY ".exempt_logins", K_LOGINS, 0, NULL,
	0, 0, 0, NULL };

static int
add_exempt(const struct config_key *k, struct config_ctx *ctx, const char *v, char *err,
    size_t len)
{
	struct rate_limit *l = ((struct limit_ctx *)ctx)->limit;
	char login[256];
	size_t i = 0;

	if (k->type == K_HOSTS)
		return host_set_add(l->exempt_hosts, v, 0, err, len);
	if (*v == '\0' || strlen(v) >= sizeof(login)) {
		snprintf(err, len, "\"%s\" is not a login (expected 1 to 255 bytes)", v);
		return -1;
	}
	for (; v[i] != '\0'; i++)
		login[i] = (char)tolower((unsigned char)v[i]);
	login[i] = '\0';
	strmap_put(l->exempt_logins, login, i, 1);
	return 0;
}

static void
read_exempt(const struct config_key *k, config_setting_t *s, struct limit_ctx *lc)
{
	char err[512];

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
		config_error(&lc->base, s, KEY, "%s is not a list of strings, [ \"...\", ... ]",
		    config_setting_name(s));
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		if (v == NULL)
			config_error(&lc->base, e, KEY, "%s: element %d is not a string",
			    config_setting_name(s), i + 1);
		else if (config_groups_is_name(k->type, v))
			config_groups_expand(k, &lc->base, e, v, add_exempt);
		else if (add_exempt(k, &lc->base, v, err, sizeof(err)) < 0)
			config_error(&lc->base, e, KEY, "%s: %s", config_setting_name(s), err);
	}
}

static bool
known_member(const char *name)
{
	for (size_t i = 0; members[i] != NULL; i++)
		if (strcmp(members[i], name) == 0)
			return true;
	return false;
}

/* An integer member in [lo, hi], or def when absent. */
static unsigned
read_count(config_setting_t *g, const char *name, int lo, int hi, unsigned def,
    struct config_ctx *ctx)
{
	config_setting_t *s = config_setting_get_member(g, name);

	if (s == NULL)
		return def;
	if (config_setting_type(s) != CONFIG_TYPE_INT) {
		config_error(ctx, s, KEY, "%s is not an integer", name);
		return def;
	}
	int v = config_setting_get_int(s);
	if (v < lo || v > hi) {
		config_error(ctx, s, KEY, "%s = %d is out of range (expected %d to %d)", name, v, lo,
		    hi);
		return def;
	}
	return (unsigned)v;
}

/* name and key; false if either is missing or wrong. */
static bool
read_names(config_setting_t *g, struct rate_limit *l, struct config_ctx *ctx)
{
	const char *v;
	bool ok = true;

	if (!config_setting_lookup_string(g, "name", &v) || *v == '\0' ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") !=
	    strlen(v) || strlen(v) > 64) {
		config_error(ctx, g, KEY, "each limit needs name = \"...\" (1 to 64 letters, digits, "
		    "'-', '_' or '.')");
		ok = false;
	} else {
		l->name = xstrdup(v);
	}
	if (!config_setting_lookup_string(g, "key", &v)) {
		config_error(ctx, g, KEY, "each limit needs key = \"login\", \"client\" or \"sender\"");
		return false;
	}
	for (int i = 0; key_names[i] != NULL; i++)
		if (strcmp(key_names[i], v) == 0) {
			l->key = (enum rate_key)i;
			return ok;
		}
	config_error(ctx, config_setting_get_member(g, "key"), KEY, "unknown key \"%s\" "
	    "(expected \"login\", \"client\" or \"sender\")", v);
	return false;
}

static void
read_limit(config_setting_t *g, int nth, struct rate_limit *l, struct config_ctx *ctx)
{
	struct limit_ctx lc = { *ctx, l };
	char err[512];
	const char *v;

	l->exempt_hosts = host_set_new();
	l->exempt_logins = strmap_new();
	config_default_reply(&l->reply, REPLY_TEMPFAIL, "451 4.7.1 Rate limit exceeded, try again later");
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		if (!known_member(config_setting_name(e)))
			config_error(ctx, e, KEY, "unknown key \"%s\" in a limit (expected name, key, "
			    "messages, recipients, per, exempt_hosts, exempt_logins or reply)",
			    config_setting_name(e));
	}
	read_names(g, l, ctx);
	l->messages = read_count(g, "messages", 0, 100000000, 0, ctx);
	l->recipients = read_count(g, "recipients", 0, 100000000, 0, ctx);
	l->per = read_count(g, "per", 1, PER_MAX, 3600, ctx);
	if (l->messages == 0 && l->recipients == 0)
		config_error(ctx, g, KEY, "limit %d limits nothing (set messages or recipients "
		    "above 0)", nth);
	config_setting_t *s;
	if ((s = config_setting_get_member(g, "exempt_hosts")) != NULL)
		read_exempt(&exempt_hosts_key, s, &lc);
	if ((s = config_setting_get_member(g, "exempt_logins")) != NULL)
		read_exempt(&exempt_logins_key, s, &lc);
	if ((s = config_setting_get_member(g, "reply")) != NULL &&
	    ((v = config_setting_get_string(s)) == NULL ||
	    reply_parse(v, REPLY_TEMPFAIL, &l->reply, err, sizeof(err)) < 0))
		config_error(ctx, s, KEY, "reply: %s", v == NULL ? "not a string in double quotes" :
		    err);
}

static bool
name_taken(const struct policy *p, const char *name)
{
	for (size_t i = 0; name != NULL && i < p->nrate_limits; i++)
		if (p->rate_limits[i].name != NULL && strcmp(p->rate_limits[i].name, name) == 0)
			return true;
	return false;
}

void
config_rate_limits_apply(config_setting_t *s, struct config_ctx *ctx)
{
	struct policy *p = ctx->policy;
	int n = config_setting_length(s);

	rate_limits_free(p->rate_limits, p->nrate_limits);
	p->rate_limits = NULL;
	p->nrate_limits = 0;
	if (n > RATE_LIMITS_MAX) {
		config_error(ctx, s, KEY, "%d limits (at most %d)", n, RATE_LIMITS_MAX);
		return;
	}
	p->rate_limits = xcalloc((size_t)n + 1, sizeof(*p->rate_limits));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			config_error(ctx, g, KEY, "element %d is not a group (expected { name = \"...\"; "
			    "key = \"login\"; messages = 200; per = 3600; })", i + 1);
			continue;
		}
		struct rate_limit l = { 0 };
		read_limit(g, i + 1, &l, ctx);
		if (name_taken(p, l.name))
			config_error(ctx, g, KEY, "name \"%s\" is used twice", l.name);
		p->rate_limits[p->nrate_limits++] = l;
	}
}

/*
 * config.c - load a policy file into a new, validated struct policy.
 *
 * Reads with libconfig, walks every setting against config_keys.c's table
 * (so an unknown or misspelt key is an error, never silently ignored),
 * then checks what spans several keys and opens the directory backend.
 * Every problem is appended to the caller's errlist; nothing is logged
 * here. Touches no process-wide state, so a failed reload costs nothing.
 */
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_groups.h"
#include "config_keys.h"
#include "directory_cache.h"
#include "directory_file.h"
#include "directory_metered.h"
#include "dns.h"
#include "metrics_listen.h"
#include "strmap.h"
#include "xalloc.h"

/* Process-wide settings: one value for every listener. */
static const char *const not_in_profiles[] = {
	"milter", "control", "metrics", "log_level", "config_update_interval", "directory", "dns", "profiles",
	"rate_store", "groups", NULL
};

/* In a profile's top level: skips daemon_name, refuses process-wide keys.
 * Returns true if the setting is handled (and must not be applied). */
static bool
profile_special(const char *name, config_setting_t *s, struct config_ctx *ctx)
{
	if (strcmp(name, "daemon_name") == 0)
		return true;
	for (size_t i = 0; not_in_profiles[i] != NULL; i++) {
		if (strcmp(name, not_in_profiles[i]) == 0) {
			config_error(ctx, s, name, "cannot be set in a profile (profile \"%s\"): it "
			    "applies to the whole process", ctx->profile);
			return true;
		}
	}
	return false;
}

static void
walk(config_setting_t *group, const char *prefix, struct config_ctx *ctx)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(s);
		char path[256];

		if (name == NULL)
			continue;
		if (ctx->profile != NULL && prefix == NULL && profile_special(name, s, ctx))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
		    name);
		const struct config_key *k = config_key_find(path);
		if (k == NULL) {
			const char *hint = config_key_suggest(path);
			config_error(ctx, s, path, "unknown key%s%s%s", hint ? " (did you mean " : "",
			    hint ? hint : "", hint ? "?)" : "");
			continue;
		}
		config_key_apply(k, s, ctx);
		if (config_key_is_section(k) && config_setting_type(s) == CONFIG_TYPE_GROUP)
			walk(s, path, ctx);
	}
}

static bool
socket_valid(const char *spec)
{
	const char *at;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		return strchr(spec, ':')[1] == '/';
	if (strncmp(spec, "inet:", 5) != 0 && strncmp(spec, "inet6:", 6) != 0)
		return false;
	const char *port = strchr(spec, ':') + 1;
	long v = strtol(port, (char **)&at, 10);
	return at != port && v > 0 && v < 65536 && (*at == '\0' || *at == '@');
}

static void
check_milter(config_t *cfg, struct config_ctx *ctx)
{
	struct policy *p = ctx->policy;

	if (!socket_valid(p->milter_socket))
		config_error(ctx, config_lookup(cfg, "milter.socket"), "milter.socket",
		    "\"%s\" is not a milter socket (expected \"unix:/path\" or "
		    "\"inet:PORT@HOST\")", p->milter_socket);
	if (p->control_socket != NULL && p->control_socket[0] != '\0' &&
	    (strncmp(p->control_socket, "unix:/", 6) != 0 || strlen(p->control_socket) > 5 + 107))
		config_error(ctx, config_lookup(cfg, "control.socket"), "control.socket",
		    "\"%s\" is not a control socket (expected \"unix:/path\", at most 107 "
		    "bytes of path)", p->control_socket);
	if (p->milter_user != NULL && getpwnam(p->milter_user) == NULL)
		config_error(ctx, config_lookup(cfg, "milter.user"), "milter.user",
		    "no such user \"%s\"", p->milter_user);
}

/* metrics.listen: absent or "" is off; anything else must bind as written. */
static void
check_metrics(config_t *cfg, struct config_ctx *ctx)
{
	const char *spec = ctx->policy->metrics_listen;
	struct metrics_listen l;
	char why[160];

	if (spec == NULL || spec[0] == '\0')
		return;
	if (metrics_listen_parse(spec, &l, why, sizeof(why)) < 0)
		config_error(ctx, config_lookup(cfg, "metrics.listen"), "metrics.listen",
		    "\"%s\" is not a listen address: %s (expected \"127.0.0.1:9749\", "
		    "\"[::1]:9749\" or \"unix:/path\")", spec, why);
}

static void
check_relay(struct config_ctx *ctx)
{
	const struct relay_policy *r = &ctx->policy->relay;

	if (r->enforce != ENFORCE_NONE && domain_set_count(r->allow_to_domains) == 0 &&
	    domain_set_count(r->deny_to_domains) == 0 && host_set_count(r->allow_from_hosts) == 0 &&
	    host_set_count(r->deny_from_hosts) == 0)
		errlist_warn(ctx->errs, ctx->path, 0, "relay",
		    "OPEN RELAY: all four relay lists are empty, so every host may relay to "
		    "every domain (Domino's behaviour); add deny_to_domains = [ \"*\" ] and "
		    "deny_from_hosts = [ \"*\" ] to close it");
}

/* Domino falls back to the server's own Internet domain; relaywarden has
 * none to fall back to, so an empty list would refuse every inbound
 * message as a relay: an error, unless nothing is enforced. */
static bool
local_domains_missing(const struct policy *p)
{
	return p->relay.enforce != ENFORCE_NONE && domain_set_count(p->local_domains) == 0;
}

static void
check_local_domains(config_t *cfg, struct config_ctx *ctx)
{
	const config_setting_t *s = config_lookup(cfg, "local_domains");

	/* a value of the wrong type, or entries that did not load, have their
	 * own errors */
	if (!local_domains_missing(ctx->policy) || (s != NULL &&
	    ((config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST) || config_setting_length(s) > 0)))
		return;
	config_error(ctx, s, "local_domains",
	    "is empty, so every inbound message would be refused as a relay (list the domains "
	    "this server receives mail for, or set relay.enforce = \"none\")");
}

/* A profile is a whole policy: the base file, then the profile's own
 * settings on top. It borrows the base's directory and resolver. */
static struct policy *
load_profile(config_t *cfg, config_setting_t *g, const char *name, struct config_ctx *base)
{
	struct policy *pp = xcalloc(1, sizeof(*pp));
	struct config_ctx ctx = { pp, base->errs, base->path, base->dir, NULL, base->groups };

	pp->path = xstrdup(base->policy->path);
	config_keys_defaults(pp);
	size_t said = base->errs->count;
	walk(config_root_setting(cfg), NULL, &ctx);
	while (base->errs->count > said)        /* the base's walk said each already */
		free(base->errs->lines[--base->errs->count]);
	ctx.profile = name;
	walk(g, NULL, &ctx);
	check_relay(&ctx);
	if (!local_domains_missing(base->policy))     /* else said once, for the base */
		check_local_domains(cfg, &ctx);
	pp->daemon_name = xstrdup(name);
	pp->base = base->policy;
	return pp;
}

static void
load_profiles(config_t *cfg, struct config_ctx *ctx)
{
	config_setting_t *list = config_lookup(cfg, "profiles");
	struct policy *p = ctx->policy;
	const char *name;

	p->profile_index = strmap_new();
	if (list == NULL || config_setting_type(list) != CONFIG_TYPE_LIST)
		return;
	p->profiles = xcalloc((size_t)config_setting_length(list) + 1, sizeof(*p->profiles));
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP ||
		    !config_setting_lookup_string(g, "daemon_name", &name) || *name == '\0') {
			config_error(ctx, g, "profiles", "entry %d needs daemon_name = \"...\" (the "
			    "MTA's {daemon_name} macro)", i + 1);
			continue;
		}
		if (!strmap_put(p->profile_index, name, strlen(name), (unsigned)p->nprofiles + 1)) {
			config_error(ctx, g, "profiles", "daemon_name \"%s\" is used twice", name);
			continue;
		}
		p->profiles[p->nprofiles++] = load_profile(cfg, g, name, ctx);
	}
}

const struct policy *
config_profile(const struct policy *p, const char *daemon_name)
{
	unsigned idx;

	if (daemon_name == NULL || p->profile_index == NULL ||
	    !strmap_get(p->profile_index, daemon_name, strlen(daemon_name), &idx))
		return p;
	return p->profiles[idx - 1];
}

static void
open_directory(struct config_ctx *ctx)
{
	struct policy *p = ctx->policy;
	struct directory *inner = NULL;

	switch (p->backend) {
	case BACKEND_FILE:
		if (p->directory_file == NULL)
			p->directory_file = xasprintf("%s/directory.conf", ctx->dir);
		inner = directory_file_open(p->directory_file, ctx->errs);
		break;
	case BACKEND_LDAP:
		p->ldap.want_groups = p->verify_sender.group_send_as;
		inner = directory_ldap_open(&p->ldap, ctx->path, ctx->errs);
		break;
	}
	inner = directory_metered_wrap(inner);
	/* The file backend is already in memory: caching it would only cost. */
	p->directory = p->backend == BACKEND_FILE ? inner :
	    directory_cache_wrap(inner, p->cache.ttl, p->cache.negative_ttl, p->cache.max_entries);
}

/* The directory and DNS modules name the key but not its line (they never
 * see the file): "PATH: KEY: ..." becomes "PATH:LINE: KEY: ..." for every
 * error from index from on whose key is a setting of this file. */
static void
add_lines(const config_t *cfg, const char *path, struct errlist *errs, size_t from)
{
	size_t plen = strlen(path);

	for (size_t i = from; i < errs->count; i++) {
		char *line = errs->lines[i], key[128];
		const char *rest = line + plen + 2;
		size_t klen;
		if (strncmp(line, path, plen) != 0 || strncmp(line + plen, ": ", 2) != 0 ||
		    (klen = strcspn(rest, ":")) == 0 || klen >= sizeof(key) || rest[klen + 1] != ' ')
			continue;
		memcpy(key, rest, klen);
		key[klen] = '\0';
		const config_setting_t *s = config_lookup(cfg, key);
		if (s == NULL || config_setting_source_line(s) <= 0)
			continue;
		errs->lines[i] = xasprintf("%s:%d: %s", path, config_setting_source_line(s), rest);
		free(line);
	}
}

struct policy *
config_load(const char *path, struct errlist *errs)
{
	struct policy *p = xcalloc(1, sizeof(*p));
	char *copy = xstrdup(path);
	struct config_ctx ctx = { p, errs, path, dirname(copy), NULL, NULL };
	size_t before = errs->count;
	config_t cfg;

	p->path = xstrdup(path);
	config_keys_defaults(p);
	config_init(&cfg);
	config_set_include_dir(&cfg, ctx.dir);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			errlist_add(errs, path, 0, NULL, "cannot read the policy file");
		else
			errlist_add(errs, config_error_file(&cfg) ? config_error_file(&cfg) : path,
			    config_error_line(&cfg), NULL, "%s",
			    config_error_text(&cfg));
	} else {
		ctx.groups = config_lookup(&cfg, "groups");
		if (ctx.groups != NULL && config_setting_type(ctx.groups) != CONFIG_TYPE_GROUP)
			ctx.groups = NULL;      /* the walk reports its type */
		config_groups_check(&ctx);
		walk(config_root_setting(&cfg), NULL, &ctx);
		check_milter(&cfg, &ctx);
		check_metrics(&cfg, &ctx);
		check_relay(&ctx);
		check_local_domains(&cfg, &ctx);
		/* One pass: the directory and DNS settings are judged even when the
		 * table found errors (their values are then the defaults or what
		 * did read), so `check` names every problem of the file at once. */
		load_profiles(&cfg, &ctx);
		size_t late = errs->count;
		open_directory(&ctx);
		p->dns = dns_new(&p->dns_servers, p->dns_timeout, path, errs);
		p->rate_store = rate_store_open(&p->rate_store_cfg, path, errs);
		add_lines(&cfg, path, errs, late);
		for (size_t i = 0; i < p->nprofiles; i++) {
			p->profiles[i]->directory = p->directory;
			p->profiles[i]->dns = p->dns;
			p->profiles[i]->rate_store = p->rate_store;
		}
	}
	config_destroy(&cfg);
	free(copy);
	errlist_sort(errs, before, path);   /* checks run by section, the admin reads by line */
	if (errs->count == before)
		return p;
	config_free(p);
	return NULL;
}

struct policy *
config_load_printing(const char *path)
{
	struct errlist errs = { 0 };
	struct policy *p = config_load(path, &errs);

	for (size_t i = 0; i < errs.nwarnings; i++)
		fprintf(stderr, "warning: %s\n", errs.warnings[i]);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	errlist_clear(&errs);
	return p;
}

void
config_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->path);
	config_keys_free(p);
	for (size_t i = 0; i < p->nprofiles; i++)
		config_free(p->profiles[i]);
	free(p->profiles);
	strmap_free(p->profile_index);
	free(p->daemon_name);
	if (p->base == NULL) {       /* profiles borrow these */
		directory_free(p->directory);
		dns_free(p->dns);
		rate_store_free(p->rate_store);
	}
	free(p);
}

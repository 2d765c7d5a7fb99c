/*
 * config_groups.c - named groups expanded into the lists at load (see
 * config_groups.h). Runs on the loading thread only.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_groups.h"

#define GROUP_DEPTH_MAX 16

bool
config_groups_is_name(enum key_type t, const char *v)
{
	switch (t) {
	case K_DOMAINS: case K_LOCAL_DOMAINS: case K_HOSTS: case K_NETWORKS: case K_ADDRS:
		break;
	case K_SECTION: case K_BOOL: case K_INT: case K_STRING: case K_PATH: case K_ENUM:
	case K_LOGLEVEL: case K_CHAR: case K_LOGINS: case K_STRLIST: case K_ZONES: case K_SERVERS:
	case K_REPLY: case K_DNSBL: case K_PROFILES: case K_GROUPS: case K_RATE_LIMITS:
		return false;
	}
	/* a libconfig setting name: a letter, then letters, digits, - and _ */
	if (!((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z')))
		return false;
	return strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	    strlen(v);
}

static const config_setting_t *
group_find(const struct config_ctx *ctx, const char *name)
{
	if (ctx->groups == NULL)
		return NULL;
	for (int i = 0; i < config_setting_length(ctx->groups); i++) {
		const config_setting_t *g = config_setting_get_elem(ctx->groups, (unsigned)i);
		if (strcasecmp(config_setting_name(g), name) == 0)
			return g;
	}
	return NULL;
}

/* The defined group closest to a misspelt name, or NULL. */
static const char *
group_suggest(const struct config_ctx *ctx, const char *name)
{
	const char *best = NULL;
	size_t best_d = 4;
	char a[128], b[128];

	if (ctx->groups == NULL || strlen(name) >= sizeof(a))
		return NULL;
	for (size_t i = 0; (a[i] = (char)(name[i] | 0x20 * (name[i] >= 'A' && name[i] <= 'Z'))); i++)
		;
	for (int i = 0; i < config_setting_length(ctx->groups); i++) {
		const char *g = config_setting_name(config_setting_get_elem(ctx->groups, (unsigned)i));
		if (strlen(g) >= sizeof(b))
			continue;
		for (size_t j = 0; (b[j] = (char)(g[j] | 0x20 * (g[j] >= 'A' && g[j] <= 'Z'))); j++)
			;
		size_t d = config_edit_distance(a, b);
		if (d < best_d) {
			best_d = d;
			best = g;
		}
	}
	return best;
}

static void
unknown_group(struct config_ctx *ctx, const config_setting_t *ref, const char *key,
    const char *name)
{
	const char *hint = group_suggest(ctx, name);

	if (hint != NULL)
		config_error(ctx, ref, key, "unknown group \"%s\" (did you mean %s?)", name, hint);
	else
		config_error(ctx, ref, key, "unknown group \"%s\" (an entry without a dot names a "
		    "group: define it in groups = { %s = [ ... ]; })", name, name);
}

static bool
on_stack(const char *const *stack, size_t depth, const char *name)
{
	for (size_t i = 0; i < depth; i++)
		if (strcasecmp(stack[i], name) == 0)
			return true;
	return false;
}

/* Depth-first; unknown names and cycles inside groups are
 * config_groups_check's to report (once), so they are skipped here. */
static void
expand(const struct config_key *k, struct config_ctx *ctx, const config_setting_t *g,
    const char **stack, size_t depth, config_group_add add)
{
	char err[512];

	stack[depth++] = config_setting_name(g);
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		const char *v = config_setting_get_string(e);
		if (v == NULL)
			continue;
		if (config_groups_is_name(k->type, v)) {
			const config_setting_t *inner = group_find(ctx, v);
			if (inner != NULL && depth < GROUP_DEPTH_MAX && !on_stack(stack, depth, v))
				expand(k, ctx, inner, stack, depth, add);
			continue;
		}
		if (add(k, ctx, v, err, sizeof(err)) < 0)
			config_error(ctx, e, k->path, "in group \"%s\": %s", config_setting_name(g), err);
	}
}

void
config_groups_expand(const struct config_key *k, struct config_ctx *ctx,
    const config_setting_t *ref, const char *name, config_group_add add)
{
	const config_setting_t *g = group_find(ctx, name);
	const char *stack[GROUP_DEPTH_MAX];

	if (g == NULL) {
		unknown_group(ctx, ref, k->path, name);
		return;
	}
	expand(k, ctx, g, stack, 0, add);
}

/* Follows g's group names; reports a cycle where it closes. */
static void
check_cycles(struct config_ctx *ctx, const config_setting_t *g, const char **stack,
    size_t depth, const char *key)
{
	stack[depth++] = config_setting_name(g);
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		const char *v = config_setting_get_string(e);
		const config_setting_t *inner;
		if (v == NULL || !config_groups_is_name(K_HOSTS, v) || (inner = group_find(ctx, v)) == NULL)
			continue;
		if (strcasecmp(v, stack[0]) == 0) {
			char path[512] = "";
			for (size_t j = 0; j < depth; j++)
				snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s -> ", stack[j]);
			config_error(ctx, e, key, "group \"%s\" contains itself (%s%s)", stack[0],
			    path, config_setting_name(inner));
		} else if (depth < GROUP_DEPTH_MAX && !on_stack(stack, depth, v)) {
			check_cycles(ctx, inner, stack, depth, key);
		}
	}
}

void
config_groups_check(struct config_ctx *ctx)
{
	const char *stack[GROUP_DEPTH_MAX];
	char key[300];

	if (ctx->groups == NULL)
		return;
	for (int i = 0; i < config_setting_length(ctx->groups); i++) {
		const config_setting_t *g = config_setting_get_elem(ctx->groups, (unsigned)i);
		int t = config_setting_type(g);
		snprintf(key, sizeof(key), "groups.%s", config_setting_name(g));
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
			config_error(ctx, g, key, "wrong type (expected a list of strings, [ \"...\", ... ])");
			continue;
		}
		for (int j = 0; j < config_setting_length(g); j++) {
			const config_setting_t *e = config_setting_get_elem(g, (unsigned)j);
			const char *v = config_setting_get_string(e);
			if (v == NULL)
				config_error(ctx, e, key, "element %d is not a string", j + 1);
			else if (config_groups_is_name(K_HOSTS, v) && group_find(ctx, v) == NULL)
				unknown_group(ctx, e, key, v);
		}
		check_cycles(ctx, g, stack, 0, key);
	}
}

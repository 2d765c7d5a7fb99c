/*
 * config_keys.h - the table of every policy key, its type and where it
 * lands in struct policy. config.c walks the file against this table, so a
 * key is known, typed and defaulted in exactly one place.
 */
#ifndef RW_CONFIG_KEYS_H
#define RW_CONFIG_KEYS_H

#include <libconfig.h>

#include "errlist.h"
#include "policy.h"

struct config_key;

/* What a handler needs to read one setting into the policy. */
struct config_ctx {
	struct policy *policy;
	struct errlist *errs;
	const char *path;        /* policy file, for errors without a setting */
	const char *dir;         /* its directory, for relative paths */
	const char *profile;     /* daemon_name while reading a profile, else NULL */
};

/* The entry for a dotted path ("relay.enforce"), or NULL if unknown. */
const struct config_key *config_key_find(const char *path);
/* True if the entry is a section (a group to descend into). */
bool config_key_is_section(const struct config_key *k);
/* Reads setting s (already known to be this key) into ctx->policy. */
void config_key_apply(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx);
/* Sets every default; allocates the empty sets. */
void config_keys_defaults(struct policy *p);
/* Frees connection.dnsbl's zones. */
void dnsbl_zones_free(struct connection_policy *cp);
/* The closest known key to a misspelt path, or NULL. */
const char *config_key_suggest(const char *path);

/* Error helpers shared by the handlers. */
void config_error(struct config_ctx *ctx, const config_setting_t *s, const char *key,
    const char *fmt, ...) RW_PRINTF(4, 5);

#endif

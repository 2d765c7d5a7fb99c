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

/* The table's row types; only config_keys.c (the table, lookup and types)
 * and config_apply.c (reading a value into the policy) look inside. */
enum key_type {
	K_SECTION, K_BOOL, K_INT, K_STRING, K_PATH, K_ENUM, K_LOGLEVEL, K_CHAR,
	K_DOMAINS, K_LOCAL_DOMAINS, K_HOSTS, K_NETWORKS, K_ADDRS, K_LOGINS, K_STRLIST, K_ZONES,
	K_SERVERS, K_REPLY, K_DNSBL, K_PROFILES, K_GROUPS, K_RATE_LIMITS,
};

struct config_key {
	const char *path;
	enum key_type type;
	size_t offset;                 /* into struct policy; unused when inert */
	const char *const *names;      /* K_ENUM: values in enum order */
	int min, max;                  /* K_INT */
	enum reply_class klass;        /* K_REPLY */
	const char *def;               /* the default, as the file would say it */
};

#define CONFIG_FIELD(ctx, k, type) ((type *)((char *)(ctx)->policy + (k)->offset))

/* What a handler needs to read one setting into the policy. */
struct config_ctx {
	struct policy *policy;
	struct errlist *errs;
	const char *path;        /* policy file, for errors without a setting */
	const char *dir;         /* its directory, for relative paths */
	const char *profile;     /* daemon_name while reading a profile, else NULL */
	const config_setting_t *groups;  /* the top-level groups = { ... }, or NULL */
};

/* The entry for a dotted path ("relay.enforce"), or NULL if unknown. */
const struct config_key *config_key_find(const char *path);
/* The i-th entry of the table in file order, or NULL past the end
 * (`relaywarden keys`, from which the man page's key list is checked). */
const struct config_key *config_key_at(size_t i);
/* True if the entry is a section (a group to descend into). */
bool config_key_is_section(const struct config_key *k);
/* "an integer", "a list of strings, [ ... ]": what a key of type t looks like. */
const char *config_type_words(enum key_type t);
/* False, with the error added, if s is not of k's type ("wrong type (expected ...)"). */
bool config_key_type_check(const struct config_key *k, const config_setting_t *s,
    struct config_ctx *ctx);
/* Reads setting s (already known to be this key) into ctx->policy (config_apply.c). */
void config_key_apply(const struct config_key *k, config_setting_t *s, struct config_ctx *ctx);
/* Parses a built-in reply (aborts if it is wrong: a programming error). */
void config_default_reply(struct reply *r, enum reply_class klass, const char *text);
/* Sets every default from the rows; allocates the empty sets. */
void config_keys_defaults(struct policy *p);
/* Frees what every key's value owns (the table walked again). */
void config_keys_free(struct policy *p);
/* Reads rate_limits = ( ... ) into ctx->policy (config_rate.c). */
void config_rate_limits_apply(config_setting_t *s, struct config_ctx *ctx);
/* Frees connection.dnsbl's zones. */
void config_keys_dnsbl_free(struct connection_policy *cp);
/* Levenshtein distance of a and b ((size_t)-1 when b is too long). */
size_t config_edit_distance(const char *a, const char *b);
/* The closest known key to a misspelt path, or NULL. */
const char *config_key_suggest(const char *path);

/* Error helpers shared by the handlers. */
void config_error(struct config_ctx *ctx, const config_setting_t *s, const char *key,
    const char *fmt, ...) RW_PRINTF(4, 5);

#endif

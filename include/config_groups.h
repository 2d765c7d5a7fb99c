/*
 * config_groups.h - named groups in the lists (Domino: "You can specify
 * individual host names or a group name"; an entry with no dot is a group).
 *
 *   groups = { AppServers = [ "10.20.5.7", "app1.acme.com" ];
 *              Partners = [ "@partner.example" ]; };
 *
 * A host, domain or address list entry with no dot that is not "*", an
 * address ("@", ":"), or an IP form ("[", "/") names a group; the group's
 * entries are added to the list in its place, through the list's own
 * matcher, at load (lookups stay O(1)/O(labels)). Groups may name groups;
 * a cycle is an error. Names compare case-insensitively (Domino's). Runs
 * on the loading thread only.
 */
#ifndef RW_CONFIG_GROUPS_H
#define RW_CONFIG_GROUPS_H

#include <stdbool.h>
#include <stddef.h>

#include "config_keys.h"

/* Adds one entry to k's list (config_apply.c's element reader). */
typedef int (*config_group_add)(const struct config_key *k, struct config_ctx *ctx,
    const char *v, char *err, size_t errlen);

/* True if v, an entry of a list of type t, names a group. */
bool config_groups_is_name(enum key_type t, const char *v);
/* Adds the entries of group name (ref: the list entry naming it) to k's
 * list; an unknown name is an error at ref's line ("did you mean ..."),
 * an entry the list refuses one at the entry's own line. */
void config_groups_expand(const struct config_key *k, struct config_ctx *ctx,
    const config_setting_t *ref, const char *name, config_group_add add);
/* Checks the definitions once: each a list of strings, every group named
 * in a group defined, no group containing itself. */
void config_groups_check(struct config_ctx *ctx);

#endif

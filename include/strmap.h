/*
 * strmap.h - open-addressing hash map from ASCII-case-insensitive string
 * keys to unsigned values.
 *
 * Keys are copied and stored lower-cased; lookups fold case the same way,
 * so callers never normalise before asking. O(1) expected per operation.
 * Not thread-safe for writers; any number of concurrent readers is fine
 * once building is finished (the policy snapshot is immutable).
 */
#ifndef RW_STRMAP_H
#define RW_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap;

struct strmap *strmap_new(void);
void strmap_free(struct strmap *m);

/* Inserts key, or ORs value into an existing key's value. Returns true if the
 * key was new. len is the key length (keys may hold any byte but NUL). */
bool strmap_put(struct strmap *m, const char *key, size_t len, unsigned value);

/* Returns true and sets *value if the key is present. value may be NULL. */
bool strmap_get(const struct strmap *m, const char *key, size_t len, unsigned *value);

size_t strmap_count(const struct strmap *m);

#endif

/*
 * strmap.c - open-addressing hash map, ASCII-case-insensitive keys.
 *
 * Linear probing over a power-of-two table, grown at 70 % load; FNV-1a over
 * the lower-cased bytes. Keys are stored lower-cased with their length, so
 * a probe compares lengths first. Immutable once the snapshot is built.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xalloc.h"

struct slot {
	char *key;        /* NULL: empty */
	size_t len;
	uint32_t hash;
	unsigned value;
};

struct strmap {
	struct slot *slots;
	size_t cap;       /* power of two */
	size_t count;
};

static inline unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint32_t
hash_key(const char *key, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= fold((unsigned char)key[i]);
		h *= 16777619u;
	}
	return h;
}

static bool
same_key(const struct slot *s, const char *key, size_t len, uint32_t h)
{
	if (s->hash != h || s->len != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s->key[i] != fold((unsigned char)key[i]))
			return false;
	return true;
}

struct strmap *
strmap_new(void)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->cap = 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	return m;
}

void
strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

static struct slot *
find_slot(struct slot *slots, size_t cap, const char *key, size_t len, uint32_t h)
{
	size_t i = h & (cap - 1);

	while (slots[i].key != NULL && !same_key(&slots[i], key, len, h))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static void
grow(struct strmap *m)
{
	size_t cap = m->cap * 2;
	struct slot *slots = xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i < m->cap; i++) {
		struct slot *old = &m->slots[i];
		if (old->key != NULL)
			*find_slot(slots, cap, old->key, old->len, old->hash) = *old;
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
}

bool
strmap_put(struct strmap *m, const char *key, size_t len, unsigned value)
{
	uint32_t h = hash_key(key, len);

	if ((m->count + 1) * 10 > m->cap * 7)
		grow(m);
	struct slot *s = find_slot(m->slots, m->cap, key, len, h);
	if (s->key != NULL) {
		s->value |= value;
		return false;
	}
	s->key = xstrndup(key, len);
	for (size_t i = 0; i < len; i++)
		s->key[i] = (char)fold((unsigned char)s->key[i]);
	s->len = len;
	s->hash = h;
	s->value = value;
	m->count++;
	return true;
}

bool
strmap_get(const struct strmap *m, const char *key, size_t len, unsigned *value)
{
	const struct slot *s = find_slot(m->slots, m->cap, key, len, hash_key(key, len));

	if (s->key == NULL)
		return false;
	if (value != NULL)
		*value = s->value;
	return true;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}

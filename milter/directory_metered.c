/*
 * directory_metered.c - times and counts every answer of a directory
 * backend (stats.c), so that the metrics show each backend's latency and
 * failures whatever sits in front of it (the cache counts its own hits).
 */
#include <stdlib.h>

#include "directory_metered.h"
#include "stats.h"
#include "xalloc.h"

struct metered {
	struct directory_ops ops;      /* the inner backend's name, these functions */
	struct directory *inner;
};

static enum lookup_result
metered_lookup_user(void *state, const char *login, struct dir_user **out, char *why,
    size_t whylen)
{
	struct metered *m = state;
	uint64_t t0 = stats_now_ns();
	enum lookup_result r = m->inner->ops->lookup_user(m->inner->state, login, out, why, whylen);

	stats_directory_lookup(m->ops.name, r, stats_now_ns() - t0);
	return r;
}

static enum lookup_result
metered_lookup_recipient(void *state, const char *address, enum recipient_kind *kind,
    char *why, size_t whylen)
{
	struct metered *m = state;
	uint64_t t0 = stats_now_ns();
	enum lookup_result r = m->inner->ops->lookup_recipient(m->inner->state, address, kind, why,
	    whylen);

	stats_directory_lookup(m->ops.name, r, stats_now_ns() - t0);
	return r;
}

static void
metered_free(void *state)
{
	struct metered *m = state;

	directory_free(m->inner);
	free(m);
}

static size_t
metered_flush(void *state, const char *login)
{
	struct metered *m = state;

	return m->inner->ops->flush(m->inner->state, login);
}

static void
metered_health(void *state, directory_health_fn fn, void *ctx)
{
	struct metered *m = state;

	m->inner->ops->health(m->inner->state, fn, ctx);
}

struct directory *
directory_metered_wrap(struct directory *inner)
{
	if (inner == NULL)
		return NULL;
	struct metered *m = xcalloc(1, sizeof(*m));
	m->ops = (struct directory_ops){ inner->ops->name, metered_lookup_user,
		metered_lookup_recipient, metered_free, inner->ops->flush ? metered_flush : NULL,
		inner->ops->health ? metered_health : NULL };
	m->inner = inner;
	struct directory *d = xcalloc(1, sizeof(*d));
	d->ops = &m->ops;
	d->state = m;
	return d;
}

/*
 * snapshot.c - owns the current policy pointer and every policy's refcount.
 *
 * The current snapshot holds one reference of its own; each session holds
 * one more. Counts are only touched under snapshot_lock (milter-regex's
 * refcount-after-unlock race is impossible by construction). Freeing
 * happens outside the lock: a free may close directory handles.
 */
#include <pthread.h>
#include <stddef.h>

#include "snapshot.h"

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct policy *current;

/* Called with the lock held; returns p if its last reference went. */
static struct policy *
drop(struct policy *p)
{
	return --p->refs == 0 ? p : NULL;
}

void
snapshot_install(struct policy *p)
{
	struct policy *dead = NULL;

	log_set_level(p->log_level);
	pthread_mutex_lock(&snapshot_lock);
	p->refs = 1;
	if (current != NULL)
		dead = drop(current);
	current = p;
	pthread_mutex_unlock(&snapshot_lock);
	config_free(dead);
}

const struct policy *
snapshot_acquire(void)
{
	struct policy *p;

	pthread_mutex_lock(&snapshot_lock);
	p = current;
	if (p != NULL)
		p->refs++;
	pthread_mutex_unlock(&snapshot_lock);
	return p;
}

void
snapshot_release(const struct policy *cp)
{
	struct policy *p = (struct policy *)cp, *dead;

	if (p == NULL)
		return;
	pthread_mutex_lock(&snapshot_lock);
	dead = drop(p);
	pthread_mutex_unlock(&snapshot_lock);
	config_free(dead);
}

void
snapshot_shutdown(void)
{
	struct policy *dead = NULL;

	pthread_mutex_lock(&snapshot_lock);
	if (current != NULL)
		dead = drop(current);
	current = NULL;
	pthread_mutex_unlock(&snapshot_lock);
	config_free(dead);
}

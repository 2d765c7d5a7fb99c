/*
 * snapshot.h - the one process-wide policy pointer, reference-counted.
 *
 * A connection pins the snapshot current at its CONNECT and releases it at
 * CLOSE, so a reload never changes the rules under a running session. The
 * last release of a retired snapshot frees it. All functions are
 * thread-safe (one mutex guards the pointer and every refcount); none holds
 * the mutex longer than a pointer swap.
 */
#ifndef RW_SNAPSHOT_H
#define RW_SNAPSHOT_H

#include "policy.h"

/* Publishes p (built by config_load, refs 0) as the current policy and
 * retires the previous one. Sets the log level from p. */
void snapshot_install(struct policy *p);
/* Returns the current policy with one more reference; never NULL after the
 * first install. */
const struct policy *snapshot_acquire(void);
void snapshot_release(const struct policy *p);
/* Drops the current pointer's own reference (at exit). */
void snapshot_shutdown(void);

#endif

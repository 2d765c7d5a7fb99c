/*
 * metrics.h - the Prometheus endpoint of the running milter
 * (metrics.listen): GET /metrics answers stats_prometheus_write's text.
 * One thread of its own; the milter threads only ever count (stats.h), so
 * nothing a metrics client does can slow a mail transaction.
 */
#ifndef RW_METRICS_H
#define RW_METRICS_H

#include "policy.h"

/* Opens p->metrics_listen (nothing when it is NULL or "") and starts the
 * serving thread; call it before privileges are dropped, so that a socket
 * under /run/relaywarden or a port below 1024 can be had. 0, or -1 after
 * logging why. A unix socket is mode 0660, given to milter.user. */
int metrics_start(const struct policy *p);

/* Stops the thread and closes (and, for unix:, removes) the socket. Safe
 * when metrics_start opened nothing. */
void metrics_stop(void);

#endif

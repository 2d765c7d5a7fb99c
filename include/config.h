/*
 * config.h - the policy file (DESIGN Appendix A) -> a validated struct policy.
 *
 * One loader, three callers: start-up (print and exit EX_CONFIG), reload
 * (log and keep the running snapshot) and `relaywarden check`. Every problem
 * is collected, none stops the scan, and each reads
 * "FILE:LINE: KEY: problem (expected ...)". Also opens the directory
 * backend objects (no network I/O). Runs on one thread at a time; touches
 * no process-wide state.
 */
#ifndef RW_CONFIG_H
#define RW_CONFIG_H

#include "errlist.h"
#include "policy.h"

/* Returns a new policy (refs 0), or NULL when errs holds any error.
 * Warnings (an open relay, ...) go to errs->warnings either way. */
struct policy *config_load(const char *path, struct errlist *errs);
/* config_load for the command line (check, explain, reload): warnings as
 * "warning: ..." and errors to stderr, one line each. */
struct policy *config_load_printing(const char *path);

#endif

/*
 * log.h - the one logger, with Postfix's four severities.
 *
 * log_err: an operator must act; log_warn: degraded but working; log_info:
 * one line per decision; log_debug: gated by log_level. log_notice: the
 * lifecycle (start, stop, a reload done), shown at log_level warn too, as
 * syslog's "notice": a quiet log still says what policy runs since when.
 * In the foreground lines go to stderr (make run, tests), otherwise to
 * syslog(LOG_MAIL). The level is an atomic set from the running snapshot,
 * so any thread may log at any time. Never pass secrets.
 */
#ifndef RW_LOG_H
#define RW_LOG_H

#include <stdbool.h>

#include "compat.h"

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_open(const char *ident, bool to_stderr);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
/* Parses "err" | "warn" | "info" | "debug". */
bool log_level_parse(const char *name, enum log_level *out);

/* An already formatted line (the decision lines): no second printf pass. */
void log_text(enum log_level level, const char *msg);
void log_err(const char *fmt, ...) RW_PRINTF(1, 2);
void log_warn(const char *fmt, ...) RW_PRINTF(1, 2);
void log_notice(const char *fmt, ...) RW_PRINTF(1, 2);
void log_info(const char *fmt, ...) RW_PRINTF(1, 2);
void log_debug(const char *fmt, ...) RW_PRINTF(1, 2);

#endif

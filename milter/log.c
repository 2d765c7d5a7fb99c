/*
 * log.c - stderr or syslog(LOG_MAIL), one line per call.
 *
 * Owns the ident, the destination and the level (an atomic, so threads need
 * no lock). A line to stderr is written with one fprintf so concurrent lines
 * do not interleave mid-line.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static atomic_int current_level = LOG_LEVEL_INFO;
static bool use_stderr = true;
static const char *log_ident = "relaywarden";

static const char *const level_names[] = { "err", "warn", "info", "debug" };

void
log_open(const char *ident, bool to_stderr)
{
	log_ident = ident;
	use_stderr = to_stderr;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(enum log_level level)
{
	atomic_store(&current_level, (int)level);
}

bool
log_enabled(enum log_level level)
{
	return (int)level <= atomic_load(&current_level);
}

bool
log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < RW_NELEM(level_names); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[4096];

	if (!log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (!use_stderr) {
		syslog(priorities[level], "%s", line);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s[%s]: %s\n", stamp, ts.tv_nsec / 1000000L,
	    log_ident, level_names[level], line);
}

#define LOG_FN(name, level)                     \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		log_vwrite(level, fmt, ap);     \
		va_end(ap);                     \
	}

LOG_FN(log_err, LOG_LEVEL_ERR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)

/*
 * log.c - stderr or syslog(LOG_MAIL), one line per call.
 *
 * Owns the ident, the destination and the level (an atomic, so threads need
 * no lock). A line to stderr is written with one write(2) so concurrent
 * lines do not interleave mid-line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

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

/* "2026-11-24T10:00:00" for now, formatted once a second per thread:
 * at info level every transaction logs, and strftime is not free. */
static size_t
stamp_now(char *buf, size_t len, long *ms)
{
	static _Thread_local time_t last = -1;
	static _Thread_local char cached[32];
	static _Thread_local size_t cached_len;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*ms = ts.tv_nsec / 1000000L;
	if (ts.tv_sec != last) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		cached_len = strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
		last = ts.tv_sec;
	}
	if (cached_len >= len)
		return 0;
	memcpy(buf, cached, cached_len + 1);
	return cached_len;
}

/* Writes the whole line with one write(2), bypassing stdio's lock: lines
 * from concurrent sessions never interleave and never wait for each other
 * in user space. */
static void
write_stderr(const char *severity, const char *msg)
{
	char line[4200], stamp[32];
	size_t n, mlen = strlen(msg);
	long ms;

	size_t slen = stamp_now(stamp, sizeof(stamp), &ms);
	const char *parts[] = { log_ident, "[", severity, "]: " };
	memcpy(line, stamp, slen);
	n = slen;
	line[n++] = '.';
	line[n++] = (char)('0' + ms / 100);
	line[n++] = (char)('0' + ms / 10 % 10);
	line[n++] = (char)('0' + ms % 10);
	line[n++] = 'Z';
	line[n++] = ' ';
	for (size_t i = 0; i < RW_NELEM(parts); i++) {
		size_t plen = strlen(parts[i]);
		if (plen > 256)
			return;         /* an ident this long is a caller's bug */
		memcpy(line + n, parts[i], plen);
		n += plen;
	}
	if (mlen > sizeof(line) - 2 - n)
		mlen = sizeof(line) - 2 - n;
	memcpy(line + n, msg, mlen);
	n += mlen;
	line[n++] = '\n';
	for (size_t off = 0; off < n;) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;         /* nowhere left to say so */
		off += (size_t)w;
	}
}

/* Shown from log_level threshold on, as syslog priority (and stderr name). */
static void
emit(enum log_level threshold, int priority, const char *severity, const char *msg)
{
	if (!log_enabled(threshold))
		return;
	if (use_stderr)
		write_stderr(severity, msg);
	else
		syslog(priority, "%s", msg);
}

void
log_text(enum log_level level, const char *msg)
{
	static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	emit(level, priorities[level], level_names[level], msg);
}

void
log_notice(const char *fmt, ...)
{
	char line[4096];
	va_list ap;

	if (!log_enabled(LOG_LEVEL_WARN))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emit(LOG_LEVEL_WARN, LOG_NOTICE, "notice", line);
}

static void
log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char line[4096];

	if (!log_enabled(level))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_text(level, line);
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

/*
 * errlist.c - collects config problems as formatted lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"
#include "xalloc.h"

static char *
format_line(const char *file, int line, const char *key, const char *fmt, va_list ap)
{
	char msg[1024], where[1024] = "";

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (file != NULL && line > 0)
		snprintf(where, sizeof(where), "%s:%d: ", file, line);
	else if (file != NULL)
		snprintf(where, sizeof(where), "%s: ", file);
	return xasprintf("%s%s%s%s", where, key ? key : "", key ? ": " : "", msg);
}

static void
push(char ***lines, size_t *count, char *line)
{
	*lines = xrealloc(*lines, (*count + 1) * sizeof(**lines));
	(*lines)[(*count)++] = line;
}

void
errlist_add(struct errlist *e, const char *file, int line, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push(&e->lines, &e->count, format_line(file, line, key, fmt, ap));
	va_end(ap);
}

void
errlist_warn(struct errlist *e, const char *file, int line, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	push(&e->warnings, &e->nwarnings, format_line(file, line, key, fmt, ap));
	va_end(ap);
}

/* The line number of a "FILE:LINE: ..." line of file, or 0. */
static long
line_of(const char *line, const char *file, size_t flen)
{
	if (strncmp(line, file, flen) != 0 || line[flen] != ':')
		return 0;
	char *end;
	long n = strtol(line + flen + 1, &end, 10);
	return end != line + flen + 1 && *end == ':' ? n : 0;
}

void
errlist_sort(struct errlist *e, size_t from, const char *file)
{
	size_t flen = strlen(file);

	/* insertion sort: stable, and a policy has a handful of errors */
	for (size_t i = from + 1; i < e->count; i++) {
		char *line = e->lines[i];
		long n = line_of(line, file, flen);
		size_t j = i;
		if (n == 0)
			continue;
		while (j > from) {
			long m = line_of(e->lines[j - 1], file, flen);
			if (m == 0 || m <= n)
				break;
			e->lines[j] = e->lines[j - 1];
			j--;
		}
		e->lines[j] = line;
	}
}

void
errlist_clear(struct errlist *e)
{
	for (size_t i = 0; i < e->count; i++)
		free(e->lines[i]);
	for (size_t i = 0; i < e->nwarnings; i++)
		free(e->warnings[i]);
	free(e->lines);
	free(e->warnings);
	*e = (struct errlist){ 0 };
}

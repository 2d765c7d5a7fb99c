/*
 * received.c - the client of a Received: header (see received.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "domain.h"
#include "received.h"

static const char *
skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "(may be forged)" at p: its end, or NULL. */
static const char *
may_be_forged(const char *p)
{
	static const char words[] = "(may be forged)";

	return strncasecmp(p, words, sizeof(words) - 1) == 0 ? p + sizeof(words) - 1 : NULL;
}

/* "[IP]" or "[IPv6:IP]" at p: fills out, returns the end, or NULL. */
static const char *
bracketed_ip(const char *p, struct received *out)
{
	char text[64];
	const char *end;

	if (*p != '[' || (end = strchr(p, ']')) == NULL)
		return NULL;
	p++;
	if (strncasecmp(p, "IPv6:", 5) == 0)
		p += 5;
	if ((size_t)(end - p) >= sizeof(text))
		return NULL;
	memcpy(text, p, (size_t)(end - p));
	text[end - p] = '\0';
	if (!ip_parse(text, &out->ip))
		return NULL;
	ip_format(&out->ip, out->addr, sizeof(out->addr));
	return end + 1;
}

/* The name before the bracket: "" when unknown or not a DNS name. */
static void
set_name(const char *start, const char *end, struct received *out)
{
	char name[256];
	const char *at = memchr(start, '@', (size_t)(end - start));

	if (at != NULL)          /* ident@name */
		start = at + 1;
	out->name[0] = '\0';
	if (start == end || (size_t)(end - start) >= sizeof(name))
		return;
	memcpy(name, start, (size_t)(end - start));
	name[end - start] = '\0';
	if (strcasecmp(name, "unknown") == 0 || !domain_normalize(name, out->name, sizeof(out->name)))
		out->name[0] = '\0';
}

/* The comment that ends the first line, "(NAME [IP]...)", found from its
 * closing parenthesis backwards (nesting counted: Sendmail's "(may be
 * forged)" sits inside). Returns its opening parenthesis, or NULL. */
static const char *
last_comment(const char *line, const char *end, const char **close)
{
	while (end > line && is_blank(end[-1]))
		end--;
	if (end == line || end[-1] != ')')
		return NULL;
	*close = end - 1;
	int depth = 0;
	for (const char *p = end - 1; p >= line; p--) {
		if (*p == ')')
			depth++;
		else if (*p == '(' && --depth == 0)
			return p;
	}
	return NULL;
}

/* "NAME [IP]" or "[IP]", then an optional "(may be forged)", up to close. */
static bool
parse_comment(const char *p, const char *close, struct received *out)
{
	const char *name = p = skip_blanks(p), *name_end;

	while (p < close && *p != '[' && !is_blank(*p) && *p != '(' && *p != ')')
		p++;
	name_end = p;
	p = skip_blanks(p);
	if (p >= close || (p = bracketed_ip(p, out)) == NULL || p > close)
		return false;
	set_name(name, name_end, out);
	p = skip_blanks(p);
	const char *f = may_be_forged(p);
	if (f != NULL) {
		out->name[0] = '\0';
		p = skip_blanks(f);
	}
	return p == close;
}

/* Postfix and Sendmail both end the first line of their Received: with the
 * client comment and fold before "by": "from HELO (NAME [IP])\n\tby ...".
 * Only that comment is read - the HELO before it is the client's own
 * words (Postfix joins a HELO of several words with blanks), as is the
 * "for <...>" part after. A value without the fold is unparsable. */
bool
received_parse(const char *value, struct received *out)
{
	const char *p = skip_blanks(value), *close, *open;

	memset(out, 0, sizeof(*out));
	if (strncasecmp(p, "from", 4) != 0 || !is_blank(p[4]))
		return false;
	const char *eol = p + strcspn(p, "\r\n");
	const char *end = eol;
	const char *forged = NULL;
	/* "(NAME [IP]) (may be forged)": the mark after the comment */
	while (end > p && is_blank(end[-1]))
		end--;
	if ((size_t)(end - p) >= 15 && may_be_forged(end - 15) != NULL) {
		forged = end - 15;
		end = forged;
	}
	/* a HELO word, a blank, then the comment */
	if ((open = last_comment(p + 4, end, &close)) == NULL || skip_blanks(p + 4) >= open ||
	    !is_blank(open[-1]) || !parse_comment(open + 1, close, out))
		return false;
	if (forged != NULL)
		out->name[0] = '\0';
	return *eol != '\0';
}

/*
 * reply.c - parse, validate and expand configured SMTP replies.
 *
 * Rules enforced (RFC 5321 §4.2, RFC 3463, and libmilter's own checks in
 * smfi_setreply): a three-digit code whose first digit is 4 or 5 and fits the
 * action; an enhanced code class.subject.detail whose class equals the first
 * digit; printable text without CR/LF. Pure and thread-safe.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "reply.h"

static bool
parse_xcode(const char *s, size_t len, char klass)
{
	int dots = 0, digits = 0;

	if (len < 5 || s[0] != klass || s[1] != '.')
		return false;
	for (size_t i = 2; i < len; i++) {
		if (s[i] == '.') {
			if (digits == 0)
				return false;
			dots++;
			digits = 0;
		} else if (isdigit((unsigned char)s[i]) && ++digits <= 3) {
			continue;
		} else {
			return false;
		}
	}
	return dots == 1 && digits > 0;
}

static bool
text_is_clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int
reply_parse(const char *text, enum reply_class klass, struct reply *out, char *err, size_t errlen)
{
	char want = klass == REPLY_REJECT ? '5' : '4';
	const char *what = klass == REPLY_REJECT ? "rejects" : "defers";

	memset(out, 0, sizeof(*out));
	if (klass == REPLY_EITHER && (text[0] == '4' || text[0] == '5'))
		want = text[0];
	out->klass = want == '5' ? REPLY_REJECT : REPLY_TEMPFAIL;
	if (strlen(text) < 4 || !isdigit((unsigned char)text[0]) || !isdigit((unsigned char)text[1]) ||
	    !isdigit((unsigned char)text[2]) || text[3] != ' ') {
		snprintf(err, errlen, "\"%s\" does not start with a 3-digit code and a space "
		    "(expected \"%cxx %c.x.y text\")", text, want, want);
		return -1;
	}
	if (text[0] != want) {
		snprintf(err, errlen, "code %.3s does not fit this action, which %s (expected %cxx)",
		    text, what, want);
		return -1;
	}
	const char *xs = text + 4, *xe = strchr(xs, ' ');
	size_t xlen = xe ? (size_t)(xe - xs) : strlen(xs);
	if (!parse_xcode(xs, xlen, text[0]) || xlen >= sizeof(out->xcode)) {
		snprintf(err, errlen, "enhanced code \"%.*s\" does not agree with code %.3s "
		    "(expected %c.x.y)", (int)xlen, xs, text, text[0]);
		return -1;
	}
	const char *body = xe ? xe + 1 : "";
	if (body[strspn(body, " \t")] == '\0' || !text_is_clean(body) ||
	    strlen(body) >= sizeof(out->text)) {
		snprintf(err, errlen, "reply text must be 1-%zu printable characters",
		    sizeof(out->text) - 1);
		return -1;
	}
	memcpy(out->code, text, 3);
	memcpy(out->xcode, xs, xlen);
	strcpy(out->text, body);
	return 0;
}

void
reply_format(const struct reply *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s %s", r->code, r->xcode, r->text);
}

void
reply_expand(const struct reply *r, const char *sender, const char *addr, const char *zone,
    char *buf, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	for (const char *p = r->text; *p && o + 1 < len; p++) {
		const char *sub = NULL;
		if (p[0] == '%' && p[1] != '\0') {
			sub = p[1] == 's' ? sender : p[1] == 'a' ? addr : p[1] == 'z' ? zone : NULL;
			if (p[1] == 's' || p[1] == 'a' || p[1] == 'z') {
				p++;
				sub = sub ? sub : "";
			}
		}
		if (sub == NULL) {
			buf[o++] = *p;
			continue;
		}
		for (; *sub && o + 1 < len; sub++)
			buf[o++] = *sub;
	}
	buf[o] = '\0';
}

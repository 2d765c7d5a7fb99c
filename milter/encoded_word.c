/*
 * encoded_word.c - RFC 2047 encoded words to UTF-8, fail closed.
 *
 * A word is recognised as Python's email.header does: "=?", a charset up
 * to the next '?', 'B' or 'Q' (either case), '?', then text up to the
 * first "?=". Once recognised it must decode, or the whole text is
 * refused. A charset may carry an RFC 2231 language ("utf-8*en").
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "encoded_word.h"
#include "xalloc.h"

#define CHARSET_MAX 64
#define CHARSET_CHARS \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:+"

struct outbuf {
	char *p;
	size_t len, cap;
};

struct word {
	char charset[CHARSET_MAX + 1];
	char enc;                  /* 'B' or 'Q' */
	const char *payload;
	size_t plen;
	size_t end;                /* index after "?=" */
};

static void
out_put(struct outbuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* Is an encoded word at t[i]? Fills w with its parts. */
static bool
word_at(const char *t, size_t len, size_t i, struct word *w)
{
	size_t cs = i + 2, q, e;

	if (i + 1 >= len || t[i] != '=' || t[i + 1] != '?')
		return false;
	for (q = cs; q < len && t[q] != '?'; q++)
		;
	if (q + 2 >= len || t[q + 2] != '?' || strchr("bBqQ", t[q + 1]) == NULL || t[q + 1] == 0)
		return false;
	for (e = q + 3; e + 1 < len && !(t[e] == '?' && t[e + 1] == '='); e++)
		;
	if (e + 1 >= len)
		return false;
	size_t n = q - cs;
	const char *star = memchr(t + cs, '*', n);
	if (star != NULL)
		n = (size_t)(star - (t + cs));
	if (n > CHARSET_MAX)
		n = CHARSET_MAX + 1;   /* too long: refused as unknown below */
	memcpy(w->charset, t + cs, n > CHARSET_MAX ? CHARSET_MAX : n);
	w->charset[n > CHARSET_MAX ? 0 : n] = '\0';
	w->enc = (char)(t[q + 1] & ~0x20);
	w->payload = t + q + 3;
	w->plen = e - (q + 3);
	w->end = e + 2;
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
b64val(char c)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(abc, c) : NULL;
	return p ? (int)(p - abc) : -1;
}

/* Q: '_' is a space, "=XX" a byte; any other '=' is an error. */
static bool
decode_q(const char *s, size_t n, struct outbuf *o)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '_') {
			c = ' ';
		} else if (c == '=') {
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return false;
			c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		}
		out_put(o, &c, 1);
	}
	return true;
}

/* B: strict alphabet; padding only at the end; missing padding tolerated
 * (the bits are still unambiguous), a lone sixth-bit group is not. */
static bool
decode_b(const char *s, size_t n, struct outbuf *o)
{
	unsigned acc = 0;
	int bits = 0;
	size_t data = n;

	while (data > 0 && s[data - 1] == '=')
		data--;
	if (n - data > 2 || (n - data > 0 && n % 4 != 0))
		return false;
	for (size_t i = 0; i < data; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			char c = (char)((acc >> (bits - 8)) & 0xff);
			bits -= 8;
			out_put(o, &c, 1);
		}
	}
	return data % 4 != 1;
}

/* Converts raw (in the word's charset) to UTF-8 onto o. */
static bool
convert(const char *charset, const char *raw, size_t n, struct outbuf *o)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	char chunk[256];
	char *in = (char *)raw;
	size_t left = n;
	bool ok = true;

	if (cd == (iconv_t)-1)
		return false;
	while (ok && left > 0) {
		char *w = chunk;
		size_t room = sizeof(chunk);
		size_t r = iconv(cd, &in, &left, &w, &room);
		out_put(o, chunk, (size_t)(w - chunk));
		ok = r != (size_t)-1 || errno == E2BIG;   /* EILSEQ, EINVAL: refused */
	}
	if (ok) {                   /* a stateful charset's closing shift */
		char *w = chunk;
		size_t room = sizeof(chunk);
		ok = iconv(cd, NULL, NULL, &w, &room) != (size_t)-1;
		out_put(o, chunk, (size_t)(w - chunk));
	}
	iconv_close(cd);
	return ok;
}

static bool
decode_word(const struct word *w, struct outbuf *o, const char **error)
{
	struct outbuf raw = { 0 };
	bool ok;
	size_t start = o->len;

	if (w->charset[0] == '\0')
		return *error = "encoded word without a charset", false;
	/* a charset name, not iconv's "//IGNORE" or any other suffix */
	if (strspn(w->charset, CHARSET_CHARS) < strlen(w->charset))
		return *error = "encoded word in an unknown charset or invalid in it", false;
	ok = w->enc == 'B' ? decode_b(w->payload, w->plen, &raw) :
	    decode_q(w->payload, w->plen, &raw);
	if (!ok) {
		free(raw.p);
		return *error = w->enc == 'B' ? "bad base64 in encoded word" :
		    "bad =XX escape in encoded word", false;
	}
	ok = convert(w->charset, raw.p ? raw.p : "", raw.len, o);
	free(raw.p);
	if (!ok)
		return *error = "encoded word in an unknown charset or invalid in it", false;
	for (size_t i = start; i < o->len; i++) {
		unsigned char c = (unsigned char)o->p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return *error = "control character in encoded word", false;
	}
	return true;
}

char *
encoded_word_decode(const char *text, size_t len, bool join, const char **error)
{
	struct outbuf o = { 0 };
	struct word w;
	size_t i = 0;

	out_put(&o, "", 0);
	while (i < len) {
		if (!word_at(text, len, i, &w)) {
			out_put(&o, text + i, 1);
			i++;
			continue;
		}
		if (!decode_word(&w, &o, error)) {
			free(o.p);
			return NULL;
		}
		i = w.end;
		size_t k = i;
		while (k < len && (text[k] == ' ' || text[k] == '\t'))
			k++;
		struct word next;
		if (join && k > i && word_at(text, len, k, &next))
			i = k;          /* RFC 2047 6.2: blanks between words vanish */
	}
	return o.p;
}

bool
encoded_word_present(const char *text, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++)
		if (text[i] == '=' && text[i + 1] == '?')
			return true;
	return false;
}

size_t
encoded_word_length(const char *text, size_t len)
{
	struct word w;

	return word_at(text, len, 0, &w) ? w.end : 0;
}

/*
 * header_display.c - what the reader of a From:/Sender: header sees.
 *
 * Owns the judging of display text - display names, group names and
 * comments - as a mail program shows it: raw, RFC 2047 encoded words
 * decoded (encoded_word.c, joined and apart), Unicode NFKC (text_fold.c),
 * with quotes and parentheses read as separators and as nothing; text
 * that reads as an address other than the mailbox's own, or that readers
 * may take apart differently, is refused. Called by header.c on the
 * tokens it made; never calls back into it. Pure: no I/O, allocates only
 * scratch text; thread-safe.
 */
#include <stdlib.h>
#include <string.h>

#include "encoded_word.h"
#include "header_display.h"
#include "text_fold.h"
#include "xalloc.h"

static int
fail(const char **error, const char *why)
{
	*error = why;
	return -1;
}

/* text as a mail program shows it: encoded words decoded, NFKC. */
static char *
reader_text(const char *text, size_t len, bool join, const char **error)
{
	char *decoded = encoded_word_decode(text, len, join, error), *folded;

	if (decoded == NULL)
		return NULL;
	folded = text_fold_nfkc(decoded, strlen(decoded), error);
	free(decoded);
	return folded;
}

/* Does one word read as an address other than the mailbox's own?  Outlook
 * writes "user@dom" <user@dom>, which is fine; "boss@acme.com"
 * <evil@evil.example> shows the reader a sender that is not the one
 * verified. A word that does not even parse as an address still poses as
 * one. */
static bool
word_mimics(const char *w, size_t n, const char *own)
{
	char text[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2], key[sizeof(text)];
	const char *at = n > 2 ? memchr(w + 1, '@', n - 2) : NULL;
	struct address a;

	if (at == NULL)
		return false;           /* no '@' with text on both sides */
	if (n >= sizeof(text))
		return true;            /* too long to be a name anyone reads */
	memcpy(text, w, n);
	text[n] = '\0';
	address_parse(text, &a);
	return !address_key(&a, '\0', key, sizeof(key)) || strcmp(key, own) != 0;
}

static bool
words_mimic(const char *s, const char *seps, const char *own)
{
	for (const char *w = s; *w;) {
		size_t n = strcspn(w, seps);
		if (n > 0 && word_mimics(w, n, own))
			return true;
		w += n > 0 ? n : 1;
	}
	return false;
}

static void
drop_chars(char *s, const char *drop)
{
	size_t o = 0;

	for (size_t i = 0; s[i]; i++)
		if (strchr(drop, s[i]) == NULL)
			s[o++] = s[i];
	s[o] = '\0';
}

/* Splits folded text into words and judges each ("John @ home" and
 * "Sales @acme" hold no address; "alice.smith@[10.0.0.1]" does). Double
 * quotes, then parentheses, are read both as separators and as nothing:
 * "ceo"@acme.com reads as ceo@acme.com, and getaddresses flattens the
 * nested comment "(ev(il)@b.c)" to "evil@b.c". Text decoded from encoded
 * words is read with the blanks around an '@' dropped too: Python's
 * parser, when it cannot make sense of the rest, parses such a decoded
 * name as an addr-spec, blanks as CFWS. */
static bool
text_mimics(char *s, const char *own, bool decoded)
{
	size_t o = 0;

	for (size_t i = 0; s[i]; i++) {
		bool blank = s[i] == ' ' || s[i] == '\t';
		if (decoded && blank && ((o > 0 && s[o - 1] == '@') ||
		    s[i + strspn(s + i, " \t")] == '@'))
			continue;
		s[o++] = s[i];
	}
	s[o] = '\0';
	if (words_mimic(s, " \t<>(),;:'\"", own))
		return true;
	drop_chars(s, "\"");
	if (words_mimic(s, " \t<>(),;:'", own))
		return true;
	drop_chars(s, "()");
	return words_mimic(s, " \t<>,;:'", own);
}

/* One reading of raw text: as it stands (way 0), or decoded with adjacent
 * encoded words joined (1) or apart (2). */
static int
judge_way(const char *text, size_t len, int way, const char *own, bool *mimics,
    const char **error)
{
	char *seen = way == 0 ? text_fold_nfkc(text, len, error) :
	    reader_text(text, len, way == 1, error);

	if (seen == NULL)
		return -1;
	*mimics = text_mimics(seen, own, way > 0);
	free(seen);
	return 0;
}

/* Judges raw display text as readers may show it: as it stands, and, when
 * it holds an encoded word, decoded with adjacent words joined and apart
 * (Python leaves a word it cannot make sense of undecoded) - each of them
 * also with the double quotes, then the parentheses, taken out first
 * (getaddresses flattens nested comments, then decodes what is left).
 * Returns -1 (*error set) if it cannot be read or reads as another
 * address any way. */
static int
judge_text(const char *text, size_t len, const char *own, const char *why,
    const char **error)
{
	static const char *const drops[] = { "", "\"", "\"()" };
	char *copy = xmalloc(len + 1);
	int rc = 0;

	for (size_t d = 0; rc == 0 && d < sizeof(drops) / sizeof(drops[0]); d++) {
		size_t n = 0;
		for (size_t i = 0; i < len; i++)
			if (text[i] == '\0' || strchr(drops[d], text[i]) == NULL)
				copy[n++] = text[i];
		copy[n] = '\0';
		int ways = encoded_word_present(copy, n) ? 3 : 1;
		for (int way = 0; rc == 0 && way < ways; way++) {
			bool mimics = false;
			rc = judge_way(copy, n, way, own, &mimics, error);
			if (rc == 0 && mimics)
				rc = fail(error, why);
		}
	}
	free(copy);
	return rc;
}

static void
own_key(const struct address *box, char *own, size_t len)
{
	if (box == NULL || !address_key(box, '\0', own, len))
		own[0] = '\0';
}

/* Encoded words a reader may take apart differently: an atom that holds
 * one with more around it ("=?..?=Doe", two glued together), or one with
 * a quoted-pair inside ("\"=?..?a\\x?=\"": Python decodes the text with the
 * backslash kept). Returns why, or NULL. */
static const char *
phrase_words_bad(const struct header_token *toks, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		const struct header_token *t = &toks[i];
		if (!encoded_word_present(t->text, t->len))
			continue;
		if (t->kind == HEADER_TOKEN_ATOM && encoded_word_length(t->text, t->len) != t->len)
			return "encoded word not set apart by blanks";
		if (t->kind == HEADER_TOKEN_QUOTED && t->escaped)
			return "quoted-pair in an encoded word";
	}
	return NULL;
}

/* RFC 2047 5(3): an encoded word in a phrase is a whole atom with blanks
 * on both sides. Python's parser misreads "=?..?=<a@b>", decoding the word
 * into an address it then parses: such a phrase may hold no '@' at all. */
static bool
phrase_glued(const struct header_token *toks, size_t ntoks, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		const struct header_token *t = &toks[i];
		if (t->kind != HEADER_TOKEN_ATOM || !encoded_word_present(t->text, t->len))
			continue;
		if ((i > a && !t->space_before) || (i + 1 < ntoks && !toks[i + 1].space_before))
			return true;
	}
	return false;
}

/* The phrase toks[a, b) as one text, blanks kept where the header had
 * them, with room for extra more bytes; *len is its length. */
static char *
phrase_text(const struct header_token *toks, size_t a, size_t b, size_t extra, size_t *len)
{
	size_t o = 0, cap = 1 + extra;
	char *text;

	for (size_t i = a; i < b; i++)
		cap += toks[i].len + 1;
	text = xmalloc(cap);
	for (size_t i = a; i < b; i++) {
		if (i > a && toks[i].space_before)
			text[o++] = ' ';
		memcpy(text + o, toks[i].text, toks[i].len);
		o += toks[i].len;
	}
	text[o] = '\0';
	*len = o;
	return text;
}

int
header_display_phrase(const struct header_token *toks, size_t ntoks, size_t a, size_t b,
    const struct address *box, const char *why, const char **error)
{
	char own[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2], *text;
	size_t o;
	int rc;

	const char *bad = phrase_words_bad(toks, a, b);

	if (bad != NULL)
		return fail(error, bad);
	own_key(box, own, sizeof(own));
	text = phrase_text(toks, a, b, 0, &o);
	rc = judge_text(text, o, own, why, error);
	if (rc == 0 && phrase_glued(toks, ntoks, a, b)) {
		char *seen = reader_text(text, o, true, error);
		if (seen == NULL || strchr(seen, '@') != NULL)
			rc = fail(error, seen == NULL ? *error :
			    "encoded word not set apart by blanks");
		free(seen);
	}
	free(text);
	return rc;
}

/* getaddresses shows a mailbox's name as its phrase and then all its
 * comments, "phrase (c1 c2)": an encoded word may open in one and close in
 * another, so that text is judged too. */
int
header_display_joined(const struct header_token *toks, const struct header_comment *comments,
    size_t ncomments, size_t a, size_t lt, size_t b, const struct address *box,
    const char **error)
{
	char own[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2], *text;
	size_t o, extra = 3, n = 0;
	int rc;

	for (size_t i = 0; i < ncomments; i++)
		if (comments[i].pos >= a && comments[i].pos <= b) {
			extra += comments[i].len + 1;
			n++;
		}
	if (n == 0)
		return 0;
	own_key(box, own, sizeof(own));
	text = phrase_text(toks, a, lt, extra, &o);
	text[o++] = ' ';
	text[o++] = '(';
	for (size_t i = 0; i < ncomments; i++) {
		const struct header_comment *c = &comments[i];
		if (c->pos < a || c->pos > b)
			continue;
		memcpy(text + o, c->text, c->len);
		o += c->len;
		text[o++] = --n > 0 ? ' ' : ')';
	}
	text[o] = '\0';
	rc = judge_text(text, o, own, "display name holds another address", error);
	free(text);
	return rc;
}

/* Comments placed within tokens [a, b] (before, inside or right after an
 * element) are read as its display name too: getaddresses shows
 * "x@y (Alice)" as Alice's. */
int
header_display_comments(struct header_comment *comments, size_t ncomments, size_t a, size_t b,
    const struct address *box, const char **error)
{
	char own[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2];

	own_key(box, own, sizeof(own));
	for (size_t i = 0; i < ncomments; i++) {
		struct header_comment *c = &comments[i];
		if (c->judged || c->pos < a || c->pos > b)
			continue;
		c->judged = true;
		if (c->escaped && encoded_word_present(c->text, c->len))
			return fail(error, "quoted-pair in an encoded word");
		if (judge_text(c->text, c->len, own, "comment holds another address", error) < 0)
			return -1;
	}
	return 0;
}

/*
 * header.c - RFC 5322 address-list parsing for From: and Sender:.
 *
 * Three passes over a bounded copy: unfold (CRLF/LF + WSP), tokenize (atoms,
 * quoted strings, domain literals, specials; comments kept aside with their
 * place, nested), then parse mailboxes and groups from the tokens. Each
 * addr-spec is rebuilt as text and handed to address_parse, so the header
 * and the envelope are normalised by one parser.
 *
 * Fail closed: a construct the parser does not fully understand is
 * malformed, never skipped - a verifier must never guess which address a
 * reader will see. And what the reader sees is what is judged: display
 * names, group names and comments are read as a mail program shows them
 * (RFC 2047 encoded words decoded, Unicode NFKC), and one that reads as an
 * address other than the mailbox's own makes the header malformed.
 */
#include <stdlib.h>
#include <string.h>

#include "encoded_word.h"
#include "header.h"
#include "text_fold.h"
#include "xalloc.h"

enum tok_kind { TOK_ATOM, TOK_QUOTED, TOK_LITERAL, TOK_SPECIAL };

struct token {
	enum tok_kind kind;
	char special;          /* TOK_SPECIAL */
	bool space_before;     /* blanks or a comment before it */
	bool escaped;          /* TOK_QUOTED: held a quoted-pair */
	const char *text;      /* into the unfolded copy; not NUL-terminated */
	size_t len;
};

struct comment {
	const char *text;      /* unescaped in place, outer parentheses dropped */
	size_t len;
	size_t pos;            /* tokens before it */
	bool judged;
	bool escaped;          /* held a quoted-pair */
};

struct parser {
	char *buf;             /* unfolded value; quoted/comment text edited in place */
	struct token *toks;
	size_t ntoks;
	struct comment *comments;
	size_t ncomments;
	struct mailbox_list *list;
	size_t groups;
	const char *error;
};

static const char *const SPECIALS = "<>@,;:.";

static int
fail(struct parser *p, const char *why)
{
	p->error = why;
	return -1;
}

static bool
is_atext(unsigned char c)
{
	return c >= 0x80 || (c > ' ' && c < 0x7f && strchr("()<>[]:;@\\,.\"", c) == NULL);
}

/* Drops CR/LF folding; refuses other control bytes. */
static char *
unfold(const char *value, const char **error)
{
	size_t len = strlen(value), o = 0;
	char *out;

	if (len > HEADER_VALUE_MAX) {
		*error = "header value too long";
		return NULL;
	}
	out = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c == '\r' || c == '\n')
			continue;
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			free(out);
			*error = "control character in header";
			return NULL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static void
push(struct parser *p, enum tok_kind kind, const char *text, size_t len, char special,
    bool *space)
{
	p->toks = xrealloc(p->toks, (p->ntoks + 1) * sizeof(*p->toks));
	p->toks[p->ntoks++] = (struct token){ kind, special, *space, false, text, len };
	*space = false;
}

/* Unescapes a comment starting at i in place and keeps it aside; returns
 * the index after it, or 0 if unterminated. */
static size_t
lex_comment(struct parser *p, size_t i)
{
	char *s = p->buf, *w = s + i + 1;
	int depth = 1;
	bool escaped = false;

	for (size_t j = i + 1; s[j]; j++) {
		if (s[j] == '\\' && s[j + 1]) {
			*w++ = s[++j];
			escaped = true;
			continue;
		}
		if (s[j] == '(')
			depth++;
		else if (s[j] == ')' && --depth == 0) {
			p->comments = xrealloc(p->comments, (p->ncomments + 1) * sizeof(*p->comments));
			p->comments[p->ncomments++] = (struct comment){ s + i + 1,
			    (size_t)(w - (s + i + 1)), p->ntoks, false, escaped };
			return j + 1;
		}
		*w++ = s[j];
	}
	return 0;
}

/* Unescapes a quoted string in place; returns the index after it or 0. */
static size_t
lex_quoted(struct parser *p, size_t i, bool *space)
{
	char *s = p->buf, *w = s + i + 1;
	size_t j = i + 1;
	bool escaped = false;

	for (; s[j] && s[j] != '"'; j++) {
		if (s[j] == '\\' && s[j + 1]) {
			j++;
			escaped = true;
		}
		*w++ = s[j];
	}
	if (s[j] != '"')
		return 0;
	push(p, TOK_QUOTED, s + i + 1, (size_t)(w - (s + i + 1)), 0, space);
	p->toks[p->ntoks - 1].escaped = escaped;
	return j + 1;
}

static int
tokenize(struct parser *p)
{
	const char *s = p->buf;
	size_t i = 0, n, total = strlen(s);
	bool space = false;

	while (s[i]) {
		unsigned char c = (unsigned char)s[i];
		size_t start = i;
		if (c == ' ' || c == '\t') {
			i++;
			space = true;
		} else if (c == '(') {
			if ((i = lex_comment(p, i)) == 0)
				return fail(p, "unterminated comment");
			space = true;
		} else if (c == '"') {
			if ((i = lex_quoted(p, i, &space)) == 0)
				return fail(p, "unterminated quoted string");
		} else if (c == '[') {
			const char *end = strchr(s + i, ']');
			if (end == NULL)
				return fail(p, "unterminated domain literal");
			i = (size_t)(end - s) + 1;
			push(p, TOK_LITERAL, s + start, i - start, 0, &space);
		} else if ((n = encoded_word_length(s + i, total - i)) > 0 &&
		    strcspn(s + i, " \t") >= n) {
			/* one atom, though it may hold specials ('.', '@'): readers
			 * decode it whole */
			i += n;
			while (s[i] && is_atext((unsigned char)s[i]))
				i++;
			push(p, TOK_ATOM, s + start, i - start, 0, &space);
		} else if (strchr(SPECIALS, c) != NULL) {
			push(p, TOK_SPECIAL, s + i, 1, (char)c, &space);
			i++;
		} else if (is_atext(c)) {
			while (s[i] && is_atext((unsigned char)s[i]))
				i++;
			push(p, TOK_ATOM, s + start, i - start, 0, &space);
		} else {
			return fail(p, "unexpected character in header");
		}
	}
	return 0;
}

static bool
is_special(const struct token *t, char c)
{
	return t->kind == TOK_SPECIAL && t->special == c;
}

static bool
is_word(const struct token *t)
{
	return t->kind == TOK_ATOM || t->kind == TOK_QUOTED;
}

/* ---- what the reader sees ---- */

/* text as a mail program shows it: encoded words decoded, NFKC. */
static char *
reader_text(struct parser *p, const char *text, size_t len, bool join)
{
	char *decoded = encoded_word_decode(text, len, join, &p->error), *folded;

	if (decoded == NULL)
		return NULL;
	folded = text_fold_nfkc(decoded, strlen(decoded), &p->error);
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
judge_way(struct parser *p, const char *text, size_t len, int way, const char *own,
    bool *mimics)
{
	char *seen = way == 0 ? text_fold_nfkc(text, len, &p->error) :
	    reader_text(p, text, len, way == 1);

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
 * Returns -1 (p->error set) if it cannot be read or reads as another
 * address any way. */
static int
judge_text(struct parser *p, const char *text, size_t len, const char *own, const char *why)
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
			rc = judge_way(p, copy, n, way, own, &mimics);
			if (rc == 0 && mimics)
				rc = fail(p, why);
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
phrase_words_bad(const struct parser *p, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		const struct token *t = &p->toks[i];
		if (!encoded_word_present(t->text, t->len))
			continue;
		if (t->kind == TOK_ATOM && encoded_word_length(t->text, t->len) != t->len)
			return "encoded word not set apart by blanks";
		if (t->kind == TOK_QUOTED && t->escaped)
			return "quoted-pair in an encoded word";
	}
	return NULL;
}

/* RFC 2047 5(3): an encoded word in a phrase is a whole atom with blanks
 * on both sides. Python's parser misreads "=?..?=<a@b>", decoding the word
 * into an address it then parses: such a phrase may hold no '@' at all. */
static bool
phrase_glued(const struct parser *p, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		const struct token *t = &p->toks[i];
		if (t->kind != TOK_ATOM || !encoded_word_present(t->text, t->len))
			continue;
		if ((i > a && !t->space_before) || (i + 1 < p->ntoks && !p->toks[i + 1].space_before))
			return true;
	}
	return false;
}

/* The phrase toks[a, b) as one text, blanks kept where the header had
 * them, with room for extra more bytes; *len is its length. */
static char *
phrase_text(const struct parser *p, size_t a, size_t b, size_t extra, size_t *len)
{
	size_t o = 0, cap = 1 + extra;
	char *text;

	for (size_t i = a; i < b; i++)
		cap += p->toks[i].len + 1;
	text = xmalloc(cap);
	for (size_t i = a; i < b; i++) {
		if (i > a && p->toks[i].space_before)
			text[o++] = ' ';
		memcpy(text + o, p->toks[i].text, p->toks[i].len);
		o += p->toks[i].len;
	}
	text[o] = '\0';
	*len = o;
	return text;
}

static int
judge_phrase(struct parser *p, size_t a, size_t b, const struct address *box, const char *why)
{
	char own[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2], *text;
	size_t o;
	int rc;

	const char *bad = phrase_words_bad(p, a, b);

	if (bad != NULL)
		return fail(p, bad);
	own_key(box, own, sizeof(own));
	text = phrase_text(p, a, b, 0, &o);
	rc = judge_text(p, text, o, own, why);
	if (rc == 0 && phrase_glued(p, a, b)) {
		char *seen = reader_text(p, text, o, true);
		if (seen == NULL || strchr(seen, '@') != NULL)
			rc = fail(p, seen == NULL ? p->error : "encoded word not set apart by blanks");
		free(seen);
	}
	free(text);
	return rc;
}

/* getaddresses shows a mailbox's name as its phrase and then all its
 * comments, "phrase (c1 c2)": an encoded word may open in one and close in
 * another, so that text is judged too. */
static int
judge_joined(struct parser *p, size_t a, size_t lt, size_t b, const struct address *box)
{
	char own[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2], *text;
	size_t o, extra = 3, n = 0;
	int rc;

	for (size_t i = 0; i < p->ncomments; i++)
		if (p->comments[i].pos >= a && p->comments[i].pos <= b) {
			extra += p->comments[i].len + 1;
			n++;
		}
	if (n == 0)
		return 0;
	own_key(box, own, sizeof(own));
	text = phrase_text(p, a, lt, extra, &o);
	text[o++] = ' ';
	text[o++] = '(';
	for (size_t i = 0; i < p->ncomments; i++) {
		const struct comment *c = &p->comments[i];
		if (c->pos < a || c->pos > b)
			continue;
		memcpy(text + o, c->text, c->len);
		o += c->len;
		text[o++] = --n > 0 ? ' ' : ')';
	}
	text[o] = '\0';
	rc = judge_text(p, text, o, own, "display name holds another address");
	free(text);
	return rc;
}

/* Comments placed within tokens [a, b] (before, inside or right after an
 * element) are read as its display name too: getaddresses shows
 * "x@y (Alice)" as Alice's. */
static int
judge_comments(struct parser *p, size_t a, size_t b, const struct address *box)
{
	char own[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2];

	own_key(box, own, sizeof(own));
	for (size_t i = 0; i < p->ncomments; i++) {
		struct comment *c = &p->comments[i];
		if (c->judged || c->pos < a || c->pos > b)
			continue;
		c->judged = true;
		if (c->escaped && encoded_word_present(c->text, c->len))
			return fail(p, "quoted-pair in an encoded word");
		if (judge_text(p, c->text, c->len, own, "comment holds another address") < 0)
			return -1;
	}
	return 0;
}

/* ---- the grammar ---- */

/* Appends a token's text to an addr-spec being rebuilt; quoted strings are
 * re-quoted so that address_parse sees the same local part. */
static bool
append(char *out, size_t *o, size_t cap, const struct token *t)
{
	size_t need = t->len * 2 + 3;

	if (*o + need >= cap)
		return false;
	if (t->kind != TOK_QUOTED) {
		memcpy(out + *o, t->text, t->len);
		*o += t->len;
		return true;
	}
	out[(*o)++] = '"';
	for (size_t i = 0; i < t->len; i++) {
		if (t->text[i] == '"' || t->text[i] == '\\')
			out[(*o)++] = '\\';
		out[(*o)++] = t->text[i];
	}
	out[(*o)++] = '"';
	return true;
}

/* May toks[i] stand at this place of an addr-spec whose '@' is at? Local
 * part: words and dots; domain: atoms and dots, or one literal alone; no
 * two words side by side ("john doe@x" is not "johndoe@x"). */
static bool
addr_token_ok(const struct token *toks, size_t a, size_t at, size_t b, size_t i)
{
	const struct token *t = &toks[i];

	if (i == at)
		return true;
	if (encoded_word_present(t->text, t->len))
		return false;           /* Python decodes it: the reader sees another address */
	if (i > a && is_word(t) && is_word(&toks[i - 1]))
		return false;
	if (i < at)
		return is_word(t) || is_special(t, '.');
	if (t->kind == TOK_LITERAL)
		return i == at + 1 && b == at + 2;
	return t->kind == TOK_ATOM || is_special(t, '.');
}

/* Parses toks[a, b) as one addr-spec: word *("." word) "@" domain. */
static int
parse_addr_spec(struct parser *p, size_t a, size_t b, struct address *out)
{
	char text[ADDRESS_TEXT_MAX + 1];
	size_t o = 0, at = b;

	for (size_t i = a; i < b; i++)
		if (is_special(&p->toks[i], '@'))
			at = at == b ? i : at;
	if (at == b || at == a || at + 1 == b)
		return fail(p, "mailbox without local part or domain");
	for (size_t i = a; i < b; i++)
		if (!addr_token_ok(p->toks, a, at, b, i) || !append(text, &o, sizeof(text),
		    &p->toks[i]))
			return fail(p, "malformed mailbox");
	text[o] = '\0';
	address_parse(text, out);
	if (out->kind != ADDRESS_OK || out->domain[0] == '\0')
		return fail(p, "malformed mailbox");
	return 0;
}

static bool
is_phrase(const struct token *toks, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (!is_word(&toks[i]) && !is_special(&toks[i], '.'))
			return false;
	return true;
}

/* A route hop's domain: LDH labels separated by dots, nothing else. */
static bool
route_domain(const struct token *toks, size_t *i, size_t end)
{
	bool label = true;

	for (; *i < end; (*i)++, label = !label) {
		const struct token *t = &toks[*i];
		if (!label && !is_special(t, '.'))
			return true;
		if (label && (t->kind != TOK_ATOM || strspn(t->text,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") < t->len))
			return false;
	}
	return !label;
}

/* obs-route = obs-domain-list ":", obs-domain-list = "@" domain
 * *("," *"," ["@" domain]). Anything else in it - an address, a second
 * '<', a quoted string, a literal, an '@' without a domain - is malformed:
 * the reader's parser may see a mailbox there. Returns the index after
 * the ':' in *after. */
static int
parse_route(struct parser *p, size_t i, size_t end, size_t *after)
{
	for (;;) {
		bool comma = false;
		if (i >= end || !is_special(&p->toks[i], '@'))
			return fail(p, "malformed route");
		i++;
		if (!route_domain(p->toks, &i, end))
			return fail(p, "malformed route");
		for (; i < end && is_special(&p->toks[i], ','); i++)
			comma = true;
		if (i < end && is_special(&p->toks[i], ':')) {
			*after = i + 1;
			return 0;
		}
		if (!comma)
			return fail(p, "malformed route");
	}
}

/* name-addr: [phrase] "<" [obs-route] addr-spec ">". */
static int
parse_angle(struct parser *p, size_t a, size_t lt, size_t b, struct address *out)
{
	size_t start = lt + 1;

	if (!is_phrase(p->toks, a, lt))
		return fail(p, "display name holds an address or special character");
	if (b - 1 <= lt || !is_special(&p->toks[b - 1], '>'))
		return fail(p, "unbalanced angle brackets");
	for (size_t i = start; i < b - 1; i++)
		if (is_special(&p->toks[i], '<') || is_special(&p->toks[i], '>'))
			return fail(p, "unbalanced angle brackets");
	if (start < b - 1 && is_special(&p->toks[start], '@') &&
	    parse_route(p, start, b - 1, &start) < 0)
		return -1;
	if (parse_addr_spec(p, start, b - 1, out) < 0)
		return -1;
	return judge_phrase(p, a, lt, out, "display name holds another address");
}

static int
add_mailbox(struct parser *p, size_t a, size_t b)
{
	size_t lt = a;
	struct address box;

	if (a == b)
		return 0;               /* obs-addr-list allows empty elements */
	while (lt < b && !is_special(&p->toks[lt], '<'))
		lt++;
	int rc = lt < b ? parse_angle(p, a, lt, b, &box) : parse_addr_spec(p, a, b, &box);
	if (rc < 0 || judge_comments(p, a, b, &box) < 0 ||
	    judge_joined(p, a, lt < b ? lt : a, b, &box) < 0)
		return -1;
	if (p->list->count == HEADER_MAILBOXES_MAX)
		return fail(p, "too many mailboxes");
	p->list->boxes = xrealloc(p->list->boxes, (p->list->count + 1) * sizeof(*p->list->boxes));
	p->list->boxes[p->list->count++] = box;
	return 0;
}

/* End of the element starting at i: the next ',' (or ';' inside a group)
 * outside angle brackets. */
static size_t
element_end(const struct token *toks, size_t i, size_t n, bool in_group)
{
	bool angle = false;

	for (; i < n; i++) {
		const struct token *t = &toks[i];
		if (is_special(t, '<'))
			angle = true;
		else if (is_special(t, '>'))
			angle = false;
		else if (!angle && (is_special(t, ',') || (in_group && is_special(t, ';'))))
			break;
	}
	return i;
}

/* A group "phrase: [mailbox-list] ;" starting at i; returns the index after it. */
static int
parse_group(struct parser *p, size_t i, size_t colon, size_t *next)
{
	if (!is_phrase(p->toks, i, colon) || i == colon)
		return fail(p, "malformed group name");
	if (judge_phrase(p, i, colon, NULL, "group name holds an address") < 0 ||
	    judge_comments(p, i, colon, NULL) < 0)
		return -1;
	for (i = colon + 1;;) {
		size_t end = element_end(p->toks, i, p->ntoks, true);
		if (end == p->ntoks)
			return fail(p, "group without closing ';'");
		if (add_mailbox(p, i, end) < 0)
			return -1;
		i = end + 1;
		if (is_special(&p->toks[end], ';'))
			break;
	}
	*next = i;
	return 0;
}

/* Does the element at i open a group (a ':' before any '<', '@' or ',')? */
static size_t
group_colon(const struct token *toks, size_t i, size_t n)
{
	for (; i < n; i++) {
		const struct token *t = &toks[i];
		if (is_special(t, ':'))
			return i;
		if (is_special(t, '<') || is_special(t, '@') || is_special(t, ','))
			return n;
	}
	return n;
}

static int
parse_list(struct parser *p)
{
	size_t i = 0, n = p->ntoks;

	while (i < n) {
		size_t colon = group_colon(p->toks, i, n), end;
		if (colon < n) {
			if (parse_group(p, i, colon, &i) < 0)
				return -1;
			p->groups++;
		} else {
			end = element_end(p->toks, i, n, false);
			if (add_mailbox(p, i, end) < 0)
				return -1;
			i = end;
		}
		if (i < n && !is_special(&p->toks[i], ','))
			return fail(p, "text after a mailbox");
		i += i < n;
	}
	/* comments outside every element belong to no mailbox */
	return judge_comments(p, 0, n, NULL);
}

int
header_parse_mailboxes(const char *value, struct mailbox_list *out, const char **error)
{
	struct parser p = { .list = out };
	int rc = -1;

	*out = (struct mailbox_list){ 0, NULL };
	p.buf = unfold(value, &p.error);
	if (p.buf != NULL && tokenize(&p) == 0 && parse_list(&p) == 0) {
		rc = 0;
		if (out->count == 0 && p.groups == 0)
			rc = fail(&p, "empty address list");
	}
	*error = p.error;
	free(p.buf);
	free(p.toks);
	free(p.comments);
	if (rc < 0)
		header_mailboxes_free(out);
	return rc;
}

void
header_mailboxes_free(struct mailbox_list *list)
{
	free(list->boxes);
	list->boxes = NULL;
	list->count = 0;
}

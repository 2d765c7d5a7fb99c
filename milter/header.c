/*
 * header.c - RFC 5322 address-list parsing for From: and Sender:.
 *
 * Three passes over a bounded copy: unfold (CRLF/LF + WSP), tokenize (atoms,
 * quoted strings, domain literals, specials; comments dropped, nested), then
 * parse mailboxes and groups from the tokens. Each addr-spec is rebuilt as
 * text and handed to address_parse, so the header and the envelope are
 * normalised by one parser. Anything ambiguous is malformed: a verifier
 * must never guess which address a reader will see.
 */
#include <stdlib.h>
#include <string.h>

#include "header.h"
#include "xalloc.h"

enum tok_kind { TOK_ATOM, TOK_QUOTED, TOK_LITERAL, TOK_SPECIAL };

struct token {
	enum tok_kind kind;
	char special;          /* TOK_SPECIAL */
	const char *text;      /* into the unfolded copy; not NUL-terminated */
	size_t len;
};

struct lexer {
	char *buf;             /* unfolded value; quoted/comment text edited in place */
	struct token *toks;
	size_t ntoks;
};

static const char *const SPECIALS = "<>@,;:.";

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
push(struct lexer *lx, enum tok_kind kind, const char *text, size_t len, char special)
{
	lx->toks = xrealloc(lx->toks, (lx->ntoks + 1) * sizeof(*lx->toks));
	lx->toks[lx->ntoks++] = (struct token){ kind, special, text, len };
}

/* Returns the index after a comment starting at i, or 0 if unterminated. */
static size_t
skip_comment(const char *s, size_t i)
{
	int depth = 0;

	for (; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1])
			i++;
		else if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i + 1;
	}
	return 0;
}

/* Unescapes a quoted string in place; returns the index after it or 0. */
static size_t
lex_quoted(struct lexer *lx, size_t i)
{
	char *s = lx->buf, *w = s + i + 1;
	size_t j = i + 1;

	for (; s[j] && s[j] != '"'; j++) {
		if (s[j] == '\\' && s[j + 1])
			j++;
		*w++ = s[j];
	}
	if (s[j] != '"')
		return 0;
	push(lx, TOK_QUOTED, s + i + 1, (size_t)(w - (s + i + 1)), 0);
	return j + 1;
}

static int
tokenize(struct lexer *lx, const char **error)
{
	const char *s = lx->buf;
	size_t i = 0;

	while (s[i]) {
		unsigned char c = (unsigned char)s[i];
		size_t start = i;
		if (c == ' ' || c == '\t') {
			i++;
		} else if (c == '(') {
			if ((i = skip_comment(s, i)) == 0)
				return *error = "unterminated comment", -1;
		} else if (c == '"') {
			if ((i = lex_quoted(lx, i)) == 0)
				return *error = "unterminated quoted string", -1;
		} else if (c == '[') {
			const char *end = strchr(s + i, ']');
			if (end == NULL)
				return *error = "unterminated domain literal", -1;
			i = (size_t)(end - s) + 1;
			push(lx, TOK_LITERAL, s + start, i - start, 0);
		} else if (strchr(SPECIALS, c) != NULL) {
			push(lx, TOK_SPECIAL, s + i, 1, (char)c);
			i++;
		} else if (is_atext(c)) {
			while (s[i] && is_atext((unsigned char)s[i]))
				i++;
			push(lx, TOK_ATOM, s + start, i - start, 0);
		} else {
			return *error = "unexpected character in header", -1;
		}
	}
	return 0;
}

static bool
is_special(const struct token *t, char c)
{
	return t->kind == TOK_SPECIAL && t->special == c;
}

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

/* Parses toks[a, b) as one addr-spec: word *("." word) "@" domain. */
static int
parse_addr_spec(const struct token *toks, size_t a, size_t b, struct address *out,
    const char **error)
{
	char text[ADDRESS_TEXT_MAX + 1];
	size_t o = 0, at = b;

	for (size_t i = a; i < b; i++)
		if (is_special(&toks[i], '@'))
			at = at == b ? i : at;
	if (at == b || at == a || at + 1 == b)
		return *error = "mailbox without local part or domain", -1;
	for (size_t i = a; i < b; i++) {
		const struct token *t = &toks[i];
		bool ok = t->kind != TOK_SPECIAL || t->special == '.' || i == at;
		if (!ok || (t->kind == TOK_LITERAL && i != at + 1) || !append(text, &o,
		    sizeof(text), t))
			return *error = "malformed mailbox", -1;
	}
	text[o] = '\0';
	address_parse(text, out);
	if (out->kind != ADDRESS_OK || out->domain[0] == '\0')
		return *error = "malformed mailbox", -1;
	return 0;
}

static bool
is_phrase(const struct token *toks, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (toks[i].kind == TOK_LITERAL ||
		    (toks[i].kind == TOK_SPECIAL && toks[i].special != '.'))
			return false;
	return true;
}

/* Does one word of a quoted display name read as an address other than
 * the mailbox's own?  Outlook writes "user@dom" <user@dom>, which is fine;
 * "boss@acme.com" <evil@evil.example> shows the reader a sender that is
 * not the one verified. */
static bool
word_mimics(const char *w, size_t n, const char *own)
{
	char text[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2], key[sizeof(text)];
	const char *at = memchr(w, '@', n);
	struct address a;

	if (at == NULL || at == w || at == w + n - 1)
		return false;
	if (n >= sizeof(text))
		return true;            /* too long to be a name anyone reads */
	memcpy(text, w, n);
	text[n] = '\0';
	address_parse(text, &a);
	return !address_key(&a, '\0', key, sizeof(key)) || strcmp(key, own) != 0;
}

static bool
phrase_mimics(const struct token *toks, size_t a, size_t b, const struct address *box)
{
	static const char seps[] = " \t<>()[],;:'\"";
	char own[ADDRESS_LOCAL_MAX + ADDRESS_DOMAIN_MAX + 2];

	if (box == NULL || !address_key(box, '\0', own, sizeof(own)))
		own[0] = '\0';
	for (size_t i = a; i < b; i++) {
		const char *s = toks[i].text, *end = s + toks[i].len;
		if (toks[i].kind != TOK_QUOTED)
			continue;
		while (s < end) {
			size_t n = 0;
			while (s + n < end && strchr(seps, s[n]) == NULL)
				n++;
			if (n > 0 && word_mimics(s, n, own))
				return true;
			s += n > 0 ? n : 1;
		}
	}
	return false;
}

/* name-addr: [phrase] "<" [obs-route] addr-spec ">". */
static int
parse_angle(const struct token *toks, size_t a, size_t lt, size_t b, struct address *out,
    const char **error)
{
	size_t start = lt + 1;

	if (!is_phrase(toks, a, lt))
		return *error = "display name holds an address or special character", -1;
	if (b - 1 <= lt || !is_special(&toks[b - 1], '>'))
		return *error = "unbalanced angle brackets", -1;
	if (start < b - 1 && is_special(&toks[start], '@')) {
		while (start < b - 1 && !is_special(&toks[start], ':'))
			start++;
		start++;                /* obsolete route: ignored, like every reader */
	}
	for (size_t i = start; i < b - 1; i++)
		if (is_special(&toks[i], '<') || is_special(&toks[i], '>'))
			return *error = "unbalanced angle brackets", -1;
	if (parse_addr_spec(toks, start, b - 1, out, error) < 0)
		return -1;
	if (phrase_mimics(toks, a, lt, out))
		return *error = "display name holds another address", -1;
	return 0;
}

static int
add_mailbox(const struct token *toks, size_t a, size_t b, struct mailbox_list *list,
    const char **error)
{
	size_t lt = a;
	struct address box;

	if (a == b)
		return 0;               /* obs-addr-list allows empty elements */
	while (lt < b && !is_special(&toks[lt], '<'))
		lt++;
	int rc = lt < b ? parse_angle(toks, a, lt, b, &box, error) :
	    parse_addr_spec(toks, a, b, &box, error);
	if (rc < 0)
		return -1;
	if (list->count == HEADER_MAILBOXES_MAX)
		return *error = "too many mailboxes", -1;
	list->boxes = xrealloc(list->boxes, (list->count + 1) * sizeof(*list->boxes));
	list->boxes[list->count++] = box;
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
parse_group(const struct token *toks, size_t i, size_t colon, size_t n,
    struct mailbox_list *list, size_t *next, const char **error)
{
	if (!is_phrase(toks, i, colon) || i == colon)
		return *error = "malformed group name", -1;
	if (phrase_mimics(toks, i, colon, NULL))
		return *error = "group name holds an address", -1;
	for (i = colon + 1;;) {
		size_t end = element_end(toks, i, n, true);
		if (end == n)
			return *error = "group without closing ';'", -1;
		if (add_mailbox(toks, i, end, list, error) < 0)
			return -1;
		i = end + 1;
		if (is_special(&toks[end], ';'))
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
parse_list(const struct token *toks, size_t n, struct mailbox_list *list, size_t *groups,
    const char **error)
{
	size_t i = 0;

	while (i < n) {
		size_t colon = group_colon(toks, i, n), end;
		if (colon < n) {
			if (parse_group(toks, i, colon, n, list, &i, error) < 0)
				return -1;
			(*groups)++;
		} else {
			end = element_end(toks, i, n, false);
			if (add_mailbox(toks, i, end, list, error) < 0)
				return -1;
			i = end;
		}
		if (i < n && !is_special(&toks[i], ','))
			return *error = "text after a mailbox", -1;
		i += i < n;
	}
	return 0;
}

int
header_parse_mailboxes(const char *value, struct mailbox_list *out, const char **error)
{
	struct lexer lx = { 0 };
	size_t groups = 0;
	int rc = -1;

	*out = (struct mailbox_list){ 0, NULL };
	lx.buf = unfold(value, error);
	if (lx.buf != NULL && tokenize(&lx, error) == 0 &&
	    parse_list(lx.toks, lx.ntoks, out, &groups, error) == 0) {
		rc = 0;
		if (out->count == 0 && groups == 0) {
			*error = "empty address list";
			rc = -1;
		}
	}
	free(lx.buf);
	free(lx.toks);
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

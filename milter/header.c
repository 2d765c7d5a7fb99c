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
 * reader will see. And what the reader sees is what is judged, by
 * header_display.c on the tokens made here: display names, group names
 * and comments are read as a mail program shows them (RFC 2047 encoded
 * words decoded, Unicode NFKC), and one that reads as an address other
 * than the mailbox's own makes the header malformed.
 */
#include <stdlib.h>
#include <string.h>

#include "encoded_word.h"
#include "header.h"
#include "header_display.h"
#include "xalloc.h"

struct parser {
	char *buf;             /* unfolded value; quoted/comment text edited in place */
	struct header_token *toks;
	size_t ntoks;
	struct header_comment *comments;
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
push(struct parser *p, enum header_token_kind kind, const char *text, size_t len, char special,
    bool *space)
{
	p->toks = xrealloc(p->toks, (p->ntoks + 1) * sizeof(*p->toks));
	p->toks[p->ntoks++] = (struct header_token){ kind, special, *space, false, text, len };
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
			p->comments[p->ncomments++] = (struct header_comment){ s + i + 1,
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
	push(p, HEADER_TOKEN_QUOTED, s + i + 1, (size_t)(w - (s + i + 1)), 0, space);
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
			push(p, HEADER_TOKEN_LITERAL, s + start, i - start, 0, &space);
		} else if ((n = encoded_word_length(s + i, total - i)) > 0 &&
		    strcspn(s + i, " \t") >= n) {
			/* one atom, though it may hold specials ('.', '@'): readers
			 * decode it whole */
			i += n;
			while (s[i] && is_atext((unsigned char)s[i]))
				i++;
			push(p, HEADER_TOKEN_ATOM, s + start, i - start, 0, &space);
		} else if (strchr(SPECIALS, c) != NULL) {
			push(p, HEADER_TOKEN_SPECIAL, s + i, 1, (char)c, &space);
			i++;
		} else if (is_atext(c)) {
			while (s[i] && is_atext((unsigned char)s[i]))
				i++;
			push(p, HEADER_TOKEN_ATOM, s + start, i - start, 0, &space);
		} else {
			return fail(p, "unexpected character in header");
		}
	}
	return 0;
}

static bool
is_special(const struct header_token *t, char c)
{
	return t->kind == HEADER_TOKEN_SPECIAL && t->special == c;
}

static bool
is_word(const struct header_token *t)
{
	return t->kind == HEADER_TOKEN_ATOM || t->kind == HEADER_TOKEN_QUOTED;
}

/* ---- what the reader sees: header_display.c judges it ---- */

static int
judge_phrase(struct parser *p, size_t a, size_t b, const struct address *box, const char *why)
{
	return header_display_phrase(p->toks, p->ntoks, a, b, box, why, &p->error);
}

static int
judge_joined(struct parser *p, size_t a, size_t lt, size_t b, const struct address *box)
{
	return header_display_joined(p->toks, p->comments, p->ncomments, a, lt, b, box, &p->error);
}

static int
judge_comments(struct parser *p, size_t a, size_t b, const struct address *box)
{
	return header_display_comments(p->comments, p->ncomments, a, b, box, &p->error);
}

/* ---- the grammar ---- */

/* Appends a token's text to an addr-spec being rebuilt; quoted strings are
 * re-quoted so that address_parse sees the same local part. */
static bool
append(char *out, size_t *o, size_t cap, const struct header_token *t)
{
	size_t need = t->len * 2 + 3;

	if (*o + need >= cap)
		return false;
	if (t->kind != HEADER_TOKEN_QUOTED) {
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
addr_token_ok(const struct header_token *toks, size_t a, size_t at, size_t b, size_t i)
{
	const struct header_token *t = &toks[i];

	if (i == at)
		return true;
	if (encoded_word_present(t->text, t->len))
		return false;           /* Python decodes it: the reader sees another address */
	if (i > a && is_word(t) && is_word(&toks[i - 1]))
		return false;
	if (i < at)
		return is_word(t) || is_special(t, '.');
	if (t->kind == HEADER_TOKEN_LITERAL)
		return i == at + 1 && b == at + 2;
	return t->kind == HEADER_TOKEN_ATOM || is_special(t, '.');
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
is_phrase(const struct header_token *toks, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (!is_word(&toks[i]) && !is_special(&toks[i], '.'))
			return false;
	return true;
}

/* A route hop's domain: LDH labels separated by dots, nothing else. */
static bool
route_domain(const struct header_token *toks, size_t *i, size_t end)
{
	bool label = true;

	for (; *i < end; (*i)++, label = !label) {
		const struct header_token *t = &toks[*i];
		if (!label && !is_special(t, '.'))
			return true;
		if (label && (t->kind != HEADER_TOKEN_ATOM || strspn(t->text,
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
element_end(const struct header_token *toks, size_t i, size_t n, bool in_group)
{
	bool angle = false;

	for (; i < n; i++) {
		const struct header_token *t = &toks[i];
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
group_colon(const struct header_token *toks, size_t i, size_t n)
{
	for (; i < n; i++) {
		const struct header_token *t = &toks[i];
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

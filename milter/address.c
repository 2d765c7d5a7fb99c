/*
 * address.c - RFC 5321 path parsing, normalisation and hidden-route finding.
 *
 * Owns nothing: every function works on caller buffers (an international
 * domain costs libidn2 a transient allocation, freed at once), never reads past the input's NUL (or ADDRESS_TEXT_MAX + 1 bytes of it) and
 * never writes past a buffer; anything too long is refused, not truncated.
 * Pure and thread-safe; callable from any libmilter worker and from explain.
 *
 * The input is attacker-controlled, so the parser fails closed: whatever it
 * cannot read unambiguously is ADDRESS_INVALID with a static reason. Where
 * RFC 5321 and real mail disagree it follows the MTAs (dots in local parts,
 * '_' in domains, UTF-8 bytes), but never where that could hide a route.
 */
#include <string.h>
#include <strings.h>

#include "address.h"
#include "idn.h"

#define ATEXT_SPECIALS "!#$%&'*+-/=?^_`{|}~"

static bool
ascii_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char
ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Bytes >= 0x80 are SMTPUTF8 text: kept, never interpreted. */
static bool
is_atext(unsigned char c)
{
	return c >= 0x80 || ascii_alnum(c) || (c != '\0' && strchr(ATEXT_SPECIALS, c) != NULL);
}

static bool
is_label_char(unsigned char c)
{
	return c >= 0x80 || ascii_alnum(c) || c == '-' || c == '_';
}

static void
fail(struct address *out, const char *why)
{
	out->kind = ADDRESS_INVALID;
	out->quoted = false;
	out->local[0] = out->domain[0] = out->route_domain[0] = '\0';
	out->route = ROUTE_NONE;
	out->error = why;
}

static bool
needs_idn(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || ((i == 0 || s[i - 1] == '.') && n - i >= 4 &&
		    strncasecmp(s + i, "xn--", 4) == 0))
			return true;
	return false;
}

/* Lower-cases s[0..n) into dst (ADDRESS_DOMAIN_MAX + 1 bytes) without one
 * trailing dot; used for hidden destinations, which are judged, not trusted.
 * An international one is judged in A-label form like any domain. */
static const char *
route_copy(const char *s, size_t n, char *dst)
{
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n > ADDRESS_DOMAIN_MAX)
		return "route domain too long";
	if (n > 0 && needs_idn(s, n))
		return idn_domain_to_ascii(s, n, dst, ADDRESS_DOMAIN_MAX + 1);
	for (size_t i = 0; i < n; i++)
		dst[i] = ascii_lower(s[i]);
	dst[n] = '\0';
	return NULL;
}

static const char *
check_literal(const char *s, size_t n)
{
	if (n < 3 || s[n - 1] != ']')
		return "invalid address literal";
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '[' || c == ']' || c == '\\')
			return "invalid address literal";
	}
	return NULL;
}

static const char *
check_labels(const char *s, size_t n)
{
	bool label_empty = true;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label_empty)
				return "empty domain label";
			label_empty = true;
		} else if (is_label_char((unsigned char)s[i])) {
			label_empty = false;
		} else {
			return "invalid character in domain";
		}
	}
	return label_empty ? "empty domain label" : NULL;
}

/* Validates and normalises a domain or address literal s[0..n) into dst. */
static const char *
domain_copy(const char *s, size_t n, char *dst)
{
	const char *err;

	if (n > 0 && s[0] != '[' && s[n - 1] == '.')
		n--;
	if (n == 0)
		return "empty domain";
	if (n > ADDRESS_DOMAIN_MAX)
		return "domain too long";
	err = s[0] == '[' ? check_literal(s, n) : check_labels(s, n);
	if (err != NULL)
		return err;
	if (s[0] != '[' && needs_idn(s, n))    /* U-labels and A-labels: one form */
		return idn_domain_to_ascii(s, n, dst, ADDRESS_DOMAIN_MAX + 1);
	for (size_t i = 0; i < n; i++)
		dst[i] = ascii_lower(s[i]);
	dst[n] = '\0';
	return NULL;
}

/* An A-d-l ("@a,@b:"): validates every hop, keeps the first one, which is
 * where the message would go next. Advances *pp past the ':'. */
static const char *
parse_source_route(const char **pp, const char *end, struct address *out)
{
	const char *p = *pp;
	char hop[ADDRESS_DOMAIN_MAX + 1];
	bool first = true;

	if (memchr(p, ':', (size_t)(end - p)) == NULL)
		return "empty local part";
	for (;;) {
		const char *h, *err;

		if (p == end || *p != '@')
			return "bad source route";
		h = ++p;
		if (p < end && *p == '[')
			while (p < end && *p != ']')
				p++;
		while (p < end && *p != ',' && *p != ':')
			p++;
		err = domain_copy(h, (size_t)(p - h), first ? out->route_domain : hop);
		if (err != NULL)
			return err;
		first = false;
		if (p == end)
			return "bad source route";
		if (*p++ == ':')
			break;
	}
	out->route = ROUTE_SOURCE;
	*pp = p;
	return NULL;
}

/* Quoted-string local part, escapes resolved; *pp is on the opening quote
 * and is left just past the closing one. */
static const char *
parse_quoted(const char **pp, const char *end, struct address *out)
{
	const char *p = *pp + 1;
	size_t n = 0;

	for (; p < end && *p != '"'; p++) {
		if (*p == '\\' && ++p == end)
			break;
		if (n == ADDRESS_LOCAL_MAX)
			return "local part too long";
		out->local[n++] = *p;
	}
	if (p == end)
		return "unterminated quoted string";
	if (n == 0)
		return "empty local part";
	out->local[n] = '\0';
	out->quoted = true;
	*pp = p + 1;
	return NULL;
}

/* Dot-string local part. Dots are not checked for placement: some carriers
 * hand out "taro..yamada" and refusing them gains nothing, as a dot never
 * hides a route. */
static const char *
parse_dot_string(const char **pp, const char *end, struct address *out)
{
	const char *p = *pp;
	size_t n;

	while (p < end && *p != '@') {
		if (*p != '.' && !is_atext((unsigned char)*p))
			return "invalid character in local part";
		p++;
	}
	n = (size_t)(p - *pp);
	if (n == 0)
		return "empty local part";
	if (n > ADDRESS_LOCAL_MAX)
		return "local part too long";
	memcpy(out->local, *pp, n);
	out->local[n] = '\0';
	*pp = p;
	return NULL;
}

static const char *
parse_mailbox(const char *p, const char *end, struct address *out)
{
	const char *err;

	if (p < end && *p == '"')
		err = parse_quoted(&p, end, out);
	else
		err = parse_dot_string(&p, end, out);
	if (err != NULL)
		return err;
	if (p == end)
		return NULL;
	if (*p != '@')
		return "text after quoted string";
	p++;
	/* Unquoted, a second '@' makes the real domain a matter of opinion. */
	if (memchr(p, '@', (size_t)(end - p)) != NULL)
		return "more than one '@'";
	return domain_copy(p, (size_t)(end - p), out->domain);
}

/* DESIGN §2 step 5: the destination an MTA might route to instead of the
 * visible domain. Order follows what Sendmail-style rewriting acts on first. */
static const char *
find_hidden_route(struct address *out)
{
	const char *l = out->local, *s;

	if ((s = strrchr(l, '@')) != NULL) {
		out->route = ROUTE_QUOTED_AT;
		return route_copy(s + 1, strlen(s + 1), out->route_domain);
	}
	if ((s = strrchr(l, '%')) != NULL) {
		out->route = ROUTE_PERCENT;
		return route_copy(s + 1, strlen(s + 1), out->route_domain);
	}
	if ((s = strchr(l, '!')) != NULL) {
		out->route = ROUTE_BANG;
		return route_copy(l, (size_t)(s - l), out->route_domain);
	}
	return NULL;
}

/* Measures text without reading more than ADDRESS_TEXT_MAX + 1 bytes. */
static const char *
scan_text(const char *text, size_t *len)
{
	size_t n;

	for (n = 0; n <= ADDRESS_TEXT_MAX && text[n] != '\0'; n++) {
		unsigned char c = (unsigned char)text[n];

		if (c < 0x20 || c == 0x7f)
			return "control character in address";
	}
	if (n > ADDRESS_TEXT_MAX)
		return "address too long";
	*len = n;
	return NULL;
}

/* Strips spaces and one pair of angle brackets from [*pp, *endp). */
static const char *
unwrap(const char **pp, const char **endp, struct address *out)
{
	const char *p = *pp, *end = *endp;

	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	if (p == end)
		return "empty address";
	out->bracketed = *p == '<';
	if (out->bracketed != (end[-1] == '>') || (out->bracketed && end - p < 2))
		return "unbalanced angle brackets";
	if (out->bracketed) {
		p++;
		end--;
	}
	*pp = p;
	*endp = end;
	return NULL;
}

static const char *
parse_path(const char *text, size_t len, struct address *out)
{
	const char *p = text, *end = text + len, *err;

	if ((err = unwrap(&p, &end, out)) != NULL)
		return err;
	if (p == end) {
		out->kind = ADDRESS_NULL;
		return NULL;
	}
	/* Unbracketed routes are judged too: refusing them as unparsable
	 * would be as safe, but explain's trace would be less helpful. */
	if (*p == '@' && (err = parse_source_route(&p, end, out)) != NULL)
		return err;
	if ((err = parse_mailbox(p, end, out)) != NULL)
		return err;
	return out->route == ROUTE_NONE ? find_hidden_route(out) : NULL;
}

void
address_parse(const char *text, struct address *out)
{
	const char *err;
	size_t len = 0;

	memset(out, 0, sizeof(*out));
	out->kind = ADDRESS_OK;
	out->route = ROUTE_NONE;
	if (text == NULL)
		err = "no address";
	else if ((err = scan_text(text, &len)) == NULL)
		err = parse_path(text, len, out);
	if (err != NULL) {
		fail(out, err);
		out->bad_idn = idn_error_is_idna(err);
	}
}

bool
address_key(const struct address *a, char delim, char *buf, size_t len)
{
	size_t nl, nd, need;
	const char *cut;

	if (len > 0)
		buf[0] = '\0';
	if (a->kind != ADDRESS_OK)
		return false;
	nl = strlen(a->local);
	/* "+owner" style names are whole names, not an empty user plus tag. */
	if (delim != '\0' && a->local[0] != delim && (cut = strchr(a->local, delim)) != NULL)
		nl = (size_t)(cut - a->local);
	nd = strlen(a->domain);
	/* "local" alone must never read as some other "local@domain". */
	if (nd == 0 && memchr(a->local, '@', nl) != NULL)
		return false;
	/* JÖRG and jörg are one mailbox (Postfix folds UTF-8 the same way). */
	if ((nl = idn_local_fold(a->local, nl, buf, len)) == (size_t)-1) {
		buf[0] = '\0';
		return false;
	}
	need = nl + (nd > 0 ? 1 + nd : 0) + 1;
	if (need > len) {
		buf[0] = '\0';
		return false;
	}
	if (nd > 0) {
		buf[nl] = '@';
		memcpy(buf + nl + 1, a->domain, nd);
	}
	buf[need - 1] = '\0';
	return true;
}

/* Space, '"' and '\\' are escaped as well: log lines are key=value, so a
 * raw one could forge a field, and an unescaped backslash an escape. */
static size_t
escaped_len(unsigned char c)
{
	return c <= ' ' || c >= 0x7f || c == '"' || c == '\\' ? 4 : 1;
}

static void
escape_byte(unsigned char c, char *dst)
{
	static const char hex[] = "0123456789abcdef";

	if (escaped_len(c) == 1) {
		dst[0] = (char)c;
		return;
	}
	dst[0] = '\\';
	dst[1] = 'x';
	dst[2] = hex[c >> 4];
	dst[3] = hex[c & 0xf];
}

void
address_log_escape(const char *text, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)(text != NULL ? text : "");
	size_t total = 0, pos = 0, room, dots, n = 0;

	if (len == 0)
		return;
	/* Stop counting once it cannot fit: the input may be long. */
	for (; s[n] != '\0' && total < len; n++)
		total += escaped_len(s[n]);
	room = len - 1;
	if (total == n && n <= room && s[n] == '\0') {
		memcpy(buf, s, n + 1);          /* nothing to escape: the usual case */
		return;
	}
	dots = 0;
	if (total > room) {
		dots = room < 3 ? room : 3;
		room -= dots;
	}
	for (; *s != '\0' && pos + escaped_len(*s) <= room; s++) {
		escape_byte(*s, buf + pos);
		pos += escaped_len(*s);
	}
	memset(buf + pos, '.', dots);
	buf[pos + dots] = '\0';
}

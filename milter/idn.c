/*
 * idn.c - A-label conversion of domains and case folding of local parts
 * (see idn.h for the contract and the choice of IDNA flags).
 *
 * Owns nothing: works on caller buffers; what libidn2 and libunistring
 * allocate is freed before returning. Pure and thread-safe.
 */
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include "idn.h"

static const char idn_invalid[] = "not a valid IDNA2008 domain name";
static const char idn_invalid_alabel[] = "not a valid IDNA2008 domain name (malformed A-label)";

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool
is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* An "xn--" label anywhere in s[0..n) (case-insensitive). */
static bool
has_ace_label(const char *s, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if ((i == 0 || s[i - 1] == '.') && strncasecmp(s + i, "xn--", 4) == 0)
			return true;
	return false;
}

/* The A-label result: LDH plus '_' (as the rest of relaywarden accepts),
 * labels of 1-63 bytes, at most IDN_DOMAIN_MAX in all. */
static const char *
check_ascii(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0)
		return "empty domain";
	if (n > IDN_DOMAIN_MAX)
		return "domain too long";
	for (size_t i = 0; i < n; i++) {
		char c = lower(s[i]);
		if (c == '.') {
			if (label == 0)
				return "empty domain label";
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_') {
			if (++label > 63)
				return "domain label too long";
		} else {
			return "invalid character in domain";
		}
	}
	return label == 0 ? "empty domain label" : NULL;
}

static const char *
copy_out(const char *s, size_t n, char *out, size_t outlen)
{
	const char *err = check_ascii(s, n);

	if (err == NULL && n >= outlen)
		err = "domain too long";
	if (err != NULL)
		return err;
	for (size_t i = 0; i < n; i++)
		out[i] = lower(s[i]);
	out[n] = '\0';
	return NULL;
}

/* lc (lower-case, NUL-terminated) to A-labels, twice: UTS #46
 * non-transitional checks hyphens, bidi and joiners; pure IDNA2008 (no
 * TR46) refuses every code point that would need mapping (a full-width
 * dot, a zero-width space, a soft hyphen). Both must agree. */
static const char *
convert(const char *lc, char *out, size_t outlen)
{
	char *a = NULL, *b = NULL;
	const char *err = idn_invalid;

	if (idn2_lookup_u8((const uint8_t *)lc, (uint8_t **)&a, IDN2_NFC_INPUT |
	    IDN2_NONTRANSITIONAL) == IDN2_OK &&
	    idn2_lookup_u8((const uint8_t *)lc, (uint8_t **)&b, IDN2_NFC_INPUT | IDN2_NO_TR46) ==
	    IDN2_OK && strcmp(a, b) == 0 && copy_out(a, strlen(a), out, outlen) == NULL)
		err = NULL;
	idn2_free(a);
	idn2_free(b);
	return err;
}

/* Full Unicode lower case and NFC ("BÜCHER" -> "bücher"): the only mapping
 * applied; NUL-terminated into lc. */
static bool
lower_nfc(const char *s, size_t n, char *lc, size_t lclen)
{
	size_t len = lclen - 1;
	uint8_t *r;

	if (u8_check((const uint8_t *)s, n) != NULL)
		return false;
	r = u8_tolower((const uint8_t *)s, n, NULL, UNINORM_NFC, (uint8_t *)lc, &len);
	if (r == NULL)
		return false;
	if (r != (uint8_t *)lc) {       /* did not fit */
		free(r);
		return false;
	}
	lc[len] = '\0';
	return memchr(lc, '\0', len) == NULL;
}

/* An A-label must be what its own U-label converts to: "xn--zz" (bad
 * Punycode), "xn--a" (decodes to nothing valid) or an encoding of a
 * disallowed code point are refused, not compared as text. */
static bool
alabel_round_trips(const char *label, size_t n)
{
	char in[64], back[IDN_DOMAIN_MAX + 1], lc[4 * 64], *u = NULL;
	bool ok;

	if (n >= sizeof(in))
		return false;
	memcpy(in, label, n);
	in[n] = '\0';
	if (idn2_to_unicode_8z8z(in, &u, 0) != IDN2_OK)
		return false;
	/* Lower-cased too: "xn--bce" (CHEROKEE LETTER WV, which has a lower
	 * case since Unicode 8) would otherwise be another name than the
	 * U-label it displays as. */
	ok = lower_nfc(u, strlen(u), lc, sizeof(lc)) && convert(lc, back, sizeof(back)) == NULL &&
	    strcmp(back, in) == 0;
	idn2_free(u);
	return ok;
}

static bool
alabels_round_trip(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (i - start >= 4 && strncmp(s + start, "xn--", 4) == 0 &&
		    !alabel_round_trips(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

const char *
idn_domain_to_ascii(const char *s, size_t n, char *out, size_t outlen)
{
	char lc[4 * IDN_DOMAIN_MAX + 1];
	const char *err;

	if (outlen > 0)
		out[0] = '\0';
	if (n == 0)
		return "empty domain";
	/* The common case, and every name before IDN: no library call. */
	if (is_ascii(s, n) && !has_ace_label(s, n))
		return copy_out(s, n, out, outlen);
	/* Past the fast path every failure is the name's: malformed. */
	if (!lower_nfc(s, n, lc, sizeof(lc)))
		return idn_invalid;
	if (!alabels_round_trip(lc, strlen(lc)))
		return idn_invalid_alabel;
	err = convert(lc, out, outlen);
	if (err != NULL && outlen > 0)
		out[0] = '\0';
	return err;
}

bool
idn_error_is_idna(const char *reason)
{
	return reason == idn_invalid || reason == idn_invalid_alabel;
}

bool
idn_domain_is_international(const char *name)
{
	return has_ace_label(name, strlen(name));
}

void
idn_domain_display(const char *name, char *out, size_t outlen)
{
	char *u = NULL;

	if (outlen == 0)
		return;
	if (!idn_domain_is_international(name) || idn2_to_unicode_8z8z(name, &u, 0) != IDN2_OK) {
		snprintf(out, outlen, "%s", name);
		return;
	}
	snprintf(out, outlen, "%s (%s)", u, name);
	idn2_free(u);
}

static size_t
fold_ascii(const char *s, size_t n, char *out, size_t outlen)
{
	if (n >= outlen)
		return (size_t)-1;
	for (size_t i = 0; i < n; i++)
		out[i] = lower(s[i]);
	out[n] = '\0';
	return n;
}

size_t
idn_local_fold(const char *s, size_t n, char *out, size_t outlen)
{
	uint8_t buf[1024], *r;
	size_t len = sizeof(buf);

	/* Not UTF-8: bytes, compared as they are (no MTA folds them either). */
	if (is_ascii(s, n) || u8_check((const uint8_t *)s, n) != NULL)
		return fold_ascii(s, n, out, outlen);
	r = u8_casefold((const uint8_t *)s, n, NULL, UNINORM_NFC, buf, &len);
	if (r == NULL)
		return (size_t)-1;
	if (len >= outlen || memchr(r, '\0', len) != NULL) {
		if (r != buf)
			free(r);
		return (size_t)-1;
	}
	memcpy(out, r, len);
	out[len] = '\0';
	if (r != buf)
		free(r);
	return len;
}

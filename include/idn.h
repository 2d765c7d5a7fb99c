/*
 * idn.h - internationalised domain names and UTF-8 local parts, in one place.
 *
 * Every domain relaywarden compares (SMTP paths, header mailboxes, every
 * list of the policy file, directory values) goes through idn_domain_to_ascii
 * first, so that a U-label and its A-label are one name (DESIGN §2
 * "Matching", Appendix B). The conversion is strict IDNA2008 (RFC 5891)
 * after the one mapping every reader agrees on, full Unicode lower case and
 * NFC: libidn2 with IDN2_NFC_INPUT | IDN2_NO_TR46, and the same name must
 * also pass UTS #46 non-transitional (IDN2_NONTRANSITIONAL: hyphens, bidi,
 * joiners) with the same result. So "BÜCHER.example", "bücher.example" and
 * "xn--bcher-kva.example" are one domain, "fuß.de" is "xn--fu-hia.de" (not
 * "fuss.de"), and a name that would need any other mapping (a full-width
 * dot, U+3002, a zero-width space, a soft hyphen, full-width letters) is
 * not IDNA2008: malformed, so relaywarden never judges such a name the way
 * one MTA maps it and another does not. An A-label given as input must
 * survive the round trip A -> U -> A unchanged, so a malformed one
 * ("xn--zz") is invalid, never compared as text. ASCII names without an
 * "xn--" label are only lower-cased (LDH plus '_', as before).
 * Pure: no I/O; thread-safe (libidn2 and libunistring keep no state).
 */
#ifndef RW_IDN_H
#define RW_IDN_H

#include <stdbool.h>
#include <stddef.h>

#define IDN_DOMAIN_MAX 253        /* an A-label domain, without the trailing dot */

/* Converts the domain s[0..n) (UTF-8 or ASCII, no trailing dot) to its
 * lower-case A-label form in out (outlen >= IDN_DOMAIN_MAX + 1). Returns
 * NULL, or a static reason ("not a valid IDNA2008 domain name: ...") with
 * out = "". */
const char *idn_domain_to_ascii(const char *s, size_t n, char *out, size_t outlen);

/* The reasons idn_domain_to_ascii gives when the name is not IDNA2008
 * (rather than, say, too long): a malformed address at MAIL and RCPT. */
bool idn_error_is_idna(const char *reason);

/* True if the A-label form name (as idn_domain_to_ascii wrote it) has an
 * "xn--" label, i.e. a reader would see it written otherwise. */
bool idn_domain_is_international(const char *name);

/* For explain and the logs: "bücher.example (xn--bcher-kva.example)" for an
 * international name, the name itself otherwise. Never fails (truncates). */
void idn_domain_display(const char *name, char *out, size_t outlen);

/* Writes the comparison form of a local part s[0..n): ASCII lower-cased;
 * valid UTF-8 with a non-ASCII byte case-folded and NFC-normalised
 * (libunistring u8_casefold: "JÖRG" = "jörg", as Postfix's casefold); other
 * bytes ASCII-lower-cased only. Returns the length written, or (size_t)-1 if
 * it does not fit in outlen (with the NUL). */
size_t idn_local_fold(const char *s, size_t n, char *out, size_t outlen);

#endif

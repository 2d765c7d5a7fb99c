/*
 * fuzz_idn.c - libFuzzer target for idn.c and the IDN path of address.c
 * and domain.c.
 *
 * Checks the invariants every comparison relies on: an accepted domain is
 * lower-case ASCII LDH(+_) of at most 253 bytes, converting it again gives
 * itself (one name, one form), the U-label display of it converts back to
 * it, and the local-part fold is idempotent and fits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "idn.h"
#include "netmatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_domain(const char *s, size_t n)
{
	char a[IDN_DOMAIN_MAX + 1], b[IDN_DOMAIN_MAX + 1], shown[1200];

	if (idn_domain_to_ascii(s, n, a, sizeof(a)) != NULL) {
		if (a[0] != '\0')
			abort();
		return;
	}
	for (const char *c = a; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' ||
		    *c == '_' || *c == '.'))
			abort();
	if (idn_domain_to_ascii(a, strlen(a), b, sizeof(b)) != NULL || strcmp(a, b) != 0)
		abort();
	idn_domain_display(a, shown, sizeof(shown));
	char *paren = strstr(shown, " (");
	if (paren != NULL && idn_domain_is_international(a)) {
		if (idn_domain_to_ascii(shown, (size_t)(paren - shown), b, sizeof(b)) != NULL ||
		    strcmp(a, b) != 0)
			abort();
	}
}

static void
check_fold(const char *s, size_t n)
{
	char once[1100], twice[1100];
	size_t l1 = idn_local_fold(s, n, once, sizeof(once));

	if (l1 == (size_t)-1)
		return;
	if (strlen(once) != l1)
		abort();
	size_t l2 = idn_local_fold(once, l1, twice, sizeof(twice));
	if (l2 == (size_t)-1 || strcmp(once, twice) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[1100], key[ADDRESS_TEXT_MAX], norm[256];
	struct address a;

	if (size >= 1024)
		size = 1023;
	memcpy(text, data, size);
	text[size] = '\0';
	size = strlen(text);
	check_domain(text, size);
	check_fold(text, size);
	(void)domain_normalize(text, norm, sizeof(norm));
	address_parse(text, &a);
	if (a.kind == ADDRESS_OK && a.domain[0] != '\0' && a.domain[0] != '[' &&
	    idn_domain_is_international(a.domain) &&
	    idn_domain_to_ascii(a.domain, strlen(a.domain), norm, sizeof(norm)) != NULL)
		abort();
	if (a.bad_idn && a.kind != ADDRESS_INVALID)
		abort();
	(void)address_key(&a, '+', key, sizeof(key));
	return 0;
}

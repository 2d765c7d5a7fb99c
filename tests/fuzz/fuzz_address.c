/*
 * fuzz_address.c - libFuzzer target for address.c.
 *
 * Feeds arbitrary bytes (cut at the first NUL, as libmilter would) through
 * every exported function and checks the invariants the callers rely on:
 * NUL-terminated fields, an error exactly when invalid, keys that fit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char text[4 * ADDRESS_TEXT_MAX + 1];

static void
check(const struct address *a)
{
	if (memchr(a->local, '\0', sizeof(a->local)) == NULL ||
	    memchr(a->domain, '\0', sizeof(a->domain)) == NULL ||
	    memchr(a->route_domain, '\0', sizeof(a->route_domain)) == NULL)
		abort();
	if ((a->kind == ADDRESS_INVALID) != (a->error != NULL))
		abort();
	if (a->kind == ADDRESS_OK && a->local[0] == '\0')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct address a;
	char key[ADDRESS_TEXT_MAX], log[64];

	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	address_parse(text, &a);
	check(&a);
	if (address_key(&a, '+', key, sizeof(key)) && strlen(key) >= sizeof(key))
		abort();
	if (address_key(&a, '\0', key, sizeof(key)) && a.kind != ADDRESS_OK)
		abort();
	address_log_escape(text, log, sizeof(log));
	if (strlen(log) >= sizeof(log))
		abort();
	return 0;
}

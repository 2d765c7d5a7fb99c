/*
 * fuzz_received.c - libFuzzer target for received.c.
 *
 * Any bytes (cut at the first NUL, as a header value is) must parse or be
 * refused; a parsed line must give an address that parses back to itself
 * and a name that is empty or a normalised DNS name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "received.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char value[4097];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct received r;
	struct ip_addr again;
	char name[256];

	if (size >= sizeof(value))
		size = sizeof(value) - 1;
	memcpy(value, data, size);
	value[size] = '\0';
	if (!received_parse(value, &r))
		return 0;
	if (!ip_parse(r.addr, &again) || memcmp(&again, &r.ip, sizeof(again)) != 0)
		abort();
	if (memchr(r.name, '\0', sizeof(r.name)) == NULL)
		abort();
	if (r.name[0] != '\0' && (!domain_normalize(r.name, name, sizeof(name)) ||
	    strcmp(name, r.name) != 0))
		abort();
	return 0;
}

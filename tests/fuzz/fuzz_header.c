/*
 * fuzz_header.c - libFuzzer target for header.c.
 *
 * Any bytes (cut at the first NUL, as a header value is) must parse or be
 * refused with a reason; every mailbox returned must be a complete
 * address with a domain, and a refusal must leave nothing to free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char value[HEADER_VALUE_MAX * 2 + 1];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailbox_list list;
	const char *error = NULL;

	if (size >= sizeof(value))
		size = sizeof(value) - 1;
	memcpy(value, data, size);
	value[size] = '\0';
	if (header_parse_mailboxes(value, &list, &error) < 0) {
		if (error == NULL)
			abort();
		return 0;
	}
	if (list.count == 0 && list.boxes != NULL && error != NULL)
		abort();
	for (size_t i = 0; i < list.count; i++) {
		const struct address *a = &list.boxes[i];
		if (a->kind != ADDRESS_OK || a->local[0] == '\0' || a->domain[0] == '\0')
			abort();
		if (memchr(a->local, '\0', sizeof(a->local)) == NULL)
			abort();
	}
	header_mailboxes_free(&list);
	return 0;
}

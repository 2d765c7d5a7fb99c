/*
 * fuzz_header.c - libFuzzer target for header.c.
 *
 * Any bytes (cut at the first NUL, as a header value is) must parse or be
 * refused with a reason; every mailbox returned must be a complete
 * address with a domain and a key, and a refusal must leave nothing to
 * free. A second parse of the same value gives the same judgement (the
 * parser edits only its own copy; decoding and folding keep no state).
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
	struct mailbox_list again;
	const char *error2 = NULL;
	if (header_parse_mailboxes(value, &again, &error2) < 0 || again.count != list.count)
		abort();
	for (size_t i = 0; i < list.count; i++) {
		const struct address *a = &list.boxes[i];
		char k1[ADDRESS_TEXT_MAX], k2[ADDRESS_TEXT_MAX];
		if (a->kind != ADDRESS_OK || a->local[0] == '\0' || a->domain[0] == '\0')
			abort();
		if (memchr(a->local, '\0', sizeof(a->local)) == NULL)
			abort();
		if (address_key(a, '\0', k1, sizeof(k1)) &&
		    (!address_key(&again.boxes[i], '\0', k2, sizeof(k2)) || strcmp(k1, k2) != 0))
			abort();
	}
	header_mailboxes_free(&again);
	header_mailboxes_free(&list);
	return 0;
}

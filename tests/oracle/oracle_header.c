/*
 * oracle_header.c - relaywarden's judgement of originator headers for the
 * differential oracle (tests/oracle/oracle.py), through the very parser
 * the milter uses (header_parse_mailboxes, linked from librelaywarden.a).
 *
 * stdin: one header value per line, hex-encoded (so CR, LF and any byte
 * travel intact; a NUL ends the value, as for the milter's C string).
 * stdout: one line per value: "R<TAB>reason" (refused as malformed) or
 * "A" followed by "<TAB>key" for each mailbox judged (address_key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "header.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes hex line in place; returns false on a broken line. */
static bool
unhex(char *line)
{
	size_t n = strcspn(line, "\r\n"), o = 0;

	if (n % 2 != 0)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(line[i]), lo = hexval(line[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		line[o++] = (char)(hi * 16 + lo);
	}
	line[o] = '\0';
	return true;
}

int
main(void)
{
	static char line[4 * HEADER_VALUE_MAX + 64];
	char key[ADDRESS_TEXT_MAX];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct mailbox_list list;
		const char *error = NULL;
		if (!unhex(line)) {
			fprintf(stderr, "oracle_header: broken input line\n");
			return 2;
		}
		if (header_parse_mailboxes(line, &list, &error) < 0) {
			printf("R\t%s\n", error);
			continue;
		}
		fputs("A", stdout);
		for (size_t i = 0; i < list.count; i++)
			if (address_key(&list.boxes[i], '\0', key, sizeof(key)))
				printf("\t%s", key);
			else
				fputs("\t?", stdout);
		putchar('\n');
		header_mailboxes_free(&list);
	}
	return 0;
}

/*
 * header.h - RFC 5322 originator header parsing (From:, Sender:).
 *
 * Turns a header value as the MTA hands it to xxfi_header (folded lines
 * joined with CRLF + WSP, or LF + WSP) into the list of mailboxes it names:
 * display names, comments (nested), quoted strings, angle addresses, groups
 * ("Team: a@x, b@y;"), obsolete routes (an obs-domain-list only),
 * folding. Display names, group names and comments are read as a mail
 * program shows them (RFC 2047 encoded words decoded, NFKC) and may not
 * read as an address other than the mailbox's own. Pure: allocates only
 * the returned list; thread-safe; never reads past the NUL.
 */
#ifndef RW_HEADER_H
#define RW_HEADER_H

#include <stddef.h>

#include "address.h"

#define HEADER_VALUE_MAX 8192      /* longer values are malformed */
#define HEADER_MAILBOXES_MAX 100   /* more mailboxes are malformed */

struct mailbox_list {
	size_t count;
	struct address *boxes;     /* count entries; each kind == ADDRESS_OK */
};

/* Returns 0 and fills out (free with header_mailboxes_free), or -1 with a
 * static reason in *error when the value is not a valid address-list: an
 * unbalanced quote/comment/bracket, a mailbox with no domain, a route that
 * is not "@domain" entries, an undecodable encoded word, display text that
 * reads as another address, an empty list, control bytes, too long, too
 * many. An empty group ("undisclosed:;") contributes no mailbox. */
int header_parse_mailboxes(const char *value, struct mailbox_list *out, const char **error);
void header_mailboxes_free(struct mailbox_list *list);

#endif

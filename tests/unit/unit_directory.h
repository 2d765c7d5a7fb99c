/*
 * unit_directory.h - an in-memory directory stand-in for unit tests of the
 * engine: it gives one fixed answer and counts how often it was asked, so
 * a table row can say "the directory was (not) consulted" and reach the
 * unavailable and on_failure paths without a server. Put it in place of a
 * loaded policy's directory with unit_directory_swap, and back before
 * config_free. Include after cmocka.h.
 */
#ifndef RW_UNIT_DIRECTORY_H
#define RW_UNIT_DIRECTORY_H

#include <stdio.h>

#include "directory.h"
#include "policy.h"

struct unit_directory {
	enum lookup_result answer;
	enum recipient_kind kind;       /* a found recipient is this */
	const char *owns;               /* a found login owns this address */
	unsigned logins, recipients;    /* lookups asked */
	const char *groups_error;       /* a found login's groups could not be read */
};

static enum lookup_result
unit_directory_user(void *state, const char *login, struct dir_user **out, char *why,
    size_t whylen)
{
	struct unit_directory *u = state;

	u->logins++;
	if (u->answer == LOOKUP_FOUND) {
		*out = directory_user_new(login);
		directory_user_add(*out, u->owns, false);
		if (u->groups_error != NULL)
			directory_user_groups_failed(*out, u->groups_error);
	} else if (u->answer == LOOKUP_TEMPFAIL) {
		snprintf(why, whylen, "stand-in unavailable");
	}
	return u->answer;
}

static enum lookup_result
unit_directory_recipient(void *state, const char *address, enum recipient_kind *kind,
    char *why, size_t whylen)
{
	struct unit_directory *u = state;

	(void)address;
	u->recipients++;
	*kind = u->kind;
	if (u->answer == LOOKUP_TEMPFAIL)
		snprintf(why, whylen, "stand-in unavailable");
	return u->answer;
}

static void
unit_directory_free(void *state)
{
	(void)state;
}

static const struct directory_ops unit_directory_ops = {
	"stand-in", unit_directory_user, unit_directory_recipient, unit_directory_free, NULL, NULL,
};

/* Swaps p's directory for the stand-in (and back: call it again with the
 * returned original before config_free). */
static struct directory *
unit_directory_swap(struct policy *p, struct directory *with)
{
	struct directory *old = p->directory;

	p->directory = with;
	return old;
}

#endif

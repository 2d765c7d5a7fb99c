/*
 * test_directory_cache.c - `ctl flush-cache [LOGIN]` (issue 18): the cache
 * drops exactly the entries about one login - its own, any case, and the
 * ones that found that user under another name - or all, and says how
 * many; a backend without a cache has nothing to flush. A stand-in
 * backend counts what reaches it, so "cached" and "asked again" are facts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "directory.h"
#include "directory_cache.h"

struct stand_in {
	unsigned asked;
};

/* "name@realm" is found as the user "name" (a realm form of the login). */
static enum lookup_result
stand_in_user(void *state, const char *login, struct dir_user **out, char *why, size_t whylen)
{
	struct stand_in *s = state;
	char name[64];

	(void)why;
	(void)whylen;
	s->asked++;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(login, "@"), login);
	*out = directory_user_new(name);
	directory_user_add(*out, "someone@acme.com", false);
	return LOOKUP_FOUND;
}

static enum lookup_result
stand_in_recipient(void *state, const char *address, enum recipient_kind *kind, char *why,
    size_t whylen)
{
	struct stand_in *s = state;

	(void)address;
	(void)why;
	(void)whylen;
	s->asked++;
	*kind = RECIPIENT_PERSON;
	return LOOKUP_FOUND;
}

static void
stand_in_free(void *state)
{
	(void)state;
}

static const struct directory_ops stand_in_ops = { "stand-in", stand_in_user,
	stand_in_recipient, stand_in_free, NULL, NULL };

static struct directory *
cached_stand_in(struct stand_in *s)
{
	struct directory *inner = calloc(1, sizeof(*inner));

	inner->ops = &stand_in_ops;
	inner->state = s;
	return directory_cache_wrap(inner, 3600, 3600, 1000);
}

/* One user lookup through d; returns how often the backend was asked since. */
static unsigned
ask(struct directory *d, struct stand_in *s, const char *login)
{
	struct dir_user *u = NULL;
	char why[64];
	unsigned before = s->asked;

	assert_int_equal(d->ops->lookup_user(d->state, login, &u, why, sizeof(why)), LOOKUP_FOUND);
	directory_user_unref(u);
	return s->asked - before;
}

static void
test_flush_one_login(void **state)
{
	struct stand_in s = { 0 };
	struct directory *d = cached_stand_in(&s);
	enum recipient_kind k;
	char why[64];

	(void)state;
	assert_int_equal(ask(d, &s, "jdoe"), 1);
	assert_int_equal(ask(d, &s, "JDoe@acme.com"), 1);   /* found as the user jdoe */
	assert_int_equal(ask(d, &s, "asmith"), 1);
	assert_int_equal(d->ops->lookup_recipient(d->state, "jdoe@acme.com", &k, why, sizeof(why)),
	    LOOKUP_FOUND);
	assert_int_equal(ask(d, &s, "jdoe"), 0);            /* cached */
	/* jdoe's own entry and the realm form; not asmith, not the recipient */
	assert_int_equal(directory_flush(d, "JDOE"), 2);
	assert_int_equal(ask(d, &s, "jdoe"), 1);
	assert_int_equal(ask(d, &s, "asmith"), 0);
	assert_int_equal(directory_flush(d, "nobody-cached"), 0);
	directory_free(d);
}

static void
test_flush_all(void **state)
{
	struct stand_in s = { 0 };
	struct directory *d = cached_stand_in(&s);
	enum recipient_kind k;
	char why[64];

	(void)state;
	ask(d, &s, "jdoe");
	ask(d, &s, "asmith");
	d->ops->lookup_recipient(d->state, "x@acme.com", &k, why, sizeof(why));
	assert_int_equal(directory_flush(d, NULL), 3);
	assert_int_equal(directory_flush(d, NULL), 0);
	assert_int_equal(ask(d, &s, "asmith"), 1);
	directory_free(d);
}

static void
test_nothing_to_flush_without_a_cache(void **state)
{
	struct stand_in s = { 0 };
	struct directory plain = { &stand_in_ops, &s };

	(void)state;
	assert_int_equal(directory_flush(&plain, "jdoe"), -1);
	assert_int_equal(directory_flush(NULL, NULL), -1);
	assert_false(directory_health(&plain, NULL, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flush_one_login),
		cmocka_unit_test(test_flush_all),
		cmocka_unit_test(test_nothing_to_flush_without_a_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

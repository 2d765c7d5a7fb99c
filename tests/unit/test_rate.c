/*
 * test_rate.c - the rate limits: the memory table's sliding window (no
 * `per` seconds ever holds more than the limit, whatever the timing, and
 * an event is forgotten no sooner than `per` after it), all-or-nothing
 * across limits, peeking, the keys a session counts under (login folded,
 * the directory's name, IPv6 by /64, sender, exemptions), the exact reply
 * and log detail at RCPT, report_only, and the Redis URI reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "rate_redis.h"
#include "rate_store.h"
#include "session.h"
#include "unit_files.h"

static char tmpdir[] = "/tmp/test_rate.XXXXXX";
static char policy_path[256], dir_path[256];
static struct policy *cur_policy;
static struct session *cur_session;

static struct rate_take
take(const char *key, unsigned per, unsigned max_m, unsigned max_r, unsigned add_m)
{
	struct rate_take t = { .per = per, .max_messages = max_m, .max_recipients = max_r,
		.add_messages = add_m, .add_recipients = 1 };

	snprintf(t.key, sizeof(t.key), "%s", key);
	return t;
}

static enum rate_answer
one(const char *key, unsigned per, unsigned max_m, uint64_t now, bool peek)
{
	struct rate_take t = take(key, per, max_m, 0, 1);
	size_t over = 99;

	return rate_memory_take(&t, 1, peek, now, &over);
}

/* messages = 3 per 20 s (steps of 1 s): the 4th is over until the first
 * is forgotten, which is after 20 s and within 21 s. */
static void
test_window_slides(void **state)
{
	(void)state;
	rate_memory_clear();
	assert_int_equal(one("a", 20, 3, 100000, false), RATE_OK);
	assert_int_equal(one("a", 20, 3, 100500, false), RATE_OK);
	assert_int_equal(one("a", 20, 3, 101000, false), RATE_OK);
	assert_int_equal(one("a", 20, 3, 101001, false), RATE_OVER);
	assert_int_equal(one("a", 20, 3, 120099, false), RATE_OVER);    /* 20.099 s on */
	assert_int_equal(one("a", 20, 3, 120999, false), RATE_OVER);    /* step 100 still in */
	/* 21 s on, step 100's two are forgotten, step 101's one is not */
	assert_int_equal(one("a", 20, 3, 121000, false), RATE_OK);
	assert_int_equal(one("a", 20, 3, 121001, false), RATE_OK);
	assert_int_equal(one("a", 20, 3, 121002, false), RATE_OVER);
	assert_int_equal(one("b", 20, 3, 121001, false), RATE_OK);      /* another key */
}

/* Any timing: in every window of `per` seconds no more than the limit
 * get through (the edge-gaming of fixed windows cannot happen). */
static void
test_window_never_exceeded(void **state)
{
	enum { N = 4000, LIMIT = 7, PER = 10 };
	static uint64_t ok_at[N];
	size_t nok = 0;
	uint64_t now = 5000000;

	(void)state;
	rate_memory_clear();
	srand(19);
	for (int i = 0; i < N; i++) {
		now += (uint64_t)(rand() % 900);
		if (one("k", PER, LIMIT, now, false) == RATE_OK)
			ok_at[nok++] = now;
	}
	assert_true(nok > 10);
	for (size_t i = 0; i < nok; i++) {
		size_t in = 0;
		for (size_t j = 0; j <= i; j++)
			in += ok_at[i] - ok_at[j] < PER * 1000;
		if (in > LIMIT)
			fail_msg("%zu accepted within %d s ending at %llu", in, PER,
			    (unsigned long long)ok_at[i]);
	}
}

/* Nothing counts when one of the limits would go over; peeking never counts. */
static void
test_all_or_nothing_and_peek(void **state)
{
	struct rate_take t[2];
	size_t over = 99;

	(void)state;
	rate_memory_clear();
	t[0] = take("wide", 60, 10, 0, 1);
	t[1] = take("narrow", 60, 1, 0, 1);
	assert_int_equal(rate_memory_take(t, 2, false, 1000, &over), RATE_OK);
	assert_int_equal(rate_memory_take(t, 2, false, 1001, &over), RATE_OVER);
	assert_int_equal(over, 1);
	assert_int_equal(t[0].messages, 1);
	assert_int_equal(t[1].messages, 1);
	assert_int_equal(rate_memory_take(t, 2, false, 1002, &over), RATE_OVER);
	assert_int_equal(t[0].messages, 1);     /* the refused checks counted nowhere */
	for (int i = 0; i < 5; i++)
		assert_int_equal(one("peek", 60, 1, 2000, true), RATE_OK);
	assert_int_equal(one("peek", 60, 1, 2000, false), RATE_OK);
	assert_int_equal(one("peek", 60, 1, 2000, true), RATE_OVER);
	/* recipients: a later recipient of a message adds no message */
	struct rate_take r = take("rcpts", 60, 1, 2, 1);
	assert_int_equal(rate_memory_take(&r, 1, false, 3000, &over), RATE_OK);
	r.add_messages = 0;
	assert_int_equal(rate_memory_take(&r, 1, false, 3001, &over), RATE_OK);
	assert_int_equal(rate_memory_take(&r, 1, false, 3002, &over), RATE_OVER);
	assert_int_equal(r.recipients, 2);
	assert_int_equal(r.messages, 1);
}

/* The table is bounded: a new key when it is full drops the keys touched
 * longest ago (none of them expired), never the new one. */
static void
test_table_bounded(void **state)
{
	char key[32];

	(void)state;
	rate_memory_clear();
	for (int i = 0; i < RATE_MEMORY_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(one(key, 3600, 5, 1000000 + (uint64_t)i, false), RATE_OK);
	}
	assert_int_equal(rate_memory_count(), RATE_MEMORY_MAX);
	assert_int_equal(one("new", 3600, 1, 1000000 + RATE_MEMORY_MAX, false), RATE_OK);
	size_t n = rate_memory_count();
	assert_true(n < RATE_MEMORY_MAX && n > RATE_MEMORY_MAX / 2);
	assert_int_equal(one("new", 3600, 1, 1000000 + RATE_MEMORY_MAX, true), RATE_OVER);
	snprintf(key, sizeof(key), "k%d", RATE_MEMORY_MAX - 1);          /* the newest old key */
	struct rate_take t = take(key, 3600, 5, 0, 1);
	size_t over;
	rate_memory_take(&t, 1, true, 1000000 + RATE_MEMORY_MAX, &over);
	assert_int_equal(t.messages, 1);
	t = take("k0", 3600, 5, 0, 1);                                      /* the oldest: gone */
	rate_memory_take(&t, 1, true, 1000000 + RATE_MEMORY_MAX, &over);
	assert_int_equal(t.messages, 0);
	rate_memory_clear();
}

/* ---- through a session, with the policy file's own keys ---- */

static int
test_teardown(void **state)
{
	(void)state;
	if (cur_session != NULL)
		session_free(cur_session);
	config_free(cur_policy);
	cur_session = NULL;
	cur_policy = NULL;
	return 0;
}

static struct session *
open_session(const char *limits)
{
	struct errlist errs = { 0 };
	char text[4096];

	snprintf(text, sizeof(text), "local_domains = [ \"acme.com\" ];\n"
	    "relay = { deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n%s\n", limits);
	unit_write_file(policy_path, text);
	unit_write_file(dir_path, "users = ( { login = \"jdoe\"; names = [ \"John Doe\" ]; "
	    "addresses = [ \"john.doe@acme.com\" ]; } );\ngroups = ( );\n");
	cur_policy = config_load(policy_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		print_error("config: %s\n", errs.lines[i]);
	errlist_clear(&errs);
	assert_non_null(cur_policy);
	rate_memory_clear();
	return cur_session = session_new(cur_policy);
}

/* One message: MAIL as auth from from, one RCPT (remote when
 * authenticated, else local); the RCPT's decision. */
static void
message(struct session *s, const char *auth, const char *from, struct decision *d)
{
	session_mail(s, auth, from, NULL, d, NULL);
	assert_int_equal(d->action, DECISION_CONTINUE);
	session_rcpt(s, auth != NULL ? "<bob@remote.example>" : "<alice@acme.com>", d, NULL);
	session_message_reset(s);
}

static void
test_login_limit_reply_and_detail(void **state)
{
	struct session *s = open_session("rate_limits = ( { name = \"per-login\"; key = \"login\"; "
	    "messages = 2; per = 3600; } );");
	struct decision d;
	(void)state;
	session_connect(s, "unknown", "203.0.113.5", NULL, 1, &d, NULL);
	message(s, "jdoe", "<john.doe@acme.com>", &d);
	assert_int_equal(d.action, DECISION_CONTINUE);
	/* "John Doe" is the same user: counted under the directory's name */
	message(s, "John Doe", "<john.doe@acme.com>", &d);
	assert_int_equal(d.action, DECISION_CONTINUE);
	message(s, "JDOE", "<john.doe@acme.com>", &d);
	assert_int_equal(d.action, DECISION_TEMPFAIL);
	assert_string_equal(d.rule, "rate_limit");
	assert_string_equal(d.reply->code, "451");
	assert_string_equal(d.reply->xcode, "4.7.1");
	assert_string_equal(d.reply->text, "Rate limit exceeded, try again later");
	assert_string_equal(d.detail, "limit=per-login key=login:jdoe messages=2/2 per=3600 "
	    "store=memory");
}

static void
test_client_limit_ipv6_prefix_and_exempt(void **state)
{
	struct session *s = open_session("rate_limits = ( { name = \"c\"; key = \"client\"; "
	    "recipients = 1; per = 60; exempt_hosts = [ \"2001:db8:9::/48\" ]; } );");
	struct session *other;
	struct decision d;

	(void)state;
	session_connect(s, "unknown", "2001:db8:1:2::5", NULL, 1, &d, NULL);
	message(s, "jdoe", "<john.doe@acme.com>", &d);
	assert_int_equal(d.action, DECISION_CONTINUE);
	other = session_new(cur_policy);        /* another address of the same /64 */
	session_connect(other, "unknown", "2001:db8:1:2:ffff::1", NULL, 1, &d, NULL);
	message(other, "jdoe", "<john.doe@acme.com>", &d);
	assert_int_equal(d.action, DECISION_TEMPFAIL);
	assert_string_equal(d.detail, "limit=c key=client:2001:db8:1:2::/64 recipients=1/1 "
	    "per=60 store=memory");
	session_connect(other, "unknown", "2001:db8:9::7", NULL, 1, &d, NULL);
	for (int i = 0; i < 3; i++) {
		message(other, "jdoe", "<john.doe@acme.com>", &d);
		assert_int_equal(d.action, DECISION_CONTINUE);
	}
	session_free(other);
}

static void
test_sender_limit_exempt_login_report_only(void **state)
{
	struct session *s = open_session("report_only = true;\n"
	    "rate_limits = ( { name = \"s\"; key = \"sender\"; messages = 1; per = 60; "
	    "exempt_logins = [ \"Scanner\" ]; } );");
	struct decision d;

	(void)state;
	session_connect(s, "unknown", "192.0.2.9", NULL, 1, &d, NULL);
	message(s, NULL, "<Someone@Other.Example>", &d);
	assert_int_equal(d.action, DECISION_CONTINUE);
	assert_false(d.would_reject);
	message(s, NULL, "<someone+tag@other.example>", &d);
	assert_int_equal(d.action, DECISION_CONTINUE);
	assert_true(d.would_reject);
	assert_string_equal(d.rule, "rate_limit");
	assert_string_equal(d.detail, "limit=s key=sender:someone@other.example messages=1/1 "
	    "per=60 store=memory");
	message(s, NULL, "<>", &d);
	assert_false(d.would_reject);
	message(s, NULL, "<>", &d);
	assert_true(d.would_reject);
	assert_string_equal(d.detail, "limit=s key=sender:<> messages=1/1 per=60 store=memory");
}

/* report_only: a first recipient refused by another check (continued as
 * would-reject) does not make the message's next recipient "not the
 * first": the message is still counted once. */
static void
test_report_only_counts_message_once(void **state)
{
	struct session *s = open_session("report_only = true;\n"
	    "recipients = { deny = [ \"@blocked.example\" ]; };\n"
	    "rate_limits = ( { name = \"m\"; key = \"login\"; messages = 1; per = 60; } );");
	struct decision d;

	(void)state;
	session_connect(s, "unknown", "192.0.2.9", NULL, 1, &d, NULL);
	session_mail(s, "jdoe", "<john.doe@acme.com>", NULL, &d, NULL);
	session_rcpt(s, "<x@blocked.example>", &d, NULL);
	assert_true(d.would_reject);
	assert_string_equal(d.rule, "recipient_lists");
	session_rcpt(s, "<bob@remote.example>", &d, NULL);
	assert_false(d.would_reject);
	session_message_reset(s);
	message(s, "jdoe", "<john.doe@acme.com>", &d);
	assert_true(d.would_reject);
	assert_string_equal(d.detail, "limit=m key=login:jdoe messages=1/1 per=60 store=memory");
}

/* ---- Redis URIs ---- */

static void
test_redis_uris(void **state)
{
	struct redis_uri u;
	char why[256];

	(void)state;
	assert_int_equal(rate_redis_parse_uri("redis://127.0.0.1:6380/2", &u, why, sizeof(why)), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 6380);
	assert_int_equal(u.db, 2);
	assert_int_equal(rate_redis_parse_uri("redis://[::1]", &u, why, sizeof(why)), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 6379);
	assert_int_equal(u.db, 0);
	assert_int_equal(rate_redis_parse_uri("redis://redis.acme.com/", &u, why, sizeof(why)), 0);
	assert_string_equal(u.host, "redis.acme.com");
	assert_int_equal(rate_redis_parse_uri("unix:/run/redis/redis.sock", &u, why, sizeof(why)), 0);
	assert_string_equal(u.path, "/run/redis/redis.sock");
	static const char *const bad[] = {
		"redis://", "redis://h:0", "redis://h:65536", "redis://h:x", "redis://h/x",
		"redis://h/1/2", "redis://[::1", "rediss://h", "http://h", "redis://u:p@h",
		"unix:relative", "redis://h:6379x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rate_redis_parse_uri(bad[i], &u, why, sizeof(why)) != -1)
			fail_msg("\"%s\" was accepted", bad[i]);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(policy_path, sizeof(policy_path), "%s/policy.conf", tmpdir);
	snprintf(dir_path, sizeof(dir_path), "%s/directory.conf", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(policy_path);
	unlink(dir_path);
	rmdir(tmpdir);
	rate_memory_clear();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_slides),
		cmocka_unit_test(test_window_never_exceeded),
		cmocka_unit_test(test_all_or_nothing_and_peek),
		cmocka_unit_test(test_table_bounded),
		cmocka_unit_test_teardown(test_login_limit_reply_and_detail, test_teardown),
		cmocka_unit_test_teardown(test_client_limit_ipv6_prefix_and_exempt, test_teardown),
		cmocka_unit_test_teardown(test_sender_limit_exempt_login_report_only, test_teardown),
		cmocka_unit_test_teardown(test_report_only_counts_message_once, test_teardown),
		cmocka_unit_test(test_redis_uris),
	};

	log_set_level(LOG_LEVEL_ERR);
	return cmocka_run_group_tests(tests, setup, teardown);
}

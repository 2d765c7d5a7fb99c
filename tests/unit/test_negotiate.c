/*
 * test_negotiate.c - negotiate.c: which milter steps and macros a policy
 * needs. Each row loads a policy file and checks the whole plan: headers,
 * body, and the exact macro list of every stage.
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
#include "negotiate.h"
#include "unit_files.h"

#define BASE "local_domains = [ \"acme.com\" ];\n" \
    "directory = { backend = \"file\"; file = \"directory.conf\"; };\n"
#define WARN "log_level = \"warn\";\n"
/* profiles start from the base: a base without header check */
#define NOHDR WARN BASE "verify_sender = { headers = false; };\n"

struct nrow {
	const char *label, *text;
	bool headers, body;
	const char *connect;           /* the connect-stage macros */
	bool data;                     /* DATA: inet:, or a message may be accepted there */
};

static const struct nrow rows[] = {
	{ "warn, envelope checks only: no header, no body", WARN BASE
	    "verify_sender = { envelope = true; headers = false; };\n", false, false, "", false },
	/* DATA: an unauthenticated sender's message is accepted there */
	{ "warn, the defaults (verify_sender.headers is on)", WARN BASE, true, false, "", true },
	{ "info (the default): the log line's msgid= and size= need both", BASE, true, true, "", false },
	{ "verify_sender.headers: headers, no body", WARN BASE
	    "verify_sender = { envelope = true; headers = true; };\n", true, false, "", true },
	/* every message is counted whole: no DATA */
	{ "sender.max_message_size: headers and body (the size counts both)", WARN BASE
	    "sender = { max_message_size = 1000; };\n", true, true, "", false },
	{ "a size limit in the base and every profile: no DATA", WARN BASE
	    "sender = { max_message_size = 1000; };\n"
	    "profiles = ( { daemon_name = \"sub\"; sender = { max_message_size = 10; }; } );\n",
	    true, true, "{daemon_name}", false },
	{ "a profile's header check counts; profiles need {daemon_name}", NOHDR
	    "profiles = ( { daemon_name = \"sub\"; verify_sender = { headers = true; }; } );\n",
	    true, false, "{daemon_name}", true },
	{ "a profile's size limit counts", NOHDR
	    "profiles = ( { daemon_name = \"sub\"; sender = { max_message_size = 10; }; } );\n",
	    true, true, "{daemon_name}", true },
	{ "a profile without either: still {daemon_name}", NOHDR
	    "profiles = ( { daemon_name = \"sub\"; relay = { enforce = \"all\"; }; } );\n",
	    false, false, "{daemon_name}", false },
	{ "trusted_relays: the client is in the topmost Received:, judged at end of headers", NOHDR
	    "trusted_relays = [ \"192.0.2.25\" ];\n", true, false, "", true },
	{ "a profile's trusted_relays counts", NOHDR
	    "profiles = ( { daemon_name = \"dmz\"; trusted_relays = [ \"192.0.2.25\" ]; } );\n",
	    true, false, "{daemon_name}", true },
	{ "an inet: socket: DATA, with a reply (no delayed-ACK stall)", NOHDR
	    "milter = { socket = \"inet:10025@127.0.0.1\"; };\n", false, false, "", true },
	{ "an inet6: socket: DATA too", NOHDR
	    "milter = { socket = \"inet6:10025@[::1]\"; };\n", false, false, "", true },
	{ "a local: socket: no DATA", NOHDR
	    "milter = { socket = \"local:/run/rw.sock\"; };\n", false, false, "", false },
};

static char tmpdir[] = "/tmp/rw-test-negotiate.XXXXXX";
static char policy_path[300], dir_path[300];

static int
group_setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(policy_path, sizeof(policy_path), "%s/p.conf", tmpdir);
	snprintf(dir_path, sizeof(dir_path), "%s/directory.conf", tmpdir);
	unit_write_file(dir_path, "users = ( );\n");
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(policy_path);
	unlink(dir_path);
	return rmdir(tmpdir);
}

static void
test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		const struct nrow *r = &rows[i];
		struct errlist errs = { 0 };
		struct negotiate_plan plan;

		unit_write_file(policy_path, r->text);
		struct policy *p = config_load(policy_path, &errs);
		for (size_t e = 0; e < errs.count; e++)
			fprintf(stderr, "%s: %s\n", r->label, errs.lines[e]);
		errlist_clear(&errs);
		assert_non_null(p);
		memset(&plan, 0x5a, sizeof(plan));
		negotiate_plan(p, &plan);
		fprintf(stderr, "# %s\n", r->label);
		assert_int_equal(plan.headers, r->headers);
		assert_int_equal(plan.body, r->body);
		assert_int_equal(plan.data, r->data);
		assert_string_equal(plan.macros[NEGOTIATE_CONNECT], r->connect);
		/* the same for every policy: what session.c and the log lines read */
		assert_string_equal(plan.macros[NEGOTIATE_HELO], "");
		assert_string_equal(plan.macros[NEGOTIATE_MAIL], "i {auth_authen}");
		assert_string_equal(plan.macros[NEGOTIATE_RCPT], "i");
		assert_string_equal(plan.macros[NEGOTIATE_DATA], "");
		assert_string_equal(plan.macros[NEGOTIATE_EOH], "i");
		/* the queue id comes at EOH, or at EOM when there is no EOH */
		assert_string_equal(plan.macros[NEGOTIATE_EOM], r->headers ? "" : "i");
		config_free(p);
	}
}

/* CONNECT without a reply: unix: sockets, and no connection control in
 * the base or any profile (each can refuse at connect). */
static const struct {
	const char *label, *text;
	bool reply;
} connect_rows[] = {
	{ "no connection control: no reply", NOHDR, false },
	{ "inet: always a reply (no stall)", NOHDR
	    "milter = { socket = \"inet:10025@127.0.0.1\"; };\n", true },
	{ "max_sessions", NOHDR "connection = { max_sessions = 10; };\n", true },
	{ "deny_hosts", NOHDR "connection = { deny_hosts = [ \"192.0.2.1\" ]; };\n", true },
	{ "allow_hosts", NOHDR "connection = { allow_hosts = [ \"192.0.2.0/24\" ]; };\n", true },
	{ "a DNS list", NOHDR "dns = { servers = [ \"127.0.0.1:53\" ]; };\n"
	    "connection = { dnsbl = ( { zone = \"bl.example\"; action = \"log\"; } ); };\n", true },
	{ "a profile's deny_hosts", NOHDR "profiles = ( { daemon_name = \"sub\"; "
	    "connection = { deny_hosts = [ \"192.0.2.1\" ]; }; } );\n", true },
	{ "a profile without any", NOHDR "profiles = ( { daemon_name = \"sub\"; "
	    "connection = { require_auth = true; }; } );\n", false },
};

static void
test_connect_reply(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(connect_rows) / sizeof(*connect_rows); i++) {
		struct errlist errs = { 0 };
		struct negotiate_plan plan;

		unit_write_file(policy_path, connect_rows[i].text);
		struct policy *p = config_load(policy_path, &errs);
		for (size_t e = 0; e < errs.count; e++)
			fprintf(stderr, "%s: %s\n", connect_rows[i].label, errs.lines[e]);
		errlist_clear(&errs);
		assert_non_null(p);
		negotiate_plan(p, &plan);
		fprintf(stderr, "# %s\n", connect_rows[i].label);
		assert_int_equal(plan.connect_reply, connect_rows[i].reply);
		config_free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_connect_reply),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

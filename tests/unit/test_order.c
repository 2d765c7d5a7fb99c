/*
 * test_order.c - the order of the steps inside each stage (session.c): the
 * directory is asked only after every cheap check of its stage passed, and
 * its unavailable and on_failure = "accept" answers give the decisions
 * DESIGN §5 promises. A stand-in directory (unit_directory.h) gives a fixed
 * answer and counts the lookups; every row asserts the decision and the
 * exact number of login and recipient lookups.
 *
 * Fixed facts: local_domains = acme.com; relay denied to and from "*"; the
 * client is unknown[203.0.113.5] (external).
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
#include "session.h"
#include "unit_directory.h"
#include "unit_files.h"

struct row {
	const char *label;
	const char *extra;            /* more top-level policy lines */
	bool accept_on_failure;       /* directory.on_failure = "accept" */
	enum lookup_result answer;    /* the stand-in's answer */
	enum recipient_kind kind;
	const char *auth;             /* {auth_authen}, NULL: none */
	const char *from;
	const char *rcpt;             /* NULL: the row judges MAIL */
	int nrcpt;                    /* RCPTs of rcpt judged (0 = 1); the last is checked */
	enum decision_action act;
	const char *rule;             /* NULL: none */
	const char *reply;            /* NULL: not checked */
	unsigned logins, recipients;  /* lookups the stand-in must have seen */
};

#define VERIFY_LOCAL "recipients = { verify_local = true; deny = [ \"john.doe@acme.com\" ]; };"
#define UNAVAILABLE "451 4.7.1 Directory unavailable, try again later"

static const struct row rows[] = {
	{ "RCPT: recipients.deny refuses, the directory is not asked (it is down)", VERIFY_LOCAL,
	  false, LOOKUP_TEMPFAIL, RECIPIENT_PERSON, NULL, "<a@example.org>",
	  "<john.doe@acme.com>", 0, DECISION_REJECT, "recipient_lists",
	  "550 5.7.1 Recipient rejected for policy reasons.", 0, 0 },
	{ "RCPT: a recipient the lists pass is looked up; down -> 451 4.7.1", VERIFY_LOCAL, false,
	  LOOKUP_TEMPFAIL, RECIPIENT_PERSON, NULL, "<a@example.org>", "<alice@acme.com>", 0,
	  DECISION_TEMPFAIL, "directory", UNAVAILABLE, 0, 1 },
	{ "RCPT: down with on_failure = accept -> continue, rule directory", VERIFY_LOCAL, true,
	  LOOKUP_TEMPFAIL, RECIPIENT_PERSON, NULL, "<a@example.org>", "<alice@acme.com>", 0,
	  DECISION_CONTINUE, "directory", NULL, 0, 1 },
	{ "RCPT: a relay refusal never asks", VERIFY_LOCAL, false, LOOKUP_TEMPFAIL,
	  RECIPIENT_PERSON, NULL, "<a@example.org>", "<x@ibm.com>", 0, DECISION_REJECT, "relay",
	  "554 5.7.1 Relay rejected for policy reasons.", 0, 0 },
	{ "RCPT: a strict-syntax refusal never asks",
	  VERIFY_LOCAL " sender = { strict_syntax = true; };", false, LOOKUP_TEMPFAIL,
	  RECIPIENT_PERSON, NULL, "<a@example.org>", "alice@acme.com", 0, DECISION_REJECT,
	  "strict_syntax", NULL, 0, 0 },
	{ "RCPT: recipients.max reached never asks for the extra one",
	  "recipients = { verify_local = true; max = 1; };", false, LOOKUP_FOUND, RECIPIENT_PERSON,
	  NULL, "<a@example.org>", "<alice@acme.com>", 2, DECISION_TEMPFAIL, "max_recipients",
	  "452 4.5.3 Too many recipients", 0, 1 },
	{ "RCPT: not in the directory -> 550 5.1.1", VERIFY_LOCAL, false, LOOKUP_NOTFOUND,
	  RECIPIENT_PERSON, NULL, "<a@example.org>", "<alice@acme.com>", 0, DECISION_REJECT,
	  "verify_local", "550 5.1.1 No such user here", 0, 1 },
	{ "RCPT: a group, deny_groups = all -> 550", "recipients = { deny_groups = \"all\"; };",
	  false, LOOKUP_FOUND, RECIPIENT_GROUP, NULL, "<a@example.org>", "<sales@acme.com>", 0,
	  DECISION_REJECT, "deny_groups", "550 5.7.1 Mail to groups is not accepted.", 0, 1 },
	{ "RCPT: no directory control on: never asks", "", false, LOOKUP_TEMPFAIL,
	  RECIPIENT_PERSON, NULL, "<a@example.org>", "<alice@acme.com>", 0, DECISION_CONTINUE,
	  NULL, NULL, 0, 0 },
	{ "MAIL: sender.deny refuses before the login is looked up",
	  "sender = { deny = [ \"@spam.example\" ]; };", false, LOOKUP_TEMPFAIL, RECIPIENT_PERSON,
	  "jdoe", "<x@spam.example>", NULL, 0, DECISION_REJECT, "sender_lists", NULL, 0, 0 },
	{ "MAIL: strict syntax refuses before the login is looked up",
	  "sender = { strict_syntax = true; };", false, LOOKUP_TEMPFAIL, RECIPIENT_PERSON, "jdoe",
	  "john.doe@acme.com", NULL, 0, DECISION_REJECT, "strict_syntax", NULL, 0, 0 },
	{ "MAIL: authenticated, directory down -> 451 4.7.1", "", false, LOOKUP_TEMPFAIL,
	  RECIPIENT_PERSON, "jdoe", "<john.doe@acme.com>", NULL, 0, DECISION_TEMPFAIL,
	  "directory", UNAVAILABLE, 1, 0 },
	{ "MAIL: authenticated, down with on_failure = accept -> continue", "", true,
	  LOOKUP_TEMPFAIL, RECIPIENT_PERSON, "jdoe", "<john.doe@acme.com>", NULL, 0,
	  DECISION_CONTINUE, "directory", NULL, 1, 0 },
	{ "MAIL: authenticated, owned -> continue after one lookup", "", false, LOOKUP_FOUND,
	  RECIPIENT_PERSON, "jdoe", "<john.doe@acme.com>", NULL, 0, DECISION_CONTINUE, NULL,
	  NULL, 1, 0 },
	{ "MAIL: authenticated, not owned -> 550 5.7.1", "", false, LOOKUP_FOUND,
	  RECIPIENT_PERSON, "jdoe", "<alice@acme.com>", NULL, 0, DECISION_REJECT, "verify_sender",
	  "550 5.7.1 Sender address rejected: not owned by authenticated user", 1, 0 },
	{ "MAIL: not authenticated: never asks", "", false, LOOKUP_TEMPFAIL, RECIPIENT_PERSON,
	  NULL, "<john.doe@acme.com>", NULL, 0, DECISION_CONTINUE, NULL, NULL, 0, 0 },
};

/* The stand-in finds the login and owns john.doe@acme.com, but could not
 * read its groups (as a server that refuses the in-chain matching rule). */
struct group_row {
	struct row row;
	const char *groups_error;
};

#define GROUP_SEND_AS "verify_sender = { group_send_as = true; };"
#define NO_GROUPS "ldap://dc1/: Critical extension is unavailable"

static const struct group_row group_rows[] = {
	{ { "MAIL: groups unavailable, the user's own address passes", GROUP_SEND_AS, false,
	    LOOKUP_FOUND, RECIPIENT_PERSON, "jdoe", "<john.doe@acme.com>", NULL, 0,
	    DECISION_CONTINUE, NULL, NULL, 1, 0 }, NO_GROUPS },
	{ { "MAIL: groups unavailable, an address only a group could own -> 451 4.7.1",
	    GROUP_SEND_AS, false, LOOKUP_FOUND, RECIPIENT_PERSON, "jdoe", "<sales@acme.com>",
	    NULL, 0, DECISION_TEMPFAIL, "directory", UNAVAILABLE, 1, 0 }, NO_GROUPS },
	{ { "MAIL: groups unavailable, on_failure = accept -> continue, rule directory",
	    GROUP_SEND_AS, true, LOOKUP_FOUND, RECIPIENT_PERSON, "jdoe", "<sales@acme.com>", NULL,
	    0, DECISION_CONTINUE, "directory", NULL, 1, 0 }, NO_GROUPS },
	{ { "MAIL: groups unavailable but group_send_as off -> not owned", "", false,
	    LOOKUP_FOUND, RECIPIENT_PERSON, "jdoe", "<sales@acme.com>", NULL, 0, DECISION_REJECT,
	    "verify_sender", "550 5.7.1 Sender address rejected: not owned by authenticated user",
	    1, 0 }, NO_GROUPS },
};

static struct policy *
load(const struct row *r, char *dir)
{
	char path[512], text[2048];
	struct errlist errs = { 0 };

	snprintf(path, sizeof(path), "%s/p.conf", dir);
	snprintf(text, sizeof(text),
	    "local_domains = [ \"acme.com\" ];\n"
	    "relay = { deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n"
	    "%s\n"
	    "directory = { backend = \"file\"; file = \"d.conf\"; on_failure = \"%s\"; };\n",
	    r->extra, r->accept_on_failure ? "accept" : "tempfail");
	unit_write_file(path, text);
	snprintf(path, sizeof(path), "%s/d.conf", dir);
	unit_write_file(path, "users = ( );\n");
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	struct policy *p = config_load(path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		print_error("config: %s\n", errs.lines[i]);
	errlist_clear(&errs);
	assert_non_null(p);
	return p;
}

static void
run(const struct row *r, const char *groups_error)
{
	char dir[] = "/tmp/rw-order.XXXXXX";
	struct unit_directory stand_in = { r->answer, r->kind, "john.doe@acme.com", 0, 0,
		groups_error };
	struct directory with = { &unit_directory_ops, &stand_in };
	struct decision d;

	assert_non_null(mkdtemp(dir));
	struct policy *p = load(r, dir);
	struct directory *real = unit_directory_swap(p, &with);
	struct session *s = session_new(p);
	session_connect(s, "unknown", "203.0.113.5", NULL, 1, &d, NULL);
	assert_int_equal(d.action, DECISION_CONTINUE);
	session_mail(s, r->auth, r->from, NULL, &d, NULL);
	for (int i = 0; r->rcpt != NULL && i < (r->nrcpt ? r->nrcpt : 1); i++)
		session_rcpt(s, r->rcpt, &d, NULL);
	if (d.action != r->act || (r->rule ? d.rule == NULL || strcmp(d.rule, r->rule) != 0 :
	    d.rule != NULL))
		fail_msg("action %d rule %s, expected %d rule %s (reason %s)", d.action,
		    d.rule ? d.rule : "-", r->act, r->rule ? r->rule : "-", d.reason ? d.reason : "-");
	if (r->reply != NULL) {
		char text[512], want[512];
		assert_non_null(d.reply);
		session_reply_text(s, &d, text, sizeof(text));
		snprintf(want, sizeof(want), "%s %s %s", d.reply->code, d.reply->xcode, text);
		assert_string_equal(want, r->reply);
	}
	if (stand_in.logins != r->logins || stand_in.recipients != r->recipients)
		fail_msg("the directory was asked %u login(s), %u recipient(s); expected %u, %u",
		    stand_in.logins, stand_in.recipients, r->logins, r->recipients);
	session_free(s);
	unit_directory_swap(p, real);
	config_free(p);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
run_row(void **state)
{
	run(*state, NULL);
}

static void
run_group_row(void **state)
{
	const struct group_row *g = *state;

	run(&g->row, g->groups_error);
}

int
main(void)
{
	size_t nrows = sizeof(rows) / sizeof(rows[0]), n = 0;
	struct CMUnitTest tests[sizeof(rows) / sizeof(rows[0]) +
	    sizeof(group_rows) / sizeof(group_rows[0])];

	log_set_level(LOG_LEVEL_ERR);
	for (size_t i = 0; i < nrows; i++)
		tests[n++] = (struct CMUnitTest){ rows[i].label, run_row, NULL, NULL,
			(void *)&rows[i] };
	for (size_t i = 0; i < sizeof(group_rows) / sizeof(group_rows[0]); i++)
		tests[n++] = (struct CMUnitTest){ group_rows[i].row.label, run_group_row, NULL, NULL,
			(void *)&group_rows[i] };
	return cmocka_run_group_tests_name("stage order and directory answers", tests, NULL, NULL);
}

/*
 * test_hostile.c - the hostile-input corpus (tests/hostile/corpus.txt)
 * through the real session path: config_load, session_connect, _mail,
 * _rcpt, _header, _eoh - the code the milter runs.
 *
 * Every line names the stage, the login, the attacker's bytes and the
 * verdict DESIGN §2/§4 require. All mismatches are listed with their line
 * numbers before the test fails; a wrong accept (relaying without
 * permission, or sending as an address not owned) is called out as such.
 * Run from the repository root (make unit does).
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
#include "session.h"

#define CORPUS "tests/hostile/corpus.txt"
#define FIELDS 6

static const char policy_text[] =
    "local_domains = [ \"acme.com\" ];\n"
    "internal_networks = [ \"10.20.0.0/16\" ];\n"
    "relay = { enforce = \"external\"; authenticated = \"allow\"; hidden_routes = \"reject\";\n"
    "  deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n"
    "verify_sender = { envelope = true; headers = true; null_sender = \"reject\";\n"
    "  recipient_delimiter = \"+\"; };\n"
    "directory = { backend = \"file\"; file = \"directory.conf\"; };\n";

static const char directory_text[] =
    "users = (\n"
    "  { login = \"jdoe\"; names = [ \"John Doe\", \"John Doe/Acme\" ];\n"
    "    addresses = [ \"john.doe@acme.com\", \"jd@acme.com\" ];\n"
    "    send_as = [ \"sales@acme.com\" ]; },\n"
    "  { login = \"asmith\"; names = [ \"Alice Smith\" ];\n"
    "    addresses = [ \"alice.smith@acme.com\" ]; } );\n"
    "groups = ( { name = \"Sales\"; addresses = [ \"sales@acme.com\" ];\n"
    "  members = [ \"jdoe\" ]; } );\n";

struct hcase {
	int line;
	char *f[FIELDS];   /* stage, auth, input, expect, rule, why (decoded) */
};

static char tmpdir[] = "/tmp/rw-test-hostile.XXXXXX";
static char policy_path[300], dir_path[300];
static struct policy *policy;

/* Decodes \xHH, \r, \n, \t, \\, \| in place; a NUL byte ends the string. */
static void
unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p != '\\' || p[1] == '\0') {
			*o++ = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'r': *o++ = '\r'; break;
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'x': {
			char hex[3] = { p[1], p[1] ? p[2] : '\0', '\0' };
			*o++ = (char)strtol(hex, NULL, 16);
			p += 2;
			break;
		}
		default: *o++ = *p; break;
		}
	}
	*o = '\0';
}

/* Splits on unescaped '|'. Returns the number of fields. */
static int
split(char *line, char **f)
{
	int n = 0;

	f[n++] = line;
	for (char *p = line; *p && n < FIELDS; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '|') {
			*p = '\0';
			f[n++] = p + 1;
		}
	}
	return n;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static const char *
action_word(enum decision_action a)
{
	return a == DECISION_CONTINUE ? "accept" : a == DECISION_REJECT ? "reject" : "tempfail";
}

/* Headers are separated by a newline that does not start a folded line. */
static void
run_headers(struct session *s, char *text, struct decision *d)
{
	char *h = text;

	while (h != NULL && *h != '\0') {
		char *end = h;
		while ((end = strchr(end, '\n')) != NULL && (end[1] == ' ' || end[1] == '\t'))
			end++;
		if (end != NULL)
			*end = '\0';
		char *colon = strchr(h, ':');
		if (colon != NULL) {
			*colon = '\0';
			session_header(s, h, colon + 1 + strspn(colon + 1, " "));
		}
		h = end != NULL ? end + 1 : NULL;
	}
	session_eoh(s, d, NULL);
}

/* Runs one case; returns the step's decision. */
static void
run_case(struct hcase *c, struct decision *d)
{
	const char *stage = c->f[0], *auth = strcmp(c->f[1], "-") == 0 ? NULL : c->f[1];
	struct session *s = session_new(policy);

	session_connect(s, "unknown", "203.0.113.5", "smtp", 1, d, NULL);
	if (strcmp(stage, "rcpt") == 0) {
		session_mail(s, NULL, "<sender@example.org>", NULL, d, NULL);
		session_rcpt(s, c->f[2], d, NULL);
	} else if (strcmp(stage, "mail") == 0) {
		session_mail(s, auth, c->f[2], NULL, d, NULL);
	} else {
		session_mail(s, auth, "<john.doe@acme.com>", NULL, d, NULL);
		session_rcpt(s, "<x@ibm.com>", d, NULL);
		run_headers(s, c->f[2], d);
	}
	session_free(s);
}

static bool
check_case(struct hcase *c, unsigned *wrong_accepts)
{
	struct decision d;
	char shown[160];

	run_case(c, &d);
	const char *rule = d.rule ? d.rule : "-";
	if (strcmp(action_word(d.action), c->f[3]) == 0 && strcmp(rule, c->f[4]) == 0)
		return true;
	bool wrong_accept = d.action == DECISION_CONTINUE && strcmp(c->f[3], "reject") == 0;
	*wrong_accepts += wrong_accept;
	snprintf(shown, sizeof(shown), "%s", c->f[2]);
	for (char *p = shown; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	print_message("%s:%d: %s%s %s by %s: got %s rule=%s, expected %s rule=%s (%s)\n", CORPUS,
	    c->line, wrong_accept ? "WRONG ACCEPT: " : "", c->f[0], shown, c->f[1],
	    action_word(d.action), rule, c->f[3], c->f[4], c->f[5]);
	return false;
}

static void
test_corpus(void **state)
{
	FILE *f = fopen(CORPUS, "r");
	char buf[8192];
	unsigned cases = 0, failures = 0, wrong = 0;
	int line = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f) != NULL) {
		struct hcase c = { ++line, { 0 } };
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] == '#' || buf[0] == '\0')
			continue;
		if (split(buf, c.f) != FIELDS)
			fail_msg("%s:%d: expected %d fields", CORPUS, line, FIELDS);
		for (int i = 0; i < FIELDS; i++)
			unescape(c.f[i]);
		cases++;
		failures += !check_case(&c, &wrong);
	}
	fclose(f);
	print_message("%u hostile cases, %u mismatches, %u wrong accepts\n", cases, failures, wrong);
	assert_true(cases >= 500);
	assert_int_equal(wrong, 0);
	assert_int_equal(failures, 0);
}

static int
setup(void **state)
{
	struct errlist errs = { 0 };

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(policy_path, sizeof(policy_path), "%s/p.conf", tmpdir);
	snprintf(dir_path, sizeof(dir_path), "%s/directory.conf", tmpdir);
	write_file(policy_path, policy_text);
	write_file(dir_path, directory_text);
	log_set_level(LOG_LEVEL_ERR);
	policy = config_load(policy_path, &errs);
	errlist_clear(&errs);
	return policy == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	policy_free(policy);
	unlink(policy_path);
	unlink(dir_path);
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_corpus) };

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_idn.c - idn.c's conversion table, and U-label/A-label pairs judged
 * identically in every list of the policy (through config_load and the
 * session path, as the milter runs them), and verify_sender.headers_rule
 * with on-behalf grants of the file directory.
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

#include "compat.h"
#include "config.h"
#include "idn.h"
#include "log.h"
#include "session.h"
#include "unit_files.h"

#define U "b\xc3\xbc" "cher.example"        /* bücher.example */
#define UU "B\xc3\x9c" "CHER.EXAMPLE"       /* BÜCHER.EXAMPLE */
#define A "xn--bcher-kva.example"

/* ---- the conversion ---- */

struct conv_row {
	const char *label, *in, *out;     /* out NULL: invalid */
	bool idna_error;                  /* invalid as IDNA (a malformed address) */
};

static const struct conv_row conv_rows[] = {
	{ "U-label", U, A, false },
	{ "upper-case U-label", UU, A, false },
	{ "A-label", A, A, false },
	{ "upper-case A-label", "XN--BCHER-KVA.Example", A, false },
	{ "mixed U-label and A-label", "xn--bcher-kva.m\xc3\xbcnchen.example",
	    "xn--bcher-kva.xn--mnchen-3ya.example", false },
	{ "decomposed input is NFC-normalised", "bu\xcc\x88" "cher.example", A, false },
	{ "sharp s kept (non-transitional)", "fu\xc3\x9f.de", "xn--fu-hia.de", false },
	{ "right-to-left label", "\xd7\x90\xd7\x91\xd7\x92" "1.example", "xn--1-zhcde.example", false },
	{ "ASCII lower-cased", "ACME.Com", "acme.com", false },
	{ "ASCII underscore kept", "my_host.acme.com", "my_host.acme.com", false },
	{ "ASCII R-LDH label kept", "ab--cd.example", "ab--cd.example", false },
	{ "malformed Punycode", "xn--zz.example", NULL, true },
	{ "A-label decoding to nothing valid", "xn--a.example", NULL, true },
	{ "empty A-label", "xn--.example", NULL, true },
	{ "A-label of a disallowed code point", "xn--ls8h.la", NULL, true },
	{ "A-label of an upper-case letter", "xn--bce.example", NULL, true },
	{ "disallowed code point (emoji)", "\xf0\x9f\x92\xa9.la", NULL, true },
	{ "full-width dot", "acme\xef\xbc\x8e" "com", NULL, true },
	{ "ideographic full stop", "acme\xe3\x80\x82" "com", NULL, true },
	{ "zero-width space", "acme.com\xe2\x80\x8b", NULL, true },
	{ "soft hyphen", "acme\xc2\xad.com", NULL, true },
	{ "full-width letters", "\xef\xbd\x81\xef\xbd\x83\xef\xbd\x8d\xef\xbd\x85.com", NULL, true },
	{ "no-break space", "acme.com\xc2\xa0", NULL, true },
	{ "bidi: right-to-left with a left-to-right letter", "\xd7\x90\xd7\x91" "a.example", NULL,
	    true },
	{ "leading hyphen", "-b\xc3\xbc" "cher.example", NULL, true },
	{ "trailing hyphen", "b\xc3\xbc" "cher-.example", NULL, true },
	{ "hyphens 3 and 4 in a U-label", "ab--b\xc3\xbc" "cher.example", NULL, true },
	{ "invalid UTF-8", "b\xc3\xbc" "cher.exa\xff" "mple", NULL, true },
	{ "empty label", "b\xc3\xbc" "cher..example", NULL, true },
	{ "ASCII invalid character", "acme!.com", NULL, false },
	{ "ASCII label of 64 bytes",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", NULL, false },
};

static void
test_conversion(void **state)
{
	(void)state;
	for (size_t i = 0; i < RW_NELEM(conv_rows); i++) {
		const struct conv_row *r = &conv_rows[i];
		char out[IDN_DOMAIN_MAX + 1];
		const char *err = idn_domain_to_ascii(r->in, strlen(r->in), out, sizeof(out));
		if (r->out != NULL && (err != NULL || strcmp(out, r->out) != 0))
			fail_msg("%s: got \"%s\" (%s), want \"%s\"", r->label, out, err ? err : "ok",
			    r->out);
		if (r->out == NULL && (err == NULL || out[0] != '\0'))
			fail_msg("%s: accepted as \"%s\", want invalid", r->label, out);
		if (r->out == NULL && idn_error_is_idna(err) != r->idna_error)
			fail_msg("%s: \"%s\" is%s an IDNA error", r->label, err,
			    r->idna_error ? " not" : "");
	}
}

static void
test_display(void **state)
{
	char buf[128];

	(void)state;
	idn_domain_display(A, buf, sizeof(buf));
	assert_string_equal(buf, U " (" A ")");
	idn_domain_display("acme.com", buf, sizeof(buf));
	assert_string_equal(buf, "acme.com");
	assert_true(idn_domain_is_international("a." A));
	assert_false(idn_domain_is_international("xnx--a.example"));
}

struct fold_row {
	const char *label, *in, *out;
};

static const struct fold_row fold_rows[] = {
	{ "ASCII", "John.Doe", "john.doe" },
	{ "UTF-8 upper case", "J\xc3\x96RG", "j\xc3\xb6rg" },
	{ "decomposed", "jo\xcc\x88rg", "j\xc3\xb6rg" },
	{ "sharp s folds (Postfix casefold)", "Stra\xc3\x9f" "e", "strasse" },
	{ "Greek final sigma folds", "\xce\xa3\xce\xbf\xcf\x82", "\xcf\x83\xce\xbf\xcf\x83" },
	{ "invalid UTF-8: bytes, ASCII folded", "AB\xff", "ab\xff" },
};

static void
test_local_fold(void **state)
{
	char out[64];

	(void)state;
	for (size_t i = 0; i < RW_NELEM(fold_rows); i++) {
		const struct fold_row *r = &fold_rows[i];
		size_t n = idn_local_fold(r->in, strlen(r->in), out, sizeof(out));
		if (n == (size_t)-1 || strcmp(out, r->out) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", r->label, n == (size_t)-1 ? "(none)" : out,
			    r->out);
	}
	assert_int_equal(idn_local_fold("abc", 3, out, 3), (size_t)-1);
}

/* ---- U-label / A-label pairs in every list ---- */

static char tmpdir[] = "/tmp/rw-test-idn.XXXXXX";

static const char base_policy[] =
    "directory = { backend = \"file\"; file = \"directory.conf\"; };\n";
/* Unless a row brings its own local_domains: one that no row sends to (an
 * empty list is a check error with relay enforcement on). */
static const char other_local[] = "local_domains = [ \"other.example\" ];\n";
/* Unless a row brings its own relay section: a closed relay. */
static const char closed_relay[] =
    "relay = { deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n";

static const char directory_text[] =
    "users = (\n"
    "  { login = \"jorg\"; addresses = [ \"J\xc3\x96RG@%s\" ]; },\n"
    "  { login = \"ceo\"; addresses = [ \"ceo@%s\" ]; on_behalf = [ \"assistant\" ]; },\n"
    "  { login = \"assistant\"; addresses = [ \"assistant@%s\" ]; }\n"
    ");\n";

/* text with every "%s" replaced by as. */
static void
subst(const char *text, const char *as, char *out, size_t len)
{
	size_t n = 0;

	for (const char *c = text; *c && n + strlen(as) + 1 < len; c++) {
		if (c[0] == '%' && c[1] == 's') {
			memcpy(out + n, as, strlen(as));
			n += strlen(as);
			c++;
		} else {
			out[n++] = *c;
		}
	}
	out[n] = '\0';
}

/* Loads base_policy + extra and the directory, every "%s" of both written
 * as the domain `as`. */
static struct policy *
load(const char *extra, const char *as)
{
	char path[300], text[2048], body[4096], dir[1024];
	struct errlist errs = { 0 };

	snprintf(text, sizeof(text), "%s%s%s%s", base_policy, strstr(extra, "relay = {") ? "" :
	    closed_relay, strstr(extra, "local_domains") ? "" : other_local, extra);
	subst(text, as, body, sizeof(body));
	snprintf(path, sizeof(path), "%s/p.conf", tmpdir);
	unit_write_file(path, body);
	subst(directory_text, as, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/directory.conf", tmpdir);
	unit_write_file(path, dir);
	snprintf(path, sizeof(path), "%s/p.conf", tmpdir);
	struct policy *p = config_load(path, &errs);
	for (size_t i = 0; p == NULL && i < errs.count; i++)
		print_message("load: %s\n", errs.lines[i]);
	errlist_clear(&errs);
	return p;
}

struct pair_row {
	const char *label;
	const char *extra;          /* policy text; %s is the domain (U, UU or A) */
	const char *auth;           /* NULL: not authenticated */
	const char *from_local;     /* MAIL FROM local part; domain appended */
	const char *rcpt_local;     /* NULL: judge MAIL; else RCPT local part */
	const char *rule;           /* expected rule, "-" = continue */
};

static const struct pair_row pair_rows[] = {
	{ "local_domains: local recipient", "local_domains = [ \"%s\" ];\n", NULL, "x", "j\xc3\xb6rg",
	    "-" },
	{ "local_domains: unauthenticated MAIL, no protection", "local_domains = [ \"%s\" ];\n", NULL, "x",
	    NULL, "-" },
	{ "relay.allow_to_domains", "relay = { deny_from_hosts = [ \"*\" ]; deny_to_domains = "
	    "[ \"*\" ]; allow_to_domains = [ \"%s\" ]; };\n", NULL, "x", "someone", "-" },
	{ "relay.deny_to_domains", "relay = { allow_from_hosts = [ \"203.0.113.5\" ]; deny_wins = "
	    "true; deny_from_hosts = [ \"*\" ]; deny_to_domains = [ \"%s\" ]; };\n", NULL, "x",
	    "someone", "relay" },
	{ "relay.deny_to_domains, another domain passes", "relay = { allow_from_hosts = "
	    "[ \"203.0.113.5\" ]; deny_from_hosts = [ \"*\" ]; deny_to_domains = [ \"%s.x\" ]; };\n",
	    NULL, "x", "someone", "-" },
	{ "sender.deny", "sender = { deny = [ \"@%s\" ]; };\n", NULL, "x", NULL, "sender_lists" },
	{ "sender.allow", "sender = { allow = [ \"j\xc3\xb6rg@%s\" ]; deny = [ \"@%s\" ]; };\n", NULL,
	    "J\xc3\x96RG", NULL, "-" },
	{ "recipients.deny", "local_domains = [ \"%s\" ];\nrecipients = { deny = [ \"x@%s\" ]; };\n",
	    NULL, "y", "X", "recipient_lists" },
	{ "recipients.allow", "local_domains = [ \"%s\" ];\nrecipients = { allow = [ \"x@%s\" ]; };\n",
	    NULL, "y", "z", "recipient_lists" },
	{ "protect_local_senders", "local_domains = [ \"%s\" ];\nprotect_local_senders = true;\n",
	    NULL, "ceo", NULL, "protect_local_senders" },
	{ "protect_local_senders_except", "local_domains = [ \"%s\" ];\nprotect_local_senders = true;"
	    "\nprotect_local_senders_except = [ \"ceo@%s\" ];\n", NULL, "CEO", NULL, "-" },
	{ "owned address (file directory)", "", "jorg", "j\xc3\xb6rg", NULL, "-" },
	{ "owned address, another user's", "", "jorg", "ceo", NULL, "verify_sender" },
	{ "relay.exclude_hosts loads a U-label host", "relay = { exclude_hosts = [ \"%s\" ]; "
	    "deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n", NULL, "x", "someone",
	    "relay" },
};

static const char *
judge(const struct policy *p, const struct pair_row *r, const char *dom)
{
	static char rule[64];
	struct session *s = session_new(p);
	struct decision d;
	char from[256], rcpt[256];

	snprintf(from, sizeof(from), "<%s@%s>", r->from_local, dom);
	snprintf(rcpt, sizeof(rcpt), "<%s@%s>", r->rcpt_local ? r->rcpt_local : "", dom);
	session_connect(s, "unknown", "203.0.113.5", NULL, 1, &d, NULL);
	session_mail(s, r->auth, from, NULL, &d, NULL);
	if (r->rcpt_local != NULL && d.action == DECISION_CONTINUE)
		session_rcpt(s, rcpt, &d, NULL);
	snprintf(rule, sizeof(rule), "%s", d.action == DECISION_CONTINUE ? "-" :
	    d.rule ? d.rule : "?");
	session_free(s);
	return rule;
}

/* Every (written as, sent as) pair of U-label, upper-case U-label and
 * A-label gives the row's verdict. */
static void
test_pairs(void **state)
{
	static const char *const forms[] = { U, UU, A };

	(void)state;
	for (size_t i = 0; i < RW_NELEM(pair_rows); i++) {
		const struct pair_row *r = &pair_rows[i];
		for (size_t w = 0; w < RW_NELEM(forms); w++) {
			struct policy *p = load(r->extra, forms[w]);
			if (p == NULL)
				fail_msg("%s: written as %s: does not load", r->label, forms[w]);
			for (size_t sent = 0; sent < RW_NELEM(forms); sent++) {
				const char *got = judge(p, r, forms[sent]);
				if (strcmp(got, r->rule) != 0)
					fail_msg("%s: written as %s, sent as %s: rule %s, want %s", r->label,
					    forms[w], forms[sent], got, r->rule);
			}
			config_free(p);
		}
	}
}

/* An invalid IDNA domain in the policy is an error naming file:line and key. */
static void
test_config_errors(void **state)
{
	char path[300];
	struct errlist errs = { 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/p.conf", tmpdir);
	unit_write_file(path, "local_domains = [ \"xn--zz.example\" ];\n"
	    "relay = { deny_to_domains = [ \"acme\xef\xbc\x8e" "com\" ]; };\n"
	    "sender = { deny = [ \"@-b\xc3\xbc" "cher.example\" ]; };\n");
	assert_null(config_load(path, &errs));
	assert_true(errs.count >= 3);
	assert_non_null(strstr(errs.lines[0], "p.conf:1: local_domains: "));
	assert_non_null(strstr(errs.lines[0], "xn--zz.example"));
	assert_non_null(strstr(errs.lines[1], "p.conf:2: relay.deny_to_domains: "));
	assert_non_null(strstr(errs.lines[2], "p.conf:3: sender.deny: "));
	errlist_clear(&errs);
}

/* ---- verify_sender.headers_rule ---- */

struct hdr_row {
	const char *label;
	const char *rule_name;       /* headers_rule */
	const char *from, *sender;   /* header values; NULL = absent */
	const char *want_rule;       /* "-" = continue */
	const char *want_detail;     /* substring of the decision's detail, or NULL */
};

static const struct hdr_row hdr_rows[] = {
	{ "domino: Sender: owned, From: the boss", "domino", "ceo@" A, "assistant@" A, "-",
	    "headers_rule=domino checked=Sender:" },
	{ "strict: Sender: owned, From: not granted", "from_and_sender", "jorg@" A, "assistant@" A,
	    "verify_sender", NULL },
	{ "strict: From: granted on behalf, Sender: own", "from_and_sender", "Ceo <ceo@" U ">",
	    "assistant@" A, "-", "headers_rule=from_and_sender on_behalf=<ceo@" A ">" },
	{ "strict: on behalf needs the user's own Sender:", "from_and_sender", "ceo@" A, NULL,
	    "verify_sender", NULL },
	{ "strict: on behalf with someone else's Sender:", "from_and_sender", "ceo@" A,
	    "jorg@" A, "verify_sender", NULL },
	{ "strict: own From: alone", "from_and_sender", "assistant@" U, NULL, "-",
	    "headers_rule=from_and_sender" },
	{ "strict: own From: and own Sender:", "from_and_sender", "assistant@" A, "assistant@" U,
	    "-", "headers_rule=from_and_sender" },
	{ "strict: one From: mailbox granted, one not", "from_and_sender", "ceo@" A ", jorg@" A,
	    "assistant@" A, "verify_sender", NULL },
	{ "strict: several From: without Sender: is malformed", "from_and_sender",
	    "assistant@" A ", ceo@" A, NULL, "verify_sender", "several mailboxes" },
	{ "strict: malformed Sender:", "from_and_sender", "assistant@" A, "<assistant@" A,
	    "verify_sender", NULL },
	{ "strict: only Sender:, owned", "from_and_sender", NULL, "assistant@" A, "-", NULL },
};

static void
test_headers_rule(void **state)
{
	char extra[256];

	(void)state;
	for (size_t i = 0; i < RW_NELEM(hdr_rows); i++) {
		const struct hdr_row *r = &hdr_rows[i];
		snprintf(extra, sizeof(extra), "verify_sender = { headers_rule = \"%s\"; };\n",
		    r->rule_name);
		struct policy *p = load(extra, A);
		assert_non_null(p);
		struct session *s = session_new(p);
		struct decision d;
		session_connect(s, "unknown", "203.0.113.5", NULL, 1, &d, NULL);
		session_mail(s, "assistant", "<assistant@" A ">", NULL, &d, NULL);
		assert_int_equal(d.action, DECISION_CONTINUE);
		if (r->from)
			session_header(s, "From", r->from);
		if (r->sender)
			session_header(s, "Sender", r->sender);
		session_eoh(s, &d, NULL);
		const char *got = d.action == DECISION_CONTINUE ? "-" : d.rule;
		if (strcmp(got, r->want_rule) != 0)
			fail_msg("%s: rule %s (%s), want %s", r->label, got, d.reason ? d.reason : "-",
			    r->want_rule);
		if (r->want_detail && strstr(d.detail, r->want_detail) == NULL)
			fail_msg("%s: detail \"%s\" lacks \"%s\"", r->label, d.detail, r->want_detail);
		session_free(s);
		config_free(p);
	}
}

/* on_behalf naming no user is a directory error with file:line and key. */
static void
test_on_behalf_errors(void **state)
{
	char path[300];
	struct errlist errs = { 0 };

	(void)state;
	snprintf(path, sizeof(path), "%s/directory.conf", tmpdir);
	unit_write_file(path, "users = ( { login = \"ceo\"; addresses = [ \"ceo@acme.com\" ];\n"
	    "  on_behalf = [ \"nobody\" ]; } );\n");
	snprintf(path, sizeof(path), "%s/p.conf", tmpdir);
	unit_write_file(path, "directory = { backend = \"file\"; file = \"directory.conf\"; };\n"
	    "local_domains = [ \"acme.com\" ];\n");
	assert_null(config_load(path, &errs));
	assert_int_equal(errs.count, 1);
	assert_non_null(strstr(errs.lines[0], "directory.conf:2: users.on_behalf: \"nobody\" is "
	    "not a known user"));
	errlist_clear(&errs);
}

static int
setup(void **state)
{
	(void)state;
	log_set_level(LOG_LEVEL_ERR);
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conversion),
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_local_fold),
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_headers_rule),
		cmocka_unit_test(test_on_behalf_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_controls.c - table-driven tests for controls.c, the pure
 * connection, sender and recipient controls of DESIGN §1/§3.
 *
 * One policy file with three profiles is loaded once; each row picks a
 * profile, builds the facts by hand (DNS answers included: the pure side
 * never asks) and calls one function of controls.h, then checks the exact
 * action, rule and reply (with %a / %z expanded as the client reads them).
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
#include "controls.h"
#include "unit_files.h"

enum step { CONNECT, DNSBL, SENDER, DOMAIN, RCPT_SYNTAX, RCPT_LISTS, SIZE };

struct crow {
	const char *label;
	enum step step;
	const char *profile;           /* {daemon_name}; NULL = the base */
	const char *ip, *name;         /* client; ip NULL = 192.0.2.20, "-" = none */
	unsigned count;                /* CONNECT: sessions; RCPT_LISTS: accepted */
	const char *addr;              /* SENDER/DOMAIN/RCPT_*: the address as sent */
	bool auth, internal;
	long long size;                /* SENDER: SIZE=; SIZE: counted bytes */
	enum dns_answer dns[5];        /* DNSBL: per zone; SENDER: [0] hostname; DOMAIN: [0] */
	bool whitelisted;
	enum decision_action act;
	const char *rule;              /* NULL: none */
	const char *reply;             /* the client's reply, NULL when continuing */
	const char *tags;              /* DNSBL: the tag zones, NULL = "" */
};

#define Y DNS_ANSWER_YES
#define N DNS_ANSWER_NO
#define T DNS_ANSWER_TEMPFAIL
#define CONT DECISION_CONTINUE
#define REJ DECISION_REJECT
#define TEMP DECISION_TEMPFAIL
#define CONN_REFUSED "554 5.7.1 Connection refused for policy reasons."
#define DNS_FAIL "451 4.4.3 DNS lookup failed, try again later"
#define HOSTNAME "550 5.7.25 Client host name could not be verified."
#define SENDER_POLICY(a) "554 5.7.1 Mail from <" a "> rejected for policy reasons."
#define RCPT_POLICY "550 5.7.1 Recipient rejected for policy reasons."

static const char policy_text[] =
    "local_domains = [ \"acme.com\" ];\n"
    "internal_networks = [ \"10.0.0.0/8\" ];\n"
    "relay = { deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n"
    "protect_local_senders = true;\n"
    "protect_local_senders_except = [ \"news@acme.com\" ];\n"
    "connection = { deny_hosts = [ \"[192.0.2.66]\", \"bad.example\" ]; max_sessions = 3;\n"
    "  dnswl = [ \"wl.test\" ];\n"
    "  dnsbl = ( { zone = \"rej.test\"; action = \"reject\"; },\n"
    "            { zone = \"tag.test\"; action = \"tag\"; },\n"
    "            { zone = \"log.test\"; action = \"log\"; },\n"
    "            { zone = \"tag2.test\"; action = \"tag\"; },\n"
    "            { zone = \"rej2.test\"; reply = \"554 5.7.1 Go away %a (%z)\"; } ); };\n"
    "sender = { deny = [ \"@spam.example\", \"boss@bad.example\" ]; strict_syntax = true;\n"
    "  max_message_size = 1000; verify_domain = true; };\n"
    "recipients = { deny = [ \"ceo@acme.com\" ]; max = 2; };\n"
    "profiles = (\n"
    "  { daemon_name = \"partner\";\n"
    "    connection = { allow_hosts = [ \"[198.51.100.0/24]\", \"mx.partner.example\" ];\n"
    "      verify_hostname = true; };\n"
    "    sender = { allow = [ \"@partner.example\", \"x@spam.example\" ]; };\n"
    "    recipients = { allow = [ \"@acme.com\" ]; max = 1;\n"
    "      max_reply = \"552 5.5.3 Too many recipients\"; }; },\n"
    "  { daemon_name = \"denywins\"; relay = { deny_wins = true; };\n"
    "    sender = { allow = [ \"x@spam.example\" ]; strict_syntax = false; };\n"
    "    recipients = { allow = [ \"ceo@acme.com\" ]; }; } );\n"
    "directory = { backend = \"file\"; file = \"directory.conf\"; };\n";

static const struct crow rows[] = {
	/* ---- CONNECT: max_sessions, then deny_hosts beats allow_hosts ---- */
	{ "max_sessions: at the limit", CONNECT, .count = 3, .act = CONT },
	{ "max_sessions: one over", CONNECT, .count = 4, .act = TEMP, .rule = "max_sessions",
	    .reply = "421 4.7.0 Too many sessions, try again later." },
	{ "deny_hosts by address", CONNECT, .ip = "192.0.2.66", .count = 1, .act = REJ,
	    .rule = "deny_hosts", .reply = CONN_REFUSED },
	{ "deny_hosts by verified name, subdomain", CONNECT, .name = "mx.bad.example", .count = 1,
	    .act = REJ, .rule = "deny_hosts", .reply = CONN_REFUSED },
	{ "deny_hosts: a lookalike name passes", CONNECT, .name = "notbad.example", .count = 1,
	    .act = CONT },
	{ "allow_hosts: inside the range", CONNECT, "partner", "198.51.100.7", .count = 1,
	    .act = CONT },
	{ "allow_hosts: by name", CONNECT, "partner", .name = "mx.partner.example", .count = 1,
	    .act = CONT },
	{ "allow_hosts: outside", CONNECT, "partner", .count = 1, .act = REJ,
	    .rule = "allow_hosts", .reply = CONN_REFUSED },
	{ "allow_hosts: deny beats allow", CONNECT, "partner", "192.0.2.66", .count = 1,
	    .act = REJ, .rule = "deny_hosts", .reply = CONN_REFUSED },
	{ "allow_hosts: no address, no name", CONNECT, "partner", "-", .count = 1, .act = REJ,
	    .rule = "allow_hosts", .reply = CONN_REFUSED },

	/* ---- DNS lists: zones rej, tag, log, tag2, rej2 in that order ---- */
	{ "listed nowhere", DNSBL, .dns = { N, N, N, N, N }, .act = CONT },
	{ "reject zone", DNSBL, .dns = { Y, N, N, N, N }, .act = REJ, .rule = "dnsbl",
	    .reply = "550 5.7.1 Mail from 192.0.2.20 refused: listed at rej.test" },
	{ "own reply of a zone", DNSBL, .dns = { N, N, N, N, Y }, .act = REJ, .rule = "dnsbl",
	    .reply = "554 5.7.1 Go away 192.0.2.20 (rej2.test)" },
	{ "whitelisted: listed everywhere, accepted", DNSBL, .dns = { Y, Y, Y, Y, Y },
	    .whitelisted = true, .act = CONT, .rule = "dnswl" },
	{ "tag zones are collected, nothing refused", DNSBL, .dns = { N, Y, N, Y, N },
	    .act = CONT, .rule = "dnsbl", .tags = "tag.test,tag2.test" },
	{ "log zone only logs", DNSBL, .dns = { N, N, Y, N, N }, .act = CONT, .rule = "dnsbl" },
	{ "tag zone before the reject zone still tags", DNSBL, .dns = { N, Y, N, N, Y },
	    .act = REJ, .rule = "dnsbl", .reply = "554 5.7.1 Go away 192.0.2.20 (rej2.test)",
	    .tags = "tag.test" },
	{ "reject zone unanswered defers", DNSBL, .dns = { T, N, N, N, N }, .act = TEMP,
	    .rule = "dnsbl", .reply = DNS_FAIL },
	{ "an unanswered zone does not hide a listing", DNSBL, .dns = { T, N, N, N, Y },
	    .act = REJ, .rule = "dnsbl", .reply = "554 5.7.1 Go away 192.0.2.20 (rej2.test)" },
	{ "tag and log zones unanswered: continue", DNSBL, .dns = { N, T, T, T, N }, .act = CONT },

	/* ---- MAIL: verify_hostname (profile partner), syntax, size, lists, protection ---- */
	{ "verify_hostname: confirmed", SENDER, "partner", .name = "mx.partner.example",
	    .addr = "<a@partner.example>", .size = -1, .dns = { Y }, .act = CONT },
	{ "verify_hostname: no verified name", SENDER, "partner", .addr = "<a@partner.example>",
	    .size = -1, .dns = { N }, .act = REJ, .rule = "verify_hostname", .reply = HOSTNAME },
	{ "verify_hostname: forged", SENDER, "partner", .name = "mx.partner.example",
	    .addr = "<a@partner.example>", .size = -1, .dns = { N }, .act = REJ,
	    .rule = "verify_hostname", .reply = HOSTNAME },
	{ "verify_hostname: lookup failed", SENDER, "partner", .name = "mx.partner.example",
	    .addr = "<a@partner.example>", .size = -1, .dns = { T }, .act = TEMP,
	    .rule = "verify_hostname", .reply = DNS_FAIL },
	{ "strict_syntax: no brackets", SENDER, .addr = "a@example.org", .size = -1, .act = REJ,
	    .rule = "strict_syntax", .reply = "501 5.1.7 Address must be enclosed in angle brackets." },
	{ "strict_syntax off in a profile: the lists judge instead", SENDER, "denywins",
	    .addr = "x@spam.example", .size = -1, .act = REJ, .rule = "sender_lists",
	    .reply = SENDER_POLICY("x@spam.example") },
	{ "SIZE= over", SENDER, .addr = "<a@example.org>", .size = 1001, .act = REJ,
	    .rule = "max_message_size",
	    .reply = "552 5.3.4 Message size exceeds fixed maximum message size" },
	{ "SIZE= at the limit", SENDER, .addr = "<a@example.org>", .size = 1000, .act = CONT },
	{ "sender.deny by domain", SENDER, .addr = "<Eve@SPAM.example>", .size = -1, .act = REJ,
	    .rule = "sender_lists", .reply = SENDER_POLICY("Eve@SPAM.example") },
	{ "sender.deny by address", SENDER, .addr = "<boss@bad.example>", .size = -1, .act = REJ,
	    .rule = "sender_lists", .reply = SENDER_POLICY("boss@bad.example") },
	{ "sender.allow: listed", SENDER, "partner", .name = "mx.partner.example",
	    .addr = "<orders@partner.example>", .size = -1, .dns = { Y }, .act = CONT },
	{ "sender.allow: allow beats deny", SENDER, "partner", .name = "mx.partner.example",
	    .addr = "<x@spam.example>", .size = -1, .dns = { Y }, .act = CONT },
	{ "sender.allow: not listed", SENDER, "partner", .name = "mx.partner.example",
	    .addr = "<a@example.org>", .size = -1, .dns = { Y }, .act = REJ,
	    .rule = "sender_lists", .reply = SENDER_POLICY("a@example.org") },
	{ "sender.allow: the null sender is not judged", SENDER, "partner",
	    .name = "mx.partner.example", .addr = "<>", .size = -1, .dns = { Y }, .act = CONT },
	{ "deny_wins: deny beats allow", SENDER, "denywins", .addr = "<x@spam.example>",
	    .size = -1, .act = REJ, .rule = "sender_lists", .reply = SENDER_POLICY("x@spam.example") },
	{ "protect_local_senders: external, unauthenticated", SENDER, .addr = "<jd@acme.com>",
	    .size = -1, .act = REJ, .rule = "protect_local_senders",
	    .reply = "550 5.7.1 Sender address rejected: authentication required" },
	{ "protect_local_senders: authenticated", SENDER, .addr = "<jd@acme.com>", .auth = true,
	    .size = -1, .act = CONT },
	{ "protect_local_senders: internal", SENDER, .addr = "<jd@acme.com>", .internal = true,
	    .size = -1, .act = CONT },
	{ "protect_local_senders: the exception", SENDER, .addr = "<NEWS@acme.com>", .size = -1,
	    .act = CONT },
	{ "protect_local_senders: another domain", SENDER, .addr = "<jd@acme.com.example>",
	    .size = -1, .act = CONT },

	/* ---- MAIL: verify_domain ---- */
	{ "verify_domain: exists", DOMAIN, .addr = "<a@example.org>", .dns = { Y }, .act = CONT },
	{ "verify_domain: does not exist", DOMAIN, .addr = "<a@nosuch.example>", .dns = { N },
	    .act = REJ, .rule = "verify_domain", .reply = "550 5.1.8 Sender domain does not exist." },
	{ "verify_domain: lookup failed", DOMAIN, .addr = "<a@example.org>", .dns = { T },
	    .act = TEMP, .rule = "verify_domain", .reply = DNS_FAIL },

	/* ---- RCPT ---- */
	{ "rcpt strict_syntax: no brackets", RCPT_SYNTAX, .addr = "jd@acme.com", .act = REJ,
	    .rule = "strict_syntax", .reply = "501 5.1.7 Address must be enclosed in angle brackets." },
	{ "rcpt strict_syntax: brackets", RCPT_SYNTAX, .addr = "<jd@acme.com>", .act = CONT },
	{ "recipients.max: under", RCPT_LISTS, .addr = "<jd@acme.com>", .count = 1, .act = CONT },
	{ "recipients.max: reached, 452 defers", RCPT_LISTS, .addr = "<jd@acme.com>", .count = 2,
	    .act = TEMP, .rule = "max_recipients", .reply = "452 4.5.3 Too many recipients" },
	{ "recipients.max: Domino's 552 rejects", RCPT_LISTS, "partner", .addr = "<jd@acme.com>",
	    .count = 1, .act = REJ, .rule = "max_recipients",
	    .reply = "552 5.5.3 Too many recipients" },
	{ "recipients.deny", RCPT_LISTS, .addr = "<CEO@acme.com>", .act = REJ,
	    .rule = "recipient_lists", .reply = RCPT_POLICY },
	{ "recipients.allow: outside", RCPT_LISTS, "partner", .addr = "<x@example.org>",
	    .act = REJ, .rule = "recipient_lists", .reply = RCPT_POLICY },
	{ "recipients.allow beats deny", RCPT_LISTS, "partner", .addr = "<ceo@acme.com>",
	    .act = CONT },
	{ "recipients: deny_wins", RCPT_LISTS, "denywins", .addr = "<ceo@acme.com>", .act = REJ,
	    .rule = "recipient_lists", .reply = RCPT_POLICY },

	/* ---- end of message ---- */
	{ "counted size over", SIZE, .size = 1001, .act = REJ, .rule = "max_message_size",
	    .reply = "552 5.3.4 Message size exceeds fixed maximum message size" },
	{ "counted size at the limit", SIZE, .size = 1000, .act = CONT },
};

static char tmpdir[] = "/tmp/rw-test-controls.XXXXXX";
static char policy_path[300], dir_path[300];
static struct policy *policy;

static int
group_setup(void **state)
{
	struct errlist errs = { 0 };

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(policy_path, sizeof(policy_path), "%s/p.conf", tmpdir);
	snprintf(dir_path, sizeof(dir_path), "%s/directory.conf", tmpdir);
	unit_write_file(policy_path, policy_text);
	unit_write_file(dir_path, "users = ( );\n");
	policy = config_load(policy_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	errlist_clear(&errs);
	return policy == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	config_free(policy);
	unlink(policy_path);
	unlink(dir_path);
	return rmdir(tmpdir);
}

static void
client_of(const struct crow *r, struct client_facts *c)
{
	const char *ip = r->ip != NULL ? r->ip : "192.0.2.20";

	memset(c, 0, sizeof(*c));
	c->has_ip = strcmp(ip, "-") != 0 && ip_parse(ip, &c->ip);
	snprintf(c->addr, sizeof(c->addr), "%s", c->has_ip ? ip : "unknown");
	snprintf(c->name, sizeof(c->name), "%s", r->name != NULL ? r->name : "");
}

static void
run_dnsbl(const struct policy *p, const struct crow *r, const struct client_facts *c,
    struct decision *d, char *tags, size_t len)
{
	struct dnsbl_facts f = { 0 };

	f.whitelisted_by = r->whitelisted ? "wl.test" : NULL;
	f.n = f.whitelisted_by ? 0 : p->connection.ndnsbl;
	for (size_t i = 0; i < f.n; i++) {
		f.answers[i] = r->dns[i];
		snprintf(f.texts[i], sizeof(f.texts[i]), "%s", r->dns[i] == T ? "timed out" :
		    "127.0.0.2");
	}
	controls_decide_dnsbl(p, c, &f, tags, len, d, NULL);
}

static void
run_step(const struct policy *p, const struct crow *r, struct decision *d, char *tags,
    size_t len)
{
	struct client_facts c;
	struct relay_state rs = { r->internal, r->auth, false, "" };
	struct address a;
	struct mail_facts m = { &a, r->auth, r->size, r->dns[0], "" };

	client_of(r, &c);
	address_parse(r->addr != NULL ? r->addr : "<>", &a);
	switch (r->step) {
	case CONNECT: controls_decide_connect(p, &c, r->count, d, NULL); return;
	case DNSBL: run_dnsbl(p, r, &c, d, tags, len); return;
	case SENDER: controls_decide_sender(p, &c, &rs, &m, d, NULL); return;
	case DOMAIN: controls_decide_sender_domain(p, &a, r->dns[0], "", d, NULL); return;
	case RCPT_SYNTAX: controls_decide_rcpt_syntax(p, &a, d, NULL); return;
	case RCPT_LISTS: controls_decide_rcpt_lists(p, &a, r->count, d, NULL); return;
	case SIZE: controls_decide_size(p, (unsigned long long)r->size, d, NULL); return;
	}
}

/* The reply as the client reads it: %a and %z expanded, %s the sender. */
static void
reply_text(const struct crow *r, const struct decision *d, char *out, size_t len)
{
	char text[REPLY_TEXT_MAX * 2], sender[300] = "";
	const char *addr = r->addr != NULL ? r->addr : "";
	size_t n = strlen(addr);

	if (n >= 2 && addr[0] == '<')
		snprintf(sender, sizeof(sender), "%.*s", (int)(n - 2), addr + 1);
	else
		snprintf(sender, sizeof(sender), "%s", addr);
	reply_expand(d->reply, sender, r->ip != NULL ? r->ip : "192.0.2.20",
	    d->zone ? d->zone : "", text, sizeof(text));
	snprintf(out, len, "%s %s %s", d->reply->code, d->reply->xcode, text);
}

static void
test_row(void **state)
{
	const struct crow *r = *state;
	const struct policy *p = config_profile(policy, r->profile);
	struct decision d;
	char tags[256] = "", reply[REPLY_TEXT_MAX * 3];

	if (r->profile != NULL)
		assert_ptr_not_equal(p, policy);
	run_step(p, r, &d, tags, sizeof(tags));
	assert_int_equal(d.action, r->act);
	assert_string_equal(d.rule ? d.rule : "(none)", r->rule ? r->rule : "(none)");
	if (r->reply != NULL) {
		assert_non_null(d.reply);
		reply_text(r, &d, reply, sizeof(reply));
		assert_string_equal(reply, r->reply);
	} else {
		assert_true(d.action == DECISION_CONTINUE);
	}
	assert_string_equal(tags, r->tags ? r->tags : "");
}

int
main(void)
{
	struct CMUnitTest tests[RW_NELEM(rows)];

	for (size_t i = 0; i < RW_NELEM(rows); i++) {
		tests[i] = (struct CMUnitTest){ rows[i].label, test_row, NULL, NULL,
			(void *)&rows[i] };
	}
	return _cmocka_run_group_tests("controls", tests, RW_NELEM(rows), group_setup,
	    group_teardown);
}

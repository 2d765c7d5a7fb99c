/*
 * test_config.c - table-driven tests for config_load (config.c,
 * config_keys.c) and the file directory it opens (directory_file.c).
 *
 * Every row writes a policy file (p.conf) and a directory file into a
 * temporary directory and loads it with config_load. A good row must load
 * with exactly the warnings listed and pass its check function, which reads
 * the loaded values back. A bad row must fail with exactly the error lines
 * listed, in order ("DIR/" stands for the temporary directory): every
 * problem of a file is reported in one pass, as "FILE:LINE: KEY: problem".
 * Rows marked partial give only a part of each line, where the exact words
 * are not pinned (see the notes at those rows).
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
#include "directory.h"
#include "log.h"
#include "netmatch.h"
#include "strmap.h"

struct crow {
	const char *label;
	const char *policy;          /* p.conf */
	const char *dir;             /* the directory file: users = ( ); */
	const char *dir_name;        /* its name: directory.conf */
	const char *path;            /* load this file instead of p.conf */
	const char *errors[12];      /* none: the file must load */
	const char *warnings[3];     /* checked for every good row, and for bad rows giving some */
	bool partial;                /* errors[] are parts of the lines, not whole lines */
	void (*check)(const struct policy *p);
};

#define CLOSED "relay = { deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n"
/* A closed relay section with more settings in it. */
#define RELAY(more) \
	"relay = { deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; " more " };\n"
#define OPEN_RELAY_WARNING                                                                  \
	"DIR/p.conf: relay: OPEN RELAY: all four relay lists are empty, so every host may relay " \
	"to every domain (Domino's behaviour); add deny_to_domains = [ \"*\" ] and "             \
	"deny_from_hosts = [ \"*\" ] to close it"
#define EMPTY_LOCAL_WORDS                                                                   \
	"is empty, so every inbound message would be refused as a relay (list the domains this " \
	"server receives mail for, or set relay.enforce = \"none\")"
#define DOMAIN_WORDS "is not a valid domain name (expected name, @name, .name or *)"
#define IPV4_WORDS \
	"is not an IPv4 address or Domino pattern (expected a.b.c.d, a.b.c.*, a.b.c.N-M or a.b.c.d/len)"
#define NET_WORDS "is not a network (expected a.b.c.d/len or IPv6/len)"
#define LOCAL_WORDS "is not a domain name (expected e.g. \"acme.com\")"
#define ADDR_WORDS "is not an address (expected local@domain or @domain)"

static char tmpdir[] = "/tmp/test_config.XXXXXX";
/* What a test has open, freed by its teardown even when an assertion
 * longjmps out of the test. */
static struct policy *cur_policy, *cur_policy2;
static struct errlist cur_errs;

static int
test_teardown(void **state)
{
	(void)state;
	config_free(cur_policy);
	config_free(cur_policy2);
	cur_policy = cur_policy2 = NULL;
	errlist_clear(&cur_errs);
	return 0;
}

/* ---- helpers for the check functions ---- */

static void
expect_reply(const struct reply *r, const char *code, const char *xcode, const char *text,
    enum reply_class klass)
{
	assert_string_equal(r->code, code);
	assert_string_equal(r->xcode, xcode);
	assert_string_equal(r->text, text);
	assert_int_equal(r->klass, klass);
}

static bool
host_match(const struct host_set *s, const char *ip, const char *name)
{
	struct ip_addr a;

	if (ip != NULL)
		assert_true(ip_parse(ip, &a));
	return host_set_match(s, ip ? &a : NULL, name);
}

static void
expect_dir_path(const struct policy *p, const char *name)
{
	char want[512];

	snprintf(want, sizeof(want), "%s/%s", tmpdir, name);
	assert_non_null(p->directory_file);
	assert_string_equal(p->directory_file, want);
	assert_non_null(p->directory);
}

/* ---- check functions of the good rows ---- */

/* An empty file: every default of DESIGN Appendix A. */
static void
check_defaults(const struct policy *p)
{
	assert_string_equal(p->milter_socket, "unix:/var/spool/postfix/relaywarden/relaywarden.sock");
	assert_null(p->milter_user);
	assert_int_equal(p->milter_timeout, 30);
	assert_int_equal(p->log_level, LOG_LEVEL_INFO);
	assert_false(p->report_only);
	assert_int_equal(p->config_update_interval, 120);
	assert_int_equal(domain_set_count(p->local_domains), 1);   /* write_policy's */
	assert_int_equal(host_set_count(p->internal_networks), 0);
	assert_int_equal(p->relay.enforce, ENFORCE_EXTERNAL);
	assert_int_equal(host_set_count(p->relay.exclude_hosts), 0);
	assert_int_equal(p->relay.authenticated, RELAY_AUTH_ALLOW);
	assert_int_equal(domain_set_count(p->relay.allow_to_domains), 0);
	assert_int_equal(domain_set_count(p->relay.deny_to_domains), 0);
	assert_int_equal(host_set_count(p->relay.allow_from_hosts), 0);
	assert_int_equal(host_set_count(p->relay.deny_from_hosts), 0);
	assert_false(p->relay.deny_wins);
	assert_int_equal(p->relay.hidden_routes, HIDDEN_REJECT);
	expect_reply(&p->relay.reply, "554", "5.7.1", "Relay rejected for policy reasons.",
	    REPLY_REJECT);
	assert_true(p->verify_sender.envelope);
	assert_true(p->verify_sender.headers);
	assert_int_equal(p->verify_sender.null_sender, NULL_SENDER_REJECT);
	assert_int_equal(p->verify_sender.delimiter, '+');
	assert_false(p->verify_sender.group_send_as);
	assert_int_equal(strmap_count(p->verify_sender.exempt_users), 0);
	expect_reply(&p->verify_sender.reply, "550", "5.7.1",
	    "Sender address rejected: not owned by authenticated user", REPLY_REJECT);
	assert_int_equal(p->error_limit, 0);
	expect_reply(&p->error_limit_reply, "421", "4.7.0",
	    "SMTP service not available, closing transmission channel.", REPLY_TEMPFAIL);
	assert_int_equal(p->on_failure, ON_FAILURE_TEMPFAIL);
	expect_reply(&p->directory_reply, "451", "4.7.1", "Directory unavailable, try again later",
	    REPLY_TEMPFAIL);
	expect_dir_path(p, "directory.conf");
}

/* policies/default.conf: a closed relay for acme.com. */
static void
check_shipped_default(const struct policy *p)
{
	assert_int_equal(p->relay.enforce, ENFORCE_EXTERNAL);
	assert_int_equal(p->relay.authenticated, RELAY_AUTH_ALLOW);
	assert_true(policy_is_local_domain(p, "acme.com"));
	assert_false(policy_is_local_domain(p, "example.com"));
	assert_int_equal(domain_set_count(p->relay.deny_to_domains), 1);
	assert_true(domain_set_match(p->relay.deny_to_domains, "anything.example"));
	assert_int_equal(host_set_count(p->relay.deny_from_hosts), 1);
	assert_true(host_match(p->relay.deny_from_hosts, "192.0.2.1", NULL));
	assert_int_equal(domain_set_count(p->relay.allow_to_domains), 0);
	assert_int_equal(host_set_count(p->relay.allow_from_hosts), 0);
	assert_true(host_match(p->internal_networks, "127.0.0.1", NULL));
	assert_true(host_match(p->internal_networks, "::1", NULL));
	assert_false(host_match(p->internal_networks, "192.0.2.1", NULL));
	assert_true(p->verify_sender.envelope);
	assert_int_equal(p->verify_sender.null_sender, NULL_SENDER_REJECT);
	expect_reply(&p->relay.reply, "554", "5.7.1", "Relay rejected for policy reasons.",
	    REPLY_REJECT);
	assert_non_null(p->directory);
}

static void
check_closed_example(const struct policy *p)
{
	assert_int_equal(p->relay.enforce, ENFORCE_EXTERNAL);
	assert_true(host_match(p->relay.exclude_hosts, NULL, "app1.acme.com"));
	assert_true(host_match(p->relay.exclude_hosts, "10.30.5.7", NULL));
	assert_false(host_match(p->relay.exclude_hosts, "10.30.5.8", "app2.acme.com"));
	assert_true(host_match(p->internal_networks, "10.20.99.1", NULL));
}

static void
check_partner_example(const struct policy *p)
{
	assert_int_equal(p->relay.enforce, ENFORCE_ALL);
	assert_false(p->relay.deny_wins);
	assert_true(domain_set_match(p->relay.allow_to_domains, "partner.example"));
	assert_true(domain_set_match(p->relay.allow_to_domains, "mx.partner.example"));
	assert_false(domain_set_match(p->relay.allow_to_domains, "notpartner.example"));
	assert_true(host_match(p->relay.allow_from_hosts, "192.0.2.200", NULL));
	assert_false(host_match(p->relay.allow_from_hosts, "192.0.3.1", NULL));
}

static void
check_verify_example(const struct policy *p)
{
	assert_int_equal(p->relay.enforce, ENFORCE_ALL);
	assert_true(p->verify_sender.group_send_as);
	assert_true(strmap_get(p->verify_sender.exempt_users, "monitor", 7, NULL));
	assert_int_equal(p->verify_sender.headers_rule, HEADERS_FROM_AND_SENDER);   /* the strict rule ships */
}

/* Every knob away from its default. */
static void
check_everything(const struct policy *p)
{
	assert_string_equal(p->milter_socket, "inet:8891@127.0.0.1");
	assert_int_equal(p->milter_timeout, 60);
	assert_int_equal(p->log_level, LOG_LEVEL_DEBUG);
	assert_true(p->report_only);
	assert_int_equal(p->config_update_interval, 0);
	assert_true(policy_is_local_domain(p, "acme.com"));
	assert_true(policy_is_local_domain(p, "acme.net"));
	assert_false(policy_is_local_domain(p, "mail.acme.com"));
	assert_true(host_match(p->internal_networks, "10.20.3.4", NULL));
	assert_false(host_match(p->internal_networks, "10.21.0.1", NULL));
	assert_true(host_match(p->internal_networks, "2001:db8:1::9", NULL));
	assert_int_equal(p->relay.enforce, ENFORCE_ALL);
	assert_true(host_match(p->relay.exclude_hosts, NULL, "app1.acme.com"));
	assert_true(host_match(p->relay.exclude_hosts, "10.20.5.7", NULL));
	assert_false(host_match(p->relay.exclude_hosts, "10.20.5.8", "app2.acme.com"));
	assert_int_equal(p->relay.authenticated, RELAY_AUTH_CHECK);
	assert_true(domain_set_match(p->relay.allow_to_domains, "partner.example"));
	assert_true(domain_set_match(p->relay.allow_to_domains, "b2b.partner.example"));
	assert_false(domain_set_match(p->relay.allow_to_domains, "notpartner.example"));
	assert_true(domain_set_match(p->relay.allow_to_domains, "only.example"));
	assert_false(domain_set_match(p->relay.allow_to_domains, "sub.only.example"));
	assert_true(domain_set_match(p->relay.allow_to_domains, "sub.subs.example"));
	assert_false(domain_set_match(p->relay.allow_to_domains, "subs.example"));
	assert_int_equal(domain_set_count(p->relay.allow_to_domains), 3);
	assert_true(domain_set_match(p->relay.deny_to_domains, "anything.example"));
	assert_true(host_match(p->relay.allow_from_hosts, "192.0.2.17", NULL));
	assert_false(host_match(p->relay.allow_from_hosts, "192.0.2.33", NULL));
	assert_true(host_match(p->relay.allow_from_hosts, "198.51.100.9", NULL));
	assert_false(host_match(p->relay.allow_from_hosts, "198.51.100.31", NULL));
	assert_true(host_match(p->relay.allow_from_hosts, NULL, "mx.partner.example"));
	assert_true(host_match(p->relay.deny_from_hosts, "203.0.113.1", NULL));
	assert_true(p->relay.deny_wins);
	assert_int_equal(p->relay.hidden_routes, HIDDEN_JUDGE);
	expect_reply(&p->relay.reply, "550", "5.7.1", "Relaying denied. Proper authentication required.",
	    REPLY_REJECT);
	assert_true(p->verify_sender.envelope);
	assert_int_equal(p->verify_sender.null_sender, NULL_SENDER_ALLOW);
	assert_int_equal(p->verify_sender.delimiter, '-');
	assert_true(p->verify_sender.group_send_as);
	assert_true(strmap_get(p->verify_sender.exempt_users, "monitor", 7, NULL));
	assert_true(strmap_get(p->verify_sender.exempt_users, "backup", 6, NULL));
	assert_false(strmap_get(p->verify_sender.exempt_users, "jdoe", 4, NULL));
	expect_reply(&p->verify_sender.reply, "553", "5.7.1", "You may not send as <%s>",
	    REPLY_REJECT);
	assert_int_equal(p->error_limit, 5);
	expect_reply(&p->error_limit_reply, "421", "4.7.0", "Too many errors", REPLY_TEMPFAIL);
	assert_int_equal(p->on_failure, ON_FAILURE_ACCEPT);
	expect_reply(&p->directory_reply, "450", "4.4.3", "Directory down", REPLY_TEMPFAIL);
	expect_dir_path(p, "people.conf");
}

static void
check_local_domains(const struct policy *p)
{
	assert_true(policy_is_local_domain(p, "acme.com"));
	assert_true(policy_is_local_domain(p, "example.org"));
	assert_true(policy_is_local_domain(p, "xn--bcher-kva.example"));
	assert_false(policy_is_local_domain(p, "sub.acme.com"));
	assert_false(policy_is_local_domain(p, "notacme.com"));
	/* Client names compare on the label boundary. */
	assert_true(domain_set_match(p->local_domains, "mail.acme.com"));
	assert_true(domain_set_match(p->local_domains, "acme.com"));
	assert_false(domain_set_match(p->local_domains, "notacme.com"));
	assert_int_equal(domain_set_count(p->local_domains), 3);
}

static void
check_enforce_none(const struct policy *p)
{
	assert_int_equal(p->relay.enforce, ENFORCE_NONE);
}

static void
check_enforce_all(const struct policy *p)
{
	assert_int_equal(p->relay.enforce, ENFORCE_ALL);
}

static void
check_no_delimiter(const struct policy *p)
{
	assert_int_equal(p->verify_sender.delimiter, '\0');
}

static void
check_absolute_dir(const struct policy *p)
{
	expect_dir_path(p, "abs.conf");
}

static void
check_headers_on(const struct policy *p)
{
	assert_true(p->verify_sender.headers);
}

static void
check_ldap(const struct policy *p)
{
	assert_int_equal(p->backend, BACKEND_LDAP);
	assert_non_null(p->directory);
}

static void
check_ldap_ad(const struct policy *p)
{
	assert_int_equal(p->backend, BACKEND_LDAP);
	assert_non_null(p->directory);
	assert_int_equal(p->ldap.nested_groups, LDAP_NESTED_IN_CHAIN);
	assert_int_equal(p->ldap.group_classes.n, 1);
	assert_string_equal(p->ldap.group_classes.v[0], "group");
	assert_int_equal(p->ldap.login_domains.n, 1);
	assert_string_equal(p->ldap.base, "");
}

static void
check_ldap_group_defaults(const struct policy *p)
{
	assert_int_equal(p->ldap.nested_groups, LDAP_NESTED_NONE);
	assert_int_equal(p->ldap.group_classes.n, 4);
	assert_string_equal(p->ldap.group_classes.v[3], "group");
	assert_int_equal(p->ldap.login_domains.n, 0);
	assert_string_equal(p->ldap.group_filter, "");
}

static void
check_control_defaults(const struct policy *p)
{
	char r[REPLY_TEXT_MAX + 32];

	assert_false(p->verify_sender.headers);
	assert_non_null(p->directory);
	assert_non_null(p->dns);
	assert_int_equal(p->connection.ndnsbl, 0);
	assert_int_equal(p->sender.verify_domain_timeout, 30);
	assert_int_equal(p->dns_timeout, 5);
	reply_format(&p->recipients.max_reply, r, sizeof(r));
	assert_string_equal(r, "452 4.5.3 Too many recipients");
	assert_int_equal(p->recipients.max_reply.klass, REPLY_TEMPFAIL);
	reply_format(&p->connection.max_sessions_reply, r, sizeof(r));
	assert_string_equal(r, "421 4.7.0 Too many sessions, try again later.");
	reply_format(&p->sender.reply, r, sizeof(r));
	assert_string_equal(r, "554 5.7.1 Mail from <%s> rejected for policy reasons.");
	reply_format(&p->dns_reply, r, sizeof(r));
	assert_string_equal(r, "451 4.4.3 DNS lookup failed, try again later");
}

static void
check_controls(const struct policy *p)
{
	char r[REPLY_TEXT_MAX + 32];
	struct ip_addr ip;

	assert_true(p->protect_local_senders);
	assert_true(addr_set_match(p->protect_except, "any", "acme.com"));
	assert_true(host_set_match(p->connection.allow_hosts, NULL, "mx.x.example"));
	assert_true(host_set_match(p->connection.deny_hosts, NULL, "y.example"));
	assert_true(p->connection.verify_hostname);
	assert_int_equal(p->connection.max_sessions, 100);
	assert_int_equal(p->connection.dnswl.n, 1);
	assert_string_equal(p->connection.dnswl.v[0], "wl.example");
	assert_int_equal(p->connection.ndnsbl, 2);
	assert_string_equal(p->connection.dnsbl[0].zone, "zen.example");
	assert_int_equal(p->connection.dnsbl[0].action, DNSBL_TAG);
	reply_format(&p->connection.dnsbl[0].reply, r, sizeof(r));
	assert_string_equal(r, "550 5.7.1 Mail from %a refused: listed at %z");
	assert_int_equal(p->connection.dnsbl[1].action, DNSBL_REJECT);
	reply_format(&p->connection.dnsbl[1].reply, r, sizeof(r));
	assert_string_equal(r, "554 5.7.1 Listed at %z");
	assert_true(addr_set_match(p->sender.allow, "x", "acme.com"));
	assert_true(addr_set_match(p->sender.deny, "x", "spam.example"));
	assert_true(p->sender.verify_domain);
	assert_int_equal(p->sender.verify_domain_timeout, 7);
	assert_true(p->sender.strict_syntax);
	assert_int_equal(p->sender.max_message_size, 10485760);
	assert_int_equal(p->recipients.max, 50);
	assert_int_equal(p->recipients.max_reply.klass, REPLY_REJECT);
	assert_true(addr_set_match(p->recipients.deny, "x", "acme.com"));
	assert_false(addr_set_match(p->recipients.deny, "y", "acme.com"));
	assert_int_equal(p->dns_servers.n, 3);
	assert_int_equal(p->dns_timeout, 2);
	assert_true(ip_parse("192.0.2.1", &ip));
}

/* groups = { ... }: the entries of a named group, and of the groups it
 * names, land in the list through its own matcher. */
static void
check_groups(const struct policy *p)
{
	const struct profile_probe { const char *ip, *name; bool want; } probes[] = {
		{ "10.20.5.7", NULL, true }, { NULL, "app1.acme.com", true },
		{ "10.30.1.9", NULL, true }, { "10.20.5.8", NULL, false },
		{ NULL, "app2.acme.com", false },
	};

	for (size_t i = 0; i < RW_NELEM(probes); i++)
		assert_int_equal(host_match(p->relay.exclude_hosts, probes[i].ip, probes[i].name),
		    probes[i].want);
	assert_int_equal(host_set_count(p->relay.exclude_hosts), 3);
	assert_true(addr_set_match(p->sender.allow, "x", "partner.example"));
	assert_true(addr_set_match(p->sender.allow, "jd", "acme.com"));
	assert_true(domain_set_match(p->relay.allow_to_domains, "partner.example"));
	assert_true(host_match(p->connection.anonymous_hosts, "10.30.1.9", NULL));
	assert_true(p->connection.require_auth);
	expect_reply(&p->connection.require_auth_reply, "530", "5.7.0", "Authentication required",
	    REPLY_REJECT);
	assert_true(host_match(p->trusted_relays, "10.0.0.25", NULL));
	expect_reply(&p->trusted_relays_reply, "550", "5.7.1",
	    "Message rejected: unparsable Received header from trusted relay", REPLY_REJECT);
}

static void
check_profiles(const struct policy *p)
{
	const struct policy *sub = config_profile(p, "submission");
	const struct policy *smtp = config_profile(p, "smtp");

	assert_int_equal(p->nprofiles, 2);
	assert_ptr_equal(config_profile(p, "other"), p);
	assert_ptr_equal(config_profile(p, NULL), p);
	assert_int_equal(p->relay.enforce, ENFORCE_EXTERNAL);
	assert_false(p->protect_local_senders);
	assert_true(addr_set_match(p->sender.deny, "x", "spam.example"));
	/* the submission profile: its own relay mode, its sender.deny replaces the base's */
	assert_string_equal(sub->daemon_name, "submission");
	assert_ptr_equal(sub->base, p);
	assert_int_equal(sub->relay.enforce, ENFORCE_ALL);
	assert_true(addr_set_match(sub->sender.deny, "x", "other.example"));
	assert_false(addr_set_match(sub->sender.deny, "x", "spam.example"));
	assert_true(policy_is_local_domain(sub, "acme.com"));
	assert_ptr_equal(sub->directory, p->directory);
	assert_ptr_equal(sub->dns, p->dns);
	/* the smtp profile: the base plus one switch */
	assert_true(smtp->protect_local_senders);
	assert_int_equal(smtp->relay.enforce, ENFORCE_EXTERNAL);
	assert_true(addr_set_match(smtp->sender.deny, "x", "spam.example"));
}

static void
expect_lookup(const struct policy *p, const char *login, enum lookup_result want,
    const char *want_login)
{
	struct dir_user *u = NULL;
	char why[128];

	enum lookup_result r = p->directory->ops->lookup_user(p->directory->state, login, &u, why,
	    sizeof(why));
	if (r != want)
		fail_msg("lookup \"%s\": %s, expected %s", login, directory_result_name(r),
		    directory_result_name(want));
	if (want == LOOKUP_FOUND) {
		assert_string_equal(u->login, want_login);
		directory_user_unref(u);
	}
}

static bool
owned(const struct policy *p, const char *login, const char *addr, bool group)
{
	struct dir_user *u = NULL;
	char why[128];

	assert_int_equal(p->directory->ops->lookup_user(p->directory->state, login, &u, why,
	    sizeof(why)), LOOKUP_FOUND);
	bool yes = strmap_get(group ? u->group_owned : u->owned, addr, strlen(addr), NULL);
	directory_user_unref(u);
	return yes;
}

/* The directory of DESIGN Appendix A, extended. */
static void
check_directory(const struct policy *p)
{
	struct dir_user *u = NULL;
	char why[128];

	expect_lookup(p, "jdoe", LOOKUP_FOUND, "jdoe");
	expect_lookup(p, "JDoe", LOOKUP_FOUND, "jdoe");
	expect_lookup(p, "John Doe", LOOKUP_FOUND, "jdoe");
	expect_lookup(p, "john doe/acme", LOOKUP_FOUND, "jdoe");
	expect_lookup(p, "JD@ACME.COM", LOOKUP_FOUND, "jdoe");
	expect_lookup(p, "asmith", LOOKUP_FOUND, "asmith");
	expect_lookup(p, "nobody", LOOKUP_NOTFOUND, NULL);
	expect_lookup(p, "Sales", LOOKUP_NOTFOUND, NULL);
	expect_lookup(p, "sales@acme.com", LOOKUP_NOTFOUND, NULL);
	assert_true(owned(p, "jdoe", "john.doe@acme.com", false));
	assert_true(owned(p, "jdoe", "jd@acme.com", false));
	assert_true(owned(p, "jdoe", "sales@acme.com", false));      /* send_as address */
	assert_true(owned(p, "jdoe", "@jdoe.example", false));       /* whole domain */
	assert_false(owned(p, "jdoe", "alice.smith@acme.com", false));
	assert_true(owned(p, "jdoe", "support@acme.com", true));     /* group */
	assert_false(owned(p, "jdoe", "support@acme.com", false));
	assert_true(owned(p, "boss", "alice.smith@acme.com", false)); /* send_as a user */
	assert_true(owned(p, "boss", "alice@acme.com", false));
	assert_false(owned(p, "asmith", "support@acme.com", true));
	assert_int_equal(p->directory->ops->lookup_user(p->directory->state, "jdoe", &u, why,
	    sizeof(why)), LOOKUP_FOUND);
	assert_string_equal(u->primary, "john.doe@acme.com");
	directory_user_unref(u);
}

/* ---- the table ---- */

static const struct crow rows[] = {
	/* ---- good files ---- */
	{ "only local_domains: every other default, open relay warning", .policy = "",
	    .warnings = { OPEN_RELAY_WARNING }, .check = check_defaults },
	{ "groups in host, domain and address lists, nested, case-insensitive",
	    .policy = "groups = { AppServers = [ \"10.20.5.7\", \"app1.acme.com\", \"Scanners\" ];\n"
	    "  Scanners = [ \"10.30.1.0/24\" ]; Partners = [ \"partner.example\" ];\n"
	    "  Senders = [ \"@partner.example\", \"jd@acme.com\" ]; };\n"
	    RELAY("exclude_hosts = [ \"appservers\" ]; allow_to_domains = [ \"Partners\" ];")
	    "sender = { allow = [ \"Senders\" ]; };\n"
	    "connection = { require_auth = true; anonymous_hosts = [ \"Scanners\" ]; };\n"
	    "trusted_relays = [ \"10.0.0.25\" ];\n",
	    .check = check_groups },
	{ "groups: not in a profile", .policy = CLOSED "profiles = ( { daemon_name = \"s\"; "
	    "groups = { A = [ \"a.example\" ]; }; } );\n",
	    .errors = { "DIR/p.conf:2: groups: cannot be set in a profile (profile \"s\"): it "
	    "applies to the whole process" } },
	{ "an error of the base file is said once, not again per profile",
	    .policy = RELAY("exclude_hosts = [ \"AppServrs\" ];")
	    "groups = { AppServers = [ \"10.1.1.1\" ]; };\n"
	    "profiles = ( { daemon_name = \"a\"; }, { daemon_name = \"b\"; } );\n",
	    .errors = { "DIR/p.conf:1: relay.exclude_hosts: unknown group \"AppServrs\" (did you "
	    "mean AppServers?)" } },
	{ "groups: a group that is not a list",
	    .policy = CLOSED "groups = { A = \"a.example\"; };\n",
	    .errors = { "DIR/p.conf:2: groups.A: wrong type (expected a list of strings, [ \"...\", ... ])" } },
	{ "empty file: local_domains is empty, every inbound message refused",
	    .policy = "local_domains = [ ];\n" CLOSED,
	    .errors = { "DIR/p.conf:1: local_domains: " EMPTY_LOCAL_WORDS } },
	{ "no local_domains at all: the same error, without a line", .policy = CLOSED "#local_domains\n",
	    .errors = { "DIR/p.conf: local_domains: " EMPTY_LOCAL_WORDS } },
	{ "no local_domains in a profile: said once, for the base",
	    .policy = CLOSED "#local_domains\nprofiles = ( { daemon_name = \"s\"; } );\n",
	    .errors = { "DIR/p.conf: local_domains: " EMPTY_LOCAL_WORDS } },
	{ "empty local_domains with relay.enforce = \"none\" loads",
	    .policy = "local_domains = [ ];\nrelay = { enforce = \"none\"; };\n" },
	{ "shipped policies/default.conf: no warning", .path = "policies/default.conf",
	    .check = check_shipped_default },
	{ "shipped closed-relay example", .path = "policies/examples/closed-relay.conf",
	    .check = check_closed_example },
	{ "shipped partner-relay example", .path = "policies/examples/partner-relay.conf",
	    .check = check_partner_example },
	{ "shipped verify-sender example", .path = "policies/examples/verify-sender.conf",
	    .check = check_verify_example },
	{ "every knob set", .policy =
	    "milter = { socket = \"inet:8891@127.0.0.1\"; timeout = 60; };\n"
	    "log_level = \"debug\";\n"
	    "report_only = true;\n"
	    "config_update_interval = 0;\n"
	    "local_domains = [ \"acme.com\", \"acme.net\" ];\n"
	    "internal_networks = [ \"10.20.0.0/16\", \"2001:db8:1::/48\" ];\n"
	    "relay = {\n"
	    "  enforce = \"all\";\n"
	    "  exclude_hosts = [ \"app1.acme.com\", \"10.20.5.7\" ];\n"
	    "  authenticated = \"check\";\n"
	    "  allow_to_domains = [ \"partner.example\", \"@only.example\", \".subs.example\" ];\n"
	    "  deny_to_domains = [ \"*\" ];\n"
	    "  allow_from_hosts = [ \"[192.0.2.0/27]\", \"[198.51.100.1-30]\", \"partner.example\" ];\n"
	    "  deny_from_hosts = [ \"*\" ];\n"
	    "  deny_wins = true;\n"
	    "  hidden_routes = \"judge\";\n"
	    "  reply = \"550 5.7.1 Relaying denied. Proper authentication required.\";\n"
	    "};\n"
	    "verify_sender = {\n"
	    "  envelope = true; headers = false; null_sender = \"allow\";\n"
	    "  recipient_delimiter = \"-\"; group_send_as = true;\n"
	    "  exempt_users = [ \"monitor\", \"Backup\" ];\n"
	    "  reply = \"553 5.7.1 You may not send as <%s>\";\n"
	    "};\n"
	    "protect_local_senders = false;\n"
	    "protect_local_senders_except = [ ];\n"
	    "connection = { allow_hosts = [ ]; deny_hosts = [ ]; verify_hostname = false;\n"
	    "  max_sessions = 0; error_limit = 5; error_limit_reply = \"421 4.7.0 Too many errors\";\n"
	    "  dnsbl = ( ); dnswl = [ ]; };\n"
	    "sender = { allow = [ ]; deny = [ ]; verify_domain = false; verify_domain_timeout = 30;\n"
	    "  strict_syntax = false; max_message_size = 0; };\n"
	    "recipients = { allow = [ ]; deny = [ ]; verify_local = false; deny_groups = \"none\";\n"
	    "  deny_ambiguous = false; max = 0; };\n"
	    "dns = { servers = [ ]; timeout = 5; };\n"
	    "directory = { backend = \"file\"; file = \"people.conf\"; on_failure = \"accept\";\n"
	    "  reply = \"450 4.4.3 Directory down\";\n"
	    "  cache = { ttl = 300; negative_ttl = 60; max_entries = 100000; }; };\n"
	    "profiles = ( );\n",
	    .dir_name = "people.conf", .check = check_everything },
	{ "local domains normalised", .policy =
	    "local_domains = [ \"ACME.COM.\", \"Example.Org\", \"xn--bcher-kva.example\" ];\n" CLOSED,
	    .check = check_local_domains },
	{ "enforce none with empty lists: no warning", .policy = "relay = { enforce = \"none\"; };\n",
	    .check = check_enforce_none },
	{ "enforce all with empty lists: warning", .policy = "relay = { enforce = \"all\"; };\n",
	    .warnings = { OPEN_RELAY_WARNING }, .check = check_enforce_all },
	{ "exclusions alone leave an open relay",
	    .policy = "relay = { exclude_hosts = [ \"10.0.0.1\" ]; };\n",
	    .warnings = { OPEN_RELAY_WARNING } },
	{ "one deny list closes the warning", .policy = "relay = { deny_from_hosts = [ \"*\" ]; };\n" },
	{ "one allow list closes the warning",
	    .policy = "relay = { allow_to_domains = [ \"partner.example\" ]; };\n" },
	{ "recipient_delimiter empty turns folding off",
	    .policy = CLOSED "verify_sender = { recipient_delimiter = \"\"; };\n",
	    .check = check_no_delimiter },
	{ "controls at their defaults load", .policy = CLOSED
	    "verify_sender = { headers = false; };\n"
	    "connection = { dnsbl = ( ); dnswl = [ ]; verify_hostname = false; max_sessions = 0; };\n"
	    "recipients = { deny_groups = \"none\"; max = 0; };\n"
	    "directory = { backend = \"file\"; };\n",
	    .check = check_control_defaults },
	{ "absolute directory.file", .policy = CLOSED "directory = { file = \"DIR/abs.conf\"; };\n",
	    .dir_name = "abs.conf", .check = check_absolute_dir },
	{ "directory with users, names, send_as and groups", .policy = CLOSED,
	    .dir =
		"users = (\n"
		"  { login = \"jdoe\"; names = [ \"John Doe\", \"John Doe/Acme\" ];\n"
		"    addresses = [ \"John.Doe@ACME.com\", \"jd@acme.com\", \"@jdoe.example\" ];\n"
		"    send_as = [ \"sales@acme.com\" ]; },\n"
		"  { login = \"boss\"; send_as = [ \"asmith\" ]; },\n"
		"  { login = \"asmith\"; names = [ \"Alice Smith\" ];\n"
		"    addresses = [ \"alice.smith@acme.com\", \"alice@acme.com\" ]; }\n"
		");\n"
		"groups = (\n"
		"  { name = \"Support\"; addresses = [ \"support@acme.com\" ];\n"
		"    members = [ \"JD@acme.com\" ]; },\n"
		"  { name = \"Empty\"; }\n"
		");\n",
	    .check = check_directory },
	{ "directory without groups", .policy = CLOSED,
	    .dir = "users = ( { login = \"a\"; addresses = [ \"a@acme.com\" ]; } );\n" },
	{ "directory that is empty", .policy = CLOSED, .dir = "" },

	/* ---- bad values: one key, one line ---- */
	{ "enforce: unknown value", .policy = "local_domains = [ \"acme.com\" ];\n"
					     "relay = {\n"
					     "  enforce = \"sometimes\";\n"
					     "  deny_to_domains = [ \"*\" ];\n"
					     "};\n",
	    .errors = { "DIR/p.conf:3: relay.enforce: unknown value \"sometimes\" (expected "
			"\"external\" or \"all\" or \"none\")" } },
	{ "enforce: values are case-sensitive", .policy = "relay = { enforce = \"External\"; };\n",
	    .errors = { "DIR/p.conf:1: relay.enforce: unknown value \"External\" (expected "
			"\"external\" or \"all\" or \"none\")" } },
	{ "authenticated, hidden_routes, null_sender, on_failure: unknown values", .policy =
	    "relay = { authenticated = \"yes\"; hidden_routes = \"accept\";\n"
	    "  deny_to_domains = [ \"*\" ]; };\n"
	    "verify_sender = { null_sender = \"bounce\"; };\n"
	    "directory = { on_failure = \"ignore\"; };\n",
	    .errors = {
		"DIR/p.conf:1: relay.authenticated: unknown value \"yes\" (expected \"allow\" or "
		"\"check\")",
		"DIR/p.conf:1: relay.hidden_routes: unknown value \"accept\" (expected \"reject\" or "
		"\"judge\")",
		"DIR/p.conf:3: verify_sender.null_sender: unknown value \"bounce\" (expected "
		"\"allow\" or \"reject\")",
		"DIR/p.conf:4: directory.on_failure: unknown value \"ignore\" (expected \"tempfail\" "
		"or \"accept\")" } },
	{ "unknown key with a did-you-mean", .policy = "\n" RELAY("enforse = \"all\";"),
	    .errors = { "DIR/p.conf:2: relay.enforse: unknown key (did you mean relay.enforce?)" } },
	{ "misspelt section with a did-you-mean",
	    .policy = "realy = { enforce = \"all\"; };\n" CLOSED,
	    .errors = { "DIR/p.conf:1: realy: unknown key (did you mean relay?)" } },
	{ "misspelt top-level list", .policy = CLOSED "local_domain = [ \"acme.com\" ];\n",
	    .errors = { "DIR/p.conf:2: local_domain: unknown key (did you mean local_domains?)" } },
	{ "misspelt list in a section",
	    .policy = "relay = { deny_to_domain = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n",
	    .errors = { "DIR/p.conf:1: relay.deny_to_domain: unknown key (did you mean "
			"relay.deny_to_domains?)" } },
	{ "unknown key without a suggestion", .policy = CLOSED "frobnicate = 1;\n",
	    .errors = { "DIR/p.conf:2: frobnicate: unknown key" } },
	{ "unknown key in a known section, far from any",
	    .policy = CLOSED "verify_sender = { check_headers_and_body = true; };\n",
	    .errors = { "DIR/p.conf:2: verify_sender.check_headers_and_body: unknown key" } },
	{ "wrong types", .policy = "relay = 1;\n"
				   "local_domains = \"acme.com\";\n"
				   "report_only = 1;\n"
				   "milter = { timeout = \"30\"; };\n"
				   "log_level = 3;\n"
				   "connection = { error_limit = 1.5; dnsbl = [ ]; };\n"
				   "verify_sender = { reply = 550; exempt_users = \"svc\"; };\n",
	    .errors = {
		"DIR/p.conf:1: relay: wrong type (expected a group, { ... })",
		"DIR/p.conf:2: local_domains: wrong type (expected a list of strings, [ \"...\", ... ])",
		"DIR/p.conf:3: report_only: wrong type (expected true or false)",
		"DIR/p.conf:4: milter.timeout: wrong type (expected an integer)",
		"DIR/p.conf:5: log_level: wrong type (expected a string in double quotes)",
		"DIR/p.conf:6: connection.error_limit: wrong type (expected an integer)",
		"DIR/p.conf:6: connection.dnsbl: wrong type (expected a list of groups, ( { ... }, "
		"... ))",
		"DIR/p.conf:7: verify_sender.reply: wrong type (expected a string in double quotes)",
		"DIR/p.conf:7: verify_sender.exempt_users: wrong type (expected a list of strings, "
		"[ \"...\", ... ])" } },
	{ "bool given as a string", .policy = "\n" RELAY("deny_wins = \"yes\";"),
	    .errors = { "DIR/p.conf:2: relay.deny_wins: wrong type (expected true or false)" } },
	{ "enum given as a number", .policy = "\n" RELAY("enforce = 1;"),
	    .errors = { "DIR/p.conf:2: relay.enforce: wrong type (expected a string in double "
			"quotes)" } },
	{ "list elements that are not strings", .policy =
	    "relay = {\n"
	    "  deny_to_domains = [ 1, 2 ];\n"
	    "  deny_from_hosts = [ \"*\" ];\n"
	    "};\n",
	    .errors = {
		"DIR/p.conf:2: relay.deny_to_domains: element 1 is not a string (expected a list "
		"of strings, [ \"...\", ... ])",
		"DIR/p.conf:2: relay.deny_to_domains: element 2 is not a string (expected a list "
		"of strings, [ \"...\", ... ])" } },
	{ "integers out of range", .policy = CLOSED
	    "milter = { timeout = 0; };\n"
	    "connection = { error_limit = -1; };\n"
	    "config_update_interval = 86401;\n"
	    "sender = { verify_domain_timeout = 0; };\n"
	    "dns = { timeout = 100; };\n",
	    .errors = {
		"DIR/p.conf:2: milter.timeout: 0 is out of range (expected 1 to 3600)",
		"DIR/p.conf:3: connection.error_limit: -1 is out of range (expected 0 to 1000)",
		"DIR/p.conf:4: config_update_interval: 86401 is out of range (expected 0 to 86400)",
		"DIR/p.conf:5: sender.verify_domain_timeout: 0 is out of range (expected 1 to 3600)",
		"DIR/p.conf:6: dns.timeout: 100 is out of range (expected 1 to 60)" } },
	{ "integer upper bounds", .policy = CLOSED
	    "milter = { timeout = 3601; };\n"
	    "connection = { error_limit = 1001; };\n",
	    .errors = {
		"DIR/p.conf:2: milter.timeout: 3601 is out of range (expected 1 to 3600)",
		"DIR/p.conf:3: connection.error_limit: 1001 is out of range (expected 0 to 1000)" } },
	{ "log level unknown", .policy = CLOSED "log_level = \"verbose\";\n",
	    .errors = { "DIR/p.conf:2: log_level: unknown level \"verbose\" (expected \"err\", "
			"\"warn\", \"info\" or \"debug\")" } },
	{ "milter socket and user", .policy = CLOSED
	    "milter = {\n"
	    "  socket = \"tcp:25\";\n"
	    "  user = \"no-such-user-rw\";\n"
	    "};\n",
	    .errors = {
		"DIR/p.conf:3: milter.socket: \"tcp:25\" is not a milter socket (expected "
		"\"unix:/path\" or \"inet:PORT@HOST\")",
		"DIR/p.conf:4: milter.user: no such user \"no-such-user-rw\"" } },
	{ "milter socket: relative unix path", .policy = CLOSED
	    "milter = { socket = \"unix:relaywarden.sock\"; };\n",
	    .errors = { "DIR/p.conf:2: milter.socket: \"unix:relaywarden.sock\" is not a milter "
			"socket (expected \"unix:/path\" or \"inet:PORT@HOST\")" } },
	{ "milter socket: port 0", .policy = CLOSED
	    "milter = { socket = \"inet:0@127.0.0.1\"; };\n",
	    .errors = { "DIR/p.conf:2: milter.socket: \"inet:0@127.0.0.1\" is not a milter socket "
			"(expected \"unix:/path\" or \"inet:PORT@HOST\")" } },
	{ "recipient_delimiter not one character", .policy = CLOSED
	    "verify_sender = { recipient_delimiter = \"++\"; };\n",
	    .errors = { "DIR/p.conf:2: verify_sender.recipient_delimiter: \"++\" is not a single "
			"printable character (expected e.g. \"+\", or \"\" for none)" } },
	{ "recipient_delimiter @", .policy = CLOSED
	    "verify_sender = { recipient_delimiter = \"@\"; };\n",
	    .errors = { "DIR/p.conf:2: verify_sender.recipient_delimiter: \"@\" is not a single "
			"printable character (expected e.g. \"+\", or \"\" for none)" } },
	{ "recipient_delimiter blank", .policy = CLOSED
	    "verify_sender = { recipient_delimiter = \" \"; };\n",
	    .errors = { "DIR/p.conf:2: verify_sender.recipient_delimiter: \" \" is not a single "
			"printable character (expected e.g. \"+\", or \"\" for none)" } },
	{ "exempt_users with an empty login", .policy = CLOSED
	    "verify_sender = { exempt_users = [ \"svc\", \"\" ]; };\n",
	    .errors = { "DIR/p.conf:2: verify_sender.exempt_users: empty entry" } },
	{ "directory.file empty", .policy = CLOSED "directory = { file = \"\"; };\n",
	    .errors = { "DIR/p.conf:2: directory.file: empty path (expected a file name)" } },

	/* ---- lists: networks, hosts, domains ---- */
	{ "internal_networks: bad CIDR, host name, host bits", .policy = CLOSED
	    "internal_networks = [\n"
	    "  \"10.0.0.0/33\",\n"
	    "  \"mail.acme.com\",\n"
	    "  \"10.0.0.1/8\",\n"
	    "  \"2001:db8::/129\",\n"
	    "  \"10.0.0.0/8\"\n"
	    "];\n",
	    .errors = {
		"DIR/p.conf:3: internal_networks: \"10.0.0.0/33\" " NET_WORDS,
		"DIR/p.conf:4: internal_networks: \"mail.acme.com\" is not an IP address or network "
		"(expected a.b.c.d, a.b.c.d/len, IPv6 or IPv6/len)",
		"DIR/p.conf:5: internal_networks: \"10.0.0.1/8\" has host bits set beyond /8",
		"DIR/p.conf:6: internal_networks: \"2001:db8::/129\" " NET_WORDS } },
	{ "host entries: bad addresses and patterns", .policy =
	    "relay = {\n"
	    "  deny_to_domains = [ \"*\" ];\n"
	    "  exclude_hosts = [ \"300.1.1.1\", \"10.1.1.1-300\", \"10.1.1.5-3\", \"10.1.*\" ];\n"
	    "  allow_from_hosts = [ \"10.0.0.0/33\", \"bad_host!\", \"[10.1.*.1]\" ];\n"
	    "};\n",
	    .errors = {
		"DIR/p.conf:3: relay.exclude_hosts: \"300.1.1.1\" " IPV4_WORDS,
		"DIR/p.conf:3: relay.exclude_hosts: \"10.1.1.1-300\" " IPV4_WORDS,
		"DIR/p.conf:3: relay.exclude_hosts: \"10.1.1.5-3\" " IPV4_WORDS,
		"DIR/p.conf:3: relay.exclude_hosts: \"10.1.*\" " IPV4_WORDS,
		"DIR/p.conf:4: relay.allow_from_hosts: \"10.0.0.0/33\" " NET_WORDS,
		"DIR/p.conf:4: relay.allow_from_hosts: \"bad_host!\" " DOMAIN_WORDS,
		"DIR/p.conf:4: relay.allow_from_hosts: \"10.1.*.1\": after a range or *, only * may "
		"follow (wildcards must be trailing octets)" } },
	/* Refused, but the words are not pinned: the message quotes the entry
	 * without the brackets the admin wrote, or calls an address with a
	 * stray bracket or blank "not a valid domain name" (see the report). */
	{ "host entries: bracket and blank mistakes", .policy =
	    "relay = {\n"
	    "  deny_to_domains = [ \"*\" ];\n"
	    "  deny_from_hosts = [ \"[10.1.1.300]\", \"[10.1.1.1\", \"10.1.1.1]\", \"10.1.1.1 \" ];\n"
	    "};\n",
	    .errors = { "DIR/p.conf:3: relay.deny_from_hosts: ", "DIR/p.conf:3: relay.deny_from_hosts: ",
			"DIR/p.conf:3: relay.deny_from_hosts: ", "DIR/p.conf:3: relay.deny_from_hosts: " },
	    .partial = true },
	{ "domain entries", .policy =
	    "relay = {\n"
	    "  deny_from_hosts = [ \"*\" ];\n"
	    "  allow_to_domains = [ \"spam me.com\", \"\", \"*.spamme.com\", \"spamme..com\" ];\n"
	    "};\n",
	    .errors = {
		"DIR/p.conf:3: relay.allow_to_domains: \"spam me.com\" " DOMAIN_WORDS,
		"DIR/p.conf:3: relay.allow_to_domains: \"\" " DOMAIN_WORDS,
		"DIR/p.conf:3: relay.allow_to_domains: \"*.spamme.com\" " DOMAIN_WORDS,
		"DIR/p.conf:3: relay.allow_to_domains: \"spamme..com\" " DOMAIN_WORDS } },
	{ "local_domains: only plain names", .policy = CLOSED
	    "local_domains = [ \"@acme.com\", \"*\", \".acme.com\", \"\", \"acme.com\" ];\n",
	    .errors = {
		"DIR/p.conf:2: local_domains: \"@acme.com\" " LOCAL_WORDS,
		"DIR/p.conf:2: local_domains: \"*\" " LOCAL_WORDS,
		"DIR/p.conf:2: local_domains: \".acme.com\" " LOCAL_WORDS,
		"DIR/p.conf:2: local_domains: \"\" " LOCAL_WORDS } },

	/* ---- replies: class, enhanced code, text ---- */
	{ "relay.reply with a 4xx code", .policy = "relay = {\n"
						   "  deny_to_domains = [ \"*\" ];\n"
						   "  reply = \"454 4.7.1 Relay access denied\";\n"
						   "};\n",
	    .errors = { "DIR/p.conf:3: relay.reply: code 454 does not fit this action, which "
			"rejects (expected 5xx)" } },
	{ "verify_sender.reply: enhanced code disagrees", .policy = CLOSED
	    "verify_sender = { reply = \"554 4.7.1 Not yours\"; };\n",
	    .errors = { "DIR/p.conf:2: verify_sender.reply: enhanced code \"4.7.1\" does not agree "
			"with code 554 (expected 5.x.y)" } },
	{ "error_limit_reply with a 5xx code", .policy = CLOSED
	    "connection = { error_limit_reply = \"554 5.7.0 Too many errors\"; };\n",
	    .errors = { "DIR/p.conf:2: connection.error_limit_reply: code 554 does not fit this "
			"action, which defers (expected 4xx)" } },
	{ "directory.reply with a 5xx code", .policy = CLOSED
	    "directory = { reply = \"550 5.7.1 No directory\"; };\n",
	    .errors = { "DIR/p.conf:2: directory.reply: code 550 does not fit this action, which "
			"defers (expected 4xx)" } },
	{ "reply with no text", .policy = "\n" RELAY("reply = \"554 5.7.1\";"),
	    .errors = { "DIR/p.conf:2: relay.reply: reply text must be 1-255 printable "
			"characters" } },
	{ "reply without a code", .policy = "\n" RELAY("reply = \"Relay denied\";"),
	    .errors = { "DIR/p.conf:2: relay.reply: \"Relay denied\" does not start with a 3-digit "
			"code and a space (expected \"5xx 5.x.y text\")" } },
	/* DESIGN §1: a reply says something; blanks are not words. */
	{ "reply text of blanks only", .policy = "\n" RELAY("reply = \"554 5.7.1    \";"),
	    .errors = { "DIR/p.conf:2: relay.reply: " }, .partial = true },

	{ "verify_sender.headers = true loads", .policy = CLOSED
	    "verify_sender = { headers = true; };\n", .check = check_headers_on },
	{ "directory.backend = ldap loads without connecting", .policy = CLOSED
	    "directory = { backend = \"ldap\";\n"
	    "  ldap = { uris = [ \"ldap://127.0.0.1:1/\" ]; base = \"dc=acme,dc=com\"; }; };\n",
	    .check = check_ldap },
	{ "directory.ldap: group defaults", .policy = CLOSED
	    "directory = { backend = \"ldap\";\n"
	    "  ldap = { uris = [ \"ldap://127.0.0.1:1/\" ]; base = \"dc=acme,dc=com\"; }; };\n",
	    .check = check_ldap_group_defaults },
	{ "directory.ldap: AD keys and an empty base (Domino) load", .policy = CLOSED
	    "directory = { backend = \"ldap\";\n"
	    "  ldap = { uris = [ \"ldaps://127.0.0.1:1/\" ]; base = \"\"; group_classes = [ \"group\" ];\n"
	    "    nested_groups = \"in_chain\"; login_domains = [ \"ACME\" ]; }; };\n",
	    .check = check_ldap_ad },
	{ "directory.ldap: bad group class and login domain", .policy = CLOSED
	    "directory = { backend = \"ldap\";\n"
	    "  ldap = { uris = [ \"ldap://127.0.0.1:1/\" ]; base = \"dc=acme,dc=com\";\n"
	    "    group_classes = [ \"group)(uid=*\" ]; login_domains = [ \"ACME\\\\\" ]; }; };\n",
	    .errors = { "directory.ldap.group_classes: \"group)(uid=*\" is not an object class name",
			"directory.ldap.login_domains: \"ACME\\\" is not a domain name" },
	    .partial = true },
	{ "directory.ldap.nested_groups: unknown value", .policy = CLOSED
	    "directory = { ldap = { nested_groups = \"deep\"; }; };\n",
	    .errors = { "DIR/p.conf:2: directory.ldap.nested_groups: unknown value \"deep\" "
			"(expected \"none\" or \"in_chain\" or \"member_of\")" } },
	{ "directory.backend unknown", .policy = CLOSED "directory = { backend = \"ad\"; };\n",
	    .errors = { "DIR/p.conf:2: directory.backend: unknown value \"ad\" (expected \"file\" "
			"or \"ldap\")" } },
	{ "recipients.deny_groups: unknown value", .policy = CLOSED
	    "recipients = { deny_groups = \"some\"; };\n",
	    .errors = { "DIR/p.conf:2: recipients.deny_groups: unknown value \"some\" (expected "
		"\"none\" or \"external\" or \"all\")" } },

	/* ---- connection, sender, recipient controls, DNS, profiles (DESIGN §1, §3) ---- */
	{ "every control loads", .policy = CLOSED
	    "protect_local_senders = true;\n"
	    "protect_local_senders_except = [ \"@acme.com\" ];\n"
	    "connection = { allow_hosts = [ \"x.example\" ]; deny_hosts = [ \"y.example\" ];\n"
	    "  verify_hostname = true; dnswl = [ \"WL.example.\" ]; max_sessions = 100;\n"
	    "  dnsbl = ( { zone = \"zen.example\"; action = \"tag\"; },\n"
	    "            { zone = \"bl.example\"; reply = \"554 5.7.1 Listed at %z\"; } ); };\n"
	    "sender = { allow = [ \"@acme.com\" ]; deny = [ \"@spam.example\" ];\n"
	    "  verify_domain = true; verify_domain_timeout = 7; strict_syntax = true;\n"
	    "  max_message_size = 10485760; };\n"
	    "recipients = { allow = [ \"@acme.com\" ]; deny = [ \"x@acme.com\" ]; max = 50;\n"
	    "  max_reply = \"552 5.5.3 Too many recipients\"; };\n"
	    "dns = { servers = [ \"127.0.0.1:5353\", \"[::1]:53\", \"192.0.2.1\" ]; timeout = 2; };\n",
	    .check = check_controls },
	{ "connection.dnsbl entries are checked", .policy = CLOSED
	    "connection = { dnsbl = ( { zone = \"bl.example\"; action = \"drop\"; },\n"
	    "  { action = \"log\"; },\n"
	    "  { zone = \"x.example\"; when = \"always\"; },\n"
	    "  { zone = \"y.example\"; reply = \"451 4.7.1 later\"; },\n"
	    "  \"z.example\" ); };\n",
	    .errors = {
		"DIR/p.conf:2: connection.dnsbl: unknown action \"drop\" (expected \"log\", \"tag\" or "
		"\"reject\")",
		"DIR/p.conf:3: connection.dnsbl: each entry needs zone = \"list.example\"",
		"DIR/p.conf:4: connection.dnsbl: unknown key \"when\" in a zone (expected zone, action "
		"or reply)",
		"DIR/p.conf:5: connection.dnsbl: code 451 does not fit this action, which rejects "
		"(expected 5xx)",
		"DIR/p.conf:6: connection.dnsbl: element 5 is not a group (expected { zone = \"...\"; "
		"action = \"reject\"; })" } },
	{ "dns.servers and dnswl entries are checked", .policy = CLOSED
	    "dns = { servers = [ \"ns1.example\", \"127.0.0.1:99999\" ]; };\n"
	    "connection = { dnswl = [ \"not a zone\" ]; };\n",
	    .errors = {
		"DIR/p.conf:2: dns.servers: \"ns1.example\" is not an IP address with an optional "
		"port (expected e.g. \"127.0.0.1:5353\" or \"[::1]:53\")",
		"DIR/p.conf:2: dns.servers: \"127.0.0.1:99999\" is not an IP address with an "
		"optional port (expected e.g. \"127.0.0.1:5353\" or \"[::1]:53\")",
		"DIR/p.conf:3: connection.dnswl: \"not a zone\" is not a DNS zone (expected e.g. "
		"\"list.example\")" } },
	{ "recipients.max_reply must be 4xx or 5xx", .policy = CLOSED
	    "recipients = { max = 2; max_reply = \"250 2.0.0 fine\"; };\n",
	    .errors = { "DIR/p.conf:2: recipients.max_reply: " }, .partial = true },
	{ "connection.max_sessions_reply must defer", .policy = CLOSED
	    "connection = { max_sessions_reply = \"554 5.7.0 Go away\"; };\n",
	    .errors = { "DIR/p.conf:2: connection.max_sessions_reply: code 554 does not fit this "
			"action, which defers (expected 4xx)" } },
	{ "profiles: each is a whole policy over the base", .policy = CLOSED
	    "local_domains = [ \"acme.com\" ];\n"
	    "sender = { deny = [ \"@spam.example\" ]; };\n"
	    "profiles = ( { daemon_name = \"submission\"; relay = { enforce = \"all\"; };\n"
	    "               sender = { deny = [ \"@other.example\" ]; }; },\n"
	    "             { daemon_name = \"smtp\"; protect_local_senders = true; } );\n",
	    .check = check_profiles },
	{ "profiles: process-wide keys, duplicates, no name, unknown keys", .policy = CLOSED
	    "profiles = ( { daemon_name = \"a\"; dns = { timeout = 1; }; log_level = \"debug\"; },\n"
	    "  { daemon_name = \"a\"; },\n"
	    "  { relay = { enforce = \"all\"; }; },\n"
	    "  { daemon_name = \"b\"; relay = { enforse = \"all\"; }; } );\n",
	    .errors = {
		"DIR/p.conf:2: dns: cannot be set in a profile (profile \"a\"): it applies to the "
		"whole process",
		"DIR/p.conf:2: log_level: cannot be set in a profile (profile \"a\"): it applies to "
		"the whole process",
		"DIR/p.conf:3: profiles: daemon_name \"a\" is used twice",
		"DIR/p.conf:4: profiles: entry 3 needs daemon_name = \"...\" (the MTA's {daemon_name} "
		"macro)",
		"DIR/p.conf:5: relay.enforse: unknown key (did you mean relay.enforce?)" } },

	/* ---- the whole file in one pass ---- */
	{ "several errors, all reported in order", .policy =
	    "local_domains = [ \"acme.com\" ];\n"
	    "relay = {\n"
	    "  enforce = \"sometimes\";\n"
	    "  deny_to_domains = [ \"*\", \"spam me.com\" ];\n"
	    "  deny_from_hosts = [ \"*\" ];\n"
	    "  reply = \"454 4.7.1 Try later\";\n"
	    "};\n"
	    "frobnicate = true;\n"
	    "verify_sender = { envelope = \"yes\"; null_sender = \"bounce\"; };\n"
	    "connection = { error_limit = -1; };\n",
	    .errors = {
		"DIR/p.conf:3: relay.enforce: unknown value \"sometimes\" (expected \"external\" or "
		"\"all\" or \"none\")",
		"DIR/p.conf:4: relay.deny_to_domains: \"spam me.com\" " DOMAIN_WORDS,
		"DIR/p.conf:6: relay.reply: code 454 does not fit this action, which rejects "
		"(expected 5xx)",
		"DIR/p.conf:8: frobnicate: unknown key",
		"DIR/p.conf:9: verify_sender.envelope: wrong type (expected true or false)",
		"DIR/p.conf:9: verify_sender.null_sender: unknown value \"bounce\" (expected "
		"\"allow\" or \"reject\")",
		"DIR/p.conf:10: connection.error_limit: -1 is out of range (expected 0 to 1000)" } },
	/* The included file's name as the admin can open it, like every other
	 * line (libconfig records it relative to the include directory). */
	{ "errors in an included file name that file", .policy = CLOSED "@include \"inc.conf\"\n",
	    .dir_name = "inc.conf", .dir = "\nfrobnicate = 1;\n",
	    .errors = { "DIR/inc.conf:2: frobnicate: unknown key" } },
	/* libconfig's own text is "syntax error", so the words double up; only
	 * the place is pinned. */
	{ "syntax error", .policy = "relay = {\n  enforce = ;\n};\n",
	    .errors = { "DIR/p.conf:2: syntax error" }, .partial = true },
	{ "missing policy file", .path = "DIR/nope.conf",
	    .errors = { "DIR/nope.conf: cannot read the policy file" } },

	/* ---- the directory file ---- */
	{ "directory: missing file", .policy = CLOSED "directory = { file = \"missing.conf\"; };\n",
	    .errors = { "DIR/missing.conf: cannot read the directory file" } },
	{ "directory: unknown key in a user", .policy = CLOSED,
	    .dir = "users = (\n"
		   "  { login = \"jdoe\";\n"
		   "    mail = [ \"jdoe@acme.com\" ]; }\n"
		   ");\n",
	    .errors = { "DIR/directory.conf:3: users.mail: unknown key" } },
	{ "directory: bad addresses", .policy = CLOSED,
	    .dir = "users = (\n"
		   "  { login = \"jdoe\";\n"
		   "    addresses = [ \"not-an-address\", \"a@@b.example\", \"@\",\n"
		   "                  \"u%h@acme.com\", \"jdoe@acme.com\" ]; }\n"
		   ");\n",
	    .errors = {
		"DIR/directory.conf:3: users.addresses: \"not-an-address\" " ADDR_WORDS,
		"DIR/directory.conf:3: users.addresses: \"a@@b.example\" " ADDR_WORDS,
		"DIR/directory.conf:3: users.addresses: \"@\" " ADDR_WORDS,
		"DIR/directory.conf:4: users.addresses: \"u%h@acme.com\" " ADDR_WORDS } },
	{ "directory: duplicate login across users", .policy = CLOSED,
	    .dir = "users = (\n"
		   "  { login = \"jdoe\"; addresses = [ \"john.doe@acme.com\" ]; },\n"
		   "  { login = \"JDoe\"; addresses = [ \"other@acme.com\" ]; }\n"
		   ");\n",
	    .errors = { "DIR/directory.conf:3: users.login: \"JDoe\" already names user \"jdoe\" "
			"(a login must be unique)" } },
	{ "directory: a name or address naming two users", .policy = CLOSED,
	    .dir = "users = (\n"
		   "  { login = \"asmith\"; addresses = [ \"alice.smith@acme.com\" ]; },\n"
		   "  { login = \"bob\"; names = [ \"asmith\" ];\n"
		   "    addresses = [ \"Alice.Smith@acme.com\" ]; }\n"
		   ");\n",
	    .errors = {
		"DIR/directory.conf:3: users.names: \"asmith\" already names user \"asmith\" (a "
		"login must be unique)",
		"DIR/directory.conf:4: users.addresses: \"alice.smith@acme.com\" already names user "
		"\"asmith\" (a login must be unique)" } },
	{ "directory: send_as naming an unknown user", .policy = CLOSED,
	    .dir = "users = (\n"
		   "  { login = \"jdoe\";\n"
		   "    send_as = [ \"nobody\" ]; }\n"
		   ");\n",
	    .errors = { "DIR/directory.conf:3: users.send_as: \"nobody\" is neither an address nor "
			"a known user" } },
	{ "directory: group member unknown", .policy = CLOSED,
	    .dir = "users = ( { login = \"jdoe\"; } );\n"
		   "groups = (\n"
		   "  { name = \"Sales\"; addresses = [ \"sales@acme.com\" ];\n"
		   "    members = [ \"jdoe\", \"nobody\" ]; }\n"
		   ");\n",
	    .errors = { "DIR/directory.conf:4: groups.members: no such user \"nobody\"" } },
	{ "directory: group errors", .policy = CLOSED,
	    .dir = "users = ( );\n"
		   "groups = (\n"
		   "  { addresses = [ \"x@acme.com\" ]; },\n"
		   "  { name = \"G\"; owner = \"x\"; },\n"
		   "  { name = \"H\"; addresses = [ \"bad\" ]; }\n"
		   ");\n",
	    .errors = {
		"DIR/directory.conf:3: groups.name: missing or empty (expected a string)",
		"DIR/directory.conf:4: groups.owner: unknown key",
		"DIR/directory.conf:5: groups.addresses: \"bad\" is not an address (expected "
		"local@domain)" } },
	{ "directory: users without login, not groups", .policy = CLOSED,
	    .dir = "users = (\n"
		   "  { names = [ \"x\" ]; },\n"
		   "  { login = \"\"; },\n"
		   "  \"jdoe\" );\n",
	    .errors = {
		"DIR/directory.conf:2: users.login: missing or empty (expected a string)",
		"DIR/directory.conf:3: users.login: missing or empty (expected a string)",
		"DIR/directory.conf:4: users: entry 3 is not a group (expected { login = ...; })" } },
	{ "directory: wrong types", .policy = CLOSED,
	    .dir = "users = (\n"
		   "  { login = \"carol\"; addresses = \"c@acme.com\";\n"
		   "    names = [ 1 ]; }\n"
		   ");\n"
		   "groups = { };\n",
	    .errors = {
		"DIR/directory.conf:5: groups: wrong type (expected a list of groups, ( { ... } ))",
		"DIR/directory.conf:3: users.names: element is not a string",
		"DIR/directory.conf:2: users.addresses: wrong type (expected a list of strings)" } },
	{ "directory: unknown top-level key", .policy = CLOSED,
	    .dir = "users = ( );\npeople = ( );\n",
	    .errors = { "DIR/directory.conf:2: people: unknown key (expected users or groups)" } },
	{ "directory: syntax error", .policy = CLOSED, .dir = "users = (\n  { login = ; }\n);\n",
	    .errors = { "DIR/directory.conf:2: syntax error" }, .partial = true },
};

/* ---- the harness ---- */

/* Replaces every "DIR/" of in with the temporary directory. */
static void
expand(const char *in, char *out, size_t len)
{
	size_t o = 0;

	while (*in && o + 1 < len) {
		if (strncmp(in, "DIR/", 4) == 0) {
			o += (size_t)snprintf(out + o, len - o, "%s/", tmpdir);
			in += 4;
		} else {
			out[o++] = *in++;
		}
	}
	out[o < len ? o : len - 1] = '\0';
}

static void
write_file(const char *name, const char *text)
{
	char path[512], body[16384];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	expand(text, body, sizeof(body));
	assert_non_null(f = fopen(path, "w"));
	assert_true(fputs(body, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* A policy that names no local domain gets one after its last line (line
 * numbers of its errors unchanged): an empty list is itself an error
 * (tests for that say local_domains = [ ] themselves). */
static void
write_policy(const char *text)
{
	char body[16384];

	if (strstr(text, "local_domains") != NULL) {
		write_file("p.conf", text);
		return;
	}
	snprintf(body, sizeof(body), "%s\nlocal_domains = [ \"unit.test\" ];\n", text);
	write_file("p.conf", body);
}

static size_t
count(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

static void
dump(const char *what, char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		print_error("%s %zu: %s\n", what, i + 1, lines[i]);
}

static void
compare(const char *what, char **got, size_t ngot, const char *const *want, size_t nwant,
    bool partial)
{
	char line[2048];

	if (ngot != nwant) {
		dump(what, got, ngot);
		fail_msg("%zu %s, expected %zu", ngot, what, nwant);
	}
	for (size_t i = 0; i < nwant; i++) {
		expand(want[i], line, sizeof(line));
		if (partial ? strstr(got[i], line) == NULL : strcmp(got[i], line) != 0) {
			dump(what, got, ngot);
			fail_msg("%s %zu is\n  %s\nexpected %s\n  %s", what, i + 1, got[i],
			    partial ? "it to contain" : "", line);
		}
	}
}

static void
test_row(void **state)
{
	const struct crow *r = *state;
	struct errlist *errs = &cur_errs;
	char path[512];
	size_t nerr = count(r->errors, RW_NELEM(r->errors));
	size_t nwarn = count(r->warnings, RW_NELEM(r->warnings));

	if (r->path != NULL && strncmp(r->path, "DIR/", 4) != 0) {
		if (access(r->path, R_OK) != 0)
			skip();         /* run from outside the source tree */
		snprintf(path, sizeof(path), "%s", r->path);
	} else if (r->path != NULL) {
		expand(r->path, path, sizeof(path));
	} else {
		write_policy(r->policy);
		write_file(r->dir_name ? r->dir_name : "directory.conf",
		    r->dir ? r->dir : "users = ( );\n");
		snprintf(path, sizeof(path), "%s/p.conf", tmpdir);
	}
	struct policy *p = cur_policy = config_load(path, errs);
	if (nerr == 0) {
		if (p == NULL)
			dump("error", errs->lines, errs->count);
		assert_non_null(p);
		assert_int_equal(errs->count, 0);
		compare("warnings", errs->warnings, errs->nwarnings, r->warnings, nwarn, false);
		if (r->check != NULL)
			r->check(p);
	} else {
		assert_null(p);
		compare("errors", errs->lines, errs->count, r->errors, nerr, r->partial);
		if (nwarn > 0)
			compare("warnings", errs->warnings, errs->nwarnings, r->warnings, nwarn, false);
	}
}

/* Loading twice gives two independent policies; a failed load leaves the
 * errlist for the caller and can be repeated with the same list. */
static void
test_errlist_accumulates(void **state)
{
	struct errlist *errs = &cur_errs;
	char path[512];

	(void)state;
	write_policy(CLOSED "frobnicate = 1;\n");
	write_file("directory.conf", "users = ( );\n");
	snprintf(path, sizeof(path), "%s/p.conf", tmpdir);
	assert_null(config_load(path, errs));
	assert_null(config_load(path, errs));
	assert_int_equal(errs->count, 2);
	assert_string_equal(errs->lines[0], errs->lines[1]);
	errlist_clear(errs);
	assert_int_equal(errs->count, 0);
	write_policy(CLOSED);
	struct policy *a = cur_policy = config_load(path, errs);
	struct policy *b = cur_policy2 = config_load(path, errs);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(a->refs, 0);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	static const char *const names[] = { "p.conf", "directory.conf", "people.conf",
		"abs.conf", "inc.conf" };
	char path[512];

	(void)state;
	for (size_t i = 0; i < RW_NELEM(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int
main(void)
{
	static struct CMUnitTest tests[RW_NELEM(rows) + 4];
	size_t n = 0;

	for (size_t i = 0; i < RW_NELEM(rows); i++)
		tests[n++] = (struct CMUnitTest){ rows[i].label, test_row, NULL, test_teardown,
			(void *)&rows[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(test_errlist_accumulates,
	    test_teardown);
	return _cmocka_run_group_tests("config", tests, n, setup, teardown);
}

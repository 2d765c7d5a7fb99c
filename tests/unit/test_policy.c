/*
 * test_policy.c - the truth table of DESIGN §2 (the relay decision) and §4
 * (verify authenticated sender, envelope), plus report_only and error_limit.
 *
 * Table-driven (STYLE §4.8): every row writes a small policy file (and its
 * directory file) into a temporary directory, loads it with the real
 * config_load, then drives session_new / session_connect / session_mail /
 * session_rcpt exactly as callbacks.c does, and asserts the decision: action,
 * rule, reason, reply, report_only and error_limit flags, and the parts of
 * the decision's log line. Each row is its own cmocka test, named by its
 * label, so a failure names the row.
 *
 * Fixed facts of every row: local_domains = acme.com, acme.net;
 * internal_networks = 10.0.0.0/8, 2001:db8:1::/48; the client is
 * unknown[203.0.113.5] unless the row says otherwise.
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
#include "log.h"
#include "session.h"
#include "unit_files.h"

struct row {
	const char *label;
	/* policy knobs (NULL: the default shown) */
	const char *enforce;          /* "external" */
	const char *exclude;          /* relay.exclude_hosts contents: empty */
	const char *authn;            /* relay.authenticated: "allow" */
	const char *allow_to, *deny_to, *allow_from, *deny_from;   /* empty */
	bool deny_wins;
	const char *hidden;           /* relay.hidden_routes: "reject" */
	const char *relay_extra;      /* more lines inside relay = { } */
	const char *extra;            /* more top-level lines */
	const char *dir;              /* directory.conf: users = ( ); */
	/* the transaction, as xxfi_connect / MAIL / RCPT give it */
	const char *name;             /* "unknown"; NONAME: none */
	const char *ip;               /* "203.0.113.5"; NOIP: none */
	const char *auth;             /* {auth_authen}: none */
	const char *from;             /* "<sender@example.org>" */
	const char *rcpt;             /* NULL: the row judges MAIL */
	int repeat;                   /* judged steps; the last is checked (0 = 1) */
	enum decision_action prev;    /* expected action of the steps before it */
	/* expected decision */
	enum decision_action act;
	const char *rule;
	const char *reason;           /* NULL: not checked */
	const char *reply;            /* NULL: none */
	bool would;                   /* report_only: would_reject */
	bool disc;                    /* error_limit reached: disconnect */
	const char *log;              /* substring of the log line */
};

#define NOIP "(none)"
#define NONAME "(no name)"
#define Q(s) "\"" s "\""

#define RELAY_REPLY "554 5.7.1 Relay rejected for policy reasons."
#define VERIFY_REPLY "550 5.7.1 Sender address rejected: not owned by authenticated user"
#define LIMIT_REPLY "421 4.7.0 SMTP service not available, closing transmission channel."

#define R_OFF "anti-relay enforcement is off"
#define R_INTERNAL "internal host, enforcement applies to external hosts"
#define R_EXCLUDED "host is excluded from anti-relay checks"
#define R_AUTH "authenticated user"
#define R_LOCAL "local recipient"
#define R_LISTS "relay permitted by the relay lists"
#define R_DENIED "relay denied"
#define R_HIDDEN "relay denied: hidden route in local recipient"
#define R_UNPARSABLE "relay denied: unparsable recipient"
#define R_OWNED "sender owned by authenticated user"
#define R_NOTOWNED "sender not owned by authenticated user"
#define R_NOUSER "authenticated user not in directory"
#define R_NULLS "null sender from authenticated user"
#define R_BADSENDER "unparsable sender address"
#define R_NOAUTH "not authenticated"

/* Expected outcomes. */
#define PASS(r) .act = DECISION_CONTINUE, .reason = r
#define RELAY_REJECT(r) .act = DECISION_REJECT, .rule = "relay", .reason = r, .reply = RELAY_REPLY
/* Refused as a relay; the reason words are left open (either a hidden-route
 * refusal or judging the last hop is correct). */
#define RELAY_REJECT_ANY .act = DECISION_REJECT, .rule = "relay", .reply = RELAY_REPLY
#define SENDER_REJECT(r) \
	.act = DECISION_REJECT, .rule = "verify_sender", .reason = r, .reply = VERIFY_REPLY

/* Common knobs. */
#define CLOSED .deny_to = Q("*"), .deny_from = Q("*")
#define SPAMME(entry) .allow_to = Q(entry), .deny_to = Q("*")
#define EXT "<bob@remote.example>"
#define LOCAL "<alice@acme.com>"
#define DIR_STD .dir = std_directory
#define GROUP_SEND_AS .extra = "verify_sender = { group_send_as = true; };"

static const char std_directory[] =
    "users = (\n"
    "  { login = \"jdoe\"; names = [ \"John Doe\", \"John Doe/Acme\" ];\n"
    "    addresses = [ \"john.doe@acme.com\", \"jd@acme.com\", \"J.Doe+Lists@acme.com\" ];\n"
    "    send_as = [ \"sales@acme.com\" ]; },\n"
    "  { login = \"asmith\"; names = [ \"Alice Smith\" ];\n"
    "    addresses = [ \"alice.smith@acme.com\" ]; },\n"
    "  { login = \"assistant\"; addresses = [ \"assistant@acme.com\" ];\n"
    "    send_as = [ \"asmith\" ]; },\n"
    "  { login = \"domadmin\"; addresses = [ \"admin@jdoe.example\", \"@jdoe.example\" ]; },\n"
    "  { login = \"noaddr\"; }\n"
    ");\n"
    "groups = (\n"
    "  { name = \"Support\"; addresses = [ \"support@acme.com\" ];\n"
    "    members = [ \"jdoe\", \"Alice Smith\" ]; }\n"
    ");\n";

/* Recipient controls: support@ is a group, john.doe@ is both a person and
 * a group (ambiguous), nobody@ is unknown. */
static const char rcpt_directory[] =
    "users = ( { login = \"jdoe\"; addresses = [ \"john.doe@acme.com\" ]; } );\n"
    "groups = ( { name = \"Support\"; addresses = [ \"support@acme.com\" ]; members = [ ]; },\n"
    "  { name = \"Dup\"; addresses = [ \"john.doe@acme.com\" ]; members = [ ]; } );\n";

#define RCPT_DIR .dir = rcpt_directory
#define NOUSER_REPLY "550 5.1.1 No such user here"
#define GROUPS_REPLY "550 5.7.1 Mail to groups is not accepted."
#define AMBIG_REPLY "550 5.1.4 Recipient address is ambiguous."

static const struct row rows[] = {
	/* ---- §3 local recipients: verify_local, deny_groups, deny_ambiguous ---- */
	{ "verify_local: unknown local recipient refused", CLOSED, RCPT_DIR,
	    .extra = "recipients = { verify_local = true; };", .rcpt = "<nobody@acme.com>",
	    .act = DECISION_REJECT, .rule = "verify_local", .reason = "no such user",
	    .reply = NOUSER_REPLY },
	{ "verify_local: a person passes", CLOSED, .dir = std_directory,
	    .extra = "recipients = { verify_local = true; };", .rcpt = "<JD@acme.com>",
	    PASS(R_LOCAL) },
	{ "verify_local: a group passes", CLOSED, RCPT_DIR,
	    .extra = "recipients = { verify_local = true; };", .rcpt = "<support@acme.com>",
	    PASS(R_LOCAL) },
	{ "verify_local off: unknown passes", CLOSED, RCPT_DIR,
	    .extra = "recipients = { deny_groups = \"all\"; };", .rcpt = "<nobody@acme.com>",
	    PASS(R_LOCAL) },
	{ "verify_local: authenticated sender, unknown local recipient refused", CLOSED, RCPT_DIR,
	    .extra = "recipients = { verify_local = true; };", .auth = "jdoe",
	    .from = "<john.doe@acme.com>", .rcpt = "<nobody@acme.com>", .act = DECISION_REJECT,
	    .rule = "verify_local", .reply = NOUSER_REPLY },
	{ "verify_local: external recipients are not looked up", CLOSED, RCPT_DIR,
	    .extra = "recipients = { verify_local = true; };", .auth = "jdoe",
	    .from = "<john.doe@acme.com>", .rcpt = EXT, PASS(R_AUTH) },
	{ "deny_groups all: group refused", CLOSED, RCPT_DIR,
	    .extra = "recipients = { deny_groups = \"all\"; };", .rcpt = "<Support@ACME.com>",
	    .act = DECISION_REJECT, .rule = "deny_groups",
	    .reason = "mail to groups is not accepted", .reply = GROUPS_REPLY },
	{ "deny_groups all: authenticated still refused", CLOSED, RCPT_DIR,
	    .extra = "recipients = { deny_groups = \"all\"; };", .auth = "jdoe",
	    .from = "<john.doe@acme.com>", .rcpt = "<support@acme.com>", .act = DECISION_REJECT,
	    .rule = "deny_groups", .reply = GROUPS_REPLY },
	{ "deny_groups external: external client refused", CLOSED, RCPT_DIR,
	    .extra = "recipients = { deny_groups = \"external\"; };", .rcpt = "<support@acme.com>",
	    .act = DECISION_REJECT, .rule = "deny_groups", .reply = GROUPS_REPLY },
	{ "deny_groups external: authenticated client passes", CLOSED, RCPT_DIR,
	    .extra = "recipients = { deny_groups = \"external\"; };", .auth = "jdoe",
	    .from = "<john.doe@acme.com>", .rcpt = "<support@acme.com>", PASS(R_AUTH) },
	{ "deny_groups external: internal client passes", CLOSED, RCPT_DIR, .ip = "10.1.2.3",
	    .extra = "recipients = { deny_groups = \"external\"; };", .rcpt = "<support@acme.com>",
	    PASS(R_INTERNAL) },
	{ "deny_groups none: group passes", CLOSED, RCPT_DIR,
	    .extra = "recipients = { verify_local = true; deny_groups = \"none\"; };",
	    .rcpt = "<support@acme.com>", PASS(R_LOCAL) },
	{ "deny_ambiguous: person and group on one address refused", CLOSED, RCPT_DIR,
	    .extra = "recipients = { deny_ambiguous = true; };", .rcpt = "<john.doe@acme.com>",
	    .act = DECISION_REJECT, .rule = "deny_ambiguous", .reason = "recipient is ambiguous",
	    .reply = AMBIG_REPLY },
	{ "deny_ambiguous off: ambiguous passes", CLOSED, RCPT_DIR,
	    .extra = "recipients = { verify_local = true; };", .rcpt = "<john.doe@acme.com>",
	    PASS(R_LOCAL) },
	{ "custom verify_local reply", CLOSED, RCPT_DIR,
	    .extra = "recipients = { verify_local = true; verify_local_reply = "
		     "\"550 5.1.1 <%s> unknown here\"; };", .rcpt = "<nobody@acme.com>",
	    .act = DECISION_REJECT, .rule = "verify_local", .reply = "550 5.1.1 <sender@example.org> unknown here" },

	/* ---- §2 steps 1-2: classification x enforcement mode ---- */
	{ "external mode, external client: refused", CLOSED, .rcpt = EXT, RELAY_REJECT(R_DENIED),
	    .log = "NOQUEUE: decision=reject stage=rcpt rule=relay client=unknown[203.0.113.5] "
		   "auth=- from=<sender@example.org> rcpt=<bob@remote.example> "
		   "reason=\"relay denied\" reply=\"" RELAY_REPLY "\" "
		   "detail=\"destination=remote.example\"" },
	{ "external mode, internal by IPv4 network", CLOSED, .ip = "10.1.2.3", .rcpt = EXT,
	    PASS(R_INTERNAL), .log = "decision=accept stage=rcpt rule=- client=unknown[10.1.2.3]" },
	{ "external mode, internal by IPv6 network", CLOSED, .ip = "2001:db8:1:ff::5", .rcpt = EXT,
	    PASS(R_INTERNAL) },
	{ "external mode, internal by IPv4-mapped IPv6", CLOSED, .ip = "::ffff:10.9.8.7",
	    .rcpt = EXT, PASS(R_INTERNAL) },
	{ "external mode, internal by verified name under local domain", CLOSED,
	    .name = "mail.acme.com", .rcpt = EXT, PASS(R_INTERNAL),
	    .log = "client=mail.acme.com[203.0.113.5]" },
	{ "external mode, internal by verified name equal to local domain", CLOSED,
	    .name = "acme.com", .rcpt = EXT, PASS(R_INTERNAL) },
	{ "external mode, internal by name under second local domain", CLOSED,
	    .name = "relay.dc1.acme.net", .rcpt = EXT, PASS(R_INTERNAL) },
	{ "external mode, verified name upper case with trailing dot", CLOSED,
	    .name = "MAIL.ACME.COM.", .rcpt = EXT, PASS(R_INTERNAL) },
	{ "external mode, name internal and no address", CLOSED, .name = "mail.acme.com",
	    .ip = NOIP, .rcpt = EXT, PASS(R_INTERNAL) },
	{ "external mode, name notacme.com is not under acme.com", CLOSED, .name = "notacme.com",
	    .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "external mode, name acme.com.evil.example is external", CLOSED,
	    .name = "acme.com.evil.example", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "external mode, Postfix unknown is not verified", CLOSED, .name = "unknown",
	    .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "external mode, Sendmail [1.2.3.4] is not verified", CLOSED, .name = "[203.0.113.5]",
	    .rcpt = EXT, RELAY_REJECT(R_DENIED), .log = "client=unknown[203.0.113.5]" },
	{ "external mode, bracketed internal-looking name is not verified", CLOSED,
	    .name = "[10.1.2.3]", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "external mode, no name and no address", CLOSED, .name = NONAME, .ip = NOIP, .rcpt = EXT,
	    RELAY_REJECT(R_DENIED), .log = "client=unknown[unknown]" },
	{ "external mode, address just outside internal network", CLOSED, .ip = "11.0.0.1",
	    .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "all mode, external client refused", .enforce = "all", CLOSED, .rcpt = EXT,
	    RELAY_REJECT(R_DENIED) },
	{ "all mode, internal by address is still checked", .enforce = "all", CLOSED,
	    .ip = "10.1.2.3", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "all mode, internal by name is still checked", .enforce = "all", CLOSED,
	    .name = "mail.acme.com", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "all mode, internal client may still reach local", .enforce = "all", CLOSED,
	    .ip = "10.1.2.3", .rcpt = LOCAL, PASS(R_LOCAL) },
	{ "none mode, external client relays", .enforce = "none", CLOSED, .rcpt = EXT,
	    PASS(R_OFF) },
	{ "none mode, internal client relays", .enforce = "none", CLOSED, .ip = "10.1.2.3",
	    .rcpt = EXT, PASS(R_OFF) },
	{ "none mode, hidden route not judged", .enforce = "none", CLOSED,
	    .rcpt = "<user%evil.example@acme.com>", PASS(R_OFF) },

	/* ---- §2 step 3: exclusions (by address forms and by verified name) ---- */
	{ "exclude plain IPv4", .exclude = Q("203.0.113.5"), CLOSED, .rcpt = EXT,
	    PASS(R_EXCLUDED) },
	{ "exclude bracketed IPv4", .exclude = Q("[203.0.113.5]"), CLOSED, .rcpt = EXT,
	    PASS(R_EXCLUDED) },
	{ "exclude other IPv4 does not exclude", .exclude = Q("[203.0.113.6]"), CLOSED,
	    .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "exclude [a.b.c.*]", .exclude = Q("[203.0.113.*]"), CLOSED, .rcpt = EXT,
	    PASS(R_EXCLUDED) },
	{ "exclude a.b.*.* unbracketed", .exclude = Q("203.0.*.*"), CLOSED, .rcpt = EXT,
	    PASS(R_EXCLUDED) },
	{ "exclude [a.b.c.*] other network", .exclude = Q("[203.0.114.*]"), CLOSED, .rcpt = EXT,
	    RELAY_REJECT(R_DENIED) },
	{ "exclude range, inside", .exclude = Q("[203.0.113.1-10]"), CLOSED, .rcpt = EXT,
	    PASS(R_EXCLUDED) },
	{ "exclude range, upper bound", .exclude = Q("[203.0.113.1-5]"), CLOSED, .rcpt = EXT,
	    PASS(R_EXCLUDED) },
	{ "exclude range, outside", .exclude = Q("[203.0.113.6-30]"), CLOSED, .rcpt = EXT,
	    RELAY_REJECT(R_DENIED) },
	{ "exclude bracketed CIDR, inside", .exclude = Q("[203.0.113.0/29]"), CLOSED, .rcpt = EXT,
	    PASS(R_EXCLUDED) },
	{ "exclude bracketed CIDR, outside", .exclude = Q("[203.0.113.0/29]"), CLOSED,
	    .ip = "203.0.113.8", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "exclude unbracketed CIDR", .exclude = Q("203.0.113.0/24"), CLOSED, .rcpt = EXT,
	    PASS(R_EXCLUDED) },
	{ "exclude IPv6 address", .exclude = Q("2001:db8:5::25"), CLOSED, .ip = "2001:db8:5::25",
	    .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "exclude [IPv6:...] address", .exclude = Q("[IPv6:2001:db8:5::25]"), CLOSED,
	    .ip = "2001:db8:5::25", .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "exclude IPv6 prefix", .exclude = Q("2001:db8:5::/48"), CLOSED, .ip = "2001:db8:5:7::9",
	    .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "exclude IPv6 prefix, outside", .exclude = Q("2001:db8:5::/48"), CLOSED,
	    .ip = "2001:db8:6::9", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "exclude IPv4 entry does not match IPv6 client", .exclude = Q("0.0.0.0/0"), CLOSED,
	    .ip = "2001:db8:6::9", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "exclude by exact verified name", .exclude = Q("app1.partner.example"), CLOSED,
	    .name = "app1.partner.example", .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "exclude by name, subdomain on label boundary", .exclude = Q("partner.example"), CLOSED,
	    .name = "mx2.partner.example", .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "exclude by name, case and trailing dot", .exclude = Q("app1.partner.example"), CLOSED,
	    .name = "APP1.Partner.Example.", .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "exclude by name, notpartner.example not excluded", .exclude = Q("partner.example"),
	    CLOSED, .name = "notpartner.example", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "exclude by name, unknown name not excluded", .exclude = Q("app1.partner.example"),
	    CLOSED, .name = "unknown", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "exclude by name, [ip] name not excluded", .exclude = Q("app1.partner.example"), CLOSED,
	    .name = "[203.0.113.5]", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "exclude by name, .domain form excludes subdomains", .exclude = Q(".partner.example"),
	    CLOSED, .name = "mx.partner.example", .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "exclude *", .exclude = Q("*"), CLOSED, .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "exclude list of several, last matches",
	    .exclude = Q("app1.partner.example") ", " Q("[198.51.100.7]") ", " Q("203.0.113.5"),
	    CLOSED, .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "all mode, excluded internal host", .enforce = "all", .exclude = Q("10.1.2.3"), CLOSED,
	    .ip = "10.1.2.3", .rcpt = EXT, PASS(R_EXCLUDED) },
	{ "all mode, exclude by name of internal host", .enforce = "all",
	    .exclude = Q("app1.acme.com"), CLOSED, .name = "app1.acme.com", .rcpt = EXT,
	    PASS(R_EXCLUDED) },

	/* ---- §2 step 4: authenticated users ---- */
	{ "authenticated, allow: relays", CLOSED, DIR_STD, .auth = "jdoe",
	    .from = "<john.doe@acme.com>", .rcpt = EXT, PASS(R_AUTH),
	    .log = "auth=jdoe from=<john.doe@acme.com> rcpt=<bob@remote.example>" },
	{ "authenticated, check: refused", .authn = "check", CLOSED, DIR_STD, .auth = "jdoe",
	    .from = "<john.doe@acme.com>", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "authenticated, check: permitted by the lists", .authn = "check",
	    .allow_to = Q("partner.example"), .deny_to = Q("*"), .deny_from = Q("*"), DIR_STD,
	    .auth = "jdoe", .from = "<john.doe@acme.com>", .rcpt = "<x@partner.example>",
	    PASS(R_LISTS) },
	{ "authenticated, check: internal client still allowed", .authn = "check", CLOSED,
	    DIR_STD, .ip = "10.1.2.3", .auth = "jdoe", .from = "<john.doe@acme.com>",
	    .rcpt = EXT, PASS(R_INTERNAL) },
	{ "authenticated, allow, all mode, internal client", .enforce = "all", CLOSED, DIR_STD,
	    .ip = "10.1.2.3", .auth = "jdoe", .from = "<john.doe@acme.com>", .rcpt = EXT,
	    PASS(R_AUTH) },
	{ "authenticated, allow, hidden route not judged", CLOSED, DIR_STD, .auth = "jdoe",
	    .from = "<john.doe@acme.com>", .rcpt = "<u%evil.example@acme.com>", PASS(R_AUTH) },
	{ "empty {auth_authen} is not authenticated", CLOSED, .auth = "", .rcpt = EXT,
	    RELAY_REJECT(R_DENIED), .log = "auth=-" },
	{ "authenticated, exclusion checked first", .exclude = Q("203.0.113.5"), CLOSED, DIR_STD,
	    .auth = "jdoe", .from = "<john.doe@acme.com>", .rcpt = EXT, PASS(R_EXCLUDED) },

	/* ---- §2 step 6: the lists, destination side ---- */
	{ "open relay: all four lists empty", .rcpt = EXT, PASS(R_LISTS) },
	{ "open relay, all mode", .enforce = "all", .rcpt = EXT, PASS(R_LISTS) },
	{ "only deny_to * (host lists empty) refuses", .deny_to = Q("*"), .rcpt = EXT,
	    RELAY_REJECT(R_DENIED) },
	{ "only deny_from * (domain lists empty) refuses", .deny_from = Q("*"), .rcpt = EXT,
	    RELAY_REJECT(R_DENIED) },
	{ "only allow_to: listed destination", .allow_to = Q("partner.example"),
	    .rcpt = "<x@partner.example>", PASS(R_LISTS) },
	{ "only allow_to: other destination refused", .allow_to = Q("partner.example"),
	    .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "only deny_to a domain: other destination permitted", .deny_to = Q("evil.example"),
	    .rcpt = EXT, PASS(R_LISTS) },
	{ "only deny_to a domain: that destination refused", .deny_to = Q("evil.example"),
	    .rcpt = "<x@evil.example>", RELAY_REJECT(R_DENIED),
	    .log = "detail=\"destination=evil.example\"" },
	{ "only deny_to a domain: its subdomain refused", .deny_to = Q("evil.example"),
	    .rcpt = "<x@mx.evil.example>", RELAY_REJECT(R_DENIED) },
	{ "allow_to + deny_to *, deny_wins off: allowed wins", .allow_to = Q("partner.example"),
	    .deny_to = Q("*"), .rcpt = "<x@partner.example>", PASS(R_LISTS) },
	{ "allow_to + deny_to *, deny_wins on: deny wins", .allow_to = Q("partner.example"),
	    .deny_to = Q("*"), .deny_wins = true, .rcpt = "<x@partner.example>",
	    RELAY_REJECT(R_DENIED) },
	{ "allow_to + deny_to *, other destination", .allow_to = Q("partner.example"),
	    .deny_to = Q("*"), .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "allow_to and deny_to same domain, deny_wins off", .allow_to = Q("partner.example"),
	    .deny_to = Q("partner.example"), .rcpt = "<x@partner.example>", PASS(R_LISTS) },
	{ "allow_to and deny_to same domain, deny_wins on", .allow_to = Q("partner.example"),
	    .deny_to = Q("partner.example"), .deny_wins = true, .rcpt = "<x@partner.example>",
	    RELAY_REJECT(R_DENIED) },
	{ "allow_to * and deny_to *, deny_wins off", .allow_to = Q("*"), .deny_to = Q("*"),
	    .rcpt = EXT, PASS(R_LISTS) },
	{ "allow_to * and deny_to *, deny_wins on", .allow_to = Q("*"), .deny_to = Q("*"),
	    .deny_wins = true, .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "allow_to parent, deny_to subdomain, deny_wins on",
	    .allow_to = Q("partner.example"), .deny_to = Q("bad.partner.example"),
	    .deny_wins = true, .rcpt = "<x@bad.partner.example>", RELAY_REJECT(R_DENIED) },
	{ "allow_to parent, deny_to subdomain, sibling permitted",
	    .allow_to = Q("partner.example"), .deny_to = Q("bad.partner.example"),
	    .deny_wins = true, .rcpt = "<x@good.partner.example>", PASS(R_LISTS) },
	{ "address-literal destination refused by deny_to *", CLOSED,
	    .rcpt = "<x@[198.51.100.1]>", RELAY_REJECT(R_DENIED) },

	/* ---- matching on the label boundary, Domino's notations ---- */
	{ "spamme.com permits spamme.com", SPAMME("spamme.com"), .rcpt = "<x@spamme.com>",
	    PASS(R_LISTS) },
	{ "spamme.com permits you.spamme.com", SPAMME("spamme.com"), .rcpt = "<x@you.spamme.com>",
	    PASS(R_LISTS) },
	{ "spamme.com permits a.b.you.spamme.com", SPAMME("spamme.com"),
	    .rcpt = "<x@a.b.you.spamme.com>", PASS(R_LISTS) },
	{ "spamme.com refuses notspamme.com", SPAMME("spamme.com"), .rcpt = "<x@notspamme.com>",
	    RELAY_REJECT(R_DENIED) },
	{ "spamme.com refuses spamme.com.evil.example", SPAMME("spamme.com"),
	    .rcpt = "<x@spamme.com.evil.example>", RELAY_REJECT(R_DENIED) },
	{ "spamme.com, case and trailing dot", SPAMME("spamme.com"),
	    .rcpt = "<x@YOU.SpamMe.COM.>", PASS(R_LISTS) },
	{ "SpamMe.COM entry matches lower case", SPAMME("SpamMe.COM."), .rcpt = "<x@spamme.com>",
	    PASS(R_LISTS) },
	{ "@spamme.com permits spamme.com", SPAMME("@spamme.com"), .rcpt = "<x@spamme.com>",
	    PASS(R_LISTS) },
	{ "@spamme.com refuses you.spamme.com", SPAMME("@spamme.com"),
	    .rcpt = "<x@you.spamme.com>", RELAY_REJECT(R_DENIED) },
	{ ".spamme.com permits you.spamme.com", SPAMME(".spamme.com"),
	    .rcpt = "<x@you.spamme.com>", PASS(R_LISTS) },
	{ ".spamme.com refuses spamme.com", SPAMME(".spamme.com"), .rcpt = "<x@spamme.com>",
	    RELAY_REJECT(R_DENIED) },
	{ ".spamme.com refuses notspamme.com", SPAMME(".spamme.com"),
	    .rcpt = "<x@notspamme.com>", RELAY_REJECT(R_DENIED) },
	{ "deny_to spamme.com spares notspamme.com", .deny_to = Q("spamme.com"),
	    .rcpt = "<x@notspamme.com>", PASS(R_LISTS) },

	/* ---- the lists, host side ---- */
	{ "allow_from client address, deny_to *: host permits (OR)",
	    .allow_from = Q("[203.0.113.5]"), .deny_to = Q("*"), .rcpt = EXT, PASS(R_LISTS) },
	{ "allow_from + deny_from *, deny_wins off", .allow_from = Q("[203.0.113.5]"), CLOSED,
	    .rcpt = EXT, PASS(R_LISTS) },
	{ "allow_from + deny_from *, deny_wins on", .allow_from = Q("[203.0.113.5]"), CLOSED,
	    .deny_wins = true, .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "only allow_from, other client refused", .allow_from = Q("[198.51.100.0/24]"),
	    .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "only allow_from, listed client permitted", .allow_from = Q("[198.51.100.0/24]"),
	    .ip = "198.51.100.77", .rcpt = EXT, PASS(R_LISTS) },
	{ "only deny_from the client refuses", .deny_from = Q("[203.0.113.5]"), .rcpt = EXT,
	    RELAY_REJECT(R_DENIED) },
	{ "only deny_from another host permits", .deny_from = Q("[198.51.100.7]"), .rcpt = EXT,
	    PASS(R_LISTS) },
	{ "allow_from by verified name", .allow_from = Q("partner.example"), CLOSED,
	    .name = "mx.partner.example", .rcpt = EXT, PASS(R_LISTS) },
	{ "allow_from by name, unknown name refused", .allow_from = Q("partner.example"), CLOSED,
	    .name = "unknown", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "allow_from by name, [ip] name refused", .allow_from = Q("partner.example"), CLOSED,
	    .name = "[203.0.113.5]", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "allow_from by name, notpartner.example refused", .allow_from = Q("partner.example"),
	    CLOSED, .name = "notpartner.example", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "allow_from @name is that host only", .allow_from = Q("@partner.example"), CLOSED,
	    .name = "mx.partner.example", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "allow_from IPv6 prefix", .allow_from = Q("2001:db8:9::/48"), CLOSED,
	    .ip = "2001:db8:9::1", .rcpt = EXT, PASS(R_LISTS) },
	{ "allow_from range, last address", .allow_from = Q("[203.0.113.1-10]"), CLOSED,
	    .ip = "203.0.113.10", .rcpt = EXT, PASS(R_LISTS) },
	{ "allow_from range, one past", .allow_from = Q("[203.0.113.1-10]"), CLOSED,
	    .ip = "203.0.113.11", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "deny_from by name, deny_wins on", .allow_from = Q("[203.0.113.0/24]"),
	    .deny_from = Q("bad.example"), .deny_wins = true, .deny_to = Q("*"),
	    .name = "host.bad.example", .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "deny_from by name, deny_wins off", .allow_from = Q("[203.0.113.0/24]"),
	    .deny_from = Q("bad.example"), .deny_to = Q("*"), .name = "host.bad.example",
	    .rcpt = EXT, PASS(R_LISTS) },

	/* ---- the OR between host and destination ---- */
	{ "host refused, destination permitted", .allow_to = Q("partner.example"), CLOSED,
	    .rcpt = "<x@partner.example>", PASS(R_LISTS) },
	{ "host permitted, destination refused", .allow_from = Q("[203.0.113.5]"), CLOSED,
	    .rcpt = "<x@evil.example>", PASS(R_LISTS) },
	{ "host refused, destination refused", .allow_from = Q("[198.51.100.7]"),
	    .allow_to = Q("partner.example"), CLOSED, .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "both allowed but deny_wins on both sides", .allow_from = Q("[203.0.113.5]"),
	    .allow_to = Q("partner.example"), CLOSED, .deny_wins = true,
	    .rcpt = "<x@partner.example>", RELAY_REJECT(R_DENIED) },
	{ "both allowed, deny_wins off", .allow_from = Q("[203.0.113.5]"),
	    .allow_to = Q("partner.example"), CLOSED, .rcpt = "<x@partner.example>",
	    PASS(R_LISTS) },
	{ "allow lists only, neither matches", .allow_from = Q("[198.51.100.7]"),
	    .allow_to = Q("partner.example"), .rcpt = EXT, RELAY_REJECT(R_DENIED) },
	{ "deny_to other domain, deny_from * (OR permits)", .deny_to = Q("evil.example"),
	    .deny_from = Q("*"), .rcpt = EXT, PASS(R_LISTS) },
	{ "deny_to that domain, deny_from * refuses", .deny_to = Q("evil.example"),
	    .deny_from = Q("*"), .rcpt = "<x@evil.example>", RELAY_REJECT(R_DENIED) },
	{ "deny_from other host, deny_to * (OR permits)", .deny_from = Q("[198.51.100.7]"),
	    .deny_to = Q("*"), .rcpt = EXT, PASS(R_LISTS) },

	/* ---- §2 step 5: local recipients never relay ---- */
	{ "local recipient, closed relay", CLOSED, .rcpt = LOCAL, PASS(R_LOCAL),
	    .log = "decision=accept stage=rcpt rule=- client=unknown[203.0.113.5] auth=- "
		   "from=<sender@example.org> rcpt=<alice@acme.com> reason=\"local recipient\"" },
	{ "local recipient, all mode, everything denied", .enforce = "all", CLOSED,
	    .deny_wins = true, .rcpt = LOCAL, PASS(R_LOCAL) },
	{ "local recipient, case and trailing dot", CLOSED, .rcpt = "<Alice@ACME.COM.>",
	    PASS(R_LOCAL) },
	{ "local recipient, second local domain", CLOSED, .rcpt = "<bob@acme.net>",
	    PASS(R_LOCAL) },
	{ "local recipient without angle brackets", CLOSED, .rcpt = "alice@acme.com",
	    PASS(R_LOCAL) },
	{ "recipient without domain (postmaster) is local", CLOSED, .rcpt = "<postmaster>",
	    PASS(R_LOCAL) },
	{ "subdomain of a local domain is not local", CLOSED, .rcpt = "<x@sub.acme.com>",
	    RELAY_REJECT(R_DENIED) },
	{ "lookalike of a local domain is not local", CLOSED, .rcpt = "<x@notacme.com>",
	    RELAY_REJECT(R_DENIED) },
	{ "unparsable recipient refused", CLOSED, .rcpt = "<a@@b.example>",
	    RELAY_REJECT(R_UNPARSABLE), .log = "detail=\"destination=(empty)\"" },
	{ "null recipient refused", CLOSED, .rcpt = "<>", RELAY_REJECT(R_UNPARSABLE) },
	{ "unparsable recipient, allowed session", CLOSED, .ip = "10.1.2.3",
	    .rcpt = "<a@@b.example>", PASS(R_INTERNAL) },

	/* ---- hidden routes ---- */
	{ "reject mode: percent hack", CLOSED, .rcpt = "<user%evil.example@acme.com>",
	    RELAY_REJECT(R_HIDDEN), .log = "detail=\"destination=evil.example\"" },
	{ "reject mode: bang path", CLOSED, .rcpt = "<evil.example!user@acme.com>",
	    RELAY_REJECT(R_HIDDEN) },
	{ "reject mode: quoted at", CLOSED, .rcpt = "<\"user@evil.example\"@acme.com>",
	    RELAY_REJECT(R_HIDDEN) },
	{ "reject mode: source route", CLOSED, .rcpt = "<@evil.example:user@acme.com>",
	    RELAY_REJECT(R_HIDDEN) },
	{ "reject mode: hidden local destination still refused", CLOSED,
	    .rcpt = "<user%acme.net@acme.com>", RELAY_REJECT(R_HIDDEN) },
	{ "reject mode: even an open relay refuses hidden routes",
	    .rcpt = "<user%evil.example@acme.com>", RELAY_REJECT(R_HIDDEN) },
	{ "reject mode: bang path without domain", CLOSED, .rcpt = "<evil.example!user>",
	    RELAY_REJECT(R_HIDDEN) },
	{ "reject mode: internal client may use routes", CLOSED, .ip = "10.1.2.3",
	    .rcpt = "<user%evil.example@acme.com>", PASS(R_INTERNAL) },
	{ "hidden route in an external domain judges the visible one", CLOSED,
	    .rcpt = "<user%acme.com@evil.example>", RELAY_REJECT(R_DENIED),
	    .log = "detail=\"destination=evil.example\"" },
	{ "judge mode: hidden external destination refused", CLOSED, .hidden = "judge",
	    .rcpt = "<user%evil.example@acme.com>", RELAY_REJECT(R_DENIED),
	    .log = "detail=\"destination=evil.example\"" },
	{ "judge mode: hidden local destination is local", CLOSED, .hidden = "judge",
	    .rcpt = "<user%acme.net@acme.com>", PASS(R_LOCAL) },
	{ "judge mode: hidden destination permitted by allow_to", .hidden = "judge",
	    .allow_to = Q("partner.example"), .deny_to = Q("*"), .deny_from = Q("*"),
	    .rcpt = "<user%partner.example@acme.com>", PASS(R_LISTS) },
	{ "judge mode: visible domain allowed, hidden one not", .hidden = "judge",
	    .allow_to = Q("acme.com"), .deny_to = Q("*"), .deny_from = Q("*"),
	    .rcpt = "<user%evil.example@acme.com>", RELAY_REJECT(R_DENIED) },
	{ "judge mode: bang path to external", CLOSED, .hidden = "judge",
	    .rcpt = "<evil.example!user@acme.com>", RELAY_REJECT(R_DENIED) },
	{ "judge mode: quoted at to local", CLOSED, .hidden = "judge",
	    .rcpt = "<\"user@acme.net\"@acme.com>", PASS(R_LOCAL) },
	/* Further hops of a source route are not visible to the judge, so one
	 * whose first hop is local is refused (<@acme.net,@evil:u@acme.com>). */
	{ "judge mode: source route via local hop", CLOSED, .hidden = "judge",
	    .rcpt = "<@acme.net:user@acme.com>", RELAY_REJECT(R_HIDDEN) },
	{ "judge mode: empty hidden destination refused", CLOSED, .hidden = "judge",
	    .rcpt = "<user%@acme.com>", RELAY_REJECT(R_HIDDEN) },
	{ "judge mode: open relay permits hidden external", .hidden = "judge",
	    .rcpt = "<user%evil.example@acme.com>", PASS(R_LISTS) },
	/* A hidden route through a local hop still ends outside: Sendmail turns
	 * user%evil%acme.net@acme.com into user%evil@acme.net, then user@evil. */
	{ "judge mode: two percent hops via a local domain", CLOSED, .hidden = "judge",
	    .rcpt = "<user%evil.example%acme.net@acme.com>", RELAY_REJECT_ANY },
	{ "judge mode: two bang hops via a local domain", CLOSED, .hidden = "judge",
	    .rcpt = "<acme.net!evil.example!user@acme.com>", RELAY_REJECT_ANY },
	{ "judge mode: two source-route hops via a local domain", CLOSED, .hidden = "judge",
	    .rcpt = "<@acme.net,@evil.example:user@acme.com>", RELAY_REJECT_ANY },
	{ "judge mode: percent and bang mixed", CLOSED, .hidden = "judge",
	    .rcpt = "<evil.example!user%acme.net@acme.com>", RELAY_REJECT_ANY },
	{ "judge mode: source route via local hop to outside", CLOSED, .hidden = "judge",
	    .rcpt = "<@acme.net:user@evil.example>", RELAY_REJECT(R_DENIED) },

	/* ---- §4 verify authenticated sender, envelope (MAIL) ---- */
	{ "sender owned (primary address)", DIR_STD, .auth = "jdoe",
	    .from = "<john.doe@acme.com>", PASS(R_OWNED),
	    .log = "decision=accept stage=mail rule=- client=unknown[203.0.113.5] auth=jdoe "
		   "from=<john.doe@acme.com> reason=\"sender owned by authenticated user\"" },
	{ "sender owned (alias)", DIR_STD, .auth = "jdoe", .from = "<jd@acme.com>",
	    PASS(R_OWNED) },
	{ "sender owned (send_as address)", DIR_STD, .auth = "jdoe", .from = "<sales@acme.com>",
	    PASS(R_OWNED) },
	{ "sender owned (send_as naming a user)", DIR_STD, .auth = "assistant",
	    .from = "<alice.smith@acme.com>", PASS(R_OWNED) },
	{ "sender not owned (another user's address)", DIR_STD, .auth = "jdoe",
	    .from = "<alice.smith@acme.com>", SENDER_REJECT(R_NOTOWNED),
	    .log = "decision=reject stage=mail rule=verify_sender client=unknown[203.0.113.5] "
		   "auth=jdoe from=<alice.smith@acme.com> "
		   "reason=\"sender not owned by authenticated user\" reply=\"" VERIFY_REPLY "\" "
		   "detail=\"Message rejected. Authenticated user jdoe from host 203.0.113.5 "
		   "sending mail from alice.smith@acme.com failed to match directory address "
		   "john.doe@acme.com\"" },
	{ "sender not owned (foreign domain)", DIR_STD, .auth = "jdoe",
	    .from = "<john.doe@gmail.example>", SENDER_REJECT(R_NOTOWNED) },
	{ "send_as is one way", DIR_STD, .auth = "asmith", .from = "<assistant@acme.com>",
	    SENDER_REJECT(R_NOTOWNED) },
	{ "group address, group_send_as off", DIR_STD, .auth = "jdoe",
	    .from = "<support@acme.com>", SENDER_REJECT(R_NOTOWNED) },
	{ "group address, group_send_as on", DIR_STD, GROUP_SEND_AS, .auth = "jdoe",
	    .from = "<support@acme.com>", PASS(R_OWNED) },
	{ "group address, member listed by full name", DIR_STD, GROUP_SEND_AS, .auth = "asmith",
	    .from = "<support@acme.com>", PASS(R_OWNED) },
	{ "group address, non-member refused", DIR_STD, GROUP_SEND_AS, .auth = "assistant",
	    .from = "<support@acme.com>", SENDER_REJECT(R_NOTOWNED) },
	{ "group address, subaddress folded", DIR_STD, GROUP_SEND_AS, .auth = "jdoe",
	    .from = "<support+tickets@acme.com>", PASS(R_OWNED) },
	{ "@domain ownership", DIR_STD, .auth = "domadmin", .from = "<anyone@jdoe.example>",
	    PASS(R_OWNED) },
	{ "@domain ownership, case-insensitive", DIR_STD, .auth = "domadmin",
	    .from = "<AnyOne@JDOE.Example>", PASS(R_OWNED) },
	{ "@domain ownership is the domain only", DIR_STD, .auth = "domadmin",
	    .from = "<x@sub.jdoe.example>", SENDER_REJECT(R_NOTOWNED) },
	{ "@domain ownership, lookalike domain", DIR_STD, .auth = "domadmin",
	    .from = "<x@notjdoe.example>", SENDER_REJECT(R_NOTOWNED) },
	{ "subaddress folded user+tag@", DIR_STD, .auth = "jdoe",
	    .from = "<john.doe+news@acme.com>", PASS(R_OWNED) },
	{ "subaddress, upper case tag and local part", DIR_STD, .auth = "jdoe",
	    .from = "<John.Doe+NEWS@Acme.Com>", PASS(R_OWNED) },
	{ "subaddress, folding off (delimiter \"\")", DIR_STD,
	    .extra = "verify_sender = { recipient_delimiter = \"\"; };", .auth = "jdoe",
	    .from = "<john.doe+news@acme.com>", SENDER_REJECT(R_NOTOWNED) },
	{ "subaddress, delimiter \"-\"", DIR_STD,
	    .extra = "verify_sender = { recipient_delimiter = \"-\"; };", .auth = "jdoe",
	    .from = "<jd-lists@acme.com>", PASS(R_OWNED) },
	{ "subaddress, '+' not folded with delimiter \"-\"", DIR_STD,
	    .extra = "verify_sender = { recipient_delimiter = \"-\"; };", .auth = "jdoe",
	    .from = "<john.doe+news@acme.com>", SENDER_REJECT(R_NOTOWNED) },
	{ "subaddress, local part starting with the delimiter", DIR_STD, .auth = "jdoe",
	    .from = "<+john.doe@acme.com>", SENDER_REJECT(R_NOTOWNED) },
	{ "owned address containing the delimiter, exact", DIR_STD, .auth = "jdoe",
	    .from = "<j.doe+lists@acme.com>", PASS(R_OWNED) },
	{ "owned address containing the delimiter, other tag", DIR_STD, .auth = "jdoe",
	    .from = "<j.doe+other@acme.com>", SENDER_REJECT(R_NOTOWNED) },
	{ "case-insensitive local part and domain", DIR_STD, .auth = "jdoe",
	    .from = "<John.Doe@ACME.COM>", PASS(R_OWNED) },
	{ "trailing dot in sender domain", DIR_STD, .auth = "jdoe",
	    .from = "<john.doe@acme.com.>", PASS(R_OWNED) },
	{ "sender without angle brackets", DIR_STD, .auth = "jdoe", .from = "john.doe@acme.com",
	    PASS(R_OWNED) },
	{ "sender without domain", DIR_STD, .auth = "jdoe", .from = "<jdoe>",
	    SENDER_REJECT(R_NOTOWNED) },
	{ "sender hiding a route is not the owned address", DIR_STD, .auth = "jdoe",
	    .from = "<john.doe%evil.example@acme.com>", SENDER_REJECT(R_NOTOWNED) },
	{ "login in upper case", DIR_STD, .auth = "JDOE", .from = "<john.doe@acme.com>",
	    PASS(R_OWNED) },
	{ "login by full name", DIR_STD, .auth = "John Doe", .from = "<john.doe@acme.com>",
	    PASS(R_OWNED) },
	{ "login by hierarchical name", DIR_STD, .auth = "John Doe/Acme",
	    .from = "<jd@acme.com>", PASS(R_OWNED) },
	{ "login by Internet address", DIR_STD, .auth = "john.doe@acme.com",
	    .from = "<john.doe@acme.com>", PASS(R_OWNED) },
	{ "login with realm of a local domain", DIR_STD, .auth = "jdoe@acme.com",
	    .from = "<john.doe@acme.com>", PASS(R_OWNED) },
	{ "login with realm of a local domain, upper case", DIR_STD, .auth = "jdoe@ACME.COM",
	    .from = "<jd@acme.com>", PASS(R_OWNED) },
	{ "login with realm of the second local domain", DIR_STD, .auth = "asmith@acme.net",
	    .from = "<alice.smith@acme.com>", PASS(R_OWNED) },
	{ "login with realm of a foreign domain", DIR_STD, .auth = "jdoe@evil.example",
	    .from = "<john.doe@acme.com>", SENDER_REJECT(R_NOUSER) },
	{ "realm login still verified", DIR_STD, .auth = "jdoe@acme.com",
	    .from = "<alice.smith@acme.com>", SENDER_REJECT(R_NOTOWNED) },
	{ "unknown login refused", DIR_STD, .auth = "mallory", .from = "<mallory@acme.com>",
	    SENDER_REJECT(R_NOUSER),
	    .log = "detail=\"Message rejected. Authenticated user mallory from host 203.0.113.5 "
		   "sending mail from mallory@acme.com failed to match directory address "
		   "(none)\"" },
	{ "unknown login, empty directory", .auth = "jdoe", .from = "<john.doe@acme.com>",
	    SENDER_REJECT(R_NOUSER) },
	{ "user with no addresses", DIR_STD, .auth = "noaddr", .from = "<noaddr@acme.com>",
	    SENDER_REJECT(R_NOTOWNED), .log = "failed to match directory address (none)" },
	{ "exempt user sends as anyone", DIR_STD,
	    .extra = "verify_sender = { exempt_users = [ \"svc\" ]; };", .auth = "svc",
	    .from = "<ceo@bigbank.example>", .act = DECISION_CONTINUE,
	    .log = "decision=accept stage=mail rule=- " },
	{ "exempt user, login case differs", DIR_STD,
	    .extra = "verify_sender = { exempt_users = [ \"svc\" ]; };", .auth = "SVC",
	    .from = "<ceo@bigbank.example>", .act = DECISION_CONTINUE },
	{ "exempt user with realm of a local domain", DIR_STD,
	    .extra = "verify_sender = { exempt_users = [ \"svc\" ]; };", .auth = "svc@acme.com",
	    .from = "<ceo@bigbank.example>", .act = DECISION_CONTINUE },
	{ "exempt list does not exempt others", DIR_STD,
	    .extra = "verify_sender = { exempt_users = [ \"svc\" ]; };", .auth = "jdoe",
	    .from = "<ceo@bigbank.example>", SENDER_REJECT(R_NOTOWNED) },
	{ "exempt user may send the null sender", DIR_STD,
	    .extra = "verify_sender = { exempt_users = [ \"svc\" ]; };", .auth = "svc",
	    .from = "<>", .act = DECISION_CONTINUE },
	{ "null sender, authenticated, default reject", DIR_STD, .auth = "jdoe", .from = "<>",
	    SENDER_REJECT(R_NULLS), .log = "from=<> reason=\"null sender from authenticated user\"" },
	{ "null sender, authenticated, allow", DIR_STD,
	    .extra = "verify_sender = { null_sender = \"allow\"; };", .auth = "jdoe",
	    .from = "<>", .act = DECISION_CONTINUE },
	{ "null sender, not authenticated", DIR_STD, .from = "<>", PASS(R_NOAUTH) },
	{ "unparsable sender, authenticated", DIR_STD, .auth = "jdoe",
	    .from = "<john.doe@@acme.com>", SENDER_REJECT(R_BADSENDER) },
	{ "unparsable sender, unbalanced bracket", DIR_STD, .auth = "jdoe",
	    .from = "<john.doe@acme.com", SENDER_REJECT(R_BADSENDER) },
	{ "unparsable sender, not authenticated", DIR_STD, .from = "<john.doe@@acme.com>",
	    PASS(R_NOAUTH) },
	{ "not authenticated, any sender", DIR_STD, .from = "<alice.smith@acme.com>",
	    PASS(R_NOAUTH), .log = "auth=- from=<alice.smith@acme.com> reason=\"not authenticated\"" },
	{ "empty {auth_authen}, any sender", DIR_STD, .auth = "", .from = "<alice.smith@acme.com>",
	    PASS(R_NOAUTH) },
	{ "envelope check off", DIR_STD, .extra = "verify_sender = { envelope = false; };",
	    .auth = "jdoe", .from = "<alice.smith@acme.com>", .act = DECISION_CONTINUE },
	{ "envelope check off, unknown login", .extra = "verify_sender = { envelope = false; };",
	    .auth = "nobody", .from = "<x@y.example>", .act = DECISION_CONTINUE },
	{ "custom verify_sender reply", DIR_STD,
	    .extra = "verify_sender = { reply = \"553 5.7.1 You may not send as that address\"; };",
	    .auth = "jdoe", .from = "<alice.smith@acme.com>", .act = DECISION_REJECT,
	    .rule = "verify_sender", .reason = R_NOTOWNED,
	    .reply = "553 5.7.1 You may not send as that address" },
	{ "custom relay reply", CLOSED, .relay_extra = "reply = \"550 5.7.1 Relaying denied\";",
	    .rcpt = EXT, .act = DECISION_REJECT, .rule = "relay", .reason = R_DENIED,
	    .reply = "550 5.7.1 Relaying denied" },

	/* ---- the log line is key=value: attacker text cannot forge a field
	 * (every row's line is parsed; these rows try to break it) ---- */
	{ "log: hostile login cannot forge a field", DIR_STD,
	    .auth = "mallory\" decision=accept x=\"", .from = "<m@evil.example>",
	    SENDER_REJECT(R_NOUSER) },
	{ "log: hostile hidden route cannot forge a field", CLOSED,
	    .rcpt = "<\"x@evil\\\" rule=forged\"@acme.com>", RELAY_REJECT(R_HIDDEN) },
	{ "log: hostile sender cannot forge a field", DIR_STD, .auth = "jdoe",
	    .from = "<\"a\\\" rule=forged\"@acme.com>", SENDER_REJECT(R_NOTOWNED) },

	/* ---- report_only ---- */
	{ "report_only: relay refusal continues", CLOSED, .extra = "report_only = true;",
	    .rcpt = EXT, .act = DECISION_CONTINUE, .rule = "relay", .reason = R_DENIED,
	    .reply = RELAY_REPLY, .would = true,
	    .log = "decision=would-reject stage=rcpt rule=relay" },
	{ "report_only: hidden route continues", CLOSED, .extra = "report_only = true;",
	    .rcpt = "<u%evil.example@acme.com>", .act = DECISION_CONTINUE, .rule = "relay",
	    .reason = R_HIDDEN, .reply = RELAY_REPLY, .would = true },
	{ "report_only: verify sender continues", DIR_STD, .extra = "report_only = true;",
	    .auth = "jdoe", .from = "<alice.smith@acme.com>", .act = DECISION_CONTINUE,
	    .rule = "verify_sender", .reason = R_NOTOWNED, .reply = VERIFY_REPLY, .would = true,
	    .log = "decision=would-reject stage=mail rule=verify_sender" },
	{ "report_only: accepted stays plain", CLOSED, .extra = "report_only = true;",
	    .rcpt = LOCAL, PASS(R_LOCAL), .log = "decision=accept" },
	{ "report_only: error_limit never reached", CLOSED,
	    .extra = "report_only = true; connection = { error_limit = 1; };", .rcpt = EXT,
	    .repeat = 3, .prev = DECISION_CONTINUE, .act = DECISION_CONTINUE, .rule = "relay",
	    .reason = R_DENIED, .reply = RELAY_REPLY, .would = true },

	/* ---- error_limit: the Nth refusal closes with 421 ---- */
	{ "error_limit 1: first refusal closes", CLOSED,
	    .extra = "connection = { error_limit = 1; };", .rcpt = EXT, .act = DECISION_TEMPFAIL,
	    .rule = "relay", .reason = R_DENIED, .reply = LIMIT_REPLY, .disc = true,
	    .log = "decision=tempfail stage=rcpt rule=relay" },
	{ "error_limit 3: second refusal still 554", CLOSED,
	    .extra = "connection = { error_limit = 3; };", .rcpt = EXT, .repeat = 2,
	    .prev = DECISION_REJECT, RELAY_REJECT(R_DENIED) },
	{ "error_limit 3: third refusal closes", CLOSED,
	    .extra = "connection = { error_limit = 3; };", .rcpt = EXT, .repeat = 3,
	    .prev = DECISION_REJECT, .act = DECISION_TEMPFAIL, .rule = "relay",
	    .reason = R_DENIED, .reply = LIMIT_REPLY, .disc = true },
	{ "error_limit 0: unlimited", CLOSED, .extra = "connection = { error_limit = 0; };",
	    .rcpt = EXT, .repeat = 8, .prev = DECISION_REJECT, RELAY_REJECT(R_DENIED) },
	{ "error_limit: accepted recipients do not count", CLOSED,
	    .extra = "connection = { error_limit = 1; };", .rcpt = LOCAL, .repeat = 4,
	    .prev = DECISION_CONTINUE, PASS(R_LOCAL) },
	{ "error_limit: custom 421 reply", CLOSED,
	    .extra = "connection = { error_limit = 1; "
		     "error_limit_reply = \"421 4.7.0 Too many errors, goodbye\"; };",
	    .rcpt = EXT, .act = DECISION_TEMPFAIL, .rule = "relay", .reason = R_DENIED,
	    .reply = "421 4.7.0 Too many errors, goodbye", .disc = true },
	{ "error_limit: MAIL refusals count", DIR_STD,
	    .extra = "connection = { error_limit = 2; };", .auth = "jdoe",
	    .from = "<alice.smith@acme.com>", .repeat = 2, .prev = DECISION_REJECT,
	    .act = DECISION_TEMPFAIL, .rule = "verify_sender", .reason = R_NOTOWNED,
	    .reply = LIMIT_REPLY, .disc = true },
};

/* ---- the harness ---- */

static char tmpdir[] = "/tmp/test_policy.XXXXXX";
static char policy_path[256], dir_path[256];
/* What a test has open, freed by its teardown even when an assertion
 * longjmps out of the test. */
static struct policy *cur_policy;
static struct session *cur_session;

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
open_session(struct policy *p)
{
	cur_policy = p;
	return cur_session = session_new(p);
}

static const char *
or(const char *v, const char *dflt)
{
	return v != NULL ? v : dflt;
}

static struct policy *
load_row(const struct row *r)
{
	char text[8192];
	struct errlist errs = { 0 };

	snprintf(text, sizeof(text),
	    "local_domains = [ \"acme.com\", \"acme.net\" ];\n"
	    "internal_networks = [ \"10.0.0.0/8\", \"2001:db8:1::/48\" ];\n"
	    "relay = {\n"
	    "  enforce = \"%s\";\n"
	    "  exclude_hosts = [ %s ];\n"
	    "  authenticated = \"%s\";\n"
	    "  allow_to_domains = [ %s ];\n"
	    "  deny_to_domains = [ %s ];\n"
	    "  allow_from_hosts = [ %s ];\n"
	    "  deny_from_hosts = [ %s ];\n"
	    "  deny_wins = %s;\n"
	    "  hidden_routes = \"%s\";\n"
	    "  %s\n"
	    "};\n"
	    "%s\n"
	    "directory = { backend = \"file\"; file = \"directory.conf\"; };\n",
	    or(r->enforce, "external"), or(r->exclude, ""), or(r->authn, "allow"),
	    or(r->allow_to, ""), or(r->deny_to, ""), or(r->allow_from, ""), or(r->deny_from, ""),
	    r->deny_wins ? "true" : "false", or(r->hidden, "reject"), or(r->relay_extra, ""),
	    or(r->extra, ""));
	unit_write_file(policy_path, text);
	unit_write_file(dir_path, or(r->dir, "users = ( );\n"));
	struct policy *p = config_load(policy_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		print_error("config: %s\n", errs.lines[i]);
	errlist_clear(&errs);
	if (p == NULL)
		print_error("policy file:\n%s", text);
	assert_non_null(p);
	return p;
}

static const char *
action_name(enum decision_action a)
{
	switch (a) {
	case DECISION_CONTINUE: return "CONTINUE";
	case DECISION_REJECT: return "REJECT";
	case DECISION_TEMPFAIL: return "TEMPFAIL";
	}
	return "?";
}

static void
expect_action(const char *what, const struct decision *d, enum decision_action want)
{
	if (d->action != want)
		fail_msg("%s: action %s, expected %s (rule %s, reason %s)", what,
		    action_name(d->action), action_name(want), d->rule ? d->rule : "-",
		    d->reason ? d->reason : "-");
}

static void
expect_in_log(const char *line, const char *part)
{
	if (strstr(line, part) == NULL)
		fail_msg("log line\n  %s\nlacks\n  %s", line, part);
}

/* DESIGN §6: the decision line is "QID: key=value ...", values with spaces
 * in double quotes. Parses it and fails if a key is unknown, repeated or
 * out of its fixed order, so no attacker-supplied text can forge a field. */
static void
check_log_fields(const char *line)
{
	static const char *const order[] = { "decision", "stage", "rule", "client", "auth",
		"from", "rcpt", "reason", "reply", "detail" };
	const char *p = strstr(line, ": ");
	size_t next = 0;

	if (p == NULL)
		fail_msg("log line without a queue id:\n  %s", line);
	for (p += 2; *p != '\0';) {
		const char *key = p;
		while ((*p >= 'a' && *p <= 'z') || *p == '_')
			p++;
		size_t klen = (size_t)(p - key);
		if (klen == 0 || *p != '=')
			fail_msg("log line: no key=value at \"%.20s\":\n  %s", key, line);
		size_t i = next;
		while (i < RW_NELEM(order) && (strlen(order[i]) != klen ||
		    strncmp(order[i], key, klen) != 0))
			i++;
		if (i == RW_NELEM(order))
			fail_msg("log line: key \"%.*s\" unknown, repeated or out of order:\n  %s",
			    (int)klen, key, line);
		next = i + 1;
		if (*++p == '"') {
			const char *end = strchr(p + 1, '"');
			if (end == NULL)
				fail_msg("log line: unterminated quoted value:\n  %s", line);
			p = end + 1;
		} else {
			while (*p != '\0' && *p != ' ' && *p != '"')
				p++;
		}
		if (*p == ' ')
			p++;
		else if (*p != '\0')
			fail_msg("log line: junk after %.*s's value:\n  %s", (int)klen, key, line);
	}
}

static void
check_log(struct session *s, const struct row *r, const struct decision *d)
{
	char line[4096], part[600];
	const char *word = r->would ? "would-reject" : r->act == DECISION_REJECT ? "reject" :
	    r->act == DECISION_TEMPFAIL ? "tempfail" : "accept";

	session_log_decision(s, r->rcpt ? "rcpt" : "mail", r->rcpt, d, line, sizeof(line));
	snprintf(part, sizeof(part), ": decision=%s stage=%s rule=%s ", word,
	    r->rcpt ? "rcpt" : "mail", or(r->rule, "-"));
	expect_in_log(line, part);
	if (r->reply != NULL) {
		snprintf(part, sizeof(part), " reply=\"%s\"", r->reply);
		expect_in_log(line, part);
	} else if (strstr(line, " reply=") != NULL) {
		fail_msg("log line has a reply where none is expected:\n  %s", line);
	}
	if (r->log != NULL)
		expect_in_log(line, r->log);
	check_log_fields(line);
}

/* One judged step: MAIL (a new message each time) or RCPT. */
static void
step(struct session *s, const struct row *r, struct decision *d)
{
	if (r->rcpt == NULL)
		session_mail(s, r->auth, or(r->from, "<sender@example.org>"), NULL, d, NULL);
	else
		session_rcpt(s, r->rcpt, d, NULL);
}

static void
test_row(void **state)
{
	const struct row *r = *state;
	struct session *s = open_session(load_row(r));
	struct decision d;
	int n = r->repeat > 0 ? r->repeat : 1;

	session_connect(s,
	    r->name == NULL ? "unknown" : strcmp(r->name, NONAME) == 0 ? NULL : r->name,
	    r->ip == NULL ? "203.0.113.5" : strcmp(r->ip, NOIP) == 0 ? NULL : r->ip, NULL, 1, &d, NULL);
	if (r->rcpt != NULL) {
		session_mail(s, r->auth, or(r->from, "<sender@example.org>"), NULL, &d, NULL);
		expect_action("MAIL before RCPT", &d, DECISION_CONTINUE);
		assert_false(d.would_reject);
	}
	for (int i = 1; i < n; i++) {
		step(s, r, &d);
		expect_action("an earlier step", &d, r->prev);
		assert_false(d.disconnect);
	}
	step(s, r, &d);
	expect_action("the judged step", &d, r->act);
	assert_int_equal(d.would_reject, r->would);
	assert_int_equal(d.disconnect, r->disc);
	if (r->rule != NULL || d.rule != NULL)
		assert_string_equal(or(d.rule, "(null)"), or(r->rule, "(null)"));
	if (r->reason != NULL)
		assert_string_equal(or(d.reason, "(null)"), r->reason);
	if (r->reply != NULL) {
		char text[REPLY_TEXT_MAX * 2], reply[REPLY_TEXT_MAX * 3];
		assert_non_null(d.reply);
		session_reply_text(s, &d, text, sizeof(text));   /* what the client reads */
		snprintf(reply, sizeof(reply), "%s %s %s", d.reply->code, d.reply->xcode, text);
		assert_string_equal(reply, r->reply);
	} else if (d.action != DECISION_CONTINUE) {
		fail_msg("a refusal without an expected reply");
	}
	if (r->would)
		assert_non_null(strstr(s->msg.would_reject, r->rule));
	else
		assert_string_equal(s->msg.would_reject, "");
	check_log(s, r, &d);
}

/* ---- steps across messages, beyond one row ---- */

static struct policy *
load_text(const char *policy, const char *directory)
{
	struct errlist errs = { 0 };

	unit_write_file(policy_path, policy);
	unit_write_file(dir_path, directory);
	struct policy *p = config_load(policy_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		print_error("config: %s\n", errs.lines[i]);
	errlist_clear(&errs);
	assert_non_null(p);
	return p;
}

#define CLOSED_POLICY                                                             \
	"local_domains = [ \"acme.com\" ];\n"                                     \
	"relay = { deny_to_domains = [ \"*\" ]; deny_from_hosts = [ \"*\" ]; };\n"

/* {auth_authen} arrives at MAIL only and is kept for the session (§2 step 4). */
static void
test_auth_kept_for_session(void **state)
{
	struct session *s = open_session(load_text(CLOSED_POLICY, std_directory));
	struct decision d;

	(void)state;
	session_connect(s, "unknown", "203.0.113.5", NULL, 1, &d, NULL);
	session_mail(s, "jdoe", "<john.doe@acme.com>", NULL, &d, NULL);
	expect_action("MAIL 1", &d, DECISION_CONTINUE);
	session_rcpt(s, EXT, &d, NULL);
	expect_action("RCPT 1", &d, DECISION_CONTINUE);
	assert_string_equal(d.reason, R_AUTH);
	session_message_reset(s);               /* end of message */
	session_mail(s, NULL, "<jd@acme.com>", NULL, &d, NULL);
	expect_action("MAIL 2 without macro", &d, DECISION_CONTINUE);
	assert_string_equal(d.reason, R_OWNED);
	session_rcpt(s, EXT, &d, NULL);
	expect_action("RCPT 2", &d, DECISION_CONTINUE);
	session_message_reset(s);
	session_mail(s, "", "<alice.smith@acme.com>", NULL, &d, NULL);
	expect_action("MAIL 3, kept login still verified", &d, DECISION_REJECT);
	assert_string_equal(d.rule, "verify_sender");
}

/* A session refused before AUTH may relay once the user authenticates. */
static void
test_auth_after_unauthenticated_message(void **state)
{
	struct session *s = open_session(load_text(CLOSED_POLICY, std_directory));
	struct decision d;

	(void)state;
	session_connect(s, "unknown", "203.0.113.5", NULL, 1, &d, NULL);
	session_mail(s, NULL, "<x@example.org>", NULL, &d, NULL);
	session_rcpt(s, EXT, &d, NULL);
	expect_action("unauthenticated RCPT", &d, DECISION_REJECT);
	session_message_reset(s);
	session_mail(s, "jdoe", "<john.doe@acme.com>", NULL, &d, NULL);
	session_rcpt(s, EXT, &d, NULL);
	expect_action("authenticated RCPT", &d, DECISION_CONTINUE);
}

/* report_only collects every refused rule of a message, once each, for the
 * X-Relaywarden header; a new message starts empty. */
static void
test_would_reject_accumulates(void **state)
{
	struct session *s = open_session(load_text("local_domains = [ \"acme.com\" ];\n"
				     "report_only = true;\n"
				     "relay = { authenticated = \"check\"; deny_to_domains = [ \"*\" ];"
				     " deny_from_hosts = [ \"*\" ]; };\n",
	    std_directory));
	struct decision d;

	(void)state;
	session_connect(s, "unknown", "203.0.113.5", NULL, 1, &d, NULL);
	session_mail(s, "jdoe", "<alice.smith@acme.com>", NULL, &d, NULL);
	assert_true(d.would_reject);
	session_rcpt(s, EXT, &d, NULL);
	assert_true(d.would_reject);
	session_rcpt(s, "<other@remote.example>", &d, NULL);
	assert_true(d.would_reject);
	session_rcpt(s, LOCAL, &d, NULL);
	assert_false(d.would_reject);
	assert_string_equal(s->msg.would_reject, "verify_sender,relay");
	session_message_reset(s);
	assert_string_equal(s->msg.would_reject, "");
}

/* error_limit counts refusals of the whole connection, MAIL and RCPT alike,
 * across messages. */
static void
test_error_limit_spans_messages(void **state)
{
	struct session *s = open_session(load_text("local_domains = [ \"acme.com\" ];\n"
				     "connection = { error_limit = 3; };\n"
				     "relay = { authenticated = \"check\"; deny_to_domains = [ \"*\" ];"
				     " deny_from_hosts = [ \"*\" ]; };\n",
	    std_directory));
	struct decision d;

	(void)state;
	session_connect(s, "unknown", "203.0.113.5", NULL, 1, &d, NULL);
	session_mail(s, "jdoe", "<alice.smith@acme.com>", NULL, &d, NULL);
	expect_action("MAIL refused (1)", &d, DECISION_REJECT);
	session_mail(s, "jdoe", "<john.doe@acme.com>", NULL, &d, NULL);
	expect_action("MAIL accepted", &d, DECISION_CONTINUE);
	session_rcpt(s, EXT, &d, NULL);
	expect_action("RCPT refused (2)", &d, DECISION_REJECT);
	session_rcpt(s, LOCAL, &d, NULL);
	expect_action("RCPT local", &d, DECISION_CONTINUE);
	session_message_reset(s);
	session_mail(s, NULL, "<jd@acme.com>", NULL, &d, NULL);
	expect_action("MAIL accepted again", &d, DECISION_CONTINUE);
	session_rcpt(s, EXT, &d, NULL);
	expect_action("RCPT refused (3)", &d, DECISION_TEMPFAIL);
	assert_true(d.disconnect);
	assert_string_equal(d.reply->code, "421");
	assert_string_equal(d.reply->xcode, "4.7.0");
}

static void
starts_with(const char *line, const char *prefix)
{
	if (strncmp(line, prefix, strlen(prefix)) != 0)
		fail_msg("log line\n  %s\ndoes not start with\n  %s", line, prefix);
}

/* The log line starts with the queue id: NOQUEUE until the MTA gives one,
 * and again for the next message. */
static void
test_log_queue_id(void **state)
{
	struct session *s = open_session(load_text(CLOSED_POLICY, "users = ( );\n"));
	struct decision d;
	char line[4096];

	(void)state;
	session_connect(s, "mx.example.org", "198.51.100.9", "smtpd", 1, &d, NULL);
	session_mail(s, NULL, "<a@example.org>", NULL, &d, NULL);
	session_log_decision(s, "mail", NULL, &d, line, sizeof(line));
	starts_with(line, "NOQUEUE: decision=accept stage=mail rule=- "
	    "client=mx.example.org[198.51.100.9] auth=- from=<a@example.org> ");
	session_set_qid(s, "4XyZ1b2C3d");
	session_rcpt(s, EXT, &d, NULL);
	session_log_decision(s, "rcpt", EXT, &d, line, sizeof(line));
	starts_with(line, "4XyZ1b2C3d: decision=reject stage=rcpt rule=relay ");
	session_set_qid(s, NULL);
	session_log_decision(s, "rcpt", EXT, &d, line, sizeof(line));
	starts_with(line, "4XyZ1b2C3d: ");
	session_message_reset(s);
	session_mail(s, NULL, "<b@example.org>", NULL, &d, NULL);
	session_log_decision(s, "mail", NULL, &d, line, sizeof(line));
	starts_with(line, "NOQUEUE: ");
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(policy_path, sizeof(policy_path), "%s/p.conf", tmpdir);
	snprintf(dir_path, sizeof(dir_path), "%s/directory.conf", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(policy_path);
	unlink(dir_path);
	return rmdir(tmpdir);
}

int
main(void)
{
	static struct CMUnitTest tests[RW_NELEM(rows) + 16];
	size_t n = 0;

	log_set_level(LOG_LEVEL_ERR);
	for (size_t i = 0; i < RW_NELEM(rows); i++)
		tests[n++] = (struct CMUnitTest){ rows[i].label, test_row, NULL, test_teardown,
			(void *)&rows[i] };
#define ADD(fn) tests[n++] = (struct CMUnitTest)cmocka_unit_test_teardown(fn, test_teardown)
	ADD(test_auth_kept_for_session);
	ADD(test_auth_after_unauthenticated_message);
	ADD(test_would_reject_accumulates);
	ADD(test_error_limit_spans_messages);
	ADD(test_log_queue_id);
	return _cmocka_run_group_tests("policy", tests, n, setup, teardown);
}

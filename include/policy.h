/*
 * policy.h - the pure decision engine: (policy, facts) -> decision.
 *
 * Implements DESIGN §2 (the relay decision) and the envelope half of §4
 * (verify authenticated sender). Knows nothing of libmilter, sockets, LDAP
 * or time: every outside answer (the directory's verdict on a login)
 * arrives as a fact. The milter callbacks, `relaywarden explain` and the
 * unit tests call exactly these functions. Thread-safe: reads only the
 * immutable policy and the caller's own facts.
 *
 * struct policy is built by config.c and never changed after publishing;
 * snapshot.c owns its lifetime (refs).
 */
#ifndef RW_POLICY_H
#define RW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "decision.h"
#include "directory.h"
#include "directory_ldap.h"
#include "log.h"
#include "netmatch.h"
#include "rate_limit.h"
#include "rate_store.h"
#include "reply.h"
#include "strmap.h"

enum relay_enforce { ENFORCE_EXTERNAL, ENFORCE_ALL, ENFORCE_NONE };
enum relay_auth { RELAY_AUTH_ALLOW, RELAY_AUTH_CHECK };
enum hidden_routes { HIDDEN_REJECT, HIDDEN_JUDGE };
enum null_sender { NULL_SENDER_ALLOW, NULL_SENDER_REJECT };
enum on_failure { ON_FAILURE_TEMPFAIL, ON_FAILURE_ACCEPT };
enum directory_backend { BACKEND_FILE, BACKEND_LDAP };
enum deny_groups { DENY_GROUPS_NONE, DENY_GROUPS_EXTERNAL, DENY_GROUPS_ALL };
enum dnsbl_action { DNSBL_LOG, DNSBL_TAG, DNSBL_REJECT };
enum headers_rule { HEADERS_DOMINO, HEADERS_FROM_AND_SENDER };

struct dns;

/* One connection.dnsbl entry. */
struct dnsbl_zone {
	char *zone;                    /* normalised, no trailing dot */
	enum dnsbl_action action;
	struct reply reply;            /* 550 5.7.1 Mail from %a refused: listed at %z */
};

/* DESIGN §1/§3 connection controls (CONNECT, verify_hostname at MAIL). */
struct connection_policy {
	struct host_set *allow_hosts;
	struct host_set *deny_hosts;
	struct reply reply;            /* 554 5.7.1 Connection refused for policy reasons. */
	bool verify_hostname;
	struct reply verify_hostname_reply;  /* 550 5.7.25 ... */
	int max_sessions;              /* 0 = unlimited */
	struct reply max_sessions_reply;     /* 421 4.7.0 Too many sessions ... */
	struct dnsbl_zone *dnsbl;
	size_t ndnsbl;
	struct strlist dnswl;          /* zones, normalised */
	bool require_auth;             /* SMTP Inbound Site "Anonymous: No" */
	struct host_set *anonymous_hosts;    /* SMTPAllowConnectionsAnonymous=1 exceptions */
	struct reply require_auth_reply;     /* 530 5.7.0 Authentication required */
};

/* DESIGN §1/§3 sender controls at MAIL (and the size at end of message). */
struct sender_policy {
	struct addr_set *allow;
	struct addr_set *deny;
	struct reply reply;            /* 554 5.7.1 Mail from <%s> rejected ... */
	bool verify_domain;
	int verify_domain_timeout;     /* seconds */
	struct reply verify_domain_reply;    /* 550 5.1.8 Sender domain does not exist. */
	bool strict_syntax;
	struct reply strict_syntax_reply;    /* 501 5.1.7 ... angle brackets. */
	struct reply malformed_reply;        /* 553 5.1.7: a domain not IDNA2008 */
	int max_message_size;          /* bytes; 0 = unlimited */
	struct reply max_message_size_reply; /* 552 5.3.4 ... */
};

/* Directory-backed checks of local recipients (DESIGN §3). */
struct recipient_policy {
	bool verify_local;
	enum deny_groups deny_groups;
	bool deny_ambiguous;
	struct addr_set *allow;
	struct addr_set *deny;
	struct reply reply;                 /* 550 5.7.1 Recipient rejected for policy reasons. */
	struct reply malformed_reply;       /* 553 5.1.3: a domain not IDNA2008 */
	int max;                            /* accepted recipients per message; 0 = unlimited */
	struct reply max_reply;             /* 452 4.5.3 Too many recipients (4xx or 5xx) */
	struct reply verify_local_reply;    /* 550 5.1.1 No such user here */
	struct reply deny_groups_reply;     /* 550 5.7.1 Mail to groups is not accepted. */
	struct reply deny_ambiguous_reply;  /* 550 5.1.4 Recipient address is ambiguous. */
};

struct cache_config {
	int ttl;                       /* seconds; 0 = no cache */
	int negative_ttl;
	int max_entries;
};

struct relay_policy {
	enum relay_enforce enforce;
	struct host_set *exclude_hosts;
	enum relay_auth authenticated;
	struct domain_set *allow_to_domains;
	struct domain_set *deny_to_domains;
	struct host_set *allow_from_hosts;
	struct host_set *deny_from_hosts;
	bool deny_wins;
	enum hidden_routes hidden_routes;
	struct reply reply;
};

struct verify_sender_policy {
	bool envelope;
	bool headers;
	enum headers_rule headers_rule; /* domino: Sender: else From:; from_and_sender: both */
	enum null_sender null_sender;
	char delimiter;                /* '\0' = no subaddress folding */
	bool group_send_as;
	struct strmap *exempt_users;   /* logins that may send as anyone */
	struct reply reply;
};

struct policy {
	unsigned refs;                 /* snapshot.c only, under its mutex */
	char *path;                    /* the policy file, absolute or as given */
	char *milter_socket;
	char *milter_user;             /* NULL: keep the starting user */
	char *control_socket;          /* "unix:PATH"; NULL or "": no control socket */
	int milter_timeout;
	char *metrics_listen;          /* NULL or "": no metrics endpoint (metrics.c) */
	enum log_level log_level;
	bool report_only;
	int config_update_interval;
	struct domain_set *local_domains;   /* label-boundary: client names */
	struct strmap *local_domain_names;  /* exact: recipient domains */
	struct host_set *internal_networks;
	struct relay_policy relay;
	struct verify_sender_policy verify_sender;
	struct recipient_policy recipients;
	struct connection_policy connection;
	struct sender_policy sender;
	bool protect_local_senders;
	struct addr_set *protect_except;
	struct reply protect_reply;         /* 550 5.7.1 ... authentication required */
	struct host_set *trusted_relays;    /* DMZ relays: the topmost Received: names the client */
	struct reply trusted_relays_reply;  /* 550 5.7.1 ... unparsable Received header ... */
	struct strlist dns_servers;         /* "host[:port]"; empty: /etc/resolv.conf */
	int dns_timeout;                    /* seconds */
	struct reply dns_reply;             /* 451 4.4.3 for every DNS failure */
	struct dns *dns;                    /* owned by the base policy */
	/* Per-listener profiles: complete policies keyed by {daemon_name}.
	 * A profile shares the base's directory and resolver (base != NULL). */
	struct strmap *profile_index;       /* daemon_name -> index + 1 */
	struct policy **profiles;
	size_t nprofiles;
	char *daemon_name;                  /* a profile's own key; NULL in the base */
	const struct policy *base;          /* NULL in the base */
	int error_limit;                    /* 0 = unlimited */
	struct reply error_limit_reply;
	enum directory_backend backend;
	char *directory_file;               /* resolved path of the file backend */
	struct ldap_config ldap;
	struct cache_config cache;
	struct directory *directory;
	enum on_failure on_failure;
	struct reply directory_reply;       /* 451 4.7.1 Directory unavailable ... */
	struct reply internal_reply;        /* 451 4.3.0 for impossible states */
	struct reply malformed_reply;       /* 550 5.7.1 ... malformed originator header */
	/* rate_limits (a profile has its own, or the base's) and the store
	 * they count in (process-wide: the base's, borrowed by profiles). */
	struct rate_limit *rate_limits;
	size_t nrate_limits;
	struct rate_store_config rate_store_cfg;
	struct reply rate_store_reply;      /* 451 4.7.1 Rate limit store unavailable ... */
	struct rate_store *rate_store;
};

void config_free(struct policy *p);
/* The profile for daemon_name, or p itself when none matches (or NULL). */
const struct policy *config_profile(const struct policy *p, const char *daemon_name);
/* True if domain (lower-case, no trailing dot) is one of local_domains.
 * Inline: the policy's data, read by both decision modules (policy.c,
 * controls.c), neither of which may depend on the other. */
static inline bool
policy_is_local_domain(const struct policy *p, const char *domain)
{
	return strmap_get(p->local_domain_names, domain, strlen(domain), NULL);
}

/* The same for a login's realm as the client wrote it ("bücher.example"
 * or "xn--bcher-kva.example"): normalised first (A-label form). */
static inline bool
policy_is_local_realm(const struct policy *p, const char *realm)
{
	char name[256];

	return domain_normalize(realm, name, sizeof(name)) && policy_is_local_domain(p, name);
}

/* ---- facts: what the MTA and the directory told us ---- */

struct client_facts {
	bool has_ip;
	struct ip_addr ip;
	char addr[64];           /* text for logs and replies */
	char name[256];          /* verified host name; "" when the MTA had none */
	char daemon_name[64];
	/* A trusted relay (trusted_relays): the connection controls wait for
	 * the client its Received: line names (session.c, end of headers). */
	bool via_relay;
};

/* The session-wide relay verdict of DESIGN §2 steps 1-4. */
struct relay_state {
	bool internal;
	bool authenticated;      /* {auth_authen} seen in this session */
	bool allowed;            /* relaying allowed for the whole session */
	const char *why;         /* static: "enforcement none", "internal host", ... */
};

struct sender_facts {
	const char *auth;                /* {auth_authen}, NULL when not authenticated */
	const struct address *from;      /* parsed MAIL FROM */
	enum lookup_result lookup;       /* directory answer for auth (if asked) */
	const struct dir_user *user;     /* when lookup == LOOKUP_FOUND */
	const char *lookup_why;          /* when lookup == LOOKUP_TEMPFAIL */
};

/* §2 steps 1-3, at CONNECT. */
void policy_classify_client(const struct policy *p, const struct client_facts *c,
    struct relay_state *out, const struct trace *t);
/* §2 step 4, at MAIL: an authenticated session may be allowed to relay. */
void policy_note_auth(const struct policy *p, const char *auth, struct relay_state *rs,
    const struct trace *t);
/* True if MAIL needs a directory answer for this sender (verify sender on). */
bool policy_needs_owner(const struct policy *p, const char *auth, const struct address *from);
/* §4 envelope check at MAIL. */
void policy_decide_mail(const struct policy *p, const struct client_facts *c,
    const struct sender_facts *s, struct decision *d, const struct trace *t);
/* The directory's word on a local recipient, when the policy asked. */
struct recipient_facts {
	bool asked;
	enum lookup_result lookup;
	enum recipient_kind kind;        /* when lookup == LOOKUP_FOUND */
	const char *why;                 /* when lookup == LOOKUP_TEMPFAIL */
};

/* True if RCPT needs a directory answer: a local recipient while
 * verify_local, deny_groups or deny_ambiguous is on. */
bool policy_needs_recipient(const struct policy *p, const struct address *rcpt);
/* §2 steps 5-7 at RCPT: is this recipient a relay, and may this session
 * relay to it? */
void policy_decide_relay(const struct policy *p, const struct client_facts *c,
    const struct relay_state *rs, const struct address *rcpt, struct decision *d,
    const struct trace *t);
/* For a recipient the cheap checks let through, the directory's answer:
 * verify_local, deny_groups, deny_ambiguous (nothing if !rf->asked). */
void policy_decide_recipient(const struct policy *p, const struct relay_state *rs,
    const struct recipient_facts *rf, struct decision *d, const struct trace *t);
/* True if end of headers needs a directory answer (verify_sender.headers);
 * the header check itself is policy_headers_decide (policy_headers.h). */
bool policy_needs_owner_headers(const struct policy *p, const char *auth);

/* Applies error_limit (counting *errors) and report_only to a decision. */
void policy_finish(const struct policy *p, unsigned *errors, struct decision *d,
    const struct trace *t);

#endif

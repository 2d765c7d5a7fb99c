/*
 * directory_ldap.h - the production directory backend: an LDAP entry plays
 * Domino's Person document (DESIGN §5 "ldap").
 *
 * Opening checks the settings and reads the bind password, but makes no
 * network connection; handles connect lazily on first use. Lookups are
 * thread-safe: a pool of pool_size handles, each used by one thread at a
 * time, no lock held across a network round trip, a timeout on every step.
 * URIs fail over with memory: a URI that failed is skipped for a while, and
 * when all are marked dead all are tried again. Any transport, timeout,
 * bind or server error answers LOOKUP_TEMPFAIL, never LOOKUP_NOTFOUND.
 */
#ifndef RW_DIRECTORY_LDAP_H
#define RW_DIRECTORY_LDAP_H

#include <stdbool.h>
#include <stddef.h>

#include "directory.h"
#include "errlist.h"
#include "strlist.h"

/* directory.ldap.nested_groups: how group send-as finds a user's groups. */
enum ldap_nested_groups {
	LDAP_NESTED_NONE,          /* groups whose member attributes name the user */
	LDAP_NESTED_IN_CHAIN,      /* AD's LDAP_MATCHING_RULE_IN_CHAIN, transitive */
	LDAP_NESTED_MEMBER_OF,     /* the user's memberOf values (389-ds, FreeIPA, memberof overlay) */
};

struct ldap_config {
	struct strlist uris;
	char *bind_dn;
	char *bind_password_file;      /* resolved path; "" or NULL: anonymous */
	char *base;
	char *user_filter;             /* %u: the login */
	char *recipient_filter;        /* %s: the address (recipient controls) */
	char *group_filter;
	struct strlist address_attributes;
	struct strlist send_as_attributes;
	struct strlist on_behalf_attributes; /* on an owner: addresses or DNs of users
	                                        who may send on its behalf */
	struct strlist member_attributes;
	struct strlist group_classes;  /* objectClass values that make an entry a group */
	enum ldap_nested_groups nested_groups;
	struct strlist login_domains;  /* "ACME": ACME\jdoe is looked up as jdoe */
	bool starttls;
	char *ca_file;
	char *cert_file;               /* client certificate; "" or NULL: none */
	char *key_file;                /* its key: mode 0600 or 0400 */
	int timeout;                   /* seconds, every network step */
	int pool_size;
	bool want_groups;              /* verify_sender.group_send_as: search groups too */
};

/* For ldap_probe.c, which opens its own connections: the bind password
 * read and checked as the directory reads it, and a filter template with
 * every %<c> replaced by value, escaped (RFC 4515). Both NULL on failure;
 * the caller frees. */
char *directory_ldap_read_password(const char *path, const char *file, struct errlist *errs);
char *directory_ldap_filter(const char *tmpl, char c, const char *value);
/* The user search for login as the lookups make it (login_domains applied:
 * NULL for a DOMAIN\\ not listed). The caller frees. */
char *directory_ldap_user_filter(const struct ldap_config *cfg, const char *login);
/* In directory_ldap_groups.c: the group search of the lookups for the
 * groups of dn: group_classes and group_filter, and the member test
 * nested_groups asks for (in_chain's matching rule included). The caller
 * frees. */
char *directory_ldap_groups_filter(const struct ldap_config *cfg, const char *dn);

/* Frees every string the config owns (not the struct itself). */
void ldap_config_free(struct ldap_config *c);

/* Validates cfg (templates, URIs, password file permissions) and returns a
 * directory, or NULL with every problem appended to errs (file is the
 * policy file, for the FILE: KEY: problem lines). */
struct directory *directory_ldap_open(const struct ldap_config *cfg, const char *file,
    struct errlist *errs);

#endif

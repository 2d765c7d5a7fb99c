/*
 * directory.h - who owns which addresses: one interface, several backends.
 *
 * Every lookup answers LOOKUP_FOUND, LOOKUP_NOTFOUND or LOOKUP_TEMPFAIL and
 * never confuses them: "could not ask" is not "no such user" (DESIGN §5).
 * Callers switch on the result with no default case, so a new answer is a
 * compiler warning. A backend object is created at config load (without
 * network I/O), lives inside the policy snapshot and is used concurrently by
 * any number of callback threads. struct dir_user is plain data (no I/O),
 * shared by reference count, so the pure policy may read it.
 */
#ifndef RW_DIRECTORY_H
#define RW_DIRECTORY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum lookup_result {
	LOOKUP_FOUND,
	LOOKUP_NOTFOUND,
	LOOKUP_TEMPFAIL,
};

/* What the directory says a login may send as. Immutable once published. */
struct dir_user {
	atomic_uint refs;
	char *login;              /* the directory's own name for the user */
	char *primary;            /* first address, for Domino's log words; "" if none */
	struct strmap *owned;     /* address keys "local@domain" and "@domain" entries */
	struct strmap *group_owned; /* addresses of groups the user belongs to */
	struct strmap *on_behalf; /* addresses whose owners let the user send on
	                             their behalf (From: beside the user's Sender:) */
	size_t naddresses;        /* entries in owned, for explain's count */
	char *groups_error;       /* NULL, or why group_owned could not be read: only
	                           * a sender that needs a group is then unavailable */
};

struct dir_user *directory_user_new(const char *login);
/* Adds an owned address ("a@b" or "@domain"), lower-cased; the first plain
 * address becomes primary. group selects group_owned. */
void directory_user_add(struct dir_user *u, const char *address, bool group);
/* The group search failed (why): group_owned is unknown, not empty. */
void directory_user_groups_failed(struct dir_user *u, const char *why);
/* Adds an address ("a@b" or "@domain", a key) the user may name in From:
 * on its owner's behalf. */
void directory_user_add_on_behalf(struct dir_user *u, const char *address);
struct dir_user *directory_user_ref(struct dir_user *u);
void directory_user_unref(struct dir_user *u);

/* What a local recipient address is in the directory (DESIGN §3). */
enum recipient_kind {
	RECIPIENT_PERSON,
	RECIPIENT_GROUP,
	RECIPIENT_AMBIGUOUS,     /* more than one entry answers to it */
};

/* One server of a backend as its pool last saw it: state "up", "down" or
 * "unknown" (not used yet), since when (0: never changed), the last error
 * ("" if none). */
typedef void (*directory_health_fn)(void *ctx, const char *server, const char *state,
    time_t since, const char *error);

struct directory_ops {
	const char *name;
	/* why (<= whylen) says what failed on TEMPFAIL, for the log. On FOUND,
	 * *out holds a reference the caller must drop with directory_user_unref. */
	enum lookup_result (*lookup_user)(void *state, const char *login,
	    struct dir_user **out, char *why, size_t whylen);
	/* address is a comparison key ("local@domain", lower-case). On FOUND,
	 * *kind says what answers to it. */
	enum lookup_result (*lookup_recipient)(void *state, const char *address,
	    enum recipient_kind *kind, char *why, size_t whylen);
	void (*free)(void *state);
	/* Optional (NULL: nothing cached). Drops the cached answers about login
	 * (NULL: all of them); returns how many entries went. */
	size_t (*flush)(void *state, const char *login);
	/* Optional (NULL: no servers to speak of): fn for each server. */
	void (*health)(void *state, directory_health_fn fn, void *ctx);
};

struct directory {
	const struct directory_ops *ops;
	void *state;
};

/* Looks up an SMTP AUTH login. A login carrying a realm ("alice@acme.com",
 * as Postfix sends with smtpd_sasl_local_domain) is tried as given first,
 * then, if not found and realm_is_local says the realm is ours, bare. */
enum lookup_result directory_lookup_login(const struct directory *d, const char *login,
    bool (*realm_is_local)(const void *ctx, const char *realm), const void *ctx,
    struct dir_user **out, char *why, size_t whylen);
enum lookup_result directory_lookup_recipient(const struct directory *d, const char *address,
    enum recipient_kind *kind, char *why, size_t whylen);
void directory_free(struct directory *d);
/* `ctl flush-cache [LOGIN]`: the entries a cache dropped for login (any
 * case; NULL: all), or -1 when d caches nothing. Thread-safe. */
long directory_flush(const struct directory *d, const char *login);
/* fn for each server of d's backend; false when it has none (file). */
bool directory_health(const struct directory *d, directory_health_fn fn, void *ctx);

/* "a@b" -> "a@b" lower-cased, "@b" -> "@b": the key an owned address is
 * stored and compared under. False if text is neither form. */
bool directory_owned_key(const char *text, char *key, size_t len);

const char *directory_result_name(enum lookup_result r);

#endif

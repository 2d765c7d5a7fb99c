/*
 * directory_file.c - the embedded directory backend (DESIGN §5 "file").
 *
 * Reads users and groups from a libconfig file once, at config load, and
 * builds each user's owned-address set then. A lookup is one hash probe
 * that hands out a reference to the prebuilt dir_user, so it never blocks
 * and never answers TEMPFAIL. A login matches a user's login, any of its
 * names or any of its addresses, case-insensitively, as Domino accepts a
 * short name, full name or Internet address. Immutable after loading.
 */
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "directory_file.h"
#include "strmap.h"
#include "xalloc.h"

struct file_dir {
	struct strmap *index;      /* login, names, addresses -> user number + 1 */
	struct strmap *groups;     /* group addresses -> how many groups use them */
	struct dir_user **users;
	size_t nusers;
};

struct loader {
	struct file_dir *fd;
	struct errlist *errs;
	const char *path;
};

static const char *const user_keys[] = { "login", "names", "addresses", "send_as", "on_behalf",
	NULL };
static const char *const group_keys[] = { "name", "addresses", "members", NULL };

static void RW_PRINTF(4, 5)
load_error(struct loader *l, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errlist_add(l->errs, l->path, s ? (int)config_setting_source_line(s) : 0, key, "%s", msg);
}

static bool
known_keys(struct loader *l, config_setting_t *entry, const char *what,
    const char *const *allowed)
{
	bool ok = true;

	for (int i = 0; i < config_setting_length(entry); i++) {
		config_setting_t *s = config_setting_get_elem(entry, (unsigned)i);
		const char *name = config_setting_name(s);
		size_t k = 0;
		while (allowed[k] && strcmp(allowed[k], name) != 0)
			k++;
		if (allowed[k] == NULL) {
			char key[128];
			snprintf(key, sizeof(key), "%s.%s", what, name);
			load_error(l, s, key, "unknown key");
			ok = false;
		}
	}
	return ok;
}

/* Calls fn for every string of the list entry.key; reports non-strings. */
static void
each_string(struct loader *l, config_setting_t *entry, const char *what, const char *key,
    void (*fn)(struct loader *, config_setting_t *, const char *, void *), void *arg)
{
	config_setting_t *list = config_setting_get_member(entry, key);
	char full[128];

	snprintf(full, sizeof(full), "%s.%s", what, key);
	if (list == NULL)
		return;
	if (config_setting_type(list) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(list) != CONFIG_TYPE_LIST) {
		load_error(l, list, full, "wrong type (expected a list of strings)");
		return;
	}
	for (int i = 0; i < config_setting_length(list); i++) {
		config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			load_error(l, e, full, "element is not a string");
		else
			fn(l, e, config_setting_get_string(e), arg);
	}
}

static const char *
entry_name(struct loader *l, config_setting_t *entry, const char *what, const char *key)
{
	const char *v = NULL;
	char full[128];

	snprintf(full, sizeof(full), "%s.%s", what, key);
	if (!config_setting_lookup_string(entry, key, &v) || *v == '\0') {
		load_error(l, entry, full, "missing or empty (expected a string)");
		return NULL;
	}
	return v;
}

/* Per-user scratch kept only while loading: the plain addresses, so that a
 * send_as naming a user can grant all of them. */
struct user_scratch {
	config_setting_t *entry;
	char **addrs;
	size_t n;
};

static void
index_key(struct loader *l, config_setting_t *s, const char *key, size_t user, const char *what)
{
	unsigned prev;

	if (strmap_get(l->fd->index, key, strlen(key), &prev) && prev != user + 1) {
		load_error(l, s, what, "\"%s\" already names user \"%s\" (a login must be unique)",
		    key, l->fd->users[prev - 1]->login);
		return;
	}
	strmap_put(l->fd->index, key, strlen(key), (unsigned)user + 1);
}

static bool login_as_address(const struct file_dir *fd, const char *login, unsigned *user);

struct user_ctx {
	size_t user;
	struct user_scratch *scratch;
};

static void
add_name(struct loader *l, config_setting_t *s, const char *v, void *arg)
{
	struct user_ctx *uc = arg;
	index_key(l, s, v, uc->user, "users.names");
}

static void
add_address(struct loader *l, config_setting_t *s, const char *v, void *arg)
{
	struct user_ctx *uc = arg;
	char key[ADDRESS_TEXT_MAX];

	if (!directory_owned_key(v, key, sizeof(key))) {
		load_error(l, s, "users.addresses", "\"%s\" is not an address (expected "
		    "local@domain or @domain)", v);
		return;
	}
	directory_user_add(l->fd->users[uc->user], key, false);
	if (key[0] == '@')
		return;
	index_key(l, s, key, uc->user, "users.addresses");
	struct user_scratch *us = &uc->scratch[uc->user];
	us->addrs = xrealloc(us->addrs, (us->n + 1) * sizeof(*us->addrs));
	us->addrs[us->n++] = xstrdup(key);
}

static void
add_send_as(struct loader *l, config_setting_t *s, const char *v, void *arg)
{
	struct user_ctx *uc = arg;
	struct dir_user *u = l->fd->users[uc->user];
	char key[ADDRESS_TEXT_MAX];
	unsigned other;

	if (strchr(v, '@') != NULL && directory_owned_key(v, key, sizeof(key))) {
		directory_user_add(u, key, false);
		return;
	}
	if (!strmap_get(l->fd->index, v, strlen(v), &other)) {
		load_error(l, s, "users.send_as", "\"%s\" is neither an address nor a known user", v);
		return;
	}
	for (size_t i = 0; i < uc->scratch[other - 1].n; i++)
		directory_user_add(u, uc->scratch[other - 1].addrs[i], false);
}

/* on_behalf on an owner's entry names a user (login, name or address) who
 * may put the owner's addresses in From: beside the user's own Sender:. */
static void
add_on_behalf(struct loader *l, config_setting_t *s, const char *v, void *arg)
{
	struct user_ctx *uc = arg;
	const struct user_scratch *owner = &uc->scratch[uc->user];
	unsigned delegate;

	if (!strmap_get(l->fd->index, v, strlen(v), &delegate) &&
	    !login_as_address(l->fd, v, &delegate)) {
		load_error(l, s, "users.on_behalf", "\"%s\" is not a known user (expected the login, "
		    "a name or an address of a user)", v);
		return;
	}
	for (size_t i = 0; i < owner->n; i++)
		directory_user_add_on_behalf(l->fd->users[delegate - 1], owner->addrs[i]);
}

struct group_ctx {
	char **addrs;
	size_t n;
};

static void
add_group_address(struct loader *l, config_setting_t *s, const char *v, void *arg)
{
	struct group_ctx *g = arg;
	char key[ADDRESS_TEXT_MAX];

	if (!directory_owned_key(v, key, sizeof(key))) {
		load_error(l, s, "groups.addresses", "\"%s\" is not an address (expected "
		    "local@domain)", v);
		return;
	}
	g->addrs = xrealloc(g->addrs, (g->n + 1) * sizeof(*g->addrs));
	g->addrs[g->n++] = xstrdup(key);
	unsigned seen = 0;
	strmap_get(l->fd->groups, key, strlen(key), &seen);
	strmap_put(l->fd->groups, key, strlen(key), seen ? 2 : 1);   /* 2: several groups */
}

static void
add_member(struct loader *l, config_setting_t *s, const char *v, void *arg)
{
	struct group_ctx *g = arg;
	unsigned user;

	if (!strmap_get(l->fd->index, v, strlen(v), &user)) {
		load_error(l, s, "groups.members", "no such user \"%s\"", v);
		return;
	}
	for (size_t i = 0; i < g->n; i++)
		directory_user_add(l->fd->users[user - 1], g->addrs[i], true);
}

static void
load_groups(struct loader *l, config_setting_t *groups)
{
	for (int i = 0; groups && i < config_setting_length(groups); i++) {
		config_setting_t *e = config_setting_get_elem(groups, (unsigned)i);
		struct group_ctx g = { 0 };
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			load_error(l, e, "groups", "entry %d is not a group (expected { name = ...; })",
			    i + 1);
			continue;
		}
		if (!known_keys(l, e, "groups", group_keys) || !entry_name(l, e, "groups", "name"))
			continue;
		each_string(l, e, "groups", "addresses", add_group_address, &g);
		each_string(l, e, "groups", "members", add_member, &g);
		for (size_t k = 0; k < g.n; k++)
			free(g.addrs[k]);
		free(g.addrs);
	}
}

static void
load_users(struct loader *l, config_setting_t *users, struct user_scratch *scratch)
{
	size_t n = users ? (size_t)config_setting_length(users) : 0;

	l->fd->users = xcalloc(n, sizeof(*l->fd->users));
	for (size_t i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(users, (unsigned)i);
		struct user_ctx uc = { l->fd->nusers, scratch };
		const char *login;
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			load_error(l, e, "users", "entry %zu is not a group (expected { login = ...; })",
			    i + 1);
			continue;
		}
		if (!known_keys(l, e, "users", user_keys) ||
		    (login = entry_name(l, e, "users", "login")) == NULL)
			continue;
		scratch[uc.user].entry = e;
		l->fd->users[l->fd->nusers++] = directory_user_new(login);
		index_key(l, e, login, uc.user, "users.login");
		each_string(l, e, "users", "names", add_name, &uc);
		each_string(l, e, "users", "addresses", add_address, &uc);
	}
	/* send_as may name a user defined further down, so it comes second. */
	for (size_t u = 0; u < l->fd->nusers; u++) {
		struct user_ctx uc = { u, scratch };
		each_string(l, scratch[u].entry, "users", "send_as", add_send_as, &uc);
		each_string(l, scratch[u].entry, "users", "on_behalf", add_on_behalf, &uc);
	}
}

/* A login written as an address matches in its normalised form too
 * ("JÖRG@bücher.example" is jörg@xn--bcher-kva.example). */
static bool
login_as_address(const struct file_dir *fd, const char *login, unsigned *user)
{
	char key[ADDRESS_TEXT_MAX];

	return strchr(login, '@') != NULL && login[0] != '@' &&
	    directory_owned_key(login, key, sizeof(key)) &&
	    strmap_get(fd->index, key, strlen(key), user);
}

static enum lookup_result
file_lookup_user(void *state, const char *login, struct dir_user **out, char *why, size_t whylen)
{
	const struct file_dir *fd = state;
	unsigned user;

	(void)why;
	(void)whylen;
	if (!strmap_get(fd->index, login, strlen(login), &user) && !login_as_address(fd, login,
	    &user))
		return LOOKUP_NOTFOUND;
	*out = directory_user_ref(fd->users[user - 1]);
	return LOOKUP_FOUND;
}

static enum lookup_result
file_lookup_recipient(void *state, const char *address, enum recipient_kind *kind, char *why,
    size_t whylen)
{
	const struct file_dir *fd = state;
	unsigned groups = 0;
	bool person = strchr(address, '@') != NULL &&
	    strmap_get(fd->index, address, strlen(address), NULL);
	bool group = strmap_get(fd->groups, address, strlen(address), &groups);

	(void)why;
	(void)whylen;
	if (!person && !group)
		return LOOKUP_NOTFOUND;
	*kind = (person && group) || groups > 1 ? RECIPIENT_AMBIGUOUS :
	    person ? RECIPIENT_PERSON : RECIPIENT_GROUP;
	return LOOKUP_FOUND;
}

static void
file_free(void *state)
{
	struct file_dir *fd = state;

	for (size_t i = 0; i < fd->nusers; i++)
		directory_user_unref(fd->users[i]);
	free(fd->users);
	strmap_free(fd->index);
	strmap_free(fd->groups);
	free(fd);
}

static const struct directory_ops file_ops = { "file", file_lookup_user, file_lookup_recipient,
	file_free, NULL, NULL };

static void
check_top_level(struct loader *l, config_t *cfg)
{
	config_setting_t *root = config_root_setting(cfg);

	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *name = config_setting_name(s);
		if (strcmp(name, "users") != 0 && strcmp(name, "groups") != 0)
			load_error(l, s, name, "unknown key (expected users or groups)");
		else if (config_setting_type(s) != CONFIG_TYPE_LIST)
			load_error(l, s, name, "wrong type (expected a list of groups, ( { ... } ))");
	}
}

struct directory *
directory_file_open(const char *path, struct errlist *errs)
{
	struct file_dir *fd = xcalloc(1, sizeof(*fd));
	struct loader l = { fd, errs, path };
	size_t before = errs->count;
	config_t cfg;

	fd->index = strmap_new();
	fd->groups = strmap_new();
	config_init(&cfg);
	if (config_read_file(&cfg, path) != CONFIG_TRUE) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			errlist_add(errs, path, 0, NULL, "cannot read the directory file");
		else
			errlist_add(errs, path, config_error_line(&cfg), NULL, "%s",
			    config_error_text(&cfg));
	} else {
		check_top_level(&l, &cfg);
		config_setting_t *users = config_lookup(&cfg, "users");
		config_setting_t *groups = config_lookup(&cfg, "groups");
		size_t n = users && config_setting_type(users) == CONFIG_TYPE_LIST ?
		    (size_t)config_setting_length(users) : 0;
		struct user_scratch *scratch = xcalloc(n, sizeof(*scratch));
		if (n > 0)
			load_users(&l, users, scratch);
		if (groups && config_setting_type(groups) == CONFIG_TYPE_LIST)
			load_groups(&l, groups);
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < scratch[i].n; k++)
				free(scratch[i].addrs[k]);
			free(scratch[i].addrs);
		}
		free(scratch);
	}
	config_destroy(&cfg);
	if (errs->count != before) {
		file_free(fd);
		return NULL;
	}
	struct directory *d = xcalloc(1, sizeof(*d));
	d->ops = &file_ops;
	d->state = fd;
	return d;
}

/*
 * directory.c - the backend-independent half of the directory: dispatch,
 * the realm fallback for SMTP AUTH logins, and struct dir_user.
 *
 * No I/O of its own. dir_user objects are shared between the backend (or
 * its cache) and callback threads by an atomic reference count; they are
 * never changed once a lookup has returned them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "directory.h"
#include "domain.h"
#include "strmap.h"
#include "xalloc.h"

struct dir_user *
directory_user_new(const char *login)
{
	struct dir_user *u = xcalloc(1, sizeof(*u));

	atomic_init(&u->refs, 1);
	u->login = xstrdup(login);
	u->primary = xstrdup("");
	u->owned = strmap_new();
	u->group_owned = strmap_new();
	u->on_behalf = strmap_new();
	return u;
}

void
directory_user_add(struct dir_user *u, const char *address, bool group)
{
	size_t len = strlen(address);

	if (group) {
		strmap_put(u->group_owned, address, len, 1);
		return;
	}
	if (strmap_put(u->owned, address, len, 1))
		u->naddresses++;
	if (u->primary[0] == '\0' && address[0] != '@') {
		free(u->primary);
		u->primary = xstrdup(address);
		for (char *c = u->primary; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
	}
}

void
directory_user_groups_failed(struct dir_user *u, const char *why)
{
	free(u->groups_error);
	u->groups_error = xstrdup(why[0] ? why : "group search failed");
}

void
directory_user_add_on_behalf(struct dir_user *u, const char *address)
{
	strmap_put(u->on_behalf, address, strlen(address), 1);
}

struct dir_user *
directory_user_ref(struct dir_user *u)
{
	atomic_fetch_add(&u->refs, 1);
	return u;
}

void
directory_user_unref(struct dir_user *u)
{
	if (u == NULL || atomic_fetch_sub(&u->refs, 1) != 1)
		return;
	free(u->login);
	free(u->primary);
	strmap_free(u->owned);
	strmap_free(u->group_owned);
	free(u->groups_error);
	strmap_free(u->on_behalf);
	free(u);
}

enum lookup_result
directory_lookup_login(const struct directory *d, const char *login,
    bool (*realm_is_local)(const void *ctx, const char *realm), const void *ctx,
    struct dir_user **out, char *why, size_t whylen)
{
	*out = NULL;
	enum lookup_result r = d->ops->lookup_user(d->state, login, out, why, whylen);
	const char *at = strrchr(login, '@');

	if (r != LOOKUP_NOTFOUND || at == NULL || at == login || !realm_is_local(ctx, at + 1))
		return r;
	char *bare = xstrndup(login, (size_t)(at - login));
	r = d->ops->lookup_user(d->state, bare, out, why, whylen);
	free(bare);
	return r;
}

enum lookup_result
directory_lookup_recipient(const struct directory *d, const char *address,
    enum recipient_kind *kind, char *why, size_t whylen)
{
	return d->ops->lookup_recipient(d->state, address, kind, why, whylen);
}

void
directory_free(struct directory *d)
{
	if (d == NULL)
		return;
	d->ops->free(d->state);
	free(d);
}

long
directory_flush(const struct directory *d, const char *login)
{
	if (d == NULL || d->ops->flush == NULL)
		return -1;
	return (long)d->ops->flush(d->state, login);
}

bool
directory_health(const struct directory *d, directory_health_fn fn, void *ctx)
{
	if (d == NULL || d->ops->health == NULL)
		return false;
	d->ops->health(d->state, fn, ctx);
	return true;
}

const char *
directory_result_name(enum lookup_result r)
{
	switch (r) {
	case LOOKUP_FOUND:
		return "found";
	case LOOKUP_NOTFOUND:
		return "not found";
	case LOOKUP_TEMPFAIL:
		return "unavailable";
	}
	return "?";
}

bool
directory_owned_key(const char *text, char *key, size_t len)
{
	struct address a;
	char name[256];

	if (text[0] == '@') {
		if (!domain_normalize(text + 1, name, sizeof(name)))
			return false;
		snprintf(key, len, "@%s", name);
		return true;
	}
	address_parse(text, &a);
	return a.kind == ADDRESS_OK && a.domain[0] != '\0' && a.route == ROUTE_NONE &&
	    address_key(&a, '\0', key, len);
}


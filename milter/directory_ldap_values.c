/*
 * directory_ldap_values.c - reading an entry's address values and building
 * filters, for directory_ldap.c and directory_ldap_groups.c (contracts in
 * directory_ldap_internal.h).
 *
 * Filters are built in exactly one place, directory_ldap_values_filter,
 * and every substituted value passes through ldap_bv2escaped_filter_value
 * (RFC 4515).
 */
#define LDAP_DEPRECATED 0
#include <ldap.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "directory_ldap_internal.h"
#include "xalloc.h"

/* Replaces every %<c> in tmpl by the escaped value. Returns NULL if a value
 * cannot be escaped (never for valid input). */
char *
directory_ldap_values_filter(const char *tmpl, char c, const char *value)
{
	struct berval in = { strlen(value), (char *)value }, out = { 0, NULL };
	size_t cap = strlen(tmpl) + 1, used = 0;
	char *buf;

	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		return NULL;
	for (const char *p = tmpl; *p; p++)
		if (p[0] == '%' && p[1] == c)
			cap += out.bv_len;
	buf = xmalloc(cap);
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == c) {
			memcpy(buf + used, out.bv_val, out.bv_len);
			used += out.bv_len;
			p++;
		} else {
			buf[used++] = *p;
		}
	}
	buf[used] = '\0';
	ber_memfree(out.bv_val);
	return buf;
}

/* An address value as AD and Exchange write them in proxyAddresses:
 * "SMTP:a@b" (the primary) and "smtp:a@b" are a@b; any other "type:"
 * prefix (X500:, SIP:, x400:, EUM:, ...) is an address of another kind,
 * NULL. A value without a prefix (a@b, @domain, a DN) is itself. */
static const char *
value_address(const char *text)
{
	size_t n = strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

	if (n == 0 || text[n] != ':')
		return text;
	if (n == 4 && strncasecmp(text, "smtp", 4) == 0)
		return text + 5;
	return NULL;
}

/* Calls fn for each text value of attr (no NUL, short enough), AD's smtp:
 * prefix removed; values of another type (X500:, SIP:, ...) are counted in
 * c->other_types, once per entry read for the user itself (count true). */
void
directory_ldap_values_each(LDAP *ld, LDAPMessage *e, const char *attr, struct user_ctx *c,
    bool count, address_value_fn *fn, void *arg)
{
	struct berval **vals = ldap_get_values_len(ld, e, attr);
	char text[ADDRESS_TEXT_MAX];

	for (size_t i = 0; vals && vals[i]; i++) {
		if (vals[i]->bv_len >= sizeof(text) || memchr(vals[i]->bv_val, '\0', vals[i]->bv_len))
			continue;
		memcpy(text, vals[i]->bv_val, vals[i]->bv_len);
		text[vals[i]->bv_len] = '\0';
		const char *v = value_address(text);
		if (v != NULL)
			fn(v, c, arg);
		else if (count)
			c->other_types++;
	}
	ldap_value_free_len(vals);
}

/* An owned address (to owned or group_owned), else a DN or other value for
 * non_addresses (send-as DNs), if given. */
static void
add_value(const char *v, struct user_ctx *c, void *arg)
{
	struct strlist *non_addresses = arg;
	char key[ADDRESS_TEXT_MAX];

	if (directory_owned_key(v, key, sizeof(key)) && strchr(v, '=') == NULL)
		directory_user_add(c->user, key, c->group);
	else if (non_addresses != NULL)
		strlist_add(non_addresses, v);
}

void
directory_ldap_values_add(LDAP *ld, LDAPMessage *e, const char *attr, struct user_ctx *c,
    struct strlist *non_addresses)
{
	directory_ldap_values_each(ld, e, attr, c, true, add_value, non_addresses);
}

void
directory_ldap_values_collect(LDAP *ld, LDAPMessage *e, void *arg)
{
	struct user_ctx *c = arg;

	for (size_t i = 0; i < c->d->cfg.address_attributes.n; i++)
		directory_ldap_values_add(ld, e, c->d->cfg.address_attributes.v[i], c, NULL);
}

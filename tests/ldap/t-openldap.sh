#!/usr/bin/env bash
# t-openldap.sh - README's OpenLDAP preset (<!-- test: openldap-directory -->)
# against a private slapd 2.5 with the memberof overlay and test stand-ins
# for the postfix-book names (tests/ldap/postfix-book-test.schema), with only
# the URI (ldap:// for ldaps://) and the password file changed. Asserts the
# exact reply: own address, mailAlias alias, a direct group; a group reached
# only through another is not followed (OpenLDAP's memberof overlay is not
# transitive, as README says), in "none" and in "member_of" mode alike;
# verify_local finds a mailAlias.
# Usage: tests/ldap/t-openldap.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init openldap "${1:-}"

block=$(ldt_readme_block openldap-directory) || { ldt_fail "README has no openldap-directory block"; exit 1; }
SLAPD_SCHEMA=$LDT_FIXTURES/postfix-book-test.schema SLAPD_MEMBEROF=1 \
	slapd_start "$LDT_DIR/slapd" "$LDT_FIXTURES/openldap.ldif" || { ldt_fail "slapd did not start"; exit 1; }
ldapadd -x -H "$SLAPD_URI" -D cn=admin,dc=acme,dc=com -w secret \
	-f "$LDT_FIXTURES/openldap-entries.ldif" >/dev/null || ldt_fail "could not add the accounts"
printf 'Svc-Relay-Pass-42\n' >"$LDT_DIR/ldap.secret" && chmod 0600 "$LDT_DIR/ldap.secret"
# ca_file is not used on ldap:// (slapd here has no TLS), but must be readable.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$LDT_DIR/ca.key" -out "$LDT_DIR/ca.pem" \
	-days 2 -subj "/CN=relaywarden test CA" >/dev/null 2>&1 || ldt_fail "openssl could not make a CA"

# ol_policy FILE SOCKET [SED]
ol_policy() {
	local file=$1 socket=$2 extra=${3:-}
	ldt_preset_policy "$file" "$socket" "$block" 'recipients = { verify_local = true; };' \
		-e "s#\"ldaps://ldap1\.acme\.com/\"#\"$SLAPD_URI\"#" \
		-e "s#\"/etc/relaywarden/ldap.secret\"#\"$LDT_DIR/ldap.secret\"#" \
		-e "s#\"/etc/relaywarden/acme-ca.pem\"#\"$LDT_DIR/ca.pem\"#" ${extra:+-e "$extra"}
	grep -qF "\"$SLAPD_URI\"" "$file" && grep -qF "\"$LDT_DIR/ldap.secret\"" "$file" ||
		{ ldt_fail "README's openldap-directory block no longer has the uris/password lines the test rewrites"; return 1; }
}

ol_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" || exit 1
ol_policy "$LDT_DIR/memberof.conf" "unix:$LDT_DIR/memberof.sock" \
	's#nested_groups = "none";#nested_groups = "member_of";#' || exit 1
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1
ldt_milter_start "$LDT_DIR/memberof.conf" memberof || exit 1

for tag in main memberof; do
	ldt_expect "$tag: own address" jdoe "<john.doe@acme.com>" continue "$tag"
	ldt_expect "$tag: mailAlias" jdoe "<jd@acme.com>" continue "$tag"
	ldt_expect "$tag: direct group" jdoe "<team@acme.com>" continue "$tag"
	ldt_expect "$tag: group only through another group (not followed on OpenLDAP)" jdoe \
		"<dept@acme.com>" reject "$tag"
	ldt_expect "$tag: not a member" asmith "<team@acme.com>" reject "$tag"
done
ldt_expect_rcpt "verify_local: mailAlias" "<jd@acme.com>" ""
ldt_expect_rcpt "verify_local: unknown" "<nobody@acme.com>" "550 5.1.1 No such user here"

{ ldt_milter_alive && ldt_milter_alive memberof; } || ldt_fail "relaywarden died during the test"
ldt_finish

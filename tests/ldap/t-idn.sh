#!/usr/bin/env bash
# t-idn.sh - IDN against a real slapd (issue 14 item 4): directory values are
# normalised when fetched (an address stored with a U-label is owned in
# A-label form and vice versa), and a recipient lookup for an international
# domain asks for both forms, so either storage is found.
# Usage: tests/ldap/t-idn.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init idn "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
# jorg's address is stored as an A-label (mail is IA5: ASCII only); anna's
# as a U-label in description (a UTF-8 directoryString), as some
# directories keep SMTPUTF8 addresses.
ldapadd -x -H "$SLAPD_URI" -D cn=admin,dc=acme,dc=com -w secret >/dev/null <<'LDIF' ||
dn: uid=jorg,ou=people,dc=acme,dc=com
objectClass: inetOrgPerson
uid: jorg
cn: Jorg
sn: Jorg
mail: jorg@xn--bcher-kva.example

dn: uid=anna,ou=people,dc=acme,dc=com
objectClass: inetOrgPerson
uid: anna
cn: Anna
sn: Anna
description: ANNA@bücher.example
LDIF
	ldt_fail "could not add the IDN entries"
ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
sed -i 's/^local_domains = .*/local_domains = [ "acme.com", "bücher.example" ];/;
	s/^    send_as_attributes = .*/&\n    address_attributes = [ "mail", "description" ];\n    recipient_filter = "(|(mail=%s)(description=%s))";/' \
	"$LDT_DIR/policy.conf"
cat >>"$LDT_DIR/policy.conf" <<'CONF'
recipients = { verify_local = true; };
CONF
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

ldt_expect_rcpt "stored A-label, asked as U-label" "<jorg@bücher.example>" ""
ldt_expect_rcpt "stored A-label, asked as A-label" "<Jorg@XN--BCHER-KVA.example>" ""
ldt_expect_rcpt "stored U-label, asked as A-label" "<anna@xn--bcher-kva.example>" ""
ldt_expect_rcpt "stored U-label, asked as upper-case U-label" "<Anna@BÜCHER.example>" ""
ldt_expect_rcpt "unknown recipient in U-label form" "<nobody@bücher.example>" \
	"550 5.1.1 No such user here"

ldt_expect "owned, stored A-label, sent as U-label" jorg "<jorg@bücher.example>" continue
ldt_expect "owned, stored U-label, sent as A-label" anna "<anna@xn--bcher-kva.example>" continue
ldt_expect "another user's international address" anna "<jorg@bücher.example>" reject

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

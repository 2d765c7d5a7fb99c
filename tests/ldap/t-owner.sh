#!/usr/bin/env bash
# t-owner.sh - verify authenticated sender (DESIGN §4) against a real slapd:
# every way of owning an address passes, everything else gets the exact 550.
# Usage: tests/ldap/t-owner.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init owner "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
P_TTL=0 P_NEG_TTL=0 P_GROUP_SEND_AS=true P_EXEMPT='"monitor"' \
	ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

# Owned: continue.
ldt_expect "own mail" jdoe "<john.doe@acme.com>" continue
ldt_expect "own mail, other case" jdoe "<John.Doe@ACME.COM>" continue
ldt_expect "own mail, subaddress folded" jdoe "<john.doe+news@acme.com>" continue
ldt_expect "alias (mailAlternateAddress)" jdoe "<jd@acme.com>" continue
ldt_expect "@domain owner" labadmin "<anyone@lab.acme.com>" continue
ldt_expect "DN send_as (relaywardenSendAs: uid=boss,...)" jdoe "<boss@acme.com>" continue
ldt_expect "address send_as (relaywardenSendAs: sales-desk@)" jdoe "<sales-desk@acme.com>" continue
ldt_expect "group send-as (member of cn=sales)" jdoe "<sales@acme.com>" continue
ldt_expect "exempt user" monitor "<ceo@acme.com>" continue
ldt_expect "login by cn" "John Doe" "<john.doe@acme.com>" continue
ldt_expect "login by mail" "john.doe@acme.com" "<jd@acme.com>" continue
ldt_expect "login with local realm (Postfix smtpd_sasl_local_domain)" "jdoe@acme.com" "<john.doe@acme.com>" continue
ldt_expect "not authenticated: nothing to verify" "" "<john.doe@acme.com>" continue

# Not owned: 550 5.7.1, and the log says why in Domino's words.
if ldt_expect "someone else's address" jdoe "<alice.smith@acme.com>" reject &&
	[[ $LDT_LINE != *"failed to match directory address john.doe@acme.com"* ]]; then
	ldt_fail "someone else's address: log lacks Domino's words with the primary address: $LDT_LINE"
fi
ldt_expect "delegation is not inherited by others" asmith "<boss@acme.com>" reject
ldt_expect "group send-as only for members" asmith "<sales@acme.com>" reject
ldt_expect "delegation is one-way" boss "<jd@acme.com>" reject
ldt_expect "@domain covers that domain only" labadmin "<x@sub.lab.acme.com>" reject
if ldt_expect "unknown login" nobody "<john.doe@acme.com>" reject &&
	[[ $LDT_LINE != *'reason="authenticated user not in directory"'* ]]; then
	ldt_fail "unknown login: expected reason \"authenticated user not in directory\": $LDT_LINE"
fi
ldt_expect "null sender from an authenticated user" jdoe "<>" reject

# The same answers as the MTA reads them on the milter protocol.
ldt_expect_wire "owned, raw client" jdoe "<jd@acme.com>" continue
ldt_expect_wire "not owned, raw client" jdoe "<alice.smith@acme.com>" reject
ldt_expect_wire "unknown login, raw client" nobody "<john.doe@acme.com>" reject

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

#!/usr/bin/env bash
# t-group.sh - verify_sender.group_send_as switches group send-as on and off
# (DESIGN §4); with it off no group search is sent at all.
# Usage: tests/ldap/t-group.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init group "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
P_GROUP_SEND_AS=true ldt_policy "$LDT_DIR/on.conf" "unix:$LDT_DIR/on.sock" "\"$SLAPD_URI\""
P_GROUP_SEND_AS=false ldt_policy "$LDT_DIR/off.conf" "unix:$LDT_DIR/off.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/on.conf" on || exit 1
ldt_milter_start "$LDT_DIR/off.conf" off || exit 1

ldt_expect "group_send_as on: member sends as the group" jdoe "<sales@acme.com>" continue on
ldt_expect "group_send_as on: non-member refused" asmith "<sales@acme.com>" reject on
ldt_expect "group_send_as on: member DN with a '*' (escaped member= filter)" "star*user" "<stars@acme.com>" continue on
ldt_expect "group_send_as on: membership of one group is not another's" "star*user" "<sales@acme.com>" reject on

groups_before=$(slapd_srch_count '(member=')
ldt_expect "group_send_as off: member refused" jdoe "<sales@acme.com>" reject off
ldt_expect "group_send_as off: own address still fine" jdoe "<john.doe@acme.com>" continue off
ldt_expect "group_send_as off: send_as still fine" jdoe "<sales-desk@acme.com>" continue off
groups_after=$(slapd_srch_count '(member=')
[ "$groups_after" -eq "$groups_before" ] ||
	ldt_fail "group_send_as off: $((groups_after - groups_before)) group search(es) sent anyway"

{ ldt_milter_alive on && ldt_milter_alive off; } || ldt_fail "relaywarden died during the test"
ldt_finish

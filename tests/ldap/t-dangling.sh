#!/usr/bin/env bash
# t-dangling.sh - bad data in one entry is not a directory outage (DESIGN §5:
# found / not found / unavailable, never confused). A send-as DN that no
# longer exists, or a send-as value that is neither an address nor a DN,
# grants nothing; the user still sends as its own addresses (no 451), and
# other addresses are refused with 550.
# Usage: tests/ldap/t-dangling.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init dangling "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

ldt_expect "send-as DN that does not exist: own address" temp "<temp@acme.com>" continue
ldt_expect "send-as DN that does not exist: other address" temp "<alice.smith@acme.com>" reject
ldt_expect "send-as value neither address nor DN: own address" typo "<typo@acme.com>" continue
ldt_expect "send-as value neither address nor DN: other address" typo "<alice.smith@acme.com>" reject
# The bad entries do not affect anyone else.
ldt_expect "other users unaffected" jdoe "<boss@acme.com>" continue

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

#!/usr/bin/env bash
# t-reconnect.sh - slapd restarted while the milter was idle: the pooled
# connection is now dead, but the server is up. The first lookup afterwards
# must reconnect and answer normally (Postfix dict_ldap: "reconnect once,
# then tempfail"), not 451. One URI, no cache.
# Usage: tests/ldap/t-reconnect.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init reconnect "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

ldt_expect "before the restart (opens a pooled connection)" jdoe "<john.doe@acme.com>" continue
slapd_restart || { ldt_fail "slapd did not restart on port $SLAPD_PORT"; exit 1; }
ldt_expect "first lookup after an idle restart" jdoe "<john.doe@acme.com>" continue
ldt_expect "second lookup after an idle restart" jdoe "<john.doe@acme.com>" continue

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

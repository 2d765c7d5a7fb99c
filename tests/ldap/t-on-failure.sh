#!/usr/bin/env bash
# t-on-failure.sh - directory.on_failure = "accept" (off by default): with
# slapd down, an authenticated MAIL is let through instead of 451, and every
# such use is logged at warning level with rule=directory, so the admin sees
# each unverified sender. An answer from a live directory is still enforced.
# Usage: tests/ldap/t-on-failure.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init on-failure "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
P_ON_FAILURE=accept ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

ldt_expect "directory up: someone else's address is refused" jdoe "<alice.smith@acme.com>" reject
slapd_stop
ldt_expect "directory down: accepted by on_failure" jdoe "<alice.smith@acme.com>" continue
warns=$(grep -c '\[warn\]: .*decision=accept stage=mail rule=directory .*reason="directory unavailable, accepted by directory.on_failure"' "$LDT_DIR/rw.log")
[ "$warns" -eq 1 ] || ldt_fail "expected one warning line for the accepted MAIL, found $warns"
ldt_finish

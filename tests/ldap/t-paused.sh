#!/usr/bin/env bash
# t-paused.sh - a hung slapd (SIGSTOP: connects succeed, searches never
# answer) with a single URI: 451 4.7.1 after directory.ldap.timeout, not a
# hang until the MTA's milter timeout; after SIGCONT, normal answers.
# Usage: tests/ldap/t-paused.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init paused "${1:-}"

timeout_s=2
slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
P_TIMEOUT=$timeout_s ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

ldt_expect "before the pause" jdoe "<john.doe@acme.com>" continue
slapd_pause
limit=$((timeout_s * 1000 + 1500))
if ldt_expect "slapd paused" jdoe "<john.doe@acme.com>" tempfail; then
	[ "$LDT_MS" -lt "$limit" ] || ldt_fail "slapd paused: 451 took ${LDT_MS} ms (limit $limit)"
	[ "$LDT_MS" -ge $((timeout_s * 1000 - 200)) ] ||
		ldt_note "slapd paused: 451 after only ${LDT_MS} ms (timeout ${timeout_s} s)"
fi
slapd_resume
if ldt_expect "slapd resumed" jdoe "<john.doe@acme.com>" continue; then
	[ "$LDT_MS" -lt 1000 ] || ldt_fail "slapd resumed: answer took ${LDT_MS} ms (limit 1000)"
fi

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

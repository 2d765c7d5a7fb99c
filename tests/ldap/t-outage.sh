#!/usr/bin/env bash
# t-outage.sh - slapd down (DESIGN §5): an authenticated MAIL that needs the
# directory answers "451 4.7.1 Directory unavailable, try again later" within
# the 3 s LDAP timeout, never a 550 (unavailable is not "not found"), and is
# not cached; answers cached before the outage still serve; after slapd comes
# back on the same port the milter answers normally without a restart.
# Usage: tests/ldap/t-outage.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init outage "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
P_TTL=60 P_NEG_TTL=60 P_TIMEOUT=3 \
	ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1
rw_pid=${LDT_RW_PID[main]}

ldt_expect "before the outage" jdoe "<john.doe@acme.com>" continue

slapd_stop
for i in 1 2; do
	if ldt_expect "slapd stopped, attempt $i" asmith "<alice.smith@acme.com>" tempfail; then
		[ "$LDT_MS" -lt 4000 ] ||
			ldt_fail "slapd stopped, attempt $i: 451 took ${LDT_MS} ms (limit 4000)"
	fi
done
if ldt_expect "slapd stopped, unknown login is not 'not found'" ghost "<ghost@acme.com>" tempfail; then
	[ "$LDT_MS" -lt 4000 ] || ldt_fail "slapd stopped, unknown login: 451 took ${LDT_MS} ms"
fi
ldt_expect_wire "slapd stopped, raw client" asmith "<alice.smith@acme.com>" tempfail
ldt_expect "slapd stopped, answer cached before the outage still serves" jdoe "<jd@acme.com>" continue

t0=$(now_ms)
slapd_restart || { ldt_fail "slapd did not restart on port $SLAPD_PORT"; exit 1; }
if ldt_expect "slapd back: 451 was not cached" asmith "<alice.smith@acme.com>" continue; then
	took=$(($(now_ms) - t0))
	[ "$took" -lt 5000 ] || ldt_fail "slapd back: normal answer ${took} ms after the restart (limit 5000)"
	ldt_note "normal answer ${took} ms after slapd_restart began"
fi
ldt_expect "slapd back: unknown login is 550 again" ghost "<ghost@acme.com>" reject

{ [ "${LDT_RW_PID[main]}" = "$rw_pid" ] && ldt_milter_alive; } ||
	ldt_fail "relaywarden did not survive the outage"
ldt_finish

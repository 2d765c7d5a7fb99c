#!/usr/bin/env bash
# t-concurrent.sh - many simultaneous transactions share a small LDAP handle
# pool (directory.ldap.pool_size = 2, no cache): every one gets its own
# user's answer (no answer crosses to another thread), none is refused as
# "busy" within the timeout. Run under make tsan to look for races.
# Usage: tests/ldap/t-concurrent.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init concurrent "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
P_POOL=2 P_TIMEOUT=3 ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

# login | from | expectation; the +N tag makes each auth/from pair unique.
cases=()
for n in 1 2 3 4; do
	cases+=("jdoe|<john.doe+$n@acme.com>|continue"
		"asmith|<alice.smith+$n@acme.com>|continue"
		"jdoe|<alice.smith+j$n@acme.com>|reject"
		"asmith|<john.doe+a$n@acme.com>|reject"
		"labadmin|<box$n@lab.acme.com>|continue"
		"star*user|<staruser+$n@acme.com>|continue"
		"ghost$n|<ghost$n@acme.com>|reject")
done
i=0
pids=()
for c in "${cases[@]}"; do
	IFS='|' read -r login from _ <<<"$c"
	ldt_mail_bg "$login" "$from" "$LDT_DIR/c$i.out"
	pids+=("$LDT_BG_PID")
	i=$((i + 1))
done
wait "${pids[@]}"
i=0
for c in "${cases[@]}"; do
	IFS='|' read -r login from want <<<"$c"
	ldt_mail_result "$LDT_DIR/c$i.out" "$login" "$from"
	ldt_check_result "concurrent #$i" "$login" "$from" "$want"
	i=$((i + 1))
done
ldt_note "${#cases[@]} concurrent transactions, pool_size 2"

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

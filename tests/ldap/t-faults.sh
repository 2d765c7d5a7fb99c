#!/usr/bin/env bash
# t-faults.sh - fault injection on the directory (issue 7): slapd stopped,
# slapd paused (SIGSTOP), and slapd replaced on its own port by a listener
# that accepts and never answers. During each fault six concurrent
# transactions all get 451 4.7.1 (never an accept, never a 5xx); after it the
# milter answers normally without a restart, and its open file descriptors
# and threads return to the baseline taken with the LDAP pool full.
# Usage: tests/ldap/t-faults.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init faults "${1:-}"

timeout_s=1
slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
P_TIMEOUT=$timeout_s P_POOL=4 ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" \
	"\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1
PID=${LDT_RW_PID[main]}

fds() { find "/proc/$PID/fd" -mindepth 1 2>/dev/null | wc -l; }
threads() { awk '$1 == "Threads:" { print $2 }' "/proc/$PID/status"; }
idle() { [ "$(ldt_sessions)" -eq 0 ]; }   # every session's connection closed
at_baseline() { idle && [ "$(fds)" -le "$BASE_FDS" ] && [ "$(threads)" -le "$BASE_THREADS" ]; }
settle() { # DESC: fds and threads back at (or below) the baseline (deadline 30 s)
	if wait_for 30 at_baseline; then
		echo "ok - $1: back to the baseline ($(fds) fds, $(threads) threads)"
		return 0
	fi
	ldt_fail "$1: $(fds) fds, $(threads) threads, $(ldt_sessions) session(s) open (baseline $BASE_FDS, $BASE_THREADS)"
}
# burst WANT DESC: six concurrent transactions for unknown logins ghost1..6
burst() {
	local want=$1 desc=$2 i pids=()
	for i in 1 2 3 4 5 6; do
		ldt_mail_bg "ghost$i" "<ghost$i@acme.com>" "$LDT_DIR/burst.$i"
		pids+=("$LDT_BG_PID")
	done
	wait "${pids[@]}"
	local ok=0
	for i in 1 2 3 4 5 6; do
		ldt_mail_result "$LDT_DIR/burst.$i" "ghost$i" "<ghost$i@acme.com>"
		ldt_check_result "$desc: transaction $i" "ghost$i" "<ghost$i@acme.com>" "$want" &&
			ok=$((ok + 1))
	done
	[ "$ok" -eq 6 ] && echo "ok - $desc: 6 of 6 transactions answered $want"
}

# Warm-up: concurrent lookups open every pooled connection (unknown logins
# are refused, 550 5.7.1), so the baseline holds the whole pool.
burst reject "warm-up"
burst reject "warm-up again"
# The baseline is taken once the warm-up sessions are over (the milter closed
# their connections), not after a pause that is long enough on this machine.
wait_for 30 idle || ldt_fail "warm-up: $(ldt_sessions) session(s) still open after 30 s"
# Staggered transactions rarely need all four pooled connections at once, so
# the baseline is counted with the pool full: the fds that are not
# connections to slapd, plus pool_size.
BASE_FDS=$(($(fds) - $(slapd_clients) + 4))
BASE_THREADS=$(threads)
ldt_note "baseline: $BASE_FDS fds, $BASE_THREADS threads"

# 1. slapd stopped: connections refused at once
slapd_stop
burst tempfail "slapd stopped"
slapd_restart || { ldt_fail "slapd did not restart"; exit 1; }
ldt_expect "slapd back: answers again without a restart" jdoe "<john.doe@acme.com>" continue
burst reject "slapd back: concurrent lookups"
settle "after slapd stopped and restarted"

# 2. slapd paused: connects succeed, searches never answer
slapd_pause
burst tempfail "slapd paused"
slapd_resume
ldt_expect "slapd resumed: answers again" jdoe "<john.doe@acme.com>" continue
burst reject "slapd resumed: concurrent lookups"
settle "after slapd paused and resumed"

# 3. slapd replaced on its own port by a listener that never answers
slapd_stop
blackhole_start "$LDT_DIR/blackhole" "$SLAPD_PORT" ||
	{ ldt_fail "the black hole did not take slapd's port"; exit 1; }
burst tempfail "a listener that never answers on slapd's port"
[ "$(blackhole_accepted)" -ge 1 ] ||
	ldt_fail "the black hole accepted no connection: the fault was not exercised"
blackhole_stop
slapd_restart || { ldt_fail "slapd did not restart"; exit 1; }
ldt_expect "slapd back after the black hole" jdoe "<john.doe@acme.com>" continue
burst reject "slapd back after the black hole: concurrent lookups"
settle "after the black hole"

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

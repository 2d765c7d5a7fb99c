#!/usr/bin/env bash
# t-faults.sh - fault injection (issue 7): a silent DNS server and a policy
# file replaced by garbage while sessions run. Every session still gets its
# exact answer (451 4.4.3 while DNS is silent, 554 for the relay attempt
# under the old policy after the failed reload), and the milter's open file
# descriptors and threads return to their baseline afterwards.
# Usage: tests/dns/t-faults.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
# shellcheck source=../lib/dns.sh
. "$(dirname "$0")/../lib/dns.sh"
ldt_init dns-faults "${1:-}"
trap '_ldt_cleanup; dns_stop; silent_stop' EXIT

dns_start "$LDT_DIR/dns" || { ldt_fail "unbound did not start"; exit 1; }
silent_start "$LDT_DIR/dns" || { ldt_fail "the silent port did not start"; exit 1; }
policy() { # DNS-SERVER
	cat >"$LDT_DIR/policy.conf" <<CONF
milter = { socket = "unix:$LDT_DIR/rw.sock"; };
config_update_interval = 0;
local_domains = [ "acme.com" ];
relay = { deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
connection = { dnsbl = ( { zone = "bl.test"; action = "reject"; } ); };
dns = { servers = [ "$1" ]; timeout = 1; };
directory = { backend = "file"; file = "$LDT_TOP/tests/milter/policies/directory.conf"; };
CONF
}
policy "127.0.0.1:$DNS_PORT"
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1
PID=${LDT_RW_PID[main]}
SOCK=$LDT_DIR/rw.sock

fds() { find "/proc/$PID/fd" -mindepth 1 2>/dev/null | wc -l; }
threads() { awk '$1 == "Threads:" { print $2 }' "/proc/$PID/status"; }
session() { # IP -> the last line of rw_raw (a relay attempt)
	rw_raw "$SOCK" unknown "$1" "" "<bogus.user@bogus.com>" "<john.doe@ibm.com>" 2>&1 | tail -n 1
}
idle() { [ "$(ldt_sessions)" -eq 0 ]; }   # every session's connection closed
at_baseline() { idle && [ "$(fds)" -le "$BASE_FDS" ] && [ "$(threads)" -le "$BASE_THREADS" ]; }
settle() { wait_for 30 at_baseline; }   # a deadline only to fail
# reload WANT: SIGUSR1, then the outcome of exactly that reload (tests/lib/wait.sh)
reload() {
	local mark got me=$BASHPID   # the pid kill(2) reports: this shell's
	mark=$(log_mark "$LDT_DIR/rw.log")
	kill -USR1 "$PID"
	got=$(reload_outcome "$LDT_DIR/rw.log" "$mark" "$me" 30)
	[ "$got" = "$1" ] || ldt_fail "SIGUSR1: reload $got, expected $1"
}
expect() { # DESC GOT WANT
	if [ "$2" = "$3" ]; then echo "ok - $1"; else ldt_fail "$1: got \"$2\", expected \"$3\""; fi
}

RELAY="rcpt y 554 5.7.1 Relay rejected for policy reasons."
expect "warm-up session" "$(session 192.0.2.20)" "$RELAY"
# the baseline once the warm-up session is over, not after a pause
wait_for 30 idle || ldt_fail "warm-up: $(ldt_sessions) session(s) still open after 30 s"
BASE_FDS=$(fds)
BASE_THREADS=$(threads)
ldt_note "baseline: $BASE_FDS fds, $BASE_THREADS threads"

for i in 1 2 3 4 5 6 7 8 9 10; do
	got=$(session "192.0.2.$((20 + i))")
	[ "$got" = "$RELAY" ] || ldt_fail "session $i: got \"$got\""
done
settle || ldt_fail "after 10 sessions: $(fds) fds, $(threads) threads (baseline $BASE_FDS, $BASE_THREADS)"
echo "ok - 10 sessions: back to the baseline"

# garbage in the policy file, then SIGUSR1: the reload fails, the old policy stays
printf 'relay = { enforce = "sometimes" \n\x01\x02 }}}' >"$LDT_DIR/policy.conf"
reload failed
grep -q "the running policy stays in force" "$LDT_DIR/rw.log" ||
	ldt_fail "the failed reload was not logged"
expect "after a garbage reload the old policy answers" "$(session 192.0.2.40)" "$RELAY"
expect "a listed client is still refused" "$(session 127.0.0.2)" \
	"connect y 550 5.7.1 Mail from 127.0.0.2 refused: listed at bl.test"
kill -0 "$PID" 2>/dev/null || ldt_fail "the milter died on the garbage policy"

# DNS goes silent (a good policy pointing at the silent port): every
# session defers within the timeout; nothing piles up
policy "127.0.0.1:$SILENT_PORT"
reload reloaded
for i in 1 2 3; do
	expect "silent DNS, session $i" "$(session "192.0.2.$((50 + i))")" \
		"connect y 451 4.4.3 DNS lookup failed, try again later"
done
policy "127.0.0.1:$DNS_PORT"
reload reloaded
expect "DNS back: the relay attempt is judged again" "$(session 192.0.2.60)" "$RELAY"
# The retired snapshots' resolvers are freed with them: fds and threads
# return to the baseline (the new resolver's channel replaces the old one's).
settle || ldt_fail "after the faults: $(fds) fds, $(threads) threads (baseline $BASE_FDS, $BASE_THREADS)"
echo "ok - after the faults: $(fds) fds, $(threads) threads"
ldt_finish

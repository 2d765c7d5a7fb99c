#!/usr/bin/env bash
# bench/callgrind.sh BUILD - user-space instructions per transaction of the
# null milter (A) and of relaywarden with a warm cache (B1), counted by
# valgrind --tool=callgrind: unlike CPU time on a shared 2-core VM (±10 %
# from run to run), instruction counts repeat to within a fraction of a
# percent, so they show what relaywarden's own code adds. Kernel time
# (poll, read, writev, the log write) is not counted. Prints a table and the
# top functions of relaywarden's transactions. P0/P1: one message per
# connection (mload -m inbound -k 1, unauthenticated to a local user), as
# Postfix gives them: the null milter -a against relaywarden with the
# closed-relay example at log_level warn, the connection's own cost counted
# in every message.
#
# BENCH_CG_TX (default 2000) transactions, one connection at a time.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"
TX=${BENCH_CG_TX:-2000}
# shellcheck source=../tests/lib/slapd.sh
. tests/lib/slapd.sh
# shellcheck source=lib.sh
. bench/lib.sh
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-callgrind.XXXXXX")
MPID=''
cleanup() {
	[ -n "$MPID" ] && kill -KILL "$MPID" 2>/dev/null
	slapd_stop >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT
[ -z "${BENCH_CG_KEEP:-}" ] || trap - EXIT

bench_people 10 >"$DIR/people.ldif"
slapd_start "$DIR/slapd" "$DIR/people.ldif" >/dev/null
bench_ldap_policy "$DIR/warm.conf" 3600

LOAD=(-m hit)   # what mload sends (the P rows: -m inbound -k 1)
# measure NAME OUT PROGRAM ARGS...: Ir of TX transactions after a warm-up,
# counters zeroed before and dumped right after the measured transactions.
measure() {
	local name=$1 out=$2 i
	shift 2
	valgrind --tool=callgrind --callgrind-out-file="$out" \
		"$@" >"$DIR/$name.log" 2>&1 &
	MPID=$!
	for ((i = 0; i < 400; i++)); do
		[ -S "$DIR/m.sock" ] && break
		sleep 0.05
	done
	"$BUILD/bench/mload" -s "unix:$DIR/m.sock" -c 1 -n 200 "${LOAD[@]}" >/dev/null
	callgrind_control -z "$MPID" >/dev/null 2>&1
	"$BUILD/bench/mload" -s "unix:$DIR/m.sock" -c 1 -n "$TX" "${LOAD[@]}" >/dev/null
	callgrind_control -d measured "$MPID" >/dev/null 2>&1
	kill -TERM "$MPID"
	wait "$MPID" 2>/dev/null || true
	MPID=''
	rm -f "$DIR/m.sock"
}

ir_of() { # the callgrind dump files of one run -> total Ir
	cat "$@" | awk '/^summary:/ { s += $2 } END { print s + 0 }'
}

measure A "$DIR/cg.A" "$BUILD/bench/null_milter" "unix:$DIR/m.sock"
measure B1 "$DIR/cg.B1" "$BUILD/relaywarden" -f -c "$DIR/warm.conf" -p "unix:$DIR/m.sock"
[ -z "${BENCH_COMPARE:-}" ] ||
	measure X "$DIR/cg.X" "$BENCH_COMPARE" -f -c "$DIR/warm.conf" -p "unix:$DIR/m.sock"
bench_inbound_policy "$DIR/inbound-warn.conf" warn
LOAD=(-m inbound -k 1)
measure P0 "$DIR/cg.P0" "$BUILD/bench/null_milter" -a "unix:$DIR/m.sock"
measure P1 "$DIR/cg.P1" "$BUILD/relaywarden" -f -c "$DIR/inbound-warn.conf" -p "unix:$DIR/m.sock"
a=$(ir_of "$DIR/cg.A.1")
b=$(ir_of "$DIR/cg.B1.1")
echo "| row | transactions | instructions (user space) per transaction |"
echo "|---|---|---|"
awk -v a="$a" -v b="$b" -v n="$TX" 'BEGIN {
	printf "| A null milter | %d | %.0f |\n", n, a / n
	printf "| B1 relaywarden, warm cache | %d | %.0f |\n", n, b / n
	printf "| B1 − A (relaywarden'"'"'s own work) | | %.0f |\n", (b - a) / n
}'
awk -v a="$(ir_of "$DIR/cg.P0.1")" -v b="$(ir_of "$DIR/cg.P1.1")" -v n="$TX" 'BEGIN {
	printf "| P0 null milter -a, 1 message per connection | %d | %.0f |\n", n, a / n
	printf "| P1 relaywarden, closed relay, warn, 1 message per connection | %d | %.0f |\n", n, b / n
	printf "| P1 − P0 | | %.0f |\n", (b - a) / n
}'
if [ -n "${BENCH_COMPARE:-}" ]; then
	awk -v a="$a" -v x="$(ir_of "$DIR/cg.X.1")" -v n="$TX" 'BEGIN {
		printf "| BENCH_COMPARE, warm cache | %d | %.0f |\n", n, x / n
		printf "| BENCH_COMPARE − A | | %.0f |\n", (x - a) / n
	}'
fi
echo
echo "Top 15 functions of B1 by their own instructions (% of B1's total):"
callgrind_annotate --threshold=100 "$DIR/cg.B1.1" 2>/dev/null |
	grep -E '^ *[0-9,]+ \( *[0-9.]+%\)  ' | grep -v -E 'PROGRAM TOTALS|:clone |:start_thread ' |
	sed -n 1,15p | sed -E 's/ \[[^]]*\]$//'

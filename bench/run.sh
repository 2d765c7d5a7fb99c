#!/usr/bin/env bash
# bench/run.sh BUILD - DESIGN §8's benchmarks in one run on one machine,
# each row with its ratio to the null milter (A) measured in the same run.
# Nothing here is a pass/fail test: it prints a Markdown table.
#
#   A   null libmilter milter (bench/null_milter.c), authenticated transactions
#   B1  relaywarden + private slapd (10 000 people), warm cache
#   B2  every login a miss (cache off): one LDAP search per transaction
#   B3  95 % hits on 10 hot logins, 5 % spread over 10 000 (cache on, cold start)
#   E   relay lists of 10 / 1 000 / 10 000 / 100 000 entries (+ as many CIDRs):
#       unauthenticated relay attempts judged against them
#   F   B1 and A at concurrency 1 .. 100
# Columns: transactions/s, p50/p99 of a transaction and of the MAIL step
# (µs), milter CPU per transaction (µs, utime+stime from /proc), peak RSS
# (VmHWM), LDAP searches per transaction (slapd's stats log), ratio to A.
#
# BENCH_TX (default 20000) transactions per row, BENCH_CONC (default 4).
# A and the warm-cache rows (B1, F) run BENCH_REPEAT (default 3) times,
# interleaved, and print their median: two cores shared with the driver
# make a single run vary by ±10 %.
# BENCH_COMPARE=/path/to/another/relaywarden adds its F rows (before/after
# a change, measured in the same run). BENCH_ONLY=F runs only the F rows;
# BENCH_F_CONC (default "1 2 4 8 16 32 64 100") their concurrencies.
set -euo pipefail
BUILD=${1:-build}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"
BUILD=$(cd "$BUILD" && pwd)
TX=${BENCH_TX:-20000}
CONC=${BENCH_CONC:-4}
REPEAT=${BENCH_REPEAT:-3}
# shellcheck source=../tests/lib/slapd.sh
. tests/lib/slapd.sh
# shellcheck source=lib.sh
. bench/lib.sh
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-bench.XXXXXX")
MPID=''
cleanup() {
	[ -n "$MPID" ] && kill -KILL "$MPID" 2>/dev/null
	slapd_stop >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT
CLK=$(getconf CLK_TCK)

lists_policy() { # FILE N: N destination domains and N client networks
	local n=$1
	{
		echo 'log_level = "info"; config_update_interval = 0;'
		echo 'local_domains = [ "acme.com" ];'
		echo 'relay = { deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ];'
		printf '  allow_to_domains = [ '
		for ((i = 0; i < n; i++)); do printf '"d%d.example", ' "$i"; done
		printf '"partner.example" ];\n  allow_from_hosts = [ '
		for ((i = 0; i < n; i++)); do printf '"10.%d.%d.0/24", ' $((i / 256 % 256)) $((i % 256)); done
		printf '"10.255.255.0/24" ]; };\n'
		echo "directory = { backend = \"file\"; file = \"$TOP/policies/directory.conf\"; };"
	} >"$2"
}

start_milter() { # PROGRAM ARGS... (socket last); sets MPID
	"$@" >>"$DIR/milter.log" 2>&1 &
	MPID=$!
	local sock=${*: -1} i
	for ((i = 0; i < 200; i++)); do
		[ -S "${sock#unix:}" ] && return 0
		sleep 0.05
	done
	echo "milter did not start: $*" >&2
	tail "$DIR/milter.log" >&2
	return 1
}

stop_milter() {
	kill -KILL "$MPID" 2>/dev/null || true
	wait "$MPID" 2>/dev/null || true
	MPID=''
	rm -f "$DIR/m.sock"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$MPID/stat"; }
hwm_mib() { awk '$1 == "VmHWM:" { printf "%.1f", $2 / 1024 }' "/proc/$MPID/status"; }
calc() { awk "BEGIN { print $1 }"; }
field() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

A_TPS=1
# row NAME MIX CONC [PEOPLE]: one mload run against the running milter.
row() {
	local name=$1 mix=$2 conc=$3 people=${4:-10000} c0 c1 s0 s1 out tps
	c0=$(cpu_ticks)
	s0=$(slapd_srch_count "" 2>/dev/null || echo 0)
	out=$("$BUILD/bench/mload" -s "unix:$DIR/m.sock" -c "$conc" -n "$TX" -m "$mix" -p "$people")
	c1=$(cpu_ticks)
	s1=$(slapd_srch_count "" 2>/dev/null || echo 0)
	tps=$(field tps "$out")
	[ "$name" = "A" ] && A_TPS=$tps
	printf '| %s | %s | %s | %s | %s | %s | %s | %.1f | %s | %.2f | %.2f |\n' "$name" "$conc" \
		"$tps" "$(field tx_p50_us "$out")" "$(field tx_p99_us "$out")" \
		"$(field mail_p50_us "$out")" "$(field mail_p99_us "$out")" \
		"$(calc "($c1 - $c0) * 1000000 / $CLK / $TX")" "$(hwm_mib)" \
		"$(calc "($s1 - $s0) / $TX")" "$(calc "$tps / $A_TPS")"
	if [ "$(field errors "$out")" != 0 ]; then echo "  (errors: $out)"; fi
}

header() {
	echo
	echo "| row | conc | tx/s | tx p50 µs | tx p99 µs | MAIL p50 µs | MAIL p99 µs | CPU µs/tx | peak RSS MiB | LDAP searches/tx | ratio to A |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
}

# median LINES...: the row with the median tx/s (4th '|' field), its ratio
# recomputed against A_TPS (the median A of the same repetitions).
median() {
	printf '%s\n' "$@" | grep '^|' | sort -t'|' -k4 -n | sed -n "$((($# + 1) / 2))p" |
		awk -F'|' -v a="$A_TPS" 'BEGIN { OFS = "|" } { $12 = sprintf(" %.2f ", $4 / a); print }'
}

# pair NAME CONC: A, then relaywarden (and BENCH_COMPARE), warm cache, each
# BENCH_REPEAT times interleaved; prints the median row of each.
pair() {
	local name=$1 c=$2 r a=() b=() x=()
	for ((r = 0; r < REPEAT; r++)); do
		start_milter "$BUILD/bench/null_milter" "unix:$DIR/m.sock"
		a+=("$(row A hit "$c")")
		stop_milter
		b+=("$(warm_row "$BUILD/relaywarden" "$name" "$c")")
		[ -z "${BENCH_COMPARE:-}" ] || x+=("$(warm_row "$BENCH_COMPARE" "$name (BENCH_COMPARE)" "$c")")
	done
	A_TPS=1
	A_TPS=$(median "${a[@]}" | awk -F'|' '{ print $4 + 0 }')
	median "${a[@]}"
	median "${b[@]}"
	[ -z "${BENCH_COMPARE:-}" ] || median "${x[@]}"
}

warm_row() { # BINARY NAME CONC
	start_milter "$1" -f -c "$DIR/warm.conf" -p "unix:$DIR/m.sock"
	"$BUILD/bench/mload" -s "unix:$DIR/m.sock" -c 1 -n 100 -m hit >/dev/null   # warm the cache
	row "$2" hit "$3"
	stop_milter
}

echo "# relaywarden benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk -F: '/model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ //')"
echo "# $TX transactions per row, concurrency $CONC unless shown; A, B1 and F rows: the median of $REPEAT interleaved runs; bench/run.sh"
bench_people 10000 >"$DIR/people.ldif"
slapd_start "$DIR/slapd" "$DIR/people.ldif" >/dev/null || exit 1
header

bench_ldap_policy "$DIR/warm.conf" 3600
bench_ldap_policy "$DIR/cold.conf" 0
rows_b_e() { # B2, B3 and E at CONC
	start_milter "$BUILD/relaywarden" -f -c "$DIR/cold.conf" -p "unix:$DIR/m.sock"
	row B2 miss "$CONC"
	stop_milter

	start_milter "$BUILD/relaywarden" -f -c "$DIR/warm.conf" -p "unix:$DIR/m.sock"
	row B3 p95 "$CONC"
	stop_milter

	for n in 10 1000 10000 100000; do
		lists_policy "$n" "$DIR/lists-$n.conf"
		start_milter "$BUILD/relaywarden" -f -c "$DIR/lists-$n.conf" -p "unix:$DIR/m.sock"
		row "E $n" relay "$CONC"
		stop_milter
	done
}
# B1's pair at CONC is also the F row at CONC (the same measurement:
# printed twice, measured once)
B1_ROWS=''
if [ "${BENCH_ONLY:-}" != F ]; then
	B1_ROWS=$(pair B1 "$CONC")
	echo "$B1_ROWS"
	A_TPS=$(awk -F'|' 'NR == 1 { print $4 + 0 }' <<<"$B1_ROWS")   # B2, B3, E: to this A
	rows_b_e
fi

for c in ${BENCH_F_CONC:-1 2 4 8 16 32 64 100}; do
	if [ -n "$B1_ROWS" ] && [ "$c" = "$CONC" ]; then
		echo "${B1_ROWS//| B1 /| F B1 }"
	else
		pair "F B1" "$c"
	fi
done

[ "${BENCH_ONLY:-}" != F ] || exit 0
echo
t0=$(date +%s%N)
"$BUILD/relaywarden" check -c "$DIR/lists-100000.conf" >/dev/null
t1=$(date +%s%N)
start_milter "$BUILD/relaywarden" -f -c "$DIR/lists-100000.conf" -p "unix:$DIR/m.sock"
echo "100 000-entry policy (100 001 domains + 100 001 networks): check in $(((t1 - t0) / 1000000)) ms, running RSS $(awk '$1 == "VmRSS:" { printf "%.1f", $2 / 1024 }' "/proc/$MPID/status") MiB"
stop_milter

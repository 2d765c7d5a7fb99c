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
#   P   one message per connection, as Postfix gives them (smtp-source opens
#       an SMTP session per message, and Postfix a milter connection per
#       session): unauthenticated mail to a local user (mload -m inbound
#       -k 1), so what a connection costs (accept, negotiation, the session
#       set up and freed) counts once per message, as end to end. P0 the
#       null milter -a (accepts at DATA: the floor of any milter), P1
#       relaywarden with the closed-relay example at log_level warn, P2 the
#       same at info; ratio to P0
#   R   the cost of a rate-limit check (issue 19), in a table of its own:
#       R0 as B1 (no rate_limits), R1 + a per-login and a per-client limit
#       that never trigger (rate_store memory), R2 the same limits in a
#       private redis-server; A beside them for the ratio column
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
# BENCH_ONLY=P runs only the P rows (BENCH_REPEAT rounds, the order
# rotated each round; BENCH_P_CONC, default 8, the sessions of bench/e2e.sh).
# BENCH_ONLY=R runs only the R rows (A, R0, R1, R2 in BENCH_REPEAT rounds,
# the order rotated each round).
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
	bench_redis_stop >/dev/null 2>&1 || true
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
ROW_FLAGS=()    # more mload flags for row (the P rows: -k 1)
# row NAME MIX CONC [PEOPLE]: one mload run against the running milter.
row() {
	local name=$1 mix=$2 conc=$3 people=${4:-10000} c0 c1 s0 s1 out tps
	c0=$(cpu_ticks)
	s0=$(slapd_srch_count "" 2>/dev/null || echo 0)
	out=$("$BUILD/bench/mload" -s "unix:$DIR/m.sock" -c "$conc" -n "$TX" -m "$mix" -p "$people" \
		"${ROW_FLAGS[@]}")
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
echo "# $TX transactions per row, concurrency $CONC unless shown; A, B1, F, P and R rows: the median of $REPEAT interleaved runs; bench/run.sh"
bench_people 10000 >"$DIR/people.ldif"
slapd_start "$DIR/slapd" "$DIR/people.ldif" >/dev/null || exit 1
case ${BENCH_ONLY:-} in R | P) ;; *) header ;; esac

bench_ldap_policy "$DIR/warm.conf" 3600
bench_ldap_policy "$DIR/cold.conf" 0

# ---- R: what a rate-limit check costs a transaction (issue 19) ----
# B1's setup (the slapd above, warm.conf, mix "hit": 10 logins, a client
# address per connection, one RCPT per transaction), with a metrics
# endpoint in every R policy (R0 too, so the only difference is the
# limits): its relaywarden_rate_checks_total shows each R1/R2 transaction
# was really checked, and nothing went over or found the store down.
# The limits are the highest the syntax allows, so none ever triggers.
r_policies() {
	R_MPORT=$(free_port)
	{ cat "$DIR/warm.conf"; echo "metrics = { listen = \"127.0.0.1:$R_MPORT\"; };"; } >"$DIR/r0.conf"
	{ cat "$DIR/r0.conf"; cat <<CONF; } >"$DIR/r1.conf"
rate_limits = (
  { name = "per-login"; key = "login"; messages = 100000000; recipients = 100000000; per = 3600; },
  { name = "per-client"; key = "client"; messages = 100000000; per = 3600; }
);
CONF
	{ cat "$DIR/r1.conf"; echo "rate_store = { backend = \"redis\"; uris = [ \"redis://127.0.0.1:$REDIS_PORT/0\" ]; };"; } >"$DIR/r2.conf"
}

# "OK BAD": rate checks answered ok, and over + unavailable, so far
r_checks() {
	curl -sf "http://127.0.0.1:$R_MPORT/metrics" | awk '
		/^relaywarden_rate_checks_total/ { if ($0 ~ /result="ok"/) ok += $NF; else bad += $NF }
		END { printf "%d %d\n", ok, bad }'
}
r_metrics_up() { curl -sf "http://127.0.0.1:$R_MPORT/metrics" >/dev/null; }
redis_ticks() { awk '{ print $14 + $15 }' "/proc/$REDIS_PID/stat"; }

# r_calls BEFORE AFTER (bench_redis_calls outputs): "EVALSHA EVAL INNER USEC LIST"
# per transaction: the milter's round trips (EVALSHA; EVAL after NOSCRIPT),
# every other command (the script's own calls), the µs Redis spent executing
# one EVALSHA (the script, its calls included: INFO's usec of EVALSHA), and
# each command's count (name=calls/tx,...)
r_calls() {
	awk -v tx="$TX" 'NR == FNR { b[$1] = $2; bu[$1] = $3; next }
		{ d = ($2 - b[$1]) / tx; if (d == 0) next
		  if ($1 == "evalsha") { ev = d; us = ($3 - bu[$1]) / ($2 - b[$1]) }
		  else if ($1 == "eval") e = d; else inner += d
		  list = list sprintf("%s%s=%.3f", list == "" ? "" : ",", $1, d) }
		END { printf "%s %s %s %.1f %s\n", ev + 0, e + 0, inner + 0, us, list == "" ? "-" : list }' \
		<(printf '%s\n' "$1") <(printf '%s\n' "$2")
}

# r_row NAME: one measured run; prints one record
#   NAME tps p50 p99 mail_p50 mail_p99 cpu_us rss ldap checks bad evalsha eval inner
#   redis_cpu_us continue errors evalsha_usec redis_commands
# (per transaction where it is a count; "-" where it does not apply)
r_row() {
	local name=$1 c0 c1 s0 s1 k0 k1 q0 rt0 out checks=- bad=- ev=- e=- inner=- us=- list=- rcpu=-
	case $name in
	A) start_milter "$BUILD/bench/null_milter" "unix:$DIR/m.sock" ;;
	*)
		# each R2 round starts from an empty store, as R1's new process does
		[ "$name" != R2 ] || redis-cli -p "$REDIS_PORT" flushall >/dev/null
		start_milter "$BUILD/relaywarden" -f -c "$DIR/$(tr R r <<<"$name").conf" -p "unix:$DIR/m.sock"
		wait_for 30 r_metrics_up || { echo "no metrics endpoint on $R_MPORT" >&2; return 1; }
		"$BUILD/bench/mload" -s "unix:$DIR/m.sock" -c 1 -n 100 -m hit >/dev/null   # warm the cache
		;;
	esac
	[ "$name" = A ] || read -r k0 _ < <(r_checks)
	[ "$name" != R2 ] || { q0=$(bench_redis_calls); rt0=$(redis_ticks); }
	c0=$(cpu_ticks)
	s0=$(slapd_srch_count "" 2>/dev/null || echo 0)
	out=$("$BUILD/bench/mload" -s "unix:$DIR/m.sock" -c "$CONC" -n "$TX" -m hit -p 10000) || true
	c1=$(cpu_ticks)
	s1=$(slapd_srch_count "" 2>/dev/null || echo 0)
	if [ "$name" = R2 ]; then
		rcpu=$(calc "($(redis_ticks) - $rt0) * 1000000 / $CLK / $TX")
		read -r ev e inner us list < <(r_calls "$q0" "$(bench_redis_calls)")
	fi
	if [ "$name" != A ]; then
		read -r k1 bad < <(r_checks)
		checks=$(calc "($k1 - $k0) / $TX")
	fi
	echo "$name $(field tps "$out") $(field tx_p50_us "$out") $(field tx_p99_us "$out")" \
		"$(field mail_p50_us "$out") $(field mail_p99_us "$out")" \
		"$(calc "($c1 - $c0) * 1000000 / $CLK / $TX")" "$(hwm_mib)" \
		"$(calc "($s1 - $s0) / $TX")" "$checks" "$bad" "$ev" "$e" "$inner" "$rcpu" \
		"$(field continue "$out")" "$(field errors "$out")" "$us" "$list"
	stop_milter
}

rows_r() {
	local r k order=(A R0 R1 R2) recs=()
	bench_redis_start "$DIR/redis" >/dev/null || return 1
	r_policies
	for ((r = 0; r < REPEAT; r++)); do
		# rotated each round: no row always runs first, or right after A
		for k in $(rot "$r" "${order[@]}"); do recs+=("$r $(r_row "$k")"); done
	done
	bench_redis_stop
	echo
	echo "Rate limits (issue 19): median of $REPEAT interleaved rounds per column; ratio to A = median tx/s over A's median;"
	echo "ratio to R0 and the added µs = the median of each round's R - R0 (paired in the round); CPU = the milter's;"
	echo "rate checks/tx from relaywarden_rate_checks_total{result=\"ok\"}; Redis columns from INFO commandstats and /proc."
	echo
	echo "| row | conc | tx/s | tx p50 µs | tx p99 µs | MAIL p50 µs | MAIL p99 µs | CPU µs/tx | peak RSS MiB | LDAP searches/tx | ratio to A | ratio to R0 | + tx p50 µs vs R0 | + CPU µs/tx vs R0 | rate checks/tx | Redis EVALSHA/tx | Redis EVAL/tx | Redis commands in the script/tx | EVALSHA µs inside Redis | Redis CPU µs/tx |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	# record fields: 1 round, 2 row, 3 tps, 4 p50, 5 p99, 6 MAIL p50, 7 MAIL p99,
	# 8 CPU, 9 RSS, 10 LDAP, 11 checks, 12 bad, 13 EVALSHA, 14 EVAL, 15 inner,
	# 16 Redis CPU, 17 continue, 18 errors, 19 EVALSHA µs in Redis, 20 Redis commands
	printf '%s\n' "${recs[@]}" | awk -v conc="$CONC" -v tx="$TX" '
		function med(list,   n, a, i, j, t) {   # the median (lower middle) of a space-separated list
			n = split(list, a, " ")
			for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
			return a[int((n + 1) / 2)]
		}
		function num(x, f) { return x == "-" ? "-" : sprintf(f, x) }
		{ r = $1; n = $2; for (f = 3; f <= 19; f++) v[n, f, r] = $f; rounds[r] = 1
		  if ($17 != tx || $18 != 0) warn = warn sprintf("  (round %d %s: continue=%s of %d, errors=%s)\n", r, n, $17, tx, $18)
		  if ($12 != "-" && $12 != 0) warn = warn sprintf("  (round %d %s: %s rate checks over a limit or unavailable)\n", r, n, $12)
		  # mload sends one RCPT per transaction: the contract is one EVALSHA per RCPT
		  if (n == "R2" && ($13 != 1 || $14 != 0)) warn = warn sprintf("  (round %d R2: %s EVALSHA and %s EVAL per RCPT, not 1 and 0)\n", r, $13, $14) }
		END {
			split("A R0 R1 R2", names, " ")
			for (k = 1; k <= 4; k++) for (f = 3; f <= 19; f++) {
				l = ""; for (r in rounds) l = l " " v[names[k], f, r]; m[names[k], f] = med(l)
			}
			for (k = 1; k <= 4; k++) {
				n = names[k]; rt = "-"; dp = "-"; dc = "-"
				if (n == "R1" || n == "R2") {
					lr = ""; lp = ""; lc = ""
					for (r in rounds) {
						lr = lr " " v[n, 3, r] / v["R0", 3, r]
						lp = lp " " v[n, 4, r] - v["R0", 4, r]
						lc = lc " " v[n, 8, r] - v["R0", 8, r]
					}
					rt = sprintf("%.3f", med(lr)); dp = sprintf("%+d", med(lp)); dc = sprintf("%+.1f", med(lc))
				} else if (n == "R0") rt = "1.000"
				printf "| %s | %s | %s | %s | %s | %s | %s | %.1f | %s | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				    n, conc, m[n, 3], m[n, 4], m[n, 5], m[n, 6], m[n, 7], m[n, 8], m[n, 9], m[n, 10],
				    m[n, 3] / m["A", 3], rt, dp, dc, num(m[n, 11], "%.4f"), num(m[n, 13], "%.4f"),
				    num(m[n, 14], "%.4f"), num(m[n, 15], "%.3f"), num(m[n, 19], "%.1f"), num(m[n, 16], "%.1f")
			}
			printf "%s", warn
		}'
	echo
	echo "R rounds as measured (round row tx/s p50 p99 MAILp50 MAILp99 CPUµs RSS LDAP/tx checks/tx over+unavailable EVALSHA/tx EVAL/tx script-commands/tx RedisCPUµs continue errors EVALSHAµs-in-Redis Redis-commands/tx):"
	printf '    %s\n' "${recs[@]}"
}

if [ "${BENCH_ONLY:-}" = R ]; then
	rows_r
	exit 0
fi

# P: one message per connection (see the top), the order rotated each round.
p_row() { # KEY
	case $1 in
	P0) start_milter "$BUILD/bench/null_milter" -a "unix:$DIR/m.sock"
		row "P0 null milter -a (accepts at DATA), 1 message per connection" inbound "$P_CONC" ;;
	P1) start_milter "$BUILD/relaywarden" -f -c "$DIR/inbound-warn.conf" -p "unix:$DIR/m.sock"
		row "P1 relaywarden, closed relay, warn, 1 message per connection" inbound "$P_CONC" ;;
	P2) start_milter "$BUILD/relaywarden" -f -c "$DIR/inbound-info.conf" -p "unix:$DIR/m.sock"
		row "P2 relaywarden, closed relay, info, 1 message per connection" inbound "$P_CONC" ;;
	PX) start_milter "$BENCH_COMPARE" -f -c "$DIR/inbound-warn.conf" -p "unix:$DIR/m.sock"
		row "P1 (BENCH_COMPARE), 1 message per connection" inbound "$P_CONC" ;;
	esac
	stop_milter
}
rows_p() {
	local r k order=(P0 P1 P2) p0=() p1=() p2=() px=() line
	[ -z "${BENCH_COMPARE:-}" ] || order+=(PX)
	P_CONC=${BENCH_P_CONC:-8}
	bench_inbound_policy "$DIR/inbound-warn.conf" warn
	bench_inbound_policy "$DIR/inbound-info.conf" info
	ROW_FLAGS=(-k 1)
	for ((r = 0; r < REPEAT; r++)); do
		for k in $(rot "$r" "${order[@]}"); do
			line=$(p_row "$k")
			case $k in P0) p0+=("$line") ;; P1) p1+=("$line") ;; P2) p2+=("$line") ;;
			PX) px+=("$line") ;; esac
		done
	done
	ROW_FLAGS=()
	A_TPS=1
	A_TPS=$(median "${p0[@]}" | awk -F'|' '{ print $4 + 0 }')
	echo
	echo "P rows: one message per connection, unauthenticated to a local user; median of $REPEAT rotated rounds; the ratio column is to P0"
	header
	median "${p0[@]}"
	median "${p1[@]}"
	median "${p2[@]}"
	[ -z "${BENCH_COMPARE:-}" ] || median "${px[@]}"
}
if [ "${BENCH_ONLY:-}" = P ]; then
	rows_p
	exit 0
fi

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
rows_p
echo
t0=$(date +%s%N)
"$BUILD/relaywarden" check -c "$DIR/lists-100000.conf" >/dev/null
t1=$(date +%s%N)
start_milter "$BUILD/relaywarden" -f -c "$DIR/lists-100000.conf" -p "unix:$DIR/m.sock"
echo "100 000-entry policy (100 001 domains + 100 001 networks): check in $(((t1 - t0) / 1000000)) ms, running RSS $(awk '$1 == "VmRSS:" { printf "%.1f", $2 / 1024 }' "/proc/$MPID/status") MiB"
stop_milter

rows_r

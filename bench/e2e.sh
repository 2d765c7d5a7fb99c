#!/usr/bin/env bash
# bench/e2e.sh BUILD - end to end through a private Postfix (and the private
# Sendmail) to smtp-sink, messages/s side by side, all in one run, for an
# inet: and a unix: milter socket:
#
#   unauthenticated, smtp-source (local recipient, closed relay, file directory)
#     D  no milter          A  the null milter (bench/null_milter.c, as ever:
#                              no DATA callback)      B  relaywarden
#     A+ACCEPT  the null milter -a: accepts every message at DATA, so the MTA
#        sends it nothing more; the floor of any milter that sees the envelope
#   authenticated, bench/smtpload (AUTH PLAIN, external recipient, MAIL FROM
#   and From: the login's own address, one LDAP directory: a private slapd)
#     D  no milter          A  the null milter
#     B  relaywarden: verify_sender envelope + headers against slapd (cached)
#   B rows twice through Postfix: log_level info (the default; the "message
#   received" line needs the headers and the body) and warn (as issue 15
#   measured: only what the checks need)
#     C  no milter; Postfix's own reject_authenticated_sender_login_mismatch
#        with smtpd_sender_login_maps = ldap: (one search per MAIL, no cache)
#   single session (smtp-source -s 1): per-message latency, D A A+DATA B
#   Sendmail 8.17: unauthenticated D A B, throughput and single-session latency
#
# Every row runs BENCH_ROUNDS (default 3) times, the rounds interleaved (each
# round runs every row once, in an order rotated from round to round), and
# prints the median with the rounds' values: the machine is shared, one run
# varies. BENCH_COMPARE=/path/to/relaywarden
# adds its B rows ("B before") to every table, measured in the same rounds.
# BENCH_MSGS (default 1000) messages per throughput row, BENCH_SESSIONS
# (default 8) parallel, BENCH_LAT_MSGS (default 20) for the latency rows,
# BENCH_SM_MSGS (default 100) per Sendmail throughput row; BENCH_SENDMAIL=0
# leaves Sendmail out; BENCH_TIMES=1 prints each row's wall time and its CPU time per
# message (Postfix, the milters, slapd) to stderr.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MSGS=${BENCH_MSGS:-1000}
SESS=${BENCH_SESSIONS:-8}
ROUNDS=${BENCH_ROUNDS:-3}
LAT=${BENCH_LAT_MSGS:-20}
SM_MSGS=${BENCH_SM_MSGS:-100}
# shellcheck source=../tests/e2e/lib/sink.sh
. "$TOP/tests/e2e/lib/sink.sh"
# shellcheck source=../tests/e2e/lib/postfix.sh
. "$TOP/tests/e2e/lib/postfix.sh"
# shellcheck source=../tests/e2e/lib/sendmail.sh
. "$TOP/tests/e2e/lib/sendmail.sh"
# shellcheck source=../tests/lib/slapd.sh
. "$TOP/tests/lib/slapd.sh"
# shellcheck source=lib.sh
. "$TOP/bench/lib.sh"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-bench-e2e.XXXXXX")
chmod 755 "$DIR"
# Sendmail refuses a milter socket below a world-writable directory (/tmp)
SOCKDIR=$(mktemp -d /run/rw-bench-e2e.XXXXXX)
chmod 755 "$SOCKDIR"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	pf_stop
	sm_stop
	sink_stop
	slapd_stop >/dev/null 2>&1 || true
	rm -rf "$DIR" "$SOCKDIR"
}
trap cleanup EXIT
sink_start "$DIR" >/dev/null

# ---- the milters: all started once, each on an inet and a unix socket ----
declare -A SPEC LISTEN   # KEY-inet / KEY-unix -> Postfix's smtpd_milters value, the listener
start_milter() { # KEY PROGRAM ARGS...: ARGS end with the -p or socket flag's value slot
	local key=$1 sock port
	shift
	for sock in inet unix; do
		if [ "$sock" = inet ]; then
			port=$(e2e_free_port)
			LISTEN[$key-inet]="inet:$port@127.0.0.1" SPEC[$key-inet]="inet:127.0.0.1:$port"
		else
			LISTEN[$key-unix]="unix:$SOCKDIR/$key.sock" SPEC[$key-unix]="unix:$SOCKDIR/$key.sock"
		fi
		"$@" "${LISTEN[$key-$sock]}" >>"$DIR/milter-$key.log" 2>&1 &
		PIDS+=($!)
		if [ "$sock" = inet ]; then
			e2e_wait_port "$port" 50
		else
			wait_for 30 test -S "$SOCKDIR/$key.sock"
			chmod 666 "$SOCKDIR/$key.sock"
		fi
	done
}

bench_people 1000 >"$DIR/people.ldif"
slapd_start "$DIR/slapd" "$DIR/people.ldif" >/dev/null
bench_ldap_policy "$DIR/verify.conf" 3600
bench_inbound_policy "$DIR/policy.conf" info
cat >"$DIR/login-map.cf" <<CF
server_host = $SLAPD_URI
version = 3
search_base = dc=acme,dc=com
query_filter = (&(objectClass=inetOrgPerson)(mail=%s))
result_attribute = uid
CF
chmod 644 "$DIR/login-map.cf"
# the same policies at log_level warn (as issue 15 measured): no "message
# received" line, so no headers (unauthenticated) and no body to ask for
bench_inbound_policy "$DIR/policy-warn.conf" warn
sed 's/^log_level = .*/log_level = "warn";/' "$DIR/verify.conf" >"$DIR/verify-warn.conf"
grep -q '^log_level = "warn";' "$DIR/verify-warn.conf"

start_milter null "$BUILD/bench/null_milter"
start_milter nulldata "$BUILD/bench/null_milter" -d
start_milter nullacc "$BUILD/bench/null_milter" -a
start_milter rw "$BUILD/relaywarden" -f -c "$DIR/policy.conf" -p
start_milter rwauth "$BUILD/relaywarden" -f -c "$DIR/verify.conf" -p
start_milter rwwarn "$BUILD/relaywarden" -f -c "$DIR/policy-warn.conf" -p
start_milter rwauthwarn "$BUILD/relaywarden" -f -c "$DIR/verify-warn.conf" -p
if [ -n "${BENCH_COMPARE:-}" ]; then
	start_milter old "$BENCH_COMPARE" -f -c "$DIR/policy.conf" -p
	start_milter oldauth "$BENCH_COMPARE" -f -c "$DIR/verify.conf" -p
fi

# ---- one private Postfix for every row: a listener per milter socket ----
# (smtpd -o smtpd_milters=...), plus D (none) and C (Postfix's own check)
declare -A PORT
PF_LISTENERS=''
listener() { # KEY -o OPTIONS...
	local key=$1
	shift
	PORT[$key]=$(e2e_free_port)
	PF_LISTENERS+="127.0.0.1:${PORT[$key]} inet n - n - - smtpd $*"$'\n'
}
listener none -o smtpd_milters=
listener C -o smtpd_milters= -o smtpd_sender_login_maps=ldap:$DIR/login-map.cf \
	-o smtpd_sender_restrictions=reject_authenticated_sender_login_mismatch
for key in "${!SPEC[@]}"; do listener "$key" -o "smtpd_milters=${SPEC[$key]}"; done
eval "$(declare -f _pf_master_cf | sed '1s/_pf_master_cf/_pf_master_cf_one/')"
_pf_master_cf() { _pf_master_cf_one "$@"; printf '%s' "$PF_LISTENERS"; }
pf_start "$DIR/pf" "" "$SINK_PORT" >/dev/null
pf_user u00001 bench-secret
for key in "${!PORT[@]}"; do e2e_wait_port "${PORT[$key]}"; done

# ---- one measurement each; results collected per row name ----
declare -A RES          # row key -> "v1 v2 ..." (messages/s, or ms per message)
declare -a ORDER=()
T_LAST=$(date +%s%N)
note() { # KEY VALUE
	local now
	now=$(date +%s%N)
	[ -z "${BENCH_TIMES:-}" ] || echo "  ($1: $(((now - T_LAST) / 1000000)) ms)" >&2
	T_LAST=$now
	[ -n "${RES[$1]+x}" ] || ORDER+=("$1")
	RES[$1]="${RES[$1]:-} $2"
}
rate() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.0f", n / (ns / 1e9) }'; }
per_msg_ms() { awk -v n="$1" -v ns="$2" 'BEGIN { printf "%.1f", ns / 1e6 / n }'; }
SLUG=0

# tree_ticks PID...: utime+stime of those processes and all their
# descendants, reaped children included (clock ticks)
tree_ticks() {
	local p kids t=0
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$p/stat")))
		kids=$(cat /proc/"$p"/task/*/children 2>/dev/null || true)
		# shellcheck disable=SC2086
		[ -z "$kids" ] || t=$((t + $(tree_ticks $kids)))
	done
	echo "$t"
}
CLK=$(getconf CLK_TCK)
# cpu_mark / cpu_note KEY N: with BENCH_TIMES, the CPU time per message of
# Postfix (every process), the milters and slapd during the row, on stderr
cpu_all() { echo "$(tree_ticks "$PF_MASTER_PID") $(tree_ticks "${PIDS[@]}") $(tree_ticks "$SLAPD_PID")"; }
cpu_mark() { [ -z "${BENCH_TIMES:-}" ] || C0=$(cpu_all); }
cpu_note() {
	[ -z "${BENCH_TIMES:-}" ] && return 0
	echo "  ($1: CPU ms per message: $(awk -v a="$C0" -v b="$(cpu_all)" -v n="$2" -v hz="$CLK" \
		'BEGIN { split(a, x, " "); split(b, y, " "); t = 0
			for (i = 1; i <= 3; i++) { d[i] = (y[i] - x[i]) * 1000 / hz / n; t += d[i] }
			printf "Postfix %.2f, milters %.2f, slapd %.2f, total %.2f", d[1], d[2], d[3], t }'))" >&2
}

# The sink keeps every message as a file, and counting the complete ones
# (tests/e2e/lib/sink.sh) walks them all in the shell: by the end of a run
# tens of thousands, each poll of sink_wait taking CPU from the MTA and the
# milters being measured, more with every row (the rates sank round after
# round). So each row starts on an empty sink (the last row's messages all
# arrived: it waited for them), and waits by a cheap count of the files
# before the full check.
sink_clear() { find "$SINK_DIR" -type f -delete; }
_sink_listed() { [ "$(find "$SINK_DIR" -type f | wc -l)" -ge "$1" ]; }
row_wait() { # N SECONDS: N complete messages since sink_clear
	wait_for "$2" _sink_listed "$1" && sink_wait "$1" "$2"
}

# postfix_run KEY LISTENER N SESSIONS [per]: smtp-source to that listener
postfix_run() {
	local key=$1 port=${PORT[$2]} n=$3 s=$4 t0 t1
	sink_clear
	cpu_mark
	t0=$(date +%s%N)
	smtp-source -c -s "$s" -m "$n" -l 2000 -f bench@example.org -t jd@acme.com \
		"127.0.0.1:$port" >/dev/null
	row_wait "$n" 300 || echo "  ($key: only $(sink_count) delivered)" >&2
	t1=$(date +%s%N)
	cpu_note "$key" "$n"
	if [ "${5:-}" = per ]; then note "$key" "$(per_msg_ms "$n" $((t1 - t0)))"
	else note "$key" "$(rate "$n" $((t1 - t0)))"; fi
}

postfix_auth_run() { # KEY LISTENER [spoof]
	local key=$1 port=${PORT[$2]} t0 t1 out ok
	sink_clear
	cpu_mark
	t0=$(date +%s%N)
	out=$("$BUILD/bench/smtpload" -s "$port" -c "$SESS" -n "$MSGS" \
		-a u00001:bench-secret -f u00001@acme.com -t partner@example.org) ||
		echo "  ($key: $out)" >&2
	# wait for what Postfix accepted, not for messages it refused (a row
	# whose every message was refused must not wait 300 s for the sink)
	ok=$(sed -n 's/.* delivered=\([0-9]*\).*/\1/p' <<<"$out")
	[ "${ok:-0}" = "$MSGS" ] || echo "  ($key: accepted ${ok:-0} of $MSGS: $out)" >&2
	row_wait "${ok:-0}" 300 || echo "  ($key: only $(sink_count) delivered)" >&2
	t1=$(date +%s%N)
	cpu_note "$key" "$MSGS"
	# the check measured must be on: a spoofed sender is refused (B, C)
	if [ "${3:-}" = spoof ] && "$BUILD/bench/smtpload" -s "$port" -c 1 -n 1 \
		-a u00001:bench-secret -f u00002@acme.com -t partner@example.org >/dev/null 2>&1; then
		echo "  ($key: a spoofed sender was NOT refused)" >&2
	fi
	note "$key" "$(rate "$MSGS" $((t1 - t0)))"
}

# sendmail_rows KEY MILTER-SPEC: a fresh private Sendmail with that milter
# (its milter list is global), SM_MSGS messages at SESS sessions, then LAT
# messages in one session
sendmail_rows() {
	local key=$1 t0 t1
	SLUG=$((SLUG + 1))
	SM_FILTER_SPEC=$2
	E2E_TOP=$TOP sm_start "$DIR/sm-$SLUG" "" "$SINK_PORT" >/dev/null
	sink_clear
	t0=$(date +%s%N)
	smtp-source -c -s "$SESS" -m "$SM_MSGS" -l 2000 -f bench@example.org -t jd@acme.com \
		"127.0.0.1:$SM_PORT" >/dev/null
	row_wait "$SM_MSGS" 300 || echo "  ($key: only $(sink_count) delivered)" >&2
	t1=$(date +%s%N)
	note "sm|unauth|$key" "$(rate "$SM_MSGS" $((t1 - t0)))"
	sink_clear
	t0=$(date +%s%N)
	smtp-source -c -s 1 -m "$LAT" -l 2000 -f bench@example.org -t jd@acme.com \
		"127.0.0.1:$SM_PORT" >/dev/null
	row_wait "$LAT" 300 || echo "  ($key: only $(sink_count) delivered)" >&2
	t1=$(date +%s%N)
	note "lat|sm|$key" "$(per_msg_ms "$LAT" $((t1 - t0)))"
	sm_stop
	rm -rf "$DIR/sm-$SLUG"
}

# README's INPUT_MAIL_FILTER line, its S= the row's socket (replaces
# sendmail.sh's, which knows inet: only)
SM_FILTER_SPEC=''
sm_readme_filter() {
	[ -n "$SM_FILTER_SPEC" ] || { echo 'dnl no milter'; return; }
	local spec=${SM_FILTER_SPEC/inet:127.0.0.1:/inet:}
	sed -n '/^INPUT_MAIL_FILTER(/p' "$TOP/README.md" | head -n 1 |
		sed -E "s#S=[^,']*#S=$spec#; s#S=inet:([0-9]+)#S=inet:\\1@127.0.0.1#"
}

# round N: the rows of one round; "B before" only with BENCH_COMPARE. The
# order of the sockets and of the milters within each is rotated from round
# to round, so that no row always runs first or right after the same one
# (the host's load drifts within a round too).
round() {
	local r=$1 sock k
	local -a bs=(rw rwwarn) bauth=(rwauth rwauthwarn) bsm=(rw)
	[ -z "${BENCH_COMPARE:-}" ] || { bs+=(old); bauth+=(oldauth); bsm+=(old); }
	postfix_run "pf|unauth|-|D no milter" none "$MSGS" "$SESS"
	postfix_auth_run "pf|auth|-|D no milter" none
	postfix_auth_run "pf|auth|-|C Postfix sender_login_maps (ldap:), no milter" C spoof
	postfix_run "lat|pf|-|D no milter" none "$LAT" 1 per
	for sock in $(rot "$r" inet unix); do
		for k in $(rot "$r" null nullacc "${bs[@]}"); do
			postfix_run "pf|unauth|$sock|$(label "$k")" "$k-$sock" "$MSGS" "$SESS"
		done
		for k in $(rot "$r" null nullacc "${bauth[@]}"); do
			case $k in null | nullacc) postfix_auth_run "pf|auth|$sock|$(label "$k")" "$k-$sock" ;;
			*) postfix_auth_run "pf|auth|$sock|$(label "$k") (verify_sender, LDAP)" "$k-$sock" spoof ;;
			esac
		done
		for k in $(rot "$r" null nulldata "${bs[@]}"); do
			postfix_run "lat|pf|$sock|$(label "$k")" "$k-$sock" "$LAT" 1 per
		done
	done
	[ "${BENCH_SENDMAIL:-1}" = 1 ] || return 0
	sendmail_rows "-|D no milter" ""
	for sock in inet unix; do
		for k in null "${bsm[@]}"; do
			sendmail_rows "$sock|$(label "$k")" "${SPEC[$k-$sock]}"
		done
	done
}

label() {
	case $1 in
	null) echo "A null milter" ;;
	nulldata) echo "A+DATA null milter -d (a DATA callback)" ;;
	nullacc) echo "A+ACCEPT null milter -a (accepts at DATA: the least a milter can cost)" ;;
	rw | rwauth) echo "B relaywarden" ;;
	rwwarn | rwauthwarn) echo "B relaywarden, log_level warn" ;;
	old | oldauth) echo "B before (BENCH_COMPARE)" ;;
	esac
}

# Warm-up, not measured: every listener's smtpd processes spawned and each
# milter past its first connections, so that round 1's first rows (D comes
# first) do not pay for starting what later rows find running.
warmup() {
	local key
	for key in "${!PORT[@]}"; do
		sink_clear
		smtp-source -c -s "$SESS" -m $((SESS * 4)) -l 2000 -f bench@example.org -t jd@acme.com \
			"127.0.0.1:${PORT[$key]}" >/dev/null
		row_wait $((SESS * 4)) 300 || echo "  (warm-up $key: not all delivered)" >&2
	done
}
warmup
for ((r = 0; r < ROUNDS; r++)); do round "$r"; done

# ---- tables: median of the rounds, ratio to D (and to C) of the same table ----
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
vals() { sed 's/^ //; s/ / \/ /g' <<<"$1"; }

table() { # PREFIX TITLE UNIT [ratio-to-C]
	local prefix=$1 key d c m name sock
	echo
	echo "| $2 | socket | $3 (median) | rounds | ratio to D |$([ -n "${4:-}" ] && echo ' ratio to C |')"
	echo "|---|---|---|---|---|$([ -n "${4:-}" ] && echo '---|')"
	d=$(median "${RES[$prefix|-|D no milter]}")
	c=''
	[ -z "${4:-}" ] || c=$(median "${RES[$prefix|-|C Postfix sender_login_maps (ldap:), no milter]}")
	for key in "${ORDER[@]}"; do
		[[ $key == "$prefix|"* ]] || continue
		m=$(median "${RES[$key]}")
		sock=${key#"$prefix|"}; name=${sock#*|}; sock=${sock%%|*}
		printf '| %s | %s | %s | %s | %s |' "$name" "$sock" "$m" "$(vals "${RES[$key]}")" \
			"$(awk -v a="$m" -v b="$d" -v lat="$3" 'BEGIN { printf "%.2f", lat ~ /ms/ ? b / a : a / b }')"
		[ -z "$c" ] || printf ' %.2f |' "$(awk -v a="$m" -v b="$c" 'BEGIN { print a / b }')"
		echo
	done
}

echo "# bench/e2e.sh, $(date -u +%Y-%m-%dT%H:%MZ): $MSGS messages per row ($SM_MSGS through Sendmail), $SESS sessions, median of $ROUNDS interleaved rounds"
table "pf|unauth" "Postfix, unauthenticated (smtp-source)" "messages/s"
table "pf|auth" "Postfix, SMTP AUTH (bench/smtpload)" "messages/s" c
table "lat|pf" "Postfix, one session, $LAT messages" "ms per message"
if [ "${BENCH_SENDMAIL:-1}" = 1 ]; then
	table "sm|unauth" "Sendmail, unauthenticated (smtp-source)" "messages/s"
	table "lat|sm" "Sendmail, one session, $LAT messages" "ms per message"
fi
echo
echo "(latency rows: ratio to D is D's time / the row's time, so 1.00 is no added latency)"

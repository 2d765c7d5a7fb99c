#!/usr/bin/env bash
# bench/stall.sh BUILD WHICH [inet|unix] - 20 messages through a private
# Postfix to smtp-sink, one SMTP session at a time, one milter attached:
# the time per message, and over inet: the milter connection captured
# (tcpdump -i lo -n -ttt) with the count of gaps of 30 ms or more between
# two packets (not counting new connections) and the first three of them:
# the delayed-ACK stall of bench/STALL.md. unix: sockets cannot be captured
# this way; there only the time per message is printed.
#   WHICH: null (bench/null_milter as in `make bench` row A), null-data (the
#   same with a DATA callback), relaywarden (the closed-relay example), or a
#   path to another relaywarden binary. STALL_POLICY: more policy text
#   (e.g. 'verify_sender = { headers = false; };'), STALL_LOG its log_level
#   (default warn), STALL_MTA=sendmail the private Sendmail instead of
#   Postfix, STALL_SHOW=1 prints the first message's packets, STALL_BODY
#   the body size (2000). STALL_STRACE=DIR: strace -f -tt -T the MTA's
#   processes (DIR/mta.st) and the milter (DIR/milter.st) during the run,
#   and print the time per message the MTA waited for milter replies
#   (bench/strace-waits.awk; bench/STALL.md, "unix: sockets").
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
WHICH=${2:-null}
SOCK=${3:-inet}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../tests/e2e/lib/sink.sh
. "$TOP/tests/e2e/lib/sink.sh"
# shellcheck source=../tests/e2e/lib/postfix.sh
. "$TOP/tests/e2e/lib/postfix.sh"
# shellcheck source=../tests/e2e/lib/sendmail.sh
. "$TOP/tests/e2e/lib/sendmail.sh"
MTA=${STALL_MTA:-postfix}
# without it the capture below would wait 30 s for nothing (`make bench-deps` installs it)
if [ "$SOCK" = inet ] && [ "$WHICH" != none ] && ! command -v tcpdump >/dev/null; then
	echo "bench/stall.sh: tcpdump is not installed (make bench-deps)" >&2
	exit 1
fi
[ -z "${STALL_STRACE:-}" ] || command -v strace >/dev/null ||
	{ echo "bench/stall.sh: STALL_STRACE needs strace" >&2; exit 1; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-stall.XXXXXX")
chmod 755 "$DIR"
MPID='' TPID='' SOCKDIR=''
cleanup() {
	[ -z "$TPID" ] || kill "$TPID" 2>/dev/null || true
	[ -z "$MPID" ] || { kill -KILL "$MPID" 2>/dev/null; wait "$MPID" 2>/dev/null; } || true
	pf_stop
	sm_stop
	sink_stop
	[ -n "${STALL_LOG:-}" ] && grep -h negotiate "$DIR/m.log" | sed "s/.*NOQUEUE: //" | sort -u
	rm -rf "$DIR" ${SOCKDIR:+"$SOCKDIR"}
}
trap cleanup EXIT
sink_start "$DIR" >/dev/null
MPORT=$(e2e_free_port)
if [ "$SOCK" = inet ]; then
	LISTEN="inet:$MPORT@127.0.0.1" SPEC="inet:127.0.0.1:$MPORT"
else
	# Sendmail refuses a socket below a world-writable directory (/tmp)
	SOCKDIR=$(mktemp -d /run/rw-stall.XXXXXX)
	chmod 755 "$SOCKDIR"
	LISTEN="unix:$SOCKDIR/m.sock" SPEC="unix:$SOCKDIR/m.sock"
fi
sed "s#\"../directory.conf\"#\"$TOP/policies/directory.conf\"#" \
	"$TOP/policies/examples/closed-relay.conf" | sed '/^milter = /d' >"$DIR/policy.conf"
echo "log_level = \"${STALL_LOG:-warn}\"; ${STALL_POLICY:-}" >>"$DIR/policy.conf"
case $WHICH in
none) SPEC='' ;;
null) "$BUILD/bench/null_milter" ${NULL_ARGS:-} "$LISTEN" >"$DIR/m.log" 2>&1 & ;;
null-data) "$BUILD/bench/null_milter" -d "$LISTEN" >"$DIR/m.log" 2>&1 & ;;
relaywarden) "$BUILD/relaywarden" -f -c "$DIR/policy.conf" -p "$LISTEN" >"$DIR/m.log" 2>&1 & ;;
*) "$WHICH" -f -c "$DIR/policy.conf" -p "$LISTEN" >"$DIR/m.log" 2>&1 & ;;
esac
[ "$WHICH" = none ] || MPID=$!
if [ "$WHICH" = none ]; then :
elif [ "$SOCK" = inet ]; then e2e_wait_port "$MPORT" 50; else wait_for 30 test -S "$SOCKDIR/m.sock"; fi
chmod 777 "$SOCKDIR/m.sock" 2>/dev/null || true
if [ "$MTA" = sendmail ]; then
	# README's INPUT_MAIL_FILTER line, its S= the socket of this run
	sm_readme_filter() { [ -n "$SPEC" ] || { echo 'dnl no milter'; return; }; sed -n '/^INPUT_MAIL_FILTER(/p' "$TOP/README.md" | head -n 1 |
		sed -E "s#S=[^,']*#S=${SPEC/inet:127.0.0.1:/inet:}#; s#S=inet:([0-9]+)#S=inet:\1@127.0.0.1#"; }
	E2E_TOP=$TOP sm_start "$DIR/sm" "$MPORT" "$SINK_PORT" >/dev/null
	PF_PORT=$SM_PORT
else
	pf_start "$DIR/pf" "$SPEC" "$SINK_PORT" >/dev/null
fi
if [ "$SOCK" = inet ] && [ "$WHICH" != none ]; then
	tcpdump -i lo -n -ttt -l "tcp port $MPORT" >"$DIR/cap.txt" 2>"$DIR/tcpdump.err" &
	TPID=$!
	wait_for 30 grep -q 'listening on' "$DIR/tcpdump.err"
fi
# a tcpdump line without TCP options, window and sequence numbers
short() { sed -E 's/, (seq|ack|win|options) [^,]*(\[[^]]*\])?//g; s/ IP / /'; }
SPIDS=()
if [ -n "${STALL_STRACE:-}" ]; then
	# the master and its running children (smtpd, cleanup: the MTA's milter
	# clients), and every process they start
	mp=${PF_MASTER_PID:-$SM_PID}
	# shellcheck disable=SC2046
	strace -f -tt -T -s 64 -o "$STALL_STRACE/mta.st" -p "$mp" \
		$(pgrep -P "$mp" | sed 's/^/-p /') 2>"$STALL_STRACE/strace.err" &
	SPIDS+=($!)
	[ -z "$MPID" ] || { strace -f -tt -T -s 64 -o "$STALL_STRACE/milter.st" -p "$MPID" 2>>"$STALL_STRACE/strace.err" & SPIDS+=($!); }
	wait_for 30 grep -qs "attached" "$STALL_STRACE/strace.err"
	sleep 1         # every thread attached (strace prints a line per thread)
fi
t0=$(date +%s%N)
smtp-source -c -s 1 -m 20 -l "${STALL_BODY:-2000}" -f bench@example.org -t jd@acme.com "127.0.0.1:$PF_PORT" >/dev/null
sink_wait 20 60
t1=$(date +%s%N)
echo "20 messages, one session at a time: $(((t1 - t0) / 20000)) µs per message ($WHICH, $SOCK:)"
if [ ${#SPIDS[@]} -gt 0 ]; then
	kill "${SPIDS[@]}" 2>/dev/null || true
	wait "${SPIDS[@]}" 2>/dev/null || true
	awk -f "$TOP/bench/strace-waits.awk" "$STALL_STRACE/mta.st"
fi
if [ -n "$TPID" ]; then
	kill "$TPID"; wait "$TPID" 2>/dev/null || true; TPID=''
	echo "packets on the milter connection: $(grep -c IP "$DIR/cap.txt")"
	echo "gaps of 30 ms or more: $(awk '{ split($1, t, ":"); if (t[3] + 0 >= 0.030 && $0 !~ /Flags \[S\]/) n++ } END { print n + 0 }' "$DIR/cap.txt")"
	# a stall is such a gap ended by the milter host's empty (delayed) ACK:
	# the MTA's next write was held for it. A gap ended by the MTA's own
	# empty ACK, or by its data, is idle time (SMTP pace, the next session).
	echo "  of which the milter host's delayed ACK (a held MTA write): $(awk -v m="127.0.0.1.$MPORT >" '{ split($1, t, ":"); if (t[3] + 0 >= 0.030 && index($0, m) && / length 0/) n++ } END { print n + 0 }' "$DIR/cap.txt")"
	# the first three gaps, each with the three packets before it and the one after
	awk '{ l[NR] = $0; split($1, t, ":"); if (t[3] + 0 >= 0.030 && $0 !~ /Flags \[S\]/ && n < 3) g[++n] = NR }
		END { for (k = 1; k <= n; k++) { print "--"; for (j = g[k] - 3; j <= g[k] + 1; j++) if (j > 0) print l[j] } }' \
		"$DIR/cap.txt" | short
	if [ -n "${STALL_SHOW:-}" ]; then
		# the first message's packets (connection 1 is e2e_wait_port's probe of smtpd)
		awk '/Flags \[S\]/ { n++ } n == 2' "$DIR/cap.txt" | short
	fi
fi

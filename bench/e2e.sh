#!/usr/bin/env bash
# bench/e2e.sh BUILD - end to end: smtp-source -> a private Postfix ->
# smtp-sink, messages/s with (D) no milter, (A) the null milter and (B)
# relaywarden (closed relay, file directory), all in one run.
#
# smtp-source cannot authenticate, so the messages are unauthenticated and
# go to a local recipient (accepted by relaywarden's relay decision).
# Postfix's own reject_authenticated_sender_login_mismatch (row C of issue
# 6) needs SMTP AUTH and an ldap: map; it is not measured here (see
# README "Performance").
#
# BENCH_MSGS (default 4000) messages, BENCH_SESSIONS (default 8) parallel.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MSGS=${BENCH_MSGS:-4000}
SESS=${BENCH_SESSIONS:-8}
# shellcheck source=../tests/e2e/lib/sink.sh
. "$TOP/tests/e2e/lib/sink.sh"
# shellcheck source=../tests/e2e/lib/postfix.sh
. "$TOP/tests/e2e/lib/postfix.sh"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-bench-e2e.XXXXXX")
chmod 755 "$DIR"
MPID=''
cleanup() {
	[ -n "$MPID" ] && kill -KILL "$MPID" 2>/dev/null
	pf_stop
	sink_stop
	rm -rf "$DIR"
}
trap cleanup EXIT
MPORT=$(e2e_free_port)
sink_start "$DIR" >/dev/null

# run SLUG NAME MILTER-SPEC: one Postfix with that smtpd_milters, MSGS messages.
run() {
	local slug=$1 name=$2 milter=$3 before t0 t1
	pf_start "$DIR/pf-$slug" "$milter" "$SINK_PORT" >/dev/null
	before=$(sink_count)
	t0=$(date +%s%N)
	smtp-source -c -s "$SESS" -m "$MSGS" -l 2000 -f bench@example.org -t jd@acme.com \
		"127.0.0.1:$PF_PORT" >/dev/null
	sink_wait $((before + MSGS)) 120 || echo "  ($name: only $(($(sink_count) - before)) delivered)"
	t1=$(date +%s%N)
	pf_stop
	awk -v n="$MSGS" -v ns=$((t1 - t0)) -v name="$name" \
		'BEGIN { printf "| %s | %d | %.0f |\n", name, n, n / (ns / 1e9) }'
}

echo "| row | messages | messages/s (accepted and delivered to smtp-sink) |"
echo "|---|---|---|"
run D "D no milter" ""
"$BUILD/bench/null_milter" "inet:$MPORT@127.0.0.1" >/dev/null 2>&1 &
MPID=$!
e2e_wait_port "$MPORT" 50
run A "A null milter" "inet:127.0.0.1:$MPORT"
kill -KILL "$MPID"; wait "$MPID" 2>/dev/null || true
sed "s#\"../directory.conf\"#\"$TOP/policies/directory.conf\"#" \
	"$TOP/policies/examples/closed-relay.conf" >"$DIR/policy.conf"
"$BUILD/relaywarden" -f -c "$DIR/policy.conf" -p "inet:$MPORT@127.0.0.1" >"$DIR/rw.log" 2>&1 &
MPID=$!
e2e_wait_port "$MPORT" 50
run B "B relaywarden" "inet:127.0.0.1:$MPORT"

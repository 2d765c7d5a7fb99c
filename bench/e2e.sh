#!/usr/bin/env bash
# bench/e2e.sh BUILD - end to end through a private Postfix to smtp-sink,
# messages/s side by side, all in one run:
#
#   unauthenticated, smtp-source (local recipient, closed relay, file directory)
#     D  no milter          A  the null milter          B  relaywarden
#   authenticated, bench/smtpload (AUTH PLAIN, external recipient, MAIL FROM
#   and From: the login's own address, one LDAP directory: a private slapd)
#     D  no milter          A  the null milter
#     B  relaywarden: verify_sender envelope + headers against slapd (cached)
#     C  no milter; Postfix's own reject_authenticated_sender_login_mismatch
#        with smtpd_sender_login_maps = ldap: (one search per MAIL, no cache)
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
# shellcheck source=../tests/lib/slapd.sh
. "$TOP/tests/lib/slapd.sh"
# shellcheck source=lib.sh
. "$TOP/bench/lib.sh"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-bench-e2e.XXXXXX")
chmod 755 "$DIR"
MPID=''
cleanup() {
	[ -n "$MPID" ] && kill -KILL "$MPID" 2>/dev/null
	pf_stop
	sink_stop
	slapd_stop >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT
MPORT=$(e2e_free_port)
sink_start "$DIR" >/dev/null

# result NAME N NANOSECONDS
result() {
	awk -v n="$2" -v ns="$3" -v name="$1" \
		'BEGIN { printf "| %s | %d | %.0f |\n", name, n, n / (ns / 1e9) }'
}

# run SLUG NAME MILTER-SPEC: unauthenticated, smtp-source, MSGS messages.
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
	result "$name" "$MSGS" $((t1 - t0))
}

# run_auth SLUG NAME MILTER-SPEC: SMTP AUTH as u00001, smtpload, MSGS messages.
run_auth() {
	local slug=$1 name=$2 milter=$3 before t0 t1 out
	pf_start "$DIR/pf-$slug" "$milter" "$SINK_PORT" >/dev/null
	pf_user u00001 bench-secret
	before=$(sink_count)
	t0=$(date +%s%N)
	out=$("$BUILD/bench/smtpload" -s "$PF_PORT" -c "$SESS" -n "$MSGS" \
		-a u00001:bench-secret -f u00001@acme.com -t partner@example.org) ||
		echo "  ($name: $out)"
	sink_wait $((before + MSGS)) 120 || echo "  ($name: only $(($(sink_count) - before)) delivered)"
	t1=$(date +%s%N)
	# the check measured must be on: a spoofed sender is refused (B, C)
	if [ "${4:-}" = spoof ] && "$BUILD/bench/smtpload" -s "$PF_PORT" -c 1 -n 1 \
		-a u00001:bench-secret -f u00002@acme.com -t partner@example.org >/dev/null 2>&1; then
		echo "  ($name: a spoofed sender was NOT refused)"
	fi
	pf_stop
	result "$name" "$MSGS" $((t1 - t0))
}

start_milter() { # PROGRAM ARGS...
	"$@" >>"$DIR/milter.log" 2>&1 &
	MPID=$!
	e2e_wait_port "$MPORT" 50
}

stop_milter() {
	kill -KILL "$MPID"
	wait "$MPID" 2>/dev/null || true
	MPID=''
}

echo "| row | messages | messages/s (accepted and delivered to smtp-sink) |"
echo "|---|---|---|"
run D "D no milter" ""
start_milter "$BUILD/bench/null_milter" "inet:$MPORT@127.0.0.1"
run A "A null milter" "inet:127.0.0.1:$MPORT"
stop_milter
sed "s#\"../directory.conf\"#\"$TOP/policies/directory.conf\"#" \
	"$TOP/policies/examples/closed-relay.conf" >"$DIR/policy.conf"
start_milter "$BUILD/relaywarden" -f -c "$DIR/policy.conf" -p "inet:$MPORT@127.0.0.1"
run B "B relaywarden" "inet:127.0.0.1:$MPORT"
stop_milter

bench_people 1000 >"$DIR/people.ldif"
slapd_start "$DIR/slapd" "$DIR/people.ldif" >/dev/null
bench_ldap_policy "$DIR/verify.conf" 3600
cat >"$DIR/login-map.cf" <<CF
server_host = $SLAPD_URI
version = 3
search_base = dc=acme,dc=com
query_filter = (&(objectClass=inetOrgPerson)(mail=%s))
result_attribute = uid
CF
chmod 644 "$DIR/login-map.cf"

echo
echo "| row (SMTP AUTH) | messages | messages/s (accepted and delivered to smtp-sink) |"
echo "|---|---|---|"
run_auth Dauth "D no milter" ""
start_milter "$BUILD/bench/null_milter" "inet:$MPORT@127.0.0.1"
run_auth Aauth "A null milter" "inet:127.0.0.1:$MPORT"
stop_milter
start_milter "$BUILD/relaywarden" -f -c "$DIR/verify.conf" -p "inet:$MPORT@127.0.0.1"
run_auth Bauth "B relaywarden (verify_sender, LDAP)" "inet:127.0.0.1:$MPORT" spoof
stop_milter
PF_EXTRA_CF="smtpd_sender_login_maps = ldap:$DIR/login-map.cf
smtpd_sender_restrictions = reject_authenticated_sender_login_mismatch" \
	run_auth Cauth "C Postfix sender_login_maps (ldap:), no milter" "" spoof

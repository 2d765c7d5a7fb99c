#!/usr/bin/env bash
# bench/rtt.sh BUILD - milter round trips per message, counted (not timed)
# by bench/mload: the replies it waited for from MAIL to end of message,
# one recipient, 5, 20 and 50 headers, per policy feature; authenticated
# (the login's own From:) and, where the policy tells them apart,
# unauthenticated inbound mail to a local user. mload offers
# what Postfix 3.7 offers and honours the milter's "no reply" choices, so
# the count is what Postfix waits for. Connect and negotiation (once per
# connection) are not counted in it; a column says whether CONNECT waits.
# BENCH_COMPARE=BINARY adds its rows.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-rtt.XXXXXX")
MPID=''
cleanup() {
	[ -z "$MPID" ] || { kill -KILL "$MPID" 2>/dev/null; wait "$MPID" 2>/dev/null; } || true
	rm -rf "$DIR"
}
trap cleanup EXIT
# shellcheck source=../tests/lib/wait.sh
. "$TOP/tests/lib/wait.sh"

{ # mload's hit logins u00001..u00010, each owning its own address
	echo 'users = ('
	for i in $(seq 1 10); do
		printf '  { login = "u%05d"; addresses = [ "u%05d@acme.com" ]; }%s\n' "$i" "$i" \
			"$([ "$i" = 10 ] || echo ,)"
	done
	echo ');'
} >"$DIR/directory.conf"

policy() { # NAME LOG_LEVEL EXTRA...: a closed relay, authenticated users may relay
	local name=$1 level=$2
	shift 2
	{
		echo "log_level = \"$level\"; config_update_interval = 0;"
		echo 'local_domains = [ "acme.com" ];'
		echo 'relay = { enforce = "all"; authenticated = "allow";'
		echo '  deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };'
		echo "directory = { backend = \"file\"; file = \"$DIR/directory.conf\"; };"
		printf '%s\n' "$@"
	} >"$DIR/$name.conf"
}
policy envelope warn 'verify_sender = { envelope = true; headers = false; };'
policy headers warn 'verify_sender = { envelope = true; headers = true; };'
policy size warn 'verify_sender = { envelope = true; headers = false; };' \
	'sender = { max_message_size = 10000000; };'
policy profile warn 'verify_sender = { envelope = true; headers = false; };' \
	'profiles = ( { daemon_name = "submission"; verify_sender = { headers = true; }; } );'
policy info info 'verify_sender = { envelope = true; headers = true; };'

start() { # PROGRAM ARGS... (the socket last)
	"$@" >"$DIR/milter.log" 2>&1 &
	MPID=$!
	wait_for 30 test -S "$DIR/m.sock" || { cat "$DIR/milter.log" >&2; return 1; }
}

stop() {
	kill -KILL "$MPID" 2>/dev/null || true
	wait "$MPID" 2>/dev/null || true
	MPID=''
	rm -f "$DIR/m.sock"
}

# row NAME [MIX]: mload at 5, 20, 50 headers against the running milter
# (MIX: mload -m, default hit: authenticated)
row() {
	local out h cells='' steps=''
	for h in 5 20 50; do
		out=$("$BUILD/bench/mload" -s "unix:$DIR/m.sock" -c 1 -n 200 -k 10 -m "${2:-hit}" -H "$h")
		cells="$cells $(sed -n 's/.* rt_per_tx=\([^ ]*\).*/\1/p' <<<"$out") |"
		steps=$(sed -n 's/.* steps=\([^ ]*\).*/\1/p' <<<"$out")
		grep -q ' errors=0' <<<"$out" && grep -q ' reject=0 tempfail=0' <<<"$out" ||
			cells="$cells (not all accepted: $out)"
	done
	# 0x1000 SMFIP_NR_CONN: the connect (once per connection) waits for nothing
	echo "| $1 | $steps | $([ $((steps & 0x1000)) -ne 0 ] && echo 0 || echo 1) |$cells"
}

echo "| milter, policy | steps chosen | CONNECT replies per connection | round trips per message, 5 headers | 20 headers | 50 headers |"
echo "|---|---|---|---|---|---|"
start "$BUILD/bench/null_milter" "unix:$DIR/m.sock"
row "A null milter (no DATA callback, libmilter's defaults)"
stop
start "$BUILD/bench/null_milter" -a "unix:$DIR/m.sock"
row "A+ACCEPT null milter -a (accepts every message at DATA: the least any milter can ask)"
stop
run_binary() { # BINARY LABEL
	local p
	for p in envelope headers size profile info; do
		start "$1" -f -c "$DIR/$p.conf" -p "unix:$DIR/m.sock"
		row "$2, $(case $p in
			envelope) echo 'verify_sender.envelope only, log_level warn' ;;
			headers) echo 'verify_sender envelope + headers, warn' ;;
			size) echo 'envelope + sender.max_message_size, warn' ;;
			profile) echo 'envelope; a profile checks headers, warn' ;;
			info) echo 'envelope + headers, log_level info (the default)' ;;
			esac)"
		case $p in headers | profile | info)
			row "$2, the same policy, unauthenticated inbound to a local user" inbound ;;
		esac
		stop
	done
}
run_binary "$BUILD/relaywarden" "B relaywarden"
[ -z "${BENCH_COMPARE:-}" ] || run_binary "$BENCH_COMPARE" "B (BENCH_COMPARE)"

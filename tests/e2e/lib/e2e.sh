# shellcheck shell=bash
# tests/e2e/lib/e2e.sh - relaywarden and swaks for the end-to-end tests.
#
#   e2e_init NAME [BINARY]   temp dir E2E_DIR (kept on failure or with
#                            E2E_KEEP=1), EXIT trap running e2e_cleanup_hook
#                            (define it to stop your MTA), then everything here.
#   e2e_policy SRC [SED]...  copy policy SRC to $E2E_DIR/policy.conf with its
#                            directory file made absolute; each SED expression
#                            is applied to the copy.
#   e2e_milter_start         relaywarden -f on inet:$E2E_MILTER_PORT@127.0.0.1
#                            (a port fixed for the test, so the MTA keeps it).
#   e2e_milter_stop [SIG]    stop it by PID (SIGTERM, or SIG, e.g. KILL).
#   e2e_reload SRC [SED]...  e2e_policy, then SIGUSR1 (the operator's
#                            `systemctl reload`); waits for "policy reloaded".
#   e2e_swaks DESC ARGS...   run swaks against the MTA ($E2E_MTA_PORT); the
#                            transcript goes to $E2E_DIR/swaks.out.
#   e2e_refused DESC REPLY ARGS...     swaks; the first "<** " line must be
#                            exactly REPLY; nothing may reach the sink.
#   e2e_delivered DESC RCPTS ARGS...   swaks; a "250 2.0.0" after DATA; the sink
#                            gets one more message whose X-Rcpt-Args are exactly
#                            the space-separated RCPTS (in any order: the MTA's
#                            queue manager sorts them).
#   e2e_check DESC COND...   "ok - DESC" or "not ok - DESC" (counts failures).
#   e2e_done                 prints the verdict; exit 1 on any failure.
E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_TOP=$(cd "$E2E_LIB_DIR/../../.." && pwd)
# shellcheck source=sink.sh
. "$E2E_LIB_DIR/sink.sh"
E2E_DIR='' E2E_FAILS=0 E2E_RW_PID='' E2E_MILTER_PORT='' E2E_MTA_PORT='' E2E_SINK_EXPECT=0

e2e_init() {
	E2E_NAME=$1
	E2E_BINARY=${2:-$E2E_TOP/build/relaywarden}
	case $E2E_BINARY in /*) ;; *) E2E_BINARY=$PWD/$E2E_BINARY ;; esac
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-e2e-$E2E_NAME.XXXXXX")
	chmod 755 "$E2E_DIR"
	E2E_MILTER_PORT=$(e2e_free_port)
	trap _e2e_exit EXIT
	trap 'exit 130' INT TERM
	for cmd in swaks smtp-sink "$E2E_BINARY"; do
		command -v "$cmd" >/dev/null 2>&1 || { echo "not ok - $cmd is missing"; exit 1; }
	done
}

_e2e_exit() {
	local rc=$?
	declare -F e2e_cleanup_hook >/dev/null && e2e_cleanup_hook
	e2e_milter_stop
	sink_stop
	if [ "$E2E_FAILS" -eq 0 ] && [ "$rc" -eq 0 ] && [ "${E2E_KEEP:-0}" != 1 ]; then
		rm -rf "$E2E_DIR"
	else
		echo "# kept $E2E_DIR"
	fi
	return 0
}

e2e_policy() {
	local src=$1 dir
	shift
	dir=$(cd "$(dirname "$src")" && pwd)
	sed -E "s#(file *= *\")([^/\"][^\"]*)\"#\\1$dir/\\2\"#" "$src" >"$E2E_DIR/policy.conf"
	for expr in "$@"; do
		sed -i "$expr" "$E2E_DIR/policy.conf"
	done
}

e2e_milter_start() {
	local i
	E2E_RW_LOG=$E2E_DIR/relaywarden.log
	"$E2E_BINARY" check -c "$E2E_DIR/policy.conf" >/dev/null ||
		{ e2e_check "relaywarden check accepts the policy" false; return 1; }
	"$E2E_BINARY" -f -c "$E2E_DIR/policy.conf" -p "inet:$E2E_MILTER_PORT@127.0.0.1" \
		>>"$E2E_RW_LOG" 2>&1 </dev/null &
	E2E_RW_PID=$!
	e2e_wait_port "$E2E_MILTER_PORT" 50 && return 0
	e2e_check "relaywarden listens on $E2E_MILTER_PORT" false
	return 1
}

e2e_reload() {
	local before i
	before=$(grep -c 'policy reloaded from' "$E2E_RW_LOG")
	e2e_policy "$@"
	kill -USR1 "$E2E_RW_PID"
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c 'policy reloaded from' "$E2E_RW_LOG")" -gt "$before" ] && return 0
		sleep 0.05
	done
	e2e_check "relaywarden reloaded $1" false
	return 1
}

e2e_milter_stop() {
	local i
	[ -n "$E2E_RW_PID" ] || return 0
	kill "-${1:-TERM}" "$E2E_RW_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$E2E_RW_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$E2E_RW_PID" 2>/dev/null || true
	wait "$E2E_RW_PID" 2>/dev/null || true
	E2E_RW_PID=''
	return 0
}

e2e_check() {
	local desc=$1
	shift
	if "$@"; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		E2E_FAILS=$((E2E_FAILS + 1))
		[ -f "$E2E_DIR/swaks.out" ] && sed 's/^/#   /' "$E2E_DIR/swaks.out" | tail -n 25
	fi
}

e2e_swaks() {
	shift
	swaks --server 127.0.0.1 --port "$E2E_MTA_PORT" --timeout 30 "$@" >"$E2E_DIR/swaks.out" 2>&1
	return 0
}

_first_refusal() {
	sed -n 's/^<\*\* //p' "$E2E_DIR/swaks.out" | head -n 1
}

# The sink holds exactly E2E_SINK_EXPECT messages (after a short settle,
# so a late delivery of something refused would be seen).
_sink_exact() {
	sleep "${1:-0}"
	[ "$(sink_count)" -eq "$E2E_SINK_EXPECT" ]
}

e2e_refused() {
	local desc=$1 want=$2
	shift 2
	e2e_swaks "$desc" "$@"
	local got
	got=$(_first_refusal)
	e2e_check "$desc: \"$want\" (got \"$got\")" test "$got" = "$want"
	e2e_check "$desc: nothing delivered" _sink_exact 0.3
}

_rcpts_of() { # FILE: the X-Rcpt-Args addresses, sorted, space-separated
	sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' "$1" | sort | tr '\n' ' ' | sed 's/ $//'
}

e2e_delivered() {
	local desc=$1 rcpts=$2 file
	shift 2
	e2e_swaks "$desc" "$@"
	e2e_check "$desc: accepted after DATA" grep -qE '^<-  250 2\.0\.0 ' "$E2E_DIR/swaks.out"
	E2E_SINK_EXPECT=$((E2E_SINK_EXPECT + 1))
	e2e_check "$desc: delivered to the sink" sink_wait "$E2E_SINK_EXPECT" 20
	file=$(sink_last)
	rcpts=$(printf '%s\n' $rcpts | sort | tr '\n' ' ' | sed 's/ $//')
	e2e_check "$desc: delivered for exactly <$rcpts> (got <$(_rcpts_of "$file")>)" \
		test "$(_rcpts_of "$file")" = "$rcpts"
	e2e_check "$desc: no other delivery" _sink_exact 0
}

e2e_done() {
	if [ "$E2E_FAILS" -eq 0 ]; then
		echo "ok $E2E_NAME"
		exit 0
	fi
	echo "# relaywarden log:"
	sed 's/^/#   /' "$E2E_DIR/relaywarden.log" 2>/dev/null | tail -n 30
	exit 1
}

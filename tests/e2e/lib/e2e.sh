# shellcheck shell=bash
# tests/e2e/lib/e2e.sh - relaywarden and swaks for the end-to-end tests.
#
#   e2e_init NAME [BINARY]   temp dir E2E_DIR (kept on failure or with
#                            E2E_KEEP=1), EXIT trap running e2e_cleanup_hook
#                            (define it to stop your MTA), then everything here.
#   e2e_policy SRC [SED]...  copy policy SRC to $E2E_DIR/policy.conf with its
#                            directory file made absolute; each SED expression
#                            is applied to the copy. The file is built beside
#                            and renamed into place: the running milter's mtime
#                            check never reads a half-written policy.
#   e2e_milter_start         relaywarden -f on inet:$E2E_MILTER_PORT@127.0.0.1
#                            (a port fixed for the test, so the MTA keeps it);
#                            waits until it logs "listening on" (bound, and
#                            SIGUSR1 blocked for its reload thread).
#   e2e_milter_stop [SIG]    stop it by PID (SIGTERM, or SIG, e.g. KILL).
#   e2e_reload SRC [SED]...  e2e_policy, then SIGUSR1 (the operator's
#                            `systemctl reload`); waits for the outcome of that
#                            very reload (tests/lib/wait.sh reload_outcome).
#   e2e_swaks DESC ARGS...   run swaks against the MTA ($E2E_MTA_PORT); the
#                            transcript goes to $E2E_DIR/swaks.out.
#   e2e_refused DESC REPLY ARGS...     swaks; the first "<** " line must be
#                            exactly REPLY; nothing may reach the sink.
#   e2e_delivered DESC RCPTS ARGS...   swaks; a "250 2.0.0" after DATA; the sink
#                            gets one more complete message whose X-Rcpt-Args
#                            are exactly the space-separated RCPTS (in any
#                            order: the MTA's queue manager sorts them).
#   _sink_exact [IGNORED]    once the MTA is settled (below), the sink holds
#                            exactly E2E_SINK_EXPECT messages.
#
# "Nothing (else) will be delivered" is a fact, not a pause: the MTA is
# settled when its queue holds no message and smtp-sink holds no message
# file open. Every message an MTA accepted is in its queue before the client
# sees the 250 (Postfix's cleanup, Sendmail's qf file) and leaves it only
# after the next hop's 250 - which smtp-sink gives after it closed the file -
# or when it is bounced (the bounce is queued first). So once swaks has
# exited and the MTA is settled, every delivery of that message has reached
# the sink whole. The queue is {incoming,active,deferred,hold,maildrop} of
# Postfix's queue directory ($PF_DIR/spool of tests/e2e/lib/postfix.sh,
# $PFD_QUEUE of postfix_debian.sh), $SM_DIR/queue (sendmail.sh), and any
# directory in E2E_QUEUE_DIRS (another MTA's).
#   e2e_check DESC COND...   "ok - DESC" or "not ok - DESC" (counts failures).
#   e2e_done                 prints the verdict; exit 1 on any failure.
E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_TOP=$(cd "$E2E_LIB_DIR/../../.." && pwd)
# shellcheck source=../../lib/wait.sh
. "$E2E_LIB_DIR/../../lib/wait.sh"
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
	local src=$1 dir tmp=$E2E_DIR/policy.conf.new
	shift
	dir=$(cd "$(dirname "$src")" && pwd)
	sed -E "s#(file *= *\")([^/\"][^\"]*)\"#\\1$dir/\\2\"#" "$src" >"$tmp"
	for expr in "$@"; do
		sed -i "$expr" "$tmp"
	done
	mv -f "$tmp" "$E2E_DIR/policy.conf"
}

e2e_milter_start() {
	local mark sock=inet:$E2E_MILTER_PORT@127.0.0.1
	E2E_RW_LOG=$E2E_DIR/relaywarden.log
	"$E2E_BINARY" check -c "$E2E_DIR/policy.conf" >/dev/null ||
		{ e2e_check "relaywarden check accepts the policy" false; return 1; }
	mark=$(log_mark "$E2E_RW_LOG")
	"$E2E_BINARY" -f -c "$E2E_DIR/policy.conf" -p "$sock" \
		>>"$E2E_RW_LOG" 2>&1 </dev/null &
	E2E_RW_PID=$!
	milter_wait_ready "$E2E_RW_LOG" "$mark" "$E2E_RW_PID" "$sock" 30 && return 0
	e2e_check "relaywarden logs \"listening on $sock\"" false
	return 1
}

e2e_reload() {
	local mark got me=$BASHPID   # the pid kill(2) reports: this shell's
	e2e_policy "$@"
	mark=$(log_mark "$E2E_RW_LOG")
	kill -USR1 "$E2E_RW_PID"
	got=$(reload_outcome "$E2E_RW_LOG" "$mark" "$me" 30)
	[ "$got" = reloaded ] && return 0
	e2e_check "relaywarden reloaded $1 (SIGUSR1: $got)" false
	return 1
}

_e2e_rw_gone() {
	! kill -0 "$E2E_RW_PID" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$E2E_RW_PID/stat" 2>/dev/null)" = Z ]
}

e2e_milter_stop() {
	[ -n "$E2E_RW_PID" ] || return 0
	kill "-${1:-TERM}" "$E2E_RW_PID" 2>/dev/null || true
	# libmilter notices SIGTERM at its next 5-second poll
	wait_for 10 _e2e_rw_gone
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

# What the MTA still holds: one line per queued message file.
_e2e_queue_files() {
	local dirs=() d q
	for q in ${PF_DIR:+"$PF_DIR/spool"} ${PFD_QUEUE:+"$PFD_QUEUE"}; do
		for d in incoming active deferred hold maildrop; do dirs+=("$q/$d"); done
	done
	[ -z "${SM_DIR:-}" ] || dirs+=("$SM_DIR/queue")
	for d in ${E2E_QUEUE_DIRS:-}; do dirs+=("$d"); done
	[ "${#dirs[@]}" -gt 0 ] || return 0
	find "${dirs[@]}" -type f 2>/dev/null
	return 0
}

# Settled: the queue is empty (looked at first), then smtp-sink holds no file.
_e2e_settled() {
	[ -z "$(_e2e_queue_files)" ] && ! sink_busy
}

# The sink holds exactly E2E_SINK_EXPECT messages once the MTA is settled
# (see the top: a late delivery of something refused would be seen). The
# argument (once a pause, in seconds) is ignored.
_sink_exact() {
	if ! wait_for 30 _e2e_settled; then
		echo "# the MTA did not settle within 30 s; still queued:"
		_e2e_queue_files | sed 's/^/#   /'
		sink_busy && echo "#   (and smtp-sink is still receiving a message)"
		return 1
	fi
	[ "$(sink_count_all)" -eq "$E2E_SINK_EXPECT" ] && [ "$(sink_count)" -eq "$E2E_SINK_EXPECT" ]
}

e2e_refused() {
	local desc=$1 want=$2
	shift 2
	e2e_swaks "$desc" "$@"
	local got
	got=$(_first_refusal)
	e2e_check "$desc: \"$want\" (got \"$got\")" test "$got" = "$want"
	e2e_check "$desc: nothing delivered" _sink_exact
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
	# complete messages only: the file is read once smtp-sink has closed it
	e2e_check "$desc: delivered to the sink" sink_wait "$E2E_SINK_EXPECT" 30
	file=$(sink_last)
	rcpts=$(printf '%s\n' $rcpts | sort | tr '\n' ' ' | sed 's/ $//')
	e2e_check "$desc: delivered for exactly <$rcpts> (got <$(_rcpts_of "$file")>)" \
		test "$(_rcpts_of "$file")" = "$rcpts"
	e2e_check "$desc: no other delivery" _sink_exact
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

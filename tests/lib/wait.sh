# shellcheck shell=bash
# tests/lib/wait.sh - wait for a condition, never for a length of time.
#
# CI machines are slow and busy, and their timing is not ours: a test never
# sleeps "long enough" and then looks. It waits for the condition that
# makes the next step valid, with a generous deadline that only ever turns
# a hang into a failure (a deadline never makes a test pass).
#
#   wait_for SECONDS CMD [ARG...]   run CMD every 50 ms until it succeeds
#                         (0), or 1 once SECONDS have passed on the clock.
#   log_mark FILE         FILE's size in bytes now: lines appended after it
#                         are "new" (relaywarden writes each line with one
#                         write(2), so a line is either there whole or not).
#   log_new FILE MARK     what was appended to FILE after MARK.
#   log_wait FILE MARK SECONDS FIXED-TEXT   0 once FIXED-TEXT appears in what
#                         was appended after MARK.
#   reload_outcome FILE MARK PID SECONDS   prints "reloaded" or "failed": the
#                         outcome of the SIGUSR1 reload that PID asked for
#                         after MARK (relaywarden's reload thread logs
#                         "SIGUSR1 from pid PID: reloading ...", then "policy
#                         reloaded from ..." or "reload of ... failed", one
#                         reload at a time, so an automatic reload - the mtime
#                         check - can never be taken for ours); "timeout" when
#                         nothing came within SECONDS. PID is the process that
#                         ran kill: $BASHPID of the shell that sent the signal,
#                         read outside any $(...) (a subshell has its own).
#   milter_wait_ready FILE MARK PID SOCKET SECONDS   0 once relaywarden PID
#                         logged "listening on SOCKET" after MARK: it logs that
#                         after it bound and listened, dropped privileges and
#                         blocked SIGUSR1 for its reload thread. Its socket file
#                         alone is not enough: it exists from bind(2) on, before
#                         listen(2), before the ownership and privilege changes,
#                         and before SIGUSR1 is blocked (until then SIGUSR1's
#                         default action, termination, applies). 1 when PID
#                         exits first or SECONDS pass.
WAIT_LIB_DEADLINE=${WAIT_LIB_DEADLINE:-30}

_wait_now_ms() {
	local t=${EPOCHREALTIME:-}
	if [ -n "$t" ]; then
		t=${t/,/.}
		echo $((${t%.*} * 1000 + 10#${t#*.} / 1000))
	else
		echo $(($(date +%s%N) / 1000000))
	fi
}

wait_for() {
	local secs=$1 deadline
	shift
	deadline=$(($(_wait_now_ms) + secs * 1000))
	while :; do
		"$@" && return 0
		[ "$(_wait_now_ms)" -lt "$deadline" ] || break
		sleep 0.05
	done
	"$@"
}

log_mark() {
	stat -c %s "$1" 2>/dev/null || echo 0
}

log_new() {
	tail -c +"$(($2 + 1))" "$1" 2>/dev/null
}

# No pipelines here: under "set -o pipefail" (tests/run-itests.sh) a reader
# that stops early would turn a match into a failure (SIGPIPE upstream).
_log_has() { # FILE MARK TEXT
	local text
	text=$(log_new "$1" "$2")
	[[ $text == *"$3"* ]]
}

log_wait() {
	wait_for "$3" _log_has "$1" "$2" "$4"
}

_reload_outcome_now() { # FILE MARK PID: prints the outcome, 1 if none yet
	local text
	text=$(log_new "$1" "$2")
	awk -v asked="SIGUSR1 from pid $3: reloading " '
		seen && / policy reloaded from / { print "reloaded"; found = 1; exit }
		seen && /: reload of .* failed/ { print "failed"; found = 1; exit }
		index($0, asked) { seen = 1 }
		END { exit found ? 0 : 1 }' <<<"$text"
}

reload_outcome() {
	if wait_for "$4" _reload_outcome_now "$1" "$2" "$3" >/dev/null; then
		_reload_outcome_now "$1" "$2" "$3"
		return 0
	fi
	echo timeout
	return 1
}

_milter_ready_now() { # FILE MARK PID SOCKET
	_log_has "$1" "$2" " listening on $4 " && return 0
	# gone (or a zombie): stop waiting at once
	if ! kill -0 "$3" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$3/stat" 2>/dev/null)" = Z ]; then
		return 2
	fi
	return 1
}

milter_wait_ready() {
	local file=$1 mark=$2 pid=$3 sock=$4 secs=$5 deadline rc
	deadline=$(($(_wait_now_ms) + secs * 1000))
	while :; do
		_milter_ready_now "$file" "$mark" "$pid" "$sock"
		rc=$?
		[ "$rc" -eq 0 ] && return 0
		[ "$rc" -eq 2 ] && return 1
		[ "$(_wait_now_ms)" -lt "$deadline" ] || break
		sleep 0.05
	done
	return 1
}

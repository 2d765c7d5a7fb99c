# shellcheck shell=bash
# tests/e2e/lib/sink.sh - Postfix's smtp-sink on a free 127.0.0.1 port: the
# next hop of the private MTAs, writing one file per message it receives.
#
#   sink_start DIR     smtp-sink -u postfix -d DIR/msg/%Y%m%d%H%M%S. on a free
#                      port; exports SINK_PORT, SINK_PID, SINK_DIR (DIR/msg).
#   sink_count         messages received so far, COMPLETE ones only (below).
#   sink_files         the paths of the complete messages, one a line.
#   sink_busy          0 while smtp-sink holds a message file open (a message
#                      is arriving), 1 when it holds none.
#   sink_wait N [SEC]  0 once at least N complete messages arrived; 1 after SEC
#                      seconds (default 30: a deadline only to fail).
#   sink_last          path of the newest complete message file.
#   sink_stop          SIGTERM by PID, reap.
#
# A message file is complete when smtp-sink no longer holds it open. It
# creates the file (O_EXCL) at MAIL FROM, appends X-Mail-Args, X-Rcpt-Args,
# its Received: line and the data as they arrive, closes it at the final
# "." before it answers 250, and unlinks it (then closes it) when the
# transaction is aborted. So a file that exists and that no descriptor in
# /proc/$SINK_PID/fd points to is a whole message; a file that merely
# exists may still be empty. (smtp-sink is one process, no children.)
SINK_PID='' SINK_PORT='' SINK_DIR=''
if [ -x /usr/bin/python3 ]; then SINK_PYTHON=/usr/bin/python3; else SINK_PYTHON=python3; fi
# shellcheck source=../../lib/wait.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../lib/wait.sh"

e2e_free_port() {
	"$SINK_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# e2e_wait_port PORT [TENTHS]: 0 once something accepts TCP on 127.0.0.1:PORT;
# 1 after TENTHS tenths of a second on the clock (at least 30 s: a deadline
# only to fail). Only for servers whose accepting means serving (smtp-sink,
# an MTA's listener); relaywarden's readiness is its "listening on" line.
_e2e_port_open() {
	"$SINK_PYTHON" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' \
		"$1" 2>/dev/null
}

e2e_wait_port() {
	local port=$1 secs=$(((${2:-100} + 9) / 10))
	[ "$secs" -ge 30 ] || secs=30
	wait_for "$secs" _e2e_port_open "$port"
}

sink_start() {
	mkdir -p "$1/msg"
	# the real path: /proc/PID/fd links name the files by it
	SINK_DIR=$(cd "$1/msg" && pwd -P)
	chown postfix "$SINK_DIR"
	SINK_PORT=$(e2e_free_port)
	smtp-sink -u postfix -d "$SINK_DIR/%Y%m%d%H%M%S." "127.0.0.1:$SINK_PORT" 256 &
	SINK_PID=$!
	e2e_wait_port "$SINK_PORT" || { echo "# smtp-sink did not start" >&2; return 1; }
}

# The files smtp-sink holds open now.
_sink_open() {
	[ -n "$SINK_PID" ] && [ -d "/proc/$SINK_PID/fd" ] || return 0
	find "/proc/$SINK_PID/fd" -mindepth 1 -lname "$SINK_DIR/*" -printf '%l\n' 2>/dev/null
}

sink_busy() {
	[ -n "$(_sink_open)" ]
}

# Listed first, then the open ones: a file listed and not open is complete
# unless it was an aborted transaction's (unlinked before it is closed, so
# it is gone by now: checked last).
sink_files() {
	local files f
	declare -A open=()
	files=$(find "$SINK_DIR" -type f -printf '%p\n')
	while IFS= read -r f; do
		[ -n "$f" ] && open[$f]=1
	done <<<"$(_sink_open)"
	while IFS= read -r f; do
		[ -n "$f" ] && [ -z "${open[$f]:-}" ] && [ -e "$f" ] && printf '%s\n' "$f"
	done <<<"$files"
	return 0
}

sink_count() {
	local files
	files=$(sink_files)
	if [ -z "$files" ]; then echo 0; else printf '%s\n' "$files" | wc -l; fi
}

# Every file in the sink, complete or not.
sink_count_all() {
	find "$SINK_DIR" -type f | wc -l
}

_sink_has() { [ "$(sink_count)" -ge "$1" ]; }

sink_wait() {
	wait_for "${2:-30}" _sink_has "$1"
}

sink_last() {
	local f newest='' t best=0
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		t=$(stat -c %.9Y "$f" 2>/dev/null | tr -d .) || continue
		if [ -z "$newest" ] || [ "$t" -gt "$best" ]; then newest=$f best=$t; fi
	done <<<"$(sink_files)"
	printf '%s\n' "$newest"
}

sink_stop() {
	[ -n "$SINK_PID" ] || return 0
	kill -TERM "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=''
	return 0
}

# shellcheck shell=bash
# tests/e2e/lib/sink.sh - Postfix's smtp-sink on a free 127.0.0.1 port: the
# next hop of the private MTAs, writing one file per message it receives.
#
#   sink_start DIR     smtp-sink -u postfix -d DIR/msg/%Y%m%d%H%M%S. on a free
#                      port; exports SINK_PORT, SINK_PID, SINK_DIR (DIR/msg).
#   sink_count         messages received so far.
#   sink_wait N [SEC]  0 once at least N messages arrived (default 10 s).
#   sink_last          path of the newest message file.
#   sink_stop          SIGTERM by PID, reap.
SINK_PID='' SINK_PORT='' SINK_DIR=''
if [ -x /usr/bin/python3 ]; then SINK_PYTHON=/usr/bin/python3; else SINK_PYTHON=python3; fi

e2e_free_port() {
	"$SINK_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# e2e_wait_port PORT [TENTHS]: 0 once something accepts TCP on 127.0.0.1:PORT.
e2e_wait_port() {
	local port=$1 n=${2:-100} i
	for ((i = 0; i < n; i++)); do
		"$SINK_PYTHON" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' \
			"$port" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

sink_start() {
	SINK_DIR=$1/msg
	mkdir -p "$SINK_DIR"
	chown postfix "$SINK_DIR"
	SINK_PORT=$(e2e_free_port)
	smtp-sink -u postfix -d "$SINK_DIR/%Y%m%d%H%M%S." "127.0.0.1:$SINK_PORT" 256 &
	SINK_PID=$!
	e2e_wait_port "$SINK_PORT" || { echo "# smtp-sink did not start" >&2; return 1; }
}

sink_count() {
	find "$SINK_DIR" -type f | wc -l
}

sink_wait() {
	local want=$1 n=$((${2:-10} * 10)) i
	for ((i = 0; i < n; i++)); do
		[ "$(sink_count)" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

sink_last() {
	find "$SINK_DIR" -type f -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-
}

sink_stop() {
	[ -n "$SINK_PID" ] || return 0
	kill -TERM "$SINK_PID" 2>/dev/null || true
	wait "$SINK_PID" 2>/dev/null || true
	SINK_PID=''
	return 0
}

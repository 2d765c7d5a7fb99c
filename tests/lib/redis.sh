# shellcheck shell=bash
# tests/lib/redis.sh - a private redis-server for the rate-limit tests.
#
# Source it from bash. The server is Debian's /usr/bin/redis-server (package
# redis-server; redis-cli from redis-tools), bound to 127.0.0.1 only, on a
# free port, with its own directory, in the foreground (--daemonize no) in
# the background of the test, stopped by its PID - never by name. It keeps
# nothing on disk unless REDIS_PERSIST=1 (then an append-only file in its
# directory, so a restart keeps the counts).
#
#   redis_start DIR      write DIR/redis.conf, start the server on a free port
#                        (kept for later starts in the same shell), log to
#                        DIR/redis.log; wait (<= REDIS_DEADLINE s, default 30)
#                        until `redis-cli ping` answers PONG. A fresh port is
#                        tried again when another process took it first; a
#                        restart (second call) insists on the same port.
#                        Exports REDIS_DIR REDIS_PORT REDIS_PID REDIS_LOG
#                        REDIS_URI (redis://127.0.0.1:PORT/0).
#   redis_stop           SIGCONT+SIGTERM (SIGKILL after 5 s), reap, then wait
#                        until the port refuses connections. Keeps DIR.
#   redis_restart        redis_stop, then redis_start on the same DIR and port.
#   redis_pause/redis_resume  SIGSTOP/SIGCONT, returning once the process is
#                        stopped / running: connections are accepted by the
#                        kernel, nothing answers (a hung server).
#   redis_ping           0 if the server answers PONG within 2 s.
#   redis_closed         0 if nothing accepts connections on REDIS_PORT.
#   redis_cli ARG...     redis-cli on the private server, bounded by timeout 5.
#   redis_cleanup        stop every instance; for the caller's EXIT trap (as
#                        t-metrics.sh does for its Prometheus: the trap is the
#                        caller's, so one trap stops everything the test
#                        started).
# per instance, set before redis_start (and kept for its restarts):
#   REDIS_PASSWORD       requirepass; redis_cli and redis_ping then AUTH.
#   REDIS_EXTRA          more redis.conf lines (e.g. "replicaof 127.0.0.1 P").
#   REDIS_PERSIST        1: the append-only file (see above); default 0.
# several servers at once (a primary and a replica):
#   redis_as NAME        make NAME the current instance (the first is "main"):
#                        the current one's REDIS_* are saved, NAME's restored;
#                        a NAME not seen yet starts empty, for redis_start in a
#                        directory of its own.
#   redis_on NAME CMD [ARG...]  CMD with NAME current, then back; CMD's status.
# for the milter nodes of these tests:
#   redis_node_policy TAG   the head of a node's policy on stdout: socket
#                        LDT_DIR/rw-TAG.sock, info, a closed relay for acme.com,
#                        no sender check, the file directory LDT_DIR/directory.conf
#                        (the caller adds its rate_limits and rate_store).
REDIS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=wait.sh
. "$REDIS_LIB_DIR/wait.sh"
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_DEADLINE=${REDIS_DEADLINE:-30}
if [ -x /usr/bin/python3 ]; then REDIS_PYTHON=/usr/bin/python3; else REDIS_PYTHON=python3; fi
# Defined and empty, never inherited: a test never stops what a parent
# process started.
REDIS_PID='' REDIS_PORT='' REDIS_DIR='' REDIS_LOG=/dev/null REDIS_URI=''
REDIS_PASSWORD='' REDIS_EXTRA='' REDIS_NAME=main REDIS_PERSIST=${REDIS_PERSIST:-0}
_REDIS_FIELDS=(REDIS_PID REDIS_PORT REDIS_DIR REDIS_LOG REDIS_URI REDIS_PASSWORD REDIS_EXTRA
	REDIS_PERSIST)
declare -A _REDIS_SAVED=()

# The kernel's choice of a free port on 127.0.0.1 (free_port of slapd.sh when
# it is loaded, so every helper picks ports the same way).
_redis_free_port() {
	if declare -F free_port >/dev/null; then
		free_port
	else
		"$REDIS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
	fi
}

# SECONDS CMD...: redis-cli on the current instance, bounded by timeout
# SECONDS. The password travels in the environment (REDISCLI_AUTH), not on
# the command line; unset without one (even empty, redis-cli sends AUTH).
_redis_cli_for() {
	local secs=$1
	shift
	if [ -n "$REDIS_PASSWORD" ]; then
		REDISCLI_AUTH=$REDIS_PASSWORD timeout "$secs" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
	else
		(unset REDISCLI_AUTH; timeout "$secs" redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@")
	fi
}

redis_cli() {
	_redis_cli_for 5 "$@"
}

redis_ping() {
	[ -n "$REDIS_PORT" ] || return 1
	[ "$(_redis_cli_for 2 ping 2>/dev/null)" = PONG ]
}

# bash's /dev/tcp: a refused connect fails at once; a SIGSTOPped server
# still accepts (the kernel completes the handshake), so this is "closed",
# not "not answering".
redis_closed() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null
}

_redis_alive() {
	kill -0 "$REDIS_PID" 2>/dev/null &&
		[ "$(awk '{ print $3 }' "/proc/$REDIS_PID/stat" 2>/dev/null)" != Z ]
}

_redis_up() { # 0 PONG, 2 the server is gone, 1 not yet
	redis_ping && return 0
	_redis_alive || return 2
	return 1
}

_redis_write_conf() {
	local dir=$1
	{
		echo "# written by tests/lib/redis.sh - a private redis-server"
		echo "bind 127.0.0.1"
		echo "port $REDIS_PORT"
		echo "dir $dir"
		echo "daemonize no"
		echo "supervised no"
		echo "logfile $dir/redis.log"
		echo "loglevel notice"
		echo "databases 4"
		echo "protected-mode yes"
		if [ "$REDIS_PERSIST" = 1 ]; then
			echo "save \"\""
			echo "appendonly yes"
			echo "appendfsync always"
		else
			echo "save \"\""
			echo "appendonly no"
		fi
		[ -z "$REDIS_PASSWORD" ] || echo "requirepass $REDIS_PASSWORD"
		[ -z "$REDIS_EXTRA" ] || printf '%s\n' "$REDIS_EXTRA"
	} >"$dir/redis.conf"
}

# One try on REDIS_PORT: 0 once it answers PONG, 1 if the server exited
# (port taken, bad config) or never answered.
_redis_try_start() {
	local dir=$1 deadline rc
	_redis_write_conf "$dir"
	"$REDIS_SERVER" "$dir/redis.conf" </dev/null >>"$dir/redis.stdout" 2>&1 &
	REDIS_PID=$!
	deadline=$(($(_wait_now_ms) + REDIS_DEADLINE * 1000))
	while :; do
		_redis_up
		rc=$?
		[ "$rc" -eq 0 ] && return 0
		[ "$rc" -eq 2 ] && break
		[ "$(_wait_now_ms)" -lt "$deadline" ] || break
		sleep 0.05
	done
	_stop_redis_pid
	return 1
}

redis_start() {
	local dir=$1 tries=0 fixed=0
	mkdir -p "$dir"
	REDIS_DIR=$dir
	REDIS_LOG=$dir/redis.log
	# a restart keeps its port: the milters under test have it in their URI
	[ -n "$REDIS_PORT" ] && fixed=1
	while :; do
		[ "$fixed" -eq 1 ] || REDIS_PORT=$(_redis_free_port)
		REDIS_URI="redis://127.0.0.1:$REDIS_PORT/0"
		_redis_try_start "$dir" && break
		tries=$((tries + 1))
		# only "address in use" on a kernel-chosen port is worth another port
		if [ "$fixed" -eq 1 ] || [ "$tries" -ge 5 ] ||
			! grep -q 'Address already in use' "$REDIS_LOG" 2>/dev/null; then
			echo "# redis-server did not answer PONG on 127.0.0.1:$REDIS_PORT; its log:"
			sed 's/^/#  /' "$REDIS_LOG" "$dir/redis.stdout" 2>/dev/null | tail -n 20
			return 1
		fi
	done
	export REDIS_DIR REDIS_PORT REDIS_PID REDIS_LOG REDIS_URI
}

_stop_redis_pid() {
	local i
	[ -n "$REDIS_PID" ] || return 0
	if kill -0 "$REDIS_PID" 2>/dev/null; then
		kill -CONT "$REDIS_PID" 2>/dev/null
		kill -TERM "$REDIS_PID" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			_redis_alive || break
			sleep 0.05
		done
		_redis_alive && kill -KILL "$REDIS_PID" 2>/dev/null
	fi
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=''
	return 0
}

redis_stop() {
	[ -n "$REDIS_PID" ] || return 0
	_stop_redis_pid
	# the process is reaped, so its listening socket is closed; the wait
	# only makes "refused from now on" a checked fact for the next step
	wait_for "$REDIS_DEADLINE" redis_closed
}

redis_restart() {
	redis_stop || return 1
	redis_start "$REDIS_DIR"
}

_redis_state_is() { # STATE: the process state letter of /proc/PID/stat
	[ "$(awk '{ print $3 }' "/proc/$REDIS_PID/stat" 2>/dev/null)" = "$1" ]
}

# Both return once the kernel shows the process stopped (T) / running again
# (not T): a signal is delivered asynchronously.
redis_pause() {
	kill -STOP "$REDIS_PID" && wait_for "$REDIS_DEADLINE" _redis_state_is T
}

redis_resume() {
	kill -CONT "$REDIS_PID" && wait_for "$REDIS_DEADLINE" eval '! _redis_state_is T'
}

redis_as() {
	local name=$1 v saved
	[ -n "$name" ] || { echo "redis_as: no name given" >&2; return 1; }
	[ "$name" != "$REDIS_NAME" ] || return 0
	saved=()
	for v in "${_REDIS_FIELDS[@]}"; do saved+=("${!v}"); done
	# unit separators: paths and config lines never hold \037
	_REDIS_SAVED[$REDIS_NAME]=$(IFS=$'\037'; printf '%s' "${saved[*]}")
	REDIS_NAME=$name
	if [ -n "${_REDIS_SAVED[$name]+set}" ]; then
		IFS=$'\037' read -r -a saved <<<"${_REDIS_SAVED[$name]}"
	else
		saved=('' '' '' /dev/null '' '' '' 0)
	fi
	for v in "${!_REDIS_FIELDS[@]}"; do
		printf -v "${_REDIS_FIELDS[$v]}" '%s' "${saved[$v]:-}"
		export "${_REDIS_FIELDS[$v]?}"
	done
}

redis_on() {
	local prev=$REDIS_NAME rc
	redis_as "$1" || return 1
	shift
	"$@"
	rc=$?
	redis_as "$prev"
	return $rc
}

# Every instance: the current one, then each saved one made current in turn.
redis_node_policy() {
	cat <<EOF
milter = { socket = "unix:$LDT_DIR/rw-$1.sock"; timeout = 30; };
log_level = "info";
config_update_interval = 0;
local_domains = [ "acme.com" ];
relay = { deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
verify_sender = { envelope = false; headers = false; };
directory = { backend = "file"; file = "directory.conf"; };
EOF
}

redis_cleanup() {
	local name
	_stop_redis_pid
	for name in "${!_REDIS_SAVED[@]}"; do
		[ "$name" != "$REDIS_NAME" ] || continue
		redis_as "$name"
		_stop_redis_pid
	done
}

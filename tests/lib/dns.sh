# shellcheck shell=bash
# tests/lib/dns.sh - a private DNS server (Debian's unbound) with the
# fixture records of tests/dns/zones.conf, and a UDP port that never
# answers, for the tests of DESIGN §1/§3's DNS controls.
#
# Source it from bash. Both bind 127.0.0.1 only, on free ports, and are
# stopped by PID, never by name.
#
#   dns_start DIR [PORT] unbound in the foreground (-d) with DIR/unbound.conf,
#                        logging every query to DIR/unbound.log; waits (<= 30 s)
#                        until it answers a query for the fixture zone (not
#                        merely until its port is bound). Exports DNS_PORT,
#                        DNS_PID, DNS_LOG.
#   dns_stop             SIGTERM, reap.
#   dns_queries NAME     how many queries for NAME (fully qualified, no
#                        trailing dot) unbound has logged (it logs a query when
#                        it reads it, before it answers).
#   silent_start DIR [PORT]  a UDP socket on PORT (default: a free one) that
#                        reads nothing and answers nothing; waits (<= 30 s) for
#                        the port file it writes (tmp + rename) once bound.
#                        Exports SILENT_PORT, SILENT_PID.
#   silent_stop
DNS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DNS_FIXTURES=${DNS_FIXTURES:-$DNS_LIB_DIR/../dns/zones.conf}
if [ -x /usr/bin/python3 ]; then DNS_PYTHON=/usr/bin/python3; else DNS_PYTHON=python3; fi
DNS_PID='' DNS_PORT='' DNS_LOG=/dev/null SILENT_PID='' SILENT_PORT=''
# shellcheck source=wait.sh
. "$DNS_LIB_DIR/wait.sh"

# A port free for both UDP and TCP on 127.0.0.1.
dns_free_port() {
	"$DNS_PYTHON" - <<'PY'
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break
PY
}

_dns_answers() { # PORT: 0 once a query for the fixture zone gets any answer
	"$DNS_PYTHON" - "$1" <<'PY'
import socket, sys
q = bytes.fromhex("1234010000010000000000000470696e6704746573740000010001")  # ping.test A
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
try:
    s.recv(512)
except OSError:
    sys.exit(1)
PY
}

dns_start() {
	local dir=$1
	mkdir -p "$dir"
	DNS_PORT=${2:-$(dns_free_port)}
	DNS_LOG=$dir/unbound.log
	cat >"$dir/unbound.conf" <<CONF
server:
  interface: 127.0.0.1
  port: $DNS_PORT
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$dir"
  pidfile: ""
  use-syslog: no
  logfile: ""
  log-queries: yes
  verbosity: 1
  do-ip6: no
  do-tcp: yes
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  num-threads: 1
  include: "$DNS_FIXTURES"
remote-control:
  control-enable: no
CONF
	unbound -d -c "$dir/unbound.conf" >"$DNS_LOG" 2>&1 &
	DNS_PID=$!
	local deadline=$(($(_wait_now_ms) + 30000))
	while :; do
		_dns_answers "$DNS_PORT" && return 0
		kill -0 "$DNS_PID" 2>/dev/null || break
		[ "$(_wait_now_ms)" -lt "$deadline" ] || break
		sleep 0.05
	done
	echo "# unbound did not start:" >&2
	sed 's/^/#   /' "$DNS_LOG" >&2
	return 1
}

dns_stop() {
	[ -n "$DNS_PID" ] || return 0
	kill -TERM "$DNS_PID" 2>/dev/null || true
	wait "$DNS_PID" 2>/dev/null || true
	DNS_PID=''
	return 0
}

dns_queries() {
	grep -ciF " $1. " "$DNS_LOG"
}

silent_start() {
	local dir=$1 port=${2:-0} i
	mkdir -p "$dir"
	rm -f "$dir/silent.port"
	"$DNS_PYTHON" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(100000)' "$port" "$dir/silent.port" &
	SILENT_PID=$!
	for ((i = 0; i < 600; i++)); do   # <= 30 s
		[ -s "$dir/silent.port" ] && break
		kill -0 "$SILENT_PID" 2>/dev/null || break
		sleep 0.05
	done
	SILENT_PORT=$(cat "$dir/silent.port" 2>/dev/null)
	[ -n "$SILENT_PORT" ]
}

silent_stop() {
	[ -n "$SILENT_PID" ] || return 0
	kill -TERM "$SILENT_PID" 2>/dev/null || true
	wait "$SILENT_PID" 2>/dev/null || true
	SILENT_PID=''
	return 0
}

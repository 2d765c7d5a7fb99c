#!/usr/bin/env bash
# t-metrics.sh - metrics.listen, scraped by a real Prometheus server.
#
# A private slapd and relaywarden (metrics on a loopback port); miltertest
# drives a known mix: N relay refusals (unauthenticated, external
# recipient: 554), M accepted local recipients, one authenticated sender
# the directory knows, K authenticated senders while slapd is stopped (451
# 4.7.1), one after slapd is back (recovery); then one good reload (which
# also moves metrics.listen: a warning, the listener stays) and one broken
# reload. A Prometheus server of our own (private config and storage,
# scrape_interval 1s) scrapes it; once its API shows the final session
# count, every figure is asserted exactly through the API, and the raw
# /metrics text passes `promtool check metrics` with nothing to say.
#
# Then the held clients: connections that send nothing and connections
# that ask and never read (SO_RCVBUF at its minimum, so the response stays
# stuck in the milter's send buffer). While they are held, milter sessions
# are served and a scrape answers; then the milter closes each held client
# at its deadline (log lines, a reset at the client). Last, metrics on a
# unix socket: mode 0660, and a scrape answers when every client slot is
# held (the oldest client is evicted), the socket removed at stop.
# Usage: tests/milter/t-metrics.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init metrics "${1:-}"

PROM_PID=''
trap '_stop_pid "$PROM_PID" 5; _ldt_cleanup' EXIT
N=3 M=2 K=2 HOLD=6
RELAY_REPLY="554 5.7.1 Relay rejected for policy reasons."

# ---------------------------------------------------------------- helpers

# http_get PATH [METHOD]: one raw request; prints the status line, the
# header lines and then "BODY <bytes>" (python3: the exact bytes on the wire).
http_get() {
	"$LDT_PYTHON" - "$MPORT" "$1" "${2:-GET}" <<'EOF'
import socket, sys
port, path, method = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=20)
# PATH "-": METHOD is the whole request, with \r and \n escapes
s.sendall(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (method, path)).encode()
          if path != "-" else method.encode().decode("unicode_escape").encode())
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
head, _, body = data.partition(b"\r\n\r\n")
print(head.decode().replace("\r\n", "\n"))
print("BODY %d" % len(body))
EOF
}

# prom_value QUERY: the value of an instant query's single result ("none"
# when it has no result yet).
prom_value() {
	curl -s --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		"$LDT_PYTHON" -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
except Exception:
    print("none"); sys.exit(0)
print(r[0]["value"][1] if len(r) == 1 else "none" if not r else "many")'
}

prom_is() { [ "$(prom_value "$1")" = "$2" ]; }

expect_prom() { # DESC QUERY WANT
	local got
	got=$(prom_value "$2")
	[ "$got" = "$3" ] || ldt_fail "$1: Prometheus says $2 = $got, expected $3"
}

# Server-side sockets of the metrics port: established ones, and those
# with unsent bytes (tx_queue) - from /proc/net/tcp, the kernel's view.
metrics_conns() { # all|stuck
	awk -v port="$(printf '%04X' "$MPORT")" -v what="$1" '
		NR > 1 { split($2, l, ":"); split($5, q, ":")
			if (l[2] == port && $4 == "01" && (what == "all" || q[1] != "00000000")) n++ }
		END { print n + 0 }' /proc/net/tcp
}

_gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
log_count() { grep -c -F -- "$1" "$LDT_DIR/rw.log"; }
# For wait_for, which runs its command again each time: NAME WANT [ARG].
count_is() { [ "$("$1" "${3:-}")" -eq "$2" ]; }

# ---------------------------------------------------------------- the mix

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
MPORT=$(free_port)
ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
printf 'metrics = { listen = "127.0.0.1:%s"; };\n' "$MPORT" >>"$LDT_DIR/policy.conf"
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1
RW_PID=${LDT_RW_PID[main]}
[ "$(log_count "metrics listening on 127.0.0.1:$MPORT ")" = 1 ] ||
	ldt_fail "no line \"metrics listening on 127.0.0.1:$MPORT\" in the log"

for ((i = 1; i <= N; i++)); do
	ldt_expect_rcpt "relay refusal $i" "<user$i@elsewhere.example>" "$RELAY_REPLY"
done
for ((i = 1; i <= M; i++)); do
	ldt_expect_rcpt "local recipient $i" "<john.doe@acme.com>" ""
done
ldt_expect "known sender, slapd up" jdoe "<john.doe@acme.com>" continue
slapd_stop
for ((i = 1; i <= K; i++)); do
	ldt_expect "slapd stopped, attempt $i" asmith "<alice.smith@acme.com>" tempfail
done
slapd_restart || { ldt_fail "slapd did not restart on port $SLAPD_PORT"; exit 1; }
ldt_expect "slapd back: recovered" asmith "<alice.smith@acme.com>" continue
SESSIONS=$((N + M + 1 + K + 1))

# A good reload that moves metrics.listen (it stays where it is, with a
# warning), then a broken one (the running policy stays).
NEWPORT=$(free_port)
ME=$BASHPID    # the sender of our SIGUSR1s (read outside any $(...))
sed -i "s/^metrics = .*/metrics = { listen = \"127.0.0.1:$NEWPORT\"; };/" "$LDT_DIR/policy.conf"
mark=$(log_mark "$LDT_DIR/rw.log")
kill -USR1 "$RW_PID"
[ "$(reload_outcome "$LDT_DIR/rw.log" "$mark" "$ME" 30)" = reloaded ] ||
	ldt_fail "the good reload was not reported as done"
log_wait "$LDT_DIR/rw.log" "$mark" 30 \
	"metrics.listen changed to \"127.0.0.1:$NEWPORT\"; it takes effect at the next restart" ||
	ldt_fail "no warning that a changed metrics.listen waits for a restart"
cp "$LDT_DIR/policy.conf" "$LDT_DIR/policy.good"
printf 'relay = { enforce = "sometimes"; };\n' >>"$LDT_DIR/policy.conf"
mark=$(log_mark "$LDT_DIR/rw.log")
kill -USR1 "$RW_PID"
[ "$(reload_outcome "$LDT_DIR/rw.log" "$mark" "$ME" 30)" = failed ] ||
	ldt_fail "the broken reload was not reported as failed"
cp "$LDT_DIR/policy.good" "$LDT_DIR/policy.conf"

# ---------------------------------------------------------------- the endpoint itself

http_get /metrics >"$LDT_DIR/metrics.head"
grep -qx 'HTTP/1.0 200 OK' "$LDT_DIR/metrics.head" &&
	grep -qx 'Content-Type: text/plain; version=0.0.4; charset=utf-8' "$LDT_DIR/metrics.head" &&
	grep -qx 'Connection: close' "$LDT_DIR/metrics.head" ||
	ldt_fail "GET /metrics: $(tr '\n' ' ' <"$LDT_DIR/metrics.head")"
clen=$(sed -n 's/^Content-Length: //p' "$LDT_DIR/metrics.head")
blen=$(sed -n 's/^BODY //p' "$LDT_DIR/metrics.head")
[ -n "$clen" ] && [ "$clen" = "$blen" ] ||
	ldt_fail "GET /metrics: Content-Length $clen, but $blen bytes of body"
for want in "/ GET|HTTP/1.0 200 OK" "/nothing GET|HTTP/1.0 404 Not Found" \
	"/metrics POST|HTTP/1.0 405 Method Not Allowed" "- junk\r\n\r\n|HTTP/1.0 400 Bad Request"; do
	req=${want%%|*}
	status=$(http_get "${req%% *}" "${req#* }" | sed -n 1p)
	[ "$status" = "${want#*|}" ] || ldt_fail "request \"$req\": got \"$status\", expected \"${want#*|}\""
done
curl -s --max-time 10 "http://127.0.0.1:$MPORT/metrics" >"$LDT_DIR/metrics.txt"
if ! promtool check metrics <"$LDT_DIR/metrics.txt" >"$LDT_DIR/promtool.out" 2>&1 ||
	[ -s "$LDT_DIR/promtool.out" ]; then
	ldt_fail "promtool check metrics: $(tr '\n' ' ' <"$LDT_DIR/promtool.out")"
fi
ldt_note "/metrics: $(wc -c <"$LDT_DIR/metrics.txt") bytes, $(grep -vc '^#' "$LDT_DIR/metrics.txt") samples"

# ---------------------------------------------------------------- Prometheus

PPORT=$(free_port)
mkdir -p "$LDT_DIR/prom"
cat >"$LDT_DIR/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: relaywarden
    static_configs:
      - targets: [ "127.0.0.1:$MPORT" ]
EOF
promtool check config "$LDT_DIR/prom/prometheus.yml" >/dev/null 2>&1 ||
	ldt_fail "promtool check config refused the test's prometheus.yml"
/usr/bin/prometheus --config.file="$LDT_DIR/prom/prometheus.yml" \
	--storage.tsdb.path="$LDT_DIR/prom/data" --web.listen-address="127.0.0.1:$PPORT" \
	>"$LDT_DIR/prom/prometheus.log" 2>&1 </dev/null &
PROM_PID=$!
if ! wait_for 60 prom_is "relaywarden_sessions_total" "$SESSIONS"; then
	ldt_fail "Prometheus never showed relaywarden_sessions_total = $SESSIONS (now $(prom_value relaywarden_sessions_total)); its log: $(tail -n 5 "$LDT_DIR/prom/prometheus.log" | tr '\n' ' ')"
fi
expect_prom "scrape health" 'up{job="relaywarden"}' 1
expect_prom "relay refusals" \
	'relaywarden_decisions_total{stage="rcpt",rule="relay",decision="reject",code="554"}' "$N"
expect_prom "accepted recipients" 'sum(relaywarden_decisions_total{stage="rcpt",decision="accept"})' "$M"
expect_prom "directory tempfails" \
	'sum(relaywarden_decisions_total{rule="directory",decision="tempfail",code="451"})' "$K"
expect_prom "MAIL accepts" 'sum(relaywarden_decisions_total{stage="mail",decision="accept"})' \
	$((N + M + 2))
expect_prom "directory failures" 'relaywarden_directory_failures_total{backend="ldap"}' "$K"
expect_prom "directory found" 'relaywarden_directory_lookups_total{backend="ldap",result="found"}' 2
expect_prom "directory latency count" \
	'relaywarden_directory_lookup_duration_seconds_count{backend="ldap"}' $((K + 2))
expect_prom "sessions live" 'relaywarden_sessions' 0
expect_prom "good reloads" 'relaywarden_reloads_total{result="success"}' 1
expect_prom "failed reloads" 'relaywarden_reloads_total{result="failure"}' 1
expect_prom "policy generation" 'relaywarden_policy_generation' 2
expect_prom "last reload failed" 'relaywarden_policy_last_reload_failed' 1
expect_prom "build info" 'relaywarden_build_info{version="'"$("$RELAYWARDEN" version | cut -d' ' -f2)"'"}' 1
_stop_pid "$PROM_PID" 5
PROM_PID=''

# ---------------------------------------------------------------- held clients

"$LDT_PYTHON" - "$MPORT" "$HOLD" "$LDT_DIR/held" <<'EOF' &
import os, select, socket, sys
port, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
stuck = []
for _ in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)    # the kernel's minimum
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    stuck.append(s)
with open(out + ".ready", "w") as f:
    f.write("held\n")
# Wait until the test says "read": until then nothing is read.
while not os.path.exists(out + ".go"):
    select.select([], [], [], 0.05)
ends = []
for s in silent + stuck:
    s.settimeout(60)
    got, end = 0, "eof"
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += len(b)
    except ConnectionResetError:
        end = "reset"
    except socket.timeout:
        end = "timeout"
    ends.append("%s %d" % (end, got))
with open(out, "w") as f:
    f.write("\n".join(ends) + "\n")
EOF
HOLDER=$!
wait_for 30 test -f "$LDT_DIR/held.ready" || ldt_fail "the holding client did not connect"
wait_for 30 count_is metrics_conns "$HOLD" stuck ||
	ldt_fail "expected $HOLD connections stuck with unsent bytes, /proc/net/tcp has $(metrics_conns stuck)"
for ((i = 1; i <= 3; i++)); do
	ldt_expect_rcpt "while held: relay refusal $i" "<held$i@elsewhere.example>" "$RELAY_REPLY"
done
curl -s --max-time 10 "http://127.0.0.1:$MPORT/metrics" >"$LDT_DIR/metrics.held"
grep -qx "relaywarden_sessions_total $((SESSIONS + 3))" "$LDT_DIR/metrics.held" ||
	ldt_fail "while held: a scrape did not answer sessions_total $((SESSIONS + 3)): $(grep sessions_total "$LDT_DIR/metrics.held")"
# Still held, so the sessions and the scrape above were served beside them.
[ "$(metrics_conns all)" -eq $((HOLD * 2)) ] ||
	ldt_fail "inconclusive: only $(metrics_conns all) of $((HOLD * 2)) held clients were open after the sessions"
wait_for 60 count_is log_count "$HOLD" 'closed reason=timeout-reading' ||
	ldt_fail "silent clients closed at their deadline: $(log_count 'closed reason=timeout-reading') of $HOLD"
wait_for 60 count_is log_count "$HOLD" 'closed reason=timeout-writing' ||
	ldt_fail "non-reading clients closed at their deadline: $(log_count 'closed reason=timeout-writing') of $HOLD"
touch "$LDT_DIR/held.go"
wait_for 60 test -s "$LDT_DIR/held" || ldt_fail "the holding client did not finish"
wait "$HOLDER" 2>/dev/null
full=$(wc -c <"$LDT_DIR/metrics.held")
# A client closed at its deadline gets a reset (SO_LINGER 0: what the
# milter had not sent yet is dropped, not left to the kernel to deliver).
silent_ok=$(head -n "$HOLD" "$LDT_DIR/held" | grep -cx 'reset 0')
[ "$silent_ok" -eq "$HOLD" ] || ldt_fail "silent clients: $(head -n "$HOLD" "$LDT_DIR/held" | tr '\n' ',') (want reset 0)"
cut=$(tail -n "$HOLD" "$LDT_DIR/held" | awk -v full="$full" '$1 == "reset" && $2 < full { n++ } END { print n + 0 }')
[ "$cut" -eq "$HOLD" ] || ldt_fail "non-reading clients: $(tail -n "$HOLD" "$LDT_DIR/held" | tr '\n' ',')"
ldt_note "non-reading clients got: $(tail -n "$HOLD" "$LDT_DIR/held" | tr '\n' ',') of a $full-byte body"
ldt_expect_rcpt "after the held clients" "<after@elsewhere.example>" "$RELAY_REPLY"

ldt_milter_alive || ldt_fail "relaywarden did not survive"

# ---------------------------------------------------------------- unix: and a full table

# A second milter whose metrics are on a unix socket (mode 0660). With
# every client slot held by a silent client, a scrape still answers: the
# oldest held client makes room (one "evicted" line).
ldt_policy "$LDT_DIR/unix.conf" "unix:$LDT_DIR/rw-unix.sock" "\"$SLAPD_URI\""
printf 'metrics = { listen = "unix:%s/m.sock"; };\n' "$LDT_DIR" >>"$LDT_DIR/unix.conf"
ldt_milter_start "$LDT_DIR/unix.conf" unix || exit 1
[ "$(stat -c %a "$LDT_DIR/m.sock")" = 660 ] ||
	ldt_fail "unix: metrics socket mode $(stat -c %a "$LDT_DIR/m.sock"), expected 660"
"$LDT_PYTHON" - "$LDT_DIR/m.sock" 16 "$LDT_DIR/full" <<'EOF2' &
import os, select, socket, sys
path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
held = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    held.append(s)
open(out + ".ready", "w").close()
while not os.path.exists(out + ".go"):
    select.select([], [], [], 0.05)
EOF2
FULL=$!
wait_for 30 test -f "$LDT_DIR/full.ready" || ldt_fail "unix: the 16 clients did not connect"
curl -s --max-time 10 --unix-socket "$LDT_DIR/m.sock" http://localhost/metrics >"$LDT_DIR/metrics.unix"
promtool check metrics <"$LDT_DIR/metrics.unix" >"$LDT_DIR/promtool.unix" 2>&1 &&
	[ ! -s "$LDT_DIR/promtool.unix" ] && grep -qx 'relaywarden_sessions_total 0' "$LDT_DIR/metrics.unix" ||
	ldt_fail "unix: a scrape with every slot held: $(head -c 300 "$LDT_DIR/metrics.unix" | tr '\n' ' ') $(cat "$LDT_DIR/promtool.unix")"
[ "$(grep -c 'closed reason=evicted' "$LDT_DIR/rw-unix.log")" -eq 1 ] ||
	ldt_fail "unix: expected one evicted client, the log has $(grep -c 'closed reason=evicted' "$LDT_DIR/rw-unix.log")"
touch "$LDT_DIR/full.go"
wait "$FULL" 2>/dev/null

# A clean stop (libmilter notices SIGTERM at its next 5-second poll)
# removes the socket; waited for, never killed early.
unix_pid=${LDT_RW_PID[unix]}
kill -TERM "$unix_pid" "${LDT_RW_PID[main]}"
wait_for 60 _gone "$unix_pid" || ldt_fail "unix: relaywarden did not stop on SIGTERM"
[ ! -e "$LDT_DIR/m.sock" ] || ldt_fail "unix: the metrics socket was not removed at stop"
ldt_milters_stop
ldt_finish

#!/usr/bin/env bash
# t-recovery.sh - a DNS outage defers and the milter recovers by itself
# (non-negotiable 4): with dns.servers pointing at a port that never
# answers, a client listed in a reject DNS list is deferred with 451 4.4.3
# (never accepted unchecked, never refused); once a real server answers on
# that same port, the next connection is judged - without a restart or a
# reload, because failures are never cached.
# Usage: tests/dns/t-recovery.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
# shellcheck source=../lib/dns.sh
. "$(dirname "$0")/../lib/dns.sh"
ldt_init dns-recovery "${1:-}"
trap '_ldt_cleanup; dns_stop; silent_stop' EXIT

silent_start "$LDT_DIR/dns" || { ldt_fail "the silent UDP port did not start"; exit 1; }
cat >"$LDT_DIR/policy.conf" <<CONF
milter = { socket = "unix:$LDT_DIR/rw.sock"; };
config_update_interval = 0;
local_domains = [ "acme.com" ];
relay = { deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
connection = { dnsbl = ( { zone = "bl.test"; action = "reject"; } ); };
dns = { servers = [ "127.0.0.1:$SILENT_PORT" ]; timeout = 1; };
directory = { backend = "file"; file = "$LDT_TOP/tests/milter/policies/directory.conf"; };
CONF
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

cat >"$LDT_DIR/connect.lua" <<'LUA'
local conn = mt.connect("unix:" .. os.getenv("DT_SOCK"), 40, 0.25)
if conn == nil then error("connect failed") end
mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "smtp")
mt.conninfo(conn, "unknown", "127.0.0.2")
local r = mt.getreply(conn)
print(r == SMFIR_CONTINUE and "CODE=continue" or r == SMFIR_REPLYCODE and "CODE=replycode"
	or "CODE=other")
mt.disconnect(conn)
LUA

# expect_connect DESC WANT-REPLY
expect_connect() {
	local desc=$1 want=$2 before out code line text
	before=$(grep -c ' stage=connect ' "$LDT_DIR/rw.log")
	out=$(DT_SOCK="$LDT_DIR/rw.sock" miltertest -s "$LDT_DIR/connect.lua" 2>&1)
	code=$(printf '%s\n' "$out" | sed -n 's/^CODE=//p')
	line=$(grep ' stage=connect ' "$LDT_DIR/rw.log" | tail -n +$((before + 1)) | head -n 1)
	text=$(printf '%s\n' "$line" | sed -n 's/.* reply="\([^"]*\)".*/\1/p')
	if [ "$code" = replycode ] && [ "$text" = "$want" ]; then
		echo "ok - $desc -> $text"
		return 0
	fi
	ldt_fail "$desc: got $code \"$text\", expected \"$want\"; $out; log: $line"
}

expect_connect "DNS server silent" "451 4.4.3 DNS lookup failed, try again later"
expect_connect "still silent: asked again, still deferred" \
	"451 4.4.3 DNS lookup failed, try again later"
silent_stop
dns_start "$LDT_DIR/dns" "$SILENT_PORT" || { ldt_fail "unbound did not start on $SILENT_PORT"; exit 1; }
expect_connect "a server answers on that port again" \
	"550 5.7.1 Mail from 127.0.0.2 refused: listed at bl.test"
ldt_milter_alive || ldt_fail "the milter died"
ldt_finish

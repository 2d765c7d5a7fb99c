#!/usr/bin/env bash
# t-rate-readme.sh - README's rate_limits block (<!-- test: rate-limits -->),
# applied as written to a closed relay with the file directory, driven by
# miltertest with its real numbers:
#  (a) per-login (200 messages an hour): jdoe's 200 messages from 200
#      clients pass, the 201st gets exactly "451 4.7.1 Rate limit exceeded,
#      try again later" with limit=per-login key=login:jdoe in the log;
#      "John Doe" (the same user, another login name) is refused too;
#  (b) exempt_logins: scanner sends 210 unlimited;
#  (c) per-client (100 a minute): one client's 101st message is refused by
#      per-client, whatever the login;
#  (d) exempt_hosts through the AppServers group: 10.20.5.7 sends 110;
#  and the log holds exactly those 3 rate_limit refusals.
# Usage: tests/milter/t-rate-readme.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
# shellcheck source=../lib/rate.sh
. "$(dirname "$0")/../lib/rate.sh"
ldt_init rate-readme "${1:-}"

BLOCK=$(ldt_readme_block rate-limits) || { ldt_fail "README block rate-limits"; exit 1; }
POL=$LDT_DIR/rw.conf
cat >"$LDT_DIR/directory.conf" <<'EOF'
users = (
  { login = "jdoe"; names = [ "John Doe" ]; addresses = [ "john.doe@acme.com" ]; },
  { login = "scanner"; addresses = [ "scanner@acme.com" ]; },
  { login = "mary"; addresses = [ "mary@acme.com" ]; },
  { login = "bob"; addresses = [ "bob@acme.com" ]; },
  { login = "eve"; addresses = [ "eve@acme.com" ]; }
);
groups = ( );
EOF
{
	cat <<CONF
milter = { socket = "unix:$LDT_DIR/rw.sock"; timeout = 30; };
log_level = "info";
config_update_interval = 0;
local_domains = [ "acme.com" ];
relay = { deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
directory = { backend = "file"; file = "directory.conf"; };
CONF
	printf '%s\n' "$BLOCK"
} >"$POL"
ldt_milter_start "$POL" || exit 1

burst() { # DESC LOGIN FROM N WANT IP...
	local desc=$1 login=$2
	shift 2
	rate_burst "$desc" "$LDT_DIR/rw.sock" "$login" "$@"
}
LOG=$LDT_DIR/rw.log
REPLY='reply="451 4.7.1 Rate limit exceeded, try again later"'
has_line() { # DESC TEXT...: one decision line holds every TEXT
	local desc=$1 line
	shift
	line=$(grep -F " stage=rcpt " "$LOG" | grep -F "$1")
	for t in "$@"; do line=$(printf '%s\n' "$line" | grep -F -- "$t"); done
	[ -n "$line" ] || ldt_fail "$desc: no decision line with: $*"
}

# (a) 200 messages, each from another client (per-client never counts to 2)
burst "jdoe, 201 messages from 201 clients" jdoe john.doe@acme.com 201 \
	"continue=200 refused=1 first_refused=201" $(many_ips 198.51.100 200) 203.0.113.1
has_line "(a) the 201st" "auth=jdoe " "$REPLY" "rule=rate_limit" \
	'detail="limit=per-login key=login:jdoe messages=200/200 recipients=200/2000 per=3600 store=memory"'
burst "John Doe is jdoe: refused too" "John Doe" john.doe@acme.com 1 \
	"continue=0 refused=1 first_refused=1" 203.0.113.2
has_line "(a) John Doe" 'auth=John\x20Doe ' 'key=login:jdoe messages=200/200'

# (b) exempt_logins
burst "scanner is exempt" scanner scanner@acme.com 210 \
	"continue=210 refused=0 first_refused=0" $(many_ips 198.51.101 210)

# (c) per-client: 100 messages a minute from 192.0.2.50, whoever sends them
burst "mary from one client" mary mary@acme.com 60 "continue=60 refused=0 first_refused=0" 192.0.2.50
burst "bob from the same client" bob bob@acme.com 41 "continue=40 refused=1 first_refused=41" 192.0.2.50
has_line "(c) the 101st from 192.0.2.50" "auth=bob " "$REPLY" \
	'detail="limit=per-client key=client:192.0.2.50 messages=100/100 per=60 store=memory"'

# (d) exempt_hosts, through the group AppServers
burst "10.20.5.7 is an AppServer" eve eve@acme.com 110 "continue=110 refused=0 first_refused=0" 10.20.5.7

ldt_milter_alive || ldt_fail "relaywarden died during the test"
n=$(grep -F " stage=rcpt " "$LOG" | grep -cF "rule=rate_limit")
[ "$n" -eq 3 ] || ldt_fail "$n rate_limit refusals in the log, expected 3"
ldt_finish

#!/usr/bin/env bash
# t-cluster-node.sh - the shipped policies/examples/cluster-node.conf (a node
# of "Running several MTAs") on a private slapd and redis-server, its
# addresses rewritten to them, each list's FIRST entry left dead (nothing
# listens there): the node's own LDAP replica and the first Redis are down.
#  (a) verify sender answers from the second LDAP URI: john.doe@ is owned
#      by jdoe, alice.smith@ is not (exact 550), never a 451;
#  (b) per-login, shared through the second Redis: jdoe's 201st message of
#      the hour, each from another client, gets exactly "451 4.7.1 Rate
#      limit exceeded, try again later" with store=redis;
#  (c) per-client: one client's 101st message in a minute is refused, an
#      AppServers host is exempt;
#  (d) Redis stopped: the next recipient gets exactly "451 4.7.1 Rate limit
#      store unavailable, try again later" (on_failure = "tempfail").
# Usage: tests/milter/t-cluster-node.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
# shellcheck source=../lib/redis.sh
. "$(dirname "$0")/../lib/redis.sh"
# shellcheck source=../lib/rate.sh
. "$(dirname "$0")/../lib/rate.sh"
ldt_init cluster-node "${1:-}"
trap 'redis_cleanup; _ldt_cleanup' EXIT

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
redis_start "$LDT_DIR/redis" || { ldt_fail "redis-server did not start"; exit 1; }
DEAD_LDAP=$(free_port) DEAD_REDIS=$(free_port) METRICS=$(free_port)
SOCK=$LDT_DIR/rw.sock POL=$LDT_DIR/rw.conf
sed -e "s#unix:/var/spool/postfix/relaywarden/relaywarden.sock#unix:$SOCK#" \
	-e "s#unix:/run/relaywarden/control.sock#unix:$LDT_DIR/ctl.sock#" \
	-e "s#127.0.0.1:9749#127.0.0.1:$METRICS#" \
	-e "s#ldap://127.0.0.1/#ldap://127.0.0.1:$DEAD_LDAP/#" \
	-e "s#ldap://ldap-provider.acme.com/#$SLAPD_URI#" \
	-e "s#redis://10.20.0.30:6379/0#redis://127.0.0.1:$DEAD_REDIS/0#" \
	-e "s#redis://10.20.0.31:6379/0#$REDIS_URI#" \
	-e "s#\"10.20.5.7\"#\"192.0.2.77\"#" \
	"$LDT_TOP/policies/examples/cluster-node.conf" >"$POL"
for want in "$SOCK" "$SLAPD_URI" "$REDIS_URI" ":$DEAD_LDAP/" ":$DEAD_REDIS/" '"192.0.2.77"'; do
	grep -qF -- "$want" "$POL" || { ldt_fail "the example no longer has what this test rewrites to $want"; exit 1; }
done
ldt_milter_start "$POL" || exit 1
LOG=$LDT_DIR/rw.log

# (a)
ldt_expect "jdoe as john.doe@ (owned), LDAP replica down" jdoe "<john.doe@acme.com>" continue
ldt_expect "jdoe as alice.smith@ (not owned)" jdoe "<alice.smith@acme.com>" reject
n=$(grep -c 'decision=tempfail' "$LOG")
[ "$n" -eq 0 ] || ldt_fail "$n tempfail decisions with one LDAP URI down"

# (b) (ldt_expect stops at MAIL: nothing counted yet)
rate_burst "jdoe: 201 messages from 201 clients" "$SOCK" jdoe john.doe@acme.com 201 \
	"continue=200 refused=1 first_refused=201" $(many_ips 198.51.100 200) 203.0.113.1
grep -F " stage=rcpt " "$LOG" | grep -F "auth=jdoe " |
	grep -qF 'reply="451 4.7.1 Rate limit exceeded, try again later" detail="limit=per-login key=login:jdoe messages=200/200 recipients=200/2000 per=3600 store=redis"' ||
	ldt_fail "(b) no per-login refusal line counted in Redis"
[ "$(redis_cli hlen relaywarden:rl:per-login:3600:login:jdoe)" -ge 1 ] ||
	ldt_fail "(b) no per-login key for jdoe in Redis"

# (c)
rate_burst "asmith: 101 messages from one client" "$SOCK" asmith alice.smith@acme.com 101 \
	"continue=100 refused=1 first_refused=101" 192.0.2.60
grep -F " stage=rcpt " "$LOG" | grep -F "auth=asmith " |
	grep -qF 'detail="limit=per-client key=client:192.0.2.60 messages=100/100 per=60 store=redis"' ||
	ldt_fail "(c) no per-client refusal line"
rate_burst "boss from an AppServers host: exempt" "$SOCK" boss boss@acme.com 105 \
	"continue=105 refused=0 first_refused=0" 192.0.2.77

# (d)
redis_stop
rate_burst "Redis stopped" "$SOCK" boss boss@acme.com 1 "continue=0 refused=1 first_refused=1" 192.0.2.61
grep -F " stage=rcpt " "$LOG" | grep -F "auth=boss " |
	grep -qF 'rule=rate_store client=unknown[192.0.2.61] auth=boss from=<boss@acme.com> rcpt=<someone@remote.example> reason="rate limit store unavailable" reply="451 4.7.1 Rate limit store unavailable, try again later"' ||
	ldt_fail "(d) no store-unavailable line"

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

#!/usr/bin/env bash
# t-rate-redis-auth.sh - issue 19's Redis store against a primary that
# requires a password (requirepass) and a read-only replica of it
# (tests/lib/redis.sh, two instances), one relaywarden node per case
# (per-login, 2 messages an hour, on_failure = "tempfail"):
#  (a) GOOD: password_file with the password, redis://.../2: jdoe's two
#      messages pass, the third gets "451 4.7.1 Rate limit exceeded, try
#      again later" (store=redis); the key is in database 2, none in 0;
#  (b) RO: the replica only: every RCPT of a new login gets exactly "451 4.7.1 Rate limit
#      store unavailable, try again later" (rule=rate_store), the outage
#      logged once, naming READONLY;
#  (c) FAILOVER: [ replica, primary ]: READONLY passes on to the next URI,
#      so mary's messages are counted on the primary (2 pass, 1 over);
#  (d) BADPW / NOPW: a wrong password, no password: the store-unavailable
#      reply, the outage logged once;
#  (e) relaywarden check refuses a password_file others may read.
# Usage: tests/milter/t-rate-redis-auth.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
# shellcheck source=../lib/redis.sh
. "$(dirname "$0")/../lib/redis.sh"
ldt_init rate-redis-auth "${1:-}"
trap 'redis_cleanup; _ldt_cleanup' EXIT

OVER="451 4.7.1 Rate limit exceeded, try again later"
UNAVAILABLE="451 4.7.1 Rate limit store unavailable, try again later"
PASSWORD="pw-$RANDOM-$RANDOM"

REDIS_PASSWORD=$PASSWORD
redis_start "$LDT_DIR/primary" || { ldt_fail "the primary redis-server did not start"; exit 1; }
PRIMARY_PORT=$REDIS_PORT
redis_as replica
REDIS_EXTRA="replicaof 127.0.0.1 $PRIMARY_PORT
masterauth $PASSWORD
replica-read-only yes"
REDIS_PASSWORD=$PASSWORD
redis_start "$LDT_DIR/replica" || { ldt_fail "the replica redis-server did not start"; exit 1; }
REPLICA_PORT=$REDIS_PORT
# shellcheck disable=SC2317  # called through wait_for
_replica_linked() { redis_cli info replication | grep -q '^master_link_status:up'; }
wait_for 30 _replica_linked || ldt_fail "the replica never linked to the primary"
redis_as main

umask 077
printf '%s\n' "$PASSWORD" >"$LDT_DIR/redis.pw"
printf 'not-%s\n' "$PASSWORD" >"$LDT_DIR/wrong.pw"
printf '%s\n' "$PASSWORD" >"$LDT_DIR/open.pw"
chmod 0644 "$LDT_DIR/open.pw"
umask 022
cat >"$LDT_DIR/directory.conf" <<'EOF'
users = ( );
groups = ( );
EOF

# policy TAG URIS [PASSWORD_FILE]: LDT_DIR/rw-TAG.conf
policy() {
	local tag=$1 uris=$2 pw=${3:-}
	{ redis_node_policy "$tag"; cat <<EOF; } >"$LDT_DIR/rw-$tag.conf"
rate_limits = ( { name = "per-login"; key = "login"; messages = 2; per = 3600; } );
rate_store = { backend = "redis"; uris = [ $uris ]; timeout = 1; on_failure = "tempfail";
               password_file = "$pw"; };
EOF
}
P_URI="\"redis://127.0.0.1:$PRIMARY_PORT/2\""
R_URI="\"redis://127.0.0.1:$REPLICA_PORT/2\""
policy GOOD "$P_URI" "$LDT_DIR/redis.pw"
policy RO "$R_URI" "$LDT_DIR/redis.pw"
policy FAILOVER "$R_URI, $P_URI" "$LDT_DIR/redis.pw"
policy BADPW "$P_URI" "$LDT_DIR/wrong.pw"
policy NOPW "$P_URI"
policy OPEN "$P_URI" "$LDT_DIR/open.pw"
for tag in GOOD RO FAILOVER BADPW NOPW; do
	ldt_milter_start "$LDT_DIR/rw-$tag.conf" "$tag" || exit 1
done

# rcpt TAG LOGIN: one transaction up to RCPT through rw_raw (tests/lib/
# milter.sh), which prints the reply as it travels on the wire; sets
# RT_WIRE ("rcpt c -" or "rcpt y TEXT") and RT_LINE (the node's decision
# line for that RCPT: one client at a time, written before the reply).
rcpt() {
	local log=$LDT_DIR/rw-$1.log before
	before=$(grep -c ' stage=rcpt ' "$log")
	RT_WIRE=$(rw_raw "$LDT_DIR/rw-$1.sock" client.example.net 192.0.2.10 "$2" "<$2@acme.com>" \
		"<someone@remote.example>" 2>&1 | grep '^rcpt ' | tail -n 1)
	RT_LINE=$(grep ' stage=rcpt ' "$log" | tail -n +$((before + 1)) | head -n 1)
}

# expect DESC TAG LOGIN continue | over DETAIL | unavailable
expect() {
	local desc=$1 tag=$2 login=$3 ok=1
	rcpt "$tag" "$login"
	case $4 in
	continue)
		[ "$RT_WIRE" = "rcpt c -" ] && [[ $RT_LINE == *" decision=accept stage=rcpt "* ]] || ok=0 ;;
	over)
		[ "$RT_WIRE" = "rcpt y $OVER" ] &&
			[[ $RT_LINE == *" rule=rate_limit "*" detail=\"$5\""* ]] || ok=0 ;;
	unavailable)
		[ "$RT_WIRE" = "rcpt y $UNAVAILABLE" ] &&
			[[ $RT_LINE == *" decision=tempfail stage=rcpt rule=rate_store "* ]] || ok=0 ;;
	esac
	if [ "$ok" -eq 1 ]; then
		echo "ok - $desc ($tag, $login): $4"
	else
		ldt_fail "$desc ($tag, $login): expected $4${5:+ [$5]}; got \"$RT_WIRE\", line: ${RT_LINE:-<none>}"
	fi
}

outages() { # TAG: lines of the node's log announcing an outage
	grep -cF "rate store redis unavailable: " "$LDT_DIR/rw-$1.log"
}

detail() { # LOGIN
	echo "limit=per-login key=login:$1 messages=2/2 per=3600 store=redis"
}

# (a) the right password, database 2
expect "with the password" GOOD jdoe continue
expect "with the password" GOOD jdoe continue
expect "with the password, over" GOOD jdoe over "$(detail jdoe)"
keys2=$(redis_cli -n 2 --scan | sort | tr '\n' ' ')
keys0=$(redis_cli -n 0 --scan | sort | tr '\n' ' ')
[ "$keys2" = "relaywarden:rl:per-login:3600:login:jdoe " ] ||
	ldt_fail "database 2 holds [$keys2], expected [relaywarden:rl:per-login:3600:login:jdoe ]"
[ -z "$keys0" ] || ldt_fail "database 0 holds [$keys0], expected nothing (the URI says /2)"

# (b) a read-only replica only. A login that has no count yet (peter):
# the check writes. (jdoe, already over, is answered by the script's reads
# alone, from the replica's copy: no write, no READONLY - noted, not asserted.)
rcpt RO jdoe
ldt_note "RO, jdoe already over on the primary: \"$RT_WIRE\""
for i in 1 2 3; do
	expect "the replica refuses writes, try $i" RO peter unavailable
done
n=$(outages RO)
[ "$n" -eq 1 ] || ldt_fail "RO logged $n outages, expected 1"
grep -F "rate store redis unavailable: " "$LDT_DIR/rw-RO.log" | grep -qF READONLY ||
	ldt_fail "RO's outage line does not say READONLY: $(grep -F 'rate store redis' "$LDT_DIR/rw-RO.log")"

# (c) replica first, then the primary
expect "READONLY passes on to the primary" FAILOVER mary continue
expect "READONLY passes on to the primary" FAILOVER mary continue
expect "counted on the primary, over" FAILOVER mary over "$(detail mary)"
expect "and GOOD shares the count" GOOD mary over "$(detail mary)"
[ "$(redis_cli -n 2 exists relaywarden:rl:per-login:3600:login:mary)" = 1 ] ||
	ldt_fail "mary's key is not on the primary"
# the primary answered every check: no outage to announce
n=$(outages FAILOVER)
[ "$n" -eq 0 ] || ldt_fail "FAILOVER logged $n outages, expected none (the primary answered)"

# (d) a wrong password, no password
for tag in BADPW NOPW; do
	expect "refused by Redis" "$tag" bob unavailable
	expect "refused by Redis, again" "$tag" bob unavailable
	n=$(outages "$tag")
	[ "$n" -eq 1 ] || ldt_fail "$tag logged $n outages, expected 1"
	ldt_note "$tag: $(grep -F 'rate store redis unavailable: ' "$LDT_DIR/rw-$tag.log" | sed 's/.*relaywarden\[/[/')"
done

# (e) a password file others may read
out=$("$RELAYWARDEN" check -c "$LDT_DIR/rw-OPEN.conf" 2>&1)
rc=$?
if [ "$rc" -eq 78 ] && [[ $out == *"rate_store.password_file"* ]]; then
	echo "ok - check refuses a password_file others may read (78)"
else
	ldt_fail "check of a 0644 password_file: exit $rc, expected 78 naming rate_store.password_file: $out"
fi

for tag in GOOD RO FAILOVER BADPW NOPW; do
	ldt_milter_alive "$tag" || ldt_fail "node $tag died during the test"
done
ldt_milters_stop GOOD RO FAILOVER BADPW NOPW
if [ "$LDT_FAILED" -ne 0 ]; then
	for tag in GOOD RO FAILOVER BADPW NOPW; do
		echo "# ---- rw-$tag.log (rate lines, last 20) ----"
		grep -E 'rate|stage=rcpt' "$LDT_DIR/rw-$tag.log" | tail -n 20 | sed 's/^/#  /'
	done
fi
ldt_finish

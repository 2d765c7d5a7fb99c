#!/usr/bin/env bash
# t-syncrepl.sh - several MTAs, one directory (issue 19): an OpenLDAP
# provider (syncprov) and a syncrepl consumer of it (refreshAndPersist, bound
# as a replication account that alone may read userPassword), both private
# slapd on loopback, and relaywarden pointed at both by directory.ldap.uris.
#  1. the consumer replicates the provider's entries, as the replication
#     account (it holds that account's userPassword, which anonymous cannot
#     read on the provider);
#  2. uris = [consumer, provider] (an MTA node reading its local replica),
#     cache TTL one hour: jdoe as a new alias is refused (not owned); the
#     alias is added on the PROVIDER; once the consumer has it, the cached
#     answer still refuses (no new search); `ctl flush-cache jdoe` drops it
#     and the next try is accepted - from the consumer's search, not the
#     provider's;
#  3. uris = [provider, consumer], no cache: lookups go to the provider;
#     with the provider stopped they are answered from the consumer (owned:
#     continue, not owned or unknown login: the 550 reject), never 451; the
#     milter logs the provider down and `ctl status` shows it down and the
#     consumer up.
# Usage: tests/ldap/t-syncrepl.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init syncrepl "${1:-}"

ALIAS=jd-replicated@acme.com

slapd_as provider
slapd_start_provider "$LDT_DIR/provider" || { ldt_fail "provider slapd did not start"; exit 1; }
PROVIDER_URI=$SLAPD_URI
slapd_as consumer
slapd_start_consumer "$LDT_DIR/consumer" "$PROVIDER_URI" ||
	{ ldt_fail "consumer slapd did not start"; exit 1; }
CONSUMER_URI=$SLAPD_URI

# found NAME FILTER: slapd NAME returns at least one entry for FILTER.
found() {
	local out
	out=$(slapd_on "$1" slapd_search "$2" 1.1 2>/dev/null) || return 1
	[[ $out == *"dn: "* ]]
}
# dns NAME: every DN slapd NAME holds under the suffix, sorted.
dns() {
	slapd_on "$1" slapd_search -D cn=admin,dc=acme,dc=com -w secret "(objectClass=*)" 1.1 2>/dev/null |
		sed -n 's/^dn: //p' | LC_ALL=C sort
}
same_entries() {
	local p c
	p=$(dns provider) c=$(dns consumer)
	[ -n "$p" ] && [ "$p" = "$c" ]
}
# searches NAME: the (uid=jdoe) searches slapd NAME has logged.
searches() { slapd_on "$1" slapd_srch_count "(uid=jdoe)"; }
# counts: note both counts; went_to provider|consumer|none DESC: since then
# that slapd logged exactly one more, the other none (none: neither did).
counts() { p0=$(searches provider) c0=$(searches consumer); }
went_to() {
	local p c want_p=$p0 want_c=$c0
	p=$(searches provider) c=$(searches consumer)
	case $1 in
	provider) want_p=$((p0 + 1)) ;;
	consumer) want_c=$((c0 + 1)) ;;
	esac
	[ "$p" -eq "$want_p" ] && [ "$c" -eq "$want_c" ] && return 0
	ldt_fail "$2: (uid=jdoe) searches at the provider $p0 -> $p, at the consumer $c0 -> $c; expected one more at: $1"
}

# ---- 1. the consumer replicates
wait_for 60 found consumer "(uid=jdoe)" ||
	ldt_fail "1. the consumer did not replicate uid=jdoe within 60 s: $(grep -m 3 -E 'syncrepl|retrying' "$LDT_DIR/consumer/slapd.log" | tr '\n' ' ')"
wait_for 60 same_entries ||
	ldt_fail "1. the consumer's entries differ from the provider's: $(diff <(dns provider) <(dns consumer) | tr '\n' ' ')"
n=$(slapd_on provider slapd_binds "$SLAPD_REPL_DN")
[ "$n" -ge 1 ] || ldt_fail "1. the provider saw no bind as $SLAPD_REPL_DN"
pw=$(slapd_on consumer slapd_search -D cn=admin,dc=acme,dc=com -w secret "(cn=replicator)" userPassword)
[[ $pw == *"userPassword:: $(printf '%s' "$SLAPD_REPL_PW" | base64)"* ]] ||
	ldt_fail "1. the consumer does not hold the replication account's userPassword: $pw"
pw=$(slapd_on provider slapd_search "(cn=replicator)" userPassword)
[[ $pw != *userPassword* ]] || ldt_fail "1. anonymous reads userPassword on the provider: $pw"

# ---- 2. a node reading its local replica: uris = [consumer, provider]
POL=$LDT_DIR/replica.conf
P_TTL=3600 P_NEG_TTL=3600 ldt_policy "$POL" "unix:$LDT_DIR/replica.sock" "\"$CONSUMER_URI\", \"$PROVIDER_URI\""
printf 'control = { socket = "unix:%s"; };\n' "$LDT_DIR/replica-ctl.sock" >>"$POL"
ldt_milter_start "$POL" replica || exit 1

counts
ldt_expect "2. before the alias exists: refused" jdoe "<$ALIAS>" reject replica
went_to consumer "2. the first lookup"

slapd_on provider ldapmodify -x -H "$PROVIDER_URI" -D cn=admin,dc=acme,dc=com -w secret \
	>"$LDT_DIR/ldapmodify.out" 2>&1 <<EOF || ldt_fail "2. ldapmodify on the provider failed: $(cat "$LDT_DIR/ldapmodify.out")"
dn: uid=jdoe,ou=people,dc=acme,dc=com
changetype: modify
add: mailAlternateAddress
mailAlternateAddress: $ALIAS
EOF
found provider "(mailAlternateAddress=$ALIAS)" || ldt_fail "2. the provider does not hold the new alias"
wait_for 60 found consumer "(mailAlternateAddress=$ALIAS)" ||
	ldt_fail "2. the new alias did not reach the consumer within 60 s"

counts
ldt_expect "2. alias replicated, jdoe still cached: refused" jdoe "<$ALIAS>" reject replica
went_to none "2. the cached try"
out=$("$RELAYWARDEN" ctl -c "$POL" flush-cache jdoe 2>&1)
[ "$out" = "1 entry flushed for jdoe" ] || ldt_fail "2. ctl flush-cache jdoe said [$out]"
counts
ldt_expect "2. after the flush: the replicated alias is owned" jdoe "<$ALIAS>" continue replica
went_to consumer "2. the lookup after the flush"

# ---- 3. the provider first, then it stops: the consumer answers
POL=$LDT_DIR/failover.conf
P_TTL=0 P_NEG_TTL=0 ldt_policy "$POL" "unix:$LDT_DIR/failover.sock" "\"$PROVIDER_URI\", \"$CONSUMER_URI\""
printf 'control = { socket = "unix:%s"; };\n' "$LDT_DIR/failover-ctl.sock" >>"$POL"
ldt_milter_start "$POL" failover || exit 1
log=$(_ldt_log failover)

counts
ldt_expect "3. provider up: owned" jdoe "<john.doe@acme.com>" continue failover
went_to provider "3. provider up: the lookup"

slapd_on provider slapd_stop
mark=$(log_mark "$log")
counts
ldt_expect "3. provider stopped: replicated alias owned" jdoe "<$ALIAS>" continue failover
ldt_expect "3. provider stopped: address of someone else refused" jdoe "<alice.smith@acme.com>" reject failover
ldt_expect "3. provider stopped: unknown login refused" ghost "<ghost@acme.com>" reject failover
ldt_expect "3. provider stopped: owned address" jdoe "<john.doe@acme.com>" continue failover
ldt_expect_wire "3. provider stopped: refused on the wire" jdoe "<alice.smith@acme.com>" reject failover
# four jdoe transactions above (ghost is another login), each searched
[ "$(searches consumer)" -eq $((c0 + 4)) ] ||
	ldt_fail "3. the consumer saw $(($(searches consumer) - c0)) jdoe search(es) after the provider stopped, expected 4"
n=$(grep -c ' decision=tempfail ' "$log")
[ "$n" -eq 0 ] || ldt_fail "3. $n tempfail decision(s) in the failover milter's log"
# ldap_conn.c's uri_report: one line when a URI changes from up to down
log_wait "$log" "$mark" 10 "ldap uri=$PROVIDER_URI state=down error=$PROVIDER_URI: connect: " ||
	ldt_fail "3. no \"ldap uri=$PROVIDER_URI state=down\" line: $(log_new "$log" "$mark" | grep 'ldap uri=' | tr '\n' ' ')"
status=$("$RELAYWARDEN" ctl -c "$POL" status 2>&1)
line=$(printf '%s\n' "$status" | grep -F "  $PROVIDER_URI ")
[[ $line == "  $PROVIDER_URI down since "*", last error: $PROVIDER_URI: connect: "* ]] ||
	ldt_fail "3. ctl status does not show the provider down: $(printf '%s' "$status" | tr '\n' ' ')"
line=$(printf '%s\n' "$status" | grep -F "  $CONSUMER_URI ")
[[ $line == "  $CONSUMER_URI up since "* ]] ||
	ldt_fail "3. ctl status does not show the consumer up: $(printf '%s' "$status" | tr '\n' ' ')"

{ ldt_milter_alive replica && ldt_milter_alive failover; } || ldt_fail "relaywarden died during the test"
# both at once: libmilter takes seconds to stop each
ldt_milters_stop
ldt_finish

#!/usr/bin/env bash
# t-probe.sh - `relaywarden check --probe -c FILE [--login LOGIN]` and the
# start-up probe (issue 16), against a real slapd with TLS on loopback.
# Exact output lines and exit status for: a good policy (with and without
# --login), an unknown login, a bad bind password, a CA that does not sign
# the server's certificate, an unreachable URI before a good one; usage
# errors. At start-up the milter runs the same probe: each failure logged
# once, it starts anyway while the directory is down, answers 451 4.7.1,
# and serves once the directory is back.
# Usage: tests/ldap/t-probe.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init probe "${1:-}"

ADMIN="cn=admin,dc=acme,dc=com"
# The lookups' own group search (group_classes by default, the base standing
# for the user's DN).
GROUP_FILTER="(&(&(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=groupOfURLs)(objectClass=group)))(|(member=dc=acme,dc=com)(uniqueMember=dc=acme,dc=com)))"
tls_certs "$LDT_DIR/tls" || { ldt_fail "certtool could not make the certificates"; exit 1; }
slapd_start_tls "$LDT_DIR/slapd" server || { ldt_fail "slapd with TLS did not start"; exit 1; }
printf 'secret\n' >"$LDT_DIR/bind.pw"
printf 'not-the-password\n' >"$LDT_DIR/bad.pw"
chmod 600 "$LDT_DIR/bind.pw" "$LDT_DIR/bad.pw"
export P_BIND_DN=$ADMIN P_BIND_PW_FILE=$LDT_DIR/bind.pw P_CA_FILE=$TLS_DIR/ca.crt
DEAD=$(free_port)
DEAD_URI="ldap://127.0.0.1:$DEAD/"
LS=$SLAPD_LDAPS_URI

ldt_policy "$LDT_DIR/good.conf" "unix:$LDT_DIR/good.sock" "\"$LS\""
P_BIND_PW_FILE=$LDT_DIR/bad.pw ldt_policy "$LDT_DIR/badpw.conf" "unix:$LDT_DIR/badpw.sock" "\"$LS\""
P_STARTTLS=true P_CA_FILE=$TLS_DIR/other-ca.crt \
	ldt_policy "$LDT_DIR/wrongca.conf" "unix:$LDT_DIR/wrongca.sock" "\"$SLAPD_URI\""
ldt_policy "$LDT_DIR/dead.conf" "unix:$LDT_DIR/dead.sock" "\"$DEAD_URI\", \"$LS\""

# probe WANT_RC DESC ARGS... (expected stdout on the heredoc's stdin)
probe() {
	local want_rc=$1 desc=$2 out rc want
	shift 2
	want=$(cat)
	out=$("$RELAYWARDEN" check "$@" 2>"$LDT_DIR/probe.err")
	rc=$?
	[ "$rc" -eq "$want_rc" ] || ldt_fail "$desc: exit $rc, expected $want_rc; stderr: $(tr '\n' ' ' <"$LDT_DIR/probe.err")"
	if [ "$out" != "$want" ]; then
		ldt_fail "$desc: output differs:"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$out") | sed 's/^/#   /'
	fi
}

# the policy's user_filter (the default) for login $1
lookup_filter() { printf '(&(objectClass=inetOrgPerson)(|(uid=%s)(mail=%s)(cn=%s)))' "$1" "$1" "$1"; }

good_head() {
	cat <<EOF
$1: OK
$LS connect ok
$LS tls ok: TLS1.3, AES-256-GCM
$LS bind ok: as $ADMIN
$LS base ok: "dc=acme,dc=com" exists
EOF
}

probe 0 "good policy, --login jdoe" -c "$LDT_DIR/good.conf" --probe --login jdoe <<EOF
$(good_head "$LDT_DIR/good.conf")
$LS user search ok: jdoe is uid=jdoe,ou=people,dc=acme,dc=com
$LS group search ok: filter $GROUP_FILTER accepted
directory lookup ok: jdoe: found, primary <john.doe@acme.com>, 4 address(es), 1 through groups
probe: ok
EOF

probe 0 "good policy, no login" -c "$LDT_DIR/good.conf" --probe <<EOF
$(good_head "$LDT_DIR/good.conf")
$LS user search ok: filter $(lookup_filter relaywarden-probe) accepted
$LS group search ok: filter $GROUP_FILTER accepted
probe: ok
EOF

probe 69 "good policy, unknown login" -c "$LDT_DIR/good.conf" --probe --login ghost <<EOF
$(good_head "$LDT_DIR/good.conf")
$LS user search failed: $(lookup_filter ghost): no entry (the login is not found)
directory lookup failed: ghost: not found
probe: 2 problem(s)
EOF

probe 69 "bad bind password" -c "$LDT_DIR/badpw.conf" --probe <<EOF
$LDT_DIR/badpw.conf: OK
$LS connect ok
$LS tls ok: TLS1.3, AES-256-GCM
$LS bind failed: Invalid credentials (49)
probe: 1 problem(s)
EOF
grep -q not-the-password "$LDT_DIR/probe.err" && ldt_fail "the probe printed the bind password"

# The CA's validity dates are today's: read them from the certificate.
ca_valid=$(certtool -i --infile "$TLS_DIR/server.crt" | awk '/Not (Before|After):/ { print }' | wc -l)
[ "$ca_valid" -eq 2 ] || ldt_fail "certtool -i shows no validity of server.crt"
from=$(date -u -d "$(certtool -i --infile "$TLS_DIR/server.crt" | sed -n 's/.*Not Before: //p')" +%F)
until=$(date -u -d "$(certtool -i --infile "$TLS_DIR/server.crt" | sed -n 's/.*Not After: //p')" +%F)
reason="certificate not verified for 127.0.0.1: The certificate is NOT trusted. The certificate issuer is unknown. Server certificate: CN=127.0.0.1, issuer CN=relaywarden test CA, valid $from to $until"
probe 69 "wrong CA, --login jdoe" -c "$LDT_DIR/wrongca.conf" --probe --login jdoe <<EOF
$LDT_DIR/wrongca.conf: OK
$SLAPD_URI connect ok
$SLAPD_URI tls failed: $reason
directory lookup failed: jdoe: unavailable: $SLAPD_URI: tls: $reason
probe: 2 problem(s)
EOF

probe 69 "unreachable URI first, --login jdoe" -c "$LDT_DIR/dead.conf" --probe --login jdoe <<EOF
$LDT_DIR/dead.conf: OK
$DEAD_URI connect failed: Can't contact LDAP server (-1)
$LS connect ok
$LS tls ok: TLS1.3, AES-256-GCM
$LS bind ok: as $ADMIN
$LS base ok: "dc=acme,dc=com" exists
$LS user search ok: jdoe is uid=jdoe,ou=people,dc=acme,dc=com
$LS group search ok: filter $GROUP_FILTER accepted
directory lookup ok: jdoe: found, primary <john.doe@acme.com>, 4 address(es), 1 through groups
probe: 1 problem(s)
EOF

probe 64 "--login without --probe" -c "$LDT_DIR/good.conf" --login jdoe </dev/null
probe 0 "check without --probe makes no connection" -c "$LDT_DIR/badpw.conf" <<EOF
$LDT_DIR/badpw.conf: OK
EOF

# --- at start-up: the same probe, each failure logged once; never fatal
ldt_milter_start "$LDT_DIR/badpw.conf" badpw || exit 1
log=$(_ldt_log badpw)
wait_for 30 grep -q 'ldap probe: 1 problem(s)' "$log" || ldt_fail "badpw: no start-up probe summary in 30 s"
n=$(grep -c "relaywarden\[warn\]: ldap probe: $LS bind failed: Invalid credentials (49)$" "$log")
[ "$n" -eq 1 ] || ldt_fail "badpw: the bind failure was logged $n times by the start-up probe, expected once"
grep -q "relaywarden\[warn\]: ldap probe: 1 problem(s); lookups fail over to the URIs that work, or answer 451 4.7.1, until they are fixed$" "$log" ||
	ldt_fail "badpw: the probe's summary line is not as expected: $(grep 'ldap probe' "$log" | tail -n 1)"
ldt_expect "badpw: a bad password is an outage" jdoe "<john.doe@acme.com>" tempfail badpw

ldt_milter_start "$LDT_DIR/good.conf" good || exit 1
wait_for 30 grep -q "relaywarden\[info\]: ldap probe: ok (1 URI(s))$" "$(_ldt_log good)" ||
	ldt_fail "good: the start-up probe did not log ok"
grep -q 'ldap probe: .* failed' "$(_ldt_log good)" && ldt_fail "good: the start-up probe logged a failure"
ldt_milters_stop badpw good

# The directory is down when the milter starts: it starts, logs it, 451s,
# and serves once slapd is back (same port), with no restart.
slapd_stop
ldt_policy "$LDT_DIR/later.conf" "unix:$LDT_DIR/later.sock" "\"$LS\""
ldt_milter_start "$LDT_DIR/later.conf" later || exit 1
log=$(_ldt_log later)
wait_for 30 grep -q 'ldap probe: 1 problem(s)' "$log" || ldt_fail "later: no start-up probe summary in 30 s"
n=$(grep -c "ldap probe: $LS connect failed: Can't contact LDAP server (-1)" "$log")
[ "$n" -eq 1 ] || ldt_fail "later: the unreachable directory was logged $n times by the probe, expected once"
ldt_expect "later: directory down" jdoe "<john.doe@acme.com>" tempfail later
slapd_restart || { ldt_fail "slapd did not come back"; exit 1; }
ldt_expect "later: directory back" jdoe "<john.doe@acme.com>" continue later
ldt_milter_alive later || ldt_fail "later: the milter died"

ldt_milters_stop
ldt_finish

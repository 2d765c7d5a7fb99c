#!/usr/bin/env bash
# t-tls.sh - the directory over TLS (issue 16): a real slapd with a CA and
# server certificates made by the test (certtool), on loopback.
# - StartTLS (ldap:// + starttls = true) and ldaps:// both serve lookups:
#   the exact replies of an owned and a not-owned sender.
# - A certificate that does not verify - signed by a CA we do not trust,
#   issued for another host name, expired - is 451 4.7.1 for the
#   transaction, with the TLS reason (GnuTLS's words) in the decision line,
#   and the start-up probe logs it once.
# - Never a fallback to plain text: under every failure slapd saw no bind
#   and no search from the milter (its stats log: BIND/SRCH are logged when
#   read, so once the milter answered they would be there).
# Usage: tests/ldap/t-tls.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init tls "${1:-}"

ADMIN="cn=admin,dc=acme,dc=com"
tls_certs "$LDT_DIR/tls" || { ldt_fail "certtool could not make the certificates"; exit 1; }
printf 'secret\n' >"$LDT_DIR/bind.pw"
chmod 600 "$LDT_DIR/bind.pw"
export P_BIND_DN=$ADMIN P_BIND_PW_FILE=$LDT_DIR/bind.pw

# milter_pair CA NAME: two milters on the running slapd, NAME-st (StartTLS)
# and NAME-ls (ldaps), trusting CA.
milter_pair() {
	local ca=$1 name=$2
	P_STARTTLS=true P_CA_FILE=$TLS_DIR/$ca.crt \
		ldt_policy "$LDT_DIR/$name-st.conf" "unix:$LDT_DIR/$name-st.sock" "\"$SLAPD_URI\""
	P_CA_FILE=$TLS_DIR/$ca.crt \
		ldt_policy "$LDT_DIR/$name-ls.conf" "unix:$LDT_DIR/$name-ls.sock" "\"$SLAPD_LDAPS_URI\""
	ldt_milter_start "$LDT_DIR/$name-st.conf" "$name-st" || exit 1
	ldt_milter_start "$LDT_DIR/$name-ls.conf" "$name-ls" || exit 1
}

# refused NAME REASON: both milters of the pair answer 451 4.7.1 with REASON
# in the decision line; their start-up probes logged it once; slapd saw no
# bind and no search from them.
refused() {
	local name=$1 reason=$2 tag n
	for tag in "$name-st" "$name-ls"; do
		ldt_expect "$tag: certificate refused" jdoe "<john.doe@acme.com>" tempfail "$tag"
		[[ $LDT_LINE == *"$reason"* ]] ||
			ldt_fail "$tag: the decision line does not name the TLS reason \"$reason\": $LDT_LINE"
		[[ $LDT_LINE == *" tls: "* ]] || ldt_fail "$tag: the decision line does not say the tls step failed: $LDT_LINE"
		wait_for 30 grep -q 'ldap probe: 1 problem(s)' "$(_ldt_log "$tag")" ||
			ldt_fail "$tag: no start-up probe summary in 30 s"
		n=$(grep -c "ldap probe: .* tls failed: .*$reason" "$(_ldt_log "$tag")")
		[ "$n" -eq 1 ] || ldt_fail "$tag: the start-up probe logged the TLS failure $n times, expected once"
	done
	ldt_expect_wire "$name-st: 451 on the wire" jdoe "<john.doe@acme.com>" tempfail "$name-st"
	n=$(slapd_binds "$ADMIN")
	[ "$n" -eq 0 ] || ldt_fail "$name: slapd saw $n bind(s) as $ADMIN: credentials sent without a verified TLS session"
	n=$(slapd_srch_count "uid=jdoe")
	[ "$n" -eq 0 ] || ldt_fail "$name: slapd saw $n search(es) for jdoe without a verified TLS session"
}

# --- a good certificate: StartTLS and ldaps serve lookups
slapd_start_tls "$LDT_DIR/slapd-good" server || { ldt_fail "slapd with TLS did not start"; exit 1; }
milter_pair ca good
for tag in good-st good-ls; do
	ldt_expect "$tag: owned sender" jdoe "<john.doe@acme.com>" continue "$tag"
	ldt_expect "$tag: sender not owned" jdoe "<ghost@acme.com>" reject "$tag"
	wait_for 30 grep -q 'ldap probe: ok (1 URI(s))' "$(_ldt_log "$tag")" ||
		ldt_fail "$tag: the start-up probe did not log ok"
done
ldt_expect_wire "good-ls: accepted on the wire" jdoe "<john.doe@acme.com>" continue good-ls
n=$(slapd_binds "$ADMIN")
[ "$n" -ge 2 ] || ldt_fail "slapd saw $n bind(s) as $ADMIN over TLS, expected at least 2"
n=$(grep -c ' STARTTLS' "$SLAPD_LOG")
[ "$n" -ge 1 ] || ldt_fail "slapd saw no STARTTLS"
n=$(grep -c 'TLS established' "$SLAPD_LOG")
[ "$n" -ge 2 ] || ldt_fail "slapd logged $n TLS sessions, expected StartTLS and ldaps ones"
ldt_milters_stop good-st good-ls

# --- the same server, but the milter trusts another CA
: >"$SLAPD_LOG"
milter_pair other-ca wrongca
refused wrongca "The certificate is NOT trusted. The certificate issuer is unknown."
slapd_stop

# --- a certificate for another host name (ldap.elsewhere.test, not 127.0.0.1)
slapd_start_tls "$LDT_DIR/slapd-host" wronghost || { ldt_fail "slapd (wronghost) did not start"; exit 1; }
: >"$SLAPD_LOG"
milter_pair ca wronghost
refused wronghost "The name in the certificate does not match the expected."
slapd_stop

# --- a certificate that expired in 2020
slapd_start_tls "$LDT_DIR/slapd-expired" expired || { ldt_fail "slapd (expired) did not start"; exit 1; }
: >"$SLAPD_LOG"
milter_pair ca expired
refused expired "The certificate chain uses expired certificate."
[[ $LDT_LINE == *"valid 2020-01-01 to 2020-02-01"* ]] ||
	ldt_fail "expired: the decision line does not give the certificate's dates: $LDT_LINE"

ldt_milters_stop
ldt_finish

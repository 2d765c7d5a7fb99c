#!/usr/bin/env bash
# t-tls-client.sh - a client certificate, and StartTLS a server does not
# offer (issue 16), against real slapds on loopback.
# - slapd demanding a client certificate (TLSVerifyClient demand): a milter
#   with directory.ldap.cert_file/key_file is served over StartTLS and over
#   ldaps; one without them gets 451 4.7.1 with the reason logged, and
#   slapd never read a bind from it.
# - The key file is a secret like the bind password file: readable by group
#   or others is refused by `relaywarden check` (exit 78) naming
#   directory.ldap.key_file; a certificate without its key is refused too.
# - starttls = true against a slapd with no TLS at all: 451 4.7.1, slapd's
#   own refusal ("unsupported extended operation") logged, and no bind and
#   no search in clear.
# Usage: tests/ldap/t-tls-client.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init tls-client "${1:-}"

ADMIN="cn=admin,dc=acme,dc=com"
tls_certs "$LDT_DIR/tls" || { ldt_fail "certtool could not make the certificates"; exit 1; }
printf 'secret\n' >"$LDT_DIR/bind.pw"
chmod 600 "$LDT_DIR/bind.pw"
export P_BIND_DN=$ADMIN P_BIND_PW_FILE=$LDT_DIR/bind.pw P_CA_FILE=$TLS_DIR/ca.crt

# --- the key file's checks, before anything runs
cp "$TLS_DIR/client.key" "$LDT_DIR/open.key"
chmod 644 "$LDT_DIR/open.key"
P_CERT_FILE=$TLS_DIR/client.crt P_KEY_FILE=$LDT_DIR/open.key \
	ldt_policy "$LDT_DIR/open-key.conf" "unix:$LDT_DIR/x.sock" '"ldaps://127.0.0.1:1/"'
out=$("$RELAYWARDEN" check -c "$LDT_DIR/open-key.conf" 2>&1)
rc=$?
[ "$rc" -eq 78 ] || ldt_fail "check with a 0644 key file exited $rc, expected 78: $out"
line=$(grep -n 'key_file = ' "$LDT_DIR/open-key.conf" | cut -d: -f1)
want="$LDT_DIR/open-key.conf:$line: directory.ldap.key_file: $LDT_DIR/open.key is readable by group or others (expected mode 0600 or 0400)"
[ "$out" = "$want" ] || ldt_fail "check with a 0644 key file said \"$out\", expected \"$want\""
P_CERT_FILE=$TLS_DIR/client.crt \
	ldt_policy "$LDT_DIR/no-key.conf" "unix:$LDT_DIR/x.sock" '"ldaps://127.0.0.1:1/"'
out=$("$RELAYWARDEN" check -c "$LDT_DIR/no-key.conf" 2>&1)
rc=$?
[ "$rc" -eq 78 ] || ldt_fail "check with cert_file but no key_file exited $rc, expected 78: $out"
[[ $out == *"directory.ldap.key_file: empty while cert_file is set"* ]] ||
	ldt_fail "check with cert_file but no key_file said: $out"

# --- slapd demands a client certificate
slapd_start_tls "$LDT_DIR/slapd-demand" server demand || { ldt_fail "slapd (demand) did not start"; exit 1; }
export P_CERT_FILE=$TLS_DIR/client.crt P_KEY_FILE=$TLS_DIR/client.key
P_STARTTLS=true ldt_policy "$LDT_DIR/cert-st.conf" "unix:$LDT_DIR/cert-st.sock" "\"$SLAPD_URI\""
ldt_policy "$LDT_DIR/cert-ls.conf" "unix:$LDT_DIR/cert-ls.sock" "\"$SLAPD_LDAPS_URI\""
unset P_CERT_FILE P_KEY_FILE
P_STARTTLS=true ldt_policy "$LDT_DIR/nocert-st.conf" "unix:$LDT_DIR/nocert-st.sock" "\"$SLAPD_URI\""
for tag in cert-st cert-ls nocert-st; do
	ldt_milter_start "$LDT_DIR/$tag.conf" "$tag" || exit 1
done
for tag in cert-st cert-ls; do
	ldt_expect "$tag: client certificate presented" jdoe "<john.doe@acme.com>" continue "$tag"
	ldt_expect "$tag: sender not owned" jdoe "<ghost@acme.com>" reject "$tag"
done
ldt_expect_wire "cert-ls: accepted on the wire" jdoe "<john.doe@acme.com>" continue cert-ls
binds=$(slapd_binds "$ADMIN")
[ "$binds" -ge 2 ] || ldt_fail "slapd saw $binds bind(s) from the milters with a client certificate, expected 2"
ldt_milters_stop cert-st cert-ls
binds=$(slapd_binds "$ADMIN")
ldt_expect "nocert-st: no client certificate" jdoe "<john.doe@acme.com>" tempfail nocert-st
[[ $LDT_LINE == *"does it require a client certificate? cert_file and key_file are not set"* ]] ||
	ldt_fail "nocert-st: the decision line does not say a client certificate may be missing: $LDT_LINE"
n=$(slapd_binds "$ADMIN")
[ "$n" -eq "$binds" ] || ldt_fail "nocert-st: slapd read a bind ($n, was $binds) from a client it refused at TLS"
slapd_stop

# --- StartTLS asked of a slapd that has no TLS: refused, nothing in clear
slapd_start "$LDT_DIR/slapd-plain" || { ldt_fail "slapd (plain) did not start"; exit 1; }
P_STARTTLS=true ldt_policy "$LDT_DIR/plain-st.conf" "unix:$LDT_DIR/plain-st.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/plain-st.conf" plain-st || exit 1
ldt_expect "plain-st: StartTLS refused" jdoe "<john.doe@acme.com>" tempfail plain-st
want="detail=\"$SLAPD_URI: tls: Protocol error (2): unsupported extended operation\""
[[ $LDT_LINE == *" $want" ]] || ldt_fail "plain-st: expected $want at the end of: $LDT_LINE"
ldt_expect_wire "plain-st: 451 on the wire" jdoe "<john.doe@acme.com>" tempfail plain-st
wait_for 30 grep -q 'ldap probe: 1 problem(s)' "$(_ldt_log plain-st)" ||
	ldt_fail "plain-st: no start-up probe summary in 30 s"
grep -q "ldap probe: $SLAPD_URI tls failed: Protocol error (2): unsupported extended operation" \
	"$(_ldt_log plain-st)" || ldt_fail "plain-st: the start-up probe did not log slapd's refusal"
n=$(grep -c ' EXT oid=1.3.6.1.4.1.1466.20037' "$SLAPD_LOG")
[ "$n" -ge 2 ] || ldt_fail "plain-st: slapd saw $n StartTLS requests, expected at least 2"
n=$(slapd_binds "$ADMIN")
[ "$n" -eq 0 ] || ldt_fail "plain-st: slapd saw $n bind(s) as $ADMIN in clear"
n=$(slapd_srch_count "uid=jdoe")
[ "$n" -eq 0 ] || ldt_fail "plain-st: slapd saw $n search(es) for jdoe in clear"

ldt_milters_stop
ldt_finish

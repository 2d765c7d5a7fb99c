#!/usr/bin/env bash
# t-ad.sh - relaywarden against a real Active Directory: a Samba 4.17 AD DC
# provisioned by the test (tests/lib/samba_ad.sh) on a private loopback
# address, LDAPS with its own CA, using README's Active Directory preset
# (<!-- test: ad-directory -->) with only the host and file names changed.
# Asserts the exact reply of each: primary SMTP:, smtp: alias and a group's
# proxyAddresses alias owned; SIP:/X500: values not owned and counted;
# nested group send-as (in_chain); deny_groups = "all" refuses an AD group
# (and explain calls it a group);
# verify_local finds an smtp:-only address; ACME\jdoe, UPN and
# sAMAccountName logins, another domain not found; a disabled account owns
# nothing; plain ldap:// -> 451 4.7.1 with AD's "Strong(er) authentication
# required" logged; a CA that did not sign the server's certificate -> 451;
# StartTLS on ldap:// works.
# Usage: tests/ldap/t-ad.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
# shellcheck source=../lib/samba_ad.sh
. "$(dirname "$0")/../lib/samba_ad.sh"
ldt_init ad "${1:-}"
trap 'sad_stop; _ldt_cleanup' EXIT
t0=$(now_ms)

block=$(ldt_readme_block ad-directory) || { ldt_fail "README has no ad-directory block"; exit 1; }
sad_start "$LDT_DIR/ad" "$LDT_FIXTURES/ad.ldif" || { ldt_fail "Samba AD DC did not start"; exit 1; }
ldt_note "Samba AD DC on $SAD_IP answered after $(($(now_ms) - t0)) ms (provisioned, started)"

# ad_policy FILE SOCKET [SED]: README's block with the test's host and files,
# then SED (more sed expressions) for a variant.
ad_policy() {
	local file=$1 socket=$2 extra=${3:-}
	ldt_preset_policy "$file" "$socket" "$block" \
		'recipients = { verify_local = true; deny_groups = "all"; };' \
		-e "s#ldaps://dc[0-9]*\.acme\.com/#ldaps://$SAD_IP/#g" \
		-e "s#\"/etc/relaywarden/acme-ca.pem\"#\"$SAD_CA\"#" \
		-e "s#\"/etc/relaywarden/ldap.secret\"#\"$SAD_PWFILE\"#" ${extra:+-e "$extra"}
	grep -q "ldaps://$SAD_IP/\|ldap://$SAD_IP/" "$file" && grep -qF "\"$SAD_PWFILE\"" "$file" ||
		{ ldt_fail "README's ad-directory block no longer has the uris/ca_file/password lines the test rewrites"; return 1; }
}

ad_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" || exit 1
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

# --- addresses: proxyAddresses values
ldt_expect "primary SMTP: (and mail)" jdoe "<john.doe@acme.com>" continue
ldt_expect "smtp: alias only in proxyAddresses" jdoe "<jd@acme.com>" continue
ldt_expect "primary SMTP: only (no mail attribute)" asmith "<anna.smith@acme.com>" continue
ldt_expect "SIP: value is not an SMTP address" jdoe "<jdoe.sip@acme.com>" reject
ldt_expect "X500: value is not an SMTP address" jdoe "<legacy.x500@acme.com>" reject
grep -q 'ldap: login jdoe: 3 address value(s) of another type (X500:, SIP:, ...) ignored' \
	"$LDT_DIR/rw.log" || ldt_fail "no debug line counting jdoe's 3 X500:/SIP: values"

# --- groups (in_chain): direct and nested, proxyAddresses aliases of groups
ldt_expect "direct group's smtp: alias" jdoe "<help@acme.com>" continue
ldt_expect "nested group (Team in Sales) primary" jdoe "<sales@acme.com>" continue
ldt_expect "nested group's smtp: alias" jdoe "<vertrieb@acme.com>" continue
ldt_expect "not a member of Sales" asmith "<vertrieb@acme.com>" reject

# --- logins
ldt_expect "sAMAccountName login" jdoe "<jd@acme.com>" continue
ldt_expect "UPN login" "jdoe@acme.com" "<jd@acme.com>" continue
ldt_expect "down-level login ACME\\jdoe" 'ACME\jdoe' "<jd@acme.com>" continue
ldt_expect "down-level domain in another case" 'acme\jdoe' "<john.doe@acme.com>" continue
ldt_expect "another domain is not stripped" 'OTHER\jdoe' "<john.doe@acme.com>" reject
[[ $LDT_LINE == *'reason="authenticated user not in directory"'* ]] ||
	ldt_fail "OTHER\\jdoe: expected 'authenticated user not in directory'; log: $LDT_LINE"
grep -qF 'ldap: login OTHER\jdoe: domain OTHER is not in directory.ldap.login_domains; not found' \
	"$LDT_DIR/rw.log" || ldt_fail "OTHER\\jdoe: the refused domain is not logged"
ldt_expect "disabled account (userAccountControl 514) owns nothing" old "<old@acme.com>" reject
[[ $LDT_LINE == *'reason="authenticated user not in directory"'* ]] ||
	ldt_fail "disabled account: expected 'authenticated user not in directory'; log: $LDT_LINE"

# --- recipients: verify_local and deny_groups = "all"
ldt_expect_rcpt "person by mail" "<john.doe@acme.com>" ""
ldt_expect_rcpt "smtp:-only alias (proxyAddresses)" "<jd@acme.com>" ""
ldt_expect_rcpt "SMTP:-only primary (AD matches smtp: case-insensitively)" "<anna.smith@acme.com>" ""
ldt_expect_rcpt "SIP: value is no recipient" "<jdoe.sip@acme.com>" "550 5.1.1 No such user here"
ldt_expect_rcpt "unknown recipient" "<nobody@acme.com>" "550 5.1.1 No such user here"
ldt_expect_rcpt "AD group by mail" "<sales@acme.com>" "550 5.7.1 Mail to groups is not accepted."
ldt_expect_rcpt "AD group by smtp: alias" "<help@acme.com>" "550 5.7.1 Mail to groups is not accepted."

out=$("$RELAYWARDEN" explain -c "$LDT_DIR/policy.conf" --client 192.0.2.10 \
	--from "<someone@remote.example>" --rcpt "<vertrieb@acme.com>" 2>&1)
rc=$?
[ "$rc" -eq 1 ] && [[ $out == *"recipient: the directory knows it as a group"* ]] &&
	[[ $out == *"=> 550 5.7.1 Mail to groups is not accepted."* ]] ||
	ldt_fail "explain does not call the AD group a group (exit $rc): $(printf '%s' "$out" | tr '\n' ' ')"

# --- check --probe with README's preset: every step the policy needs
out=$("$RELAYWARDEN" check -c "$LDT_DIR/policy.conf" --probe --login 'ACME\jdoe' 2>&1)
rc=$?
printf '%s\n' "$out" >"$LDT_DIR/probe-ad.out"
for want in "ldaps://$SAD_IP/ connect ok" "ldaps://$SAD_IP/ tls ok: TLS1." \
	"ldaps://$SAD_IP/ bind ok: as svcrelay@acme.com" \
	"ldaps://$SAD_IP/ user search ok: ACME\\jdoe is CN=" \
	"ldaps://$SAD_IP/ group search ok: filter (&(&(|(objectClass=group)))(|(member:1.2.840.113556.1.4.1941:=" \
	"directory lookup ok: ACME\\jdoe: found, primary <john.doe@acme.com>"; do
	[[ $out == *"$want"* ]] || ldt_fail "check --probe (AD): no line with '$want'"
done
[ "$rc" -eq 0 ] || ldt_fail "check --probe (AD): exit $rc, want 0: $(printf '%s' "$out" | tr '\n' ' ')"

# --- plain ldap:// with a simple bind: AD refuses, relaywarden says why
ad_policy "$LDT_DIR/plain.conf" "unix:$LDT_DIR/plain.sock" "s#ldaps://$SAD_IP/#ldap://$SAD_IP/#g" || exit 1
ldt_milter_start "$LDT_DIR/plain.conf" plain || exit 1
ldt_expect "simple bind over plain ldap://" jdoe "<john.doe@acme.com>" tempfail plain
grep -q 'Strong(er) authentication required' "$LDT_DIR/rw-plain.log" ||
	ldt_fail "plain ldap://: AD's reason is not in the log: $(grep -m1 'ldap' "$LDT_DIR/rw-plain.log")"

# --- a CA that did not sign AD's certificate: 451 with GnuTLS's reason,
# never a plain-text fallback
ad_policy "$LDT_DIR/wrongca.conf" "unix:$LDT_DIR/wrongca.sock" "s#\"$SAD_CA\"#\"$SAD_OTHER_CA\"#" || exit 1
grep -qF "\"$SAD_OTHER_CA\"" "$LDT_DIR/wrongca.conf" || ldt_fail "wrong-CA variant not written"
ldt_milter_start "$LDT_DIR/wrongca.conf" wrongca || exit 1
ldt_expect "ldaps with a CA that did not sign the server's certificate" jdoe \
	"<john.doe@acme.com>" tempfail wrongca
[[ $LDT_LINE == *"tls: certificate not verified for $SAD_IP: The certificate is NOT trusted. The certificate issuer is unknown."* ]] ||
	ldt_fail "wrong CA: the certificate's reason is not in the decision line: $LDT_LINE"
out=$("$RELAYWARDEN" check -c "$LDT_DIR/wrongca.conf" --probe 2>&1)
rc=$?
[ "$rc" -eq 69 ] && [[ $out == *"ldaps://$SAD_IP/ tls failed: certificate not verified for $SAD_IP: The certificate is NOT trusted."* ]] ||
	ldt_fail "check --probe, wrong CA: exit $rc (want 69): $(printf '%s' "$out" | tr '\n' ' ')"

# --- StartTLS on ldap:// (README: works too)
ad_policy "$LDT_DIR/starttls.conf" "unix:$LDT_DIR/starttls.sock" \
	"s#ldaps://$SAD_IP/#ldap://$SAD_IP/#g; s#^    base = #    starttls = true;\n    base = #" || exit 1
grep -q '^    starttls = true;$' "$LDT_DIR/starttls.conf" || ldt_fail "starttls variant not written"
ldt_milter_start "$LDT_DIR/starttls.conf" starttls || exit 1
ldt_expect "StartTLS on ldap://" 'ACME\jdoe' "<vertrieb@acme.com>" continue starttls

{ ldt_milter_alive && ldt_milter_alive plain && ldt_milter_alive wrongca &&
	ldt_milter_alive starttls; } ||
	ldt_fail "relaywarden died during the test"
ldt_note "t-ad took $(($(now_ms) - t0)) ms"
ldt_finish

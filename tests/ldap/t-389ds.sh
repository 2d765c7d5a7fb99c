#!/usr/bin/env bash
# t-389ds.sh - relaywarden against a real 389 Directory Server (ns-slapd
# started by the test, tests/lib/ds389.sh, memberOf plugin on), using README's
# 389-ds/FreeIPA preset (<!-- test: 389ds-directory -->) with only the URI and
# the password file changed. Asserts the exact reply: own address; nested
# group send-as through memberOf (team directly, dept through team); a
# non-member refused; a locked account (nsAccountLock) owns nothing; and with
# nested_groups = "in_chain", which 389-ds answers with "Critical extension
# is unavailable", mail that needs no group is still accepted and only mail
# that needs one gets 451 4.7.1, with the server's words logged; an empty
# base (Domino's advice) is accepted and searches every suffix.
# Usage: tests/ldap/t-389ds.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
# shellcheck source=../lib/ds389.sh
. "$(dirname "$0")/../lib/ds389.sh"
ldt_init 389ds "${1:-}"
trap 'ds_stop; _ldt_cleanup' EXIT
t0=$(now_ms)

block=$(ldt_readme_block 389ds-directory) || { ldt_fail "README has no 389ds-directory block"; exit 1; }
ds_start "$LDT_DIR/ds" "$LDT_FIXTURES/389ds.ldif" || { ldt_fail "389-ds did not start"; exit 1; }
ldt_note "389-ds $DS_NAME on $DS_URI answered after $(($(now_ms) - t0)) ms (created, started, loaded)"

# ds_policy FILE SOCKET [SED]: README's block with the test's URI and password
# file, then SED (one more sed expression) for a variant.
ds_policy() {
	local file=$1 socket=$2 extra=${3:-}
	ldt_preset_policy "$file" "$socket" "$block" "" \
		-e "s#\"ldap://ds1\.acme\.com:389/\"#\"$DS_URI\"#" \
		-e "s#\"/etc/relaywarden/ldap.secret\"#\"$DS_PWFILE\"#" ${extra:+-e "$extra"}
	grep -qF "\"$DS_URI\"" "$file" && grep -qF "\"$DS_PWFILE\"" "$file" ||
		{ ldt_fail "README's 389ds-directory block no longer has the uris/password lines the test rewrites"; return 1; }
}

ds_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" || exit 1
grep -q 'nested_groups = "member_of";' "$LDT_DIR/policy.conf" ||
	{ ldt_fail "README's 389-ds preset does not use member_of"; exit 1; }
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

ldt_expect "own address" jdoe "<john.doe@acme.com>" continue
ldt_expect "direct group (memberOf)" jdoe "<team@acme.com>" continue
ldt_expect "nested group through team (memberOf)" jdoe "<dept@acme.com>" continue
ldt_expect "not a member" asmith "<dept@acme.com>" reject
ldt_expect "login by mail" "anna.smith@acme.com" "<anna.smith@acme.com>" continue
ldt_expect "locked account (nsAccountLock) owns nothing" locked "<locked@acme.com>" reject
[[ $LDT_LINE == *'reason="authenticated user not in directory"'* ]] ||
	ldt_fail "locked account: expected 'authenticated user not in directory'; log: $LDT_LINE"

# in_chain against 389-ds: the group search fails, nothing else does.
ds_policy "$LDT_DIR/chain.conf" "unix:$LDT_DIR/chain.sock" 's#nested_groups = "member_of";#nested_groups = "in_chain";#' || exit 1
ldt_milter_start "$LDT_DIR/chain.conf" chain || exit 1
ldt_expect "in_chain unsupported: own address still accepted" jdoe "<john.doe@acme.com>" continue chain
ldt_expect "in_chain unsupported: a non-member's own address accepted" asmith "<anna.smith@acme.com>" continue chain
ldt_expect "in_chain unsupported: an address only a group could own -> 451" jdoe "<dept@acme.com>" tempfail chain
[[ $LDT_LINE == *'Critical extension is unavailable'* ]] ||
	ldt_fail "in_chain: the server's reason is not in the decision line: $LDT_LINE"
ldt_expect "in_chain unsupported: unknown user still refused" nobody "<dept@acme.com>" reject chain
grep -q 'ldap: groups of jdoe unavailable: .*Critical extension is unavailable' "$LDT_DIR/rw-chain.log" ||
	ldt_fail "in_chain: no warning naming the failed group search"

# check --probe names what mail would meet: member_of works, in_chain does
# not (and the start-up probe logged it once).
out=$("$RELAYWARDEN" check -c "$LDT_DIR/policy.conf" --probe 2>&1)
rc=$?
printf '%s\n' "$out" >"$LDT_DIR/probe-member-of.out"
[ "$rc" -eq 0 ] && [[ $out == *"$DS_URI nested groups ok: nested_groups = \"member_of\": "*" carries memberOf"* ]] ||
	ldt_fail "check --probe, member_of: exit $rc (want 0): $(printf '%s' "$out" | tr '\n' ' ')"
out=$("$RELAYWARDEN" check -c "$LDT_DIR/chain.conf" --probe 2>&1)
rc=$?
printf '%s\n' "$out" >"$LDT_DIR/probe-in-chain.out"
[ "$rc" -eq 69 ] && [[ $out == *"$DS_URI group search failed: "*"1.2.840.113556.1.4.1941"*"Critical extension is unavailable"* ]] ||
	ldt_fail "check --probe, in_chain: exit $rc (want 69): $(printf '%s' "$out" | tr '\n' ' ')"
wait_for 30 grep -q 'ldap probe: 1 problem(s)' "$LDT_DIR/rw-chain.log" ||
	ldt_fail "in_chain: no start-up probe summary in 30 s"
n=$(grep -c "ldap probe: $DS_URI group search failed: .*Critical extension is unavailable" "$LDT_DIR/rw-chain.log")
[ "$n" -eq 1 ] || ldt_fail "start-up probe: in_chain's failure logged $n times, want once"

# An empty base (as for Domino's LDAP): check accepts it, and 389-ds searches
# all its suffixes from it.
ds_policy "$LDT_DIR/nobase.conf" "unix:$LDT_DIR/nobase.sock" 's#^    base = .*#    base = "";#' || exit 1
grep -q '^    base = "";$' "$LDT_DIR/nobase.conf" || ldt_fail "empty-base variant not written"
ldt_milter_start "$LDT_DIR/nobase.conf" nobase || exit 1
ldt_expect "empty base: own address" jdoe "<john.doe@acme.com>" continue nobase
ldt_expect "empty base: nested group (memberOf)" jdoe "<dept@acme.com>" continue nobase
ldt_expect "empty base: not a member" asmith "<dept@acme.com>" reject nobase

{ ldt_milter_alive && ldt_milter_alive chain && ldt_milter_alive nobase; } ||
	ldt_fail "relaywarden died during the test"
ldt_note "t-389ds took $(($(now_ms) - t0)) ms"
ldt_finish

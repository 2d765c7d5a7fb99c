#!/usr/bin/env bash
# t-injection.sh - RFC 4515 escaping of the login (DESIGN §5): filter
# metacharacters in {auth_authen} are matched literally. Each hostile login
# must be "not found" (550, Domino's words with "(none)"), and slapd must have
# received exactly the escaped value in the user filter; "star*user", a real
# uid holding a "*", must be found as itself.
# Usage: tests/ldap/t-injection.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init injection "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

# RFC 4515 value escaping: * ( ) \ NUL as \XX (slapd logs upper-case hex).
escape() {
	local in=$1 out='' c i
	for ((i = 0; i < ${#in}; i++)); do
		c=${in:i:1}
		case $c in
		'*') out+='\2A' ;;
		'(') out+='\28' ;;
		')') out+='\29' ;;
		'\') out+='\5C' ;;
		*) out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

for login in '*' '*)(uid=*' 'jdoe)(|(uid=*' '\' '\\' 'star*' 'jdoe*' '*jdoe' '(uid=jdoe)'; do
	# Sending as a real address: a filter that matched jdoe would pass.
	if ldt_expect "hostile login '$login'" "$login" "<john.doe@acme.com>" reject &&
		[[ $LDT_LINE != *"failed to match directory address (none)"* ]]; then
		ldt_fail "hostile login '$login': was not \"not found\": $LDT_LINE"
	fi
	want="(uid=$(escape "$login"))"
	n=$(slapd_srch_count "$want")
	[ "$n" -eq 1 ] ||
		ldt_fail "hostile login '$login': slapd saw $n search(es) with $want, expected 1 (escaped literally)"
done
n=$(grep ' SRCH base=' "$SLAPD_LOG" | grep -cE '\((uid|mail|cn)=\*\)')
[ "$n" -eq 0 ] || ldt_fail "slapd received $n search(es) with a presence filter on uid/mail/cn"

ldt_expect_wire "hostile login '*)(uid=*', raw client" '*)(uid=*' "<john.doe@acme.com>" reject

ldt_expect "uid with a '*' found as itself" "star*user" "<staruser@acme.com>" continue
if ldt_expect "uid with a '*' found, other address refused" "star*user" "<john.doe@acme.com>" reject &&
	[[ $LDT_LINE != *"failed to match directory address staruser@acme.com"* ]]; then
	ldt_fail "star*user was not found as itself: $LDT_LINE"
fi

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

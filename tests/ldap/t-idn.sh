#!/usr/bin/env bash
# t-idn.sh - IDN against a real slapd (issue 14 item 4): directory values are
# normalised when fetched (an address stored with a U-label is owned in
# A-label form and vice versa), and a recipient lookup for an international
# domain asks for both forms, so either storage is found.
# Usage: tests/ldap/t-idn.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init idn "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
# jorg's address is stored as an A-label (mail is IA5: ASCII only); anna's
# as a U-label in description (a UTF-8 directoryString), as some
# directories keep SMTPUTF8 addresses.
ldapadd -x -H "$SLAPD_URI" -D cn=admin,dc=acme,dc=com -w secret >/dev/null <<'LDIF' ||
dn: uid=jorg,ou=people,dc=acme,dc=com
objectClass: inetOrgPerson
uid: jorg
cn: Jorg
sn: Jorg
mail: jorg@xn--bcher-kva.example

dn: uid=anna,ou=people,dc=acme,dc=com
objectClass: inetOrgPerson
uid: anna
cn: Anna
sn: Anna
description: ANNA@bücher.example
LDIF
	ldt_fail "could not add the IDN entries"
ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
sed -i 's/^local_domains = .*/local_domains = [ "acme.com", "bücher.example" ];/;
	s/^    send_as_attributes = .*/&\n    address_attributes = [ "mail", "description" ];\n    recipient_filter = "(|(mail=%s)(description=%s))";/' \
	"$LDT_DIR/policy.conf"
cat >>"$LDT_DIR/policy.conf" <<'CONF'
recipients = { verify_local = true; };
CONF
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

cat >"$LDT_DIR/rcpt.lua" <<'LUA'
local conn = mt.connect("unix:" .. os.getenv("LDT_SOCK"), 40, 0.25)
if conn == nil then error("connect failed") end
mt.conninfo(conn, "client.example.net", "192.0.2.10")
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect not continued") end
mt.mailfrom(conn, "<someone@remote.example>")
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("MAIL not continued") end
mt.rcptto(conn, os.getenv("LDT_RCPT"))
local r = mt.getreply(conn)
print(r == SMFIR_CONTINUE and "CODE=continue" or r == SMFIR_REPLYCODE and "CODE=replycode"
	or "CODE=other")
mt.disconnect(conn)
LUA

# expect_rcpt DESC RCPT REPLY ("" = accepted)
expect_rcpt() {
	local desc=$1 rcpt=$2 want=$3 before out code line text
	before=$(grep -c ' stage=rcpt ' "$LDT_DIR/rw.log")
	out=$(LDT_SOCK="$LDT_DIR/rw.sock" LDT_RCPT=$rcpt miltertest -s "$LDT_DIR/rcpt.lua" 2>&1)
	code=$(printf '%s\n' "$out" | sed -n 's/^CODE=//p')
	line=$(grep ' stage=rcpt ' "$LDT_DIR/rw.log" | tail -n +$((before + 1)) | head -n 1)
	text=$(printf '%s\n' "$line" | sed -n 's/.* reply="\([^"]*\)".*/\1/p')
	if [ -z "$want" ] && [ "$code" = continue ] && [ -z "$text" ]; then
		echo "ok - $desc -> continue"
		return 0
	fi
	if [ -n "$want" ] && [ "$code" = replycode ] && [ "$text" = "$want" ]; then
		echo "ok - $desc -> $want"
		return 0
	fi
	ldt_fail "$desc: $rcpt: got $code \"$text\", expected \"${want:-continue}\"; $out; log: $line"
}

expect_rcpt "stored A-label, asked as U-label" "<jorg@bücher.example>" ""
expect_rcpt "stored A-label, asked as A-label" "<Jorg@XN--BCHER-KVA.example>" ""
expect_rcpt "stored U-label, asked as A-label" "<anna@xn--bcher-kva.example>" ""
expect_rcpt "stored U-label, asked as upper-case U-label" "<Anna@BÜCHER.example>" ""
expect_rcpt "unknown recipient in U-label form" "<nobody@bücher.example>" \
	"550 5.1.1 No such user here"

ldt_expect "owned, stored A-label, sent as U-label" jorg "<jorg@bücher.example>" continue
ldt_expect "owned, stored U-label, sent as A-label" anna "<anna@xn--bcher-kva.example>" continue
ldt_expect "another user's international address" anna "<jorg@bücher.example>" reject

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

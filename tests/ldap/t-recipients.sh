#!/usr/bin/env bash
# t-recipients.sh - DESIGN §3 recipient controls against real slapd: one
# recipient_filter search per local recipient answers verify_local
# ("550 5.1.1 No such user here"), deny_groups = "all" ("550 5.7.1 Mail to
# groups is not accepted.") and deny_ambiguous ("550 5.1.4 Recipient address
# is ambiguous."); slapd down gives 451 4.7.1, never 550.
# Usage: tests/ldap/t-recipients.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init recipients "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
ldapadd -x -H "$SLAPD_URI" -D cn=admin,dc=acme,dc=com -w secret >/dev/null <<'LDIF' ||
dn: uid=dup,ou=people,dc=acme,dc=com
objectClass: inetOrgPerson
uid: dup
cn: Duplicate
sn: Duplicate
mail: boss@acme.com
LDIF
	ldt_fail "could not add the duplicate entry"
ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
cat >>"$LDT_DIR/policy.conf" <<'CONF'
recipients = { verify_local = true; deny_groups = "all"; deny_ambiguous = true; };
CONF
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

cat >"$LDT_DIR/rcpt.lua" <<'LUA'
local conn = mt.connect("unix:" .. os.getenv("LDT_SOCK"), 40, 0.25)
if conn == nil then error("connect failed") end
mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "smtp")
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
	if [ -z "$want" ] && [ "$code" = continue ] && [ -z "$text" ]; then return 0; fi
	if [ -n "$want" ] && [ "$code" = replycode ] && [ "$text" = "$want" ]; then return 0; fi
	ldt_fail "$desc: $rcpt: got $code \"$text\", expected \"${want:-continue}\"; $out; log: $line"
}

expect_rcpt "existing person" "<john.doe@acme.com>" ""
expect_rcpt "alias (mailAlternateAddress)" "<JD@acme.com>" ""
expect_rcpt "unknown local recipient" "<nobody@acme.com>" "550 5.1.1 No such user here"
expect_rcpt "group with deny_groups = all" "<sales@acme.com>" \
	"550 5.7.1 Mail to groups is not accepted."
expect_rcpt "two entries answer to the address" "<boss@acme.com>" \
	"550 5.1.4 Recipient address is ambiguous."
expect_rcpt "filter metacharacters are literal" "<*@acme.com>" "550 5.1.1 No such user here"
slapd_stop
expect_rcpt "slapd down" "<asmith@acme.com>" "451 4.7.1 Directory unavailable, try again later"
ldt_finish

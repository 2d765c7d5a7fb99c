#!/usr/bin/env bash
# t-on-behalf.sh - verify_sender.headers_rule = "from_and_sender" against a
# real slapd (issue 14 item 5): an owner's directory.ldap.on_behalf_attributes
# (relaywardenOnBehalf in the test schema) name, by DN or by address, the
# users who may put the owner's addresses in From: beside their own Sender:.
# Everything else in From: or Sender: must be owned: the exact 550.
# Usage: tests/ldap/t-on-behalf.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init on-behalf "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
P_GROUP_SEND_AS=false ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
sed -i 's/^  headers = false;/  headers = true; headers_rule = "from_and_sender";/;
	s/^    send_as_attributes = .*/&\n    on_behalf_attributes = [ "relaywardenOnBehalf" ];/' "$LDT_DIR/policy.conf"
grep -q 'on_behalf_attributes' "$LDT_DIR/policy.conf" || ldt_fail "policy edit failed"
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

cat >"$LDT_DIR/eoh.lua" <<'LUA'
local conn = mt.connect("unix:" .. os.getenv("LDT_SOCK"), 40, 0.05)
if conn == nil then error("cannot connect") end
if mt.conninfo(conn, "client.example.net", "192.0.2.10") ~= nil then error("conninfo") end
if mt.macro(conn, SMFIC_MAIL, "{auth_type}", "PLAIN", "{auth_authen}", os.getenv("LDT_LOGIN")) ~= nil then
  error("macro")
end
if mt.mailfrom(conn, os.getenv("LDT_FROM")) ~= nil then error("mailfrom") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("MAIL not continued") end
if mt.rcptto(conn, "<x@ibm.com>") ~= nil then error("rcptto") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("RCPT not continued") end
for _, h in ipairs({ { "From", os.getenv("LDT_HFROM") }, { "Sender", os.getenv("LDT_HSENDER") } }) do
  if h[2] ~= nil and h[2] ~= "" then
    if mt.header(conn, h[1], h[2]) ~= nil then error("header") end
    if mt.getreply(conn) ~= SMFIR_CONTINUE then error("header not continued") end
  end
end
if mt.eoh(conn) ~= nil then error("eoh") end
local r = mt.getreply(conn)
print("LDT_CODE=" .. (r == SMFIR_CONTINUE and "continue" or r == SMFIR_REPLYCODE and "replycode" or tostring(r)))
mt.disconnect(conn)
LUA

NOT_OWNED='550 5.7.1 Sender address rejected: not owned by authenticated user'
# expect DESC LOGIN ENVELOPE FROM: SENDER: WANT(continue|reject) [SUBSTRING]
expect() {
	local desc=$1 login=$2 env=$3 hfrom=$4 hsender=$5 want=$6 sub=${7:-} out before line
	before=$(grep -c ' stage=header ' "$LDT_DIR/rw.log")
	out=$(LDT_SOCK=$LDT_DIR/rw.sock LDT_LOGIN=$login LDT_FROM=$env LDT_HFROM=$hfrom \
		LDT_HSENDER=$hsender miltertest -s "$LDT_DIR/eoh.lua" 2>&1)
	line=$(grep ' stage=header ' "$LDT_DIR/rw.log" | tail -n +$((before + 1)) | head -n 1)
	case $want in
	continue) [[ $out == *LDT_CODE=continue* && $line == *" decision=accept "* ]] ;;
	reject) [[ $out == *LDT_CODE=replycode* && $line == *" reply=\"$NOT_OWNED\""* ]] ;;
	esac || { ldt_fail "$desc: expected $want: $out / ${line:-<no line>}"; return; }
	[ -z "$sub" ] || [[ $line == *"$sub"* ]] || { ldt_fail "$desc: line lacks [$sub]: $line"; return; }
	echo "ok - $desc -> $want"
}

expect "DN grant: asmith sends From: boss on her behalf" asmith "<alice.smith@acme.com>" \
	"Big Boss <boss@acme.com>" "<alice.smith@acme.com>" continue \
	'detail="headers_rule=from_and_sender on_behalf=<boss@acme.com>"'
expect "address grant (jdoe's alias): jdoe sends From: exec's second address" jdoe \
	"<john.doe@acme.com>" "<chairman@acme.com>" "<john.doe@acme.com>" continue \
	"on_behalf=<chairman@acme.com>"
expect "on behalf needs the own Sender:" asmith "<alice.smith@acme.com>" "<boss@acme.com>" "" \
	reject '(From:, headers_rule from_and_sender)'
expect "a grant is not inherited: asmith for exec" asmith "<alice.smith@acme.com>" \
	"<exec@acme.com>" "<alice.smith@acme.com>" reject
expect "a grant is one-way: boss for asmith" boss "<boss@acme.com>" "<alice.smith@acme.com>" \
	"<boss@acme.com>" reject
expect "someone else's Sender: never passes" asmith "<alice.smith@acme.com>" "<boss@acme.com>" \
	"<john.doe@acme.com>" reject '(Sender:, headers_rule from_and_sender)'
expect "own From: and Sender:" jdoe "<john.doe@acme.com>" "<jd@acme.com>" "<john.doe@acme.com>" \
	continue 'detail="headers_rule=from_and_sender"'
# the grants cost one search per lookup (none when on_behalf_attributes is empty)
before=$(slapd_srch_count relaywardenOnBehalf)
expect "DN grant, again (search count)" asmith "<alice.smith@acme.com>" "<boss@acme.com>" \
	"<alice.smith@acme.com>" continue
after=$(slapd_srch_count relaywardenOnBehalf)
if [ $((after - before)) -eq 1 ]; then
	echo "ok - the grants are one search"
else
	ldt_fail "expected 1 search for the grants, got $((after - before))"
fi
ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

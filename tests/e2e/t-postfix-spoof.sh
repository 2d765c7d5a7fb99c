#!/usr/bin/env bash
# t-postfix-spoof.sh - issue 14's header spoofs through a real, private
# Postfix with Cyrus SASL, driven by swaks on 127.0.0.1, with the shipped
# verify-sender policy: an authenticated jdoe whose envelope is his own
# tries to show the reader someone else's address in the originator
# header - an obs-route smuggling a mailbox, an RFC 2047 encoded word, a
# full-width at sign, a comment used as the name, a name cut at '['. Each
# is refused after DATA with the exact reply, the decision line names the
# parser's reason, and nothing reaches the next hop (smtp-sink); the
# legitimate messages (a plain name, Outlook's own address as the name, a
# real obs-domain-list route, a decoded plain name) are delivered.
# Usage: tests/e2e/t-postfix-spoof.sh [path/to/relaywarden]
set -u
# shellcheck source=lib/e2e.sh
. "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/postfix.sh
. "$(dirname "$0")/lib/postfix.sh"
e2e_init postfix-spoof "${1:-}"
e2e_cleanup_hook() { pf_stop; }

MALFORMED='550 5.7.1 Message rejected: malformed originator header'
AUTH_JDOE=(-a LOGIN --auth-user jdoe --auth-password 'Secret-1')
FW_AT=$(printf '\357\274\240')    # U+FF20 FULLWIDTH COMMERCIAL AT, UTF-8

# Postfix rewrites header addresses (dropping source routes) only for
# local_header_rewrite_clients (default: permit_inet_interfaces, the server's
# own addresses, which 127.0.0.1 is here). A user sends from elsewhere, and
# then the header reaches relaywarden - and the reader - as written; empty
# the list so that the loopback client is such a user.
PF_EXTRA_CF='local_header_rewrite_clients ='
sink_start "$E2E_DIR" || exit 1
pf_start "$E2E_DIR/postfix" "inet:127.0.0.1:$E2E_MILTER_PORT" "$SINK_PORT" || exit 1
E2E_MTA_PORT=$PF_PORT
pf_user jdoe 'Secret-1'
e2e_policy "$E2E_TOP/policies/examples/verify-sender.conf"
e2e_milter_start || exit 1

# spoof DESC DETAIL HEADER...: refused after DATA ("." answered with the
# 550), nothing delivered, and the one decision line says why.
spoof() {
	local desc=$1 detail=$2 mark
	shift 2
	mark=$(log_mark "$E2E_RW_LOG")
	local hdrs=()
	for h in "$@"; do hdrs+=(--header "$h"); done
	e2e_refused "$desc" "$MALFORMED" "${AUTH_JDOE[@]}" --from john.doe@acme.com \
		--to john.doe@ibm.com "${hdrs[@]}"
	e2e_check "$desc: refused after DATA" \
		grep -qxF "<** $MALFORMED" <(sed -n '/^ -> \.$/,$p' "$E2E_DIR/swaks.out")
	e2e_check "$desc: logged with detail=\"$detail\"" \
		sh -c 'tail -c +"$(($1 + 1))" "$2" | grep -q "decision=reject stage=header .*detail=\"$3\""' \
		sh "$mark" "$E2E_RW_LOG" "$detail"
}

spoof "obs-route smuggling a mailbox" "malformed route" \
	'From: <@x, alice.smith@acme.com:john.doe@acme.com>'
spoof "obs-route holding an angle address" "unbalanced angle brackets" \
	'From: John <@ <evil@x.example> :john.doe@acme.com>'
spoof "obs-route smuggling in Sender:" "malformed route" \
	'Sender: <@x, alice.smith@acme.com:john.doe@acme.com>' 'From: john.doe@acme.com'
spoof "B encoded word reads as another address" "display name holds another address" \
	'From: =?UTF-8?B?YWxpY2Uuc21pdGhAYWNtZS5jb20=?= <john.doe@acme.com>'
spoof "Q encoded word reads as another address" "display name holds another address" \
	'From: =?utf-8?q?alice.smith=40acme.com?= <john.doe@acme.com>'
spoof "full-width at sign" "display name holds another address" \
	"From: \"alice.smith${FW_AT}acme.com\" <john.doe@acme.com>"
spoof "comment used as the display name" "comment holds another address" \
	'From: john.doe@acme.com (alice.smith@acme.com)'
spoof "name cut at '['" "display name holds another address" \
	'From: "alice.smith@[10.0.0.1]" <john.doe@acme.com>'
spoof "undecodable encoded word" "encoded word in an unknown charset or invalid in it" \
	'From: =?x-no-such-charset?q?John?= <john.doe@acme.com>'

e2e_delivered "a plain display name" "john.doe@ibm.com" "${AUTH_JDOE[@]}" \
	--from john.doe@acme.com --to john.doe@ibm.com --header 'From: John Doe <john.doe@acme.com>'
e2e_delivered "Outlook: the own address as the display name" "john.doe@ibm.com" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to john.doe@ibm.com \
	--header 'From: "john.doe@acme.com" <john.doe@acme.com>'
e2e_delivered "a real obs-domain-list route and a decoded name" "john.doe@ibm.com" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to john.doe@ibm.com \
	--header 'From: =?iso-8859-1?q?J=F6rg_Doe?= <@relay.example,@hop.example:john.doe@acme.com>'
e2e_check "the delivered route header reached the sink unchanged" \
	grep -qF 'From: =?iso-8859-1?q?J=F6rg_Doe?= <@relay.example,@hop.example:john.doe@acme.com>' \
	"$(sink_last)"
e2e_done

#!/usr/bin/env bash
# t-postfix.sh - relaywarden behind a real, private Postfix with Cyrus SASL,
# driven by swaks over SMTP on 127.0.0.1 (issue 5): Domino's scenarios with
# the shipped policies, the exact SMTP replies, and what reached the next
# hop (smtp-sink). The client is 127.0.0.1 (external in these policies)
# or 127.0.0.2 (an excluded application server / the internal hub).
# Usage: tests/e2e/t-postfix.sh [path/to/relaywarden]
set -u
# shellcheck source=lib/e2e.sh
. "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/postfix.sh
. "$(dirname "$0")/lib/postfix.sh"
e2e_init postfix "${1:-}"
e2e_cleanup_hook() { pf_stop; }

RELAY='554 5.7.1 Relay rejected for policy reasons.'
NOT_OWNED='550 5.7.1 Sender address rejected: not owned by authenticated user'
P=$E2E_TOP/policies/examples
AUTH_JDOE=(-a LOGIN --auth-user jdoe --auth-password 'Secret-1')

sink_start "$E2E_DIR" || exit 1
pf_start "$E2E_DIR/postfix" "inet:127.0.0.1:$E2E_MILTER_PORT" "$SINK_PORT" || exit 1
E2E_MTA_PORT=$PF_PORT
pf_user jdoe 'Secret-1'
pf_user monitor 'Secret-2'

# ---- closed relay (Domino: enforce for external hosts, deny * both ways),
# with 127.0.0.2 as the excluded application server
e2e_policy "$P/closed-relay.conf" 's/\[10\.30\.5\.7\]/[127.0.0.2]/'
e2e_milter_start || exit 1
e2e_refused "seed: telnet relay attempt" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
e2e_delivered "local delivery" "jd@acme.com" --from bogus.user@bogus.com --to jd@acme.com
e2e_delivered "authenticated relay (Outlook: my server requires authentication)" \
	"john.doe@ibm.com" "${AUTH_JDOE[@]}" --from john.doe@acme.com --to john.doe@ibm.com
# At the default log_level (info) the accepted message has its line with
# Postfix's queue id (Domino's "Message ... received"), and the login its own.
QID=$(sed -n 's/^<-  250 2\.0\.0 Ok: queued as \([0-9A-Za-z]*\)$/\1/p' "$E2E_DIR/swaks.out")
MSGID=$(sed -n 's/^ -> Message-Id: \(<[^>]*>\).*/\1/p' "$E2E_DIR/swaks.out")
e2e_check "log: $QID: message received, with client, auth, sender, count and Message-ID" \
	grep -qE "^.*relaywarden\[info\]: $QID: message received client=localhost\[127\.0\.0\.1\] auth=jdoe from=<john\.doe@acme\.com> nrcpt=1 size=[0-9]+ msgid=\"$MSGID\"$" \
	"$E2E_RW_LOG"
e2e_check "log: the login once, with the client (Authentication succeeded for user ...)" \
	grep -qE ': authenticated client=localhost\[127\.0\.0\.1\] auth=jdoe reason="authentication succeeded"$' \
	"$E2E_RW_LOG"
e2e_refused "wrong password: Postfix refuses AUTH" \
	"535 5.7.8 Error: authentication failed: authentication failure" \
	-a LOGIN --auth-user jdoe --auth-password wrong --from john.doe@acme.com --to john.doe@ibm.com
e2e_refused "authenticated spoof" "$NOT_OWNED" \
	"${AUTH_JDOE[@]}" --from alice.smith@acme.com --to john.doe@ibm.com
e2e_delivered "excluded application server relays" "john.doe@ibm.com" \
	--local-interface 127.0.0.2 --from app@acme.com --to john.doe@ibm.com
e2e_refused "hidden route through a local domain" "$RELAY" \
	--from bogus.user@bogus.com --to 'jane%ibm.com@acme.com'
e2e_delivered "pipelining, one local and one relay recipient" "jd@acme.com" \
	--pipeline --from bogus.user@bogus.com --to jd@acme.com,x@ibm.com
e2e_check "pipelining: the relay recipient got the 554" \
	grep -qxF "<** $RELAY" "$E2E_DIR/swaks.out"
LOCALS=jd@acme.com,john.doe@acme.com,alice.smith@acme.com,sales@acme.com
e2e_delivered "many recipients, mixed verdicts" \
	"jd@acme.com john.doe@acme.com alice.smith@acme.com sales@acme.com" \
	--from bogus.user@bogus.com --to "a@ibm.com,$LOCALS,b@example.org,c@example.net"
e2e_check "many recipients: three 554 replies" \
	test "$(grep -cxF "<** $RELAY" "$E2E_DIR/swaks.out")" -eq 3

# ---- report_only: nothing refused, the message says what would have been
e2e_reload "$P/closed-relay.conf" '$a report_only = true;' || exit 1
e2e_delivered "report_only: the relay attempt is delivered" "john.doe@ibm.com" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
e2e_check "report_only: with X-Relaywarden: would-reject rule=relay" \
	grep -qx 'X-Relaywarden: would-reject rule=relay' "$(sink_last)"

# ---- the milter is down: Postfix (milter_default_action = tempfail) defers
e2e_reload "$P/closed-relay.conf" || exit 1
e2e_milter_stop KILL
e2e_refused "milter killed: Postfix defers" "451 4.7.1 Service unavailable - try again later" \
	--from bogus.user@bogus.com --to jd@acme.com
# Postfix asks the milter at CONNECT already; with it down, AUTH is deferred.
e2e_refused "milter killed: an authenticated user is deferred too" "454 4.3.0 Try again later" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to john.doe@ibm.com
e2e_milter_start || exit 1
e2e_refused "milter restarted: back to normal" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
e2e_delivered "milter restarted: local delivery" "jd@acme.com" \
	--from bogus.user@bogus.com --to jd@acme.com

# ---- the milter killed under load: every message is either judged and
# delivered, or deferred with 4xx; none is accepted unchecked, none bounced
e2e_reload "$P/closed-relay.conf" || exit 1
before_rcpts=$(grep -c 'decision=accept stage=rcpt .* rcpt=<jd@acme.com>' "$E2E_RW_LOG")
load_pids=()
for i in $(seq 1 16); do
	swaks --server 127.0.0.1 --port "$E2E_MTA_PORT" --timeout 30 --from "load$i@example.org" \
		--to jd@acme.com >"$E2E_DIR/load.$i" 2>&1 &
	load_pids+=($!)
done
# Kill it once at least one session has reached it (its RCPT line), so the
# kill really lands under load and not before the first message.
wait_for 30 sh -c '[ "$(grep -c "decision=accept stage=rcpt .* rcpt=<jd@acme.com>" "$1")" -gt "$2" ]' \
	sh "$E2E_RW_LOG" "$before_rcpts" || e2e_check "under load: a session reached relaywarden" false
e2e_milter_stop KILL
wait "${load_pids[@]}"
accepted=$(grep -l '^<-  250 2\.0\.0 Ok: queued' "$E2E_DIR"/load.* | wc -l)
deferred=$(grep -lE '^<\*\* 4[0-9][0-9] ' "$E2E_DIR"/load.* | wc -l)
refused5=$(grep -lE '^<\*\* 5[0-9][0-9] ' "$E2E_DIR"/load.* | wc -l)
judged=$(($(grep -c 'decision=accept stage=rcpt .* rcpt=<jd@acme.com>' "$E2E_RW_LOG") - before_rcpts))
echo "# under load: $accepted accepted, $deferred deferred, $refused5 refused with 5xx, $judged judged"
e2e_check "under load: every message accepted or deferred" test $((accepted + deferred)) -eq 16
e2e_check "under load: none refused with 5xx" test "$refused5" -eq 0
e2e_check "under load: no more accepted than relaywarden judged" test "$accepted" -le "$judged"
E2E_SINK_EXPECT=$((E2E_SINK_EXPECT + accepted))
e2e_check "under load: exactly the accepted ones delivered" sink_wait "$E2E_SINK_EXPECT" 30
e2e_check "under load: no other delivery" _sink_exact 0.5
e2e_milter_start || exit 1

# ---- verify authenticated sender (enforce for all hosts, group send-as)
e2e_reload "$P/verify-sender.conf" || exit 1
e2e_refused "verify-sender: unauthenticated relay" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
e2e_delivered "verify-sender: jdoe as the Sales group he belongs to" "john.doe@ibm.com" \
	"${AUTH_JDOE[@]}" --from sales@acme.com --to john.doe@ibm.com
e2e_refused "verify-sender: own envelope, someone else's From:" "$NOT_OWNED" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to john.doe@ibm.com \
	--header 'From: Alice Smith <alice.smith@acme.com>'
e2e_delivered "verify-sender: the exempt monitoring account" "john.doe@ibm.com" \
	-a PLAIN --auth-user monitor --auth-password 'Secret-2' --from probe@anywhere.example \
	--to john.doe@ibm.com

# ---- partner relay: only to partner.example
e2e_reload "$P/partner-relay.conf" || exit 1
e2e_delivered "partner-relay: to the partner domain" "orders@partner.example" \
	--from bogus.user@bogus.com --to orders@partner.example
e2e_refused "partner-relay: anywhere else" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com

# ---- recipient verification
e2e_reload "$P/recipient-verification.conf" || exit 1
e2e_refused "recipient-verification: unknown local user" "550 5.1.1 No such user here" \
	--from someone@example.org --to nobody@acme.com
e2e_refused "recipient-verification: a group from outside" \
	"550 5.7.1 Mail to groups is not accepted." --from someone@example.org --to sales@acme.com
e2e_delivered "recipient-verification: a person" "alice.smith@acme.com" \
	--from someone@example.org --to alice.smith@acme.com

# ---- DMZ edge relay: the internal hub (127.0.0.2 here) relays out
e2e_reload "$P/dmz-edge.conf" 's/"10\.20\.0\.5"/"127.0.0.2"/' || exit 1
e2e_delivered "dmz-edge: the hub sends to the Internet" "partner@example.org" \
	--local-interface 127.0.0.2 --from john.doe@acme.com --to partner@example.org
e2e_delivered "dmz-edge: the Internet sends to acme.com" "jd@acme.com" \
	--from someone@example.org --to jd@acme.com
e2e_refused "dmz-edge: the Internet may not relay" "$RELAY" \
	--from someone@example.org --to partner@example.org
e2e_refused "dmz-edge: nor claim an acme.com sender" \
	"550 5.7.1 Sender address rejected: authentication required" \
	--from john.doe@acme.com --to jd@acme.com
e2e_check "the SASL passwords never reach relaywarden's log" \
	sh -c "! grep -qE 'Secret-[12]' '$E2E_DIR/relaywarden.log'"
e2e_done

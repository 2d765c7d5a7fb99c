#!/usr/bin/env bash
# t-sendmail.sh - relaywarden behind a real, private Sendmail 8.17 with
# Cyrus SASL (tests/e2e/lib/sendmail.sh), driven by swaks on 127.0.0.1:
# Domino's scenarios with the shipped policies, the exact SMTP replies as
# Sendmail words them, and what reached the next hop (smtp-sink).
# Usage: tests/e2e/t-sendmail.sh [path/to/relaywarden]
set -u
# shellcheck source=lib/e2e.sh
. "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/sendmail.sh
. "$(dirname "$0")/lib/sendmail.sh"
e2e_init sendmail "${1:-}"
e2e_cleanup_hook() { sm_stop; }

RELAY='554 5.7.1 Relay rejected for policy reasons.'
P=$E2E_TOP/policies/examples
AUTH_JDOE=(-a LOGIN --auth-user jdoe --auth-password 'Secret-1')

sink_start "$E2E_DIR" || exit 1
e2e_policy "$P/closed-relay.conf" 's/\[10\.30\.5\.7\]/[127.0.0.2]/'
e2e_milter_start || exit 1
sm_start "$E2E_DIR/sendmail" "$E2E_MILTER_PORT" "$SINK_PORT" || exit 1
E2E_MTA_PORT=$SM_PORT
sm_user jdoe 'Secret-1'
e2e_check "sendmail.cf is built with README's INPUT_MAIL_FILTER line" \
	grep -qxF "$(sm_readme_filter "$E2E_MILTER_PORT")dnl" "$SM_DIR/rig.mc"

# ---- closed relay
e2e_refused "seed: telnet relay attempt" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
e2e_check "the 554 is relaywarden's (its decision line)" \
	grep -q 'decision=reject stage=rcpt rule=relay .* rcpt=<john.doe@ibm.com>' "$E2E_RW_LOG"
e2e_delivered "local delivery" "jd@acme.com" --from bogus.user@bogus.com --to jd@acme.com
e2e_delivered "authenticated relay" "john.doe@ibm.com" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to john.doe@ibm.com
e2e_check "Sendmail passes the bare login as {auth_authen}" \
	grep -q 'auth=jdoe from=<john.doe@acme.com>' "$E2E_RW_LOG"
e2e_refused "wrong password: Sendmail refuses AUTH" "535 5.7.0 authentication failed" \
	-a LOGIN --auth-user jdoe --auth-password wrong --from john.doe@acme.com --to john.doe@ibm.com
# Sendmail puts the address in front of a milter's MAIL reply text.
e2e_refused "authenticated spoof" \
	"550 5.7.1 <alice.smith@acme.com>... Sender address rejected: not owned by authenticated user" \
	"${AUTH_JDOE[@]}" --from alice.smith@acme.com --to john.doe@ibm.com
e2e_delivered "excluded application server relays" "john.doe@ibm.com" \
	--local-interface 127.0.0.2 --from app@acme.com --to john.doe@ibm.com
e2e_delivered "pipelining, one local and one relay recipient" "jd@acme.com" \
	--pipeline --from bogus.user@bogus.com --to jd@acme.com,x@ibm.com
e2e_check "pipelining: the relay recipient got the 554" \
	grep -qxF "<** $RELAY" "$E2E_DIR/swaks.out"

# ---- verify authenticated sender, by reload: the From: header is checked too
e2e_reload "$P/verify-sender.conf" || exit 1
e2e_refused "verify-sender: own envelope, someone else's From:" \
	"550 5.7.1 Sender address rejected: not owned by authenticated user" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to john.doe@ibm.com \
	--header 'From: Alice Smith <alice.smith@acme.com>'
e2e_delivered "verify-sender: jdoe as the Sales group he belongs to" "john.doe@ibm.com" \
	"${AUTH_JDOE[@]}" --from sales@acme.com --to john.doe@ibm.com

# ---- connection.require_auth (issue 17) in the profile of Sendmail's
# DAEMON_OPTIONS Name=MTA, 127.0.0.2 in anonymous_hosts: Sendmail shows the
# milter the AUTH macros at MAIL too (its 530 carries no address prefix).
e2e_reload "$P/closed-relay.conf" 's/\[10\.30\.5\.7\]/[127.0.0.2]/' \
	'$a profiles = ( { daemon_name = "MTA"; connection = { require_auth = true; anonymous_hosts = [ "127.0.0.2" ]; }; } );' ||
	exit 1
e2e_refused "require_auth: MAIL without AUTH" \
	"530 5.7.0 Authentication required" \
	--from someone@example.org --to jd@acme.com
e2e_check "require_auth: relaywarden's decision line says rule=require_auth" \
	grep -q 'decision=reject stage=mail rule=require_auth .* from=<someone@example.org> ' "$E2E_RW_LOG"
e2e_delivered "require_auth: with AUTH" "jd@acme.com" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to jd@acme.com
e2e_delivered "require_auth: 127.0.0.2 is in anonymous_hosts" "jd@acme.com" \
	--local-interface 127.0.0.2 --from app@acme.com --to jd@acme.com

# ---- trusted_relays (issue 17): 127.0.0.2 plays the DMZ relay; the client
# its Received: line names is judged by connection.deny_hosts at end of
# headers: the topmost the milter sees (Sendmail 8.17 does not show it the
# line it adds itself).
e2e_reload "$P/closed-relay.conf" 's/\[10\.30\.5\.7\]/[127.0.0.2]/' \
	'$a trusted_relays = [ "127.0.0.2" ]; connection = { deny_hosts = [ "192.0.2.66" ]; };' ||
	exit 1
SM_RELAY_LINE=$'Received: from client.example (unknown [192.0.2.66])\r\n\tby dmz.acme.test (Postfix) with ESMTP id 4RELAY'
mark=$(log_mark "$E2E_RW_LOG")
e2e_refused "trusted relay: its Received: line names a denied client" \
	"554 5.7.1 Connection refused for policy reasons." \
	--local-interface 127.0.0.2 --from app@acme.com --to jd@acme.com --add-header "$SM_RELAY_LINE"
e2e_check "trusted relay: judged at end of headers on the relay's line" \
	sh -c 'tail -c +"$(($2 + 1))" "$1" | grep -qE "$3"' sh "$E2E_RW_LOG" "$mark" \
	'decision=reject stage=header rule=deny_hosts client=[^ ]*\[127\.0\.0\.2\] .*detail="received=unknown\[192\.0\.2\.66\]"$'
e2e_delivered "trusted relay: its Received: line names an allowed client" "jd@acme.com" \
	--local-interface 127.0.0.2 --from app@acme.com --to jd@acme.com \
	--add-header "${SM_RELAY_LINE//192.0.2.66/192.0.2.67}"
e2e_reload "$P/closed-relay.conf" 's/\[10\.30\.5\.7\]/[127.0.0.2]/' || exit 1

# ---- the milter is down: F=T makes Sendmail defer
e2e_milter_stop KILL
e2e_refused "milter killed: Sendmail defers" "451 4.3.2 Please try again later" \
	--from bogus.user@bogus.com --to jd@acme.com
e2e_milter_start || exit 1
e2e_refused "milter restarted: back to normal" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
e2e_check "the SASL password never reaches relaywarden's log" \
	sh -c "! grep -q 'Secret-1' '$E2E_RW_LOG'"
e2e_done

#!/usr/bin/env bash
# t-accept-early.sh - issue 15: relaywarden accepts a message as soon as
# nothing later in it can matter to the policy (at DATA for an
# unauthenticated sender, whose headers are not checked; at end of headers
# for an authenticated one whose From: is his own), and the MTA then sends it
# no more of that message. Through a real private Postfix, then a real
# private Sendmail, with the shipped verify-sender policy at log_level warn
# (at info the "message received" line wants every message whole): the
# messages are delivered whole, a spoofed From: is still refused after DATA
# with the exact reply and reaches nobody, several messages in one SMTP
# session are each judged, and Postfix logs no milter warning.
# Usage: tests/e2e/t-accept-early.sh [path/to/relaywarden]
set -u
# shellcheck source=lib/e2e.sh
. "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/postfix.sh
. "$(dirname "$0")/lib/postfix.sh"
# shellcheck source=lib/sendmail.sh
. "$(dirname "$0")/lib/sendmail.sh"
e2e_init accept-early "${1:-}"
e2e_cleanup_hook() { pf_stop; sm_stop; }

NOT_OWNED='550 5.7.1 Sender address rejected: not owned by authenticated user'
AUTH_JDOE=(-a LOGIN --auth-user jdoe --auth-password 'Secret-1')
BODY=$'Subject: accept early\r\n\r\nline one\r\nline two'

sink_start "$E2E_DIR" || exit 1
e2e_policy "$E2E_TOP/policies/examples/verify-sender.conf" '$a log_level = "warn";'
e2e_milter_start || exit 1

# the cases, against the MTA on E2E_MTA_PORT; $1 names it
cases() {
	local mta=$1 file
	e2e_delivered "$mta: unauthenticated, to a local user (accepted at DATA)" "jd@acme.com" \
		--from someone@example.org --to jd@acme.com --body "$BODY"
	file=$(sink_last)
	e2e_check "$mta: the message reached the next hop whole" \
		grep -qxF 'line two' "$file"
	e2e_delivered "$mta: authenticated, own From: (accepted at end of headers)" \
		"john.doe@ibm.com" "${AUTH_JDOE[@]}" --from john.doe@acme.com --to john.doe@ibm.com \
		--header 'From: John Doe <john.doe@acme.com>' --body "$BODY"
	e2e_refused "$mta: authenticated, someone else's From:" "$NOT_OWNED" \
		"${AUTH_JDOE[@]}" --from john.doe@acme.com --to john.doe@ibm.com \
		--header 'From: Alice Smith <alice.smith@acme.com>'
	e2e_check "$mta: the spoof is refused after DATA" \
		grep -qxF "<** $NOT_OWNED" <(sed -n '/^ -> \.$/,$p' "$E2E_DIR/swaks.out")
	# three messages in one SMTP session (smtp-source -d keeps the
	# connection): an accepted message must not leave state for the next
	smtp-source -d -m 3 -s 1 -f someone@example.org -t jd@acme.com "127.0.0.1:$E2E_MTA_PORT"
	E2E_SINK_EXPECT=$((E2E_SINK_EXPECT + 3))
	e2e_check "$mta: three messages in one session, all delivered" \
		sink_wait "$E2E_SINK_EXPECT" 30
	e2e_check "$mta: and no more" _sink_exact
}

# MTA_NAME: starts that MTA on relaywarden, with jdoe's SASL password
mta_up() {
	case $1 in
	Postfix) pf_start "$E2E_DIR/postfix" "inet:127.0.0.1:$E2E_MILTER_PORT" "$SINK_PORT" &&
		E2E_MTA_PORT=$PF_PORT && pf_user jdoe 'Secret-1' ;;
	Sendmail) sm_start "$E2E_DIR/sendmail" "$E2E_MILTER_PORT" "$SINK_PORT" &&
		E2E_MTA_PORT=$SM_PORT && sm_user jdoe 'Secret-1' ;;
	esac
}

mta_up Postfix || exit 1
cases Postfix
e2e_check "Postfix logs no milter warning" sh -c "! grep -i 'warning: .*milter' '$PF_LOG'"
pf_stop
mta_up Sendmail || exit 1
cases Sendmail
e2e_check "relaywarden logged no error" sh -c "! grep -F '[err]' '$E2E_RW_LOG'"
e2e_done

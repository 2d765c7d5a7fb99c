#!/usr/bin/env bash
# t-postfix-require-auth.sh - Domino's SMTP Inbound Site "Anonymous: No /
# Name & password: Yes" on a real private Postfix submission listener
# (issue 17): connection.require_auth in the profile its
# milter_macro_daemon_name selects. Without AUTH swaks gets the exact 530
# at MAIL FROM and nothing reaches the sink; with AUTH, or from an address
# in connection.anonymous_hosts (SMTPAllowConnectionsAnonymous=1, here a
# named group), the message is delivered; port 25 (no profile) is untouched.
# The profile also has a per-login rate limit (issue 19, 2 messages an
# hour): jdoe's third authenticated message gets Postfix's 451 for the
# recipient, with the exact text, and is not delivered; the anonymous
# scanner (no login) is not limited by it.
# Usage: tests/e2e/t-postfix-require-auth.sh [path/to/relaywarden]
set -u
# shellcheck source=lib/e2e.sh
. "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/postfix.sh
. "$(dirname "$0")/lib/postfix.sh"
e2e_init postfix-require-auth "${1:-}"
e2e_cleanup_hook() { pf_stop; }

AUTH_REQUIRED='530 5.7.0 Authentication required'
AUTH_JDOE=(-a LOGIN --auth-user jdoe --auth-password 'Secret-1')

cat >"$E2E_DIR/require-auth.conf" <<CONF
local_domains = [ "acme.com" ];
relay = { enforce = "external"; deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
verify_sender = { headers = false; };
directory = { backend = "file"; file = "$E2E_TOP/policies/directory.conf"; };
log_level = "info";
config_update_interval = 0;
groups = { Scanners = [ "127.0.0.5" ]; };
profiles = (
  { daemon_name = "submission";
    relay = { enforce = "all"; };
    connection = { require_auth = true; anonymous_hosts = [ "Scanners" ]; };
    rate_limits = ( { name = "submission-login"; key = "login"; messages = 2; per = 3600; } ); }
);
CONF

sink_start "$E2E_DIR" || exit 1
SUB_PORT=$(e2e_free_port)
PF_EXTRA_MASTER="127.0.0.1:$SUB_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o milter_macro_daemon_name=submission"
pf_start "$E2E_DIR/postfix" "inet:127.0.0.1:$E2E_MILTER_PORT" "$SINK_PORT" || exit 1
e2e_wait_port "$SUB_PORT" || { e2e_check "the submission listener answers" false; exit 1; }
pf_user jdoe 'Secret-1'
e2e_policy "$E2E_DIR/require-auth.conf"
e2e_milter_start || exit 1

E2E_MTA_PORT=$SUB_PORT
e2e_refused "submission without AUTH" "$AUTH_REQUIRED" \
	--from someone@example.org --to jd@acme.com
e2e_check "submission without AUTH: refused at MAIL FROM" \
	grep -qxF "<** $AUTH_REQUIRED" "$E2E_DIR/swaks.out"
e2e_check "submission without AUTH: the decision line says rule=require_auth" \
	grep -qE "decision=reject stage=mail rule=require_auth client=localhost\[127\.0\.0\.1\] auth=- from=<someone@example\.org> reason=\"authentication required\" reply=\"$AUTH_REQUIRED\"$" \
	"$E2E_RW_LOG"
e2e_delivered "submission with AUTH" "jd@acme.com" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to jd@acme.com
e2e_delivered "submission with AUTH relays out" "partner@example.org" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to partner@example.org
RATE_LIMITED='451 4.7.1 Rate limit exceeded, try again later'
e2e_refused "jdoe's third message in the hour" "$RATE_LIMITED" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to partner@example.org
e2e_check "the third message: refused at RCPT TO" grep -qxF "<** $RATE_LIMITED" "$E2E_DIR/swaks.out"
e2e_check "the third message: the decision line names the limit and the login" \
	grep -qE "decision=tempfail stage=rcpt rule=rate_limit client=localhost\[127\.0\.0\.1\] auth=jdoe from=<john\.doe@acme\.com> rcpt=<partner@example\.org> reason=\"rate limit exceeded\" reply=\"$RATE_LIMITED\" detail=\"limit=submission-login key=login:jdoe messages=2/2 per=3600 store=memory\"$" \
	"$E2E_RW_LOG"
e2e_delivered "submission from 127.0.0.5 (anonymous_hosts, group Scanners) without AUTH" \
	"jd@acme.com" --local-interface 127.0.0.5 --from scanner@acme.com --to jd@acme.com
e2e_refused "submission from 127.0.0.6 (not anonymous) without AUTH" "$AUTH_REQUIRED" \
	--local-interface 127.0.0.6 --from scanner@acme.com --to jd@acme.com
E2E_MTA_PORT=$PF_PORT
e2e_delivered "port 25 (no profile) without AUTH: local delivery" "jd@acme.com" \
	--from someone@example.org --to jd@acme.com
e2e_refused "port 25 without AUTH: still no relay" "554 5.7.1 Relay rejected for policy reasons." \
	--from someone@example.org --to partner@example.org
e2e_done

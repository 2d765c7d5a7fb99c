#!/usr/bin/env bash
# t-postfix-debian.sh - README "Attach it to Postfix", as written, against
# Postfix as Debian ships it (tests/e2e/lib/postfix_debian.sh): Debian's own
# master.cf with smtpd chrooted in the queue directory, the chroot prepared
# by Debian's configure-instance.sh, main.cf = a private instance + the
# README's main.cf block read from README.md, README's submission snippet
# in master.cf and every command of README's postfix-commands block; the
# exact replies over README's unix: socket (chrooted, then without chroot:
# the same relative line works for both) and README's inet: form.
# Field bugs it guards: trailing comments in main.cf (451 4.3.5 for every
# session, `postfix check` silent) and a milter socket outside the chroot
# (451 4.7.1 for every session).
# Usage: tests/e2e/t-postfix-debian.sh [path/to/relaywarden]
set -u
# shellcheck source=lib/e2e.sh
. "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/postfix_debian.sh
. "$(dirname "$0")/lib/postfix_debian.sh"
e2e_init postfix-debian "${1:-}"
e2e_cleanup_hook() { pfd_stop; }

RELAY='554 5.7.1 Relay rejected for policy reasons.'
DOWN='451 4.7.1 Service unavailable - try again later'
BLOCKED='550 5.7.1 Blocked on the submission port'
P=$E2E_TOP/policies/examples
AUTH_LOGIN=(-a LOGIN --auth-user jdoe --auth-password 'Secret-1')
AUTH_PLAIN=(-a PLAIN --auth-user jdoe --auth-password 'Secret-1')
# The closed relay, and a profile for README's submission listener
# (milter_macro_daemon_name=submission): only there is blocked@acme.com refused,
# so its reply proves that {daemon_name} reached relaywarden.
PROFILE='$a profiles = ( { daemon_name = "submission"; recipients = { deny = [ "blocked@acme.com" ]; reply = "'$BLOCKED'"; }; } );'

# ---- README's main.cf block is main.cf
sink_start "$E2E_DIR" || exit 1
pfd_setup "$E2E_DIR/postfix" "$SINK_PORT" || exit 1
lint=$(pfd_lint_main_block "$PFD_MAIN_BLOCK" | paste -sd ";")
e2e_check "README main.cf block: comments on lines of their own only${lint:+ ($lint)}" test -z "$lint"
base_keys=$(_pfd_main_cf /x 1 | awk '{ print $1 }')
dups=$(pfd_main_values "$PFD_MAIN_BLOCK" | awk '{ print $1 }' | grep -xF "$base_keys")
e2e_check "README main.cf block: sets nothing the private instance sets${dups:+ ($dups)}" test -z "$dups"
e2e_check "README main.cf block: smtpd_milters is unix:relaywarden/relaywarden.sock" \
	grep -qx 'smtpd_milters = unix:relaywarden/relaywarden.sock' <<<"$PFD_MAIN_BLOCK"
inet_line=$(sed -n 's/^# *smtpd_milters = \(inet:127\.0\.0\.1:\)[0-9][0-9]*$/\1/p' <<<"$PFD_MAIN_BLOCK")
e2e_check "README main.cf block: shows the inet: form" test -n "$inet_line"
e2e_check "Debian's master.cf: smtpd chrooted (README: postconf -M smtp/inet)" \
	pfd_readme_cmd '^postconf -M smtp/inet'
e2e_check "  5th column y (got: $PFD_CMD_OUT)" \
	test "$(awk '{ print $5 }' <<<"$PFD_CMD_OUT")" = y
e2e_check "README's submission snippet: chrooted too" \
	test "$(postconf -c "$PFD_ETC" -M "127.0.0.1:$PFD_SUB_PORT/inet" | awk '{ print $5 }')" = y
e2e_check "the chroot has Debian's files (etc/hosts, services, nsswitch.conf, resolv.conf)" \
	test -f "$PFD_QUEUE/etc/hosts" -a -f "$PFD_QUEUE/etc/services" \
	-a -f "$PFD_QUEUE/etc/nsswitch.conf" -a -f "$PFD_QUEUE/etc/resolv.conf"
e2e_check "README: install -d the socket's directory under the queue directory" \
	pfd_readme_cmd '^install '
e2e_check "  it is a directory of group postfix, mode 0750" \
	test "$(stat -c '%G %a' "$PFD_QUEUE/relaywarden" 2>/dev/null)" = "postfix 750"
e2e_check "README: postfix check exits 0" pfd_readme_cmd '^postfix check'
e2e_check "  and prints nothing (got: $PFD_CMD_OUT)" test -z "$PFD_CMD_OUT"
e2e_check "postconf -n: no warning (unknown or unused parameters)" \
	test -z "$(postconf -c "$PFD_ETC" -n 2>&1 >/dev/null)"
e2e_check "README: postconf shows the values Postfix reads" pfd_readme_cmd '^postconf smtpd_milters'
e2e_check "  no # in any of them" sh -c '! printf "%s\n" "$1" | grep -q "#"' sh "$PFD_CMD_OUT"
while read -r key value; do
	got=$(postconf -c "$PFD_ETC" -h "$key" 2>&1 | tr -s ' \t' '  ')
	e2e_check "  Postfix reads $key as README writes it (got \"$got\")" test "$got" = "$value"
done < <(pfd_main_values "$PFD_MAIN_BLOCK")

pfd_start || exit 1
E2E_MTA_PORT=$PFD_PORT
pfd_user jdoe 'Secret-1'

# ---- README's socket, unix:relaywarden/relaywarden.sock, with smtpd chrooted
e2e_policy "$P/closed-relay.conf" "$PROFILE"
pfd_milter_start_unix || exit 1
e2e_refused "chroot, unix: unauthenticated relay attempt" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
e2e_check "  the 554 is relaywarden's (its decision line)" \
	grep -q 'decision=reject stage=rcpt rule=relay .* rcpt=<john.doe@ibm.com>' "$E2E_RW_LOG"
roots=$(pfd_smtpd_roots)
e2e_check "  the smtpd that answered runs chrooted in the queue directory ($roots)" \
	awk -v q="$PFD_QUEUE" '$2 != q { bad = 1 } END { exit bad || NR == 0 }' <<<"$roots"
e2e_delivered "chroot, unix: local delivery" "jd@acme.com" --from bogus.user@bogus.com --to jd@acme.com
e2e_delivered "chroot, unix: AUTH LOGIN relays (sasldb inside the chroot)" "john.doe@ibm.com" \
	"${AUTH_LOGIN[@]}" --from john.doe@acme.com --to john.doe@ibm.com
e2e_delivered "chroot, unix: AUTH PLAIN relays" "partner@example.org" \
	"${AUTH_PLAIN[@]}" --from john.doe@acme.com --to partner@example.org
e2e_check "  relaywarden saw the login" grep -q 'auth=jdoe from=<john.doe@acme.com>' "$E2E_RW_LOG"
e2e_delivered "port 25 ({daemon_name} = myhostname): blocked@acme.com is delivered" "blocked@acme.com" \
	--from someone@example.org --to blocked@acme.com
E2E_MTA_PORT=$PFD_SUB_PORT
e2e_refused "README submission snippet: {daemon_name}=submission selects the profile" "$BLOCKED" \
	"${AUTH_LOGIN[@]}" --from john.doe@acme.com --to blocked@acme.com
e2e_delivered "README submission snippet: AUTH relays" "john.doe@ibm.com" \
	"${AUTH_LOGIN[@]}" --from john.doe@acme.com --to john.doe@ibm.com
E2E_MTA_PORT=$PFD_PORT
e2e_milter_stop KILL
e2e_refused "chroot, unix: milter stopped: Postfix defers" "$DOWN" \
	--from bogus.user@bogus.com --to jd@acme.com
pfd_milter_start_unix || exit 1
e2e_refused "chroot, unix: milter restarted: back to normal" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com

# ---- README's warning: a chrooted smtpd does not see the host's paths. The
# socket is live at this absolute host path, yet smtpd looks for it inside the
# chroot; /relaywarden/... (absolute inside the chroot) reaches it.
pfd_set_milters "unix:$PFD_QUEUE/relaywarden/relaywarden.sock" || exit 1
e2e_refused "chroot: absolute host path to the live socket: every session deferred" "$DOWN" \
	--from bogus.user@bogus.com --to jd@acme.com
e2e_check "  Postfix: connect to Milter service ...: No such file or directory" \
	pfd_wait_log "connect to Milter service unix:$PFD_QUEUE/relaywarden/relaywarden.sock: No such file or directory"
pfd_set_milters "unix:/relaywarden/relaywarden.sock" || exit 1
e2e_refused "chroot: unix:/relaywarden/relaywarden.sock reaches it" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com

# ---- and README's relative line works for a smtpd without chroot too (where
# the absolute host path works as well)
postconf -c "$PFD_ETC" -F "127.0.0.1:$PFD_PORT/inet/chroot = n" || exit 1
pfd_set_milters "unix:relaywarden/relaywarden.sock" || exit 1
e2e_refused "no chroot: unix:relaywarden/relaywarden.sock reaches it" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
roots=$(pfd_smtpd_roots)
e2e_check "  the smtpd that answered runs without chroot ($roots)" \
	awk '$2 != "/" { bad = 1 } END { exit bad || NR == 0 }' <<<"$roots"
pfd_set_milters "unix:$PFD_QUEUE/relaywarden/relaywarden.sock" || exit 1
e2e_refused "no chroot: the absolute host path reaches it" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
postconf -c "$PFD_ETC" -F "127.0.0.1:$PFD_PORT/inet/chroot = y" || exit 1
e2e_milter_stop

# ---- README's inet: form (smtpd chrooted again)
pfd_set_milters "$inet_line$E2E_MILTER_PORT" || exit 1
e2e_milter_start || exit 1
e2e_check "Postfix reads smtpd_milters = inet:127.0.0.1:$E2E_MILTER_PORT" \
	test "$(postconf -c "$PFD_ETC" -h smtpd_milters)" = "inet:127.0.0.1:$E2E_MILTER_PORT"
e2e_refused "chroot, inet: unauthenticated relay attempt" "$RELAY" \
	--from bogus.user@bogus.com --to john.doe@ibm.com
e2e_delivered "chroot, inet: AUTH PLAIN relays" "john.doe@ibm.com" \
	"${AUTH_PLAIN[@]}" --from john.doe@acme.com --to john.doe@ibm.com
E2E_MTA_PORT=$PFD_SUB_PORT
e2e_refused "chroot, inet, submission: {daemon_name} selects the profile" "$BLOCKED" \
	"${AUTH_LOGIN[@]}" --from john.doe@acme.com --to blocked@acme.com
E2E_MTA_PORT=$PFD_PORT
e2e_milter_stop KILL
e2e_refused "chroot, inet: milter stopped: Postfix defers" "$DOWN" \
	--from bogus.user@bogus.com --to jd@acme.com

# ---- what must never have happened
unrun=$(pfd_readme_cmds_unrun)
e2e_check "every command of README's postfix-commands block ran${unrun:+ (not: $unrun)}" test -z "$unrun"
e2e_check "Postfix never answered 451 4.3.5 (configuration problem)" \
	sh -c "! grep -q '4\\.3\\.5' '$PFD_LOG'"
e2e_check "Postfix logged no fatal or panic" sh -c "! grep -qE ' (fatal|panic): ' '$PFD_LOG'"
# the only warnings expected are the milter outages this test made
warnings=$(grep -F 'warning:' "$PFD_LOG" | grep -vF 'warning: connect to Milter service ')
e2e_check "Postfix logged no other warning (e.g. comment at end of line)${warnings:+: $warnings}" \
	test -z "$warnings"
e2e_check "the SASL password never reaches relaywarden's log" sh -c "! grep -q 'Secret-1' '$E2E_RW_LOG'"
e2e_done

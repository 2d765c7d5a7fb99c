#!/usr/bin/env bash
# relaywarden explain shows each connection, sender and recipient step
# (DESIGN §3) with its result, and the profile {daemon_name} picks, using
# tests/milter/policies/controls.conf (no DNS).
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init

P=tests/milter/policies/controls.conf
CONN='554 5.7.1 Connection refused for policy reasons.'
out_has() { grep -qF -- "$1" "$RW_TMP/out"; }
out_lacks() { ! grep -qF -- "$1" "$RW_TMP/out"; }

rw_run "$BINARY" explain -c "$P" --client 192.0.2.66 --from a@b.example --rcpt jd@acme.com
rw_check "denied host: exit 1" test "$RW_RC" -eq 1
rw_check "denied host: the connection step" \
	out_has "connection: unknown[192.0.2.66] is in connection.deny_hosts: refused"
rw_check "denied host: => $CONN" out_has "  => $CONN"
rw_check "denied host: no MAIL after a refused connection" out_lacks "MAIL FROM:"

rw_run "$BINARY" explain -c "$P" --client 192.0.2.20 --sessions 5 --from someone@other.example \
	--size 5000 --rcpt jd@acme.com
rw_check "SIZE=5000: the connection step passes" \
	out_has "connection: host lists pass (5 session(s))"
rw_check "SIZE=5000: the size step" \
	out_has "message size: SIZE=5000, max_message_size 2000: refused"
rw_check "SIZE=5000: => 552 5.3.4" \
	out_has "  => 552 5.3.4 Message size exceeds fixed maximum message size"

rw_run "$BINARY" explain -c "$P" --client 192.0.2.20 --from Anyone@Spam.example --rcpt jd@acme.com
rw_check "sender.deny: the list step" \
	out_has "sender lists: <Anyone@spam.example> is in sender.deny: refused"
rw_check "sender.deny: the reply names the sender" \
	out_has "  => 554 5.7.1 Mail from <Anyone@Spam.example> rejected for policy reasons."

rw_run "$BINARY" explain -c "$P" --client 192.0.2.20 --from jd@acme.com --rcpt jd@acme.com
rw_check "protect_local_senders: the step" out_has \
	"protect local senders: <jd@acme.com> uses a local domain; client is external and unauthenticated: refused"
rw_check "protect_local_senders: exit 1" test "$RW_RC" -eq 1

rw_run "$BINARY" explain -c "$P" --client 192.0.2.20 --from someone@other.example \
	--rcpt ceo@acme.com --rcpt jd@acme.com --rcpt john.doe@acme.com --rcpt alice.smith@acme.com \
	--rcpt sales@acme.com
rw_check "recipients.deny: the step" out_has "recipient lists: <ceo@acme.com> is in recipients.deny: refused"
rw_check "recipients.max: the step" \
	out_has "recipients: 3 already accepted, max is 3: refused"
rw_check "recipients.max: => 452 4.5.3" out_has "  => 452 4.5.3 Too many recipients"
rw_check "recipients.max: a 4xx makes the result tempfail (exit 2)" test "$RW_RC" -eq 2

rw_run "$BINARY" explain -c "$P" --client 198.51.100.7 --client-name mx.partner.example \
	--daemon partner --from orders@partner.example --rcpt jd@acme.com
rw_check "profile: {daemon_name} picks it" \
	out_has 'profile: {daemon_name} partner selects profile "partner"'
rw_check "profile: allow_hosts passes" \
	out_has "connection: host lists pass (1 session(s), in allow_hosts)"
rw_check "profile: exit 0" test "$RW_RC" -eq 0

rw_run "$BINARY" explain -c "$P" --client 192.0.2.20 --daemon partner --from a@b.example \
	--rcpt jd@acme.com
rw_check "profile: a host outside allow_hosts" \
	out_has "connection: unknown[192.0.2.20] is not in connection.allow_hosts: refused"
rw_done

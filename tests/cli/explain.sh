#!/usr/bin/env bash
# relaywarden explain traces one transaction offline with the shipped
# policy and directory (policies/default.conf): exit 0 accept, 1 reject.
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init

RELAY='554 5.7.1 Relay rejected for policy reasons.'
NOT_OWNED='550 5.7.1 Sender address rejected: not owned by authenticated user'
out_has() { grep -qF -- "$1" "$RW_TMP/out"; }
out_lacks() { ! grep -qF -- "$1" "$RW_TMP/out"; }

# The seed transcript.
rw_run "$BINARY" explain -c policies/default.conf --client 10.10.1.8 --client-name abc.com \
	--from bogus.user@bogus.com --rcpt john.doe@ibm.com
rw_check "seed: exit 1 (reject)" test "$RW_RC" -eq 1
rw_check "seed: prints the reply \"=> $RELAY\"" out_has "  => $RELAY"
rw_check "seed: the client is external" out_has "classify: client abc.com[10.10.1.8] is external"
rw_check "seed: prints the log line the milter would write" \
	out_has "log: NOQUEUE: decision=reject stage=rcpt rule=relay client=abc.com[10.10.1.8] auth=- from=<bogus.user@bogus.com> rcpt=<john.doe@ibm.com> reason=\"relay denied\" reply=\"$RELAY\""
rw_check "seed: ends with \"result: reject (exit 1)\"" \
	test "$(tail -n 1 "$RW_TMP/out")" = "result: reject (exit 1)"
rw_check "seed: nothing on stderr" test ! -s "$RW_TMP/err"

# Authenticated as jdoe, with his own address: relayed.
rw_run "$BINARY" explain -c policies/default.conf --client 10.10.1.8 --client-name abc.com \
	--auth jdoe --from john.doe@acme.com --rcpt john.doe@ibm.com
rw_check "auth jdoe as john.doe@acme.com: exit 0 (accept)" test "$RW_RC" -eq 0
rw_check "auth jdoe as john.doe@acme.com: no refusal printed" out_lacks "=> 5"
rw_check "auth jdoe as john.doe@acme.com: ends with \"result: accept (exit 0)\"" \
	test "$(tail -n 1 "$RW_TMP/out")" = "result: accept (exit 0)"

# Authenticated as jdoe, sending as alice: refused at MAIL.
rw_run "$BINARY" explain -c policies/default.conf --client 10.10.1.8 --client-name abc.com \
	--auth jdoe --from alice.smith@acme.com --rcpt john.doe@ibm.com
rw_check "auth jdoe as alice.smith@acme.com: exit 1 (reject)" test "$RW_RC" -eq 1
rw_check "auth jdoe as alice.smith@acme.com: prints \"=> $NOT_OWNED\"" out_has "  => $NOT_OWNED"
rw_check "auth jdoe as alice.smith@acme.com: the log line has Domino's words" \
	out_has "Authenticated user jdoe from host 10.10.1.8 sending mail from alice.smith@acme.com failed to match directory address john.doe@acme.com"
rw_check "auth jdoe as alice.smith@acme.com: no RCPT after the refused MAIL" out_lacks "RCPT TO:"

# A local recipient, unauthenticated: accepted; several recipients: worst wins.
rw_run "$BINARY" explain -c policies/default.conf --client 10.10.1.8 --client-name abc.com \
	--from bogus.user@bogus.com --rcpt jd@acme.com
rw_check "local recipient: exit 0" test "$RW_RC" -eq 0
rw_run "$BINARY" explain -c policies/default.conf --client 10.10.1.8 --client-name abc.com \
	--from bogus.user@bogus.com --rcpt jd@acme.com --rcpt john.doe@ibm.com
rw_check "local then external recipient: exit 1 (the worst outcome)" test "$RW_RC" -eq 1
rw_check "both recipients are traced" \
	test "$(grep -c '^RCPT TO:' "$RW_TMP/out")" -eq 2

# Usage and config errors.
rw_run "$BINARY" explain -c policies/default.conf --client 10.10.1.8 --from a@b.c
rw_check "no --rcpt: exit 64 (EX_USAGE)" test "$RW_RC" -eq 64
rw_run "$BINARY" explain -c tests/config/unknown-key.conf --client 10.10.1.8 --from a@b.c --rcpt x@y.z
rw_check "broken policy: exit 78 (EX_CONFIG)" test "$RW_RC" -eq 78
rw_check "broken policy: the same FILE:LINE: KEY: problem lines as check" \
	diff -q tests/config/unknown-key.expected "$RW_TMP/err"
rw_done

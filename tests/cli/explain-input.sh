#!/usr/bin/env bash
# explain judges what the milter judges (issue 12/13 field reports): a
# bracketed --from/--rcpt and the null sender <> are read as the MTA hands
# them over (explain used to judge an unwritten buffer for them), and a
# header name with blanks before the colon ("From : x", obsolete syntax
# that mail programs show as From:) is the From: header. Under valgrind: no
# read of uninitialised memory.
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init
P=policies/default.conf
VG=(valgrind -q --error-exitcode=99 --track-origins=yes)
# A sanitizer build (make asan/tsan) checks itself; valgrind cannot run it.
if nm "$BINARY" 2>/dev/null | grep -E '__(asan|tsan)_init' >/dev/null; then VG=(); fi
RELAY='  => 554 5.7.1 Relay rejected for policy reasons.'
NOT_OWNED='  => 550 5.7.1 Sender address rejected: not owned by authenticated user'

rw_run "${VG[@]}" "$BINARY" explain -c "$P" --client 10.10.1.8 --client-name abc.com \
	--from bogus.user@bogus.com --rcpt '<victim@ibm.com>'
rw_check "--rcpt '<victim@ibm.com>' from outside: the 554, exit 1" \
	sh -c "test $RW_RC -eq 1 && grep -qxF '$RELAY' '$RW_TMP/out'"
rw_check "the log line names the recipient as given" grep -qF 'rcpt=<victim@ibm.com> ' "$RW_TMP/out"

rw_run "${VG[@]}" "$BINARY" explain -c "$P" --client 10.10.1.8 --client-name abc.com \
	--from '<bogus.user@bogus.com>' --rcpt john.doe@acme.com
rw_check "--from '<a@b>' to a local user: accepted, exit 0" \
	sh -c "test $RW_RC -eq 0 && grep -qF 'from=<bogus.user@bogus.com> ' '$RW_TMP/out'"

rw_run "${VG[@]}" "$BINARY" explain -c "$P" --client 10.10.1.8 --client-name abc.com \
	--from '<>' --rcpt john.doe@acme.com
rw_check "--from '<>' (a bounce) to a local user: accepted, exit 0" \
	sh -c "test $RW_RC -eq 0 && grep -qF 'from=<> ' '$RW_TMP/out'"

rw_run "${VG[@]}" "$BINARY" explain -c "$P" --client 10.0.0.9 --auth jdoe \
	--from john.doe@acme.com --rcpt x@ibm.com --header 'From : Alice <alice.smith@acme.com>'
rw_check "'From : Alice <alice.smith@acme.com>' from jdoe: not owned, exit 1" \
	sh -c "test $RW_RC -eq 1 && grep -qxF '$NOT_OWNED' '$RW_TMP/out'"
rw_check "valgrind saw nothing" sh -c "! grep -q '==[0-9]*==' '$RW_TMP/err'"
rw_done

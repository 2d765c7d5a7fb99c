#!/usr/bin/env bash
# `make run` as a newcomer meets it (issue 12): it prints, first, how to
# attach Postfix (the exact smtpd_milters line) and how to try explain;
# its socket is mode 0660 with the postfix group, so Postfix's smtpd (user
# postfix) can connect; the explain command it prints works as printed.
# RUN_SOCKDIR points the socket into the test's temp dir.
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init
chmod 0755 "$RW_TMP"
id postfix >/dev/null 2>&1 || { echo "not ok - no postfix user (apt-get install postfix)"; exit 1; }
dir=$RW_TMP/spool/relaywarden
sock=$dir/relaywarden.sock
mkdir -p "$RW_TMP/spool"
setsid make -s --no-print-directory run RUN_SOCKDIR="$dir" RUN_BINARY="$BINARY" >"$RW_TMP/run.out" 2>"$RW_TMP/run.err" </dev/null &
RUN_PID=$!
trap 'kill -TERM -- -$RUN_PID 2>/dev/null || true; wait $RUN_PID 2>/dev/null || true; rw_cleanup' EXIT
for ((i = 0; i < 600; i++)); do
	grep -q "listening on unix:$sock" "$RW_TMP/run.err" 2>/dev/null && break
	kill -0 "$RUN_PID" 2>/dev/null || break
	sleep 0.1
done
rw_check "make run starts the milter (its 'listening on' line)" grep -q "listening on unix:$sock" "$RW_TMP/run.err"
rw_check "its first line names the socket, 0660, group postfix" \
	test "$(head -n 1 "$RW_TMP/run.out")" = "relaywarden: socket unix:$sock, mode 0660, group postfix"
rw_check "then the exact smtpd_milters line for Postfix" \
	grep -qxF "    postconf -e 'smtpd_milters = unix:$sock' 'milter_default_action = tempfail'" "$RW_TMP/run.out"
# The printed postconf line, run as printed against a scratch main.cf.
pcmd=$(grep -A1 '^Attach Postfix' "$RW_TMP/run.out" | tail -n 1 | sed 's/^ *//')
mkdir -p "$RW_TMP/pfconf" && : >"$RW_TMP/pfconf/main.cf" && : >"$RW_TMP/pfconf/master.cf"
rw_run sh -c "${pcmd/postconf -e/postconf -c $RW_TMP/pfconf -e}"
rw_check "that postconf line runs" test "$RW_RC" -eq 0
rw_check "and sets smtpd_milters to the socket" \
	test "$(postconf -c "$RW_TMP/pfconf" -h smtpd_milters)" = "unix:$sock"
rw_check "and milter_default_action = tempfail" \
	test "$(postconf -c "$RW_TMP/pfconf" -h milter_default_action)" = tempfail
rw_check "the socket is mode 0660, group postfix" test "$(stat -c '%a %G' "$sock")" = "660 postfix"
rw_check "its directory lets the postfix group in (0750)" test "$(stat -c '%a %G' "$dir")" = "750 postfix"
rw_run runuser -u postfix -- "${RW_PYTHON:-python3}" -c \
	'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print("connected")' "$sock"
rw_check "user postfix (as Postfix's smtpd runs) can connect" grep -qx connected "$RW_TMP/out"
out=$(rw_raw "$sock" abc.com 10.10.1.8 "" "<bogus.user@bogus.com>" "<john.doe@ibm.com>")
rw_check "it answers: the seed relay attempt is refused" \
	test "$(printf '%s\n' "$out" | tail -n 1)" = "rcpt y 554 5.7.1 Relay rejected for policy reasons."
cmd=$(grep -A1 '^Try a decision offline:' "$RW_TMP/run.out" | tail -n 1)
rw_check "it prints an explain command" test -n "$cmd"
rw_run sh -c "$cmd"
rw_check "which, run as printed, shows the seed's 554 (exit 1)" \
	sh -c "test $RW_RC -eq 1 && grep -q '=> 554 5.7.1 Relay rejected for policy reasons.' '$RW_TMP/out'"
# issue 18: it says how to ask it over its control socket, beside the milter's
ctl=$(sed -n 's/^Ask it: //p' "$RW_TMP/run.out")
rw_check "it prints a ctl command for its control socket" \
	test "$ctl" = "$BINARY ctl --socket $dir/control.sock status"
rw_run sh -c "$ctl"
rw_check "which, run as printed, shows its status (exit 0, the policy file)" \
	sh -c "test $RW_RC -eq 0 && grep -qx 'policy: policies/default.conf' '$RW_TMP/out'"
rw_check "the control socket is mode 0600" test "$(stat -c '%a' "$dir/control.sock")" = 600
rw_done

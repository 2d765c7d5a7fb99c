#!/usr/bin/env bash
# Start-up and reload as an operator meets them (issue 12): the socket is
# the MTA group's (0660, group postfix) even without milter.user; a second
# instance on a live socket refuses to start and the first keeps serving; a
# stale socket is replaced; files the service user cannot read refuse the
# start, naming them, before any socket exists; `relaywarden reload`
# validates as the service user, makes the running milter reload and
# exits with its outcome; --help and --version.
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init
case $BINARY in /*) ;; *) BINARY=$PWD/$BINARY ;; esac
getent group postfix >/dev/null || { echo "not ok - no postfix group (apt-get install postfix)"; exit 1; }
chmod 0755 "$RW_TMP"
SEED=(abc.com 10.10.1.8 "" "<bogus.user@bogus.com>" "<john.doe@ibm.com>")
RELAY='rcpt y 554 5.7.1 Relay rejected for policy reasons.'
last_reply() { rw_raw "$RW_SOCK" "${SEED[@]}" | tail -n 1; }

# ---- the socket, started as root without milter.user
rw_policy tests/milter/policies/closed.conf
rw_start "$BINARY" || exit 1
rw_check "socket mode 0660" test "$(stat -c %a "$RW_SOCK")" = 660
rw_check "socket group postfix (the MTA connects as it)" test "$(stat -c %G "$RW_SOCK")" = postfix
rw_check "it answers: the seed relay attempt is refused" test "$(last_reply)" = "$RELAY"

# ---- one instance per socket
inode=$(stat -c %i "$RW_SOCK")
rw_run "$BINARY" -f -c "$RW_CONF" -p "unix:$RW_SOCK"
rw_check "a second instance on the live socket exits non-zero" test "$RW_RC" -ne 0
rw_check "and says another relaywarden answers there" \
	grep -q "milter.socket $RW_SOCK answers: another relaywarden is running there; not starting" \
	"$RW_TMP/err"
rw_check "the live socket was not replaced" test "$(stat -c %i "$RW_SOCK")" = "$inode"
rw_check "the first instance keeps serving" test "$(last_reply)" = "$RELAY"

# ---- `relaywarden reload`: the running milter's answer is the exit status
before=$(grep -c 'policy reloaded from' "$RW_LOG" || true)
rw_run "$BINARY" reload -c "$RW_CONF" --pid "$RW_PID"
rw_check "reload of a valid policy exits 0" test "$RW_RC" -eq 0
rw_check "and says who reloaded" grep -qx "$RW_CONF: reloaded by pid $RW_PID" "$RW_TMP/out"
rw_check "the milter logged the reload before answering" \
	test "$(grep -c 'policy reloaded from' "$RW_LOG")" -gt "$before"
rw_run "$BINARY" reload -c "$RW_CONF"
rw_check "without --pid it finds the milter running this policy" test "$RW_RC" -eq 0
cp "$RW_CONF" "$RW_TMP/good.conf"
sed -i 's/enforce = "external"/enforce = "sometimes"/' "$RW_CONF"
rw_run "$BINARY" reload -c "$RW_CONF" --pid "$RW_PID"
rw_check "reload of a broken policy exits 78" test "$RW_RC" -eq 78
rw_check "naming file, line and key" grep -q "^$RW_CONF:[0-9]*: relay.enforce: " "$RW_TMP/err"
rw_check "the running policy still refuses the relay attempt" test "$(last_reply)" = "$RELAY"
# The milter reloads its own file: when that is broken and the file handed
# to `reload` is not, the milter's refusal is what the exit status says.
rw_run "$BINARY" reload -c "$RW_TMP/good.conf" --pid "$RW_PID"
rw_check "a reload the running milter refuses exits 78" test "$RW_RC" -eq 78
rw_check "and says the running policy stays" \
	grep -q "pid $RW_PID refused the reload (see its log); the running policy stays in force" \
	"$RW_TMP/err"
rw_check "the milter logged why" grep -q "reload of $RW_CONF failed; the running policy stays in force" \
	"$RW_LOG"
cp "$RW_TMP/good.conf" "$RW_CONF"
rw_run "$BINARY" reload -c "$RW_CONF" --pid 999999999
rw_check "reload of a pid that does not exist exits 69" test "$RW_RC" -eq 69

# ---- a stale socket (the milter was killed) is replaced
{ kill -KILL "$RW_PID"; wait "$RW_PID"; } 2>/dev/null || true
RW_PID=
rw_check "the killed milter left its socket behind" test -S "$RW_SOCK"
listening() { grep -c "listening on unix:$RW_SOCK" "$RW_LOG" || true; }
started=$(listening)
"$BINARY" -f -c "$RW_CONF" -p "unix:$RW_SOCK" 2>>"$RW_LOG" &
RW_PID=$!
for ((i = 0; i < 400; i++)); do
	[ "$(listening)" -gt "$started" ] || ! kill -0 "$RW_PID" 2>/dev/null && break
	sleep 0.05
done
rw_check "a new instance starts on the stale socket" test "$(listening)" -gt "$started"
rw_check "and serves" test "$(last_reply)" = "$RELAY"
rw_stop

# ---- reload without --pid finds a milter started as "-fc FILE" from its
# own directory (the policy resolved from the milter's working directory)
started=$(listening)
(cd "$RW_TMP" && exec "$BINARY" -fc "$(basename "$RW_CONF")" -p "unix:$RW_SOCK" 2>>"$RW_LOG") &
RW_PID=$!
wait_for 30 sh -c '[ "$(grep -c "listening on unix:$1" "$2")" -gt "$3" ]' sh "$RW_SOCK" "$RW_LOG" "$started" ||
	rw_check "the -fc milter starts" false
rw_run "$BINARY" reload -c "$RW_CONF"
rw_check "reload -c ABSOLUTE finds the milter started with -fc RELATIVE" \
	grep -qx "$RW_CONF: reloaded by pid $RW_PID" "$RW_TMP/out"
rw_stop

# ---- something that is not a socket is never removed
: >"$RW_TMP/not-a-socket"
rw_run "$BINARY" -f -c "$RW_CONF" -p "unix:$RW_TMP/not-a-socket"
rw_check "a regular file at the socket path refuses the start" test "$RW_RC" -ne 0
rw_check "with a clear error" grep -q "exists and is not a socket; not starting" "$RW_TMP/err"
rw_check "and the file is still there" test -f "$RW_TMP/not-a-socket"

# ---- files milter.user cannot read: refused at start, named, no socket
rm -f "$RW_SOCK"
sed -i 's/^milter = {/milter = { user = "postfix";/' "$RW_CONF"
chmod 0600 "$RW_CONF"
rw_run "$BINARY" -f -c "$RW_CONF" -p "unix:$RW_SOCK"
rw_check "a policy only root can read refuses the start (non-zero)" test "$RW_RC" -ne 0
rw_check "naming the file and the user" \
	grep -q "the policy file $RW_CONF is not readable by postfix (Permission denied)" "$RW_TMP/err"
rw_check "before the socket was bound" test ! -e "$RW_SOCK"
rw_run "$BINARY" reload -c "$RW_CONF" --pid 1
rw_check "reload as root judges the file as milter.user: exit 78" test "$RW_RC" -eq 78
rw_check "saying so" grep -q "does not load as milter.user postfix; not reloading" "$RW_TMP/err"
chmod 0644 "$RW_CONF"
chmod 0600 "$RW_TMP/directory.conf"
rw_run "$BINARY" -f -c "$RW_CONF" -p "unix:$RW_SOCK"
rw_check "an unreadable directory file is named too" \
	grep -q "directory.file $RW_TMP/directory.conf is not readable by postfix" "$RW_TMP/err"

# ---- Unix conventions
rw_run "$BINARY" --help
rw_check "--help exits 0 and shows the usage" sh -c "test $RW_RC -eq 0 && grep -q '^usage: relaywarden' '$RW_TMP/out'"
rw_run "$BINARY" --version
rw_check "--version prints the version" grep -qx 'relaywarden [0-9]*\.[0-9]*\.[0-9]*' "$RW_TMP/out"
rw_run "$BINARY" --frobnicate
rw_check "an unknown option exits 64 with the usage" \
	sh -c "test $RW_RC -eq 64 && grep -q '^usage: relaywarden' '$RW_TMP/err'"
rw_done

#!/usr/bin/env bash
# t-control.sh - the control socket and `relaywarden ctl` (issue 18), against
# a real relaywarden with a private slapd, the LDAP directory and its cache
# on (TTL one hour), driven by miltertest:
#  (f) the socket is mode 0600, root's; user nobody is refused (by the file
#      mode, and by the milter's own peer check when the mode is opened up);
#  (c) status names the policy file, generation 1, the LDAP URI "unknown"
#      before any search, then "up";
#  (a) `ctl reload` of a broken file exits 78 with the exact FILE:LINE: KEY
#      line, the old policy keeps answering (exact reply on the wire); a good
#      file reloads (exit 0) and its new reply text answers at once;
#  (b) an alias added in LDAP stays refused while jdoe is cached; `ctl
#      flush-cache jdoe` drops 1 entry and the next try is accepted;
#  (d) stats: a known mix (3 refusals, 2 accepts, all cached) moves the
#      figures by exactly that much; (e) `ctl top --once` prints the table;
#  (g) a client that connects and sends nothing does not hold up the next
#      command: that one answers, the silent one is dropped afterwards by
#      the read timeout;
#  (c) after slapd stops and a lookup fails, status shows the URI down with
#      the error;
#  (h) a second milter on the same control socket refuses to start; after a
#      SIGKILL the stale socket is replaced by the next start.
# Usage: tests/milter/t-control.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init control "${1:-}"
chmod 0755 "$LDT_DIR"       # nobody may reach the socket's directory: the mode decides

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
POL=$LDT_DIR/rw.conf
CTL=$LDT_DIR/ctl.sock
P_TTL=3600 P_NEG_TTL=3600 ldt_policy "$POL" "unix:$LDT_DIR/rw.sock" "\"$SLAPD_URI\""
printf 'control = { socket = "unix:%s"; };\n' "$CTL" >>"$POL"
cp "$POL" "$LDT_DIR/good.conf"
ldt_milter_start "$POL" || exit 1

# ctl ARGS...: relaywarden ctl -c $POL ARGS; CTL_RC, CTL_OUT, CTL_ERR.
ctl() {
	local where=(-c "$POL")
	[ "$1" != --socket ] || { where=(--socket "$2"); shift 2; }
	CTL_RC=0
	"$RELAYWARDEN" ctl "${where[@]}" "$@" >"$LDT_DIR/ctl.out" 2>"$LDT_DIR/ctl.err" || CTL_RC=$?
	CTL_OUT=$(cat "$LDT_DIR/ctl.out")
	CTL_ERR=$(cat "$LDT_DIR/ctl.err")
}
# expect_line DESC TEXT LINE-REGEX: TEXT has a line matching LINE-REGEX (grep -E -x).
expect_line() {
	printf '%s\n' "$2" | grep -Eqx -- "$3" || ldt_fail "$1: no line matching [$3] in: $2"
}
expect_rc() {
	[ "$CTL_RC" -eq "$2" ] || ldt_fail "$1: exit status $CTL_RC, expected $2 (stdout: $CTL_OUT; stderr: $CTL_ERR)"
}
# A fixed string as a regex.
re() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# ---- (f) permissions
[ "$(stat -c '%a %U' "$CTL")" = "600 root" ] ||
	ldt_fail "f. control socket is $(stat -c '%a %U' "$CTL"), expected 600 root"
rc=0
out=$(runuser -u nobody -- "$RELAYWARDEN" ctl --socket "$CTL" status 2>&1) || rc=$?
[ "$rc" -eq 69 ] || ldt_fail "f. nobody: exit status $rc, expected 69 ($out)"
[ "$out" = "relaywarden ctl: cannot connect to $CTL: Permission denied (only root and the service user may)" ] ||
	ldt_fail "f. nobody: refused with [$out]"
chmod 0666 "$CTL"           # the file mode aside, the milter checks the peer itself
rc=0
out=$(runuser -u nobody -- "$RELAYWARDEN" ctl --socket "$CTL" status 2>&1) || rc=$?
chmod 0600 "$CTL"
[ "$rc" -eq 77 ] || ldt_fail "f. nobody through an opened mode: exit status $rc, expected 77 ($out)"
[ "$out" = "permission denied: only root and the service user may use the control socket" ] ||
	ldt_fail "f. nobody through an opened mode: refused with [$out]"

# ---- (c) status before any search
ctl status
expect_rc "c. status" 0
expect_line "c. status" "$CTL_OUT" "policy: $(re "$POL")"
expect_line "c. status" "$CTL_OUT" "generation: 1, loaded [0-9T:-]+Z in [0-9.]+ s"
expect_line "c. status" "$CTL_OUT" "last reload: none since start"
expect_line "c. status" "$CTL_OUT" "directory: ldap, cache ttl 3600 s, negative ttl 3600 s"
expect_line "c. status: the URI before any search" "$CTL_OUT" "  $(re "$SLAPD_URI") unknown"
expect_line "c. status" "$CTL_OUT" "relaywarden [0-9.]+, pid ${LDT_RW_PID[main]}"

# ---- (a) a broken reload is refused with its exact error; the old policy answers
ldt_expect "a. before: jdoe as alice.smith@ is refused" jdoe "<alice.smith@acme.com>" reject
sed -i 's/^relay = {$/relay = {\n  enforse = "all";/' "$POL"
line=$(grep -n 'enforse' "$POL" | cut -d: -f1)
ctl reload
expect_rc "a. broken reload" 78
[ "$CTL_OUT" = "" ] || ldt_fail "a. broken reload printed on stdout: $CTL_OUT"
want="$POL:$line: relay.enforse: unknown key (did you mean relay.enforce?)
$POL: refused; the running policy stays in force"
[ "$CTL_ERR" = "$want" ] || ldt_fail "a. broken reload said [$CTL_ERR], expected [$want]"
ldt_expect "a. after the refused reload: the old policy still refuses" jdoe "<alice.smith@acme.com>" reject
ctl status
expect_line "a. status after the refused reload" "$CTL_OUT" \
	"last reload: failed, the running policy stays in force \(reloads ok 0, failed 1\)"
expect_line "a. status names the refused reload's error" "$CTL_OUT" \
	"  $(re "$POL:$line: relay.enforse: unknown key (did you mean relay.enforce?)")"
ldt_expect_wire "a. after the refused reload, on the wire" jdoe "<alice.smith@acme.com>" reject
NEW_REPLY="550 5.7.1 Not your address (reloaded policy)"
sed "s/^  exempt_users = /  reply = \"$NEW_REPLY\";\n&/" "$LDT_DIR/good.conf" >"$POL"
ctl reload
expect_rc "a. good reload" 0
[ "$CTL_OUT" = "$POL: reloaded, generation 2" ] || ldt_fail "a. good reload said [$CTL_OUT]"
ldt_mail jdoe "<alice.smith@acme.com>"
[ "$LDT_CODE" = replycode ] && [ "$LDT_TEXT" = "$NEW_REPLY" ] ||
	ldt_fail "a. the new policy answers: got $LDT_CODE [$LDT_TEXT], expected replycode [$NEW_REPLY]"
out=$(rw_raw "$LDT_DIR/rw.sock" client.example.net 192.0.2.10 jdoe "<alice.smith@acme.com>" 2>&1 | grep '^mail ')
[ "$out" = "mail y $NEW_REPLY" ] || ldt_fail "a. the new reply on the wire: [$out]"
ctl status
expect_line "a. status after the reloads" "$CTL_OUT" "generation: 2, loaded [0-9T:-]+Z in [0-9.]+ s"
expect_line "a. status after the reloads" "$CTL_OUT" "last reload: ok \(reloads ok 1, failed 1\)"
expect_line "c. status after a search: the URI is up" "$CTL_OUT" "  $(re "$SLAPD_URI") up since [0-9T:-]+Z"
sed -i "s/$NEW_REPLY/$LDT_REPLY_NOT_OWNED/" "$POL"
ctl reload
expect_rc "a. back to the standard reply" 0
# a reload that moves the control socket: a warning, the socket stays until a restart
sed -i "s#unix:$CTL#unix:$LDT_DIR/moved.sock#" "$POL"
ctl --socket "$CTL" reload
expect_rc "a. reload moving control.socket" 0
expect_line "a. it warns" "$CTL_OUT" "warning: $(re "$POL"): control.socket: changed to unix:$(re "$LDT_DIR")/moved.sock; it takes effect at the next restart"
[ -S "$CTL" ] && [ ! -e "$LDT_DIR/moved.sock" ] || ldt_fail "a. the control socket moved before a restart"
cp "$LDT_DIR/good.conf" "$POL"
ctl reload
expect_rc "a. and back" 0

# ---- (b) flush-cache makes a new LDAP alias owned at once
ldt_expect "b. jdoe as newalias@ (not his yet) is refused" jdoe "<newalias@acme.com>" reject
searches=$(slapd_srch_count "(uid=jdoe)")
ldapmodify -x -H "$SLAPD_URI" -D cn=admin,dc=acme,dc=com -w secret >"$LDT_DIR/ldapmodify.out" 2>&1 <<EOF || ldt_fail "b. ldapmodify failed: $(cat "$LDT_DIR/ldapmodify.out")"
dn: uid=jdoe,ou=people,dc=acme,dc=com
changetype: modify
add: mailAlternateAddress
mailAlternateAddress: newalias@acme.com
EOF
ldt_expect "b. alias added in LDAP, jdoe still cached: refused" jdoe "<newalias@acme.com>" reject
[ "$(slapd_srch_count "(uid=jdoe)")" -eq "$searches" ] || ldt_fail "b. the second try searched LDAP (not cached)"
ctl flush-cache jdoe
expect_rc "b. flush-cache jdoe" 0
[ "$CTL_OUT" = "1 entry flushed for jdoe" ] || ldt_fail "b. flush-cache jdoe said [$CTL_OUT]"
ldt_expect "b. after the flush: accepted at once" jdoe "<newalias@acme.com>" continue
[ "$(slapd_srch_count "(uid=jdoe)")" -eq $((searches + 1)) ] || ldt_fail "b. the try after the flush did not search LDAP once"

# ---- (d) stats: a known mix, all answered from the cache
# row TEXT STAGE RULE DECISION CODE: the count of that decision row (0 if none).
row() {
	printf '%s\n' "$1" | awk -v s="$2" -v r="$3" -v d="$4" -v c="$5" \
		'$1 == s && $2 == r && $3 == d && $4 == c { n = $5 } END { print n + 0 }'
}
# figure TEXT REGEX: the first number after REGEX on its line.
figure() { printf '%s\n' "$1" | sed -nE "s/.*$2 ([0-9]+).*/\\1/p" | head -n 1; }
ctl stats
expect_rc "d. stats" 0
before=$CTL_OUT
for i in 1 2 3; do ldt_expect "d. refusal $i" jdoe "<alice.smith@acme.com>" reject; done
for i in 1 2; do ldt_expect "d. accept $i" jdoe "<john.doe@acme.com>" continue; done
ctl stats
expect_rc "d. stats" 0
after=$CTL_OUT
printf "%s\n" "$before" >"$LDT_DIR/stats.before"; printf "%s\n" "$after" >"$LDT_DIR/stats.after"
check_delta() { # DESC BEFORE AFTER WANT
	[ $(($3 - $2)) -eq "$4" ] || ldt_fail "d. $1: moved by $(($3 - $2)), expected $4"
}
check_delta "refusals (mail verify_sender reject 550)" "$(row "$before" mail verify_sender reject 550)" \
	"$(row "$after" mail verify_sender reject 550)" 3
check_delta "accepts (mail none accept none)" "$(row "$before" mail none accept none)" \
	"$(row "$after" mail none accept none)" 2
check_delta "sessions total" "$(figure "$before" 'total')" "$(figure "$after" 'total')" 5
ldap_before=$(grep '^directory ldap:' "$LDT_DIR/stats.before")
ldap_after=$(grep '^directory ldap:' "$LDT_DIR/stats.after")
check_delta "ldap cache hits" "$(figure "$ldap_before" 'cache hits')" "$(figure "$ldap_after" 'cache hits')" 5
check_delta "ldap searches" "$(figure "$ldap_before" 'searches')" "$(figure "$ldap_after" 'searches')" 0
expect_line "d. stats: sessions" "$after" "sessions: live 0, total [0-9]+"
expect_line "d. stats: the ldap latency line" "$after" "  latency p50 [0-9.]+ ms, p99 [0-9.]+ ms \([0-9]+ timed\)"
expect_line "d. stats: reloads" "$after" "reloads: ok 4, failed 1; generation 5, loaded [0-9T:-]+Z in [0-9.]+ s"

# ---- (e) ctl top --once
refused=$(row "$after" mail verify_sender reject 550)
ctl top --once
expect_rc "e. top --once" 0
accepted=$(row "$after" mail none accept none)
expect_line "e. top: heading" "$CTL_OUT" "STAGE +RULE +DECISION +CODE +PER MIN +TOTAL"
expect_line "e. top: the refusal row" "$CTL_OUT" "mail +verify_sender +reject +550 +- +$refused"
expect_line "e. top: the accept row" "$CTL_OUT" "mail +none +accept +none +- +$accepted"
expect_line "e. top: first line" "$(head -n 1 "$LDT_DIR/ctl.out")" "relaywarden ctl top - $(re "$CTL") - [0-9T:-]+Z"

# ---- (g) a silent client does not block the next command
"$LDT_PYTHON" - "$CTL" "$LDT_DIR/second.done" >"$LDT_DIR/silent.out" 2>&1 <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
print("connected", flush=True)
got = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
print("second done before the drop: %s" % ("yes" if os.path.exists(sys.argv[2]) else "no"))
sys.stdout.write(got.decode())
EOF
silent=$!
wait_for 10 grep -q '^connected$' "$LDT_DIR/silent.out" || ldt_fail "g. the silent client did not connect"
ctl status
expect_rc "g. a command while a silent client is connected" 0
: >"$LDT_DIR/second.done"
wait "$silent"
want="connected
second done before the drop: yes
no command within 5 s; closing
error 75"
[ "$(cat "$LDT_DIR/silent.out")" = "$want" ] || ldt_fail "g. the silent client got [$(cat "$LDT_DIR/silent.out")]"

# ---- (c) slapd stopped, a lookup fails: status shows the URI down
slapd_stop
ldt_expect "c. slapd stopped: an uncached login is unavailable" asmith "<alice.smith@acme.com>" tempfail
ctl status
expect_rc "c. status with slapd down" 0
expect_line "c. status: the URI is down, with the error" "$CTL_OUT" \
	"  $(re "$SLAPD_URI") down since [0-9T:-]+Z, last error: $(re "$SLAPD_URI"): connect: .*"
ctl stats
expect_line "c. stats: the failure counted" "$CTL_OUT" "directory ldap: found [0-9]+, not found [0-9]+, unavailable 1; .*"

ldt_milter_alive || ldt_fail "relaywarden died during the test"

# ---- (h) one milter per control socket: a live one is refused, a stale one replaced
sed "s#unix:$LDT_DIR/rw.sock#unix:$LDT_DIR/second.sock#" "$POL" >"$LDT_DIR/second.conf"
rc=0
timeout 30 "$RELAYWARDEN" -f -c "$LDT_DIR/second.conf" >"$LDT_DIR/second.log" 2>&1 </dev/null || rc=$?
[ "$rc" -eq 69 ] || ldt_fail "h. a second milter on the same control.socket: exit status $rc, expected 69"
grep -qF "control.socket $CTL answers: another relaywarden is running there; not starting (stop it first)" \
	"$LDT_DIR/second.log" || ldt_fail "h. the second milter did not say why: $(cat "$LDT_DIR/second.log")"
ctl status
expect_rc "h. the first milter still answers its control socket" 0
kill -KILL "${LDT_RW_PID[main]}"
wait "${LDT_RW_PID[main]}" 2>/dev/null
[ -S "$CTL" ] || ldt_fail "h. no stale control socket after SIGKILL (nothing to replace)"
ctl reload
expect_rc "h. ctl reload with no milter behind the socket" 69
[ "$CTL_ERR" = "relaywarden ctl: cannot connect to $CTL: Connection refused (is relaywarden running with this control.socket?)" ] ||
	ldt_fail "h. no milter: said [$CTL_ERR]"
ldt_milter_start "$POL" || exit 1
ctl status
expect_rc "h. a new milter replaced the stale control socket" 0
expect_line "h. its status" "$CTL_OUT" "generation: 1, loaded [0-9T:-]+Z in [0-9.]+ s"
ldt_finish

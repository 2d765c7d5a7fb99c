#!/usr/bin/env bash
# Least privilege (issue 7): started as root with milter.user = "postfix"
# (a user whose primary group is the MTA's), relaywarden binds its unix
# socket, gives it to postfix:postfix with mode 0660, drops root (uid, gid
# and supplementary groups) and still answers; it never logs the secrets
# it is handed. Its control socket goes to postfix too, mode 0600.
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init

id postfix >/dev/null 2>&1 || { echo "not ok - no postfix user (apt-get install postfix)"; exit 1; }
rw_policy tests/milter/policies/closed.conf
sed -i 's/^milter = {/milter = { user = "postfix";/' "$RW_CONF"
printf 'control = { socket = "unix:%s/ctl.sock"; };\n' "$RW_TMP" >>"$RW_CONF"
# After the drop the policy must still be readable (reloads read it): the
# milter refuses to start otherwise (tests/cli/startup.sh).
chmod 0755 "$RW_TMP"
rw_start "$BINARY" || exit 1

status() { awk -v k="$1:" '$1 == k { print $2, $3, $4, $5 }' "/proc/$RW_PID/status"; }
uid=$(id -u postfix)
gid=$(id -g postfix)
rw_check "real, effective, saved uid are postfix ($uid)" test "$(status Uid)" = "$uid $uid $uid $uid"
rw_check "real, effective, saved gid are postfix's group ($gid)" \
	test "$(status Gid)" = "$gid $gid $gid $gid"
rw_check "no supplementary group of root's" sh -c "! awk '\$1 == \"Groups:\"' /proc/$RW_PID/status | grep -qw 0"
rw_check "the socket belongs to postfix:postfix" \
	test "$(stat -c %U:%G "$RW_SOCK")" = "postfix:$(id -gn postfix)"
rw_check "the socket's mode is 0660" test "$(stat -c %a "$RW_SOCK")" = 660
rw_check "the log says so" grep -q "running as postfix" "$RW_LOG"
out=$(rw_raw "$RW_SOCK" abc.com 10.10.1.8 "" "<bogus.user@bogus.com>" "<john.doe@ibm.com>")
rw_check "it still answers: the seed relay attempt is refused" \
	test "$(printf '%s\n' "$out" | tail -n 1)" = "rcpt y 554 5.7.1 Relay rejected for policy reasons."
# The control socket (issue 18): the service user's, 0600; root and the
# service user may ask, nobody else.
rw_check "the control socket belongs to postfix, mode 0600" \
	test "$(stat -c '%U %a' "$RW_TMP/ctl.sock")" = "postfix 600"
rw_run "$BINARY" ctl -c "$RW_CONF" status
rw_check "root may ask it (ctl status exits 0)" test "$RW_RC" -eq 0
rw_run runuser -u postfix -- "$BINARY" ctl -c "$RW_CONF" status
rw_check "so may the service user" sh -c "test $RW_RC -eq 0 && grep -qx 'policy: $RW_CONF' '$RW_TMP/out'"
rw_run runuser -u nobody -- "$BINARY" ctl -c "$RW_CONF" status
rw_check "user nobody may not (exit 69, permission denied)" \
	sh -c "test $RW_RC -eq 69 && grep -q 'Permission denied' '$RW_TMP/err'"
rw_stop

# A bind password must not be readable by others, and never reaches the log.
printf 'S3cret-bind\n' >"$RW_TMP/ldap.secret"
chmod 0644 "$RW_TMP/ldap.secret"
cat >"$RW_TMP/ldap.conf" <<CONF
local_domains = [ "acme.com" ];
relay = { deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
directory = { backend = "ldap"; ldap = { uris = [ "ldap://127.0.0.1:1/" ];
  base = "dc=acme,dc=com"; bind_dn = "cn=rw,dc=acme,dc=com";
  bind_password_file = "ldap.secret"; }; };
CONF
rw_run "$BINARY" check -c "$RW_TMP/ldap.conf"
rw_check "a world-readable bind password file is refused (exit 78)" test "$RW_RC" -eq 78
rw_check "the error names the file and the key" \
	grep -q "directory.ldap.bind_password_file" "$RW_TMP/err"
rw_check "the password itself is not printed" sh -c "! grep -q S3cret-bind '$RW_TMP/err' '$RW_TMP/out'"
chmod 0600 "$RW_TMP/ldap.secret"
rw_run "$BINARY" explain -c "$RW_TMP/ldap.conf" --client 192.0.2.1 --auth jdoe \
	--from john.doe@acme.com --rcpt x@ibm.com
rw_check "with the server down the lookup defers (exit 2)" test "$RW_RC" -eq 2
rw_check "and nothing printed holds the password" \
	sh -c "! grep -q S3cret-bind '$RW_TMP/err' '$RW_TMP/out'"
rw_done

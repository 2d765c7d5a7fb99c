#!/usr/bin/env bash
# systemd/relaywarden.service and systemd/tmpfiles.d/relaywarden.conf under
# a real systemd's rules (issue 12): the unit passes `systemd-analyze
# verify` (with the binary under test in place of /usr/sbin), runs as the
# user the tmpfiles line gives the socket directory to, its ExecReload is
# `relaywarden ctl reload` (issue 18: over the control socket in the unit's
# RuntimeDirectory, and it fails with every error when the reload fails,
# not a bare kill), and systemd-tmpfiles, applied to a scratch root with
# that user and the postfix group, creates the socket directory owned by
# them, 0750.
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init
case $BINARY in /*) ;; *) BINARY=$PWD/$BINARY ;; esac
UNIT=systemd/relaywarden.service
TMPFILES=systemd/tmpfiles.d/relaywarden.conf
CONF=/etc/relaywarden/relaywarden.conf

sed "s#/usr/sbin/relaywarden#$BINARY#g" "$UNIT" >"$RW_TMP/relaywarden.service"
rw_run systemd-analyze verify --man=no "$RW_TMP/relaywarden.service"
rw_check "systemd-analyze verify exits 0" test "$RW_RC" -eq 0
rw_check "and reports nothing" test ! -s "$RW_TMP/err" -a ! -s "$RW_TMP/out"
rw_check "ExecReload asks the milter over its control socket and hears every error" \
	grep -qx "ExecReload=/usr/sbin/relaywarden ctl -c $CONF reload" "$UNIT"
rw_check "the shipped policy's control socket lives in the unit's RuntimeDirectory" \
	sh -c "grep -qx 'RuntimeDirectory=relaywarden' '$UNIT' &&
		grep -qx 'control = { socket = \"unix:/run/relaywarden/control.sock\"; };' policies/default.conf"
rw_check "ExecStartPre validates the policy as the service user" \
	grep -qx "ExecStartPre=/usr/sbin/relaywarden check -c $CONF" "$UNIT"
rw_check "ExecStart runs the same policy" grep -qx "ExecStart=/usr/sbin/relaywarden -c $CONF" "$UNIT"

# The unit's user owns the socket directory that tmpfiles creates, with the
# MTA's group: RuntimeDirectory= without User= would make it root's.
user=$(sed -n 's/^User=//p' "$UNIT")
rw_check "the unit names its User= (relaywarden)" test "$user" = relaywarden
rw_check "the unit has no Group= (the user's primary group, postfix, applies)" \
	sh -c "! grep -q '^Group=' '$UNIT'"
rw_check "the socket directory is writable under ProtectSystem=strict" \
	grep -qx 'ReadWritePaths=-/var/spool/postfix/relaywarden' "$UNIT"
line=$(grep -v '^#' "$TMPFILES" | grep -v '^$')
rw_check "tmpfiles: one line, the spool socket directory for $user:postfix" \
	test "$line" = "d /var/spool/postfix/relaywarden 0750 $user postfix -"
root=$RW_TMP/root
mkdir -p "$root/etc" "$root/var/spool/postfix"
printf 'root:x:0:0::/root:/bin/sh\n%s:x:990:991::/nonexistent:/usr/sbin/nologin\n' "$user" \
	>"$root/etc/passwd"
printf 'root:x:0:\npostfix:x:991:\n' >"$root/etc/group"
rw_run systemd-tmpfiles --create --root="$root" "$PWD/$TMPFILES"
rw_check "systemd-tmpfiles --create accepts the file" test "$RW_RC" -eq 0 -a ! -s "$RW_TMP/err"
rw_check "it creates the directory 990:991 (user, postfix), mode 750" \
	test "$(stat -c '%u:%g %a' "$root/var/spool/postfix/relaywarden")" = "990:991 750"

# The same verify must fail on a broken unit (the test can fail).
sed 's/^Type=simple/Type=simpel/' "$RW_TMP/relaywarden.service" >"$RW_TMP/broken.service"
rw_run systemd-analyze verify --man=no "$RW_TMP/broken.service"
rw_check "a misspelt Type= is reported" grep -q "Failed to parse service type" "$RW_TMP/err"
rw_done

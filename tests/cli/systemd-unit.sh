#!/usr/bin/env bash
# systemd/relaywarden.service passes `systemd-analyze verify` (issue 5), with
# ExecStart pointing at the binary under test instead of /usr/local/sbin, and
# its ExecReload sends SIGUSR1 (libmilter stops on SIGHUP).
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init
case $BINARY in /*) ;; *) BINARY=$PWD/$BINARY ;; esac

sed "s#/usr/local/sbin/relaywarden#$BINARY#g" systemd/relaywarden.service \
	>"$RW_TMP/relaywarden.service"
rw_run systemd-analyze verify --man=no "$RW_TMP/relaywarden.service"
rw_check "systemd-analyze verify exits 0" test "$RW_RC" -eq 0
rw_check "and reports nothing" test ! -s "$RW_TMP/err" -a ! -s "$RW_TMP/out"
rw_check "ExecReload sends SIGUSR1" grep -qx 'ExecReload=/bin/kill -USR1 $MAINPID' \
	systemd/relaywarden.service
rw_check "ExecStartPre validates the policy" \
	grep -qx 'ExecStartPre=/usr/local/sbin/relaywarden check -c /etc/relaywarden/relaywarden.conf' \
	systemd/relaywarden.service

# The same verify must fail on a broken unit (the test can fail).
sed 's/^Type=simple/Type=simpel/' "$RW_TMP/relaywarden.service" >"$RW_TMP/broken.service"
rw_run systemd-analyze verify --man=no "$RW_TMP/broken.service"
rw_check "a misspelt Type= is reported" grep -q "Failed to parse service type" "$RW_TMP/err"
rw_done

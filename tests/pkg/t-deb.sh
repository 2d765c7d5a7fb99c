#!/usr/bin/env bash
# t-deb.sh [BINARY] - the Debian package, on this machine: `make deb` builds
# it, lintian finds no error, apt-get installs it; the files, owners and
# modes, the conffiles, the enabled unit and the system user relaywarden
# (primary group postfix) are as designed; the installed binary, run as
# relaywarden with the installed policy on the packaged socket
# /var/spool/postfix/relaywarden/relaywarden.sock, judges mail through a
# private Postfix (one exact refusal, one delivery) and reloads as
# systemd's ExecReload would (`ctl reload` over the control socket in the
# unit's RuntimeDirectory, made here as systemd would); `apt-get purge` then removes every file, the
# socket directory, the unit's enablement and the user, leaving the machine
# as it was. BINARY (the runner's) is not used: the package builds its own.
# No systemd runs as PID 1 here; the maintainer scripts must not need one.
set -u
# shellcheck source=../e2e/lib/e2e.sh
. "$(dirname "$0")/../e2e/lib/e2e.sh"
# shellcheck source=../e2e/lib/postfix.sh
. "$(dirname "$0")/../e2e/lib/postfix.sh"
cd "$E2E_TOP"
# e2e_init wants a command to check: the binary under test is the package's, found later.
e2e_init deb /usr/bin/env
E2E_RW_LOG=$E2E_DIR/relaywarden.log
SPOOL=/var/spool/postfix/relaywarden
SOCK=$SPOOL/relaywarden.sock
CONF=/etc/relaywarden/relaywarden.conf
INSTALLED=no
RUNDIR=/run/relaywarden     # the unit's RuntimeDirectory: the control socket's
RUNDIR_MADE=no
e2e_cleanup_hook() {
	pf_stop
	e2e_milter_stop
	[ "$RUNDIR_MADE" = no ] || rm -rf "$RUNDIR"
	if [ "$INSTALLED" = yes ]; then   # a failure half way: leave nothing behind
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 \
			relaywarden >/dev/null 2>&1 || true
	fi
}

for cmd in dpkg-buildpackage lintian apt-get setpriv runuser flock postfix systemd-analyze; do
	command -v "$cmd" >/dev/null 2>&1 || { echo "not ok - $cmd is missing"; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "not ok - t-deb installs a package: run it as root"; exit 1; }
# One package test at a time on this machine (another checkout's make check).
exec 9>/run/lock/relaywarden-t-deb.lock
flock -w 300 9 || { echo "not ok - another t-deb held the lock for 300 s"; exit 1; }

# What the package may touch, before: it must all be the same after purge.
state() {
	getent passwd relaywarden
	getent group relaywarden
	getent group postfix
	grep -h relaywarden /etc/passwd /etc/group /etc/shadow /etc/gshadow 2>/dev/null
	dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' relaywarden 2>/dev/null
	dpkg-statoverride --list | grep relaywarden
	find /etc /lib/systemd /usr/lib/systemd /usr/lib/tmpfiles.d /usr/sbin /usr/share/man \
		/usr/share/doc /var/lib/systemd /var/lib/dpkg/info /var/spool/postfix /run \
		-name '*relaywarden*' -printf '%M %u:%g %p %l\n' 2>/dev/null | sort
	return 0
}
state >"$E2E_DIR/state.before"
if dpkg-query -W relaywarden >/dev/null 2>&1 || getent passwd relaywarden >/dev/null; then
	echo "not ok - the package relaywarden or the user relaywarden is already here;"
	echo "#   t-deb installs and purges both: remove them first (apt-get purge relaywarden)"
	exit 1
fi

# ---- build
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory deb >"$E2E_DIR/deb.log" 2>&1
rc=$?
e2e_check "make deb exits 0" test "$rc" -eq 0 || { tail -n 30 "$E2E_DIR/deb.log" | sed 's/^/#   /'; exit 1; }
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
arch=$(dpkg --print-architecture)
DEB=$E2E_TOP/build/deb/relaywarden_${version}_$arch.deb
e2e_check "build/deb/ holds relaywarden_${version}_$arch.deb" test -f "$DEB" || exit 1
e2e_check "nothing was written beside the repository" \
	sh -c "! ls '$E2E_TOP'/../relaywarden_* >/dev/null 2>&1"
e2e_check "Depends: postfix and adduser" \
	sh -c "dpkg-deb -f '$DEB' Depends | tr ',' '\n' | grep -qx ' *postfix' &&
		dpkg-deb -f '$DEB' Depends | tr ',' '\n' | grep -qx ' *adduser'"
conffiles=$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./conffiles | sort | tr '\n' ' ')
e2e_check "the conffiles are the two policy files (got $conffiles)" \
	test "$conffiles" = "/etc/relaywarden/directory.conf /etc/relaywarden/relaywarden.conf "

# ---- lintian: no error (the remaining tags are listed as comments)
lintian --fail-on error "${DEB%.deb}.changes" >"$E2E_DIR/lintian.out" 2>&1
rc=$?
grep -v 'running with root privileges' "$E2E_DIR/lintian.out" | sed 's/^/# lintian: /'
e2e_check "lintian: exit 0" test "$rc" -eq 0
e2e_check "lintian: no E: tag" sh -c "! grep -q '^E: ' '$E2E_DIR/lintian.out'"

# ---- install
INSTALLED=yes
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "$DEB" \
	>"$E2E_DIR/install.log" 2>&1
rc=$?
e2e_check "apt-get install ./build/deb/relaywarden_${version}_$arch.deb exits 0" test "$rc" -eq 0 ||
	{ tail -n 30 "$E2E_DIR/install.log" | sed 's/^/#   /'; exit 1; }
e2e_check "dpkg says installed" \
	test "$(dpkg-query -W -f='${Status}' relaywarden)" = "install ok installed"
is() { # PATH TYPE OWNER:GROUP MODE
	local got
	got=$(stat -c '%F %U:%G %a' "$1" 2>&1)
	e2e_check "$1: $2 $3 $4 (got $got)" test "$got" = "$2 $3 $4"
}
is /usr/sbin/relaywarden 'regular file' root:root 755
is /usr/share/man/man8/relaywarden.8.gz 'regular file' root:root 644
is /usr/share/man/man5/relaywarden.conf.5.gz 'regular file' root:root 644
is /lib/systemd/system/relaywarden.service 'regular file' root:root 644
is /usr/lib/tmpfiles.d/relaywarden.conf 'regular file' root:root 644
is /etc/relaywarden directory root:root 755
is /etc/relaywarden/relaywarden.conf 'regular file' root:postfix 640
is /etc/relaywarden/directory.conf 'regular file' root:postfix 640
is $SPOOL directory relaywarden:postfix 750
is /usr/share/doc/relaywarden/copyright 'regular file' root:root 644
for f in policies/examples/*.conf; do
	e2e_check "example $(basename "$f") in /usr/share/doc/relaywarden/examples" \
		cmp "$f" "/usr/share/doc/relaywarden/examples/$(basename "$f")"
done
e2e_check "the policy is policies/default.conf" cmp policies/default.conf $CONF
e2e_check "/usr/sbin/relaywarden version is the package's ($version)" \
	test "$(/usr/sbin/relaywarden version)" = "relaywarden ${version%-*}"
e2e_check "man 8 relaywarden and man 5 relaywarden.conf render without a warning" \
	sh -c "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings 8 relaywarden 2>&1 >/dev/null | grep . && exit 1;
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings 5 relaywarden.conf 2>&1 >/dev/null | grep . && exit 1;
		man -w 8 relaywarden | grep -qx /usr/share/man/man8/relaywarden.8.gz"
e2e_check "the unit runs /usr/sbin/relaywarden as User=relaywarden" \
	sh -c "grep -qx 'User=relaywarden' /lib/systemd/system/relaywarden.service &&
		grep -qx 'ExecStart=/usr/sbin/relaywarden -c $CONF' /lib/systemd/system/relaywarden.service"
systemd-analyze verify --man=no /lib/systemd/system/relaywarden.service >"$E2E_DIR/verify.out" 2>&1
rc=$?
e2e_check "systemd-analyze verify: the installed unit is clean (exit $rc)" \
	test "$rc" -eq 0 -a ! -s "$E2E_DIR/verify.out"
e2e_check "the unit is enabled (multi-user.target.wants)" \
	test "$(readlink /etc/systemd/system/multi-user.target.wants/relaywarden.service)" = \
	/lib/systemd/system/relaywarden.service
# the user: a system account, primary group postfix, no home, no login
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd relaywarden)
e2e_check "user relaywarden exists, a system uid ($uid < 1000)" test "${uid:-1000}" -lt 1000
e2e_check "its primary group is postfix" test "${gid:-x}" = "$(getent group postfix | cut -d: -f3)"
e2e_check "its home is /nonexistent (not created), its shell nologin" \
	sh -c "[ '$home' = /nonexistent ] && [ ! -e /nonexistent ] && [ '$shell' = /usr/sbin/nologin ]"
e2e_check "no group relaywarden was created" sh -c "! getent group relaywarden"

e2e_check "relaywarden check -c $CONF (root) exits 0" \
	sh -c "/usr/sbin/relaywarden check -c $CONF >/dev/null"
e2e_check "relaywarden check -c $CONF as user relaywarden exits 0" \
	sh -c "runuser -u relaywarden -- /usr/sbin/relaywarden check -c $CONF >/dev/null"

# ---- run it as the unit would: user relaywarden, UMask=0007, the installed
# policy and its socket under Postfix's spool; a private Postfix asks it.
# The unit's RuntimeDirectory= (no systemd here to make it): the shipped
# control.socket lives there.
if [ ! -e "$RUNDIR" ]; then
	install -d -o relaywarden -g postfix -m 0750 "$RUNDIR" && RUNDIR_MADE=yes
fi
sink_start "$E2E_DIR" || exit 1
mark=$(log_mark "$E2E_RW_LOG")
(umask 0007 && exec setpriv --reuid=relaywarden --regid=postfix --init-groups \
	/usr/sbin/relaywarden -f -c $CONF) >>"$E2E_RW_LOG" 2>&1 </dev/null &
E2E_RW_PID=$!
e2e_check "the installed milter logs \"listening on unix:$SOCK\"" \
	milter_wait_ready "$E2E_RW_LOG" "$mark" "$E2E_RW_PID" "unix:$SOCK" 30 || exit 1
e2e_check "it runs as relaywarden" \
	test "$(awk '$1 == "Uid:" { print $2 }' /proc/$E2E_RW_PID/status)" = "$uid"
is $SOCK socket relaywarden:postfix 660
is $RUNDIR/control.sock socket relaywarden:postfix 600
pf_start "$E2E_DIR/postfix" "unix:$SOCK" "$SINK_PORT" || exit 1
E2E_MTA_PORT=$PF_PORT
pf_user jdoe 'Secret-1'
AUTH_JDOE=(-a LOGIN --auth-user jdoe --auth-password 'Secret-1')
e2e_refused "through Postfix: jdoe may not send as alice.smith@acme.com" \
	'550 5.7.1 Sender address rejected: not owned by authenticated user' \
	"${AUTH_JDOE[@]}" --from alice.smith@acme.com --to partner@example.org
e2e_check "the milter logged that refusal" \
	grep -q 'decision=reject .*auth=jdoe.*from=<alice.smith@acme.com>' "$E2E_RW_LOG"
e2e_delivered "through Postfix: jdoe sends as john.doe@acme.com" "partner@example.org" \
	"${AUTH_JDOE[@]}" --from john.doe@acme.com --to partner@example.org --h-From 'John Doe <john.doe@acme.com>'
# ExecReload, as systemd runs it: as the unit's user, over the control socket
runuser -u relaywarden -- /usr/sbin/relaywarden ctl -c $CONF reload >"$E2E_DIR/ctl.out" 2>&1
rc=$?
e2e_check "ExecReload, relaywarden ctl -c $CONF reload as relaywarden, exits 0 (exit $rc)" test "$rc" -eq 0
e2e_check "and says the milter reloaded" grep -qx "$CONF: reloaded, generation 2" "$E2E_DIR/ctl.out"
# The signal path still works (without a control socket it is the way)
mark=$(log_mark "$E2E_RW_LOG")
runuser -u relaywarden -- /usr/sbin/relaywarden reload -c $CONF --pid "$E2E_RW_PID" \
	>"$E2E_DIR/reload.out" 2>&1
rc=$?
e2e_check "relaywarden reload -c $CONF --pid PID as relaywarden exits 0" test "$rc" -eq 0
e2e_check "and the milter reloaded" log_wait "$E2E_RW_LOG" "$mark" 30 "policy reloaded from"
pf_stop
e2e_milter_stop
sink_stop
if [ "$RUNDIR_MADE" = yes ]; then
	rm -rf "$RUNDIR" && RUNDIR_MADE=no
fi

# ---- purge: everything goes, the machine is as it was
dpkg-query -L relaywarden >"$E2E_DIR/files"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 relaywarden \
	>"$E2E_DIR/purge.log" 2>&1
rc=$?
e2e_check "apt-get purge -y relaywarden exits 0" test "$rc" -eq 0 ||
	tail -n 30 "$E2E_DIR/purge.log" | sed 's/^/#   /'
INSTALLED=no
e2e_check "dpkg no longer knows the package" sh -c "! dpkg-query -W relaywarden 2>/dev/null | grep -q ."
# (directories are shared: /lib, /usr/share/doc... ; /lib may be a symlink to usr/lib)
left=$(while read -r f; do
	[ -d "$f" ] && continue
	if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi
done <"$E2E_DIR/files")
e2e_check "no file of the package is left${left:+ (left: $left)}" test -z "$left"
e2e_check "/etc/relaywarden is gone" test ! -e /etc/relaywarden
e2e_check "$SPOOL is gone" test ! -e $SPOOL
e2e_check "the unit's enablement is gone" \
	test ! -e /etc/systemd/system/multi-user.target.wants/relaywarden.service -a \
	! -L /etc/systemd/system/multi-user.target.wants/relaywarden.service
e2e_check "the user relaywarden is gone" sh -c "! getent passwd relaywarden"
state >"$E2E_DIR/state.after"
e2e_check "the machine is as it was before the install" \
	diff "$E2E_DIR/state.before" "$E2E_DIR/state.after"
e2e_done

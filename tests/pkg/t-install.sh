#!/usr/bin/env bash
# t-install.sh BINARY - `make install` into a DESTDIR, with PREFIX=/usr and
# with the default PREFIX (/usr/local): exactly the expected files, with
# their modes; the unit's paths follow PREFIX; the policy lands in
# /etc/relaywarden and an existing policy is never overwritten. BINARY's
# build directory is the one installed from (BUILD=).
set -uo pipefail
BINARY=${1:?usage: $0 BINARY}
case $BINARY in /*) ;; *) BINARY=$PWD/$BINARY ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
TOP=$PWD
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rw-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
fails=0
check() { # DESC COMMAND...: "ok - DESC" or "not ok - DESC" and what it printed
	local desc=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		sed 's/^/#   /' "$TMP/check.out"
		fails=$((fails + 1))
	fi
}
# The files under DESTDIR, each as "MODE PATH", sorted.
listing() { (cd "$1" && find . -type f -printf '%m /%P\n' | sort); }
same() { cmp "$1" "$2"; }

# A make started from make (make check) must not inherit its overrides.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$TOP" \
	BUILD="$(dirname "$BINARY")" "$@"; }

examples=$(cd policies/examples && ls -- *.conf)
expected() { # PREFIX UNITDIR
	{
		echo "755 $1/sbin/relaywarden"
		echo "644 $1/share/man/man8/relaywarden.8"
		echo "644 $1/share/man/man5/relaywarden.conf.5"
		echo "644 $2/relaywarden.service"
		echo "644 $1/lib/tmpfiles.d/relaywarden.conf"
		echo "644 $1/share/doc/relaywarden/README.md"
		for e in $examples; do echo "644 $1/share/doc/relaywarden/examples/$e"; done
		echo "644 /etc/relaywarden/relaywarden.conf"
		echo "644 /etc/relaywarden/directory.conf"
	} | sort
}

check "LICENSE is MIT, Copyright (c) 2026 the relaywarden authors" \
	sh -c "head -n 1 LICENSE | grep -qx 'MIT License' &&
		grep -qx 'Copyright (c) 2026 the relaywarden authors' LICENSE"

for prefix in /usr /usr/local; do
	D=$TMP/root$prefix
	if [ "$prefix" = /usr ]; then
		unitdir=/lib/systemd/system
		mk install DESTDIR="$D" PREFIX=/usr >"$TMP/make.out" 2>&1
	else
		unitdir=/usr/local/lib/systemd/system
		mk install DESTDIR="$D" >"$TMP/make.out" 2>&1   # the default PREFIX
	fi
	rc=$?
	check "PREFIX=$prefix: make install DESTDIR=... exits 0" sh -c "[ $rc -eq 0 ] || { cat '$TMP/make.out'; false; }"
	listing "$D" >"$TMP/got"
	expected "$prefix" "$unitdir" >"$TMP/want"
	check "PREFIX=$prefix: exactly the expected files with the expected modes" \
		diff "$TMP/want" "$TMP/got"
	check "PREFIX=$prefix: the binary is BINARY" same "$BINARY" "$D$prefix/sbin/relaywarden"
	check "PREFIX=$prefix: the man pages are man/'s" sh -c \
		"cmp man/relaywarden.8 '$D$prefix/share/man/man8/relaywarden.8' &&
		 cmp man/relaywarden.conf.5 '$D$prefix/share/man/man5/relaywarden.conf.5'"
	unit=$D$unitdir/relaywarden.service
	for line in "ExecStartPre=$prefix/sbin/relaywarden check -c /etc/relaywarden/relaywarden.conf" \
		"ExecStart=$prefix/sbin/relaywarden -c /etc/relaywarden/relaywarden.conf" \
		"ExecReload=$prefix/sbin/relaywarden ctl -c /etc/relaywarden/relaywarden.conf reload"; do
		check "PREFIX=$prefix: the unit says $line" grep -qxF "$line" "$unit"
	done
	check "PREFIX=$prefix: the unit names no other relaywarden binary" \
		sh -c "! grep -v '^#' '$unit' | grep -o '/[a-z/]*sbin/relaywarden' | grep -vx '$prefix/sbin/relaywarden'"
	check "PREFIX=$prefix: the unit is systemd/'s with only those paths changed" \
		sh -c "sed 's#$prefix/sbin/relaywarden#/usr/sbin/relaywarden#g' '$unit' |
			diff systemd/relaywarden.service -"
	check "PREFIX=$prefix: tmpfiles.d/relaywarden.conf is systemd/tmpfiles.d's" \
		same systemd/tmpfiles.d/relaywarden.conf "$D$prefix/lib/tmpfiles.d/relaywarden.conf"
	check "PREFIX=$prefix: the examples are policies/examples/" \
		diff -r policies/examples "$D$prefix/share/doc/relaywarden/examples"
	check "PREFIX=$prefix: /etc/relaywarden/relaywarden.conf is policies/default.conf" \
		same policies/default.conf "$D/etc/relaywarden/relaywarden.conf"
	check "PREFIX=$prefix: /etc/relaywarden/directory.conf is policies/directory.conf" \
		same policies/directory.conf "$D/etc/relaywarden/directory.conf"
	check "PREFIX=$prefix: the installed binary accepts the installed policy" \
		"$D$prefix/sbin/relaywarden" check -c "$D/etc/relaywarden/relaywarden.conf"

	# An admin's policy stays; a missing file comes back.
	echo '# the admin was here' >>"$D/etc/relaywarden/relaywarden.conf"
	chmod 0640 "$D/etc/relaywarden/relaywarden.conf"
	cp "$D/etc/relaywarden/relaywarden.conf" "$TMP/admin.conf"
	rm "$D/etc/relaywarden/directory.conf"
	mk install DESTDIR="$D" PREFIX="$prefix" >"$TMP/make.out" 2>&1
	rc=$?
	check "PREFIX=$prefix: make install again exits 0" test "$rc" -eq 0
	check "PREFIX=$prefix: it kept the existing relaywarden.conf (content)" \
		same "$TMP/admin.conf" "$D/etc/relaywarden/relaywarden.conf"
	check "PREFIX=$prefix: it kept the existing relaywarden.conf (mode 0640)" \
		test "$(stat -c %a "$D/etc/relaywarden/relaywarden.conf")" = 640
	check "PREFIX=$prefix: and says so" grep -q "keeping the existing $D/etc/relaywarden/relaywarden.conf" "$TMP/make.out"
	check "PREFIX=$prefix: the missing directory.conf was installed again" \
		same policies/directory.conf "$D/etc/relaywarden/directory.conf"
done

echo "# $fails failure(s)"
[ "$fails" -eq 0 ]

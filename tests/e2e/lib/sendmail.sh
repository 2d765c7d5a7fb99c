# shellcheck shell=bash
# tests/e2e/lib/sendmail.sh - a private Sendmail 8.17 on a free 127.0.0.1
# port, with Cyrus SASL from a private sasldb, relaying everything to
# smtp-sink and asking relaywarden through INPUT_MAIL_FILTER with F=T.
#
# Debian's sendmail-bin conflicts with postfix as a package, so it is never
# installed: sm_fetch downloads sendmail-bin, -base and -cf once (apt-get
# download, cached in /var/cache/relaywarden-test/sendmail) and unpacks them
# into the test's directory. Sendmail insists on a qualified host name and
# reads Cyrus's Sendmail.conf only from the system paths, so it runs in a
# private mount and UTS namespace (unshare -m -u) where a private hosts
# file and SASL directory are bind-mounted over /etc/hosts and
# /usr/lib/sasl2 and the host name is mx.acme.test; nothing of the host
# changes.
#
#   sm_start DIR MILTER_PORT SINK_PORT   unpack, build DIR/sendmail.cf from a small
#                      .mc with m4, start `sendmail -bD` (foreground) by PID, wait
#                      until its port answers. Exports SM_PORT, SM_DIR.
#   sm_user LOGIN PASSWORD   add a SASL user ({auth_authen} is the bare login).
#   sm_stop            SIGTERM by PID, reap.
SM_CACHE=${SM_CACHE:-/var/cache/relaywarden-test/sendmail}
SM_PID='' SM_PORT='' SM_DIR=''

sm_fetch() {
	local root=$1 pkg
	mkdir -p "$SM_CACHE" "$root"
	for pkg in sendmail-bin sendmail-base sendmail-cf; do
		if ! ls "$SM_CACHE/${pkg}_"*.deb >/dev/null 2>&1; then
			# _apt cannot write into root's cache directory: download as root
			(cd "$SM_CACHE" && { apt-get download -o APT::Sandbox::User=root "$pkg" ||
				{ apt-get update -q && apt-get download -o APT::Sandbox::User=root "$pkg"; }; } \
				>/dev/null) || { echo "# apt-get download $pkg failed" >&2; return 1; }
		fi
		dpkg-deb -x "$(ls "$SM_CACHE/${pkg}_"*.deb | tail -n 1)" "$root"
	done
}

_sm_mc() { # DIR SMTP_PORT MILTER_PORT SINK_PORT INPUT_MAIL_FILTER-LINE
	cat <<MC
divert(0)dnl
VERSIONID(\`relaywarden e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.acme.test')dnl
define(\`QUEUE_DIR', \`$1/queue')dnl
define(\`STATUS_FILE', \`$1/statistics')dnl
define(\`ALIAS_FILE', \`$1/aliases')dnl
define(\`confPID_FILE', \`$1/sendmail.pid')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confSERVICE_SWITCH_FILE', \`$1/service.switch')dnl
define(\`confHOSTS_FILE', \`$1/hosts')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confDEF_USER_ID', \`mail:mail')dnl
define(\`confTO_IDENT', \`0s')dnl
define(\`confCHECK_ALIASES', \`False')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $4')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $4')dnl
dnl Sendmail must not judge relaying itself: relaywarden is the only judge.
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
DAEMON_OPTIONS(\`Port=$2, Addr=127.0.0.1, Name=MTA')dnl
define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
dnl "A" without "p": AUTH without TLS, on loopback only.
define(\`confAUTH_OPTIONS', \`A')dnl
dnl README "Attach it to Sendmail", its socket replaced by the test's (F=T: with
dnl the milter down Sendmail defers, 451 4.3.2, never accepts unchecked).
$5dnl
MAILER(\`smtp')dnl
MC
}

# README.md's INPUT_MAIL_FILTER line (the fenced block after "<!-- test:
# sendmail.mc -->"), its S= socket replaced by inet:MILTER_PORT@127.0.0.1.
sm_readme_filter() {
	local line
	line=$(awk '$0 == "<!-- test: sendmail.mc -->" { armed = 1; next }
		armed == 1 && /^```/ { armed = 2; next }
		armed == 2 && /^```/ { exit }
		armed == 2 && /^INPUT_MAIL_FILTER\(/ { print }' "$E2E_TOP/README.md")
	case $line in
	*$'\n'*) echo "# README.md: several INPUT_MAIL_FILTER lines after <!-- test: sendmail.mc -->" >&2
		return 1 ;;
	*S=*) printf '%s\n' "$line" | sed -E "s/S=[^,']*/S=inet:$1@127.0.0.1/" ;;
	*) echo "# README.md: no INPUT_MAIL_FILTER line with S= after <!-- test: sendmail.mc -->" >&2
		return 1 ;;
	esac
}

sm_start() {
	SM_DIR=$1
	local milter=$2 sink=$3 root=$1/root i filter
	sm_fetch "$root" || return 1
	SM_PORT=$(e2e_free_port)
	mkdir -p "$SM_DIR/queue" "$SM_DIR/sasl"
	chmod 700 "$SM_DIR/queue"
	: >"$SM_DIR/aliases"
	: >"$SM_DIR/statistics"
	printf 'hosts files\naliases files\n' >"$SM_DIR/service.switch"
	printf '127.0.0.1 mx.acme.test mx localhost\n' >"$SM_DIR/hosts"
	cat >"$SM_DIR/sasl/Sendmail.conf" <<CONF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $SM_DIR/sasldb2
mech_list: PLAIN LOGIN
CONF
	filter=$(sm_readme_filter "$milter") || return 1
	_sm_mc "$SM_DIR" "$SM_PORT" "$milter" "$sink" "$filter" >"$SM_DIR/rig.mc"
	m4 -D_CF_DIR_="$root/usr/share/sendmail/cf/" "$root/usr/share/sendmail/cf/m4/cf.m4" \
		"$SM_DIR/rig.mc" >"$SM_DIR/sendmail.cf" 2>"$SM_DIR/m4.err" ||
		{ echo "# m4 failed:" >&2; cat "$SM_DIR/m4.err" >&2; return 1; }
	[ -d /usr/lib/sasl2 ] || { echo "# /usr/lib/sasl2 is missing (sasl2-bin)" >&2; return 1; }
	unshare -m -u --propagation private sh -c '
		mount --bind "$1/hosts" /etc/hosts && mount --bind "$1/sasl" /usr/lib/sasl2 &&
		hostname mx.acme.test && exec "$2" -C "$1/sendmail.cf" -bD' \
		sm "$SM_DIR" "$root/usr/libexec/sendmail/sendmail" >"$SM_DIR/sendmail.out" 2>&1 &
	SM_PID=$!
	e2e_wait_port "$SM_PORT" 100 && return 0
	echo "# sendmail did not answer on $SM_PORT:" >&2
	cat "$SM_DIR/sendmail.out" >&2
	return 1
}

sm_user() {
	echo "$2" | saslpasswd2 -p -c -f "$SM_DIR/sasldb2" -u mx.acme.test "$1"
}

sm_stop() {
	[ -n "$SM_PID" ] || return 0
	kill -TERM "$SM_PID" 2>/dev/null || true
	wait "$SM_PID" 2>/dev/null || true
	SM_PID=''
	return 0
}

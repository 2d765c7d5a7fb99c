# shellcheck shell=bash
# tests/e2e/lib/postfix_debian.sh - a private Postfix instance run the way
# Debian ships it, configured with what README.md tells operators.
#
# Its own config, queue and data directories under the test's temp dir
# (/etc/postfix and the system's Postfix are never touched); master.cf is
# Debian's own (/usr/share/postfix/master.cf.dist, the file the postfix
# package installs as /etc/postfix/master.cf), smtpd chrooted in the queue
# directory as shipped, only the smtp/inet listener moved to 127.0.0.1:PORT,
# plus README's master.cf snippet (submission) on a second port. The chroot
# is populated by Debian's own /usr/lib/postfix/configure-instance.sh (what
# the init script and postfix@.service run before `postfix start`). main.cf
# is the private-instance settings below plus the main.cf block of README
# "Attach it to Postfix", read from README.md, so the documentation cannot
# drift from what is tested.
#
#   pfd_readme_block NAME    print the fenced block after the line
#                      "<!-- test: NAME -->" of README.md (fails unless there is
#                      exactly one such marker and a complete block).
#   pfd_setup DIR SINK_PORT  write DIR/etc/{main,master}.cf and the SASL config,
#                      populate the chroot (DIR/spool). Exports PFD_ETC,
#                      PFD_QUEUE, PFD_PORT (smtpd), PFD_SUB_PORT (submission),
#                      PFD_LOG (maillog_file), PFD_MAIN_BLOCK (README's main.cf).
#   pfd_start          `postfix -c DIR/etc start`, wait until both ports answer.
#   pfd_stop           `postfix -c DIR/etc stop`, then wait for (or kill) the
#                      master and every process it had started, by PID.
#   pfd_user LOGIN PASSWORD  add a SASL user to the sasldb inside the chroot.
#   pfd_readme_cmd REGEX     run the one command of README's postfix-commands
#                      block matching REGEX, adapted to this instance (-c DIR/etc,
#                      the queue directory, the test's smtpd service); its output
#                      is in PFD_CMD_OUT, its status returned.
#   pfd_readme_cmds_unrun    print README commands no pfd_readme_cmd has run.
#   pfd_set_milters VALUE    smtpd_milters = VALUE, then README's `postfix
#                      reload`; waits until every smtpd started before is gone.
#   pfd_milter_start_unix    relaywarden -f on unix:QUEUE/relaywarden/relaywarden.sock
#                      (E2E_RW_PID, so e2e_milter_stop and e2e_reload work);
#                      waits until it accepts, then checks that the socket is
#                      0660, group postfix, and that the postfix user can connect.
#   pfd_smtpd_roots    print "PID ROOT" for each running smtpd of the port-25
#                      service (127.0.0.1:PFD_PORT).
#   pfd_wait_log TEXT [TENTHS]  0 once PFD_LOG holds a line containing TEXT
#                      (postlogd writes it after smtpd has answered).
PFD_DIR='' PFD_ETC='' PFD_QUEUE='' PFD_PORT='' PFD_SUB_PORT='' PFD_LOG=/dev/null
PFD_MASTER_PID='' PFD_CMD_OUT='' PFD_MAIN_BLOCK=''
PFD_README=${PFD_README:-$E2E_TOP/README.md}
PFD_MASTER_DIST=${PFD_MASTER_DIST:-/usr/share/postfix/master.cf.dist}
PFD_CONFIGURE=${PFD_CONFIGURE:-/usr/lib/postfix/configure-instance.sh}
PFD_CMDS_RUN=()

pfd_readme_block() {
	local marker="<!-- test: $1 -->" n
	n=$(grep -cxF -- "$marker" "$PFD_README")
	if [ "$n" -ne 1 ]; then
		echo "# README.md has $n lines \"$marker\" (want exactly 1)" >&2
		return 1
	fi
	awk -v m="$marker" '
		!armed && $0 == m { armed = 1; next }
		armed == 1 && /^```/ { armed = 2; next }
		armed == 1 && NF { exit }
		armed == 2 && /^```/ { done = 1; exit }
		armed == 2 { print }
		END { exit done ? 0 : 3 }' "$PFD_README" ||
		{ echo "# README.md: no fenced block right after \"$marker\"" >&2; return 1; }
}

# The private instance; everything README's block sets is left to README.
_pfd_main_cf() { # DIR SINK_PORT
	cat <<CF
compatibility_level = 3.6
config_directory = $1/etc
queue_directory = $1/spool
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.acme.test
mydomain = acme.test
myorigin = acme.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
relayhost = [127.0.0.1]:$2
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain =
smtpd_tls_auth_only = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
milter_connect_timeout = 10s
milter_command_timeout = 10s
maillog_file = $1/postfix.log
maillog_file_prefixes = $1
smtpd_banner = \$myhostname ESMTP
biff = no
append_dot_mydomain = no
shlib_directory = /usr/lib/postfix
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
command_directory = /usr/sbin
sendmail_path = /usr/sbin/sendmail
newaliases_path = /usr/bin/newaliases
mailq_path = /usr/bin/mailq
CF
}

# README's main.cf block must be main.cf as Postfix reads it: comments only
# on lines of their own (main.cf has no trailing comments), every other line
# "name = value" or an indented continuation. Prints the offending lines.
pfd_lint_main_block() {
	awk '
		/^[ \t]*$/ || /^#/ { next }
		/#/ { print "trailing comment: " $0; bad = 1; next }
		/^[ \t]/ { if (!seen) { print "continuation first: " $0; bad = 1 }; next }
		/^[a-z_0-9]+ = / { seen = 1; next }
		{ print "not name = value: " $0; bad = 1 }
		END { exit bad }' <<<"$1"
}

# "name value" per parameter of a main.cf text, continuations joined, blanks squeezed.
pfd_main_values() {
	awk '
		/^[ \t]*$/ || /^#/ { next }
		/^[ \t]/ { v[n] = v[n] " " $0; next }
		{ n++; k[n] = $1; sub(/^[^=]*=[ \t]*/, ""); v[n] = $0 }
		END { for (i = 1; i <= n; i++) { s = v[i]; gsub(/[ \t]+/, " ", s); sub(/ $/, "", s); print k[i], s } }' <<<"$1"
}

pfd_setup() {
	PFD_DIR=$1
	local sink=$2 n
	PFD_ETC=$PFD_DIR/etc PFD_QUEUE=$PFD_DIR/spool PFD_LOG=$PFD_DIR/postfix.log
	PFD_PORT=$(e2e_free_port)
	PFD_SUB_PORT=$(e2e_free_port)
	while [ "$PFD_SUB_PORT" = "$PFD_PORT" ]; do PFD_SUB_PORT=$(e2e_free_port); done
	mkdir -p "$PFD_ETC/sasl" "$PFD_QUEUE" "$PFD_DIR/data"
	PFD_MAIN_BLOCK=$(pfd_readme_block postfix-main.cf) || return 1
	[ -n "$PFD_MAIN_BLOCK" ] || { echo "# README's main.cf block is empty" >&2; return 1; }
	{
		_pfd_main_cf "$PFD_DIR" "$sink"
		echo "# ---- README.md, Attach it to Postfix (<!-- test: postfix-main.cf -->)"
		printf '%s\n' "$PFD_MAIN_BLOCK"
	} >"$PFD_ETC/main.cf"

	[ -f "$PFD_MASTER_DIST" ] || { echo "# $PFD_MASTER_DIST is missing (postfix package)" >&2; return 1; }
	# Debian's master.cf with only the smtpd listener's address changed.
	n=$(grep -cE '^smtp +inet +n +- +y +- +- +smtpd$' "$PFD_MASTER_DIST")
	[ "$n" -eq 1 ] || { echo "# $PFD_MASTER_DIST: $n chrooted smtp/inet lines (want 1)" >&2; return 1; }
	sed -E "s/^smtp( +inet +n +- +y +- +- +smtpd)\$/127.0.0.1:$PFD_PORT\\1/" "$PFD_MASTER_DIST" \
		>"$PFD_ETC/master.cf"
	# maillog_file needs postlogd (Debian's master.cf has it since 3.4)
	grep -qE '^postlog +unix-dgram ' "$PFD_ETC/master.cf" ||
		echo 'postlog   unix-dgram n  -       n       -       1       postlogd' >>"$PFD_ETC/master.cf"
	{
		echo "# ---- README.md, Profiles (<!-- test: postfix-master.cf -->), on 127.0.0.1:$PFD_SUB_PORT"
		pfd_readme_block postfix-master.cf | sed -E "s/^submission([[:space:]])/127.0.0.1:$PFD_SUB_PORT\\1/"
	} >>"$PFD_ETC/master.cf" || return 1
	grep -q "^127.0.0.1:${PFD_SUB_PORT}[[:space:]]" "$PFD_ETC/master.cf" ||
		{ echo "# README's master.cf snippet has no submission service" >&2; return 1; }

	# Cyrus SASL: Debian's Postfix reads $config_directory/sasl/smtpd.conf before
	# it enters the chroot; the sasldb is opened at AUTH time, inside the chroot,
	# so its path is the chroot's (QUEUE/sasldb/sasldb2 seen as /sasldb/sasldb2).
	# Not under QUEUE/etc: `postfix check` compares QUEUE/etc/* with /etc/*.
	mkdir -p "$PFD_QUEUE/sasldb"
	chown root:postfix "$PFD_QUEUE/sasldb"
	chmod 750 "$PFD_QUEUE/sasldb"
	cat >"$PFD_ETC/sasl/smtpd.conf" <<CONF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: /sasldb/sasldb2
mech_list: PLAIN LOGIN
CONF
	: >"$PFD_LOG"
	chown postfix "$PFD_DIR/data" "$PFD_LOG"

	# The chroot, as Debian's init script and postfix@.service prepare it
	# (etc/resolv.conf, services, hosts, nsswitch.conf, localtime, NSS libraries...);
	# MAIL_CONFIG points its postconf calls at this instance.
	[ -x "$PFD_CONFIGURE" ] || { echo "# $PFD_CONFIGURE is missing (postfix package)" >&2; return 1; }
	MAIL_CONFIG=$PFD_ETC "$PFD_CONFIGURE" - >"$PFD_DIR/configure-instance.out" 2>&1 ||
		{ echo "# $PFD_CONFIGURE failed:" >&2; cat "$PFD_DIR/configure-instance.out" >&2; return 1; }
}

pfd_start() {
	local i
	postfix -c "$PFD_ETC" start >"$PFD_DIR/start.out" 2>&1 ||
		{ echo "# postfix did not start:" >&2; cat "$PFD_DIR/start.out" >&2; return 1; }
	for ((i = 0; i < 100; i++)); do
		PFD_MASTER_PID=$(head -n 1 "$PFD_QUEUE/pid/master.pid" 2>/dev/null | tr -d ' ')
		[ -n "$PFD_MASTER_PID" ] && break
		sleep 0.1
	done
	[ -n "$PFD_MASTER_PID" ] || { echo "# no $PFD_QUEUE/pid/master.pid" >&2; return 1; }
	e2e_wait_port "$PFD_PORT" 300 || { echo "# smtpd did not answer on $PFD_PORT" >&2; return 1; }
	e2e_wait_port "$PFD_SUB_PORT" 300 || { echo "# submission did not answer on $PFD_SUB_PORT" >&2; return 1; }
}

# PIDs of the master's children (optionally only those named NAME).
_pfd_children() {
	[ -n "$PFD_MASTER_PID" ] || return 0
	ps -o pid=,comm= --ppid "$PFD_MASTER_PID" | awk -v c="${1:-}" 'c == "" || $2 == c { print $1 }'
}

_pfd_wait_gone() { # TENTHS PID...
	local n=$1 pid i
	shift
	for pid in "$@"; do
		for ((i = 0; i < n; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && return 1
	done
	return 0
}

pfd_stop() {
	[ -n "$PFD_ETC" ] || return 0
	local kids pid
	kids=$(_pfd_children)
	postfix -c "$PFD_ETC" stop >/dev/null 2>&1 || true
	if [ -n "$PFD_MASTER_PID" ]; then
		# shellcheck disable=SC2086
		_pfd_wait_gone 100 "$PFD_MASTER_PID" $kids || true
		for pid in $PFD_MASTER_PID $kids; do
			kill -KILL "$pid" 2>/dev/null || true
		done
	fi
	PFD_MASTER_PID=''
	return 0
}

pfd_user() {
	echo "$2" | saslpasswd2 -p -c -f "$PFD_QUEUE/sasldb/sasldb2" -u mx.acme.test "$1"
	chown root:postfix "$PFD_QUEUE/sasldb/sasldb2"
	chmod 640 "$PFD_QUEUE/sasldb/sasldb2"
}

# README's commands, one per line, without their shell comments.
_pfd_readme_cmds() {
	pfd_readme_block postfix-commands | sed -E 's/[[:space:]]*#.*$//' | grep -v '^[[:space:]]*$'
}

pfd_readme_cmd() {
	local line n owner=relaywarden words=() w out=() rc=0
	line=$(_pfd_readme_cmds | grep -E -- "$1")
	n=$(printf '%s' "$line" | grep -c '^')
	[ "$n" -eq 1 ] || { PFD_CMD_OUT="README has $n commands matching /$1/ (want 1)"; return 1; }
	case $line in *[\"\'\$\`\;\&\|\<\>\\]*)
		PFD_CMD_OUT="README command is not plain words: $line"; return 1 ;;
	esac
	PFD_CMDS_RUN+=("$line")
	read -r -a words <<<"$line"
	# the product's user does not exist on a test machine: the directory is root's then
	getent passwd relaywarden >/dev/null || owner=root
	for w in "${words[@]}"; do
		case $w in
		/var/spool/postfix) w=$PFD_QUEUE ;;
		/var/spool/postfix/*) w=$PFD_QUEUE/${w#/var/spool/postfix/} ;;
		smtp/inet) w=127.0.0.1:$PFD_PORT/inet ;;
		relaywarden) [ "${out[*]: -1}" = -o ] && w=$owner ;;
		esac
		out+=("$w")
	done
	case ${out[0]} in
	postconf | postfix) out=("${out[0]}" -c "$PFD_ETC" "${out[@]:1}") ;;
	install) ;;
	*) PFD_CMD_OUT="README command the test cannot run: $line"; return 1 ;;
	esac
	echo "# README: $line  ->  ${out[*]}"
	PFD_CMD_OUT=$("${out[@]}" 2>&1) || rc=$?
	return "$rc"
}

pfd_readme_cmds_unrun() {
	local line r found
	while IFS= read -r line; do
		found=''
		for r in "${PFD_CMDS_RUN[@]}"; do [ "$r" = "$line" ] && found=1; done
		[ -n "$found" ] || echo "$line"
	done < <(_pfd_readme_cmds)
}

pfd_set_milters() {
	local old
	old=$(_pfd_children smtpd)
	postconf -c "$PFD_ETC" -e "smtpd_milters = $1" || return 1
	pfd_readme_cmd '^postfix reload' || { echo "# $PFD_CMD_OUT" >&2; return 1; }
	# new sessions must meet new smtpd processes (which read main.cf when they
	# start): wait until the ones from before the reload have exited
	# shellcheck disable=SC2086
	_pfd_wait_gone 300 $old || { echo "# smtpd processes from before the reload still run" >&2; return 1; }
}

pfd_smtpd_roots() {
	local pid
	# the master runs each as "smtpd -n SERVICE -t inet ...": only port PFD_PORT's
	for pid in $(ps -o pid=,args= --ppid "$PFD_MASTER_PID" |
		awk -v n="127.0.0.1:$PFD_PORT" '$2 == "smtpd" && $3 == "-n" && $4 == n { print $1 }'); do
		echo "$pid $(readlink "/proc/$pid/root")"
	done
}

pfd_wait_log() {
	local n=${2:-200} i
	for ((i = 0; i < n; i++)); do
		grep -qF -- "$1" "$PFD_LOG" && return 0
		sleep 0.1
	done
	return 1
}

_pfd_connect() { # SOCKET [USER]
	local as=()
	[ -z "${2:-}" ] || as=(setpriv "--reuid=$2" "--regid=$2" --init-groups)
	"${as[@]}" "${SINK_PYTHON:-python3}" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.close()' "$1" 2>/dev/null
}

pfd_milter_start_unix() {
	local sock=$PFD_QUEUE/relaywarden/relaywarden.sock i
	E2E_RW_LOG=$E2E_DIR/relaywarden.log
	"$E2E_BINARY" check -c "$E2E_DIR/policy.conf" >/dev/null ||
		{ e2e_check "relaywarden check accepts the policy" false; return 1; }
	local mark
	mark=$(log_mark "$E2E_RW_LOG")
	"$E2E_BINARY" -f -c "$E2E_DIR/policy.conf" -p "unix:$sock" >>"$E2E_RW_LOG" 2>&1 </dev/null &
	E2E_RW_PID=$!
	milter_wait_ready "$E2E_RW_LOG" "$mark" "$E2E_RW_PID" "unix:$sock" 30 ||
		{ e2e_check "relaywarden listens on $sock" false; return 1; }
	# smtpd runs as postfix: relaywarden (here root, no milter.user) must leave
	# its socket to the postfix group, or every session gets 451 4.7.1 and
	# Postfix logs "connect to Milter service ...: Permission denied".
	e2e_check "relaywarden's socket: mode 0660, group postfix (got $(stat -c '%a %G' "$sock"))" \
		test "$(stat -c '%a %G' "$sock")" = "660 postfix"
	e2e_check "the postfix user can connect to the milter socket" _pfd_connect "$sock" postfix
}

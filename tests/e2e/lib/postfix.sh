# shellcheck shell=bash
# tests/e2e/lib/postfix.sh - a private Postfix instance (its own config,
# queue and data directories under a temp dir; /etc/postfix untouched) on
# a free 127.0.0.1 port, with Cyrus SASL from a private sasldb, relaying
# everything to smtp-sink and asking relaywarden through smtpd_milters.
#
#   pf_start DIR MILTER SINK_PORT   write DIR/etc/{main,master}.cf and the SASL
#                      config, start the master (by PID, `postfix start` not
#                      needed), wait until the port answers. MILTER is
#                      smtpd_milters' value (inet:127.0.0.1:PORT). Exports
#                      PF_PORT, PF_DIR, PF_LOG (Postfix's maillog_file).
#                      mynetworks does not hold 127.0.0.1 and the relay
#                      restrictions permit everything, so every relay decision
#                      is relaywarden's (README "Attach it to Postfix").
#                      PF_EXTRA_CF, if set, is appended to main.cf (a
#                      parameter set again there wins), PF_EXTRA_MASTER to
#                      master.cf (another listener).
#   pf_user LOGIN PASSWORD   add a SASL user (no realm: {auth_authen} = LOGIN).
#   pf_stop            `postfix -c DIR/etc stop`, then the master's PID.
PF_DIR='' PF_PORT='' PF_LOG=/dev/null PF_MASTER_PID=''

_pf_main_cf() { # DIR MILTER SINK_PORT
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
relayhost = [127.0.0.1]:$3
smtp_dns_support_level = disabled
disable_dns_lookups = yes
smtp_host_lookup = native
mynetworks = 192.0.2.254/32
smtpd_relay_restrictions = permit_sasl_authenticated, check_client_access static:OK, reject_unauth_destination
smtpd_recipient_restrictions = permit
smtpd_client_restrictions =
smtpd_helo_required = no
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_security_options = noanonymous
smtpd_sasl_local_domain =
smtpd_tls_auth_only = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_milters = $2
milter_default_action = tempfail
milter_protocol = 6
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

# No chroot anywhere (Debian's default chroots, which needs copies of /etc files).
_pf_master_cf() { # PORT
	cat <<CF
127.0.0.1:$1 inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
}

pf_start() {
	PF_DIR=$1
	local milter=$2 sink=$3 i
	PF_PORT=$(e2e_free_port)
	PF_LOG=$PF_DIR/postfix.log
	mkdir -p "$PF_DIR/etc/sasl" "$PF_DIR/spool" "$PF_DIR/data"
	_pf_main_cf "$PF_DIR" "$milter" "$sink" >"$PF_DIR/etc/main.cf"
	[ -z "${PF_EXTRA_CF:-}" ] || printf '%s\n' "$PF_EXTRA_CF" >>"$PF_DIR/etc/main.cf"
	_pf_master_cf "$PF_PORT" >"$PF_DIR/etc/master.cf"
	[ -z "${PF_EXTRA_MASTER:-}" ] || printf '%s\n' "$PF_EXTRA_MASTER" >>"$PF_DIR/etc/master.cf"
	# Debian's Postfix reads the SASL application config from $config_directory/sasl.
	cat >"$PF_DIR/etc/sasl/smtpd.conf" <<CONF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $PF_DIR/sasldb2
mech_list: PLAIN LOGIN
CONF
	: >"$PF_DIR/postfix.log"
	chown postfix "$PF_DIR/data" "$PF_DIR/postfix.log"
	postfix -c "$PF_DIR/etc" check >/dev/null 2>&1 || postfix -c "$PF_DIR/etc" check
	postfix -c "$PF_DIR/etc" start >/dev/null 2>&1 || {
		echo "# postfix did not start:" >&2
		postfix -c "$PF_DIR/etc" start >&2
		return 1
	}
	wait_for 30 test -s "$PF_DIR/spool/pid/master.pid" ||
		{ echo "# postfix wrote no master.pid" >&2; return 1; }
	PF_MASTER_PID=$(head -n 1 "$PF_DIR/spool/pid/master.pid" | tr -d ' ')
	e2e_wait_port "$PF_PORT" || { echo "# postfix smtpd did not answer" >&2; return 1; }
}

pf_user() {
	# no smtpd_sasl_local_domain: Cyrus looks the login up in the realm of the
	# server name, myhostname
	echo "$2" | saslpasswd2 -p -c -f "$PF_DIR/sasldb2" -u mx.acme.test "$1"
	chown postfix "$PF_DIR/sasldb2"
	chmod 640 "$PF_DIR/sasldb2"
}

pf_stop() {
	[ -n "$PF_DIR" ] || return 0
	postfix -c "$PF_DIR/etc" stop >/dev/null 2>&1 || true
	if [ -n "$PF_MASTER_PID" ]; then
		wait_for 30 sh -c '! kill -0 "$1" 2>/dev/null' sh "$PF_MASTER_PID" ||
			kill -KILL "$PF_MASTER_PID" 2>/dev/null || true
	fi
	PF_MASTER_PID=''
	return 0
}

# shellcheck shell=bash
# tests/lib/slapd.sh - a private slapd, a "black hole" LDAP server and the
# relaywarden/miltertest helpers the tests in tests/ldap use.
#
# Source it from bash. Everything binds 127.0.0.1 only and every process
# started here is stopped by its PID (never by name). Needs: slapd, slapadd,
# ldapsearch (Debian: slapd ldap-utils), miltertest, python3.
#
# slapd:
#   slapd_start DIR [LDIF]   write DIR/slapd.conf, slapadd LDIF (default
#                            tests/ldap/people.ldif) into DIR/db, start slapd on
#                            a free port with "-d stats" logging to DIR/slapd.log,
#                            wait (<= 30 s) until it answers a search. Exports SLAPD_DIR,
#                            SLAPD_PORT, SLAPD_URI, SLAPD_PID, SLAPD_LOG.
#                            SLAPD_SCHEMA=FILE includes one more schema;
#                            SLAPD_MEMBEROF=1 loads the memberof overlay.
#                            LDIF "none": no slapadd, an empty database.
#   slapd_stop               SIGTERM (SIGKILL after 5 s), reap. Keeps DIR.
#   slapd_pause/slapd_resume SIGSTOP/SIGCONT: connects succeed, nothing answers.
#   slapd_restart            stop, then start again on the same port and data.
#   slapd_ping               0 if slapd answers a base search within 2 s.
#   slapd_srch_count TEXT    number of SRCH lines in slapd.log whose filter
#                            contains TEXT (fixed string, case-insensitive).
#                            slapd logs SRCH when it reads the request, before it
#                            answers, so once the milter has answered, its
#                            searches are in the log.
#   tls_certs DIR            certtool (gnutls-bin): a CA (ca.crt), another CA
#                            (other-ca.crt), server certificates for 127.0.0.1
#                            (server.crt), for another host name only
#                            (wronghost.crt: ldap.elsewhere.test) and one that
#                            expired in 2020 (expired.crt), all for server.key,
#                            and a client certificate (client.crt, client.key).
#                            Exports TLS_DIR.
#   slapd_start_tls DIR CERT [VERIFY_CLIENT] [LDIF]   slapd_start with TLS:
#                            server certificate TLS_DIR/CERT.crt (server,
#                            wronghost, expired), StartTLS on SLAPD_URI and
#                            ldaps:// on SLAPD_LDAPS_URI (SLAPD_LDAPS_PORT);
#                            VERIFY_CLIENT "demand": a client certificate is
#                            required (slapd's TLSVerifyClient).
#   slapd_binds DN           BIND lines for DN in slapd.log (a bind is logged
#                            when slapd reads it: once the milter has answered,
#                            its binds are there).
#   slapd_clients            established client sockets connected to slapd (on
#                            this host: the milter's pooled connections).
#   slapd_pending            established connections to slapd whose requests
#                            slapd has not read yet (bytes in its receive queue,
#                            /proc/net/tcp): with slapd paused, "a search of the
#                            milter is waiting at slapd" as a fact, not a guess.
#   slapd_search ARG...      ldapsearch -x -LLL (no line wrapping) on the current
#                            slapd, base dc=acme,dc=com: ARG are its options
#                            (-D DN -w PW), the filter and attributes. Bounded
#                            by timeout 5 (a paused slapd never answers).
# several slapd at once (t-syncrepl): every function above works on the
# current instance, whose state is the SLAPD_* variables.
#   slapd_as NAME            make NAME the current instance (the first one is
#                            "main"): the current one's SLAPD_* are saved, NAME's
#                            restored; a NAME not seen yet starts empty, ready
#                            for slapd_start in a directory of its own. The EXIT
#                            trap of ldt_init stops every instance.
#   slapd_on NAME CMD [ARG...]  CMD with NAME as the current instance, then back
#                            to the one before; CMD's status.
#   slapd_stop_all           slapd_stop for every instance.
#   slapd_start_provider DIR [LDIF]  slapd_start with the syncprov overlay (a
#                            syncrepl provider) and, besides LDIF, the replication
#                            account SLAPD_REPL_DN (password SLAPD_REPL_PW): the
#                            only account besides the rootdn that may read
#                            userPassword, so a consumer that holds those values
#                            replicated as that account.
#   slapd_start_consumer DIR PROVIDER_URI  slapd_start with an empty database
#                            and a syncrepl consumer (refreshAndPersist, bound as
#                            SLAPD_REPL_DN, retry every second) of PROVIDER_URI.
#                            It returns once slapd answers (the root DSE), not
#                            once it has replicated: wait for the entries with
#                            wait_for and slapd_search.
# black hole:
#   blackhole_start DIR      a TCP listener on a free port that accepts and
#                            never answers. Exports BLACKHOLE_PORT, BLACKHOLE_PID,
#                            BLACKHOLE_LOG (one line per accepted connection).
#   blackhole_stop / blackhole_accepted (connections made to it so far: the
#                            kernel's count, /proc/net/tcp - it holds every one
#                            open, so none is missed because the listener has
#                            not yet accepted or logged it)
# generic: free_port, now_ms, _stop_pid PID [GRACE]; wait_for and the log
# helpers of tests/lib/wait.sh.
# relaywarden under test (prefix ldt_, so a future tests/lib/milter.sh cannot clash):
#   ldt_init NAME [BINARY]   temp dir LDT_DIR (kept on failure or with LDT_KEEP=1;
#                            keep TMPDIR short: unix socket paths max 107 bytes),
#                            EXIT trap that stops everything; the binary is
#                            BINARY, else $RELAYWARDEN, else build/relaywarden.
#   ldt_policy FILE SOCKET URIS   write an LDAP policy; SOCKET "unix:PATH",
#                            URIS a libconfig list body ("\"ldap://127.0.0.1:P/\"");
#                            tunables P_TTL P_NEG_TTL P_TIMEOUT P_GROUP_SEND_AS
#                            P_EXEMPT P_BIND_DN P_BIND_PW_FILE P_POOL (see below).
#   ldt_milter_start POLICY [TAG]  run relaywarden -f on the policy's unix socket,
#                            log to LDT_DIR/rw[-TAG].log, wait (<= 30 s) until it
#                            logs "listening on unix:SOCK" (tests/lib/wait.sh).
#   ldt_sessions [TAG]       milter sessions whose connection the milter has not
#                            closed yet (accepted or still in its backlog), from
#                            /proc/net/unix: 0 = every session is over.
#   ldt_milter_stop [TAG] / ldt_milter_alive [TAG]
#   ldt_milters_stop [TAG...]  stop several (default all) at once.
#   ldt_mail LOGIN FROM [TAG]  one transaction (connect, MAIL with {auth_authen}
#                            = LOGIN unless LOGIN is empty). Sets LDT_CODE (the
#                            SMFIR_* name miltertest got), LDT_TEXT (reply="..."
#                            of the milter's decision line, empty on accept),
#                            LDT_LINE (the whole line) and LDT_MS (elapsed ms).
#   ldt_expect DESC LOGIN FROM continue|reject|tempfail [TAG]
#                            ldt_mail + assert the code and the exact reply text.
#   ldt_mail_bg / ldt_mail_result / ldt_check_result   the same, concurrently.
#   ldt_expect_wire DESC LOGIN FROM WANT [TAG]   the same through rw_raw from
#                            tests/lib/milter.sh: the reply text on the wire.
#   ldt_fail WHY / ldt_note TEXT / ldt_finish   "FAIL NAME: WHY", "# TEXT",
#                            then "ok NAME" (exit 0) or exit 1.

SLAPD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LDT_TOP=$(cd "$SLAPD_LIB_DIR/../.." && pwd)
LDT_FIXTURES=${LDT_FIXTURES:-$LDT_TOP/tests/ldap}
# Debian's own interpreter first: a version-manager shim (pyenv) on PATH can
# cost half a second per start.
if [ -z "${LDT_PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then LDT_PYTHON=/usr/bin/python3; else LDT_PYTHON=python3; fi
fi

# Reuse tests/lib/milter.sh when present: rw_raw (a raw milter client that
# shows the reply text on the wire) and rw_log_problems (sanitizer reports).
# Its single-milter rw_start/rw_stop are not used: these tests run several
# milters at once, each with its own tag.
if [ -f "$SLAPD_LIB_DIR/milter.sh" ]; then
	# shellcheck source=milter.sh
	. "$SLAPD_LIB_DIR/milter.sh"
fi
# shellcheck source=wait.sh
. "$SLAPD_LIB_DIR/wait.sh"

# Safe under "set -u": every variable the helpers read starts defined, and
# empty - never inherited, so a test never stops or deletes what a parent
# process (which exported these) started.
SLAPD_PID='' SLAPD_PORT='' SLAPD_DIR='' SLAPD_LOG=/dev/null SLAPD_URI=''
SLAPD_TLS_CERT='' SLAPD_TLS_VERIFY='' SLAPD_LDAPS_PORT='' SLAPD_LDAPS_URI='' TLS_DIR=''
SLAPD_NAME=main SLAPD_SYNCPROV='' SLAPD_SYNCREPL=''
SLAPD_REPL_DN="cn=replicator,dc=acme,dc=com" SLAPD_REPL_PW=repl-secret
declare -A _SLAPD_SAVED=()
BLACKHOLE_PID='' BLACKHOLE_PORT='' BLACKHOLE_LOG=/dev/null
LDT_DIR='' LDT_NAME=ldap
LDT_CODE='' LDT_TEXT='' LDT_LINE='' LDT_MS=0 LDT_BG_PID=''

LDT_REPLY_NOT_OWNED="550 5.7.1 Sender address rejected: not owned by authenticated user"
LDT_REPLY_UNAVAILABLE="451 4.7.1 Directory unavailable, try again later"

# ---------------------------------------------------------------- generic

# A free TCP port on 127.0.0.1 (the kernel's choice; a tiny race remains
# until the caller binds it, so slapd_start retries on "address in use").
free_port() {
	"$LDT_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Milliseconds since the epoch (date +%s%N, integer arithmetic).
now_ms() {
	local ns
	ns=$(date +%s%N)
	echo $((ns / 1000000))
}

# _stop_pid PID [GRACE_SECONDS]: SIGCONT+SIGTERM, SIGKILL after the grace,
# then reap it if it is our child. Zombies count as gone.
_stop_pid() {
	local pid=$1 grace=${2:-5} i state
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -CONT "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < grace * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
		[ "$state" = Z ] && break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# ---------------------------------------------------------------- slapd

_slapd_write_conf() {
	local dir=$1
	cat >"$dir/slapd.conf" <<EOF
# written by tests/lib/slapd.sh - a private slapd for relaywarden's tests
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include "$LDT_FIXTURES/relaywarden-test.schema"
${SLAPD_SCHEMA:+include "$SLAPD_SCHEMA"}

pidfile "$dir/slapd.pid"
argsfile "$dir/slapd.args"
modulepath /usr/lib/ldap
moduleload back_mdb
${SLAPD_MEMBEROF:+moduleload memberof}

database mdb
maxsize 10485760
suffix "dc=acme,dc=com"
rootdn "cn=admin,dc=acme,dc=com"
rootpw secret
directory "$dir/db"
index objectClass eq
index uid,mail,mailAlternateAddress eq
index cn,member eq
${SLAPD_MEMBEROF:+overlay memberof}
EOF
	# Replication (slapd_start_provider, slapd_start_consumer): database
	# directives, so they go here, before the catch-all access line.
	[ -z "$SLAPD_SYNCPROV$SLAPD_SYNCREPL" ] || _slapd_write_repl >>"$dir/slapd.conf"
	printf '\naccess to * by * read\n' >>"$dir/slapd.conf"
	[ -n "$SLAPD_TLS_CERT" ] || return 0
	cat >>"$dir/slapd.conf" <<EOF
# TLS (slapd_start_tls)
TLSCACertificateFile "$TLS_DIR/ca.crt"
TLSCertificateFile "$TLS_DIR/$SLAPD_TLS_CERT.crt"
TLSCertificateKeyFile "$TLS_DIR/server.key"
${SLAPD_TLS_VERIFY:+TLSVerifyClient $SLAPD_TLS_VERIFY}
EOF
}

_slapd_write_repl() {
	# syncrepl finds changes by entryCSN and entries by entryUUID
	cat <<EOF
# replication (tests/lib/slapd.sh: slapd_start_provider, slapd_start_consumer)
index entryCSN,entryUUID eq
limits dn.exact="$SLAPD_REPL_DN" size=unlimited time=unlimited
access to attrs=userPassword
	by dn.exact="$SLAPD_REPL_DN" read
	by anonymous auth
	by * none
EOF
	if [ -n "$SLAPD_SYNCPROV" ]; then
		cat <<EOF
moduleload syncprov
overlay syncprov
syncprov-checkpoint 100 10
EOF
	fi
	if [ -n "$SLAPD_SYNCREPL" ]; then
		# retry "1 +": every second for ever, so a provider that was down
		# is picked up again without restarting the consumer.
		cat <<EOF
syncrepl rid=001
	provider=$SLAPD_SYNCREPL
	type=refreshAndPersist
	retry="1 +"
	searchbase="dc=acme,dc=com"
	scope=sub
	bindmethod=simple
	binddn="$SLAPD_REPL_DN"
	credentials="$SLAPD_REPL_PW"
	network-timeout=2
	timeout=5
EOF
	fi
}

# Is slapd at $SLAPD_PORT answering a base search? ldapsearch has no
# client-side result timeout (a paused slapd accepts and never answers), so
# coreutils timeout bounds it. LDAPNOINIT: ignore ldap.conf and ~/.ldaprc.
slapd_ping() {
	LDAPNOINIT=1 timeout 2 ldapsearch -x -LLL -o nettimeout=1 \
		-H "ldap://127.0.0.1:$SLAPD_PORT" -b dc=acme,dc=com -s base dn >/dev/null 2>&1
}

# _slapd_ready: slapd_ping, but a consumer's database may still be empty
# (no base entry to find), so there the root DSE is the question.
_slapd_ready() {
	grep -q '^syncrepl ' "$SLAPD_DIR/slapd.conf" 2>/dev/null || { slapd_ping; return; }
	LDAPNOINIT=1 timeout 2 ldapsearch -x -LLL -o nettimeout=1 \
		-H "ldap://127.0.0.1:$SLAPD_PORT" -b "" -s base + >/dev/null 2>&1
}

# _slapd_launch: start slapd on SLAPD_PORT with SLAPD_DIR's config; wait up
# to 30 s. Returns 0 when it answers, 2 if the port was taken, 1 otherwise.
_slapd_launch() {
	local deadline
	echo "=== slapd start $(date -u +%FT%TZ) port $SLAPD_PORT" >>"$SLAPD_LOG"
	slapd -f "$SLAPD_DIR/slapd.conf" \
		-h "ldap://127.0.0.1:$SLAPD_PORT/${SLAPD_LDAPS_PORT:+ ldaps://127.0.0.1:$SLAPD_LDAPS_PORT/}" -d stats \
		>>"$SLAPD_LOG" 2>&1 </dev/null &
	SLAPD_PID=$!
	export SLAPD_PID
	deadline=$(($(now_ms) + 30000))
	while [ "$(now_ms)" -lt "$deadline" ]; do
		if ! kill -0 "$SLAPD_PID" 2>/dev/null; then
			wait "$SLAPD_PID" 2>/dev/null
			SLAPD_PID=
			grep -qi 'address already in use' "$SLAPD_LOG" && return 2
			return 1
		fi
		_slapd_ready && return 0
		sleep 0.1
	done
	_stop_pid "$SLAPD_PID"
	SLAPD_PID=
	return 1
}

slapd_start() {
	local dir=$1 ldif=${2:-$LDT_FIXTURES/people.ldif} rc tool
	[ -n "$dir" ] || { echo "slapd_start: no directory given" >&2; return 1; }
	for tool in slapd slapadd ldapsearch; do
		command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
		command -v "$tool" >/dev/null 2>&1 ||
			{ echo "slapd_start: $tool not found (Debian: apt-get install slapd ldap-utils)" >&2; return 1; }
	done
	mkdir -p "$dir/db" || return 1
	SLAPD_DIR=$(cd "$dir" && pwd)
	SLAPD_LOG=$SLAPD_DIR/slapd.log
	export SLAPD_DIR SLAPD_LOG
	_slapd_write_conf "$SLAPD_DIR"
	if [ "$ldif" != none ] && ! slapadd -q -f "$SLAPD_DIR/slapd.conf" -l "$ldif" >"$SLAPD_DIR/slapadd.log" 2>&1; then
		echo "slapd_start: slapadd failed:" >&2
		cat "$SLAPD_DIR/slapadd.log" >&2
		return 1
	fi
	for _ in 1 2 3; do
		SLAPD_PORT=$(free_port) || return 1
		export SLAPD_PORT
		if [ -n "$SLAPD_TLS_CERT" ]; then
			SLAPD_LDAPS_PORT=$(free_port) || return 1
			export SLAPD_LDAPS_PORT
		fi
		_slapd_launch
		rc=$?
		[ $rc -eq 2 ] && continue
		break
	done
	if [ $rc -ne 0 ]; then
		echo "slapd_start: slapd did not answer on 127.0.0.1:$SLAPD_PORT within 30 s; log:" >&2
		tail -n 20 "$SLAPD_LOG" >&2
		return 1
	fi
	SLAPD_URI="ldap://127.0.0.1:$SLAPD_PORT/"
	export SLAPD_URI
	return 0
}

slapd_start_tls() {
	local dir=$1 cert=$2 verify=${3:-} ldif=${4:-} rc
	if [ -z "$TLS_DIR" ] || [ ! -f "$TLS_DIR/$cert.crt" ]; then
		echo "slapd_start_tls: no $cert.crt (run tls_certs first)" >&2
		return 1
	fi
	SLAPD_TLS_CERT=$cert SLAPD_TLS_VERIFY=$verify
	slapd_start "$dir" ${ldif:+"$ldif"}
	rc=$?
	SLAPD_TLS_CERT='' SLAPD_TLS_VERIFY=''
	[ $rc -eq 0 ] || return $rc
	SLAPD_LDAPS_URI="ldaps://127.0.0.1:$SLAPD_LDAPS_PORT/"
	export SLAPD_LDAPS_URI
}

# _tls_key NAME; _tls_ca NAME CN; _tls_cert NAME TEMPLATE [CA] [KEY]: a
# certificate for KEY.key (default server.key) signed by CA (default ca).
_tls_key() {
	certtool --generate-privkey --key-type=ecdsa --outfile "$TLS_DIR/$1.key" \
		>>"$TLS_DIR/certtool.log" 2>&1 && chmod 600 "$TLS_DIR/$1.key"
}

_tls_ca() {
	_tls_key "$1" || return 1
	printf 'cn = "%s"\nca\ncert_signing_key\nexpiration_days = 30\n' "$2" >"$TLS_DIR/$1.tmpl"
	certtool --generate-self-signed --load-privkey "$TLS_DIR/$1.key" --template "$TLS_DIR/$1.tmpl" \
		--outfile "$TLS_DIR/$1.crt" >>"$TLS_DIR/certtool.log" 2>&1
}

_tls_cert() {
	local name=$1 body=$2 ca=${3:-ca} key=${4:-server}
	printf '%b\n' "$body" >"$TLS_DIR/$name.tmpl"
	certtool --generate-certificate --load-privkey "$TLS_DIR/$key.key" \
		--load-ca-certificate "$TLS_DIR/$ca.crt" --load-ca-privkey "$TLS_DIR/$ca.key" \
		--template "$TLS_DIR/$name.tmpl" --outfile "$TLS_DIR/$name.crt" >>"$TLS_DIR/certtool.log" 2>&1
}

tls_certs() {
	command -v certtool >/dev/null 2>&1 ||
		{ echo "tls_certs: certtool not found (Debian: apt-get install gnutls-bin)" >&2; return 1; }
	mkdir -p "$1" || return 1
	TLS_DIR=$(cd "$1" && pwd)
	export TLS_DIR
	{ _tls_ca ca "relaywarden test CA" && _tls_ca other-ca "some other CA" && _tls_key server &&
		_tls_cert server 'cn = "127.0.0.1"\nip_address = "127.0.0.1"\ntls_www_server\nexpiration_days = 30' &&
		_tls_cert wronghost 'cn = "ldap.elsewhere.test"\ndns_name = "ldap.elsewhere.test"\ntls_www_server\nexpiration_days = 30' &&
		_tls_cert expired 'cn = "127.0.0.1"\nip_address = "127.0.0.1"\ntls_www_server\nactivation_date = "2020-01-01 00:00:00"\nexpiration_date = "2020-02-01 00:00:00"' &&
		_tls_key client &&
		_tls_cert client 'cn = "relaywarden client"\ntls_www_client\nexpiration_days = 30' ca client
	} || { echo "tls_certs: certtool failed:" >&2; tail -n 20 "$TLS_DIR/certtool.log" >&2; return 1; }
}

slapd_binds() {
	grep -cF " BIND dn=\"$1\"" "$SLAPD_LOG" 2>/dev/null
}

slapd_stop() {
	_stop_pid "$SLAPD_PID" 5
	SLAPD_PID=
	export SLAPD_PID
}

slapd_pause() {
	kill -STOP "$SLAPD_PID"
}

slapd_resume() {
	kill -CONT "$SLAPD_PID"
}

# Same port, same data; the log is appended to.
slapd_restart() {
	slapd_stop
	if ! _slapd_launch; then
		echo "slapd_restart: slapd did not come back on 127.0.0.1:$SLAPD_PORT; log:" >&2
		tail -n 20 "$SLAPD_LOG" >&2
		return 1
	fi
}

slapd_search() {
	LDAPNOINIT=1 timeout 5 ldapsearch -x -LLL -o nettimeout=2 -o ldif-wrap=no \
		-H "ldap://127.0.0.1:$SLAPD_PORT" -b dc=acme,dc=com "$@"
}

# ---------------------------------------------------------------- several slapd

_SLAPD_FIELDS=(SLAPD_PID SLAPD_PORT SLAPD_DIR SLAPD_LOG SLAPD_URI SLAPD_LDAPS_PORT SLAPD_LDAPS_URI)

slapd_as() {
	local name=$1 v saved
	[ -n "$name" ] || { echo "slapd_as: no name given" >&2; return 1; }
	[ "$name" != "$SLAPD_NAME" ] || return 0
	saved=()
	for v in "${_SLAPD_FIELDS[@]}"; do saved+=("${!v}"); done
	# unit separators: paths may hold spaces, never \037
	_SLAPD_SAVED[$SLAPD_NAME]=$(IFS=$'\037'; printf '%s' "${saved[*]}")
	SLAPD_NAME=$name
	if [ -n "${_SLAPD_SAVED[$name]+set}" ]; then
		IFS=$'\037' read -r -a saved <<<"${_SLAPD_SAVED[$name]}"
	else
		saved=('' '' '' /dev/null '' '' '')
	fi
	for v in "${!_SLAPD_FIELDS[@]}"; do
		printf -v "${_SLAPD_FIELDS[$v]}" '%s' "${saved[$v]:-}"
		export "${_SLAPD_FIELDS[$v]?}"
	done
}

slapd_on() {
	local prev=$SLAPD_NAME rc
	slapd_as "$1" || return 1
	shift
	"$@"
	rc=$?
	slapd_as "$prev"
	return $rc
}

# The current instance first, so every saved one is stopped by the loop
# (switching saves the stopped current one with no PID).
slapd_stop_all() {
	local name
	slapd_stop
	for name in "${!_SLAPD_SAVED[@]}"; do
		slapd_as "$name"
		slapd_stop
	done
}

slapd_start_provider() {
	local dir=$1 ldif=${2:-$LDT_FIXTURES/people.ldif}
	mkdir -p "$dir" || return 1
	{
		cat "$ldif"
		cat <<EOF

# tests/lib/slapd.sh: the account a syncrepl consumer binds as
dn: $SLAPD_REPL_DN
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: replicator
description: syncrepl consumers of this provider bind as this entry
userPassword: $SLAPD_REPL_PW
EOF
	} >"$dir/provider.ldif" || return 1
	SLAPD_SYNCPROV=1 slapd_start "$dir" "$dir/provider.ldif"
}

slapd_start_consumer() {
	local dir=$1 provider=$2
	[ -n "$provider" ] || { echo "slapd_start_consumer: no provider URI given" >&2; return 1; }
	SLAPD_SYNCREPL=$provider slapd_start "$dir" none
}

slapd_srch_count() {
	grep ' SRCH base=' "$SLAPD_LOG" 2>/dev/null | grep -ciF -- "$1"
}

slapd_clients() {
	awk -v port="$(printf '%04X' "$SLAPD_PORT")" '
		$3 == "0100007F:" port && $4 == "01" { n++ } END { print n + 0 }' /proc/net/tcp
}

slapd_pending() {
	awk -v port="$(printf '%04X' "$SLAPD_PORT")" '
		$2 == "0100007F:" port && $4 == "01" { split($5, q, ":"); if (q[2] != "00000000") n++ }
		END { print n + 0 }' /proc/net/tcp
}

# ---------------------------------------------------------------- black hole

# blackhole_start DIR [PORT]: a listener that accepts and never answers, on
# PORT (e.g. a stopped slapd's) or a free one; exports BLACKHOLE_PORT.
blackhole_start() {
	local dir=$1 port=${2:-0} i
	mkdir -p "$dir" || return 1
	BLACKHOLE_LOG=$dir/blackhole.log
	: >"$BLACKHOLE_LOG"
	rm -f "$dir/blackhole.port"
	"$LDT_PYTHON" -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind(("127.0.0.1",int(sys.argv[3]))); s.listen(64)
open(sys.argv[1]+".tmp","w").write(str(s.getsockname()[1])+"\n")
import os; os.rename(sys.argv[1]+".tmp",sys.argv[1])
held=[]
while True:
    c,a=s.accept(); held.append(c)
    with open(sys.argv[2],"a") as f: f.write("accepted %s:%d\n"%a)' \
		"$dir/blackhole.port" "$BLACKHOLE_LOG" "$port" </dev/null >"$dir/blackhole.err" 2>&1 &
	BLACKHOLE_PID=$!
	export BLACKHOLE_PID BLACKHOLE_LOG
	for ((i = 0; i < 600; i++)); do   # <= 30 s
		if [ -s "$dir/blackhole.port" ]; then
			BLACKHOLE_PORT=$(cat "$dir/blackhole.port")
			export BLACKHOLE_PORT
			return 0
		fi
		kill -0 "$BLACKHOLE_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "blackhole_start: listener did not start" >&2
	cat "$dir/blackhole.err" >&2
	_stop_pid "$BLACKHOLE_PID" 1
	BLACKHOLE_PID=
	return 1
}

blackhole_stop() {
	_stop_pid "$BLACKHOLE_PID" 2
	BLACKHOLE_PID= BLACKHOLE_PORT=
}

# Server-side sockets on its port that it has not closed: ESTABLISHED (01),
# SYN_RECV (03) or CLOSE_WAIT (08, the client gave up). A previous owner's
# closed connections on the same port (slapd's, in t-faults) are in
# FIN_WAIT/TIME_WAIT/LAST_ACK states and do not count.
blackhole_accepted() {
	[ -n "$BLACKHOLE_PORT" ] || { echo 0; return; }
	awk -v port="$(printf '%04X' "$BLACKHOLE_PORT")" '
		$2 == "0100007F:" port && ($4 == "01" || $4 == "03" || $4 == "08") { n++ }
		END { print n + 0 }' /proc/net/tcp
}

# ---------------------------------------------------------------- relaywarden

LDT_FAILED=0
declare -A LDT_RW_PID=()

_ldt_cleanup() {
	local tag
	for tag in "${!LDT_RW_PID[@]}"; do
		_stop_pid "${LDT_RW_PID[$tag]}" 5
	done
	blackhole_stop
	slapd_stop_all
	if [ -n "$LDT_DIR" ] && [ -d "$LDT_DIR" ]; then
		if [ "$LDT_FAILED" -ne 0 ] || [ -n "${LDT_KEEP:-}" ]; then
			echo "# kept $LDT_DIR (slapd.log, rw*.log, policies)" >&2
		else
			rm -rf "$LDT_DIR"
		fi
	fi
}

ldt_init() {
	LDT_NAME=$1
	RELAYWARDEN=${2:-${RELAYWARDEN:-$LDT_TOP/build/relaywarden}}
	case $RELAYWARDEN in /*) ;; *) RELAYWARDEN=$PWD/$RELAYWARDEN ;; esac
	LDT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-ldap-$LDT_NAME.XXXXXX")
	trap _ldt_cleanup EXIT
	trap 'exit 130' INT TERM
	if [ ! -x "$RELAYWARDEN" ]; then
		ldt_fail "no relaywarden binary at $RELAYWARDEN (make, or pass it as \$1)"
		exit 1
	fi
	command -v miltertest >/dev/null 2>&1 ||
		{ ldt_fail "miltertest not found (Debian: apt-get install miltertest)"; exit 1; }
	export RELAYWARDEN LDT_DIR LDT_NAME
}

ldt_fail() {
	LDT_FAILED=1
	echo "FAIL $LDT_NAME: $*"
}

ldt_note() {
	echo "# $*"
}

# Stops the milters (so their logs are complete), fails on any sanitizer
# report in them (make asan / make tsan), then prints the verdict.
ldt_finish() {
	local tag f hit
	for tag in "${!LDT_RW_PID[@]}"; do
		ldt_milter_stop "$tag"
	done
	for f in "$LDT_DIR"/rw*.log; do
		[ -f "$f" ] || continue
		if declare -F rw_log_problems >/dev/null; then
			hit=$(RW_LOG=$f rw_log_problems | head -n 1)
		else
			hit=$(grep -m 1 -E 'runtime error:|ERROR: [A-Za-z]+Sanitizer|WARNING: ThreadSanitizer' "$f")
		fi
		[ -z "$hit" ] || ldt_fail "sanitizer report in $(basename "$f"): $hit"
	done
	if [ "$LDT_FAILED" -eq 0 ]; then
		echo "ok $LDT_NAME"
		exit 0
	fi
	exit 1
}

# ldt_policy FILE SOCKET URIS: an LDAP policy. Tunables (environment or
# shell variables, read at call time):
#   P_TTL P_NEG_TTL (cache, default 0 0), P_TIMEOUT (3), P_GROUP_SEND_AS
#   (true), P_EXEMPT ("monitor"), P_BIND_DN, P_BIND_PW_FILE, P_POOL (4),
#   P_STARTTLS, P_CA_FILE, P_CERT_FILE, P_KEY_FILE (each written only when
#   set: unset, the policy is as before).
ldt_policy() {
	local file=$1 socket=$2 uris=$3
	cat >"$file" <<EOF
# written by tests/lib/slapd.sh for $LDT_NAME
milter = { socket = "$socket"; timeout = 30; };
log_level = "debug";
config_update_interval = 0;
local_domains = [ "acme.com" ];
relay = {
  enforce = "all";
  authenticated = "allow";
  deny_to_domains = [ "*" ];
  deny_from_hosts = [ "*" ];
};
verify_sender = {
  envelope = true;
  headers = false;
  null_sender = "reject";
  group_send_as = ${P_GROUP_SEND_AS:-true};
  exempt_users = [ ${P_EXEMPT-\"monitor\"} ];
};
directory = {
  backend = "ldap";
  on_failure = "${P_ON_FAILURE:-tempfail}";
  cache = { ttl = ${P_TTL:-0}; negative_ttl = ${P_NEG_TTL:-0}; max_entries = 1000; };
  ldap = {
    uris = [ $uris ];
    base = "dc=acme,dc=com";
    bind_dn = "${P_BIND_DN:-}";
    bind_password_file = "${P_BIND_PW_FILE:-}";
    send_as_attributes = [ "relaywardenSendAs" ];
    timeout = ${P_TIMEOUT:-3};
    pool_size = ${P_POOL:-4};${P_STARTTLS:+
    starttls = $P_STARTTLS;}${P_CA_FILE:+
    ca_file = \"$P_CA_FILE\";}${P_CERT_FILE:+
    cert_file = \"$P_CERT_FILE\";}${P_KEY_FILE:+
    key_file = \"$P_KEY_FILE\";}
  };
};
EOF
}

_ldt_log() {
	local tag=${1:-main}
	if [ "$tag" = main ]; then echo "$LDT_DIR/rw.log"; else echo "$LDT_DIR/rw-$tag.log"; fi
}

_ldt_sock() {
	local tag=${1:-main}
	sed -n 's/^milter = { socket = "unix:\([^"]*\)".*/\1/p' "${LDT_POLICY[$tag]}"
}

declare -A LDT_POLICY=()

# ldt_milter_start POLICY [TAG]: the policy's milter.socket must be unix:PATH.
ldt_milter_start() {
	local policy=$1 tag=${2:-main} log sock pid out mark
	LDT_POLICY[$tag]=$policy
	log=$(_ldt_log "$tag")
	sock=$(_ldt_sock "$tag")
	[ -n "$sock" ] || { ldt_fail "ldt_milter_start: $policy has no unix: milter.socket"; return 1; }
	if ! out=$("$RELAYWARDEN" check -c "$policy" 2>&1); then
		ldt_fail "relaywarden check refused $policy: $(printf '%s' "$out" | tr '\n' ' ')"
		return 1
	fi
	rm -f "$sock"
	mark=$(log_mark "$log")
	"$RELAYWARDEN" -f -c "$policy" >>"$log" 2>&1 </dev/null &
	pid=$!
	LDT_RW_PID[$tag]=$pid
	milter_wait_ready "$log" "$mark" "$pid" "unix:$sock" 30 && return 0
	if ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
		wait "$pid" 2>/dev/null
		unset "LDT_RW_PID[$tag]"
		ldt_fail "relaywarden ($tag) exited at start-up: $(tail -n 5 "$log" | tr '\n' ' ')"
		return 1
	fi
	ldt_fail "relaywarden ($tag) did not log \"listening on unix:$sock\" within 30 s: $(tail -n 5 "$log" | tr '\n' ' ')"
	return 1
}

ldt_milter_stop() {
	local tag=${1:-main}
	_stop_pid "${LDT_RW_PID[$tag]}" 5
	unset "LDT_RW_PID[$tag]"
}

# ldt_milters_stop [TAG...]: the named milters (default: every one) stopped
# together - SIGTERM to all first, then each reaped - so their shutdowns
# (libmilter takes about 5 s each) overlap.
ldt_milters_stop() {
	local tag tags=("$@")
	[ ${#tags[@]} -gt 0 ] || tags=("${!LDT_RW_PID[@]}")
	for tag in "${tags[@]}"; do
		kill -TERM "${LDT_RW_PID[$tag]}" 2>/dev/null
	done
	for tag in "${tags[@]}"; do
		ldt_milter_stop "$tag"
	done
}

ldt_milter_alive() {
	kill -0 "${LDT_RW_PID[${1:-main}]}" 2>/dev/null
}

ldt_sessions() {
	awk -v path="$(_ldt_sock "${1:-main}")" '$8 == path && $4 != "00010000" { n++ } END { print n + 0 }' \
		/proc/net/unix
}

# The miltertest script: values come from the environment, so logins with
# "=", quotes or backslashes pass unchanged.
_ldt_lua() {
	cat >"$LDT_DIR/mail.lua" <<'EOF'
local sock = os.getenv("LDT_SOCK")
local login = os.getenv("LDT_LOGIN")
local from = os.getenv("LDT_FROM")
local conn = mt.connect("unix:" .. sock, 40, 0.05)
if conn == nil then error("cannot connect to " .. sock) end
if mt.conninfo(conn, "client.example.net", "192.0.2.10") ~= nil then
  error("mt.conninfo failed")
end
if login ~= nil and login ~= "" then
  if mt.macro(conn, SMFIC_MAIL, "{auth_type}", "PLAIN", "{auth_authen}", login) ~= nil then
    error("mt.macro failed")
  end
end
if mt.mailfrom(conn, from) ~= nil then error("mt.mailfrom failed") end
local r = mt.getreply(conn)
local names = {
  [SMFIR_CONTINUE] = "continue", [SMFIR_ACCEPT] = "accept", [SMFIR_REJECT] = "reject",
  [SMFIR_TEMPFAIL] = "tempfail", [SMFIR_REPLYCODE] = "replycode",
  [SMFIR_DISCARD] = "discard",
}
print("LDT_CODE=" .. (names[r] or ("unknown:" .. tostring(r))))
mt.disconnect(conn)
EOF
}

# ldt_mail LOGIN FROM [TAG]
ldt_mail() {
	local login=$1 from=$2 tag=${3:-main} log before out t0 t1
	log=$(_ldt_log "$tag")
	[ -f "$LDT_DIR/mail.lua" ] || _ldt_lua
	before=$(grep -c ' stage=mail ' "$log" 2>/dev/null)
	t0=$(now_ms)
	out=$(LDT_SOCK=$(_ldt_sock "$tag") LDT_LOGIN=$login LDT_FROM=$from \
		miltertest -s "$LDT_DIR/mail.lua" 2>&1)
	t1=$(now_ms)
	LDT_MS=$((t1 - t0))
	LDT_CODE=$(printf '%s\n' "$out" | sed -n 's/^LDT_CODE=//p' | tail -n 1)
	[ -n "$LDT_CODE" ] || LDT_CODE="error: $(printf '%s' "$out" | tr '\n' ' ')"
	LDT_LINE=$(grep ' stage=mail ' "$log" 2>/dev/null | tail -n +$((before + 1)) | head -n 1)
	LDT_TEXT=$(printf '%s\n' "$LDT_LINE" | sed -n 's/.* reply="\([^"]*\)".*/\1/p')
}

# ldt_mail_bg LOGIN FROM OUT [TAG]: ldt_mail in the background (for
# concurrent transactions); ldt_mail_result OUT LOGIN FROM [TAG] waits for it
# and sets LDT_CODE, LDT_MS and LDT_LINE/LDT_TEXT (the decision line with that
# auth= and from=). Use distinct LOGIN/FROM pairs for concurrent transactions.
ldt_mail_bg() {
	local login=$1 from=$2 out=$3 tag=${4:-main} sock
	[ -f "$LDT_DIR/mail.lua" ] || _ldt_lua
	sock=$(_ldt_sock "$tag")
	(
		t0=$(now_ms)
		LDT_SOCK=$sock LDT_LOGIN=$login LDT_FROM=$from miltertest -s "$LDT_DIR/mail.lua" >"$out" 2>&1
		echo "LDT_MS=$(($(now_ms) - t0))" >>"$out"
	) &
	LDT_BG_PID=$!
}

ldt_mail_result() {
	local out=$1 login=$2 from=$3 tag=${4:-main}
	# LDT_MS= is the last line ldt_mail_bg writes: the file is complete
	wait_for 60 grep -q '^LDT_MS=' "$out" 2>/dev/null
	LDT_CODE=$(sed -n 's/^LDT_CODE=//p' "$out" | tail -n 1)
	[ -n "$LDT_CODE" ] || LDT_CODE="error: $(tr '\n' ' ' <"$out")"
	LDT_MS=$(sed -n 's/^LDT_MS=//p' "$out" | tail -n 1)
	LDT_MS=${LDT_MS:-999999}
	LDT_LINE=$(grep -F " stage=mail " "$(_ldt_log "$tag")" | grep -F " auth=$login from=$from " | tail -n 1)
	LDT_TEXT=$(printf '%s\n' "$LDT_LINE" | sed -n 's/.* reply="\([^"]*\)".*/\1/p')
}

# ldt_expect_wire DESC LOGIN FROM continue|reject|tempfail [TAG]: one more
# transaction through rw_raw (tests/lib/milter.sh), asserting the reply code
# and text exactly as they travel on the milter protocol ("mail y 550 5.7.1
# ..."). Costs a lookup: keep it out of search-counting and timing steps.
ldt_expect_wire() {
	local desc=$1 login=$2 from=$3 want=$4 tag=${5:-main} out expect
	if ! declare -F rw_raw >/dev/null; then
		ldt_note "$desc: reply text on the wire not checked (no rw_raw: tests/lib/milter.sh missing)"
		return 0
	fi
	case $want in
	continue) expect="mail c -" ;;
	reject) expect="mail y $LDT_REPLY_NOT_OWNED" ;;
	tempfail) expect="mail y $LDT_REPLY_UNAVAILABLE" ;;
	*) ldt_fail "$desc: bad expectation $want"; return 1 ;;
	esac
	out=$(rw_raw "$(_ldt_sock "$tag")" client.example.net 192.0.2.10 "$login" "$from" 2>&1 |
		grep -E '^mail |^read|^connect|^write' | tail -n 1)
	if [ "$out" != "$expect" ]; then
		ldt_fail "$desc (on the wire): login '$login' from $from: got \"$out\", expected \"$expect\""
		return 1
	fi
}

# ldt_expect DESC LOGIN FROM continue|reject|tempfail [TAG]
# continue: SMFIR_CONTINUE and a decision=accept line without reply;
# reject/tempfail: SMFIR_REPLYCODE (smfi_setreply + SMFIS_REJECT/TEMPFAIL)
# and reply="550 5.7.1 ..." / reply="451 4.7.1 ..." exactly.
ldt_expect() {
	ldt_mail "$2" "$3" "${5:-main}"
	ldt_check_result "$@"
}

# ldt_check_result DESC LOGIN FROM WANT: assert on LDT_CODE/LDT_LINE/LDT_TEXT
# already set by ldt_mail or ldt_mail_result.
ldt_check_result() {
	local desc=$1 login=$2 from=$3 want=$4 text decision
	case $want in
	continue) text="" decision=accept ;;
	reject) text=$LDT_REPLY_NOT_OWNED decision=reject ;;
	tempfail) text=$LDT_REPLY_UNAVAILABLE decision=tempfail ;;
	*) ldt_fail "$desc: bad expectation $want"; return 1 ;;
	esac
	local code_ok=0
	case $want in
	continue) [ "$LDT_CODE" = continue ] && code_ok=1 ;;
	*) [ "$LDT_CODE" = replycode ] && code_ok=1 ;;
	esac
	if [ $code_ok -ne 1 ]; then
		ldt_fail "$desc: login '$login' from $from: milter answered $LDT_CODE, expected $want; log: ${LDT_LINE:-<no decision line>}"
		return 1
	fi
	if [[ $LDT_LINE != *" decision=$decision "* ]]; then
		ldt_fail "$desc: login '$login' from $from: expected decision=$decision; log: ${LDT_LINE:-<no decision line>}"
		return 1
	fi
	if [ "$LDT_TEXT" != "$text" ]; then
		ldt_fail "$desc: login '$login' from $from: reply \"$LDT_TEXT\", expected \"$text\""
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- README and recipients

# ldt_readme_block NAME: the fenced block right after the line
# "<!-- test: NAME -->" of README.md (exactly one such line), so a test runs
# what README tells operators (as tests/e2e/lib/postfix_debian.sh does).
ldt_readme_block() {
	local marker="<!-- test: $1 -->" readme=$LDT_TOP/README.md n
	n=$(grep -cxF -- "$marker" "$readme")
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
		END { exit done ? 0 : 3 }' "$readme" ||
		{ echo "# README.md: no fenced block right after \"$marker\"" >&2; return 1; }
}

# ldt_preset_policy FILE SOCKET BLOCK EXTRA [SED-ARG...]: the policy of the
# directory-preset tests (t-ad, t-389ds, t-openldap): a closed relay on
# SOCKET that verifies senders and logs at debug, the line EXTRA (or none),
# then README's preset BLOCK rewritten by the sed arguments (-e EXPR ...)
# to the test's host and files.
ldt_preset_policy() {
	local file=$1 socket=$2 block=$3 extra=$4
	shift 4
	{
		cat <<CONF
milter = { socket = "$socket"; timeout = 30; };
log_level = "debug";
config_update_interval = 0;
local_domains = [ "acme.com" ];
relay = { enforce = "all"; authenticated = "allow"; deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
verify_sender = { envelope = true; headers = false; null_sender = "reject"; group_send_as = true; };
CONF
		[ -z "$extra" ] || printf '%s\n' "$extra"
		printf '%s\n' "$block" | sed "$@"
	} >"$file"
}

# ldt_expect_rcpt DESC RCPT REPLY [TAG]: one transaction from an
# unauthenticated remote sender to RCPT; REPLY is the exact reply text of the
# milter's stage=rcpt decision line ("" = accepted with SMFIR_CONTINUE).
ldt_expect_rcpt() {
	local desc=$1 rcpt=$2 want=$3 tag=${4:-main} log before out code line text
	log=$(_ldt_log "$tag")
	[ -f "$LDT_DIR/rcpt.lua" ] || cat >"$LDT_DIR/rcpt.lua" <<'LUA'
local conn = mt.connect("unix:" .. os.getenv("LDT_SOCK"), 40, 0.05)
if conn == nil then error("connect failed") end
mt.conninfo(conn, "client.example.net", "192.0.2.10")
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("connect not continued") end
mt.mailfrom(conn, "<someone@remote.example>")
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("MAIL not continued") end
mt.rcptto(conn, os.getenv("LDT_RCPT"))
local r = mt.getreply(conn)
print(r == SMFIR_CONTINUE and "CODE=continue" or r == SMFIR_REPLYCODE and "CODE=replycode"
	or "CODE=other")
mt.disconnect(conn)
LUA
	before=$(grep -c ' stage=rcpt ' "$log")
	out=$(LDT_SOCK=$(_ldt_sock "$tag") LDT_RCPT=$rcpt miltertest -s "$LDT_DIR/rcpt.lua" 2>&1)
	code=$(printf '%s\n' "$out" | sed -n 's/^CODE=//p')
	line=$(grep ' stage=rcpt ' "$log" | tail -n +$((before + 1)) | head -n 1)
	text=$(printf '%s\n' "$line" | sed -n 's/.* reply="\([^"]*\)".*/\1/p')
	if [ -z "$want" ] && [ "$code" = continue ] && [ -z "$text" ]; then return 0; fi
	if [ -n "$want" ] && [ "$code" = replycode ] && [ "$text" = "$want" ]; then return 0; fi
	ldt_fail "$desc: $rcpt: got $code \"$text\", expected \"${want:-continue}\"; $out; log: $line"
	return 1
}

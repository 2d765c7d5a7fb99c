# shellcheck shell=bash
# tests/lib/samba_ad.sh - a private Active Directory domain controller (Samba
# 4.17 AD DC, Debian samba-ad-dc) for the tests in tests/ldap.
#
# Source it after tests/lib/slapd.sh. The domain ACME.COM (NetBIOS ACME,
# base DC=acme,DC=com) is provisioned in a private directory, and samba runs
# in the foreground with only its LDAP service (LDAP 389, LDAPS 636 and the
# global catalog), bound to a private loopback address 127.A.B.C picked so
# nothing else listens there (AD's ports are fixed; the address is ours).
# Its TLS certificate comes from a CA made here (SAN IP:127.A.B.C), and a
# second CA that signed nothing is made too, for a client that must not
# trust the server. Nothing is written outside DIR; samba is stopped by PID.
# Needs (Debian 12): samba-ad-dc samba samba-ad-provision python3-samba
# winbind smbclient ldb-tools, openssl, ldap-utils.
#
#   sad_start DIR LDIF   provision (~10 s), add LDIF's entries with ldbadd
#                        (@PASSWORD@ in it becomes unicodePwd of SAD_PASSWORD),
#                        start samba, wait (<= 60 s) until a simple bind as
#                        svcrelay@acme.com over ldaps answers. Exports SAD_DIR,
#                        SAD_IP, SAD_CA (the server's CA), SAD_OTHER_CA (a CA
#                        that did not sign it), SAD_BIND, SAD_PASSWORD,
#                        SAD_PWFILE (mode 0600), SAD_BASE, SAD_PID, SAD_LOG.
#   sad_stop             SIGTERM (SIGKILL after 10 s), reap.
#   sad_search ARGS...   ldapsearch over ldaps as svcrelay (for the test's own
#                        assertions about the directory).

SAD_DIR='' SAD_IP='' SAD_CA='' SAD_OTHER_CA='' SAD_PID='' SAD_LOG=/dev/null
SAD_BIND=svcrelay@acme.com SAD_PASSWORD='Svc-Relay-Pass-42!' SAD_BASE='DC=acme,DC=com'
SAD_PWFILE=''

# A loopback address with nothing on 389 or 636 (any state in /proc/net/tcp).
_sad_pick_ip() {
	local i a b c hex
	for ((i = 0; i < 50; i++)); do
		a=$((RANDOM % 200 + 20)) b=$((RANDOM % 250 + 1)) c=$((RANDOM % 250 + 2))
		hex=$(printf '%02X%02X%02X%02X' "$c" "$b" "$a" 127)
		if ! awk -v h="$hex" '$2 == h ":0185" || $2 == h ":027C" { f = 1 } END { exit !f }' \
			/proc/net/tcp; then
			echo "127.$a.$b.$c"
			return 0
		fi
	done
	return 1
}

_sad_certs() {
	local t=$SAD_DIR/tls
	mkdir -p "$t" || return 1
	(
		cd "$t" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
			-subj "/CN=relaywarden test AD CA" &&
			openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem \
				-days 2 -subj "/CN=relaywarden test CA the milter must not trust" &&
			openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
				-subj "/CN=dc1.acme.com" &&
			printf 'subjectAltName=IP:%s,DNS:dc1.acme.com\n' "$SAD_IP" >ext.cnf &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
				-out server.pem -days 2 -extfile ext.cnf &&
			chmod 0600 server.key ca.key other-ca.key
	) >"$SAD_DIR/openssl.log" 2>&1
}

# The provisioned smb.conf, reduced to LDAP and kept inside SAD_DIR.
_sad_conf() {
	local conf=$SAD_DIR/dc/etc/smb.conf d=$SAD_DIR/dc
	mkdir -p "$d/run" "$d/ncalrpc" "$d/winbindd" || return 1
	sed -i -e 's/^\tserver services = .*/\tserver services = ldap/' \
		-e "s#^\tlog file = .*#\tlog file = $SAD_DIR/samba.log#" \
		-e "/^\[global\]/a \\\tpid directory = $d/run\n\tncalrpc dir = $d/ncalrpc\n\twinbindd socket directory = $d/winbindd\n\ttls enabled = yes\n\ttls keyfile = $SAD_DIR/tls/server.key\n\ttls certfile = $SAD_DIR/tls/server.pem\n\ttls cafile = $SAD_DIR/tls/ca.pem" \
		"$conf" || return 1
	grep -q '^	server services = ldap$' "$conf" && grep -q "^	tls certfile = " "$conf"
}

_sad_ldif() {
	local ldif=$1 pw
	pw=$(printf '"%s"' "$SAD_PASSWORD" | iconv -t UTF-16LE | base64 -w0) || return 1
	sed "s#@PASSWORD@#$pw#g" "$ldif" >"$SAD_DIR/entries.ldif" || return 1
	ldbadd -H "$SAD_DIR/dc/private/sam.ldb" "$SAD_DIR/entries.ldif" >"$SAD_DIR/ldbadd.log" 2>&1
}

sad_search() {
	LDAPTLS_CACERT=$SAD_CA LDAPTLS_REQCERT=demand timeout 10 ldapsearch -LLL -x \
		-H "ldaps://$SAD_IP/" -D "$SAD_BIND" -w "$SAD_PASSWORD" -b "$SAD_BASE" "$@"
}

_sad_answers() {
	sad_search -s base '(objectClass=*)' dn >/dev/null 2>&1
}

sad_start() {
	local dir=$1 ldif=$2
	SAD_DIR=$dir
	SAD_LOG=$dir/samba.out
	mkdir -p "$SAD_DIR" || return 1
	SAD_IP=$(_sad_pick_ip) || { echo "sad_start: no free loopback address" >&2; return 1; }
	export SAD_DIR SAD_IP SAD_LOG
	_sad_certs || { echo "sad_start: openssl failed:" >&2; cat "$SAD_DIR/openssl.log" >&2; return 1; }
	SAD_CA=$SAD_DIR/tls/ca.pem SAD_OTHER_CA=$SAD_DIR/tls/other-ca.pem
	SAD_PWFILE=$SAD_DIR/svcrelay.secret
	printf '%s\n' "$SAD_PASSWORD" >"$SAD_PWFILE" && chmod 0600 "$SAD_PWFILE"
	export SAD_CA SAD_OTHER_CA SAD_PWFILE
	if ! samba-tool domain provision --targetdir="$SAD_DIR/dc" --realm=ACME.COM --domain=ACME \
		--server-role=dc --dns-backend=NONE --host-name=dc1 --adminpass='Adm1n-Pass-42!' \
		--use-rfc2307 --option="interfaces=$SAD_IP/8" --option="bind interfaces only=yes" \
		>"$SAD_DIR/provision.log" 2>&1; then
		echo "sad_start: samba-tool domain provision failed:" >&2
		tail -n 20 "$SAD_DIR/provision.log" >&2
		return 1
	fi
	_sad_conf || { echo "sad_start: could not rewrite smb.conf" >&2; return 1; }
	_sad_ldif "$ldif" || { echo "sad_start: ldbadd failed:" >&2; cat "$SAD_DIR/ldbadd.log" >&2; return 1; }
	samba -i -M single -s "$SAD_DIR/dc/etc/smb.conf" </dev/null >"$SAD_LOG" 2>&1 &
	SAD_PID=$!
	export SAD_PID
	if ! wait_for 60 _sad_answers; then
		echo "sad_start: samba did not answer on ldaps://$SAD_IP/ within 60 s:" >&2
		tail -n 20 "$SAD_LOG" >&2
		return 1
	fi
}

sad_stop() {
	_stop_pid "$SAD_PID" 10
	SAD_PID=
}

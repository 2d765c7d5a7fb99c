# shellcheck shell=bash
# tests/lib/ds389.sh - a private 389 Directory Server (Debian 389-ds-base
# 2.3) for the tests in tests/ldap, with the memberOf plugin on.
#
# Source it after tests/lib/slapd.sh. dscreate writes a fresh instance
# (named rwNNNNN) under /etc/dirsrv and /var/{lib,log}/dirsrv and then fails
# calling systemctl (no systemd here); its files are moved at once into
# DIR, the system paths it wrote for this instance (and its systemd link and
# tmpfiles.d entry) removed, and dse.ldif rewritten to keep everything in
# DIR: listening on 127.0.0.1:PORT (a free port) and on an LDAPI socket in
# DIR, run as root, memberOf plugin enabled. ns-slapd runs in the foreground
# and is stopped by PID. The backend (dc=acme,dc=com) and the entries are
# added over LDAPI as the Directory Manager (SASL EXTERNAL autobind).
# Needs: 389-ds-base, ldap-utils.
#
#   ds_start DIR LDIF    create, start, add the suffix and LDIF's entries;
#                        wait (<= 60 s) for it to answer. Exports DS_DIR,
#                        DS_PORT, DS_URI, DS_PID, DS_LDAPI, DS_NAME, DS_LOG
#                        (its errors log), DS_BIND (uid=svcrelay,...),
#                        DS_PASSWORD, DS_PWFILE (mode 0600).
#   ds_stop              SIGTERM (SIGKILL after 10 s), reap; removes any
#                        system path of the instance that is left.

DS_DIR='' DS_PORT='' DS_URI='' DS_PID='' DS_LDAPI='' DS_NAME='' DS_LOG=/dev/null
DS_BIND='uid=svcrelay,ou=people,dc=acme,dc=com' DS_PASSWORD='Svc-Relay-Pass-42' DS_PWFILE=''
export DS_BIND DS_PASSWORD

_ds_system_paths() {
	[ -n "$DS_NAME" ] || return 0
	printf '%s\n' "/etc/dirsrv/slapd-$DS_NAME" "/var/lib/dirsrv/slapd-$DS_NAME" \
		"/var/log/dirsrv/slapd-$DS_NAME" "/run/lock/dirsrv/slapd-$DS_NAME" \
		"/etc/systemd/system/multi-user.target.wants/dirsrv@$DS_NAME.service" \
		"/etc/tmpfiles.d/dirsrv-$DS_NAME.conf"
}

_ds_unsystem() {
	local p
	while read -r p; do rm -rf -- "$p"; done < <(_ds_system_paths)
}

_ds_create() {
	cat >"$DS_DIR/instance.inf" <<EOF
[general]
full_machine_name = localhost
start = False
[slapd]
instance_name = $DS_NAME
port = $DS_PORT
secure_port = 0
self_sign_cert = False
root_password = Directory-Manager-42
EOF
	# Fails at "systemctl start", after the instance is written.
	dscreate from-file "$DS_DIR/instance.inf" >"$DS_DIR/dscreate.log" 2>&1
	if [ ! -f "/etc/dirsrv/slapd-$DS_NAME/dse.ldif" ]; then
		echo "ds_start: dscreate wrote no instance:" >&2
		tail -n 20 "$DS_DIR/dscreate.log" >&2
		return 1
	fi
	mkdir -p "$DS_DIR"/{db,bak,ldif,log,run,lock} && cp -a "/etc/dirsrv/slapd-$DS_NAME" "$DS_DIR/etc"
}

_ds_rewrite() {
	local d=$DS_DIR n=$DS_NAME
	sed -i -e "s#/etc/dirsrv/slapd-$n#$d/etc#g" -e "s#/var/lib/dirsrv/slapd-$n/#$d/#g" \
		-e "s#/var/log/dirsrv/slapd-$n/#$d/log/#g" -e "s#/run/lock/dirsrv/slapd-$n#$d/lock#" \
		-e "s#^nsslapd-rundir: .*#nsslapd-rundir: $d/run#" -e "s#/run/slapd-$n.socket#$d/run/ldapi#" \
		-e "s#^nsslapd-localuser: .*#nsslapd-localuser: root#" \
		-e "/^nsslapd-port:/a nsslapd-listenhost: 127.0.0.1" \
		-e '/^dn: cn=MemberOf Plugin,/,/^$/ s/^nsslapd-pluginenabled: off/nsslapd-pluginenabled: on/I' \
		"$d/etc/dse.ldif" || return 1
	! grep -qE "(/etc|/var/lib|/var/log|/run/lock)/dirsrv/slapd-$n" "$d/etc/dse.ldif" &&
		grep -qx "nsslapd-listenhost: 127.0.0.1" "$d/etc/dse.ldif"
}

_ds_answers() {
	timeout 5 ldapsearch -x -H "$DS_URI" -s base -b "" namingContexts >/dev/null 2>&1
}

_ds_load() {
	local ldif=$1
	{
		cat <<'EOF'
dn: cn=userroot,cn=ldbm database,cn=plugins,cn=config
objectClass: top
objectClass: extensibleObject
objectClass: nsBackendInstance
cn: userroot
nsslapd-suffix: dc=acme,dc=com

dn: cn=dc\3Dacme\2Cdc\3Dcom,cn=mapping tree,cn=config
objectClass: top
objectClass: extensibleObject
objectClass: nsMappingTree
cn: dc=acme,dc=com
nsslapd-state: backend
nsslapd-backend: userroot

EOF
		sed "s#@PASSWORD@#$DS_PASSWORD#g" "$ldif"
	} >"$DS_DIR/entries.ldif"
	timeout 30 ldapadd -Q -Y EXTERNAL -H "$DS_LDAPI" -f "$DS_DIR/entries.ldif" \
		>"$DS_DIR/ldapadd.log" 2>&1
}

ds_start() {
	local ldif=$2
	DS_DIR=$1
	mkdir -p "$DS_DIR" || return 1
	DS_NAME=rw$((RANDOM * 32768 + RANDOM))
	DS_PORT=$(free_port) || return 1
	DS_URI="ldap://127.0.0.1:$DS_PORT/"
	DS_LDAPI="ldapi://$(printf '%s' "$DS_DIR/run/ldapi" | sed 's#/#%2F#g')"
	DS_LOG=$DS_DIR/log/errors
	DS_PWFILE=$DS_DIR/svcrelay.secret
	printf '%s\n' "$DS_PASSWORD" >"$DS_PWFILE" && chmod 0600 "$DS_PWFILE"
	export DS_DIR DS_NAME DS_PORT DS_URI DS_LDAPI DS_LOG DS_PWFILE
	_ds_create || { _ds_unsystem; return 1; }
	_ds_unsystem
	_ds_rewrite || { echo "ds_start: could not rewrite dse.ldif" >&2; return 1; }
	/usr/sbin/ns-slapd -D "$DS_DIR/etc" -i "$DS_DIR/run/pid" -d 0 </dev/null \
		>"$DS_DIR/ns-slapd.out" 2>&1 &
	DS_PID=$!
	export DS_PID
	if ! wait_for 60 _ds_answers; then
		echo "ds_start: ns-slapd did not answer on $DS_URI within 60 s:" >&2
		tail -n 20 "$DS_LOG" "$DS_DIR/ns-slapd.out" >&2
		return 1
	fi
	_ds_load "$ldif" || { echo "ds_start: ldapadd failed:" >&2; cat "$DS_DIR/ldapadd.log" >&2; return 1; }
}

ds_stop() {
	_stop_pid "$DS_PID" 10
	DS_PID=
	_ds_unsystem
}

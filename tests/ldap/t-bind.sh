#!/usr/bin/env bash
# t-bind.sh - authenticated bind (DESIGN §5, Appendix A): a password file
# readable by group or others is refused by "relaywarden check" (exit 78,
# EX_CONFIG) naming the key; mode 0600 binds as bind_dn and serves lookups;
# a wrong password is "unavailable" (451), never "not found" (550).
# Usage: tests/ldap/t-bind.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init bind "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
printf 'secret\n' >"$LDT_DIR/bind.pw"
printf 'Wr0ng-Pa55\n' >"$LDT_DIR/wrong.pw"
chmod 600 "$LDT_DIR/wrong.pw"

chmod 644 "$LDT_DIR/bind.pw"
P_BIND_DN="cn=admin,dc=acme,dc=com" P_BIND_PW_FILE="$LDT_DIR/bind.pw" \
	ldt_policy "$LDT_DIR/good.conf" "unix:$LDT_DIR/good.sock" "\"$SLAPD_URI\""
out=$("$RELAYWARDEN" check -c "$LDT_DIR/good.conf" 2>&1)
rc=$?
[ "$rc" -eq 78 ] || ldt_fail "check with a 0644 password file exited $rc, expected 78: $out"
[[ $out == *"directory.ldap.bind_password_file"* ]] ||
	ldt_fail "check with a 0644 password file does not name directory.ldap.bind_password_file: $out"
[[ $out != *secret* ]] || ldt_fail "check printed the password: $out"

chmod 600 "$LDT_DIR/bind.pw"
ldt_milter_start "$LDT_DIR/good.conf" good || exit 1
ldt_expect "bound as cn=admin" jdoe "<john.doe@acme.com>" continue good
grep -q 'BIND dn="cn=admin,dc=acme,dc=com" method=128' "$SLAPD_LOG" ||
	ldt_fail "slapd saw no simple bind as cn=admin,dc=acme,dc=com"

P_BIND_DN="cn=admin,dc=acme,dc=com" P_BIND_PW_FILE="$LDT_DIR/wrong.pw" \
	ldt_policy "$LDT_DIR/wrong.conf" "unix:$LDT_DIR/wrong.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/wrong.conf" wrong || exit 1
ldt_expect "wrong bind password: unavailable, not 'not found'" jdoe "<john.doe@acme.com>" tempfail wrong
ldt_expect "wrong bind password, unknown login: still 451" ghost "<ghost@acme.com>" tempfail wrong
for tag in good wrong; do
	grep -qF -e secret -e Wr0ng-Pa55 "$LDT_DIR/rw-$tag.log" && ldt_fail "the $tag milter logged a password"
done

{ ldt_milter_alive good && ldt_milter_alive wrong; } || ldt_fail "relaywarden died during the test"
ldt_finish

# shellcheck shell=bash
# bench/lib.sh - what the benchmark scripts share (sourced; TOP is the
# checkout). Needs tests/lib/slapd.sh for SLAPD_URI.
#
#   bench_people N        LDIF: the base entries of tests/ldap/people.ldif and
#                         N people u00001..uN, each with mail uNNNNN@acme.com
#   bench_ldap_policy FILE TTL   a closed relay with verify_sender (envelope
#                         and headers) against the private slapd, cache TTL
bench_people() {
	local i
	sed -n '/^dn: dc=acme,dc=com/,/^ou: groups/p' "$TOP/tests/ldap/people.ldif"
	echo
	for ((i = 1; i <= $1; i++)); do
		printf 'dn: uid=u%05d,ou=people,dc=acme,dc=com\nobjectClass: inetOrgPerson\n' "$i"
		printf 'uid: u%05d\ncn: User %d\nsn: User\nmail: u%05d@acme.com\n\n' "$i" "$i" "$i"
	done
}

bench_ldap_policy() {
	cat >"$1" <<CONF
log_level = "info";
config_update_interval = 0;
local_domains = [ "acme.com" ];
relay = { enforce = "all"; authenticated = "allow";
  deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
verify_sender = { envelope = true; headers = true; };
directory = { backend = "ldap"; cache = { ttl = $2; negative_ttl = $2; };
  ldap = { uris = [ "$SLAPD_URI" ]; base = "dc=acme,dc=com";
    user_filter = "(&(objectClass=inetOrgPerson)(uid=%u))";
    address_attributes = [ "mail" ]; pool_size = 8; }; };
CONF
}

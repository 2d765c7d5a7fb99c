# shellcheck shell=bash
# bench/lib.sh - what the benchmark scripts share (sourced; TOP is the
# checkout). Needs tests/lib/slapd.sh for SLAPD_URI.
#
#   bench_people N        LDIF: the base entries of tests/ldap/people.ldif and
#                         N people u00001..uN, each with mail uNNNNN@acme.com
#   bench_ldap_policy FILE TTL   a closed relay with verify_sender (envelope
#                         and headers) against the private slapd, cache TTL
#   bench_inbound_policy FILE LEVEL   policies/examples/closed-relay.conf (the
#                         file directory, no milter = line) at that log_level:
#                         what the end-to-end and P rows judge unauthenticated
#                         mail to a local user by
#   rot N ITEMS...        the items rotated left by N, one per line: the order
#                         of round N of interleaved rows
#   bench_redis_start DIR   a private redis-server (Debian's) on 127.0.0.1 and a
#                         free port, data and log in DIR, nothing saved; waits
#                         until `redis-cli ping` answers PONG (<= 30 s). Exports
#                         REDIS_PORT, REDIS_PID. bench_redis_stop stops it by PID.
#   bench_redis_calls     "COMMAND CALLS USEC" lines: every command's calls and the
#                         µs Redis spent executing them since the server started
#                         (INFO commandstats), but INFO (our own probes). The
#                         commands a Lua script runs count there too.
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

bench_inbound_policy() {
	sed "s#\"../directory.conf\"#\"$TOP/policies/directory.conf\"#" \
		"$TOP/policies/examples/closed-relay.conf" | sed '/^milter = /d; /^log_level = /d' >"$1"
	printf 'log_level = "%s";\n' "$2" >>"$1"
}

rot() {
	local n=$1
	shift
	local -a a=("$@")
	local i
	for ((i = 0; i < ${#a[@]}; i++)); do echo "${a[(i + n) % ${#a[@]}]}"; done
}

bench_redis_start() {
	mkdir -p "$1"
	REDIS_PORT=$(free_port)
	# --save '' and --appendonly no: a counter store for the run, nothing on
	# disk; the bind keeps it on loopback whatever the host's defaults.
	redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$1" --save '' \
		--appendonly no --logfile "$1/redis.log" --daemonize no &
	REDIS_PID=$!
	export REDIS_PORT REDIS_PID
	if ! wait_for 30 _bench_redis_pong; then
		echo "redis-server did not answer on 127.0.0.1:$REDIS_PORT" >&2
		tail "$1/redis.log" >&2
		return 1
	fi
}

_bench_redis_pong() { [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

bench_redis_stop() {
	[ -n "${REDIS_PID:-}" ] || return 0
	_stop_pid "$REDIS_PID"
	REDIS_PID=''
}

bench_redis_calls() {
	redis-cli -p "$REDIS_PORT" info commandstats | tr -d '\r' | awk -F'[:=,]' '
		/^cmdstat_/ && $1 != "cmdstat_info" { sub(/^cmdstat_/, "", $1); print $1, $3, $5 }'
}

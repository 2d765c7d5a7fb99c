#!/usr/bin/env bash
# tests/run-itests.sh BINARY - the integration tests (`make itest`).
#
# Runs every tests/milter/t-*.lua with miltertest against a private
# relaywarden (one per script, started with the policy fixture the script
# names in a "-- policy: FILE" line, FILE in tests/milter/policies/), and
# every tests/milter/t-*.sh, tests/cli/*.sh, tests/ldap/t-*.sh, tests/dns/t-*.sh, tests/e2e/t-*.sh and tests/pkg/t-*.sh with BINARY as its argument. Prints "ok NAME" or
# "FAIL NAME" followed by the test's output and the milter's log, then the
# summary line "N passed, M failed". Exits 1 if anything failed or nothing
# ran. Nothing is ever skipped: a test that cannot run fails.
#
# A script with a line "-- dns: yes" gets a private unbound with the records
# of tests/dns/zones.conf and a UDP port that never answers (tests/lib/dns.sh):
# "@DNS@" and "@SILENT@" in its policy fixture become 127.0.0.1:PORT of each,
# and miltertest gets -D dnslog=FILE (unbound's query log).
#
# A milter script also fails when the milter died during it (unless the
# script says "-- stops-milter: yes", for tests that stop it on purpose) or
# when the milter's log holds a sanitizer report. Each script has a time
# limit of RW_TEST_TIMEOUT seconds (default 60); ldap/t-ad (a Samba AD domain
# to provision) four times that, ldap/t-389ds (a 389-ds instance) three; an
# end-to-end script twice that, a tests/pkg script ten times (make deb and apt on a slow, busy
# machine). A limit is a deadline only to fail: a script that overruns it
# gets SIGTERM and then - a grace of 5 s, 60 s for e2e and pkg, whose EXIT
# traps stop MTAs and purge a package - SIGKILL; either way it fails with
# "did not finish".
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BINARY" >&2
	exit 64
fi

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case $1 in
/*) BINARY=$1 ;;
*) BINARY=$PWD/$1 ;;
esac
cd "$TOP"

RUN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rw-itests.XXXXXX")
trap 'rm -rf "$RUN_TMP"' EXIT
TIMEOUT=${RW_TEST_TIMEOUT:-60}

# Under `make asan`: libconfig (1.5, Debian 12) leaks its scanner's string
# buffer when a file has a syntax error; that is not relaywarden's leak and
# would spoil the exact stderr of the syntax-error golden test. libldap 2.5's
# GnuTLS code never frees the client key and certificate it loads into a TLS
# context (tls_g.c, tlsg_ctx_init); relaywarden makes one context per pool
# (ldap_tls.c), so that is one small leak per policy with cert_file.
printf 'leak:libconfig.so\nleak:gnutls_x509_privkey_init\nleak:gnutls_x509_crt_init\n' >"$RUN_TMP/lsan.supp"
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$RUN_TMP/lsan.supp:print_suppressions=0}
# Under `make tsan`: libmilter's shutdown races are its own (tests/tsan.supp).
export TSAN_OPTIONS=${TSAN_OPTIONS:-suppressions=$TOP/tests/tsan.supp}
passed=0
failed=0

# run_limited SECONDS GRACE OUT CMD...: CMD with stdout+stderr to OUT under
# coreutils timeout; returns its status, and notes an overrun in OUT (124:
# stopped by SIGTERM; 137: still running after the grace, killed).
run_limited() {
	local limit=$1 grace=$2 out=$3 rc=0
	shift 3
	timeout -k "$grace" "$limit" "$@" >"$out" 2>&1 || rc=$?
	case $rc in
	124 | 137) echo "# did not finish within $limit s (exit status $rc)" >>"$out" ;;
	esac
	return "$rc"
}

# RW_ONLY=REGEX runs only the tests whose name (milter/t-dns, ldap/t-bind, ...)
# matches; the others are not counted. For make valgrind, never for make check.
wanted() { [ -z "${RW_ONLY:-}" ] || [[ $1 =~ $RW_ONLY ]]; }

report() { # NAME STATUS OUTPUT-FILE
	if [ "$2" -eq 0 ]; then
		echo "ok $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1"
		sed 's/^/    /' "$3"
		failed=$((failed + 1))
	fi
}

# One milter script; runs in a subshell so its EXIT trap stops its milter.
run_lua() {
	local script=$1 fixture stops rc=0
	# shellcheck source=tests/lib/milter.sh
	. tests/lib/milter.sh
	fixture=$(sed -n 's/^-- policy: *\([^ ]*\) *$/\1/p' "$script" | head -n 1)
	if [ -z "$fixture" ]; then
		echo "# $script names no policy fixture (a line \"-- policy: FILE\")"
		return 1
	fi
	stops=$(sed -n 's/^-- stops-milter: *\([a-z]*\).*/\1/p' "$script" | head -n 1)
	rw_init
	rw_policy "tests/milter/policies/$fixture" || return 1
	local dnslog=/dev/null
	if grep -q '^-- dns: *yes' "$script"; then
		# shellcheck source=tests/lib/dns.sh
		. tests/lib/dns.sh
		trap 'rw_cleanup; dns_stop; silent_stop' EXIT
		dns_start "$RW_TMP/dns" || return 1
		silent_start "$RW_TMP/dns" || return 1
		sed -i "s/@DNS@/127.0.0.1:$DNS_PORT/g; s/@SILENT@/127.0.0.1:$SILENT_PORT/g" "$RW_CONF"
		dnslog=$DNS_LOG
	fi
	rw_start "$BINARY" || return 1
	timeout -k 5 "$TIMEOUT" miltertest -D sock="$RW_SOCK" -D log="$RW_LOG" -D dnslog="$dnslog" \
		-D pid="$RW_PID" -D policy="$RW_CONF" -D tmp="$RW_TMP" \
		-D fixtures="$TOP/tests/milter/policies" -D lib="$TOP/tests/lib/milter.sh" \
		-D helpers="$TOP/tests/milter/helpers.lua" -D binary="$BINARY" \
		-s "$script" || rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "# miltertest did not finish within $TIMEOUT s"
	elif [ "$rc" -ne 0 ]; then
		echo "# miltertest exited with status $rc"
	fi
	if [ "$stops" != yes ] && ! rw_alive; then
		rw_stop
		echo "# relaywarden died during the test (exit status $RW_STATUS)"
		rc=1
	fi
	if rw_log_problems >/dev/null; then
		echo "# the milter log holds a crash or sanitizer report"
		rc=1
	fi
	if [ "$rc" -ne 0 ]; then
		rw_show_log
	fi
	return "$rc"
}

if ! command -v miltertest >/dev/null 2>&1; then
	echo "# miltertest is not installed (Debian package miltertest): every milter test fails"
fi

shopt -s nullglob
for script in tests/milter/t-*.lua; do
	name=milter/$(basename "$script" .lua)
	wanted "$name" || continue
	rc=0
	( run_lua "$script" ) >"$RUN_TMP/out" 2>&1 || rc=$?
	report "$name" "$rc" "$RUN_TMP/out"
done

# Milter tests in shell (their own milter, and slapd where they need one):
# tests/milter/t-*.sh, with BINARY as their argument.
for script in tests/milter/t-*.sh; do
	name=milter/$(basename "$script" .sh)
	wanted "$name" || continue
	rc=0
	run_limited "$TIMEOUT" 5 "$RUN_TMP/out" bash "$script" "$BINARY" || rc=$?
	report "$name" "$rc" "$RUN_TMP/out"
done

for script in tests/cli/*.sh; do
	name=cli/$(basename "$script" .sh)
	wanted "$name" || continue
	rc=0
	run_limited "$TIMEOUT" 5 "$RUN_TMP/out" bash "$script" "$BINARY" || rc=$?
	report "$name" "$rc" "$RUN_TMP/out"
done

# Real slapd: each script starts and stops its own on a free loopback port.
# t-ad provisions a Samba AD domain (25 s alone on 2 cores, 70 s at a load
# of 9): four times the limit; t-389ds creates a 389-ds instance (18 s, 20 s
# loaded): three times. Both get 15 s of grace for samba's and ns-slapd's
# shutdown in their EXIT traps.
for script in tests/ldap/t-*.sh; do
	name=ldap/$(basename "$script" .sh)
	wanted "$name" || continue
	rc=0
	case $name in
	ldap/t-ad) limit=$((TIMEOUT * 4)) grace=15 ;;
	ldap/t-389ds) limit=$((TIMEOUT * 3)) grace=15 ;;
	*) limit=$TIMEOUT grace=5 ;;
	esac
	run_limited "$limit" "$grace" "$RUN_TMP/out" bash "$script" "$BINARY" || rc=$?
	report "$name" "$rc" "$RUN_TMP/out"
done

# Real DNS server: each script starts its own unbound (tests/lib/dns.sh).
for script in tests/dns/t-*.sh; do
	name=dns/$(basename "$script" .sh)
	wanted "$name" || continue
	rc=0
	run_limited "$TIMEOUT" 5 "$RUN_TMP/out" bash "$script" "$BINARY" || rc=$?
	report "$name" "$rc" "$RUN_TMP/out"
done

# Real MTAs: each script starts its own Postfix or Sendmail, smtp-sink and
# relaywarden on free loopback ports (tests/e2e/lib).
for script in tests/e2e/t-*.sh tests/pkg/t-*.sh; do
	name=$(basename "$(dirname "$script")")/$(basename "$script" .sh)
	wanted "$name" || continue
	rc=0
	case $script in
	tests/pkg/*) limit=$((TIMEOUT * 10)) ;;
	*) limit=$((TIMEOUT * 2)) ;;
	esac
	run_limited "$limit" 60 "$RUN_TMP/out" bash "$script" "$BINARY" || rc=$?
	report "$name" "$rc" "$RUN_TMP/out"
done

if [ $((passed + failed)) -eq 0 ]; then
	echo "no integration tests found under tests/milter and tests/cli"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

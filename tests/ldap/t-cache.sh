#!/usr/bin/env bash
# t-cache.sh - the directory cache (DESIGN §5): two transactions with the same
# login within directory.cache.ttl send exactly one user search to slapd;
# negative answers are cached under negative_ttl; with the cache off every
# transaction searches (the control that proves the count is meaningful).
# Usage: tests/ldap/t-cache.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init cache "${1:-}"

slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
P_TTL=60 P_NEG_TTL=60 ldt_policy "$LDT_DIR/cached.conf" "unix:$LDT_DIR/cached.sock" "\"$SLAPD_URI\""
P_TTL=0 P_NEG_TTL=0 ldt_policy "$LDT_DIR/nocache.conf" "unix:$LDT_DIR/nocache.sock" "\"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/cached.conf" cached || exit 1
ldt_milter_start "$LDT_DIR/nocache.conf" nocache || exit 1

# expect_searches FILTER_TEXT N WHAT
expect_searches() {
	local n
	n=$(slapd_srch_count "$1")
	[ "$n" -eq "$2" ] || ldt_fail "$3: slapd saw $n search(es) with $1, expected $2"
}

all_before=$(grep -c ' SRCH base=' "$SLAPD_LOG")
ldt_expect "cached: first transaction" jdoe "<john.doe@acme.com>" continue cached
all_cold=$(($(grep -c ' SRCH base=' "$SLAPD_LOG") - all_before))
ldt_expect "cached: second transaction within the TTL" jdoe "<jd@acme.com>" continue cached
ldt_expect "cached: third transaction, other answer from the same entry" jdoe "<alice.smith@acme.com>" reject cached
expect_searches "(uid=jdoe)" 1 "positive cache"
ldt_note "one cold lookup of jdoe (send-as DN + group send-as) cost $all_cold LDAP search(es) (DESIGN §5/§8 say one per login)"

ldt_expect "cached: unknown login" ghost "<ghost@acme.com>" reject cached
ldt_expect "cached: unknown login again within negative_ttl" ghost "<ghost@acme.com>" reject cached
expect_searches "(uid=ghost)" 1 "negative cache"

ldt_expect "no cache: first transaction" asmith "<alice.smith@acme.com>" continue nocache
ldt_expect "no cache: second transaction" asmith "<alice.smith@acme.com>" continue nocache
expect_searches "(uid=asmith)" 2 "cache off (control)"

{ ldt_milter_alive cached && ldt_milter_alive nocache; } || ldt_fail "relaywarden died during the test"
ldt_finish

#!/usr/bin/env bash
# t-hung.sh - failover with health memory (DESIGN §5): two URIs, the first a
# black hole (accepts, never answers), the second the real slapd. The first
# transaction is served by the second URI after directory.ldap.timeout; the
# next ones go straight to it (< 1 s), and a new pooled connection opened
# meanwhile skips the first URI too: the milter remembers it is down
# (libldap's own URI list would wait every time).
# Usage: tests/ldap/t-hung.sh [path/to/relaywarden]
set -u
# shellcheck source=../lib/slapd.sh
. "$(dirname "$0")/../lib/slapd.sh"
ldt_init hung "${1:-}"

timeout_s=2
slapd_start "$LDT_DIR/slapd" || { ldt_fail "slapd did not start"; exit 1; }
blackhole_start "$LDT_DIR/blackhole" || { ldt_fail "black hole did not start"; exit 1; }
P_TIMEOUT=$timeout_s ldt_policy "$LDT_DIR/policy.conf" "unix:$LDT_DIR/rw.sock" \
	"\"ldap://127.0.0.1:$BLACKHOLE_PORT/\", \"$SLAPD_URI\""
ldt_milter_start "$LDT_DIR/policy.conf" || exit 1

limit=$((timeout_s * 1000 + 1500))
if ldt_expect "first transaction, served by the second URI" jdoe "<john.doe@acme.com>" continue; then
	ldt_note "first transaction took ${LDT_MS} ms (timeout ${timeout_s} s)"
	[ "$LDT_MS" -lt "$limit" ] || ldt_fail "first transaction took ${LDT_MS} ms (limit $limit)"
fi
[ "$(blackhole_accepted)" -ge 1 ] ||
	ldt_fail "the black hole (first URI) was never tried: failover not exercised"
[ "$(slapd_srch_count '(uid=jdoe)')" -ge 1 ] || ldt_fail "slapd (second URI) saw no search for jdoe"

if ldt_expect "second transaction right after" jdoe "<jd@acme.com>" continue; then
	[ "$LDT_MS" -lt 1000 ] ||
		ldt_fail "second transaction took ${LDT_MS} ms: waited for the hung URI again (limit 1000)"
fi
if ldt_expect "third transaction, another login" asmith "<alice.smith@acme.com>" continue; then
	[ "$LDT_MS" -lt 1000 ] || ldt_fail "third transaction took ${LDT_MS} ms (limit 1000)"
fi
if ldt_expect "not found via the second URI is still 550" ghost "<ghost@acme.com>" reject; then
	[ "$LDT_MS" -lt 1000 ] || ldt_fail "unknown login took ${LDT_MS} ms (limit 1000)"
fi

# Health memory for fresh connections: hold pooled connection 0 (now on the
# real slapd) in a search by pausing slapd, so a concurrent transaction needs
# a new pooled connection. That one must skip the URI known to be down: it
# never touches the black hole again and finishes once slapd resumes.
# Each step waits for its fact in /proc/net/tcp (slapd_pending: requests
# slapd has not read), not for a pause: A's search is held at slapd before B
# starts, and B's request has reached slapd on a connection of its own
# before slapd resumes. Both must be answered within directory.ldap.timeout
# (2 s) of their start, so nothing here waits longer than that needs.
pending_at_least() { [ "$(slapd_pending)" -ge "$1" ]; }
accepted_before=$(blackhole_accepted)
pending_before=$(slapd_pending)
slapd_pause
ldt_mail_bg jdoe "<john.doe@acme.com>" "$LDT_DIR/a.out"
a_pid=$LDT_BG_PID
wait_for 30 pending_at_least $((pending_before + 1)) ||
	ldt_fail "concurrent A: its search never reached the paused slapd"
ldt_mail_bg asmith "<alice.smith@acme.com>" "$LDT_DIR/b.out"
b_pid=$LDT_BG_PID
wait_for 30 pending_at_least $((pending_before + 2)) ||
	ldt_fail "concurrent B: no second connection with a request reached the paused slapd"
slapd_resume
wait "$a_pid" "$b_pid"
ldt_mail_result "$LDT_DIR/a.out" jdoe "<john.doe@acme.com>"
ldt_check_result "concurrent A (pooled connection)" jdoe "<john.doe@acme.com>" continue
ldt_mail_result "$LDT_DIR/b.out" asmith "<alice.smith@acme.com>"
if ldt_check_result "concurrent B (new connection)" asmith "<alice.smith@acme.com>" continue; then
	[ "$LDT_MS" -lt $((timeout_s * 1000)) ] ||
		ldt_fail "concurrent B took ${LDT_MS} ms: a new connection tried the hung URI again"
fi
[ "$(blackhole_accepted)" -eq "$accepted_before" ] ||
	ldt_fail "a new pooled connection went to the black hole again within the down period"

ldt_milter_alive || ldt_fail "relaywarden died during the test"
ldt_finish

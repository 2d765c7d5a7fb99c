#!/usr/bin/env bash
# relaywarden check accepts the shipped policies: policies/default.conf (the
# closed relay, no warning at all) and every example under policies/examples.
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init

rw_run "$BINARY" check -c policies/default.conf
rw_check "check -c policies/default.conf exits 0" test "$RW_RC" -eq 0
rw_check "it prints \"policies/default.conf: OK\"" \
	test "$(cat "$RW_TMP/out")" = "policies/default.conf: OK"
rw_check "it prints no warning or error" test ! -s "$RW_TMP/err"

n=0
for f in policies/examples/*.conf; do
	n=$((n + 1))
	rw_run "$BINARY" check -c "$f"
	rw_check "check -c $f exits 0" test "$RW_RC" -eq 0
	rw_check "it prints \"$f: OK\"" test "$(cat "$RW_TMP/out")" = "$f: OK"
done
rw_check "there are example policies to check" test "$n" -gt 0

# usage errors are EX_USAGE, not EX_CONFIG
rw_run "$BINARY" check
rw_check "check without -c exits 64 (EX_USAGE)" test "$RW_RC" -eq 64
rw_check "and says how to call it" grep -q "usage: relaywarden check -c FILE" "$RW_TMP/err"
rw_done

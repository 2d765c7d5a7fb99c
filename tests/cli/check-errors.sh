#!/usr/bin/env bash
# relaywarden check on broken policies (tests/config/NAME.conf): exit 78
# (EX_CONFIG), nothing on stdout, and on stderr exactly the lines of
# tests/config/NAME.expected - one "FILE:LINE: KEY: problem" per error.
# open-relay.conf is valid: exit 0 with the OPEN RELAY warning.
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init

same_as() { diff -u "$1" "$RW_TMP/err" >"$RW_TMP/diff" || { sed 's/^/#    /' "$RW_TMP/diff"; return 1; }; }

n=0
for f in tests/config/*.conf; do
	name=$(basename "$f" .conf)
	case $name in directory | open-relay) continue ;; esac
	n=$((n + 1))
	expected=tests/config/$name.expected
	rw_check "$name: golden file $expected exists" test -f "$expected"
	rw_run "$BINARY" check -c "$f"
	rw_check "$name: check exits 78 (EX_CONFIG)" test "$RW_RC" -eq 78
	rw_check "$name: nothing on stdout" test ! -s "$RW_TMP/out"
	rw_check "$name: stderr is exactly $expected" same_as "$expected"
done
rw_check "broken fixtures were found" test "$n" -ge 7

# The OPEN RELAY warning: valid, loud, exit 0.
rw_run "$BINARY" check -c tests/config/open-relay.conf
rw_check "open-relay: check exits 0" test "$RW_RC" -eq 0
rw_check "open-relay: stdout says OK" \
	test "$(cat "$RW_TMP/out")" = "tests/config/open-relay.conf: OK"
rw_check "open-relay: stderr is exactly tests/config/open-relay.expected" \
	same_as tests/config/open-relay.expected

# A file that is not there.
rw_run "$BINARY" check -c tests/config/no-such-file.conf
rw_check "missing file: check exits 78" test "$RW_RC" -eq 78
rw_check "missing file: says it cannot read it" \
	test "$(cat "$RW_TMP/err")" = "tests/config/no-such-file.conf: cannot read the policy file"

# The milter itself refuses to start on a broken policy, with the same lines.
rw_run timeout 10 "$BINARY" -f -c tests/config/reply-tempfail-code.conf -p "unix:$RW_TMP/never.sock"
rw_check "the milter refuses a broken policy: exit 78" test "$RW_RC" -eq 78
rw_check "and logs the FILE:LINE: KEY: problem line" grep -qF \
	"$(cat tests/config/reply-tempfail-code.expected)" "$RW_TMP/err"
rw_check "and never opened its socket" test ! -e "$RW_TMP/never.sock"
rw_done

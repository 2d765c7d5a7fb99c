#!/usr/bin/env bash
# bench/soak.sh BUILD [SECONDS] - run relaywarden under steady mixed load
# (bench/mload: authenticated hits, relay refusals, header checks; against
# the file directory) for SECONDS (default 600; hours if asked), reloading
# the policy every 30 s, and print its RSS and open fds every 10 s, then
# the least-squares slope of each. A leak shows as a steady positive slope.
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
SECS=${2:-600}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=$(mktemp -d "${TMPDIR:-/tmp}/rw-soak.XXXXXX")
PID='' LOAD=''
cleanup() {
	[ -n "$LOAD" ] && kill "$LOAD" 2>/dev/null
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
sed "s#\"../directory.conf\"#\"$TOP/policies/directory.conf\"#" \
	"$TOP/policies/examples/verify-sender.conf" >"$DIR/policy.conf"
"$BUILD/relaywarden" -f -c "$DIR/policy.conf" -p "unix:$DIR/m.sock" 2>/dev/null &
PID=$!
for ((i = 0; i < 100; i++)); do [ -S "$DIR/m.sock" ] && break; sleep 0.05; done
(
	while :; do
		for mix in hit relay header; do
			"$BUILD/bench/mload" -s "unix:$DIR/m.sock" -c 8 -n 5000 -k 20 -m "$mix" >/dev/null ||
				true
		done
	done
) &
LOAD=$!
echo "seconds rss_kib fds"
start=$(date +%s)
: >"$DIR/samples"
while :; do
	now=$(($(date +%s) - start))
	rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$PID/status")
	fds=$(find "/proc/$PID/fd" -mindepth 1 | wc -l)
	echo "$now $rss $fds" | tee -a "$DIR/samples"
	[ "$now" -ge "$SECS" ] && break
	[ $((now % 30)) -lt 10 ] && [ "$now" -gt 0 ] && kill -USR1 "$PID"
	sleep 10
done
# Slopes over the second half (after warm-up), per minute.
awk -v half=$((SECS / 2)) '$1 >= half { n++; sx += $1; sy += $2; sz += $3; sxx += $1 * $1;
	sxy += $1 * $2; sxz += $1 * $3 }
	END { d = n * sxx - sx * sx; if (d == 0) { print "too few samples"; exit }
	printf "slope over the second half: RSS %+.1f KiB/min, fds %+.2f /min (%d samples)\n",
	60 * (n * sxy - sx * sy) / d, 60 * (n * sxz - sx * sz) / d, n }' "$DIR/samples"
kill -0 "$PID" || { echo "relaywarden died"; exit 1; }

#!/usr/bin/env bash
# relaywarden explain and the rate limits (issue 19): each limit's counts
# are shown, the recipient that would go over gets the limit's 451 (exit
# 2) exactly as the milter would answer it - explain adds its own earlier
# recipients, since it counts nothing - and explain never counts: the same
# question asked twice answers the same.
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init

P=$RW_TMP/rate.conf
cp tests/milter/policies/directory.conf "$RW_TMP/"
cat >"$P" <<'CONF'
local_domains = [ "acme.com" ];
relay = { deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
directory = { backend = "file"; file = "directory.conf"; };
rate_limits = (
  { name = "per-login"; key = "login"; messages = 10; recipients = 2; per = 3600; },
  { name = "per-client"; key = "client"; messages = 50; per = 60; exempt_hosts = [ "192.0.2.99" ]; }
);
CONF
out_has() { grep -qF -- "$1" "$RW_TMP/out"; }
LIMITED='  => 451 4.7.1 Rate limit exceeded, try again later'

for round in 1 2; do
	rw_run "$BINARY" explain -c "$P" --client 192.0.2.20 --auth jdoe --from john.doe@acme.com \
		--rcpt a@other.example --rcpt b@other.example --rcpt c@other.example
	rw_check "round $round: exit 2 (the third recipient is deferred)" test "$RW_RC" -eq 2
	rw_check "round $round: the first recipient's counts" out_has \
		"rate limit per-login: login:jdoe has messages=0/10 recipients=0/2 in 3600 s (memory)"
	rw_check "round $round: per-client is checked beside it" out_has \
		"rate limit per-client: client:192.0.2.20 has messages=0/50 in 60 s (memory)"
	rw_check "round $round: the third would go over" out_has \
		"rate limit per-login: login:jdoe has messages=0/10 recipients=0/2 in 3600 s (memory), + 3 recipient(s) of this message: goes over"
	rw_check "round $round: => the limit's reply" out_has "$LIMITED"
	rw_check "round $round: the log line names the limit" out_has \
		'rule=rate_limit client=unknown[192.0.2.20] auth=jdoe from=<john.doe@acme.com> rcpt=<c@other.example> reason="rate limit exceeded" reply="451 4.7.1 Rate limit exceeded, try again later"'
done

rw_run "$BINARY" explain -c "$P" --client 192.0.2.99 --from someone@other.example --rcpt jd@acme.com
rw_check "no login, exempt host: accepted" test "$RW_RC" -eq 0
rw_check "no login: per-login does not apply" out_has "rate limit per-login: no login, does not apply"
rw_check "192.0.2.99 is exempt from per-client" out_has \
	"rate limit per-client: client 192.0.2.99 is exempt"
rw_done

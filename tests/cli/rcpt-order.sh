#!/usr/bin/env bash
# The order at RCPT (issue 13's must-show): every cheap check before the
# directory. With recipients.verify_local on, recipients.deny naming
# john.doe@acme.com and an LDAP server nobody answers, that recipient gets
# recipients.deny's own 550 and no LDAP search is made; a recipient the
# lists let through is looked up, and the outage defers it (451 4.7.1).
set -euo pipefail
BINARY=${1:?usage: $0 BINARY}
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
. tests/lib/milter.sh
rw_init
cat >"$RW_TMP/p.conf" <<'CONF'
local_domains = [ "acme.com" ];
relay = { deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
recipients = { verify_local = true; deny = [ "john.doe@acme.com" ]; };
directory = { backend = "ldap"; ldap = { uris = [ "ldap://127.0.0.1:1/" ];
  base = "dc=acme,dc=com"; timeout = 2; }; };
CONF
rw_run "$BINARY" explain -c "$RW_TMP/p.conf" --client 192.0.2.7 --from a@example.org \
	--rcpt john.doe@acme.com
rw_check "recipients.deny refuses with its own 550 (exit 1)" \
	sh -c "test $RW_RC -eq 1 && grep -qxF '  => 550 5.7.1 Recipient rejected for policy reasons.' '$RW_TMP/out'"
rw_check "explain shows no directory step" sh -c "! grep -q 'directory: recipient' '$RW_TMP/out'"
rw_check "and counts no LDAP search, no failure" \
	grep -qx 'directory: 0 LDAP search(es), 0 cache hit(s), 0 miss(es), 0 failure(s)' "$RW_TMP/out"
rw_run "$BINARY" explain -c "$RW_TMP/p.conf" --client 192.0.2.7 --from a@example.org \
	--rcpt alice.smith@acme.com
rw_check "a recipient the lists let through is looked up: 451 4.7.1 (exit 2)" \
	sh -c "test $RW_RC -eq 2 && grep -qxF '  => 451 4.7.1 Directory unavailable, try again later' '$RW_TMP/out'"
rw_check "after its directory step" grep -q 'directory: recipient alice.smith@acme.com: unavailable' "$RW_TMP/out"
rw_done

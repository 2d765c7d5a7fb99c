#!/usr/bin/env bash
# t-postfix-smtputf8.sh - IDN end to end (issue 14): a private Postfix with
# smtputf8_enable = yes, an SMTPUTF8 client (tests/e2e/lib/smtputf8.py:
# Debian's swaks has no SMTPUTF8 option) sending U-label domains in MAIL and
# RCPT, relaywarden with local_domains written as the A-label. A local
# recipient in U-label form is delivered; the protected local sender in
# U-label form (unauthenticated) is refused; a domain that is not IDNA2008
# is refused as a malformed address at MAIL and at RCPT, nothing delivered.
# smtp-sink does not offer SMTPUTF8 (Postfix would bounce with 5.6.7), so
# this Postfix delivers the local domain itself, with virtual(8) into one
# maildir; anything it would relay goes to smtp-sink as in t-postfix.sh.
# Usage: tests/e2e/t-postfix-smtputf8.sh [path/to/relaywarden]
set -u
# shellcheck source=lib/e2e.sh
. "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/postfix.sh
. "$(dirname "$0")/lib/postfix.sh"
e2e_init postfix-smtputf8 "${1:-}"
e2e_cleanup_hook() { pf_stop; }

U='bücher.example'
A='xn--bcher-kva.example'
PROTECT='550 5.7.1 Sender address rejected: authentication required'
BAD_MAIL='553 5.1.7 Sender address rejected: malformed address'
BAD_RCPT='553 5.1.3 Recipient address rejected: malformed address'
RELAY='554 5.7.1 Relay rejected for policy reasons.'

# e2e_refused / e2e_delivered run e2e_swaks DESC --from FROM --to RCPTS:
# here it is one SMTPUTF8 transaction, its transcript where they read swaks'.
e2e_swaks() {
	local from='' to=''
	shift
	while [ $# -gt 1 ]; do
		case $1 in --from) from=$2 ;; --to) to=$2 ;; esac
		shift 2
	done
	python3 "$E2E_LIB_DIR/smtputf8.py" "$E2E_MTA_PORT" "$from" "$to" >"$E2E_DIR/swaks.out" 2>&1
	return 0
}

sink_start "$E2E_DIR" || exit 1
MBOX=$E2E_DIR/vmail/box
mkdir -p "$E2E_DIR/vmail"
chown postfix:postfix "$E2E_DIR/vmail"
PF_EXTRA_CF="smtputf8_enable = yes
virtual_mailbox_domains = $A, $U
virtual_mailbox_base = $E2E_DIR/vmail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:$(id -u postfix)
virtual_gid_maps = static:$(id -g postfix)" \
PF_EXTRA_MASTER='virtual   unix  -       n       n       -       -       virtual' \
	pf_start "$E2E_DIR/postfix" "inet:127.0.0.1:$E2E_MILTER_PORT" "$SINK_PORT" || exit 1
E2E_MTA_PORT=$PF_PORT

cat >"$E2E_DIR/directory.conf" <<'CONF'
users = ( { login = "jorg"; addresses = [ "jörg@xn--bcher-kva.example" ]; } );
CONF
cat >"$E2E_DIR/idn.conf" <<CONF
milter = { socket = "inet:1@127.0.0.1"; };
config_update_interval = 0;
local_domains = [ "$A" ];
internal_networks = [ "127.0.0.2/32" ];
protect_local_senders = true;
relay = { enforce = "external"; deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
directory = { backend = "file"; file = "directory.conf"; };
CONF
e2e_policy "$E2E_DIR/idn.conf"
e2e_milter_start || exit 1
python3 "$E2E_LIB_DIR/smtputf8.py" "$E2E_MTA_PORT" x@example.org y@example.org >"$E2E_DIR/probe.out" 2>&1
e2e_check "Postfix offers SMTPUTF8" grep -qx '<-  250.SMTPUTF8' "$E2E_DIR/probe.out"

# delivered DESC RCPT: accepted after DATA, and one more message in the
# maildir, delivered to RCPT (Postfix's Delivered-To:).
NDELIVERED=0
_mbox_count() { find "$MBOX/new" -type f 2>/dev/null | wc -l; }
delivered() {
	local desc=$1 rcpt=$2 file
	e2e_swaks "$desc" --from sender@example.org --to "$rcpt"
	e2e_check "$desc: accepted after DATA" grep -qE '^<-  250 2\.0\.0 ' "$E2E_DIR/swaks.out"
	NDELIVERED=$((NDELIVERED + 1))
	e2e_check "$desc: delivered to the mailbox" wait_for 30 sh -c '[ "$(find "$1/new" -type f | wc -l)" -ge "$2" ]' sh "$MBOX" "$NDELIVERED"
	file=$(ls -t "$MBOX/new"/* 2>/dev/null | head -n 1)
	e2e_check "$desc: Delivered-To: $rcpt" grep -qixF "Delivered-To: $rcpt" "${file:-/dev/null}"
}

delivered "local recipient in U-label form (local_domains in A-label form)" "jörg@$U"
e2e_check "the milter judged it local, both forms logged" \
	grep -qF "decision=accept stage=rcpt rule=- client=localhost[127.0.0.1] auth=- from=<sender@example.org> rcpt=<j\\xc3\\xb6rg@b\\xc3\\xbccher.example> rcpt_domain=$A reason=\"local recipient\"" \
	"$E2E_RW_LOG"
delivered "local recipient in A-label form" "jörg@$A"
e2e_refused "protected local sender in U-label form, unauthenticated" "$PROTECT" \
	--from "ceo@$U" --to "jörg@$U"
e2e_refused "protected local sender in upper-case U-label form" "$PROTECT" \
	--from "ceo@BÜCHER.example" --to "jörg@$U"
e2e_refused "MAIL with a domain that is not IDNA2008 (full-width dot)" "$BAD_MAIL" \
	--from "ceo@bücher．example" --to "jörg@$U"
e2e_refused "MAIL with a malformed A-label" "$BAD_MAIL" \
	--from "x@xn--zz.example" --to "jörg@$U"
e2e_refused "RCPT with a domain that is not IDNA2008 (emoji)" "$BAD_RCPT" \
	--from "sender@example.org" --to "x@💩.example"
e2e_refused "RCPT to another U-label domain: a relay" "$RELAY" \
	--from "sender@example.org" --to "x@münchen.example"
e2e_check "nothing else delivered: the sink got nothing" _sink_exact
e2e_check "nothing else delivered: the mailbox holds $NDELIVERED" test "$(_mbox_count)" -eq "$NDELIVERED"
e2e_done

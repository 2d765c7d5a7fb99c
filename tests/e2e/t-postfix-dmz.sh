#!/usr/bin/env bash
# t-postfix-dmz.sh - seed 2's DMZ with two real private Postfix instances
# (issue 17): an edge Postfix (the "SMTP service device", no milter,
# sending from 127.0.0.3) relays everything to an inner Postfix with
# XFORWARD (smtp_send_xforward_command, smtpd_authorized_xforward_hosts);
# relaywarden on the inner one has trusted_relays = the edge. The
# relaywarden and main.cf settings are README's "Behind a DMZ relay" blocks
# (<!-- test: dmz-* --> markers), their documentation addresses replaced by
# loopback ones, so the recipe cannot drift from what is tested.
#   - a client denied by connection.deny_hosts (127.0.0.5) that connects to
#     the edge is refused by the inner relaywarden at end of headers, and
#     nothing reaches the sink;
#   - an allowed client (127.0.0.6) is delivered;
#   - a Received: line a client wrote itself, below the edge's, is ignored
#     either way;
#   - protect_local_senders judges the edge's client too.
# Usage: tests/e2e/t-postfix-dmz.sh [path/to/relaywarden]
set -u
# shellcheck source=lib/e2e.sh
. "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=lib/postfix.sh
. "$(dirname "$0")/lib/postfix.sh"
# shellcheck source=lib/postfix_debian.sh
. "$(dirname "$0")/lib/postfix_debian.sh"      # pfd_readme_block
e2e_init postfix-dmz "${1:-}"

EDGE_IP=127.0.0.3 DENIED_IP=127.0.0.5 ALLOWED_IP=127.0.0.6
INNER_DIR='' INNER_PID='' EDGE_DIR='' EDGE_PID=''
e2e_cleanup_hook() {
	PF_DIR=$EDGE_DIR PF_MASTER_PID=$EDGE_PID pf_stop
	PF_DIR=$INNER_DIR PF_MASTER_PID=$INNER_PID pf_stop
}
readme() { # NAME SED...: README's block NAME, each SED expression applied
	local name=$1 out
	shift
	out=$(pfd_readme_block "$name") || { e2e_check "README has the block $name" false; exit 1; }
	for expr in "$@"; do out=$(printf '%s\n' "$out" | sed "$expr"); done
	printf '%s\n' "$out"
}

DENIED='554 5.7.1 Connection refused for policy reasons.'
PROTECT='550 5.7.1 Sender address rejected: authentication required'

sink_start "$E2E_DIR" || exit 1
# the inner server: relaywarden's milter, XFORWARD from the edge allowed
PF_EXTRA_CF=$(readme dmz-inner-main.cf "s/192\.0\.2\.25/$EDGE_IP/") \
	pf_start "$E2E_DIR/inner" "inet:127.0.0.1:$E2E_MILTER_PORT" "$SINK_PORT" || exit 1
INNER_DIR=$PF_DIR INNER_PID=$PF_MASTER_PID INNER_PORT=$PF_PORT INNER_LOG=$PF_LOG
# the edge: no milter, its own name (the inner one would see a mail loop
# otherwise), sending from EDGE_IP, relayhost and XFORWARD from README
PF_EXTRA_CF="myhostname = dmz.acme.test
smtp_bind_address = $EDGE_IP
$(readme dmz-edge-main.cf "s/\[10\.20\.0\.5\]:25/[127.0.0.1]:$INNER_PORT/")" \
	pf_start "$E2E_DIR/edge" "" "$SINK_PORT" || exit 1
EDGE_DIR=$PF_DIR EDGE_PID=$PF_MASTER_PID EDGE_LOG=$PF_LOG
E2E_MTA_PORT=$PF_PORT
# settled means both queues are empty (PF_DIR is the edge's)
for d in incoming active deferred hold maildrop; do E2E_QUEUE_DIRS="${E2E_QUEUE_DIRS:-} $INNER_DIR/spool/$d"; done
e2e_check "the edge sends XFORWARD (postconf)" \
	test "$(postconf -c "$EDGE_DIR/etc" -h smtp_send_xforward_command)" = yes
e2e_check "the inner server accepts it from the edge" \
	test "$(postconf -c "$INNER_DIR/etc" -h smtpd_authorized_xforward_hosts)" = "$EDGE_IP"

cat >"$E2E_DIR/dmz.conf" <<CONF
local_domains = [ "acme.com" ];
internal_networks = [ "10.20.0.0/16" ];
relay = { enforce = "external"; deny_to_domains = [ "*" ]; deny_from_hosts = [ "*" ]; };
verify_sender = { headers = false; };
directory = { backend = "file"; file = "$E2E_TOP/policies/directory.conf"; };
config_update_interval = 0;
$(readme dmz-relaywarden.conf "s/192\.0\.2\.25/$EDGE_IP/" "s/\[198\.51\.100\.\*\]/$DENIED_IP/")
CONF
e2e_policy "$E2E_DIR/dmz.conf"
e2e_milter_start || exit 1

# One message through the edge that the inner relaywarden must refuse at end
# of headers: the edge accepts it (250), the inner milter writes its line,
# the edge logs the inner server's reply, and nothing reaches the sink.
refused_inside() { # DESC REPLY RULE CLIENT_IP SWAKS_ARGS...
	local desc=$1 want=$2 rule=$3 ip=$4 mark
	shift 4
	mark=$(log_mark "$E2E_RW_LOG")
	e2e_swaks "$desc" "$@"
	e2e_check "$desc: the edge accepts it" grep -qE '^<-  250 2\.0\.0 Ok: queued' "$E2E_DIR/swaks.out"
	local line="decision=reject stage=header rule=$rule client=[^ ]*\[$EDGE_IP\] .*reply=\"$want\" detail=\"received=[^ ]*\[${ip//./\\.}\]\""
	e2e_check "$desc: the inner relaywarden refuses at end of headers: $want" \
		wait_for 30 sh -c 'tail -c +"$(($2 + 1))" "$1" | grep -qE "$3"' sh "$E2E_RW_LOG" "$mark" "$line"
	e2e_check "$desc: the edge got the inner server's $want" \
		wait_for 30 grep -qF "said: $want (in reply to end of DATA command)" "$EDGE_LOG"
	e2e_check "$desc: nothing delivered" _sink_exact
}
# A message whose first header is a Received: line the client wrote itself,
# naming NAME [IP] - the edge puts its own above it.
forged_message() { # FILE NAME IP
	printf 'Received: from hub (%s [%s])\r\n\tby hub.acme.com (Postfix) with ESMTP id FORGED\r\nFrom: <someone@example.org>\r\nTo: <jd@acme.com>\r\nSubject: forged\r\n\r\nHello.\r\n' \
		"$2" "$3" >"$1"
}
forged_message "$E2E_DIR/forged-ok.eml" hub.acme.com 10.20.0.9
forged_message "$E2E_DIR/forged-denied.eml" unknown "$DENIED_IP"

refused_inside "a denied client through the edge" "$DENIED" deny_hosts "$DENIED_IP" \
	--local-interface "$DENIED_IP" --from '<>' --to jd@acme.com
# The edge's own bounce of that refusal (the sender is not null here) comes
# back to the inner server with no client in its Received: line: refused too.
refused_inside "a denied client with a sender" "$DENIED" deny_hosts "$DENIED_IP" \
	--local-interface "$DENIED_IP" --from bogus@example.org --to jd@acme.com
refused_inside "a denied client whose own Received: line (its first header) names an internal host" "$DENIED" \
	deny_hosts "$DENIED_IP" --local-interface "$DENIED_IP" --from '<>' --to jd@acme.com \
	--data "$E2E_DIR/forged-ok.eml"
e2e_delivered "an allowed client through the edge" "jd@acme.com" \
	--local-interface "$ALLOWED_IP" --from someone@example.org --to jd@acme.com
e2e_check "delivered: the sink's copy carries both Received: lines (edge, inner)" \
	test "$(grep -c '^Received: from ' "$(sink_last)")" -ge 2
e2e_delivered "an allowed client whose own Received: line (its first header) names a denied host" "jd@acme.com" \
	--local-interface "$ALLOWED_IP" --from someone@example.org --to jd@acme.com \
	--data "$E2E_DIR/forged-denied.eml"
E2E_FORGED_COPY=$(sink_last)
refused_inside "protect_local_senders: the edge's external client may not claim acme.com" \
	"$PROTECT" protect_local_senders "$ALLOWED_IP" \
	--local-interface "$ALLOWED_IP" --from john.doe@acme.com --to jd@acme.com
# The edge bounced that refusal to john.doe@acme.com, an inner user: its own
# message names no client in a Received: line of its own, so it is refused.
e2e_check "the edge's own bounce to a local user: no client line, refused as unparsable" \
	grep -qE 'decision=reject stage=header rule=trusted_relay client=[^ ]*\[127\.0\.0\.3\] auth=- from=<> reason="unparsable Received header from a trusted relay" reply="550 5\.7\.1 Message rejected: unparsable Received header from trusted relay" detail="received=1"$' \
	"$E2E_RW_LOG"
# Without XFORWARD (a relay that only writes its Received: line): a session
# straight to the inner server from the edge's address, carrying the line a
# relay would write. Postfix does not show the milter the Received: line it
# adds itself, so the relay's is the first the milter sees.
E2E_MTA_PORT=$INNER_PORT
RELAY_LINE=$'Received: from client.example (unknown ['"$DENIED_IP"$'])\r\n\tby dmz.acme.test (Postfix) with ESMTP id 4RELAY'
mark=$(log_mark "$E2E_RW_LOG")
e2e_refused "no XFORWARD: the relay's own line names a denied client" "$DENIED" \
	--local-interface "$EDGE_IP" --from '<>' --to jd@acme.com --add-header "$RELAY_LINE"
e2e_check "no XFORWARD: judged on the relay's line, the first the milter sees" \
	sh -c 'tail -c +"$(($2 + 1))" "$1" | grep -qE "$3"' sh "$E2E_RW_LOG" "$mark" \
	"rule=deny_hosts client=[^ ]*\[${EDGE_IP//./\\.}\] .*detail=\"received=unknown\[${DENIED_IP//./\\.}\]\""
e2e_delivered "no XFORWARD: the relay's own line names an allowed client" "jd@acme.com" \
	--local-interface "$EDGE_IP" --from '<>' --to jd@acme.com \
	--add-header "${RELAY_LINE//$DENIED_IP/$ALLOWED_IP}"
e2e_check "the sink's copy: the edge's line above the client's own" \
	sh -c 'grep "^Received: from " "$1" | tail -n 2 | head -n 1 | grep -q "\[$2\]"; \
	  grep "^Received: from " "$1" | tail -n 1 | grep -q "\[$3\]"' sh "$E2E_FORGED_COPY" "$ALLOWED_IP" "$DENIED_IP"
# Measured for README: with XFORWARD the inner Postfix still names the edge
# in its own Received: line (only its log has orig_client=).
e2e_check "the inner Postfix's own Received: line names the edge, XFORWARD or not" \
	sh -c 'grep -B1 "^	by mx\.acme\.test (Postfix)" "$1" | grep -q "^Received: from dmz\.acme\.test (unknown \[$2\])"' \
	sh "$E2E_FORGED_COPY" "$EDGE_IP"
e2e_check "the inner Postfix logs the forwarded client (orig_client=)" \
	grep -qF "orig_client=unknown[$ALLOWED_IP]" "$INNER_LOG"
e2e_done

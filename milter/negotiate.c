/*
 * negotiate.c - the steps and macros a policy needs (see negotiate.h).
 *
 * Macros, by what session.c and the log lines read:
 *   connect  {daemon_name}, only when profiles exist (it picks one);
 *            the client's name and address are xxfi_connect's arguments
 *   MAIL     {auth_authen} (every decision of an authenticated session)
 *            and i (Sendmail's queue id is known at MAIL)
 *   RCPT     i (Postfix's queue id reaches RCPT from the second one on)
 *   EOH      i (Postfix's queue id, for the header decision's line)
 *   EOM      i only when there is no EOH (no header wanted); the queue id
 *            seen at EOH stays for EOM
 *   HELO, DATA: none. Each stage with macros costs Sendmail one macro
 *            packet written on its own, then a stall (bench/STALL.md).
 *
 * DATA, besides over inet:, where relaywarden can accept a message there
 * (callbacks.c): the headers or the body are wanted, and not by every
 * message. The "message received" line (info) and a size limit in every
 * profile want every message whole; then DATA is only a round trip more.
 *
 * CONNECT without a reply over unix: when no profile has a connection
 * control to refuse with. Over inet: never: Postfix would write the
 * connect on its own and its next write (MAIL) would wait for the delayed
 * ACK, as DATA's macros did.
 */
#include <string.h>

#include "negotiate.h"
#include "controls.h"
#include "host_set.h"

/* A trusted relay's client is named in the topmost Received: and judged at
 * end of headers (session.c). */
static bool
profile_needs_headers(const struct policy *p)
{
	return p->verify_sender.headers || p->sender.max_message_size > 0 ||
	    host_set_count(p->trusted_relays) > 0;
}

void
negotiate_plan(const struct policy *p, struct negotiate_plan *out)
{
	/* "message received ... size= msgid=" needs both, at info */
	bool logged = p->log_level >= LOG_LEVEL_INFO;
	bool headers = profile_needs_headers(p), body = p->sender.max_message_size > 0;
	bool sized_everywhere = body, connect_refuses = controls_connect_may_refuse(p);

	for (size_t i = 0; i < p->nprofiles; i++) {
		connect_refuses = connect_refuses || controls_connect_may_refuse(p->profiles[i]);
		headers = headers || profile_needs_headers(p->profiles[i]);
		body = body || p->profiles[i]->sender.max_message_size > 0;
		sized_everywhere = sized_everywhere && p->profiles[i]->sender.max_message_size > 0;
	}
	bool whole_always = logged || sized_everywhere;
	/* the socket is fixed at start: milter.socket as -p or reload keeps it */
	bool inet = p->milter_socket != NULL && strncmp(p->milter_socket, "inet", 4) == 0;
	out->connect_reply = inet || connect_refuses;
	out->data = inet || ((headers || body) && !whole_always);
	out->headers = headers || logged;
	out->body = body || logged;
	out->macros[NEGOTIATE_CONNECT] = p->nprofiles > 0 ? "{daemon_name}" : "";
	out->macros[NEGOTIATE_HELO] = "";
	out->macros[NEGOTIATE_MAIL] = "i {auth_authen}";
	out->macros[NEGOTIATE_RCPT] = "i";
	out->macros[NEGOTIATE_DATA] = "";
	out->macros[NEGOTIATE_EOH] = "i";
	out->macros[NEGOTIATE_EOM] = out->headers ? "" : "i";
}

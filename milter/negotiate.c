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
 */
#include <string.h>

#include "negotiate.h"
#include "netmatch.h"

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

	for (size_t i = 0; i < p->nprofiles; i++) {
		headers = headers || profile_needs_headers(p->profiles[i]);
		body = body || p->profiles[i]->sender.max_message_size > 0;
	}
	/* the socket is fixed at start: milter.socket as -p or reload keeps it */
	out->data = p->milter_socket != NULL && strncmp(p->milter_socket, "inet", 4) == 0;
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

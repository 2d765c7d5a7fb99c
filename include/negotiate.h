/*
 * negotiate.h - what relaywarden asks the MTA to send: the steps and the
 * macros the loaded policy needs, decided once per connection from the
 * policy current at connection start (the union over its profiles, since
 * {daemon_name} arrives after negotiation). Pure: callbacks.c turns the
 * plan into SMFIP_* flags and smfi_setsymlist calls.
 *
 * Over inet: the plan never asks for a step without a reply that the MTA
 * would send as a write of its own before another small write: that is
 * the Nagle and delayed-ACK stall of bench/STALL.md. So DATA is asked for
 * (with a reply) on an inet: socket, and "no reply" is chosen only for
 * headers and body chunks, which Postfix buffers until the next step that
 * expects a reply. A unix: socket has neither Nagle nor delayed ACKs:
 * there DATA is asked for only where it can spare the rest of a message:
 * when the headers or the body are wanted, but not for every message
 * (e.g. only an authenticated sender's From: is checked), relaywarden
 * accepts at DATA a message it needs no more of (callbacks.c), and the MTA
 * sends it neither headers nor end of message. Likewise CONNECT goes
 * without a reply on a unix: socket when no profile can refuse there.
 */
#ifndef RW_NEGOTIATE_H
#define RW_NEGOTIATE_H

#include <stdbool.h>

#include "policy.h"

/* The milter protocol's macro stages, in SMFIM_* order. */
enum negotiate_stage {
	NEGOTIATE_CONNECT, NEGOTIATE_HELO, NEGOTIATE_MAIL, NEGOTIATE_RCPT,
	NEGOTIATE_DATA, NEGOTIATE_EOM, NEGOTIATE_EOH, NEGOTIATE_STAGES
};

struct negotiate_plan {
	bool connect_reply;    /* a reply to CONNECT: milter.socket is inet:, or some
	                        * profile may refuse there (connection controls) */
	bool data;             /* DATA, with a reply: milter.socket is inet: or inet6:,
	                        * or some message may not need what follows */
	bool headers;          /* header values and end of headers (verify_sender.headers,
	                        * the size, msgid=); without, neither is sent */
	bool body;             /* body chunks (sender.max_message_size, size=) */
	const char *macros[NEGOTIATE_STAGES];   /* space-separated; "" asks for none */
};

void negotiate_plan(const struct policy *p, struct negotiate_plan *out);

#endif

/*
 * session.h - one SMTP connection's state and the steps of a transaction.
 *
 * A session owns the client facts, the session-wide relay verdict, the
 * SMTP AUTH login (kept from MAIL for the rest of the connection), the
 * refusal count and the current message. Each step parses what the MTA
 * sent, asks the directory when the policy needs it, calls the pure policy
 * and applies error_limit/report_only. It never touches libmilter, so the
 * milter callbacks and `relaywarden explain` share every line of it.
 * A session is used by one thread at a time (libmilter serialises a
 * connection's callbacks); it does not own its policy reference.
 */
#ifndef RW_SESSION_H
#define RW_SESSION_H

#include "address.h"
#include "controls.h"
#include "policy.h"

#define MESSAGE_ID_MAX 256

struct message {
	char qid[32];                   /* Postfix/Sendmail {i}; "NOQUEUE" until known */
	struct address from;
	char from_text[ADDRESS_TEXT_MAX];
	char would_reject[128];         /* rules refused under report_only, comma-separated */
	bool looked_up;                 /* the directory was asked about auth for this message */
	enum lookup_result lookup;
	struct dir_user *user;          /* when lookup == LOOKUP_FOUND; released at reset */
	char lookup_why[256];
	unsigned nfrom, nsender;
	unsigned accepted;              /* recipients continued so far */
	bool rate_counted;              /* the rate limits counted this message already */
	unsigned long long size;        /* header and body bytes counted so far */
	char *from_header;              /* first From: value, NULL if none */
	char *sender_header;            /* first Sender: value, NULL if none */
	char message_id[MESSAGE_ID_MAX]; /* first Message-ID:, for the received line */
	/* From a trusted relay: the topmost Received: value, how many there
	 * were, and the client judged at end of headers. */
	char *received;
	unsigned nreceived;
	struct client_facts relayed;    /* has_ip once judged */
};

struct session {
	const struct policy *snapshot;  /* as acquired (the base policy) */
	const struct policy *policy;    /* the profile for {daemon_name}, or the base */
	struct client_facts client;
	bool hostname_checked;          /* verify_hostname asked the DNS once */
	enum dns_answer hostname;
	char hostname_why[256];
	char dnsbl_tags[256];           /* "tag" zones listing the client */
	char connect_would_reject[64];  /* report_only: the rule CONNECT would have refused by */
	struct relay_state relay;
	char *auth;                     /* {auth_authen}, whole; NULL when not authenticated */
	unsigned errors;                /* refusals so far, for error_limit */
	bool rate_peek;                 /* explain: rate limits are read, never counted */
	struct message msg;
};

struct session *session_new(const struct policy *p);
void session_free(struct session *s);

/* hostname as xxfi_connect gives it ("unknown" and "[a.b.c.d]" mean no
 * verified name); ip may be NULL; daemon_name may be NULL (it picks the
 * profile); sessions counts live sessions including this one. Judges the
 * connection controls and the DNS lists (DESIGN §3 CONNECT). */
void session_connect(struct session *s, const char *hostname, const char *ip,
    const char *daemon_name, unsigned sessions, struct decision *d, const struct trace *t);
/* qid may be NULL; keeps the last one seen. */
void session_set_qid(struct session *s, const char *qid);
/* auth may be NULL or "" (keeps an earlier login); args are the ESMTP
 * parameters after the address (NULL-terminated, may be NULL). Starts a
 * new message. */
void session_mail(struct session *s, const char *auth, const char *from,
    const char *const *args, struct decision *d, const struct trace *t);
void session_rcpt(struct session *s, const char *rcpt, struct decision *d,
    const struct trace *t);
/* Records one header (only From:, Sender:, Message-ID: and, from a
 * trusted relay, the topmost Received: are kept). */
void session_header(struct session *s, const char *name, const char *value);
/* End of headers: for a session from a trusted relay the connection
 * controls and protect_local_senders on the client its Received: line
 * names; then verify the originator header (DESIGN §4). */
void session_eoh(struct session *s, struct decision *d, const struct trace *t);
/* Counts a body chunk towards the message size. */
void session_body(struct session *s, size_t len);
/* End of message: the counted size against max_message_size. */
void session_eom(struct session *s, struct decision *d, const struct trace *t);
void session_message_reset(struct session *s);
/* Whether the rest of the message still matters to the policy, so the MTA
 * must go on sending it: after DATA, the headers (a check of the From: of
 * an authenticated sender, a trusted relay's Received:) or anything at end
 * of message; after end of headers, the end of message (the size limit, a
 * header to add: a "tag" DNS listing, a report_only would-reject). The
 * "message received" line (info) is the caller's to add. */
bool session_needs_headers(const struct session *s);
bool session_needs_end(const struct session *s);

/* The text of d's reply as the client sees it (%s, %a, %z expanded). */
void session_reply_text(const struct session *s, const struct decision *d, char *buf,
    size_t len);
/* session_log.c: the log lines. */
/* Logs (and returns in buf, if non-NULL) the one key=value line for d. */
void session_log_decision(struct session *s, const char *stage, const char *rcpt,
    const struct decision *d, char *buf, size_t len);
/* "QID: message received client=... auth=... from=<...> nrcpt=N size=N
 * msgid=\"...\"", at info, when the milter lets a message through. */
void session_log_received(const struct session *s);
/* "QID: authenticated auth=... client=...", at info, once per login. */
void session_log_authenticated(const struct session *s);

#endif

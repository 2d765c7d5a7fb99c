/*
 * callbacks.c - translates libmilter events into session steps.
 *
 * Each cb_* gets the session from the private pointer (tempfail if it is
 * missing where it must exist), reads the few macros it needs, calls one
 * session step, logs the decision line and maps the decision to SMFIS_*
 * with the exact reply. No parsing, lookup or policy logic lives here.
 * libmilter may run one connection's callbacks on different threads, so
 * all state is behind smfi_setpriv.
 *
 * cb_negotiate picks the policy snapshot of the whole connection and asks
 * the MTA for what that policy needs (negotiate.c); the session is made
 * there, so a reload between negotiation and connect cannot judge the
 * connection by a policy it did not negotiate for. A reload later starts
 * new connections on the new policy; this one keeps its snapshot.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "callbacks.h"
#include "log.h"
#include "negotiate.h"
#include "session.h"
#include "snapshot.h"
#include "stats.h"
#include "xalloc.h"

/* libmilter treats '%' in reply text as a format character. */
static void
double_percent(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 2 < len; in++) {
		out[o++] = *in;
		if (*in == '%')
			out[o++] = '%';
	}
	out[o] = '\0';
}

/* Counts the decision of stage (every one, for the metrics) and answers
 * the MTA with it. */
static sfsistat
respond(SMFICTX *ctx, struct session *s, const char *stage, const struct decision *d)
{
	char text[REPLY_TEXT_MAX * 2], expanded[REPLY_TEXT_MAX * 2];

	stats_decision(stage, d);
	if (d->action == DECISION_CONTINUE)
		return SMFIS_CONTINUE;
	session_reply_text(s, d, expanded, sizeof(expanded));
	double_percent(expanded, text, sizeof(text));
	if (smfi_setreply(ctx, (char *)d->reply->code, (char *)d->reply->xcode, text) != MI_SUCCESS)
		log_err("%s: smfi_setreply refused \"%s %s %s\"; the MTA sends its default text",
		    s->msg.qid, d->reply->code, d->reply->xcode, text);
	return d->action == DECISION_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

static sfsistat
internal_error(SMFICTX *ctx, const char *where)
{
	log_err("NOQUEUE: %s without a session (connect was not seen); deferring", where);
	smfi_setreply(ctx, "451", "4.3.0", "Internal error in relaywarden, try again later");
	return SMFIS_TEMPFAIL;
}

static const char *
addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	if (sa == NULL)
		return NULL;
	if (sa->sa_family == AF_INET)
		return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
		    (socklen_t)len);
	if (sa->sa_family == AF_INET6)
		return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
		    (socklen_t)len);
	return NULL;
}

/* What smfi_setpriv holds: the session, and the steps negotiated without
 * a reply (their callbacks must say SMFIS_NOREPLY: libmilter logs every
 * other answer there as an error, one syslog call per header). */
struct conn {
	struct session *s;
	bool header_noreply, body_noreply, connect_noreply;
	bool holding;                   /* held: a refusal CONNECT could not reply */
	struct decision held;
};

static struct session *
session_of(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	return c != NULL ? c->s : NULL;
}

/* The connection's session on the current snapshot, counted live. */
static struct conn *
open_session(SMFICTX *ctx)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->s = session_new(snapshot_acquire());
	stats_session_opened();
	smfi_setpriv(ctx, c);
	return c;
}

_Static_assert(NEGOTIATE_CONNECT == SMFIM_CONNECT && NEGOTIATE_HELO == SMFIM_HELO &&
    NEGOTIATE_MAIL == SMFIM_ENVFROM && NEGOTIATE_RCPT == SMFIM_ENVRCPT &&
    NEGOTIATE_DATA == SMFIM_DATA && NEGOTIATE_EOM == SMFIM_EOM && NEGOTIATE_EOH == SMFIM_EOH,
    "negotiate.h stages follow SMFIM_*");

/*
 * Never HELO or unknown commands; DATA with a reply over inet: (without it
 * the MTA writes the DATA macros on their own and the first header waits
 * for a delayed ACK) and wherever accepting at DATA can spare a message's
 * rest (negotiate.h); headers and body without a reply to each (Postfix
 * then writes them with the end of headers or of message, in one packet)
 * or not at all (no headers: no end of headers either, one round trip
 * less). Only flags the MTA offered.
 */
static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1, unsigned long *pf2,
    unsigned long *pf3)
{
	struct conn *c = smfi_getpriv(ctx);
	struct negotiate_plan plan;
	unsigned long want = SMFIP_NOHELO | SMFIP_NOUNKNOWN;

	(void)f2, (void)f3;
	if (c == NULL)
		c = open_session(ctx);
	negotiate_plan(c->s->snapshot, &plan);
	want |= plan.headers ? SMFIP_NR_HDR : SMFIP_NOHDRS | SMFIP_NOEOH;
	want |= plan.body ? SMFIP_NR_BODY : SMFIP_NOBODY;
	want |= plan.data ? 0 : SMFIP_NODATA;
	want |= plan.connect_reply ? 0 : SMFIP_NR_CONN;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_SETSYMLIST);
	*pf1 = f1 & want;
	*pf2 = *pf3 = 0;
	c->header_noreply = (*pf1 & SMFIP_NR_HDR) != 0;
	c->body_noreply = (*pf1 & SMFIP_NR_BODY) != 0;
	c->connect_noreply = (*pf1 & SMFIP_NR_CONN) != 0;
	log_debug("NOQUEUE: negotiate: offered actions=0x%lx steps=0x%lx; "
	    "chose actions=0x%lx steps=0x%lx", f0, f1, *pf0, *pf1);
	if (*pf0 & SMFIF_SETSYMLIST)
		for (int i = 0; i < NEGOTIATE_STAGES; i++)
			if (smfi_setsymlist(ctx, i, (char *)plan.macros[i]) != MI_SUCCESS)
				log_err("NOQUEUE: smfi_setsymlist(%d, \"%s\") failed; the MTA sends "
				    "its default macros", i, plan.macros[i]);
	return SMFIS_CONTINUE;
}

/* Without a reply to CONNECT (negotiate.h: no profile has a connection
 * control) a refusal cannot happen there; should one all the same, it is
 * held and given at MAIL, never dropped. */
static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	char ip[64];
	struct conn *c = smfi_getpriv(ctx);
	struct decision d;

	if (c == NULL)          /* a client that did not negotiate */
		c = open_session(ctx);
	struct session *s = c->s;
	session_connect(s, hostname, addr_text(hostaddr, ip, sizeof(ip)),
	    smfi_getsymval(ctx, "{daemon_name}"), stats_sessions_live(), &d, NULL);
	if (d.action != DECISION_CONTINUE || d.rule != NULL || log_enabled(LOG_LEVEL_DEBUG))
		session_log_decision(s, "connect", NULL, &d, NULL, 0);
	if (!c->connect_noreply)
		return respond(ctx, s, "connect", &d);
	if (d.action != DECISION_CONTINUE) {
		log_err("NOQUEUE: a refusal at connect with no reply negotiated; it is given at MAIL");
		c->held = d;
		c->holding = true;
	}
	stats_decision("connect", &d);
	return SMFIS_NOREPLY;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = session_of(ctx);
	struct decision d;

	if (s == NULL)
		return internal_error(ctx, "MAIL");
	struct conn *c = smfi_getpriv(ctx);
	if (c->holding)
		return respond(ctx, s, "mail", &c->held);
	bool was_authenticated = s->auth != NULL;
	session_mail(s, smfi_getsymval(ctx, "{auth_authen}"), argv[0] ? argv[0] : "",
	    argv[0] ? (const char *const *)argv + 1 : NULL, &d, NULL);
	session_set_qid(s, smfi_getsymval(ctx, "i"));
	if (!was_authenticated && s->auth != NULL)
		session_log_authenticated(s);
	session_log_decision(s, "mail", NULL, &d, NULL, 0);
	return respond(ctx, s, "mail", &d);
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = session_of(ctx);
	struct decision d;
	const char *rcpt = argv[0] ? argv[0] : "";

	if (s == NULL)
		return internal_error(ctx, "RCPT");
	session_set_qid(s, smfi_getsymval(ctx, "i"));
	session_rcpt(s, rcpt, &d, NULL);
	session_log_decision(s, "rcpt", rcpt, &d, NULL, 0);
	return respond(ctx, s, "rcpt", &d);
}

/* Nothing later in this message can refuse it or be written: relaywarden
 * accepts it, and the MTA sends it no more of the message (Postfix and
 * Sendmail skip the milter until the next one). The message is counted as
 * cb_eom counts it. The "message received" line (info) needs the end. */
static bool
accept_now(struct session *s, bool at_data)
{
	struct decision d;

	if (log_enabled(LOG_LEVEL_INFO) ||
	    (at_data ? session_needs_headers(s) : session_needs_end(s)))
		return false;
	decision_init(&d);
	stats_decision("message", &d);
	session_message_reset(s);
	return true;
}

/* Over inet: asked for so that the MTA waits for a reply here (no stall);
 * over either socket, where accepting here spares the rest of a message
 * the policy may not need (cb_negotiate). */
static sfsistat
cb_data(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (s == NULL)
		return internal_error(ctx, "DATA");
	session_set_qid(s, smfi_getsymval(ctx, "i"));
	return accept_now(s, true) ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return internal_error(ctx, "header");
	session_header(c->s, name, value ? value : "");
	return c->header_noreply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);
	struct decision d;

	if (s == NULL)
		return internal_error(ctx, "end of headers");
	session_set_qid(s, smfi_getsymval(ctx, "i"));
	session_eoh(s, &d, NULL);
	/* a relayed client's DNS "log"/"tag" listing is logged as at CONNECT */
	if (d.action != DECISION_CONTINUE || d.would_reject || d.noteworthy ||
	    log_enabled(LOG_LEVEL_DEBUG) || (d.rule != NULL && s->client.via_relay))
		session_log_decision(s, "header", NULL, &d, NULL, 0);
	sfsistat r = respond(ctx, s, "header", &d);
	return r == SMFIS_CONTINUE && accept_now(s, false) ? SMFIS_ACCEPT : r;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);

	(void)chunk;
	if (c == NULL)
		return internal_error(ctx, "body");
	session_body(c->s, len);
	return c->body_noreply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* Marks a message from a client listed in a "tag" DNS blacklist. */
static void
add_dnsbl_header(SMFICTX *ctx, const struct session *s)
{
	char value[400];

	if (s->dnsbl_tags[0] == '\0')
		return;
	snprintf(value, sizeof(value), "%s listed at %s",
	    s->msg.relayed.has_ip ? s->msg.relayed.addr : s->client.addr, s->dnsbl_tags);
	if (smfi_addheader(ctx, "X-Relaywarden-DNSBL", value) != MI_SUCCESS)
		log_err("%s: could not add the X-Relaywarden-DNSBL header", s->msg.qid);
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);
	struct decision d;
	char value[160];

	if (s == NULL)
		return internal_error(ctx, "end of message");
	session_set_qid(s, smfi_getsymval(ctx, "i"));
	session_eom(s, &d, NULL);
	if (d.action != DECISION_CONTINUE || d.would_reject)
		session_log_decision(s, "message", NULL, &d, NULL, 0);
	if (d.action != DECISION_CONTINUE) {
		sfsistat r = respond(ctx, s, "message", &d);
		session_message_reset(s);
		return r;
	}
	stats_decision("message", &d);
	session_log_received(s);
	add_dnsbl_header(ctx, s);
	if (s->msg.would_reject[0] != '\0') {
		snprintf(value, sizeof(value), "would-reject rule=%s", s->msg.would_reject);
		if (smfi_addheader(ctx, "X-Relaywarden", value) != MI_SUCCESS)
			log_err("%s: could not add the X-Relaywarden header", s->msg.qid);
	}
	session_message_reset(s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (s != NULL)
		session_message_reset(s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	smfi_setpriv(ctx, NULL);
	stats_session_closed();
	snapshot_release(c->s->snapshot);
	session_free(c->s);
	free(c);
	return SMFIS_CONTINUE;
}

struct smfiDesc callbacks_desc = {
	.xxfi_name = "relaywarden",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_SETSYMLIST,
	.xxfi_connect = cb_connect,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_eoh = cb_eoh,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
	.xxfi_data = cb_data,
	.xxfi_negotiate = cb_negotiate,
};

/*
 * control.h - the control socket (control.socket = "unix:PATH"): what
 * `relaywarden ctl` talks to in the running milter.
 *
 * Protocol: the client sends one command line (at most CONTROL_LINE_MAX
 * bytes, within CONTROL_READ_SECONDS), the milter answers text lines and,
 * last, a status line: "ok", or "error N" with N the exit status the
 * client should end with (64 usage, 69 unavailable, 75 busy, 77 not
 * allowed, 78 policy refused). Then it closes the connection. Commands:
 * reload, stats, status, flush-cache [LOGIN].
 *
 * The socket is created by control_open on the main thread before the
 * privilege drop: mode 0600, owned by milter.user when the milter starts
 * as root and that is set, so only root and the service user may connect
 * (the peer's uid is checked again on every connection). Each connection
 * is served on a thread of its own (at most CONTROL_CLIENTS at once), so
 * a silent client never holds up the next one; no milter thread ever
 * waits for the control socket.
 */
#ifndef RW_CONTROL_H
#define RW_CONTROL_H

#include <stdio.h>

#include "policy.h"

#define CONTROL_LINE_MAX 512
#define CONTROL_READ_SECONDS 5
#define CONTROL_CLIENTS 8

/* Binds p->control_socket (nothing when it is unset or ""); refuses a
 * path a live milter answers on, replaces a stale socket. 0, or -1
 * (logged). */
int control_open(const struct policy *p);
/* Starts serving (after reload_start: `ctl reload` uses it). version is
 * the build's, for status. 0, or -1 (logged). */
int control_start(const char *version);
/* Stops accepting and removes the socket (at exit). */
void control_stop(void);

/* control_report.c: the text of `ctl stats` and `ctl status`. */
void control_report_stats(FILE *out);
void control_report_status(FILE *out, const char *version);

/* ctl_client.c: `relaywarden ctl ...`; ctl_top.c: `relaywarden ctl top`;
 * ctl_ask.c: ctl_client_ask. */
int ctl_client_main(int argc, char **argv);
/* Sends one command to the socket at path; *body (malloc'd, caller frees)
 * holds the answer's text lines, the result is the status (0 ok, else the
 * exit status the milter asked for, 69 when there is no answer, printed
 * why on stderr). */
int ctl_client_ask(const char *path, const char *command, char **body);
int ctl_top_main(const char *socket_path, int argc, char **argv);

#endif

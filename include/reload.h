/*
 * reload.h - SIGUSR1 and the mtime check (DESIGN §6).
 *
 * reload_block_signal must run in the main thread before any thread exists
 * (before smfi_main), so that SIGUSR1 reaches only the reload thread's
 * sigtimedwait and SIGTERM/SIGINT/SIGHUP only libmilter's signal thread.
 * The thread re-reads the policy on SIGUSR1, or when the policy file's or
 * the directory file's mtime changes (checked every
 * config_update_interval seconds of the running policy). A reload that
 * fails validation logs every error and keeps the running snapshot.
 * reload_client.c is the other end (`relaywarden reload`).
 */
#ifndef RW_RELOAD_H
#define RW_RELOAD_H

/* `relaywarden reload` asks with sigqueue(SIGUSR1, RELOAD_ASK); the reload
 * thread answers the asking pid with sigqueue(SIGUSR2, 0 reloaded / 1
 * refused). A plain `kill -USR1` gets no answer. */
#define RELOAD_ASK 0x52574c44    /* "RWLD" */

#include <stdio.h>

struct errlist;
struct policy;

void reload_block_signal(void);
/* socket_override: the -p value, control_socket the -C value, or NULL.
 * Returns 0, or -1 on failure to start the thread. */
int reload_start(const char *path, const char *socket_override, const char *control_socket);
/* Loads path and installs it; returns 0, or -1 keeping the old policy.
 * Every problem is logged. One reload at a time (a mutex). */
int reload_now(const char *path, const char *socket_override);
/* config_load, timed (*seconds), with every warning and error logged (and
 * left in errs): the start-up load and every reload. */
struct policy *reload_load(const char *path, struct errlist *errs, double *seconds);
/* The same for the file reload_start was given (ctl reload): also leaves
 * every warning and error line ("FILE:LINE: KEY: ...") in errs, which the
 * caller clears; *path is that file (NULL before reload_start). */
int reload_run(struct errlist *errs, const char **path);
/* Every error of the newest reload when it was refused (nothing after one
 * that worked), one per line after indent. */
void reload_print_refusal(FILE *out, const char *indent);

/* `relaywarden reload -c FILE [--pid PID]`: validate FILE as the service
 * user, ask the running milter to reload, wait for its answer. */
int reload_client_main(int argc, char **argv);

#endif

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
 */
#ifndef RW_RELOAD_H
#define RW_RELOAD_H

void reload_block_signal(void);
/* socket_override: the -p value, or NULL. Returns 0, or -1 on failure to
 * start the thread. */
int reload_start(const char *path, const char *socket_override);
/* Loads path and installs it; returns 0, or -1 keeping the old policy. */
int reload_now(const char *path, const char *socket_override);

#endif

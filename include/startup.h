/*
 * startup.h - what the milter checks and changes about its process before
 * it serves: one instance per socket, a socket the MTA may use, root
 * dropped, and every file a later reload reads still readable after the
 * drop. No libmilter here: `relaywarden reload` drops privileges the same
 * way.
 */
#ifndef RW_STARTUP_H
#define RW_STARTUP_H

#include "policy.h"

/* The path of a unix:/local: socket spec, or NULL for inet:/inet6:. */
const char *startup_unix_path(const char *spec);
/* 0 when the socket may be (re)created: nothing at its path, or a stale
 * socket nobody answers on. -1 (logged) when a live instance answers there
 * or the path is something other than a socket. */
int startup_claim_socket(const char *spec);
/* The same check for the unix socket at path, named key in the log (hint
 * ends the "stop it first" advice): 0 nothing there, 1 a stale socket the
 * caller may unlink, -1 (logged) live or not a socket. */
int startup_claim_path(const char *key, const char *path, const char *hint);
/* A unix socket becomes mode 0660, owned by user (when root and user is
 * set) and by user's primary group, else by the group "postfix" when it
 * exists, so the MTA can connect. 0, or -1 (logged). */
int startup_share_socket(const char *spec, const char *user);
/* setgid/initgroups/setuid to user; 0 (also when already that user), or
 * -1 (logged). */
int startup_drop_privileges(const char *user);
/* As the user the milter will run as (milter.user, or this one): the
 * policy at path and the files it names (directory file, bind password
 * file, CA file) are readable, so no reload fails later on permissions.
 * Run before the socket is bound. 0, or -1 with every problem logged,
 * naming the file. */
int startup_check_readable(const char *path, const struct policy *p);

#endif

/*
 * secret_file.h - a password kept in a file of its own (LDAP's
 * bind_password_file, Redis's rate_store.password_file): refused unless
 * only its owner may read it. Runs at load, on the loading thread.
 */
#ifndef RW_SECRET_FILE_H
#define RW_SECRET_FILE_H

#include "errlist.h"

/* The first line of path (without its line end), or NULL with an error
 * "POLICY: KEY: ..." in errs: unreadable, readable by group or others. */
char *secret_file_read(const char *path, const char *policy, const char *key,
    struct errlist *errs);

#endif

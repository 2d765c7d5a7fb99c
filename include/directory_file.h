/*
 * directory_file.h - the embedded directory: a libconfig file of users and
 * groups (DESIGN §5, "file"). Loaded whole at config load; lookups are hash
 * probes in memory and never answer TEMPFAIL.
 */
#ifndef RW_DIRECTORY_FILE_H
#define RW_DIRECTORY_FILE_H

#include "directory.h"
#include "errlist.h"

/* Reads path; appends every problem to errs as "FILE:LINE: KEY: problem".
 * Returns NULL if there was any. */
struct directory *directory_file_open(const char *path, struct errlist *errs);

#endif

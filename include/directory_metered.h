/*
 * directory_metered.h - a directory that times and counts its backend's
 * answers for the metrics (stats.h), under the backend's own name.
 */
#ifndef RW_DIRECTORY_METERED_H
#define RW_DIRECTORY_METERED_H

#include "directory.h"

/* Takes ownership of inner; NULL stays NULL. */
struct directory *directory_metered_wrap(struct directory *inner);

#endif

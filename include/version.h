/* version.h - the build's version: `relaywarden version` and
 * relaywarden_build_info (metrics.c). */
#ifndef RW_VERSION_H
#define RW_VERSION_H

#define RW_VERSION "0.2.0"

#endif

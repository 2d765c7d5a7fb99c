/*
 * callbacks.h - the libmilter filter description for main.
 */
#ifndef RW_CALLBACKS_H
#define RW_CALLBACKS_H

#include <libmilter/mfapi.h>

extern struct smfiDesc callbacks_desc;

#endif

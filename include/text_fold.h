/*
 * text_fold.h - Unicode NFKC of display text, for comparing what a reader
 * sees: full-width "＠" (U+FF20) and small "﹫" (U+FE6B) fold to "@",
 * full-width letters to ASCII ones. libunistring's normaliser, no tables
 * of our own. Pure; thread-safe.
 */
#ifndef RW_TEXT_FOLD_H
#define RW_TEXT_FOLD_H

#include <stddef.h>

/* Returns the NFKC form of UTF-8 text[0, len) as a malloc'd NUL-terminated
 * string, or NULL with a static reason in *error (not valid UTF-8, or a
 * NUL inside). */
char *text_fold_nfkc(const char *text, size_t len, const char **error);

#endif

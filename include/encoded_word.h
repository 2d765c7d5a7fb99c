/*
 * encoded_word.h - RFC 2047 encoded-word decoding ("=?charset?B|Q?text?=").
 *
 * Turns the text of a display name, group name or comment into what a
 * mail program shows: every encoded word is decoded (B or Q, any charset
 * iconv knows) to UTF-8, blanks between two adjacent encoded words are
 * dropped (or kept, on request), other bytes are copied unchanged. Decoding is found anywhere
 * in the text, not only at word boundaries, because readers (Python's
 * email package among them) decode it there too. An encoded word that
 * cannot be decoded - unknown charset, bad base64, bad =XX escape, bytes
 * invalid in its charset, a decoded control byte - is an error, never
 * passed through: a verifier must not guess what the reader sees.
 * Pure (iconv only); thread-safe.
 */
#ifndef RW_ENCODED_WORD_H
#define RW_ENCODED_WORD_H

#include <stdbool.h>
#include <stddef.h>

/* Returns a malloc'd NUL-terminated string (free it), or NULL with a
 * static reason in *error. join: drop the blanks between two adjacent
 * encoded words, as RFC 2047 6.2 says; readers that join words of
 * different charsets with a blank (Python's make_header) show them kept,
 * so a verifier reads the text both ways. */
char *encoded_word_decode(const char *text, size_t len, bool join, const char **error);

/* Does text[0, len) hold "=?" (the opening of an encoded word)? */
bool encoded_word_present(const char *text, size_t len);

/* The length of the encoded word text starts with ("=?" to "?="), or 0. */
size_t encoded_word_length(const char *text, size_t len);

#endif

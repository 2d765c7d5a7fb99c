/*
 * compat.h - compiler attribute wrappers and feature macros.
 *
 * The only header allowed to hold #if blocks; everything else is plain C11.
 */
#ifndef RW_COMPAT_H
#define RW_COMPAT_H

#if defined(__GNUC__) || defined(__clang__)
#define RW_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define RW_NORETURN __attribute__((noreturn))
#define RW_UNUSED __attribute__((unused))
#else
#define RW_PRINTF(fmt, args)
#define RW_NORETURN
#define RW_UNUSED
#endif

#define RW_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif

/* What the raw-line searches of the pack's candidate index share
 * (keyfind.h, keyscope.h, escapefind.h): whether the processor runs AVX2,
 * so that each search can take 32 bytes at a time where it does, and
 * whether a byte of a JSON line is escaped by the backslashes before it. */
#ifndef CQLMATCH_RAWJSON_H
#define CQLMATCH_RAWJSON_H

#include <stddef.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define CM_AVX2 1

/* Whether this processor runs AVX2 (asked once). */
static inline int cm_have_avx2(void) {
    static int have = -1;
    if (have < 0) have = __builtin_cpu_supports("avx2") ? 1 : 0;
    return have;
}
#endif

/* Whether the byte at s + p follows an odd number of backslashes (a quote
 * there is inside a string; a backslash there starts no escape). */
static inline int cm_backslash_escaped(const unsigned char* s, size_t p) {
    size_t b = p;
    while (b > 0 && s[b - 1] == '\\') b--;
    return ((p - b) & 1) != 0;
}

#endif

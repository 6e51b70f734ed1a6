/* Where a raw JSON line holds an escape the pack's candidate index must
 * read as a character (cqlmatch._candidates): a backslash that no other
 * backslash escapes, followed by "u" or "/".  Lines of Windows paths hold
 * many backslashes (each written twice), so instead of stopping at every
 * backslash, thirty-two positions at a time (with AVX2) are tested for a
 * backslash followed by "u" or "/", and only those are looked at. */
#ifndef CQLMATCH_ESCAPEFIND_H
#define CQLMATCH_ESCAPEFIND_H

#include <stddef.h>
#include <string.h>

#include "rawjson.h"

static inline int cm_escape_at(const unsigned char* s, size_t n, size_t p) {
    return p + 1 < n && (s[p + 1] == 'u' || s[p + 1] == '/') && !cm_backslash_escaped(s, p);
}

#ifdef CM_AVX2
__attribute__((target("avx2"))) static size_t cm_next_escape_avx2(const unsigned char* s,
                                                                   size_t n, size_t* at) {
    const __m256i slash = _mm256_set1_epi8('\\');
    const __m256i u = _mm256_set1_epi8('u');
    const __m256i fwd = _mm256_set1_epi8('/');
    size_t i = *at;
    for (; i + 33 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i*)(s + i));
        __m256i y = _mm256_loadu_si256((const __m256i*)(s + i + 1));
        __m256i hit = _mm256_and_si256(
            _mm256_cmpeq_epi8(x, slash),
            _mm256_or_si256(_mm256_cmpeq_epi8(y, u), _mm256_cmpeq_epi8(y, fwd)));
        unsigned mask = (unsigned)_mm256_movemask_epi8(hit);
        while (mask) {
            size_t p = i + (unsigned)__builtin_ctz(mask);
            if (!cm_backslash_escaped(s, p)) return p;
            mask &= mask - 1;
        }
    }
    *at = i;
    return n;
}
#endif

/* The position of the first such escape at or after from in s[0:n), or n. */
static inline size_t cm_next_escape(const unsigned char* s, size_t n, size_t from) {
    size_t i = from;
#ifdef CM_AVX2
    if (cm_have_avx2()) {
        size_t p = cm_next_escape_avx2(s, n, &i);
        if (p < n) return p;
    }
#endif
    while (i < n) {
        const unsigned char* b = (const unsigned char*)memchr(s + i, '\\', n - i);
        if (b == NULL) return n;
        size_t p = (size_t)(b - s);
        if (cm_escape_at(s, n, p)) return p;
        i = p + 1;
    }
    return n;
}

#endif

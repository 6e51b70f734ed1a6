/* Finding a short byte string (a JSON key) in a line, for the pack's
 * candidate index (cqlmatch._candidates): thirty-two positions at a time
 * where the processor runs AVX2 (else sixteen, with SSE2) are tested on two
 * of the needle's bytes (at offsets
 * a < b, chosen rare in text: "_" and "N" of event_simpleName rather than
 * its two "e"s) and only those that match both are compared in full;
 * elsewhere memmem. */
#ifndef CQLMATCH_KEYFIND_H
#define CQLMATCH_KEYFIND_H

#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "rawjson.h"

#ifdef CM_AVX2
/* cm_keyfind's test over 32 positions at a time, from *at: the match, or
 * NULL with *at where the rest is to be tested. */
__attribute__((target("avx2"))) static const unsigned char* cm_keyfind_avx2(
    const unsigned char* hay, size_t n, const unsigned char* needle, size_t k, size_t a,
    size_t b, size_t* at) {
    const __m256i at_a = _mm256_set1_epi8((char)needle[a]);
    const __m256i at_b = _mm256_set1_epi8((char)needle[b]);
    size_t i = *at;
    for (; i + k + 32 <= n + 1; i += 32) { /* (i + b + 32 <= n, as b < k) */
        __m256i x = _mm256_loadu_si256((const __m256i*)(hay + i + a));
        __m256i y = _mm256_loadu_si256((const __m256i*)(hay + i + b));
        unsigned mask = (unsigned)_mm256_movemask_epi8(
            _mm256_and_si256(_mm256_cmpeq_epi8(x, at_a), _mm256_cmpeq_epi8(y, at_b)));
        while (mask) {
            unsigned bit = (unsigned)__builtin_ctz(mask);
            if (memcmp(hay + i + bit, needle, k) == 0) return hay + i + bit;
            mask &= mask - 1;
        }
    }
    *at = i;
    return NULL;
}
#endif

static inline const unsigned char* cm_keyfind(const unsigned char* hay, size_t n,
                                              const unsigned char* needle, size_t k,
                                              size_t a, size_t b) {
    size_t i = 0;
    if (k == 0 || n < k) return NULL;
#ifdef CM_AVX2
    if (k >= 2 && a < b && b < k && cm_have_avx2()) {
        const unsigned char* found = cm_keyfind_avx2(hay, n, needle, k, a, b, &i);
        if (found != NULL) return found;
    }
#endif
#if defined(__SSE2__)
    if (k >= 2 && a < b && b < k) {
        const __m128i at_a = _mm_set1_epi8((char)needle[a]);
        const __m128i at_b = _mm_set1_epi8((char)needle[b]);
        for (; i + k + 16 <= n + 1; i += 16) {  /* (i + b + 16 <= n, as b < k) */
            __m128i x = _mm_loadu_si128((const __m128i*)(hay + i + a));
            __m128i y = _mm_loadu_si128((const __m128i*)(hay + i + b));
            unsigned mask = (unsigned)_mm_movemask_epi8(
                _mm_and_si128(_mm_cmpeq_epi8(x, at_a), _mm_cmpeq_epi8(y, at_b)));
            while (mask) {
                unsigned bit = (unsigned)__builtin_ctz(mask);
                if (memcmp(hay + i + bit, needle, k) == 0) return hay + i + bit;
                mask &= mask - 1;
            }
        }
        for (; i + k <= n; i++) {
            if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0) return hay + i;
        }
        return NULL;
    }
#endif
    return (const unsigned char*)memmem(hay, n, needle, k);
}

#endif

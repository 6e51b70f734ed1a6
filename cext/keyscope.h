/* The values of a few JSON keys in a raw line, found without parsing it,
 * for the pack's candidate index (cqlmatch._candidates): a typed scanner
 * whose rules' literals all name fields looks for them in those fields'
 * values only, which most lines do not have at all.
 *
 * One pass tests sixteen positions at a time on two bytes of each key (its
 * anchors, as keyfind.h chooses them), and a position where some key's
 * two match is compared in full.  A match counts when it is a key: a quote
 * no backslash escapes before it ("#" and a quote for a tag's "#name"),
 * a quote after it, spaces, a colon and spaces.  Inside a string, a key's
 * quotes are escaped, so the name of a key written in a value does not
 * count; a key of a nested object, or one written twice, does (which only
 * means more of the line is read).
 *
 * The caller must know that no escape in the line spells a character of a
 * key (cqlmatch._candidates reads lines with \u00XX or \/ escapes whole). */
#ifndef CQLMATCH_KEYSCOPE_H
#define CQLMATCH_KEYSCOPE_H

#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include "rawjson.h"

typedef struct {
    const unsigned char* text; /* the key, without its quotes */
    size_t size;
    size_t a, b; /* two offsets of rare bytes in it, a <= b < size */
    int tag;     /* "#name" counts too */
} cm_scope_key;

typedef void (*cm_value_fn)(void* ctx, size_t start, size_t end);

static inline int cm_scope_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

/* Key k at s + p (its text matched): 1 and its string value's span when it
 * is a key with a string value, 0 when it is not a key, -1 when it is a key
 * whose value is not a string or does not end in the line. */
static int cm_scope_value_at(const unsigned char* s, size_t n, size_t p, const cm_scope_key* key,
                             size_t* start, size_t* end) {
    size_t j = p + key->size;
    if (p == 0 || j >= n || s[j] != '"') return 0;
    if (s[p - 1] == '"') {
        if (cm_backslash_escaped(s, p - 1)) return 0;
    } else if (key->tag && s[p - 1] == '#' && p >= 2 && s[p - 2] == '"') {
        if (cm_backslash_escaped(s, p - 2)) return 0;
    } else {
        return 0;
    }
    j++;
    while (j < n && cm_scope_space(s[j])) j++;
    if (j >= n || s[j] != ':') return 0;
    j++;
    while (j < n && cm_scope_space(s[j])) j++;
    if (j >= n || s[j] != '"') return -1;
    *start = ++j;
    while (j < n) {
        const unsigned char* q = (const unsigned char*)memchr(s + j, '"', n - j);
        if (q == NULL) return -1;
        j = (size_t)(q - s);
        if (!cm_backslash_escaped(s, j)) {
            *end = j;
            return 1;
        }
        j++;
    }
    return -1;
}

/* Whether some key's text is at s + p; then its value, as cm_scope_value_at
 * (0: none of the keys is a key there). */
static inline int cm_scope_try(const unsigned char* s, size_t n, size_t p,
                               const cm_scope_key* keys, size_t nkeys, cm_value_fn found,
                               void* ctx) {
    for (size_t k = 0; k < nkeys; k++) {
        size_t start, end;
        if (p + keys[k].size > n || s[p] != keys[k].text[0] ||
            memcmp(s + p, keys[k].text, keys[k].size) != 0)
            continue;
        int got = cm_scope_value_at(s, n, p, &keys[k], &start, &end);
        if (got < 0) return -1;
        if (got > 0) found(ctx, start, end);
    }
    return 0;
}

#ifdef CM_AVX2
/* The pass of cm_scope_values over 32 positions at a time, for N keys
 * (the loop over them unrolled); returns where it stopped in *at, or -1
 * as cm_scope_values does. */
template <int N>
__attribute__((target("avx2"))) static int cm_scope_avx2(const unsigned char* s, size_t n,
                                                        const cm_scope_key* keys, size_t longest,
                                                        size_t* at, cm_value_fn found,
                                                        void* ctx) {
    __m256i at_a[N], at_b[N];
    size_t off_a[N], off_b[N];
    for (int k = 0; k < N; k++) {
        at_a[k] = _mm256_set1_epi8((char)keys[k].text[keys[k].a]);
        at_b[k] = _mm256_set1_epi8((char)keys[k].text[keys[k].b]);
        off_a[k] = keys[k].a;
        off_b[k] = keys[k].b;
    }
    size_t i = *at;
    for (; i + longest + 32 <= n; i += 32) { /* (every anchor's 32 bytes are in the line) */
        __m256i hit = _mm256_setzero_si256();
        for (int k = 0; k < N; k++) {
            __m256i x = _mm256_loadu_si256((const __m256i*)(s + i + off_a[k]));
            __m256i y = _mm256_loadu_si256((const __m256i*)(s + i + off_b[k]));
            hit = _mm256_or_si256(
                hit, _mm256_and_si256(_mm256_cmpeq_epi8(x, at_a[k]), _mm256_cmpeq_epi8(y, at_b[k])));
        }
        unsigned mask = (unsigned)_mm256_movemask_epi8(hit);
        while (mask) {
            unsigned bit = (unsigned)__builtin_ctz(mask);
            if (cm_scope_try(s, n, i + bit, keys, N, found, ctx) < 0) return -1;
            mask &= mask - 1;
        }
    }
    *at = i;
    return 0;
}
#endif

/* found(ctx, start, end) for the string value of each occurrence of one of
 * keys[0:nkeys) (at most 8) as a key of line s[0:n); -1 as soon as one's
 * value is not a string that ends in the line (the caller then reads the
 * whole line), else 0. */
static int cm_scope_values(const unsigned char* s, size_t n, const cm_scope_key* keys,
                           size_t nkeys, cm_value_fn found, void* ctx) {
    size_t i = 0, longest = 0;
    for (size_t k = 0; k < nkeys; k++)
        if (keys[k].size > longest) longest = keys[k].size;
#ifdef CM_AVX2
    if (nkeys >= 1 && nkeys <= 4 && n >= longest + 32 && cm_have_avx2()) {
        int got = 0;
        switch (nkeys) {
            case 1: got = cm_scope_avx2<1>(s, n, keys, longest, &i, found, ctx); break;
            case 2: got = cm_scope_avx2<2>(s, n, keys, longest, &i, found, ctx); break;
            case 3: got = cm_scope_avx2<3>(s, n, keys, longest, &i, found, ctx); break;
            default: got = cm_scope_avx2<4>(s, n, keys, longest, &i, found, ctx); break;
        }
        if (got < 0) return -1;
    }
#endif
#if defined(__SSE2__)
    if (nkeys >= 1 && nkeys <= 8) {
        __m128i at_a[8], at_b[8];
        for (size_t k = 0; k < nkeys; k++) {
            at_a[k] = _mm_set1_epi8((char)keys[k].text[keys[k].a]);
            at_b[k] = _mm_set1_epi8((char)keys[k].text[keys[k].b]);
        }
        for (; i + longest + 16 <= n; i += 16) { /* (every anchor's 16 bytes are in the line) */
            __m128i hit = _mm_setzero_si128();
            for (size_t k = 0; k < nkeys; k++) {
                __m128i x = _mm_loadu_si128((const __m128i*)(s + i + keys[k].a));
                __m128i y = _mm_loadu_si128((const __m128i*)(s + i + keys[k].b));
                hit = _mm_or_si128(hit, _mm_and_si128(_mm_cmpeq_epi8(x, at_a[k]),
                                                      _mm_cmpeq_epi8(y, at_b[k])));
            }
            unsigned mask = (unsigned)_mm_movemask_epi8(hit);
            while (mask) {
                unsigned bit = (unsigned)__builtin_ctz(mask);
                if (cm_scope_try(s, n, i + bit, keys, nkeys, found, ctx) < 0) return -1;
                mask &= mask - 1;
            }
        }
    }
#endif
    unsigned char first[256];
    memset(first, 0, sizeof first);
    for (size_t k = 0; k < nkeys; k++) first[keys[k].text[0]] = 1;
    for (; i < n; i++)
        if (first[s[i]] && cm_scope_try(s, n, i, keys, nkeys, found, ctx) < 0) return -1;
    return 0;
}

#endif

/* Search kernels of the prefilter scan (scan.pyx): the next place in a
 * block where any of a few short patterns starts, with AVX2, SSE2, 64-bit
 * words or memmem, picked at run time.  A
 * pattern with `fold` set is in lower case and matches in any ASCII case. */
#ifndef CQLMATCH_TEXTSCAN_H
#define CQLMATCH_TEXTSCAN_H

#include <stddef.h>
#include <string.h>
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define CQM_X86 1
#endif
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CQM_SWAR 1
#endif
#ifdef __clang__
#define CQM_UNROLL _Pragma("unroll")
#else
#define CQM_UNROLL _Pragma("GCC unroll 16")
#endif

/* The search kernels, slowest first (_KERNELS in scan.pyx names them).
   CQM_AVX2 compares first and last bytes for up to four patterns and takes
   fingerprints (Teddy) for more; CQM_TEDDY takes fingerprints always (for
   the tests).  The best kernel is CQM_AVX2. */
enum { CQM_MEMMEM = 0, CQM_WORD = 1, CQM_SSE2 = 2, CQM_AVX2 = 3, CQM_TEDDY = 4 };
enum { CQM_SIMD_MAX = 64 };  /* more patterns than this: memmem */

typedef struct { const char* data; size_t size; int fold; } cqm_pat;

/* ASCII lower case of c. */
static inline unsigned char cqm_lower(unsigned char c) {
    return (unsigned char)(c - 'A') < 26u ? (unsigned char)(c | 0x20) : c;
}

/* 0x20 when byte c of a folding pattern is a letter (OR-ing it into a text
   byte turns an upper case letter into the pattern's), else 0. */
static inline unsigned char cqm_fold_bit(const cqm_pat* p, unsigned char c) {
    return p->fold && (unsigned char)(c - 'a') < 26u ? 0x20 : 0;
}

/* Whether pattern p is at s (the caller checked that it fits). */
static inline int cqm_same(const char* s, const cqm_pat* p) {
    if (!p->fold) {
        size_t i = 0;
        unsigned long long a, b;
        for (; i + 8 <= p->size; i += 8) {  /* (short patterns: no call to memcmp) */
            memcpy(&a, s + i, 8);
            memcpy(&b, p->data + i, 8);
            if (a != b) return 0;
        }
        for (; i < p->size; i++)
            if (s[i] != p->data[i]) return 0;
        return 1;
    }
    for (size_t i = 0; i < p->size; i++)
        if (cqm_lower((unsigned char)s[i]) != (unsigned char)p->data[i]) return 0;
    return 1;
}

static int cqm_kernel_available(int kernel) {
    switch (kernel) {
    case CQM_MEMMEM: return 1;
#ifdef CQM_SWAR
    case CQM_WORD: return 1;
#endif
#ifdef CQM_X86
    case CQM_SSE2: __builtin_cpu_init(); return __builtin_cpu_supports("sse2");
    case CQM_AVX2:
    case CQM_TEDDY: __builtin_cpu_init(); return __builtin_cpu_supports("avx2");
#endif
    default: return 0;
    }
}

static int cqm_best_kernel(void) {
    int kernel = CQM_AVX2;  /* (CQM_TEDDY is not faster for few patterns) */
    while (!cqm_kernel_available(kernel)) kernel--;
    return kernel;
}

/* The last LF of s[0:n], or NULL (memrchr is not everywhere). */
static inline const char* cqm_last_lf(const char* s, size_t n) {
#ifdef __GLIBC__
    return (const char*)memrchr(s, '\n', n);
#else
    while (n) {
        if (s[--n] == '\n') return s + n;
    }
    return NULL;
#endif
}

/* Whether the escape (backslash u00) at s + at has, in its line, two hex
   digits the table marks. */
static inline int cqm_escape_ok(const char* s, size_t n, size_t at,
                                const unsigned char* table) {
    unsigned char a, b;
    if (n - at < 6) return 0;
    a = (unsigned char)s[at + 4];
    b = (unsigned char)s[at + 5];
    return a != '\n' && b != '\n' && table[a * 256 + b];
}

/* The first pattern (index) at s + at, or -1; pattern esc is the escape. */
static inline int cqm_match_at(const char* s, size_t n, size_t at, const cqm_pat* pats, int k,
                               const unsigned char* table, int esc) {
    for (int j = 0; j < k; j++) {
        size_t m = pats[j].size;
        if (m <= n - at && cqm_same(s + at, &pats[j])
                && (j != esc || cqm_escape_ok(s, n, at, table)))
            return j;
    }
    return -1;
}

/* The scalar end of the vector kernels: positions i..limit-1 one by one. */
static size_t cqm_next_scalar(const char* s, size_t n, size_t i, size_t limit,
                              const cqm_pat* pats, int k,
                              const unsigned char* table, int esc, int* which) {
    int w;
    for (; i < limit; i++) {
        if ((w = cqm_match_at(s, n, i, pats, k, table, esc)) >= 0) {
            *which = w;
            return i;
        }
    }
    return limit;
}

/* The first match of pattern p at or after i, or n. */
static size_t cqm_find(const char* s, size_t n, size_t i, const cqm_pat* p, int is_esc,
                       const unsigned char* table) {
    const char* at;
    if (p->fold) {  /* (memmem has no case-insensitive form) */
        for (; i < n && p->size <= n - i; i++)
            if (cqm_same(s + i, p)) return i;
        return n;
    }
    while (i < n && (at = (const char*)memmem(s + i, n - i, p->data, p->size)) != NULL) {
        if (!is_esc || cqm_escape_ok(s, n, (size_t)(at - s), table)) return (size_t)(at - s);
        i = (size_t)(at - s) + 1;
    }
    return n;
}

/* Lazy memmem: next[j] is 1 + the offset of pattern j's first match at or
   after the point it was searched from (0: not searched yet), searched
   again only once the scan has passed it (i never decreases). */
static size_t cqm_next_memmem(const char* s, size_t n, size_t i, size_t limit,
                              const cqm_pat* pats, int k,
                              const unsigned char* table, int esc, int* which, size_t* next) {
    size_t best = n;
    for (int j = 0; j < k; j++) {
        if (next[j] <= i) next[j] = cqm_find(s, n, i, &pats[j], j == esc, table) + 1;
        if (next[j] - 1 < best) {
            best = next[j] - 1;
            *which = j;
        }
    }
    return best < limit ? best : limit;
}

/* The vector kernels look for candidates: positions where some pattern's
   first byte is, with its last byte where it should be; candidates are
   confirmed in order with cqm_match_at.  Two vectors a round; K > 0 fixes
   the pattern count so that the compiler keeps the patterns in registers. */

#ifdef CQM_SWAR
/* Eight bytes in a 64-bit word: (x - 1) & ~x has the high bit set in every
   zero byte of x (and maybe in some above one: candidates to confirm). */
#define CQM_ONES 0x0101010101010101ULL
#define CQM_HIGHS 0x8080808080808080ULL

static inline unsigned long long cqm_load64(const char* p) {
    unsigned long long v;
    memcpy(&v, p, 8);
    return v;
}

template <int K, bool FOLD>
static size_t cqm_next_word(const char* s, size_t n, size_t i, size_t limit,
                            const cqm_pat* pats, int k,
                            const unsigned char* table, int esc, int* which) {
    unsigned long long first[CQM_SIMD_MAX], last[CQM_SIMD_MAX], a, b, x, y, ha, hb;
    unsigned long long ffold[CQM_SIMD_MAX], lfold[CQM_SIMD_MAX];
    size_t off[CQM_SIMD_MAX], far = 0, at;
    const int kk = K ? K : k;
    int j, w;
    for (j = 0; j < kk; j++) {
        off[j] = pats[j].size - 1;
        first[j] = CQM_ONES * (unsigned char)pats[j].data[0];
        last[j] = CQM_ONES * (unsigned char)pats[j].data[off[j]];
        ffold[j] = CQM_ONES * cqm_fold_bit(&pats[j], (unsigned char)pats[j].data[0]);
        lfold[j] = CQM_ONES * cqm_fold_bit(&pats[j], (unsigned char)pats[j].data[off[j]]);
        if (off[j] > far) far = off[j];
    }
    while (i < limit && n - i >= far + 16) {
        a = cqm_load64(s + i);
        b = cqm_load64(s + i + 8);
        ha = hb = 0;
        CQM_UNROLL for (j = 0; j < kk; j++) {
            if (FOLD) {
                x = ((a | ffold[j]) ^ first[j])
                    | ((cqm_load64(s + i + off[j]) | lfold[j]) ^ last[j]);
                y = ((b | ffold[j]) ^ first[j])
                    | ((cqm_load64(s + i + 8 + off[j]) | lfold[j]) ^ last[j]);
            } else {
                x = (a ^ first[j]) | (cqm_load64(s + i + off[j]) ^ last[j]);
                y = (b ^ first[j]) | (cqm_load64(s + i + 8 + off[j]) ^ last[j]);
            }
            ha |= (x - CQM_ONES) & ~x;
            hb |= (y - CQM_ONES) & ~y;
        }
        ha &= CQM_HIGHS;
        hb &= CQM_HIGHS;
        for (; ha; ha &= ha - 1) {
            at = i + (size_t)(__builtin_ctzll(ha) >> 3);
            if (at >= limit) return limit;
            if ((w = cqm_match_at(s, n, at, pats, kk, table, esc)) >= 0) {
                *which = w;
                return at;
            }
        }
        for (; hb; hb &= hb - 1) {
            at = i + 8 + (size_t)(__builtin_ctzll(hb) >> 3);
            if (at >= limit) return limit;
            if ((w = cqm_match_at(s, n, at, pats, kk, table, esc)) >= 0) {
                *which = w;
                return at;
            }
        }
        i += 16;
    }
    return cqm_next_scalar(s, n, i, limit, pats, kk, table, esc, which);
}
#endif

/* Fingerprint tables of one pattern list (cqm_next_teddy), built on first
   use (ready). */
typedef struct {
    unsigned char lo[3][32], hi[3][32];
    unsigned long long bucket[8];
    int ready;
} cqm_teddy;

static void cqm_teddy_build(cqm_teddy* ted, const cqm_pat* pats, int k) {
    int j, t, x;
    memset(ted, 0, sizeof *ted);
    for (j = 0; j < k; j++) {
        unsigned char bit = (unsigned char)(1u << (j & 7));
        ted->bucket[j & 7] |= 1ULL << j;
        for (t = 0; t < 3; t++) {
            if ((size_t)t >= pats[j].size) {
                for (x = 0; x < 16; x++) ted->lo[t][x] |= bit, ted->hi[t][x] |= bit;
                continue;
            }
            unsigned char c = (unsigned char)pats[j].data[t];
            unsigned char other = cqm_fold_bit(&pats[j], c) ? (unsigned char)(c ^ 0x20) : c;
            ted->lo[t][c & 15] |= bit;
            ted->hi[t][c >> 4] |= bit;
            ted->lo[t][other & 15] |= bit;
            ted->hi[t][other >> 4] |= bit;
        }
    }
    for (t = 0; t < 3; t++) {  /* PSHUFB looks up within each 16-byte lane */
        memcpy(ted->lo[t] + 16, ted->lo[t], 16);
        memcpy(ted->hi[t] + 16, ted->hi[t], 16);
    }
    ted->ready = 1;
}

#ifdef CQM_X86
/* One template for SSE2 and AVX2: a bit per byte from MOVEMASK.  With
   FOLD, each pattern's fold bits are OR-ed into the text bytes compared
   with its first and last byte. */
#define CQM_NEXT_SIMD(NAME, TARGET, VEC, WIDTH, SET1, LOADU, CMPEQ, AND, OR, MOVEMASK)     \
template <int K, bool FOLD> __attribute__((target(TARGET)))                                \
static size_t NAME(const char* s, size_t n, size_t i, size_t limit, const cqm_pat* pats,   \
                   int k, const unsigned char* table, int esc, int* which) {               \
    VEC first[CQM_SIMD_MAX], last[CQM_SIMD_MAX], ffold[CQM_SIMD_MAX], lfold[CQM_SIMD_MAX]; \
    VEC a, b, ha, hb;                                                                      \
    size_t off[CQM_SIMD_MAX], far = 0, at;                                                 \
    unsigned long long mask;                                                               \
    const int kk = K ? K : k;                                                              \
    int j, w;                                                                              \
    for (j = 0; j < kk; j++) {                                                             \
        off[j] = pats[j].size - 1;                                                         \
        first[j] = SET1(pats[j].data[0]);                                                  \
        last[j] = SET1(pats[j].data[off[j]]);                                              \
        ffold[j] = SET1((char)cqm_fold_bit(&pats[j], (unsigned char)pats[j].data[0]));     \
        lfold[j] = SET1((char)cqm_fold_bit(&pats[j], (unsigned char)pats[j].data[off[j]]));\
        if (off[j] > far) far = off[j];                                                    \
    }                                                                                      \
    ha = hb = SET1(0);                                                                     \
    while (i < limit && n - i >= far + 2 * WIDTH) {                                        \
        a = LOADU((const VEC*)(s + i));                                                    \
        b = LOADU((const VEC*)(s + i + WIDTH));                                            \
        CQM_UNROLL for (j = 0; j < kk; j++) {                                              \
            VEC fa = a, fb = b;                                                            \
            VEC la = LOADU((const VEC*)(s + i + off[j]));                                  \
            VEC lb = LOADU((const VEC*)(s + i + WIDTH + off[j]));                          \
            if (FOLD) {                                                                    \
                fa = OR(fa, ffold[j]);                                                     \
                fb = OR(fb, ffold[j]);                                                     \
                la = OR(la, lfold[j]);                                                     \
                lb = OR(lb, lfold[j]);                                                     \
            }                                                                              \
            VEC xa = AND(CMPEQ(fa, first[j]), CMPEQ(la, last[j]));                         \
            VEC xb = AND(CMPEQ(fb, first[j]), CMPEQ(lb, last[j]));                         \
            ha = j ? OR(ha, xa) : xa;                                                      \
            hb = j ? OR(hb, xb) : xb;                                                      \
        }                                                                                  \
        mask = (unsigned long long)(unsigned)MOVEMASK(ha)                                  \
            | (unsigned long long)(unsigned)MOVEMASK(hb) << WIDTH;                         \
        for (; mask; mask &= mask - 1) {                                                   \
            at = i + (size_t)__builtin_ctzll(mask);                                        \
            if (at >= limit) return limit;                                                 \
            if ((w = cqm_match_at(s, n, at, pats, kk, table, esc)) >= 0) {                 \
                *which = w;                                                                \
                return at;                                                                 \
            }                                                                              \
        }                                                                                  \
        i += 2 * WIDTH;                                                                    \
    }                                                                                      \
    return cqm_next_scalar(s, n, i, limit, pats, kk, table, esc, which);                   \
}

CQM_NEXT_SIMD(cqm_next_sse2, "sse2", __m128i, 16, _mm_set1_epi8, _mm_loadu_si128,
              _mm_cmpeq_epi8, _mm_and_si128, _mm_or_si128, _mm_movemask_epi8)
CQM_NEXT_SIMD(cqm_next_avx2, "avx2", __m256i, 32, _mm256_set1_epi8, _mm256_loadu_si256,
              _mm256_cmpeq_epi8, _mm256_and_si256, _mm256_or_si256, _mm256_movemask_epi8)

/* Many patterns (AVX2): the cost of the kernels above grows with the
   pattern count, so from CQM_TEDDY_MIN patterns on the candidates come from
   a fingerprint of each pattern's first three bytes instead, whatever the
   count.  Pattern j falls in bucket j % 8; for each of the three byte
   positions two 16-entry tables give, by the low and by the high nibble of
   the text byte, the buckets that allow it there (both ASCII cases for a
   folding pattern, any byte past a shorter pattern's end).  PSHUFB looks
   up 32 text bytes at once; a byte that keeps a bucket at all three
   positions is a candidate for that bucket's patterns, which are then
   compared in index order (the same answer as cqm_match_at). */
enum { CQM_TEDDY_MIN = 5 };

__attribute__((target("avx2")))
static size_t cqm_next_teddy(const char* s, size_t n, size_t i, size_t limit,
                             const cqm_pat* pats, int k,
                             const unsigned char* table, int esc, int* which,
                             cqm_teddy* ted) {
    unsigned char kept[32];
    unsigned long long cand;
    __m256i tlo[3], thi[3], acc, v;
    const __m256i nibble = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
    unsigned mask, bits;
    size_t at;
    int j, t;
    if (!ted->ready) cqm_teddy_build(ted, pats, k);
    for (t = 0; t < 3; t++) {
        tlo[t] = _mm256_loadu_si256((const __m256i*)ted->lo[t]);
        thi[t] = _mm256_loadu_si256((const __m256i*)ted->hi[t]);
    }
    while (i < limit && n - i >= 32 + 2) {
        acc = _mm256_set1_epi8(-1);
        CQM_UNROLL for (t = 0; t < 3; t++) {
            v = _mm256_loadu_si256((const __m256i*)(s + i + t));
            acc = _mm256_and_si256(acc, _mm256_and_si256(
                _mm256_shuffle_epi8(tlo[t], _mm256_and_si256(v, nibble)),
                _mm256_shuffle_epi8(thi[t], _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble))));
        }
        mask = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(acc, zero));
        if (mask) {
            _mm256_storeu_si256((__m256i*)kept, acc);
            for (; mask; mask &= mask - 1) {
                at = i + (size_t)__builtin_ctz(mask);
                if (at >= limit) return limit;
                cand = 0;
                for (bits = kept[__builtin_ctz(mask)]; bits; bits &= bits - 1)
                    cand |= ted->bucket[__builtin_ctz(bits)];
                for (; cand; cand &= cand - 1) {
                    j = __builtin_ctzll(cand);
                    if (pats[j].size <= n - at && cqm_same(s + at, &pats[j])
                            && (j != esc || cqm_escape_ok(s, n, at, table))) {
                        *which = j;
                        return at;
                    }
                }
            }
        }
        i += 32;
    }
    return cqm_next_scalar(s, n, i, limit, pats, k, table, esc, which);
}

#endif

#define CQM_BY_K_FOLD(NAME, FOLD)                                                          \
    switch (k) {                                                                           \
    case 1: return NAME<1, FOLD>(s, n, i, limit, pats, k, table, esc, which);              \
    case 2: return NAME<2, FOLD>(s, n, i, limit, pats, k, table, esc, which);              \
    case 3: return NAME<3, FOLD>(s, n, i, limit, pats, k, table, esc, which);              \
    case 4: return NAME<4, FOLD>(s, n, i, limit, pats, k, table, esc, which);              \
    default: return NAME<0, FOLD>(s, n, i, limit, pats, k, table, esc, which);             \
    }
#define CQM_BY_K(NAME)                                                                     \
    {                                                                                      \
        if (fold) CQM_BY_K_FOLD(NAME, true)                                                \
        CQM_BY_K_FOLD(NAME, false)                                                         \
    }

/* The first hit of pats[0:k] in s[i:limit] (limit if none; a match may
   run on past limit, up to n), its index in *which; next: k words of state
   for the memmem kernel, zeroed at first; ted: the fingerprint tables,
   zeroed at first (kept between calls for the same patterns). */
static size_t cqm_next_hit(int kernel, const char* s, size_t n, size_t i, size_t limit,
                           const cqm_pat* pats, int k, const unsigned char* table, int esc,
                           int* which, size_t* next, cqm_teddy* ted) {
    int fold = 0;
    if (k <= 0 || i >= limit) return limit;
    for (int j = 0; j < k; j++) fold |= pats[j].fold;
    if (k <= CQM_SIMD_MAX) {
#ifdef CQM_X86
        if (kernel == CQM_TEDDY || (kernel == CQM_AVX2 && k >= CQM_TEDDY_MIN))
            return cqm_next_teddy(s, n, i, limit, pats, k, table, esc, which, ted);
        if (kernel == CQM_AVX2) CQM_BY_K(cqm_next_avx2)
        if (kernel == CQM_SSE2) CQM_BY_K(cqm_next_sse2)
#endif
#ifdef CQM_SWAR
        if (kernel == CQM_WORD) CQM_BY_K(cqm_next_word)
#endif
    }
    return cqm_next_memmem(s, n, i, limit, pats, k, table, esc, which, next);
}

#endif

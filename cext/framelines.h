/* The framing of a block's lines for the single rule's prefilter
 * (scan.pyx, frame_lines): how many lines the block holds, and which of
 * them are not framed as one JSON object (not blank and not "{" ... "}"
 * once spaces, tabs and CRs are trimmed), so that the decoder reports them.
 * The pack's candidate index asks cm_unframed of each line it reads.
 *
 * Every line is looked at, so this was a memchr call per line: about a
 * tenth of a run of the seed rule over realistic events.  With AVX2 the
 * block is read 32 bytes at a time: a chunk whose every line feed has a
 * "}" before it and a "{" after it, and whose current line began with "{",
 * ends only framed lines, counted at once; any other chunk's lines are
 * looked at one by one, as before. */
#ifndef CQLMATCH_FRAMELINES_H
#define CQLMATCH_FRAMELINES_H

#include <stddef.h>
#include <string.h>

#include "rawjson.h"

typedef void (*cm_unframed_fn)(void* ctx, size_t start, size_t end);

static inline int cm_frame_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Whether the line d[start:end] is not framed as an object. */
static inline int cm_unframed(const unsigned char* d, size_t start, size_t end) {
    size_t first = start, last = end;
    if (end <= start || (d[start] == '{' && d[end - 1] == '}')) return 0;
    while (first < last && cm_frame_blank(d[first])) first++;
    while (last > first && cm_frame_blank(d[last - 1])) last--;
    return last > first && (d[first] != '{' || d[last - 1] != '}');
}

/* The lines from *pos up to each line feed in d[from:n], one by one (the
 * line feed at n, if any, excluded); *pos becomes the start of the line
 * after the last one found.  The lines counted. */
static size_t cm_frame_scalar(const unsigned char* d, size_t n, size_t from, size_t* pos,
                              cm_unframed_fn unframed, void* ctx) {
    size_t lines = 0;
    while (from < n) {
        const unsigned char* nl = (const unsigned char*)memchr(d + from, '\n', n - from);
        if (nl == NULL) break;
        size_t end = (size_t)(nl - d);
        if (cm_unframed(d, *pos, end)) unframed(ctx, *pos, end);
        lines++;
        *pos = from = end + 1;
    }
    return lines;
}

#ifdef CM_AVX2
__attribute__((target("avx2"))) static size_t cm_frame_avx2(const unsigned char* d, size_t n,
                                                            size_t* pos, size_t* done,
                                                            cm_unframed_fn unframed,
                                                            void* ctx) {
    const __m256i lf = _mm256_set1_epi8('\n');
    const __m256i open = _mm256_set1_epi8('{');
    const __m256i close = _mm256_set1_epi8('}');
    size_t lines = 0, i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i*)(d + i));
        unsigned nl = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, lf));
        if (nl == 0) continue;
        unsigned before = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, close)) << 1;
        if (i > 0 && d[i - 1] == '}') before |= 1u;
        unsigned after = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, open)) >> 1;
        if (i + 32 >= n || d[i + 32] == '{') after |= 0x80000000u; /* (the block's end: no line) */
        if (d[*pos] == '{' && (nl & ~before) == 0 && (nl & ~after) == 0) {
            lines += (size_t)__builtin_popcount(nl);
            *pos = i + 32 - (size_t)__builtin_clz(nl);
            continue;
        }
        lines += cm_frame_scalar(d, i + 32, i, pos, unframed, ctx);
    }
    *done = i;
    return lines;
}
#endif

/* The block's line count (line feeds + 1); ``unframed(ctx, start, end)``
 * for each line not framed as an object, in order.  ``vector``: read 32
 * bytes at a time where the processor has AVX2. */
static size_t cm_frame_lines(const unsigned char* d, size_t n, int vector,
                             cm_unframed_fn unframed, void* ctx) {
    size_t pos = 0, done = 0, lines = 1;
#ifdef CM_AVX2
    if (vector && cm_have_avx2()) lines += cm_frame_avx2(d, n, &pos, &done, unframed, ctx);
#else
    (void)vector;
#endif
    lines += cm_frame_scalar(d, n, done > pos ? done : pos, &pos, unframed, ctx);
    if (cm_unframed(d, pos, n)) unframed(ctx, pos, n);
    return lines;
}

#endif

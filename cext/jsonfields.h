/* Top-level string fields of one NDJSON line, found without building the object.
 *
 * cm_extract() walks a line once: it checks that the whole line is one JSON
 * object (every nested value, string, escape and number checked against the
 * JSON grammar), and records where the wanted top-level keys' string values
 * lie.  It answers "no" (0) whenever it cannot be sure that the answer equals
 * the per-line decoder's: invalid JSON, a wanted key whose value is not a
 * string or that appears twice, a key written with an escape, nesting deeper
 * than CM_MAX_DEPTH, NaN/Infinity, a lone surrogate escape in any string (the
 * per-line decoder reports such lines as malformed).
 * The caller then decodes that line the slow, exact way.  UTF-8 is not
 * checked here: the caller validates lines that hold a byte >= 0x80
 * (cm_has_high, cm_utf8_valid).
 */
#ifndef CQLMATCH_JSONFIELDS_H
#define CQLMATCH_JSONFIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define CM_MAX_DEPTH 64
#define CM_MAX_NAME 64 /* longer wanted names are matched by the slow path */

typedef struct {
    const unsigned char* start; /* first byte after the opening quote */
    uint32_t size;              /* bytes up to the closing quote */
    uint8_t set;                /* the key was present */
    uint8_t escaped;            /* the raw text holds backslash escapes */
} cm_slot;

typedef struct {
    int count;
    const unsigned char* names[32];
    uint32_t sizes[32];
    /* by_size[n]: bit i set when names[i] is n bytes long */
    uint32_t by_size[CM_MAX_NAME + 1];
} cm_names;

static inline int cm_is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline const unsigned char* cm_skip_space(const unsigned char* p, const unsigned char* end) {
    while (p < end && *p <= ' ' && cm_is_space(*p)) p++;
    return p;
}

static inline int cm_hex(unsigned char c) {
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline unsigned cm_hex_value(unsigned char c) {
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

static inline unsigned cm_u4(const unsigned char* p) {
    return (cm_hex_value(p[0]) << 12) | (cm_hex_value(p[1]) << 8) | (cm_hex_value(p[2]) << 4) |
           cm_hex_value(p[3]);
}

/* p: just after an opening quote.  Returns the closing quote, or NULL when
 * the string is invalid (unescaped control character, bad escape, no end) or
 * holds a lone surrogate escape ("\ud800" without its low half, a low half
 * alone): the per-line decoder reports such a line as malformed, wherever
 * the string is, so the caller must decline it.
 * *escaped is set when a backslash was seen. */
static inline __attribute__((always_inline)) const unsigned char* cm_string_end(
    const unsigned char* p, const unsigned char* end, int* escaped) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i slash = _mm_set1_epi8('\\');
    const __m128i ctrl = _mm_set1_epi8(0x1F);
#endif
    for (;;) {
#ifdef __SSE2__
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i*)p);
            __m128i hit = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, slash)),
                _mm_cmpeq_epi8(_mm_max_epu8(v, ctrl), ctrl));
            unsigned mask = (unsigned)_mm_movemask_epi8(hit);
            if (mask) {
                p += __builtin_ctz(mask);
                goto special;
            }
            p += 16;
        }
#endif
        while (p < end && *p != '"' && *p != '\\' && *p >= 0x20) p++;
        if (p >= end) return NULL;
#ifdef __SSE2__
    special:
#endif
        if (*p == '"') return p;
        if (*p < 0x20) return NULL;
        /* a backslash */
        if (end - p < 2) return NULL;
        *escaped = 1;
        switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                break;
            case 'u': {
                if (end - p < 6 || !cm_hex(p[2]) || !cm_hex(p[3]) || !cm_hex(p[4]) || !cm_hex(p[5]))
                    return NULL;
                unsigned cp = cm_u4(p + 2);
                p += 6;
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    /* only a high half followed by an escaped low half */
                    if (cp >= 0xDC00 || end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                        !cm_hex(p[2]) || !cm_hex(p[3]) || !cm_hex(p[4]) || !cm_hex(p[5]))
                        return NULL;
                    cp = cm_u4(p + 2);
                    if (cp < 0xDC00 || cp > 0xDFFF) return NULL;
                    p += 6;
                }
                break;
            }
            default:
                return NULL;
        }
    }
}

/* A JSON number as Python's json module reads it (no NaN/Infinity: those
 * make the caller fall back).  Returns the first byte after it, or NULL. */
static inline const unsigned char* cm_number_end(const unsigned char* p, const unsigned char* end) {
    if (p < end && *p == '-') p++;
    if (p >= end) return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9') p++;
    } else {
        return NULL;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    return p;
}

static inline const unsigned char* cm_word_end(
    const unsigned char* p, const unsigned char* end, const char* word, size_t size) {
    if ((size_t)(end - p) < size || memcmp(p, word, size) != 0) return NULL;
    return p + size;
}

/* Skips one JSON value of any kind (p at its first byte).  Returns the first
 * byte after it, or NULL when it is not valid JSON. */
/* An object member's `"key" :` at p (keys of nested objects are not looked
 * at, only checked).  Returns the start of its value, or NULL. */
static inline const unsigned char* cm_member_key(const unsigned char* p, const unsigned char* end) {
    int escaped = 0;
    if (p >= end || *p != '"') return NULL;
    p = cm_string_end(p + 1, end, &escaped);
    if (!p) return NULL;
    p = cm_skip_space(p + 1, end);
    if (p >= end || *p != ':') return NULL;
    return cm_skip_space(p + 1, end);
}

static const unsigned char* cm_value_end(const unsigned char* p, const unsigned char* end) {
    /* nesting: 1 = object, 0 = array */
    unsigned char stack[CM_MAX_DEPTH];
    int depth = 0, escaped = 0;
    for (;;) {
        /* one value at p */
        if (p >= end) return NULL;
        switch (*p) {
            case '"':
                p = cm_string_end(p + 1, end, &escaped);
                if (!p) return NULL;
                p++;
                break;
            case '{':
            case '[':
                if (depth == CM_MAX_DEPTH) return NULL;
                stack[depth++] = (unsigned char)(*p == '{');
                p = cm_skip_space(p + 1, end);
                if (p < end && *p == (stack[depth - 1] ? '}' : ']')) {
                    depth--;
                    p++;
                    break;
                }
                if (stack[depth - 1] && !(p = cm_member_key(p, end))) return NULL;
                continue; /* the first member's value */
            case 't':
                p = cm_word_end(p, end, "true", 4);
                break;
            case 'f':
                p = cm_word_end(p, end, "false", 5);
                break;
            case 'n':
                p = cm_word_end(p, end, "null", 4);
                break;
            default:
                p = cm_number_end(p, end);
                break;
        }
        if (!p) return NULL;
        /* after a value: close containers or go on to the next member */
        for (;;) {
            if (depth == 0) return p;
            p = cm_skip_space(p, end);
            if (p >= end) return NULL;
            if (*p == ',') {
                p = cm_skip_space(p + 1, end);
                if (stack[depth - 1] && !(p = cm_member_key(p, end))) return NULL;
                break; /* the next value */
            }
            if (*p != (stack[depth - 1] ? '}' : ']')) return NULL;
            depth--;
            p++;
        }
    }
}

static inline uint64_t cm_load8(const unsigned char* p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* a == b over n bytes, inline: names and cached values are short, and a
 * call to memcmp costs more than comparing them */
static inline int cm_equal(const unsigned char* a, const unsigned char* b, size_t n) {
    if (n >= 8) {
        size_t i;
        for (i = 0; i + 8 < n; i += 8)
            if (cm_load8(a + i) != cm_load8(b + i)) return 0;
        return cm_load8(a + n - 8) == cm_load8(b + n - 8);
    }
    if (n >= 4) {
        uint32_t x, y, z, w;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&z, a + n - 4, 4);
        memcpy(&w, b + n - 4, 4);
        return x == y && z == w;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* A cheap hash of a short value: its length and up to 16 of its bytes. */
static inline uint64_t cm_short_hash(const unsigned char* p, size_t n) {
    uint64_t h = (uint64_t)n * 0x9E3779B97F4A7C15ULL;
    if (n >= 8) {
        h ^= cm_load8(p) * 0xC2B2AE3D27D4EB4FULL;
        h ^= cm_load8(p + n - 8) * 0x165667B19E3779F9ULL;
        if (n > 16) h ^= cm_load8(p + n / 2 - 4) * 0x27D4EB2F165667C5ULL;
    } else {
        uint64_t v = 0;
        memcpy(&v, p, n);
        h ^= v * 0xC2B2AE3D27D4EB4FULL;
    }
    return h ^ (h >> 31);
}

static inline int cm_lookup(const cm_names* names, const unsigned char* key, size_t size) {
    if (size > CM_MAX_NAME) return -1;
    uint32_t bits = names->by_size[size];
    while (bits) {
        int i = __builtin_ctz(bits);
        if (cm_equal(names->names[i], key, size)) return i;
        bits &= bits - 1;
    }
    return -1;
}

static inline int cm_has_high(const unsigned char* p, size_t size) {
    size_t i = 0;
#ifdef __SSE2__
    for (; i + 16 <= size; i += 16)
        if (_mm_movemask_epi8(_mm_loadu_si128((const __m128i*)(p + i)))) return 1;
#endif
    for (; i < size; i++)
        if (p[i] & 0x80) return 1;
    return 0;
}

/* Returns 1 and fills slots[0..names->count) for a line it is sure of; 0 to decline. */
static int cm_extract(
    const unsigned char* p, const unsigned char* end, const cm_names* names, cm_slot* slots) {
    int escaped, i;
    const unsigned char* key;
    for (i = 0; i < names->count; i++) slots[i].set = 0;
    p = cm_skip_space(p, end);
    if (p >= end || *p != '{') return 0;
    p = cm_skip_space(p + 1, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            if (p >= end || *p != '"') return 0;
            key = p + 1;
            escaped = 0;
            p = cm_string_end(key, end, &escaped);
            if (!p || escaped) return 0;
            i = cm_lookup(names, key, (size_t)(p - key));
            p++;
            if (p < end && *p == ':') { /* compact "key":value, the common form */
                p++;
            } else {
                p = cm_skip_space(p, end);
                if (p >= end || *p != ':') return 0;
                p++;
            }
            if (p < end && *p <= ' ') p = cm_skip_space(p, end);
            if (i >= 0) {
                if (slots[i].set || p >= end || *p != '"') return 0;
                escaped = 0;
                const unsigned char* close = cm_string_end(p + 1, end, &escaped);
                if (!close) return 0;
                slots[i].start = p + 1;
                slots[i].size = (uint32_t)(close - (p + 1));
                slots[i].set = 1;
                slots[i].escaped = (uint8_t)escaped;
                p = close + 1;
            } else if (p < end && *p == '"') { /* most values are strings */
                escaped = 0;
                p = cm_string_end(p + 1, end, &escaped);
                if (!p) return 0;
                p++;
            } else {
                p = cm_value_end(p, end);
                if (!p) return 0;
            }
            if (p < end && *p == ',' && end - p > 1 && p[1] == '"') {
                p++; /* compact ,"next": the common form */
                continue;
            }
            p = cm_skip_space(p, end);
            if (p >= end) return 0;
            if (*p == '}') {
                p++;
                break;
            }
            if (*p != ',') return 0;
            p = cm_skip_space(p + 1, end);
        }
    }
    p = cm_skip_space(p, end);
    return p == end;
}


/* Decodes the escapes of a checked string into UTF-8 at out (at least `size`
 * bytes: no escape grows).  Returns the length, or -1 for a lone surrogate
 * (which the caller leaves to the exact decoder); *high is set when the
 * result holds a byte >= 0x80. */
static ptrdiff_t cm_unescape(const unsigned char* p, size_t size, unsigned char* out, int* high) {
    const unsigned char* end = p + size;
    unsigned char* o = out;
    unsigned bits = 0;
    while (p < end) {
        const unsigned char* bs = (const unsigned char*)memchr(p, '\\', (size_t)(end - p));
        if (!bs) bs = end;
        memcpy(o, p, (size_t)(bs - p));
        if (cm_has_high(p, (size_t)(bs - p))) bits |= 0x80;
        o += bs - p;
        p = bs;
        if (p >= end) break;
        unsigned char c = p[1];
        p += 2;
        switch (c) {
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                unsigned cp = cm_u4(p);
                p += 4;
                if (cp >= 0xDC00 && cp <= 0xDFFF) return -1;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return -1;
                    unsigned lo = cm_u4(p + 2);
                    if (lo < 0xDC00 || lo > 0xDFFF) return -1;
                    p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (cp < 0x80) {
                    *o++ = (unsigned char)cp;
                    break;
                }
                bits |= 0x80;
                if (cp < 0x800) {
                    *o++ = (unsigned char)(0xC0 | (cp >> 6));
                    *o++ = (unsigned char)(0x80 | (cp & 0x3F));
                } else if (cp < 0x10000) {
                    *o++ = (unsigned char)(0xE0 | (cp >> 12));
                    *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                    *o++ = (unsigned char)(0x80 | (cp & 0x3F));
                } else {
                    *o++ = (unsigned char)(0xF0 | (cp >> 18));
                    *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                    *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                    *o++ = (unsigned char)(0x80 | (cp & 0x3F));
                }
                break;
            }
            default: /* " \ / */
                *o++ = c;
                break;
        }
    }
    *high = (bits & 0x80) != 0;
    return o - out;
}

/* Strict UTF-8 as Python's decoder reads it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static int cm_utf8_valid(const unsigned char* s, size_t n) {
    size_t i = 0, k, need;
    while (i < n) {
        unsigned char c = s[i], lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
#ifdef __SSE2__
            while (n - i >= 16 && !_mm_movemask_epi8(_mm_loadu_si128((const __m128i*)(s + i))))
                i += 16;
#endif
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c == 0xE0) {
            need = 2;
            lo = 0xA0;
        } else if (c == 0xED) {
            need = 2;
            hi = 0x9F;
        } else if (c >= 0xE1 && c <= 0xEF) {
            need = 2;
        } else if (c == 0xF0) {
            need = 3;
            lo = 0x90;
        } else if (c == 0xF4) {
            need = 3;
            hi = 0x8F;
        } else if (c >= 0xF1 && c <= 0xF3) {
            need = 3;
        } else {
            return 0;
        }
        if (n - i <= need) return 0;
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
        i += need + 1;
    }
    return 1;
}

#endif

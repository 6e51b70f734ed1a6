/* The field-scoped test of the prefilter (scan.pyx): whether a hit of a
 * literal in a raw line lies in the value of a field the literal comes from.
 *
 * The scan finds a literal at s + h; the test looks back from there, never
 * parsing the line from its start.  The last quote before the hit that no
 * backslash escapes (an even number of backslashes before it) either opens
 * the string the hit is in, or closes a string before it (the hit is then
 * in a number, a word or between values).  The hit counts for key K when
 * that quote is preceded (spaces allowed) by a colon and "K" (the string
 * holding the hit is K's value), or is itself the closing quote of "K" (K's
 * value is not a string: in doubt, it counts).  In a line of valid JSON a
 * real quote, a name and a real quote are a string, so "K" is a key there
 * (a key spelt inside another string has its quotes escaped); it may be a
 * nested object's key or a repeated one, which only makes more hits count.
 *
 * What the scan must do besides (scan.pyx): a line it keeps for an escape
 * that may stand for a literal's character is not asked; a literal's
 * non-ASCII spellings under (?i) count anywhere; and a line where no hit of
 * some group counts is still kept when it may spell a key with an escape.
 * Then a value holding a literal always has a hit that counts: the escapes
 * left stand for characters no literal holds, so the literal is in the raw
 * value as it is. */
#ifndef CQLMATCH_FIELDSCOPE_H
#define CQLMATCH_FIELDSCOPE_H

#include <stddef.h>
#include <string.h>

typedef struct { size_t first, count; } cqm_span; /* items [first, first + count) */

static inline int cqm_scope_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Whether the quote at s + q is escaped: an odd number of backslashes
 * right before it (s: the line's start). */
static inline int cqm_escaped_at(const char* s, size_t q) {
    size_t b = q;
    while (b > 0 && s[b - 1] == '\\') b--;
    return ((q - b) & 1) != 0;
}

/* The last quote in s[0:h) that no backslash escapes, or h when none. */
static inline size_t cqm_quote_before(const char* s, size_t h) {
    size_t i = h;
    while (i > 0) {
#ifdef __GLIBC__
        const char* q = (const char*)memrchr(s, '"', i);
        if (q == NULL) return h;
        i = (size_t)(q - s);
#else
        if (s[--i] != '"') continue;
#endif
        if (!cqm_escaped_at(s, i)) return i;
    }
    return h;
}

/* Whether s[0:q] ends with one of keys in quotes ("K", the closing quote
 * at q), its opening quote not escaped. */
static inline int cqm_key_ends_at(const char* s, size_t q, const cqm_pat* keys, size_t nkeys) {
    for (size_t k = 0; k < nkeys; k++) {
        size_t m = keys[k].size;
        if (q < m + 1) continue;
        size_t open = q - m - 1;
        if (s[open] == '"' && memcmp(s + open + 1, keys[k].data, m) == 0 &&
            !cqm_escaped_at(s, open))
            return 1;
    }
    return 0;
}

/* Whether a hit at s + h (s: the line's start) counts for one of keys (no
 * keys: any hit counts). */
static int cqm_hit_counts(const char* s, size_t h, const cqm_pat* keys, size_t nkeys) {
    if (nkeys == 0) return 1;
    size_t q = cqm_quote_before(s, h);
    if (q == h) return 1; /* before any string: in doubt */
    if (cqm_key_ends_at(s, q, keys, nkeys)) return 1; /* in the key's value, not a string */
    size_t p = q;
    while (p > 0 && cqm_scope_space(s[p - 1])) p--;
    if (p == 0 || s[p - 1] != ':') return 0;
    p--;
    while (p > 0 && cqm_scope_space(s[p - 1])) p--;
    return p > 0 && s[p - 1] == '"' && cqm_key_ends_at(s, p - 1, keys, nkeys);
}

/* Where the search may go on after a hit at s + h that does not count for
 * any key of its group: past the next quote that no backslash escapes
 * (every hit before it has the same last quote before it, so none counts
 * either), or end. */
static inline size_t cqm_skip_string(const char* s, size_t h, size_t end) {
    size_t i = h;
    while (i < end) {
        const char* q = (const char*)memchr(s + i, '"', end - i);
        if (q == NULL) return end;
        i = (size_t)(q - s);
        if (!cqm_escaped_at(s, i)) return i + 1;
        i++;
    }
    return end;
}

/* Whether s[from:to] holds backslash-u00XX with XX marked in table (the
 * second digit in either case, as the table marks it), or backslash-slash
 * when slash: the escapes that may spell a key. */
static int cqm_key_escape_in(const char* s, size_t from, size_t to, const unsigned char* table,
                             int slash) {
    size_t i = from;
    while (i + 1 < to) {
        const char* b = (const char*)memchr(s + i, '\\', to - i - 1);
        if (b == NULL) return 0;
        i = (size_t)(b - s);
        if (slash && s[i + 1] == '/') return 1;
        if (s[i + 1] == 'u' && i + 6 <= to && s[i + 2] == '0' && s[i + 3] == '0' &&
            table[(unsigned char)s[i + 4] * 256 + (unsigned char)s[i + 5]])
            return 1;
        i++;
    }
    return 0;
}

#endif

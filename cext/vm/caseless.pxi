# Included by vm.pyx (one C unit with it): the caseless string tests.
#
# TEST_EQ_CI, TEST_PREFIX_CI, TEST_SUFFIX_CI and TEST_CONTAINS_CI compare a
# field with an ASCII constant the way RE2's (?i) compares a value with ASCII
# pattern text: Unicode simple case folding, which onto ASCII folds the two
# cases of each letter, the Kelvin sign U+212A onto k and the long s U+017F
# onto s, and nothing else (regex.CASE_FOLDED_INTO_ASCII; "ß" is not "ss").
#
# So each character of a value compares as one byte (``_fold``): ASCII in
# lower case, those two as k and s, any other character as a byte no ASCII
# constant holds.  The constants are kept folded the same way
# (``_build_folded``: Machine.folded), so a test is a byte comparison over
# code-point positions: an equality, a prefix or suffix compared in place,
# or, for TEST_CONTAINS_CI, a search (``cqm_find``) in the value folded
# whole into the run's buffer (``_Ctx.fold_buf``, kept for the value it
# holds, by identity, so the OR-ed substrings of a Sigma rule fold a command
# line once and search it once each).
#
# The search compares a constant's first and last byte at their distance, 16
# positions at a time (SSE2), and the bytes between only where both match;
# the buffer's FOLD_PAD bytes past the value (FOLD_OTHER, which no constant
# holds) let the last loads run past the end without a scalar tail.  Without
# SSE2 it is ``memmem``.  (glibc's memmem took about 95 ns per search of a
# 220-byte command line, this loop about 30 ns.)


cdef extern from *:
    """
    #include <string.h>
    #ifdef __SSE2__
    #include <emmintrin.h>
    #endif
    enum { CQM_FOLD_PAD = 32, CQM_FOLD_OTHER = 0x80 };

    /* A-Z to a-z in n latin-1 bytes; every other byte as it is. */
    static void cqm_fold_latin1(unsigned char* out, const unsigned char* s, Py_ssize_t n) {
        Py_ssize_t i = 0;
    #ifdef __SSE2__
        /* x + (0x80 - 'A') is below -102 as a signed byte exactly for A-Z */
        const __m128i bias = _mm_set1_epi8((char)(0x80 - 'A'));
        const __m128i limit = _mm_set1_epi8((char)(-128 + 26));
        const __m128i bit = _mm_set1_epi8(0x20);
        for (; i + 16 <= n; i += 16) {
            __m128i x = _mm_loadu_si128((const __m128i*)(s + i));
            __m128i upper = _mm_cmplt_epi8(_mm_add_epi8(x, bias), limit);
            _mm_storeu_si128((__m128i*)(out + i), _mm_or_si128(x, _mm_and_si128(upper, bit)));
        }
    #endif
        for (; i < n; i++) {
            unsigned char b = s[i];
            out[i] = (unsigned char)(b - 'A') < 26 ? (unsigned char)(b + 0x20) : b;
        }
    }

    /* The first offset of p[0..m) in h[0..n), or -1; 1 <= m, and h[n..n +
       CQM_FOLD_PAD) holds CQM_FOLD_OTHER, a byte p does not hold. */
    static Py_ssize_t cqm_find(const unsigned char* h, Py_ssize_t n,
                               const unsigned char* p, Py_ssize_t m) {
        if (m > n)
            return -1;
    #ifdef __SSE2__
        {
            const __m128i first = _mm_set1_epi8((char)p[0]);
            const __m128i last = _mm_set1_epi8((char)p[m - 1]);
            Py_ssize_t i;
            /* loads reach h + (n - m) + (m - 1) + 15 < h + n + CQM_FOLD_PAD; a
               position past n - m has a pad byte under its last byte */
            for (i = 0; i + m <= n; i += 16) {
                __m128i a = _mm_loadu_si128((const __m128i*)(h + i));
                __m128i b = _mm_loadu_si128((const __m128i*)(h + i + m - 1));
                unsigned mask = (unsigned)_mm_movemask_epi8(
                    _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
                while (mask) {
                    Py_ssize_t at = i + __builtin_ctz(mask);
                    if (m <= 2 || memcmp(h + at + 1, p + 1, (size_t)(m - 2)) == 0)
                        return at;
                    mask &= mask - 1;
                }
            }
            return -1;
        }
    #else
        {
            const unsigned char* at = (const unsigned char*)memmem(h, (size_t)n, p, (size_t)m);
            return at == NULL ? -1 : at - h;
        }
    #endif
    }
    """
    enum:
        FOLD_PAD "CQM_FOLD_PAD"
        FOLD_OTHER "CQM_FOLD_OTHER"
    void cqm_fold_latin1(unsigned char* out, const unsigned char* s, Py_ssize_t n) noexcept nogil
    Py_ssize_t cqm_find(const unsigned char* h, Py_ssize_t n, const unsigned char* p,
                        Py_ssize_t m) noexcept nogil


cdef int _build_folded(Machine m) except -1:
    """Machine.folded: each constant in ASCII lower case as bytes, or None
    when it is not ASCII (the caseless tests refuse it: ``_check_code``)."""
    folded = []
    for text in m.consts:
        folded.append(text.lower().encode("ascii") if text.isascii() else None)
    m.folded = tuple(folded)
    return 0


cdef inline unsigned char _fold(uint32_t ch) noexcept nogil:
    """The byte a value's character compares as."""
    if ch < 0x80:
        if ch - 0x41 < 26:  # A-Z (unsigned: below A wraps around)
            return <unsigned char>(ch + 0x20)
        return <unsigned char>ch
    if ch == 0x212A:  # KELVIN SIGN
        return 0x6B  # k
    if ch == 0x17F:  # LATIN SMALL LETTER LONG S
        return 0x73  # s
    return FOLD_OTHER


cdef inline unsigned char _fold_latin1(unsigned char b) noexcept nogil:
    # (bytes 0x80-0xFF stay as they are: no ASCII constant holds them either)
    return b + 0x20 if <unsigned char>(b - 0x41) < 26 else b


cdef bint _fold_equal(object value, Py_ssize_t start, const unsigned char* lit,
                      Py_ssize_t n) noexcept:
    """Whether the ``n`` characters of ``value`` from ``start`` fold to ``lit``."""
    cdef int kind = PyUnicode_KIND(value)
    cdef const void* data = PyUnicode_DATA(value)
    cdef const unsigned char* s1
    cdef const uint16_t* s2
    cdef const uint32_t* s4
    cdef Py_ssize_t i
    if kind == PyUnicode_1BYTE_KIND:
        s1 = <const unsigned char*>data + start
        for i in range(n):
            if _fold_latin1(s1[i]) != lit[i]:
                return False
    elif kind == PyUnicode_2BYTE_KIND:
        s2 = <const uint16_t*>data + start
        for i in range(n):
            if _fold(s2[i]) != lit[i]:
                return False
    else:
        s4 = <const uint32_t*>data + start
        for i in range(n):
            if _fold(s4[i]) != lit[i]:
                return False
    return True


cdef const char* _folded_value(_Ctx c, object value, Py_ssize_t n) except NULL:
    """The value folded one byte per character, then FOLD_PAD bytes of
    FOLD_OTHER, in the run's buffer (folded again only for another value)."""
    cdef int kind
    cdef const void* data
    cdef const uint16_t* s2
    cdef const uint32_t* s4
    cdef unsigned char* out
    cdef Py_ssize_t i
    if c.fold_key is value:
        return c.fold_buf.data()
    c.fold_key = None
    c.fold_buf.resize(n + FOLD_PAD)
    out = <unsigned char*>c.fold_buf.data()
    memset(out + n, FOLD_OTHER, FOLD_PAD)
    kind = PyUnicode_KIND(value)
    data = PyUnicode_DATA(value)
    if kind == PyUnicode_1BYTE_KIND:
        cqm_fold_latin1(out, <const unsigned char*>data, n)
    elif kind == PyUnicode_2BYTE_KIND:
        s2 = <const uint16_t*>data
        for i in range(n):
            out[i] = _fold(s2[i])
    else:
        s4 = <const uint32_t*>data
        for i in range(n):
            out[i] = _fold(s4[i])
    c.fold_key = value  # held: no other object can take its identity meanwhile
    return c.fold_buf.data()


cdef int _test_caseless(Machine m, _Ctx c, int op, object value, int k) except -1:
    """TEST_EQ_CI, TEST_PREFIX_CI, TEST_SUFFIX_CI, TEST_CONTAINS_CI of
    ``value`` against constant ``k``."""
    cdef object lit = <object>PyTuple_GET_ITEM(m.folded, k)
    cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(lit)
    cdef Py_ssize_t nlit = PyBytes_GET_SIZE(lit)
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(value)
    cdef const unsigned char* hay
    if n < nlit or (op == TEST_EQ_CI and n != nlit):
        return 0
    if op == TEST_CONTAINS_CI:
        if nlit == 0:
            return 1
        hay = <const unsigned char*>_folded_value(c, value, n)
        return cqm_find(hay, n, p, nlit) >= 0
    return _fold_equal(value, n - nlit if op == TEST_SUFFIX_CI else 0, p, nlit)

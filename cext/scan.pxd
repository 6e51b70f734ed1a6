# cython: language_level=3
"""The table of contents of ``cqlmatch._scan`` (bodies in ``scan.pyx``):
the prefilter's scan of a block of NDJSON lines in C, over the kernels of
textscan.h, and the gathering of kept lines and values into columns.

Python-level names (not declarable here): ``scan(block, groups, escapes,
slash, ..., scope)``, ``join_lines(block, spans)``, ``gather(rows, own, fallback,
unset)``, ``utf8_valid(data)`` and ``_use_kernel(name)`` (tests)."""

from libcpp.vector cimport vector


cdef extern from "string.h" nogil:
    const void* memchr(const void* s, int c, size_t n)
    void* memmem(const void* haystack, size_t hlen, const void* needle, size_t nlen)


# The search kernels: memmem, 64-bit words, SSE2, AVX2, AVX2 fingerprints (teddy).
cdef extern from "textscan.h":
    ctypedef struct cqm_pat:  # one literal as a kernel reads it
        const char* data
        size_t size
        int fold
    ctypedef struct cqm_teddy:  # a search's fingerprint tables, built on first use
        int ready
    enum:
        CQM_AVX2  # the kernels from this one on need AVX2
    int cqm_best_kernel() noexcept nogil
    int cqm_kernel_available(int kernel) noexcept nogil
    const char* cqm_last_lf(const char* s, size_t n) noexcept nogil
    size_t cqm_next_hit(
        int kernel, const char* s, size_t n, size_t i, size_t limit, const cqm_pat* pats, int k,
        const unsigned char* table, int esc, int* which, size_t* next, cqm_teddy* ted
    ) noexcept nogil


# The framing of a block's lines (framelines.h).
cdef extern from "framelines.h":
    ctypedef void (*cm_unframed_fn)(void* ctx, size_t start, size_t end) noexcept nogil
    size_t cm_frame_lines(
        const unsigned char* d, size_t n, int vector, cm_unframed_fn unframed, void* ctx
    ) noexcept nogil


# Whether a literal's hit lies in the value of one of its fields (fieldscope.h).
cdef extern from "fieldscope.h":
    ctypedef struct cqm_span:
        size_t first, count
    int cqm_hit_counts(const char* s, size_t h, const cqm_pat* keys, size_t nkeys) noexcept nogil
    size_t cqm_skip_string(const char* s, size_t h, size_t end) noexcept nogil
    int cqm_key_escape_in(
        const char* s, size_t start, size_t end, const unsigned char* table, int slash
    ) noexcept nogil


cdef extern from "jsonfields.h" nogil:
    int cm_utf8_valid(const unsigned char* s, size_t n)


cdef struct Needle:  # one literal of one group
    const char* data
    size_t size
    int group
    bint fold  # in lower case, compared ignoring ASCII case
    cqm_span keys  # of a scoped group: the fields a hit must lie in (none: anywhere)


cdef struct Search:
    # patterns pats[first:first + count], the escape one at first + esc (or
    # esc < 0), the memmem kernel's state at nexts[state:state + count];
    # scoped: a group's search whose hits must lie in their fields, its
    # patterns from esc on the escapes that may spell a key
    size_t first, state
    int count, esc
    bint scoped
    bint anywhere  # of a scoped group: some literal's hits count anywhere
    cqm_span keys  # of a scoped group: all its literals' keys


# The literals of groups as needles; returns the number of groups.
cdef int make_needles(
    tuple groups, object folds, vector[Needle]& needles, object scope, vector[cqm_pat]& keys
) except -1
# The group whose literals the block is searched for (-1: some group cannot match).
cdef int _driving_group(const vector[Needle]& needles, int ngroups) noexcept nogil
# scan() without Python objects: kept lines' (start, end) to kept; the line count.
cdef size_t scan_block(
    const char* data,
    size_t n,
    const vector[Needle]& needles,
    int ngroups,
    const unsigned char* table,
    bint slash,
    vector[size_t]& kept,
    const cqm_pat* keys,
    const unsigned char* key_table,
    bint key_slash,
) noexcept nogil

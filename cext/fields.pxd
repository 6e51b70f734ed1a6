# cython: language_level=3
"""The table of contents of ``cqlmatch._fields`` (bodies in ``fields.pyx``):
``FieldExtractor``, a program's fields from NDJSON lines into columns, over
the C scanner of jsonfields.h.

Python-level names (not declarable here): ``extractable(names)``,
``MAX_NAMES`` and ``FieldExtractor.extract(block, spans)``."""

from cpython.ref cimport PyObject
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libcpp.vector cimport vector


# The C side: jsonfields.h (also compiled into cqlmatch._scan).
cdef extern from "jsonfields.h" nogil:
    ctypedef struct cm_slot:  # where one wanted key's string value is in a line
        const unsigned char* start
        uint32_t size
        uint8_t set
        uint8_t escaped

    ctypedef struct cm_names:  # the wanted keys, indexed by their byte length
        int count
        const unsigned char* names[32]
        uint32_t sizes[32]
        uint32_t by_size[65]

    int CM_MAX_NAME
    # One line checked against the JSON grammar, the wanted top-level values located.
    int cm_extract(const unsigned char* p, const unsigned char* end, const cm_names* names,
                   cm_slot* slots)
    ptrdiff_t cm_unescape(const unsigned char* p, size_t size, unsigned char* out, int* high)
    int cm_has_high(const unsigned char* p, size_t size)
    int cm_equal(const unsigned char* a, const unsigned char* b, size_t n)
    uint64_t cm_short_hash(const unsigned char* p, size_t n)
    int cm_utf8_valid(const unsigned char* s, size_t n)


cdef class FieldExtractor:
    cdef cm_names table  # the JSON keys looked for
    cdef tuple _encoded  # keeps the names' bytes alive
    cdef vector[int] own, fallback  # per column: the name index it takes, or -1
    cdef vector[char] raw  # per column: takes the line itself when absent (@rawstring)
    cdef bint wants_raw
    # Short ASCII values repeat (event names, hosts, users, file names): the
    # same str is handed out again, which also lets the VM's regex memo find
    # it by its cached hash.  cache[key * CACHE_WAYS + slot]: owned refs.
    cdef vector[PyObject*] cache

    cdef object _short(self, int key, const unsigned char* p, size_t size)  # cached short str

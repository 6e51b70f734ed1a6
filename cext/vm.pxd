# cython: language_level=3
"""The table of contents of ``cqlmatch._vm`` (bodies in ``vm.pyx``).

One ``Machine`` runs one compiled ``Program``.  It owns C copies of what the
hot loop reads (the code words, the interned field names, the compiled RE2
sets) and no per-run state except the regex-set cache, which it only updates
while holding the GIL (see ``_set_bits``)."""

cimport cython
from cpython.object cimport PyObject
from libc.stdint cimport int64_t
from libcpp.vector cimport vector

from re2 cimport RE2Set


@cython.final
cdef class Machine:
    cdef readonly object program
    # The slow-path object and its bound methods, looked up once.
    cdef object slow
    cdef object _test_node
    cdef object _stage_node
    cdef object _warn
    # Helpers from the pure-Python package, looked up once.
    cdef object _event
    cdef object _parse_number
    cdef object _format_number
    cdef object _glob_match
    cdef object _scrub

    # Code: the program's words, checked at construction (every opcode is
    # known, every operand in range, every target an instruction start).
    cdef int* code
    cdef Py_ssize_t ncode
    cdef Py_ssize_t entry

    # Fields by slot: interned names kept alive by the tuples; the vectors
    # hold borrowed pointers into them (NULL: no fallback).
    cdef tuple names
    cdef tuple fallbacks
    cdef vector[PyObject*] name_ptrs
    cdef vector[PyObject*] fallback_ptrs
    cdef vector[char] rawstring

    cdef tuple consts
    # Numbers: the program's values, and for the C fast path whether each
    # is a float (then its double) or something the fast path leaves alone.
    cdef tuple numbers
    cdef vector[double] number_values
    cdef vector[char] number_is_float

    # Regex sets: one compiled RE2::Set per Program.regex_sets entry; the
    # matched bits of the last value each set ran on (set_keys holds that
    # value, compared by identity), at set_offsets[s] in set_bits.
    cdef vector[RE2Set*] sets
    cdef vector[Py_ssize_t] set_sizes
    cdef vector[Py_ssize_t] set_offsets
    cdef vector[unsigned char] set_bits
    cdef list set_keys
    cdef readonly Py_ssize_t regex_calls  # set evaluations so far (for tests and tuning)

    cdef int _check_code(self) except -1
    cdef int _build_sets(self) except -1
    cdef object _read(self, object cur, dict fields, int slot)
    cdef object _read_fallback(self, object cur, dict fields, int slot)
    cdef object _copy(self, object cur, dict fields)
    cdef int _exec(self, Py_ssize_t pc, object cur, bint flag, list stack, list out) except -1
    cdef int _regex_bit(self, object value, int s, int bit) except -1
    cdef int _set_bits(self, object value, int s) except -1
    cdef int _test_num(self, object value, int op, int n) except -1
    cdef _forget(self)
    cdef list _rows(
        self, plan, Py_ssize_t ngroups, Py_ssize_t naggs, vector[int]& kinds,
        vector[int64_t]& counts, list objects, list key_values,
    )

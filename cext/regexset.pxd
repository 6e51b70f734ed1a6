# cython: language_level=3
"""The table of contents of ``cqlmatch._regexset`` (bodies in
``regexset.pyx``): ``RegexSet``, many RE2 patterns matched in one pass.

Python-level names (not declarable here): ``DEFAULT_MAX_MEM`` (an alias of
``cqlmatch.limits.REGEX_MAX_MEM``), ``RegexSetError`` and the methods
``add``, ``compile``, ``match``, ``match_any``."""

from libc.stdint cimport int64_t

from re2 cimport RE2Set, SetErrorInfo


# Life cycle of a RegexSet.  _COMPILING exists because compile() releases the
# GIL: other threads must then see the set as neither addable nor matchable.
cdef enum _State:
    _BUILDING
    _COMPILING
    _COMPILED
    _FAILED


cdef const char* _utf8_view(object text, Py_ssize_t* size) except NULL  # borrowed UTF-8 of str/bytes
cdef bytes _as_pattern_bytes(object pattern)  # a pattern as UTF-8 bytes


cdef class RegexSet:
    cdef RE2Set* _set  # owned; freed by __dealloc__
    cdef list _patterns  # the patterns added, in order (their index is their id)
    cdef _State _state
    cdef readonly str anchor  # "unanchored", "start" or "both", for every pattern
    cdef readonly int64_t max_mem  # RE2's memory budget in bytes

    cdef int _check_matchable(self) except -1  # raise unless compiled
    cdef int _raise_match_error(self, SetErrorInfo* info) except -1  # RE2's error as RegexSetError

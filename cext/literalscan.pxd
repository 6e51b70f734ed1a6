# cython: language_level=3
"""The literal-scanner interface of cext/literalscan.h, for the modules
that offer one (hsscan.pyx) and take one (candidates.pyx)."""


cdef extern from "literalscan.h":
    ctypedef void (*cm_found_fn)(void* ctx, unsigned int id) noexcept
    ctypedef struct cm_literal_scanner:
        void* handle
        int (*scan)(void* handle, const char* data, size_t size, cm_found_fn found,
                    void* ctx) noexcept

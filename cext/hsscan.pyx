# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False
"""Many literals found at once with Hyperscan (``libhs``, Debian's
``libhyperscan-dev``): the fast scanner of a pack's candidate index.

``LiteralScanner(patterns)`` compiles the byte strings (compared ignoring
ASCII case, each reported once per scan) into one block-mode database
(or takes the one ``serialize`` gave, ``database=``: compiling thousands
of literals takes a good part of a second);
``capsule`` hands its scan function to ``CandidateIndex.use_scanner``
(``cext/literalscan.h``).  Built only where the Hyperscan headers are; the
index's own automaton serves where it is not.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.pycapsule cimport PyCapsule_New
from libc.stdlib cimport free, malloc
from libcpp.vector cimport vector

from literalscan cimport cm_found_fn, cm_literal_scanner


cdef extern from "hs/hs.h" nogil:
    ctypedef struct hs_database_t:
        pass
    ctypedef struct hs_scratch_t:
        pass
    ctypedef struct hs_platform_info_t:
        pass
    ctypedef struct hs_compile_error_t:
        char* message
        int expression
    ctypedef int hs_error_t
    int HS_SUCCESS
    int HS_SCAN_TERMINATED
    unsigned int HS_FLAG_CASELESS
    unsigned int HS_FLAG_SINGLEMATCH
    unsigned int HS_MODE_BLOCK
    hs_error_t hs_compile_lit_multi(const char* const* expressions, const unsigned* flags,
                                    const unsigned* ids, const size_t* lens, unsigned elements,
                                    unsigned mode, const hs_platform_info_t* platform,
                                    hs_database_t** db, hs_compile_error_t** error)
    hs_error_t hs_free_compile_error(hs_compile_error_t* error)
    hs_error_t hs_free_database(hs_database_t* db)
    hs_error_t hs_serialize_database(const hs_database_t* db, char** bytes, size_t* length)
    hs_error_t hs_deserialize_database(const char* bytes, size_t length, hs_database_t** db)
    hs_error_t hs_alloc_scratch(const hs_database_t* db, hs_scratch_t** scratch)
    hs_error_t hs_free_scratch(hs_scratch_t* scratch)
    const char* hs_version()


cdef extern from "hs/hs.h":
    # (not nogil: the scan runs, and calls back, with the GIL held)
    ctypedef int (*match_event_handler)(unsigned int id, unsigned long long start,
                                        unsigned long long end, unsigned int flags,
                                        void* context) noexcept
    hs_error_t hs_scan(const hs_database_t* db, const char* data, unsigned int length,
                       unsigned int flags, hs_scratch_t* scratch, match_event_handler on_event,
                       void* context)


ctypedef struct _Call:
    cm_found_fn found
    void* ctx


cdef int _on_match(unsigned int id, unsigned long long start, unsigned long long end,
                   unsigned int flags, void* context) noexcept:
    cdef _Call* call = <_Call*>context
    call.found(call.ctx, id)
    return 0


cdef int _scan(void* handle, const char* data, size_t size, cm_found_fn found,
               void* ctx) noexcept:
    cdef LiteralScanner self = <LiteralScanner>handle
    cdef _Call call
    if size > 0xFFFFFFFF:
        return -1
    call.found = found
    call.ctx = ctx
    if hs_scan(self.db, data, <unsigned int>size, 0, self.scratch, _on_match, &call) != HS_SUCCESS:
        return -1
    return 0


def version() -> str:
    """The Hyperscan library's version text."""
    return hs_version().decode("ascii", "replace")


cdef class LiteralScanner:
    """``LiteralScanner(patterns, ids=None, database=None)``: non-empty
    ``bytes``, pattern ``i`` reported as ``ids[i]`` (default ``i``);
    ``database``: what ``serialize`` gave for the same patterns, ids and
    ``every``, loaded instead of compiling them (a ``ValueError`` when
    this Hyperscan or this machine cannot use it); ``every``: report every
    occurrence, not each pattern once (the kind a built pack stores as
    its scanner of every literal).  A scan holds the GIL: one scratch serves it."""

    cdef hs_database_t* db
    cdef hs_scratch_t* scratch
    cdef cm_literal_scanner iface
    cdef readonly int count
    cdef readonly long long max_id  # the largest id reported (-1: none)
    cdef readonly bint every  # every occurrence reported, not each pattern once

    def __cinit__(self):
        self.db = NULL
        self.scratch = NULL

    def __init__(self, list patterns not None, ids=None, bytes database=None, bint every=False):
        cdef vector[const char*] texts
        cdef vector[unsigned] flags, ids_
        cdef vector[size_t] lens
        cdef hs_compile_error_t* error = NULL
        cdef hs_database_t* db = NULL
        cdef hs_error_t status
        cdef unsigned i
        if self.db != NULL:
            raise RuntimeError("a LiteralScanner is initialised once")
        if not patterns:
            raise ValueError("no pattern to look for")
        numbers = list(range(len(patterns))) if ids is None else list(ids)
        if len(numbers) != len(patterns):
            raise ValueError(f"{len(numbers)} ids for {len(patterns)} patterns")
        self.max_id = -1
        for i, pattern in enumerate(patterns):
            if type(pattern) is not bytes or not pattern:
                raise TypeError("patterns must be non-empty bytes")
            if not 0 <= numbers[i] <= 0x7FFFFFFF:
                raise ValueError(f"id {numbers[i]} out of range")
            texts.push_back(PyBytes_AS_STRING(pattern))
            lens.push_back(PyBytes_GET_SIZE(pattern))
            flags.push_back(HS_FLAG_CASELESS if every else HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH)
            ids_.push_back(numbers[i])
            self.max_id = max(self.max_id, numbers[i])
        if database is not None:
            if hs_deserialize_database(PyBytes_AS_STRING(database), PyBytes_GET_SIZE(database),
                                       &self.db) != HS_SUCCESS:
                self.db = NULL
                raise ValueError("Hyperscan cannot load this database here")
        else:
            # (without the GIL: a pack compiles its typed scanners side by side)
            with nogil:
                status = hs_compile_lit_multi(texts.data(), flags.data(), ids_.data(),
                                              lens.data(), <unsigned>texts.size(),
                                              HS_MODE_BLOCK, NULL, &db, &error)
            if status != HS_SUCCESS:
                message = error.message.decode("utf-8", "replace") if error != NULL else "?"
                hs_free_compile_error(error)
                raise ValueError(f"Hyperscan could not compile the literals: {message}")
            self.db = db
        if hs_alloc_scratch(self.db, &self.scratch) != HS_SUCCESS:
            if database is not None:  # (made for another machine's instructions)
                raise ValueError("Hyperscan cannot run this database here")
            raise MemoryError("Hyperscan could not allocate its scratch space")
        self.count = len(patterns)
        self.iface.handle = <void*>self
        self.iface.scan = _scan
        self.every = every

    def __dealloc__(self):
        if self.scratch != NULL:
            hs_free_scratch(self.scratch)
        if self.db != NULL:
            hs_free_database(self.db)

    def serialize(self) -> bytes:
        """The compiled database as bytes (``database=`` loads it again)."""
        cdef char* data = NULL
        cdef size_t size = 0
        if hs_serialize_database(self.db, &data, &size) != HS_SUCCESS:
            raise MemoryError("Hyperscan could not serialise its database")
        try:
            return data[:size]
        finally:
            free(data)

    @property
    def capsule(self):
        """The scan function for ``CandidateIndex.use_scanner`` (valid while
        this scanner lives: the index keeps a reference to it)."""
        return PyCapsule_New(&self.iface, b"cqlmatch.literalscan", NULL)

    def found(self, bytes data not None) -> list:
        """The ids of the patterns in ``data``, ascending (for tests)."""
        cdef set seen = set()
        cdef _Collect collect
        collect.seen = <void*>seen
        if _scan(<void*>self, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), _collect,
                 &collect) != 0:
            raise RuntimeError("the Hyperscan scan failed")
        return sorted(seen)


ctypedef struct _Collect:
    void* seen


cdef void _collect(void* ctx, unsigned int id) noexcept:
    (<set>(<_Collect*>ctx).seen).add(id)

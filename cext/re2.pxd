# cython: language_level=3
"""Minimal Cython declarations for the parts of RE2 that cqlmatch uses.

Only members that exist with compatible signatures in BOTH the 2022-06 RE2
shipped by Debian 12 (where ``re2::StringPiece`` is RE2's own class) and
current RE2 (where ``re2::StringPiece`` is an alias of ``absl::string_view``)
are declared here, so the extension builds against either.  Anything else
(e.g. ``set_encoding`` or the templated matchers) is deliberately left out.

This file is named ``re2.pxd`` for ``cimport re2`` inside ``cext/`` only; the
compiled module is ``cqlmatch._regexset``, never a top-level ``re2`` module,
which would shadow the ``re2`` module installed by the pyre2 package.
"""

from libc.stdint cimport int64_t
from libcpp cimport bool
from libcpp.string cimport string
from libcpp.vector cimport vector


cdef extern from "re2/stringpiece.h" namespace "re2" nogil:
    # A non-owning (pointer, length) view; the caller keeps the bytes alive.
    cdef cppclass StringPiece:
        StringPiece()
        StringPiece(const char* data, size_t size)
        const char* data()
        size_t size()


cdef extern from "re2/re2.h" namespace "re2" nogil:
    # RE2::Anchor is nested in class RE2 in C++; Cython cannot reach enum
    # values declared inside a cppclass, so it is declared here under the
    # Cython name RE2Anchor with the full C++ spellings.
    enum RE2Anchor "re2::RE2::Anchor":
        UNANCHORED "re2::RE2::UNANCHORED"
        ANCHOR_START "re2::RE2::ANCHOR_START"
        ANCHOR_BOTH "re2::RE2::ANCHOR_BOTH"

    cdef cppclass RE2:
        # Nested class: Cython spells it re2::RE2::Options in the C++ output.
        cppclass Options:
            Options()
            void set_case_sensitive(bool b)
            void set_max_mem(int64_t m)
            void set_log_errors(bool b)
            void set_dot_nl(bool b)
            void set_never_nl(bool b)
            void set_longest_match(bool b)
            void set_literal(bool b)
            void set_posix_syntax(bool b)
            void set_never_capture(bool b)
            bool case_sensitive()
            int64_t max_mem()

        RE2(const StringPiece& pattern) except +
        RE2(const StringPiece& pattern, const Options& options) except +
        bool ok()
        const string& error()
        const string& pattern()
        int NumberOfCapturingGroups()

        # Escapes every regex metacharacter so the result matches literally.
        @staticmethod
        string QuoteMeta(const StringPiece& unquoted) except +


cdef extern from "re2/set.h" namespace "re2" nogil:
    # Functions that may allocate are declared ``except +`` so that a C++
    # exception (std::bad_alloc) becomes a Python MemoryError, not an abort.
    #
    # RE2::Set::ErrorKind / ErrorInfo exist since RE2 2019 and are unchanged
    # in current releases; they let Match() report a DFA out-of-memory
    # failure instead of a silent "no match".
    enum SetErrorKind "re2::RE2::Set::ErrorKind":
        kNoError "re2::RE2::Set::kNoError"
        kNotCompiled "re2::RE2::Set::kNotCompiled"
        kOutOfMemory "re2::RE2::Set::kOutOfMemory"
        kInconsistent "re2::RE2::Set::kInconsistent"

    struct SetErrorInfo "re2::RE2::Set::ErrorInfo":
        SetErrorKind kind

    # One RE2::Options and one anchor apply to every pattern in the set.
    cdef cppclass RE2Set "re2::RE2::Set":
        RE2Set(const RE2.Options& options, RE2Anchor anchor) except +
        # Returns the new pattern's index, or -1 with *error filled in.
        int Add(const StringPiece& pattern, string* error) except +
        # Returns false when the compiled program exceeds max_mem.
        bool Compile() except +
        # Fills *v with matching indices (unsorted).
        bool Match(const StringPiece& text, vector[int]* v) except +
        # As above; sets error_info->kind when nothing matched, e.g. on OOM.
        bool Match(
            const StringPiece& text, vector[int]* v, SetErrorInfo* error_info
        ) except +

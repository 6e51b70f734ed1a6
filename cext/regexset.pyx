# distutils: language = c++
"""Many regular expressions matched against one text in a single pass.

``RegexSet`` wraps RE2's ``RE2::Set``: every pattern is compiled into one
automaton, so matching N patterns costs one scan of the text instead of N.
This is what lets cqlmatch evaluate all regex/wildcard filters of a query
(or of many queries) against an event at once.  RE2 guarantees linear time in
the size of the text, so hostile patterns or events cannot cause
catastrophic backtracking.

Texts are matched as UTF-8: ``str`` is encoded (CPython caches the UTF-8 form,
and for ASCII strings it is the string's own buffer, so this is usually free);
``bytes`` are passed through unchanged.
"""

from cpython.bytes cimport PyBytes_AsStringAndSize
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from libc.stdint cimport int64_t
from libcpp cimport bool as cbool
from libcpp.algorithm cimport sort
from libcpp.string cimport string
from libcpp.vector cimport vector

from re2 cimport (
    ANCHOR_BOTH,
    ANCHOR_START,
    RE2,
    UNANCHORED,
    RE2Anchor,
    RE2Set,
    SetErrorInfo,
    StringPiece,
    kNoError,
    kNotCompiled,
    kOutOfMemory,
)

from cqlmatch.limits import REGEX_MAX_MEM

#: Default memory budget for one set (program plus DFA cache): the limit of
#: cqlmatch.limits.  RE2's own default (8 MiB) is sized for a single regex; a
#: set of thousands of patterns needs more room or the DFA keeps resetting
#: (slow) or gives up.
DEFAULT_MAX_MEM = REGEX_MAX_MEM

# (_State, the life cycle of a RegexSet, is declared in regexset.pxd.)


class RegexSetError(ValueError):
    """An invalid pattern, misuse of the set, or RE2 running out of memory."""


cdef const char* _utf8_view(object text, Py_ssize_t* size) except NULL:
    """Borrow a UTF-8 pointer into ``text`` without copying it.

    The pointer stays valid as long as ``text`` is alive, which the caller
    guarantees by holding a reference while the GIL is released.
    """
    cdef char* buf
    if isinstance(text, str):
        return PyUnicode_AsUTF8AndSize(text, size)
    if isinstance(text, bytes):
        PyBytes_AsStringAndSize(text, &buf, size)
        return buf
    raise TypeError(f"expected str or bytes, got {type(text).__name__}")


cdef bytes _as_pattern_bytes(object pattern):
    if isinstance(pattern, str):
        return (<str>pattern).encode("utf-8")
    if isinstance(pattern, bytes):
        return <bytes>pattern
    raise TypeError(f"pattern must be str or bytes, got {type(pattern).__name__}")


cdef class RegexSet:
    """A set of RE2 patterns compiled together and matched in one pass.

    Usage: ``add()`` every pattern, ``compile()`` once, then ``match()`` /
    ``match_any()`` as often as needed, from any number of threads (matching
    is read-only and releases the GIL).

    ``anchor`` applies to every pattern: ``"unanchored"`` (search anywhere,
    default), ``"start"`` (match must begin at the start of the text) or
    ``"both"`` (the whole text must match).  ``max_mem`` bounds the memory in
    bytes that RE2 may use for the compiled program and its DFA cache.
    """

    # (attributes: declared in regexset.pxd)

    def __cinit__(self, *, str anchor="unanchored", int64_t max_mem=DEFAULT_MAX_MEM):
        cdef RE2.Options options
        cdef RE2Anchor re2_anchor
        if anchor == "unanchored":
            re2_anchor = UNANCHORED
        elif anchor == "start":
            re2_anchor = ANCHOR_START
        elif anchor == "both":
            re2_anchor = ANCHOR_BOTH
        else:
            raise ValueError(
                f"anchor must be 'unanchored', 'start' or 'both', not {anchor!r}"
            )
        if max_mem <= 0:
            raise ValueError(f"max_mem must be a positive number of bytes, not {max_mem}")
        options.set_max_mem(max_mem)
        # Errors are reported through exceptions; RE2 must not also write to stderr.
        options.set_log_errors(False)
        self._set = new RE2Set(options, re2_anchor)
        self._patterns = []
        self._state = _BUILDING
        self.anchor = anchor
        self.max_mem = max_mem

    def __dealloc__(self):
        del self._set

    def add(
        self,
        pattern,
        *,
        cbool case_insensitive=False,
        cbool dot_nl=False,
        cbool literal=False,
    ):
        """Add ``pattern`` (RE2 syntax, str or UTF-8 bytes); return its index.

        Indices count up from 0 in the order patterns are added.  RE2::Set
        applies a single Options to all patterns, so the per-pattern flags
        are written into the pattern instead: ``case_insensitive`` prefixes
        ``(?i)``, ``dot_nl`` (``.`` also matches ``\\n``) prefixes ``(?s)``,
        and ``literal`` escapes every metacharacter first.
        """
        cdef bytes raw = _as_pattern_bytes(pattern)
        cdef string quoted
        cdef string error
        cdef int index
        if self._state != _BUILDING:
            raise RegexSetError("cannot add patterns after compile()")
        if literal:
            quoted = RE2.QuoteMeta(StringPiece(raw, len(raw)))
            raw = quoted
        if case_insensitive or dot_nl:
            flags = (b"i" if case_insensitive else b"") + (b"s" if dot_nl else b"")
            raw = b"(?" + flags + b")" + raw
        index = self._set.Add(StringPiece(raw, len(raw)), &error)
        if index < 0:
            raise RegexSetError(
                f"invalid regex {pattern!r}: {error.decode('utf-8', 'replace')}"
            )
        self._patterns.append(pattern)
        return index

    def compile(self):
        """Build the automaton; required once before matching, no-op after.

        Raises RegexSetError if the program does not fit in ``max_mem``.
        """
        cdef RE2Set* rset = self._set
        cdef cbool ok
        if self._state == _COMPILED:
            return
        if self._state != _BUILDING:
            raise RegexSetError("compile() already failed or is in progress")
        self._state = _COMPILING
        try:
            with nogil:
                ok = rset.Compile()
        except BaseException:
            self._state = _FAILED
            raise
        if not ok:
            self._state = _FAILED
            raise RegexSetError(
                f"RE2 ran out of memory compiling {len(self._patterns)} patterns "
                f"(max_mem={self.max_mem} bytes); raise max_mem or split the set"
            )
        self._state = _COMPILED

    cdef int _check_matchable(self) except -1:
        if self._state == _COMPILED:
            return 0
        if self._state == _FAILED:
            raise RegexSetError("cannot match: compile() failed")
        raise RegexSetError("cannot match before compile()")

    cdef int _raise_match_error(self, SetErrorInfo* info) except -1:
        # Reached only when RE2 matched nothing; a non-zero kind means the
        # "no match" is not trustworthy, so it must not be returned as one.
        if info.kind == kNoError:
            return 0
        if info.kind == kOutOfMemory:
            raise RegexSetError(
                f"RE2 DFA ran out of memory while matching (max_mem={self.max_mem} bytes);"
                " raise max_mem or split the set"
            )
        if info.kind == kNotCompiled:
            raise RegexSetError("cannot match before compile()")
        raise RegexSetError(f"RE2::Set::Match failed (error kind {<int>info.kind})")

    def match(self, text):
        """Return the sorted indices of all patterns that match ``text``."""
        cdef RE2Set* rset = self._set
        cdef Py_ssize_t size
        cdef const char* data
        cdef vector[int] hits
        cdef SetErrorInfo info
        cdef cbool matched
        self._check_matchable()
        data = _utf8_view(text, &size)
        info.kind = kNoError
        with nogil:
            matched = rset.Match(StringPiece(data, <size_t>size), &hits, &info)
        if not matched:
            self._raise_match_error(&info)
            return []
        # RE2 returns indices in no particular order; callers want stable output.
        sort(hits.begin(), hits.end())
        return hits

    def match_any(self, text):
        """Return True if at least one pattern matches ``text``.

        Cheaper than ``match()``: RE2 may stop at the first match and no
        index list is built.
        """
        cdef RE2Set* rset = self._set
        cdef Py_ssize_t size
        cdef const char* data
        cdef SetErrorInfo info
        cdef cbool matched
        self._check_matchable()
        data = _utf8_view(text, &size)
        info.kind = kNoError
        with nogil:
            matched = rset.Match(StringPiece(data, <size_t>size), NULL, &info)
        if not matched:
            self._raise_match_error(&info)
        return matched

    @property
    def patterns(self):
        """The patterns as given to ``add()`` (before any flag prefixing)."""
        return tuple(self._patterns)

    @property
    def compiled(self):
        """True once ``compile()`` has succeeded."""
        return self._state == _COMPILED

    def __len__(self):
        return len(self._patterns)

    def __repr__(self):
        return (
            f"<RegexSet {len(self._patterns)} patterns, anchor={self.anchor!r}, "
            f"compiled={self._state == _COMPILED}>"
        )

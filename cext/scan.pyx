# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Ingest kernels in C: the prefilter's scan of a block of NDJSON lines in
one pass, and the gathering of kept lines and decoded values into columns.

``scan(block, groups, escapes, slash)`` keeps a line when every group has a
literal in it, or when it holds a JSON escape that could stand for a
character of a literal (``\\u00XX`` whose two hex digits ``escapes`` marks,
or ``\\/`` when ``slash``): exactly ``ingest.Prefilter``'s rule, which
decides it with one ``bytes.find`` pass per literal and a regex search over
the whole block.  Here each line is visited once, with ``memchr`` for its
end and ``memmem`` for the needles, and no Python object is made for a
line the scan rules out.  The GIL is released for the scan.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.string cimport memcpy
from libcpp.vector cimport vector


cdef extern from "string.h" nogil:
    const void* memchr(const void* s, int c, size_t n)
    void* memmem(const void* haystack, size_t hlen, const void* needle, size_t nlen)


cdef struct Needle:
    const char* data
    size_t size
    int group


cdef bint _escaped(
    const char* line, size_t size, const unsigned char* table, bint slash
) noexcept nogil:
    cdef const char* at
    cdef const char* end = line + size
    cdef size_t left
    at = <const char*>memmem(line, size, b"\\u00", 4)
    while at != NULL:
        if at + 6 <= end and table[(<unsigned char>at[4]) * 256 + <unsigned char>at[5]]:
            return True
        left = <size_t>(end - (at + 4))
        at = <const char*>memmem(at + 4, left, b"\\u00", 4)
    return slash and memmem(line, size, b"\\/", 2) != NULL


def scan(bytes block not None, tuple groups not None, bytes escapes not None, bint slash):
    """``(spans, lines)``: the ``(start, end)`` of each line of ``block``
    (lines end at LF) that might match, in order, and the number of lines
    (LF count + 1).  ``groups``: tuples of ``bytes`` literals; ``escapes``:
    65,536 bytes, non-zero at ``first * 256 + second`` for the two hex digit
    characters of an escape to keep."""
    cdef vector[Needle] needles
    cdef Needle needle
    cdef int ngroups = len(groups)
    cdef int g
    cdef const char* data = PyBytes_AS_STRING(block)
    cdef size_t n = <size_t>PyBytes_GET_SIZE(block)
    cdef const unsigned char* table
    cdef vector[size_t] kept  # start, end pairs
    cdef size_t pos = 0, end, lines = 1, k
    cdef const char* nl
    cdef vector[char] seen
    cdef bint keep
    if len(escapes) != 65536:
        raise ValueError("escapes must be a 65,536-byte table")
    table = <const unsigned char*>PyBytes_AS_STRING(escapes)
    for g in range(ngroups):
        for literal in groups[g]:
            if type(literal) is not bytes or not literal:
                raise TypeError("literals must be non-empty bytes")
            needle.data = PyBytes_AS_STRING(literal)
            needle.size = <size_t>PyBytes_GET_SIZE(literal)
            needle.group = g
            needles.push_back(needle)
    seen.resize(max(ngroups, 1))
    with nogil:
        while pos <= n:
            nl = <const char*>memchr(data + pos, 10, n - pos)
            end = n if nl == NULL else <size_t>(nl - data)
            if end > pos:
                for g in range(ngroups):
                    seen[g] = 0
                for k in range(needles.size()):
                    if not seen[needles[k].group] and memmem(
                        data + pos, end - pos, needles[k].data, needles[k].size
                    ) != NULL:
                        seen[needles[k].group] = 1
                keep = True
                for g in range(ngroups):
                    if not seen[g]:
                        keep = False
                        break
                if not keep:
                    keep = _escaped(data + pos, end - pos, table, slash)
                if keep:
                    kept.push_back(pos)
                    kept.push_back(end)
            if nl == NULL:
                break
            lines += 1
            pos = end + 1
    spans = [(kept[k], kept[k + 1]) for k in range(0, kept.size(), 2)]
    return spans, lines


def join_lines(bytes block not None, list spans not None):
    """``(data, ascii)``: the lines of ``block`` at ``spans`` joined by LF,
    each without a trailing CR, and whether ``data`` is all ASCII."""
    cdef const char* src = PyBytes_AS_STRING(block)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(block)
    cdef Py_ssize_t total = 0, start, end, at = 0, i
    cdef bytes out
    cdef char* dst
    cdef unsigned char bits = 0
    for span in spans:
        start, end = span
        if not 0 <= start <= end <= size:
            raise ValueError(f"span {span!r} outside the block")
        total += end - start + 1
    out = PyBytes_FromStringAndSize(NULL, max(total - 1, 0))
    dst = PyBytes_AS_STRING(out)
    for span in spans:
        start, end = span
        if end > start and src[end - 1] == 13:
            end -= 1
        if at:
            dst[at] = 10
            at += 1
        memcpy(dst + at, src + start, end - start)
        for i in range(start, end):
            bits |= <unsigned char>src[i]
        at += end - start
    if at != total - 1 and total:
        out = out[:at]  # (some lines lost their CR)
    return out, bits < 128


def gather(list rows not None, tuple own not None, tuple fallback not None, object unset):
    """One list per field: ``getattr(row, own[k])`` for each row, or
    ``getattr(row, fallback[k])`` when that is ``unset`` and a fallback is
    named, with ``unset`` replaced by None."""
    cdef Py_ssize_t nfields = len(own), k, r, n = len(rows)
    cdef list columns = []
    cdef list column
    cdef object value, row, name, backup
    for k in range(nfields):
        name = own[k]
        backup = fallback[k]
        column = [None] * n
        for r in range(n):
            row = rows[r]
            value = getattr(row, name)
            if value is unset:
                if backup is None:
                    continue
                value = getattr(row, backup)
                if value is unset:
                    continue
            column[r] = value
        columns.append(column)
    return tuple(columns)


cdef bint _utf8_valid(const unsigned char* s, size_t n) noexcept nogil:
    """Strict UTF-8 as Python's decoder reads it: no overlong forms, no
    surrogates, nothing above U+10FFFF."""
    cdef size_t i = 0, k, need
    cdef unsigned char c, lo, hi
    while i < n:
        c = s[i]
        if c < 0x80:
            i += 1
            continue
        lo = 0x80
        hi = 0xBF
        if 0xC2 <= c <= 0xDF:
            need = 1
        elif c == 0xE0:
            need = 2
            lo = 0xA0
        elif c == 0xED:
            need = 2
            hi = 0x9F
        elif 0xE1 <= c <= 0xEF:
            need = 2
        elif c == 0xF0:
            need = 3
            lo = 0x90
        elif c == 0xF4:
            need = 3
            hi = 0x8F
        elif 0xF1 <= c <= 0xF3:
            need = 3
        else:
            return False
        if n - i <= need:
            return False
        if not lo <= s[i + 1] <= hi:
            return False
        for k in range(2, need + 1):
            if not 0x80 <= s[i + k] <= 0xBF:
                return False
        i += need + 1
    return True


def utf8_valid(bytes data not None) -> bool:
    """Whether ``data.decode("utf-8")`` would succeed, without making the str."""
    cdef const unsigned char* s = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef size_t n = <size_t>PyBytes_GET_SIZE(data)
    cdef bint ok
    with nogil:
        ok = _utf8_valid(s, n)
    return ok

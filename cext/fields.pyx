# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""A program's fields straight from a block of NDJSON lines into the VM's columns.

msgspec's ``decode_lines`` (columns.ColumnDecoder) parses every line into a
struct and makes a str per kept field; most of a Falcon line is fields the
program never reads.  ``FieldExtractor.extract`` walks each kept line once
in C (jsonfields.h: the whole line checked against the JSON grammar, the
wanted top-level string values located), then makes one str per value the
program reads.  It declines (returns None) a block holding any line it is
not sure of, and the caller decodes that block the exact way, so the answer
never differs from the per-line decoder's.
"""

from cpython.bytes cimport PyBytes_AS_STRING
from cpython.ref cimport PyObject, Py_INCREF, Py_XDECREF
from libc.string cimport memcpy
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libcpp.vector cimport vector


cdef extern from "Python.h":
    object PyUnicode_New(Py_ssize_t size, Py_UCS4 maxchar)
    void* PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    object PyUnicode_DecodeUTF8(const char* s, Py_ssize_t size, const char* errors)


# (jsonfields.h, the C scanner: declared in fields.pxd.)

from cqlmatch.limits import MAX_EVENT_VALUES

MAX_NAMES = 32
# Only a line longer than this can hold more values than one event may
# (each value takes a byte).  When such a line also has more commas and
# opening brackets than that (an upper bound of its values), the extractor
# declines the block, so the per-line decoder, which counts them exactly,
# decides.
cdef Py_ssize_t LONG_LINE = MAX_EVENT_VALUES


cdef Py_ssize_t _values_bound(const unsigned char* p, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, count = 0
    for i in range(n):
        if p[i] == 44 or p[i] == 91 or p[i] == 123:  # , [ {
            count += 1
    return count


def extractable(names) -> bool:
    """Whether ``FieldExtractor`` can look for these JSON keys (at most 32,
    each at most 64 UTF-8 bytes, none empty)."""
    encoded = [n.encode("utf-8", "surrogatepass") for n in names]
    return 0 < len(encoded) <= MAX_NAMES and all(0 < len(b) <= CM_MAX_NAME for b in encoded)


cdef inline object _text(const unsigned char* p, size_t size, bint high):
    """A str of valid UTF-8 bytes; plain ASCII is copied without decoding."""
    cdef object s
    if not high:
        s = PyUnicode_New(<Py_ssize_t>size, 127)
        memcpy(PyUnicode_DATA(s), p, size)
        return s
    return PyUnicode_DecodeUTF8(<const char*>p, <Py_ssize_t>size, NULL)


DEF CACHE_WAYS = 256  # remembered short values per key
DEF CACHE_MAX = 48  # longest value remembered (bytes)


cdef class FieldExtractor:
    """Finds the JSON keys ``names`` in lines; ``own[k]`` / ``fallback[k]``
    (indices into ``names``, or -1) say which value column ``k`` takes;
    ``raw[k]``: column ``k`` takes the line itself when neither is there
    (``@rawstring``); ``lines``: ``extract`` gives the lines as str even
    when no column takes them."""

    # (attributes: declared in fields.pxd)

    def __dealloc__(self):
        for i in range(self.cache.size()):
            Py_XDECREF(self.cache[i])

    def __init__(self, tuple names not None, tuple own not None, tuple fallback not None,
                 tuple raw not None, bint lines=False):
        if not extractable(names):
            raise ValueError("FieldExtractor takes 1 to 32 names of 1 to 64 bytes")
        if not len(own) == len(fallback) == len(raw):
            raise ValueError("own, fallback and raw must be as long as each other")
        self._encoded = tuple(n.encode("utf-8", "surrogatepass") for n in names)
        self.table.count = len(names)
        cdef int i, size
        for i in range(CM_MAX_NAME + 1):
            self.table.by_size[i] = 0
        for i, name in enumerate(self._encoded):
            size = len(name)
            self.table.names[i] = <const unsigned char*>PyBytes_AS_STRING(name)
            self.table.sizes[i] = size
            self.table.by_size[size] |= 1u << i
        for k in range(len(own)):
            for index in (own[k], fallback[k]):
                if not -1 <= index < len(names):
                    raise ValueError(f"name index {index} out of range")
            self.own.push_back(own[k])
            self.fallback.push_back(fallback[k])
            self.raw.push_back(bool(raw[k]))
        self.wants_raw = lines or any(raw)
        self.cache.resize(len(names) * CACHE_WAYS, NULL)

    cdef object _short(self, int key, const unsigned char* p, size_t size):
        """The str of ``size`` ASCII bytes at ``p``, from the cache when seen lately."""
        cdef PyObject** way = &self.cache[
            key * CACHE_WAYS + (cm_short_hash(p, size) & (CACHE_WAYS - 1))
        ]
        cdef PyObject* old = way[0]
        if old != NULL and PyUnicode_GET_LENGTH(<object>old) == <Py_ssize_t>size and cm_equal(
            <const unsigned char*>PyUnicode_DATA(<object>old), p, size
        ):
            return <object>old
        cdef object s = _text(p, size, False)
        Py_INCREF(s)
        way[0] = <PyObject*>s
        Py_XDECREF(old)
        return s

    def extract(self, const unsigned char[::1] block, object spans not None):
        """``(columns, raws)`` for the lines ``block[start:end]`` of ``spans``
        (a list of pairs, or ``_scan.scan(..., packed=True)``'s bytes; a
        trailing CR is not part of a line), or None to decline.  ``raws`` is
        the list of lines as str when a column takes ``@rawstring``, else
        None."""
        cdef Py_ssize_t n, r, size = block.shape[0]
        cdef const size_t* pairs = NULL
        if type(spans) is bytes:
            if len(spans) % (2 * sizeof(size_t)):
                raise ValueError("packed spans must be whole start, end pairs")
            n = len(spans) // (2 * sizeof(size_t))
            pairs = <const size_t*>PyBytes_AS_STRING(spans)
        else:
            n = len(spans)
        cdef int count = self.table.count, i, k, ncols = <int>self.own.size()
        cdef vector[cm_slot] slots
        cdef vector[size_t] bounds
        cdef vector[char] highs
        cdef const unsigned char* base = &block[0] if size else NULL
        cdef Py_ssize_t start, end
        cdef bint ok = True
        cdef size_t widest = 0
        if n == 0:
            return None
        bounds.resize(2 * n)
        for r in range(n):
            if pairs != NULL:
                start, end = <Py_ssize_t>pairs[2 * r], <Py_ssize_t>pairs[2 * r + 1]
            else:
                start, end = spans[r]
            if not 0 <= start <= end <= size:
                raise ValueError(f"span {(start, end)!r} outside the block")
            if end > start and base[end - 1] == 13:
                end -= 1
            if end - start > LONG_LINE and _values_bound(base + start, end - start) > LONG_LINE:
                return None
            bounds[2 * r] = start
            bounds[2 * r + 1] = end
        slots.resize(n * count)
        highs.resize(n)
        with nogil:
            for r in range(n):
                if not cm_extract(base + bounds[2 * r], base + bounds[2 * r + 1],
                                  &self.table, &slots[r * count]):
                    ok = False
                    break
                highs[r] = cm_has_high(base + bounds[2 * r], bounds[2 * r + 1] - bounds[2 * r])
                if highs[r] and not cm_utf8_valid(base + bounds[2 * r],
                                                  bounds[2 * r + 1] - bounds[2 * r]):
                    ok = False
                    break
                for i in range(count):
                    if slots[r * count + i].escaped and slots[r * count + i].size > widest:
                        widest = slots[r * count + i].size
        if not ok:
            return None
        cdef vector[unsigned char] scratch
        scratch.resize(widest + 1)
        cdef list values = []
        cdef list column
        cdef cm_slot* slot
        cdef ptrdiff_t length
        cdef int wide
        cdef object text
        for i in range(count):
            column = [None] * n
            for r in range(n):
                slot = &slots[r * count + i]
                if not slot.set:
                    continue
                if slot.escaped:
                    wide = 0
                    length = cm_unescape(slot.start, slot.size, scratch.data(), &wide)
                    if length < 0:  # a lone surrogate: the exact decoder's call
                        return None
                    text = _text(scratch.data(), length, wide)
                elif highs[r] and cm_has_high(slot.start, slot.size):
                    text = _text(slot.start, slot.size, True)
                elif slot.size <= CACHE_MAX:
                    text = self._short(i, slot.start, slot.size)
                else:
                    text = _text(slot.start, slot.size, False)
                column[r] = text
            values.append(column)
        raws = None
        if self.wants_raw:
            raws = [_text(base + bounds[2 * r], bounds[2 * r + 1] - bounds[2 * r], highs[r])
                    for r in range(n)]
        columns = []
        for k in range(ncols):
            if self.fallback[k] < 0 and not self.raw[k]:
                columns.append(values[self.own[k]] if self.own[k] >= 0 else [None] * n)
                continue
            column = list(values[self.own[k]]) if self.own[k] >= 0 else [None] * n
            for r in range(n):
                if column[r] is None and self.fallback[k] >= 0:
                    column[r] = values[self.fallback[k]][r]
                if column[r] is None and self.raw[k]:
                    column[r] = raws[r]
            columns.append(column)
        return tuple(columns), raws

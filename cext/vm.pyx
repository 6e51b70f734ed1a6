# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The bytecode virtual machine: runs a compiled ``Program`` over events.

``Machine(program, slow)`` checks the program once (every opcode known,
every operand in range, every jump landing on an instruction), copies its
code into a C array, interns the field names and compiles one ``RE2::Set``
per regex set.  ``run(events)`` then executes the rule's per-event code over
each event; ``aggregate(events)`` feeds what it emits straight into the
program's native groupBy (a ``GroupTable``), and ``aggregate_columns`` does
the same over events given as one column per field.

The semantics are the reference interpreter's (``cqlmatch.reference``); the
few instructions that need more than this file knows call back into
``slow``: ``test_node(index, event)`` for a filter node, ``stage_node(index,
event)`` for a whole stage, ``warn(code, message)`` for warnings.

Registers: each field slot is read from the event at most once, when first
needed, into a per-run register file (``_Ctx``); writes (assignments,
``default``) go to the registers only.  An ``Event`` is made only when one
must leave the machine: an emitted event (a copy of the input's fields with
the writes, or the input itself when nothing was written) or the event a
slow path receives.  Input events are never changed.  ``case`` branches
save and restore the registers, not events.

Regex sets run at most once per value object: the matched bits are cached
with the str they were computed for (held, and compared by identity), so
several TEST_REGEX on one field cost one ``RE2::Set::Match``, and a field
whose value changed mid-program (an assignment, a slow-path stage) runs the
set again.  The GIL is released around matches over values of
``NOGIL_MIN_BYTES`` (512) bytes or more; a shorter match costs less than
releasing and taking the GIL back.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.dict cimport PyDict_Copy, PyDict_SetItem, PyDict_Size as PyDict_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport Py_GE, Py_GT, Py_LE, Py_LT, PyObject, PyObject_RichCompareBool
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_GET_ITEM
from cpython.unicode cimport (
    PyUnicode_AsUTF8AndSize,
    PyUnicode_Contains,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_Tailmatch,
)
from libc.math cimport isfinite
from libc.stdint cimport int64_t, uint32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memcpy, memset
from libcpp cimport bool as cbool
from libcpp.string cimport string
from libcpp.vector cimport vector

from re2 cimport RE2, UNANCHORED, RE2Set, SetErrorInfo, StringPiece, kNoError, kOutOfMemory

include "opcodes.pxi"


cdef extern from "Python.h":
    # Declared here with PyObject* so the hot path does no reference counting.
    PyObject* _dict_lookup "PyDict_GetItemWithError"(PyObject* d, PyObject* key) except? NULL
    int PyUnicode_Check(PyObject* o)
    int PyDict_Check(PyObject* o)
    int PyUnicode_IS_ASCII(PyObject* o)
    double PyOS_string_to_double(const char* s, char** endptr, PyObject* overflow) except? -1.0
    # Without ``except``: NULL is handled by hand (a lone surrogate is not an error here).
    const char* _utf8 "PyUnicode_AsUTF8AndSize"(PyObject* o, Py_ssize_t* size)
    int PyErr_ExceptionMatches(PyObject* exc)
    void PyObject_GC_UnTrack(object o)
    void PyErr_Clear()


cdef extern from *:
    """
    static inline PyObject** cqlmatch_tuple_items(PyObject* t) {
        return ((PyTupleObject*)t)->ob_item;
    }
    """
    PyObject** _tuple_items "cqlmatch_tuple_items"(PyObject* t)


cdef int raise_pending() except -1:
    """Propagate the exception already set (Cython sees the -1)."""
    return -1


from sys import intern as _sys_intern

from cqlmatch.functions.filters import in_subnets as _in_subnets
from cqlmatch.functions.stages import W401 as _W401
from cqlmatch.lang.events import Event as _Event
from cqlmatch.lang.glob import glob_match as _glob_match
from cqlmatch.lang.regex import _scrub
from cqlmatch.lang.values import format_number as _format_number, parse_number as _parse_number

#: RE2 memory budget for one regex set (program plus DFA cache).
MAX_MEM = 64 << 20
cdef enum:
    # The per-set memo of results keeps values of at most this many
    # characters, and at most this many of them (then it starts again).
    MEMO_MAX_CHARS = 2048
    MEMO_MAX_VALUES = 8192
    # Matches over shorter values keep the GIL.
    NOGIL_MIN_BYTES = 512
#: Longest numeric text the C fast path of TEST_NUM reads itself.
cdef enum:
    _FAST_NUMBER_MAX = 64
    # Integers of at most this many digits are exact doubles.
    _EXACT_INT_DIGITS = 15

# Native aggregate kinds (AggSpec.kind, with count split three ways).
cdef enum AggKind:
    AGG_COUNT_EVENTS
    AGG_COUNT_FIELD
    AGG_COUNT_DISTINCT
    AGG_SUM
    AGG_AVG
    AGG_MIN
    AGG_MAX

_AGG_KINDS = {"sum": AGG_SUM, "avg": AGG_AVG, "min": AGG_MIN, "max": AGG_MAX}
#: Groups a partial table keeps (LogScale's largest groupBy limit).
PARTIAL_GROUPS = 1_000_000


cdef inline dict _fields_of(object event):
    """The field dict of an event (anything else is a caller's bug)."""
    cdef object fields = event.fields
    if not PyDict_Check(<PyObject*>fields):
        raise TypeError(f"event fields must be a dict, not {type(fields).__name__}")
    return <dict>fields


cdef inline int _need_str(PyObject* value) except -1:
    if not PyUnicode_Check(value):
        raise TypeError(f"field values must be str, not {type(<object>value).__name__}")
    return 0


cdef inline bint _str_eq(object a, object b) noexcept:
    """Exact code-point equality of two str (same length, same storage kind,
    same bytes: CPython keeps every str in its narrowest kind)."""
    cdef Py_ssize_t n
    cdef unsigned int kind
    if a is b:
        return True
    n = PyUnicode_GET_LENGTH(a)
    if n != PyUnicode_GET_LENGTH(b):
        return False
    kind = PyUnicode_KIND(a)
    if kind != PyUnicode_KIND(b):
        return False
    return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), <size_t>n * kind) == 0


cdef inline bint _digit(char c) noexcept nogil:
    return b"0"[0] <= c <= b"9"[0]


cdef int _ascii_number(object value, double* out) except -2:
    """Read a numeric str the way ``values.parse_number`` does, for the cases
    where a double is exact: 1 with *out set (a decimal with a fraction or
    exponent, or an integer of at most 15 digits), 0 when the value is not a
    number, -1 when ``parse_number`` itself must decide (non-ASCII text,
    long text, long integers)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(value)
    cdef Py_ssize_t i = 0, digits = 0, frac = 0, exp_digits = 0
    cdef const char* s
    cdef bint integral = True
    cdef double result
    if n == 0:
        return 0
    if n > _FAST_NUMBER_MAX or not PyUnicode_IS_ASCII(<PyObject*>value):
        return -1
    s = <const char*>PyUnicode_DATA(value)
    if s[i] == b"+"[0] or s[i] == b"-"[0]:
        i += 1
    while i < n and _digit(s[i]):
        i += 1
        digits += 1
    if i < n and s[i] == b"."[0]:
        integral = False
        i += 1
        while i < n and _digit(s[i]):
            i += 1
            frac += 1
    if digits == 0 and frac == 0:
        return 0
    if i < n and (s[i] == b"e"[0] or s[i] == b"E"[0]):
        integral = False
        i += 1
        if i < n and (s[i] == b"+"[0] or s[i] == b"-"[0]):
            i += 1
        while i < n and _digit(s[i]):
            i += 1
            exp_digits += 1
        if exp_digits == 0:
            return 0
    if i != n:
        return 0
    if integral and digits > _EXACT_INT_DIGITS:
        return -1
    # The text is NUL-terminated (CPython keeps str data so) and valid: the
    # locale-independent, correctly rounded reader float() itself uses.
    result = PyOS_string_to_double(s, NULL, NULL)
    if not isfinite(result):
        return 0  # parse_number: an overflowing float is not a number
    out[0] = result
    return 1


cdef inline bint _ascii_space(char c) noexcept nogil:
    """The ASCII characters str.strip() removes."""
    return c == 32 or 9 <= c <= 13 or 28 <= c <= 31


cdef int _ipv4(const char* s, Py_ssize_t n, uint32_t* out) noexcept nogil:
    """Parse dotted-quad IPv4 text as Python's ipaddress does (four decimal
    octets of one to three digits, no leading zero, at most 255): 1 and
    *out, or 0 when the text is not an IPv4 address."""
    cdef Py_ssize_t i = 0, start
    cdef int part, digits
    cdef uint32_t value = 0, octet
    for part in range(4):
        start = i
        octet = 0
        digits = 0
        while i < n and _digit(s[i]):
            octet = octet * 10 + <uint32_t>(s[i] - 48)
            i += 1
            digits += 1
            if digits > 3:
                return 0
        if digits == 0 or octet > 255 or (digits > 1 and s[start] == 48):
            return 0
        value = (value << 8) | octet
        if part < 3:
            if i >= n or s[i] != 46:
                return 0
            i += 1
    if i != n:
        return 0
    out[0] = value
    return 1


@cython.final
cdef class _Ctx:
    """One run's scratch: the registers of the event being run and the case
    stack.  A run makes its own, so threads can share a Machine.

    ``val[slot]`` holds the slot's value as the query reads it (borrowed: the
    event, the program's constants, a stacked event or ``keep`` own it; NULL
    when the field is absent); ``st[slot]`` says 0 not read yet, 1 read, 2
    written by the per-event code since ``cur`` (the base event) was set;
    ``worder`` lists written slots in first-write order (the order new keys
    get in the output).  In column mode ``cur`` is None and values come from
    ``columns[slot][row]``."""

    def __cinit__(self, Py_ssize_t nslots):
        self.nslots = nslots
        self.val = <PyObject**>malloc(max(nslots, 1) * sizeof(PyObject*))
        self.st = <unsigned char*>malloc(max(nslots, 1))
        self.worder = <int*>malloc(max(nslots, 1) * sizeof(int))
        if self.val == NULL or self.st == NULL or self.worder == NULL:
            raise MemoryError()
        self.keep = []
        self.nwritten = 0
        self.depth = 0

    def __dealloc__(self):
        free(self.val)
        free(self.st)
        free(self.worder)

    cdef void clear(self) noexcept:
        memset(self.st, 0, self.nslots)
        self.nwritten = 0

    cdef int adopt(self, object event) except -1:
        """Make ``event`` the base: every slot is read again from it."""
        self.cur = event
        self.fields = _fields_of(event)
        self.clear()
        return 0

    cdef int start_row(self, Py_ssize_t row) except -1:
        self.cur = None
        self.fields = None
        self.row = row
        self.clear()
        return 0

    cdef void reset_stack(self) noexcept:
        self.depth = 0  # (not 0 already when code left a case early, e.g. dropEvent())
        if self.nkeep:
            self.nkeep = 0
            del self.keep[:]

    cdef int adopt_new(self, object event) except -1:
        """``adopt`` an event that only this run holds (a slow path's output):
        kept alive until the run moves to the next input event, since stack
        frames and registers may point into it."""
        self.keep.append(event)
        self.nkeep += 1
        return self.adopt(event)

    cdef int save(self) except -1:
        cdef size_t base = self.depth * self.nslots
        if self.s_nwritten.size() <= self.depth:
            # (one spare entry: &v[base] stays inside the vectors when nslots is 0)
            self.s_val.resize(base + self.nslots + 1)
            self.s_st.resize(base + self.nslots + 1)
            self.s_worder.resize(base + self.nslots + 1)
            self.s_nwritten.resize(self.depth + 1)
            self.s_cur.resize(self.depth + 1)
        memcpy(&self.s_val[base], self.val, self.nslots * sizeof(PyObject*))
        memcpy(&self.s_st[base], self.st, self.nslots)
        memcpy(&self.s_worder[base], self.worder, self.nslots * sizeof(int))
        self.s_nwritten[self.depth] = self.nwritten
        self.s_cur[self.depth] = <PyObject*>self.cur
        self.depth += 1
        return 0

    cdef int restore(self) except -1:
        cdef size_t base
        if self.depth == 0:
            raise RuntimeError("RESTORE with an empty stack")
        base = (self.depth - 1) * self.nslots
        memcpy(self.val, &self.s_val[base], self.nslots * sizeof(PyObject*))
        memcpy(self.st, &self.s_st[base], self.nslots)
        memcpy(self.worder, &self.s_worder[base], self.nslots * sizeof(int))
        self.nwritten = self.s_nwritten[self.depth - 1]
        cur = <object>self.s_cur[self.depth - 1]
        if cur is not self.cur:
            self.cur = cur
            self.fields = None if cur is None else _fields_of(cur)
        return 0

    cdef int discard(self) except -1:
        if self.depth == 0:
            raise RuntimeError("DISCARD with an empty stack")
        self.depth -= 1
        return 0

    cdef _Ctx fork(self):
        """A context with a copy of this one's stack (each output of a
        multi-output stage continues on its own)."""
        cdef _Ctx other = _Ctx(self.nslots)
        other.s_val = self.s_val
        other.s_st = self.s_st
        other.s_worder = self.s_worder
        other.s_nwritten = self.s_nwritten
        other.s_cur = self.s_cur
        other.keep = list(self.keep)  # (the frames may point into these events)
        other.nkeep = self.nkeep
        other.depth = self.depth
        other.columns = self.columns
        other.raws = self.raws
        other.row = self.row
        return other


@cython.final
cdef class GroupTable:
    """The state of a native groupBy: groups in order of first appearance,
    with their aggregates.  Tables from parts of an input merge (``merge``,
    in input order) and pickle, so workers can each fill one."""

    def __cinit__(self, *args, **kwargs):
        self.groups = {}
        self.objects = []
        self.key_values = []
        self.ngroups = 0
        self.limit_reached = False

    def __init__(self, plan, Py_ssize_t nfields):
        cdef int kind, slot
        self.plan = plan
        self.limit = plan.limit
        self.nkeys = len(plan.keys)
        # (made from a list: a tuple of its own, never a shared constant)
        self.scratch = tuple([None] * self.nkeys) if self.nkeys > 1 else None
        self.naggs = len(plan.aggregates)
        for slot_obj in plan.keys:
            self.key_slots.push_back(_slot(slot_obj, nfields))
        for spec in plan.aggregates:
            slot = spec.slot
            if spec.kind == "count":
                if slot < 0:
                    kind = AGG_COUNT_EVENTS
                elif spec.distinct:
                    kind = AGG_COUNT_DISTINCT
                else:
                    kind = AGG_COUNT_FIELD
            elif spec.kind in _AGG_KINDS and slot >= 0:
                kind = _AGG_KINDS[spec.kind]
            else:
                raise ValueError(f"aggregate {spec.kind}() on slot {slot} is not native")
            self.kinds.push_back(kind)
            if slot >= 0:
                slot = _slot(slot, nfields)
            self.agg_slots.push_back(slot)

    @property
    def size(self) -> int:
        """Groups held so far."""
        return self.ngroups

    @property
    def group_limit(self) -> int:
        return self.limit

    cdef Py_ssize_t _group(self, object key) except -2:
        """The index of ``key``'s group, made when new; -1 past the limit."""
        cdef Py_ssize_t g, a
        cdef int kind
        found = self.groups.get(key)
        if found is not None:
            return <Py_ssize_t>found
        if self.ngroups >= self.limit:
            self.limit_reached = True
            return -1
        if key is self.scratch:
            key = tuple(list(key))  # a copy (tuple(t) is t): the scratch is refilled
        g = self.ngroups
        self.ngroups += 1
        self.groups[key] = g
        values = (key,) if self.nkeys == 1 else key
        # Tuples of str cannot be part of a cycle: untracked, they cost the
        # cyclic garbage collector nothing (CPython untracks them itself,
        # but only when a collection first visits them).
        PyObject_GC_UnTrack(values)
        self.key_values.append(values)
        self.counts.resize(<size_t>(self.ngroups * self.naggs), 0)
        for a in range(self.naggs):
            kind = self.kinds[a]
            if kind == AGG_COUNT_DISTINCT:
                self.objects.append(set())
            elif kind == AGG_SUM or kind == AGG_AVG:
                self.objects.append([])
            else:
                self.objects.append(None)
        return g

    def merge(self, GroupTable other not None):
        """Add ``other``'s groups and aggregates, as if its events had come
        after this table's (the same plan; limits apply as in one run)."""
        cdef Py_ssize_t og, g, a, i, j
        cdef int kind
        if other.plan != self.plan:
            raise ValueError("group tables of different plans do not merge")
        for og in range(other.ngroups):
            key = other.key_values[og]
            g = self._group(key[0] if self.nkeys == 1 else key)
            if g < 0:
                continue
            for a in range(self.naggs):
                kind = self.kinds[a]
                i = g * self.naggs + a
                j = og * self.naggs + a
                if kind == AGG_COUNT_DISTINCT:
                    (<set>self.objects[i]).update(<set>other.objects[j])
                    continue
                if kind == AGG_SUM or kind == AGG_AVG:
                    (<list>self.objects[i]).extend(<list>other.objects[j])
                elif kind == AGG_MIN or kind == AGG_MAX:
                    if other.counts[j] and (
                        self.counts[i] == 0
                        or PyObject_RichCompareBool(
                            other.objects[j], self.objects[i], Py_LT if kind == AGG_MIN else Py_GT
                        )
                    ):
                        self.objects[i] = other.objects[j]
                self.counts[i] += other.counts[j]
        self.limit_reached = self.limit_reached or other.limit_reached

    def __reduce__(self):
        counts = [self.counts[i] for i in range(<Py_ssize_t>self.counts.size())]
        return (
            _restore_table,
            (self.plan, self.nfields_hint(), self.key_values, counts, self.objects,
             self.limit_reached, self.limit),
        )

    cdef Py_ssize_t nfields_hint(self):
        cdef Py_ssize_t top = 0, i
        for i in range(<Py_ssize_t>self.key_slots.size()):
            top = max(top, self.key_slots[i] + 1)
        for i in range(<Py_ssize_t>self.agg_slots.size()):
            top = max(top, self.agg_slots[i] + 1)
        return top


def _restore_table(plan, nfields, key_values, counts, objects, limit_reached, limit):
    cdef GroupTable table = GroupTable(plan, nfields)
    table.limit = limit
    cdef Py_ssize_t g
    table.key_values = list(key_values)
    table.ngroups = len(table.key_values)
    for g in range(table.ngroups):
        key = table.key_values[g]
        table.groups[key[0] if table.nkeys == 1 else key] = g
    for count in counts:
        table.counts.push_back(count)
    table.objects = list(objects)
    table.limit_reached = limit_reached
    return table


cdef class Machine:
    """Runs one compiled program; see the module docstring."""

    def __cinit__(self):
        self.code = NULL
        self.ncode = 0
        self.regex_calls = 0

    def __init__(self, program, slow):
        cdef Py_ssize_t i, j
        cdef char raw_fallback
        cdef object ref, name, fallback, number
        if self.code != NULL:
            raise RuntimeError("a Machine is initialised once")
        self.program = program
        self.slow = slow
        self._test_node = slow.test_node
        self._stage_node = slow.stage_node
        self._warn = slow.warn
        self._event = _Event
        self._parse_number = _parse_number
        self._format_number = _format_number
        self._glob_match = _glob_match
        self._scrub = _scrub
        self._in_subnets = _in_subnets

        names = []
        fallbacks = []
        for ref in program.fields:
            names.append(_intern(ref.name))
            fallbacks.append(None if ref.fallback is None else _intern(ref.fallback))
        self.names = tuple(names)
        self.fallbacks = tuple(fallbacks)
        self.nslots = len(self.names)
        self.dependents.resize(self.nslots)
        for i in range(self.nslots):
            self.name_ptrs.push_back(<PyObject*>PyTuple_GET_ITEM(self.names, i))
            fallback = <object>PyTuple_GET_ITEM(self.fallbacks, i)
            if fallback is None:
                self.fallback_ptrs.push_back(NULL)
                self.fallback_slot.push_back(-1)
            else:
                self.fallback_ptrs.push_back(<PyObject*>fallback)
                j = names.index(fallback) if fallback in names else -1
                self.fallback_slot.push_back(j)
                if j >= 0:
                    self.dependents[j].push_back(i)
            # (a typed local: Cython mistypes a conditional expression passed to push_back)
            raw_fallback = 1 if program.fields[i].rawstring else 0
            self.rawstring.push_back(raw_fallback)

        for text in program.consts:
            if not isinstance(text, str):
                raise ValueError(f"program constant {text!r} is not a str")
        self.consts = tuple(program.consts)
        self.numbers = tuple(program.numbers)
        for number in self.numbers:
            if type(number) is float:
                self.number_values.push_back(<double>number)
                self.number_is_float.push_back(1)
            elif isinstance(number, (int, float)) and not isinstance(number, bool):
                self.number_values.push_back(0.0)
                self.number_is_float.push_back(0)
            else:
                raise ValueError(f"program number {number!r} is not a number")

        self.ncode = len(program.code)
        self.code = <int*>malloc(max(self.ncode, 1) * sizeof(int))
        if self.code == NULL:
            raise MemoryError()
        for i in range(self.ncode):
            self.code[i] = program.code[i]
        if not program.rules:
            raise ValueError("the program has no rule")
        self.entry = program.rules[0].entry
        self._build_sets()
        self._check_code()
        self._build_cidrs()

    def __dealloc__(self):
        cdef size_t i
        for i in range(self.sets.size()):
            del self.sets[i]
        self.sets.clear()
        free(self.code)
        self.code = NULL

    # --- construction -------------------------------------------------------------

    cdef int _build_sets(self) except -1:
        cdef RE2.Options options
        cdef RE2Set* rset
        cdef string error
        cdef bytes raw
        cdef int index
        cdef Py_ssize_t offset = 0
        options.set_max_mem(MAX_MEM)
        options.set_log_errors(False)  # errors become exceptions, not stderr lines
        self.set_keys = []
        self.set_memos = []
        for s, spec in enumerate(self.program.regex_sets):
            if not 0 <= spec.slot < len(self.names):
                raise ValueError(f"regex set {s} reads slot {spec.slot}, which does not exist")
            rset = new RE2Set(options, UNANCHORED)
            self.sets.push_back(rset)  # owned from here on: freed by __dealloc__
            for bit, pattern in enumerate(spec.patterns):
                raw = pattern.encode("utf-8")
                error.clear()
                index = rset.Add(StringPiece(raw, len(raw)), &error)
                if index != bit:
                    raise ValueError(
                        f"regex set {s} (field {self.names[spec.slot]}): RE2 rejected "
                        f"/{pattern}/: {error.decode('utf-8', 'replace')}"
                    )
            if not rset.Compile():
                raise ValueError(
                    f"regex set {s} (field {self.names[spec.slot]}): RE2 could not compile "
                    f"its {len(spec.patterns)} patterns within max_mem={MAX_MEM} bytes "
                    "(out of memory)"
                )
            self.set_sizes.push_back(len(spec.patterns))
            self.set_offsets.push_back(offset)
            offset += len(spec.patterns)
            self.set_keys.append(None)
            self.set_memos.append({})
        self.set_bits.resize(offset, 0)
        return 0

    cdef int _build_cidrs(self) except -1:
        """For every TEST_CIDR constant (text ``a.b.c.d/len,...``; the compiler
        writes only valid IPv4 networks): at ``cidr_start[const]`` in
        ``cidr_words`` the number of networks, then (network, mask) pairs."""
        cdef Py_ssize_t pc = 0, c
        cdef uint32_t address, mask
        cdef int length
        cdef bytes part
        self.cidr_start.resize(len(self.consts) + 1, -1)
        while pc < self.ncode:
            if self.code[pc] == TEST_CIDR:
                c = self.code[pc + 2]
                if self.cidr_start[c] < 0:
                    self.cidr_start[c] = self.cidr_words.size()
                    text = <str>self.consts[c]
                    items = text.split(",") if text else []
                    self.cidr_words.push_back(len(items))
                    for item in items:
                        address_text, _, length_text = item.partition("/")
                        part = address_text.encode("ascii")
                        length = int(length_text)
                        if not 0 <= length <= 32 or not _ipv4(part, len(part), &address):
                            raise ValueError(f"code offset {pc}: {item!r} is not an IPv4 network")
                        mask = 0 if length == 0 else (<uint32_t>0xFFFFFFFF) << (32 - length)
                        self.cidr_words.push_back(address & mask)
                        self.cidr_words.push_back(mask)
            pc += OP_WIDTHS[self.code[pc]]
        return 0

    cdef int _check_code(self) except -1:
        """Reject code the loop could misread: it then runs without checks."""
        cdef Py_ssize_t pc = 0, k, width, operand, last = -1
        cdef int op, kind
        cdef set starts = set()
        cdef list targets = []
        cdef Py_ssize_t nfields = len(self.names)
        while pc < self.ncode:
            op = self.code[pc]
            if not 0 <= op < OP_COUNT:
                raise ValueError(f"code offset {pc}: unknown opcode {op}")
            width = OP_WIDTHS[op]
            if pc + width > self.ncode:
                raise ValueError(f"code offset {pc}: instruction runs past the end")
            starts.add(pc)
            for k in range(width - 1):
                kind = OP_KINDS[op * MAX_OPERANDS + k]
                operand = self.code[pc + 1 + k]
                if kind == KIND_SLOT:
                    _check_range(pc, "slot", operand, nfields)
                elif kind == KIND_CONST:
                    _check_range(pc, "constant", operand, len(self.consts))
                elif kind == KIND_NUMBER:
                    _check_range(pc, "number", operand, len(self.numbers))
                elif kind == KIND_SET:
                    _check_range(pc, "regex set", operand, self.sets.size())
                elif kind == KIND_BIT:
                    _check_range(pc, "pattern", operand, self.set_sizes[self.code[pc + k]])
                elif kind == KIND_OP:
                    _check_range(pc, "comparison", operand, 4)
                elif kind == KIND_NODE:
                    _check_range(pc, "node", operand, 1 << 30)  # nodes: checked by slow
                elif kind == KIND_TARGET:
                    targets.append((pc, operand))
            last = pc
            pc += width
        if last < 0 or self.code[last] not in (ACCEPT, REJECT, JUMP):
            raise ValueError("the code does not end in ACCEPT, REJECT or JUMP")
        for pc, operand in targets:
            if operand not in starts:
                raise ValueError(f"code offset {pc}: jump target {operand} is not an instruction")
        if self.entry not in starts:
            raise ValueError(f"rule entry {self.entry} is not an instruction")
        return 0

    # --- entry points -------------------------------------------------------------

    @property
    def native(self) -> bool:
        """Whether every instruction runs here (no slow path): the program
        then reads no field outside its field table, so events restricted to
        those fields (``aggregate_columns``) give the same answers."""
        cdef Py_ssize_t pc = 0
        while pc < self.ncode:
            if self.code[pc] == TEST_NODE or self.code[pc] == STAGE_NODE:
                return False
            pc += OP_WIDTHS[self.code[pc]]
        return True

    def run(self, events):
        """The events the rule's per-event code emits, in input order."""
        cdef list out = []
        self._run_events(events if type(events) is list else list(events), out, None)
        return out

    cdef int _run_events(self, list items, list out, GroupTable table) except -1:
        """The per-event code over ``items``: emitted events to ``out``, or
        into ``table`` when one is given."""
        cdef _Ctx c = _Ctx(self.nslots)
        cdef Py_ssize_t i
        try:
            for i in range(PyList_GET_SIZE(items)):
                c.adopt(<object>PyList_GET_ITEM(items, i))
                self._exec(self.entry, c, False, out, table)
                c.reset_stack()
        finally:
            self._forget()
        return 0

    def new_table(self, bint partial=False) -> GroupTable:
        """An empty table for the program's group plan.  A ``partial`` table
        holds one part of an input, to be merged in input order into a
        table that is not partial: it keeps up to ``PARTIAL_GROUPS`` groups
        whatever the plan's limit (a group first seen late in one part may
        come early in the whole), and the merge applies the limit."""
        if self.program.group is None:
            raise ValueError("the program has no group plan")
        table = GroupTable(self.program.group, self.nslots)
        if partial:
            table.limit = max(table.limit, PARTIAL_GROUPS)
        return table

    def aggregate(self, events, GroupTable table=None) -> GroupTable:
        """Run the per-event code over ``events`` and add what it emits to
        ``table`` (a new one when None): the groupBy without an event made."""
        if table is None:
            table = self.new_table()
        self._run_events(events if type(events) is list else list(events), None, table)
        self._limit_warning(table)
        return table

    def aggregate_columns(self, tuple columns, raws=None, GroupTable table=None) -> GroupTable:
        """``aggregate`` over events given as columns: ``columns[slot][row]``
        is the value of the program's field ``slot`` as the query reads it
        (fallbacks applied: ``#tag`` holds ``tag`` when absent) or None;
        ``raws[row]`` the line (for ``@rawstring``), when given.  Only for a
        ``native`` program's per-event code; slow paths would see events
        with the program's fields only."""
        cdef _Ctx c = _Ctx(self.nslots)
        cdef Py_ssize_t i, n = 0
        if len(columns) != self.nslots:
            raise ValueError(f"{len(columns)} columns for {self.nslots} fields")
        for column in columns:
            if type(column) is not list:
                raise TypeError("columns must be lists")
        if columns:
            n = PyList_GET_SIZE(<list>columns[0])
        for column in columns:
            if PyList_GET_SIZE(<list>column) != n:
                raise ValueError("columns of different lengths")
        if raws is not None and len(raws) != n:
            raise ValueError("raws and columns of different lengths")
        if table is None:
            table = self.new_table()
        c.columns = columns
        c.raws = raws
        try:
            for i in range(n):
                c.start_row(i)
                self._exec(self.entry, c, False, None, table)
                c.reset_stack()
        finally:
            self._forget()
        self._limit_warning(table)
        return table

    def group(self, events):
        """Rows of the program's group plan over ``events`` as they are (the
        per-event code not run): builtins/stages.py group_by with the
        count/sum/min/max/avg aggregates."""
        cdef GroupTable table = self.new_table()
        cdef list items = events if type(events) is list else list(events)
        cdef _Ctx c = _Ctx(self.nslots)
        cdef Py_ssize_t i
        for i in range(PyList_GET_SIZE(items)):
            c.adopt(<object>PyList_GET_ITEM(items, i))
            self._add(c, table)
        self._limit_warning(table)
        return self.rows(table)

    cdef int _limit_warning(self, GroupTable table) except -1:
        if table.limit_reached and not table.warned:
            table.warned = True
            self._warn("W401", _W401.format(table.limit))
        return 0

    # --- registers ----------------------------------------------------------------

    cdef PyObject* _get(self, _Ctx c, int slot) except? NULL:
        """The slot's value (borrowed), NULL when the event has no such field."""
        if c.st[slot]:
            return c.val[slot]
        return self._load(c, slot)

    cdef PyObject* _load(self, _Ctx c, int slot) except? NULL:
        """Read a slot from the base event, with the fallbacks (``#tag`` ->
        ``tag``, ``@timestamp`` -> ``timestamp``, ``@rawstring`` -> the line)."""
        cdef PyObject* found
        cdef int fb
        cdef object raw
        if c.fields is None:
            found = PyList_GET_ITEM(<list>PyTuple_GET_ITEM(c.columns, slot), c.row)
            if found == <PyObject*>None:
                found = NULL
        else:
            found = _dict_lookup(<PyObject*>c.fields, self.name_ptrs[slot])
            if found == <PyObject*>None:
                found = NULL
            if found == NULL:
                fb = self.fallback_slot[slot]
                if fb >= 0 and c.st[fb] == 2:
                    found = c.val[fb]
                elif self.fallback_ptrs[slot] != NULL:
                    found = _dict_lookup(<PyObject*>c.fields, self.fallback_ptrs[slot])
                    if found == <PyObject*>None:
                        found = NULL
                elif self.rawstring[slot]:
                    raw = c.cur.raw  # the event holds it
                    if raw is not None:
                        found = <PyObject*>raw
        if found != NULL:
            _need_str(found)
        c.val[slot] = found
        c.st[slot] = 1
        return found

    cdef void _write(self, _Ctx c, int slot, PyObject* value) noexcept:
        cdef size_t k
        cdef int dep
        if c.st[slot] != 2:
            c.worder[c.nwritten] = slot
            c.nwritten += 1
            c.st[slot] = 2
        c.val[slot] = value
        for k in range(self.dependents[slot].size()):
            dep = self.dependents[slot][k]
            if c.st[dep] == 1:
                c.st[dep] = 0  # it may have read the fallback just written

    cdef object _raw_of_row(self, _Ctx c):
        if c.raws is None:
            return None
        return c.raws[c.row]

    cdef object _materialize(self, _Ctx c):
        """The current event as an ``Event``: the base itself when nothing
        was written, else a copy with the writes (the base is never changed)."""
        cdef dict fields
        cdef PyObject* value
        cdef Py_ssize_t k
        cdef int slot
        if c.fields is None:
            fields = {}
            for slot in range(self.nslots):
                if c.st[slot] == 2:
                    value = c.val[slot]
                else:
                    value = PyList_GET_ITEM(<list>PyTuple_GET_ITEM(c.columns, slot), c.row)
                if value != NULL and value != <PyObject*>None:
                    PyDict_SetItem(fields, <object>self.name_ptrs[slot], <object>value)
            return self._event(fields, self._raw_of_row(c))
        if c.nwritten == 0:
            return c.cur
        fields = PyDict_Copy(c.fields)
        for k in range(c.nwritten):
            slot = c.worder[k]
            PyDict_SetItem(fields, <object>self.name_ptrs[slot], <object>c.val[slot])
        return self._event(fields, c.cur.raw, c.cur.origin)

    # --- per-event code -----------------------------------------------------------

    cdef int _exec(
        self, Py_ssize_t pc, _Ctx c, bint flag, list out, GroupTable table
    ) except -1:
        """Run from ``pc`` until ACCEPT or REJECT."""
        cdef const int* code = self.code
        cdef PyObject* value
        cdef object result, passed
        cdef list outs
        cdef _Ctx other
        cdef Py_ssize_t i, n
        cdef int op
        cdef bint write
        while True:
            op = code[pc]
            if op == TEST_EQ:
                value = self._get(c, code[pc + 1])
                flag = value != NULL and _str_eq(
                    <object>value, <object>PyTuple_GET_ITEM(self.consts, code[pc + 2])
                )
                pc += 3
            elif op == JUMP_IF_FALSE:
                pc = code[pc + 1] if not flag else pc + 2
            elif op == JUMP_IF_TRUE:
                pc = code[pc + 1] if flag else pc + 2
            elif op == JUMP:
                pc = code[pc + 1]
            elif op == TEST_REGEX:
                value = self._get(c, code[pc + 1])
                flag = value != NULL and self._regex_bit(<object>value, code[pc + 2], code[pc + 3])
                pc += 4
            elif op == TEST_EXISTS:
                flag = self._get(c, code[pc + 1]) != NULL
                pc += 2
            elif op == TEST_PREFIX or op == TEST_SUFFIX or op == TEST_CONTAINS:
                value = self._get(c, code[pc + 1])
                if value == NULL:
                    flag = False
                else:
                    result = <object>PyTuple_GET_ITEM(self.consts, code[pc + 2])
                    if op == TEST_CONTAINS:
                        flag = PyUnicode_Contains(<object>value, result) == 1
                    else:
                        flag = PyUnicode_Tailmatch(
                            <object>value, result, 0, PyUnicode_GET_LENGTH(<object>value),
                            -1 if op == TEST_PREFIX else 1,
                        ) == 1
                pc += 3
            elif op == TEST_CIDR:
                value = self._get(c, code[pc + 1])
                flag = value != NULL and self._test_cidr(<object>value, code[pc + 2])
                pc += 3
            elif op == TEST_GLOB:
                value = self._get(c, code[pc + 1])
                flag = value != NULL and bool(self._glob_match(
                    <object>PyTuple_GET_ITEM(self.consts, code[pc + 2]), <object>value
                ))
                pc += 3
            elif op == TEST_NUM:
                value = self._get(c, code[pc + 1])
                flag = value != NULL and self._test_num(<object>value, code[pc + 2], code[pc + 3])
                pc += 4
            elif op == TEST_NODE:
                passed = self._materialize(c)
                result = self._test_node(code[pc + 1], passed)
                if result is None:
                    flag = False
                else:
                    flag = True
                    c.adopt_new(result)
                pc += 2
            elif op == SET_FLAG:
                flag = code[pc + 1] != 0
                pc += 2
            elif op == NOT:
                flag = not flag
                pc += 1
            elif op == ASSIGN_CONST:
                self._write(c, code[pc + 1], PyTuple_GET_ITEM(self.consts, code[pc + 2]))
                pc += 3
            elif op == DEFAULT:
                value = self._get(c, code[pc + 1])
                write = value == NULL or (
                    code[pc + 3] == 1 and PyUnicode_GET_LENGTH(<object>value) == 0
                )
                if write:
                    self._write(c, code[pc + 1], PyTuple_GET_ITEM(self.consts, code[pc + 2]))
                pc += 4
            elif op == STAGE_NODE:
                result = self._stage_node(code[pc + 1], self._materialize(c))
                outs = result if type(result) is list else list(result)
                n = PyList_GET_SIZE(outs)
                if n == 0:
                    pc = code[pc + 2]
                elif n == 1:
                    c.adopt_new(<object>PyList_GET_ITEM(outs, 0))
                    pc += 3
                else:
                    # each output continues on its own, in order, with its own stack
                    for i in range(n):
                        other = c.fork()
                        other.adopt_new(<object>PyList_GET_ITEM(outs, i))
                        self._exec(pc + 3, other, flag, out, table)
                    return 0
            elif op == SAVE:
                c.save()
                pc += 1
            elif op == RESTORE:
                c.restore()
                pc += 1
            elif op == DISCARD:
                c.discard()
                pc += 1
            elif op == ACCEPT:
                if table is not None:
                    self._add(c, table)
                else:
                    out.append(self._materialize(c))
                return 0
            elif op == REJECT:
                return 0
            elif op == DISPATCH:
                value = self._get(c, code[pc + 1])
                if value != NULL and _str_eq(
                    <object>value, <object>PyTuple_GET_ITEM(self.consts, code[pc + 2])
                ):
                    pc = code[pc + 3]
                else:
                    pc += 4
            else:  # excluded by _check_code
                raise RuntimeError(f"code offset {pc}: unknown opcode {op}")

    # --- regex sets ---------------------------------------------------------------

    cdef int _regex_bit(self, object value, int s, int bit) except -1:
        cdef dict memo
        cdef PyObject* known
        if <object>PyList_GET_ITEM(self.set_keys, s) is not value:
            # Field values repeat (file names, event types): a value seen
            # before takes its bits from the memo instead of RE2.
            memo = <dict>PyList_GET_ITEM(self.set_memos, s)
            known = _dict_lookup(<PyObject*>memo, <PyObject*>value)
            if known != NULL:
                memcpy(&self.set_bits[self.set_offsets[s]], PyBytes_AS_STRING(<object>known),
                       self.set_sizes[s])
                self.set_keys[s] = value
            else:
                self._set_bits(value, s)
                if PyUnicode_GET_LENGTH(value) <= MEMO_MAX_CHARS:
                    if PyDict_GET_SIZE(memo) >= MEMO_MAX_VALUES:
                        memo.clear()  # bounded: start again rather than grow
                    memo[value] = PyBytes_FromStringAndSize(
                        <char*>&self.set_bits[self.set_offsets[s]], self.set_sizes[s]
                    )
        return self.set_bits[self.set_offsets[s] + bit]

    cdef int _set_bits(self, object value, int s) except -1:
        """Run set ``s`` over ``value`` and cache which patterns matched."""
        cdef RE2Set* rset = self.sets[s]
        cdef object text = value
        cdef const char* data
        cdef Py_ssize_t size, k
        cdef vector[int] hits
        cdef SetErrorInfo info
        cdef cbool matched, one
        cdef unsigned char* bits
        _need_str(<PyObject*>value)
        if PyUnicode_IS_ASCII(<PyObject*>value):
            data = <const char*>PyUnicode_DATA(value)  # ASCII is its own UTF-8
            size = PyUnicode_GET_LENGTH(value)
        else:
            data = _utf8(<PyObject*>value, &size)  # cached in the str after the first time
            if data == NULL:
                if not PyErr_ExceptionMatches(<PyObject*>UnicodeEncodeError):
                    raise_pending()
                PyErr_Clear()
                # Lone surrogates: matched as U+FFFD, as the reference does.
                text = self._scrub(value)
                data = PyUnicode_AsUTF8AndSize(text, &size)
        info.kind = kNoError
        one = self.set_sizes[s] == 1
        # Without an index list RE2 stops at the first match and allocates
        # nothing: most values match nothing, and one pattern needs no list.
        # ``text`` keeps the UTF-8 bytes alive while the GIL is released
        # (for long values only).
        if size < NOGIL_MIN_BYTES:  # releasing the GIL costs more than a short match
            matched = rset.Match(StringPiece(data, <size_t>size), NULL, &info)
            if matched and not one:
                matched = rset.Match(StringPiece(data, <size_t>size), &hits, &info)
        else:
            with nogil:
                matched = rset.Match(StringPiece(data, <size_t>size), NULL, &info)
                if matched and not one:
                    matched = rset.Match(StringPiece(data, <size_t>size), &hits, &info)
        self.regex_calls += 1
        if not matched and info.kind != kNoError:
            if info.kind == kOutOfMemory:
                raise MemoryError(
                    f"regex set {s} (field {self.names[self.program.regex_sets[s].slot]}): "
                    f"RE2 ran out of memory while matching (max_mem={MAX_MEM} bytes)"
                )
            raise RuntimeError(f"regex set {s}: RE2::Set::Match failed (error {<int>info.kind})")
        # Bits and key change together, with the GIL held: a thread that
        # sees the key sees its bits.
        bits = &self.set_bits[self.set_offsets[s]]
        memset(bits, 0, self.set_sizes[s])
        if one:
            bits[0] = matched
        for k in range(<Py_ssize_t>hits.size()):
            bits[hits[k]] = 1
        self.set_keys[s] = value
        return 0

    cdef _forget(self):
        """Drop the values the set cache holds (end of a run)."""
        cdef Py_ssize_t s
        for s in range(len(self.set_keys)):
            self.set_keys[s] = None

    # --- cidr and numbers ---------------------------------------------------------

    cdef int _test_cidr(self, object value, int c) except -1:
        """cidr() with IPv4 subnets (builtins/filters.py ``in_subnets``):
        ASCII text after str.strip() parsed as ipaddress does; other text
        goes to ``in_subnets`` itself."""
        cdef const char* s
        cdef Py_ssize_t lo = 0, hi
        cdef uint32_t address
        cdef Py_ssize_t k, end
        if not PyUnicode_IS_ASCII(<PyObject*>value):
            return bool(self._in_subnets(value, tuple((<str>self.consts[c]).split(","))))
        s = <const char*>PyUnicode_DATA(value)
        hi = PyUnicode_GET_LENGTH(value)
        while lo < hi and _ascii_space(s[lo]):
            lo += 1
        while hi > lo and _ascii_space(s[hi - 1]):
            hi -= 1
        if not _ipv4(s + lo, hi - lo, &address):
            return False  # not IPv4: in no IPv4 subnet (IPv6 or not an address)
        k = self.cidr_start[c]
        end = k + 1 + 2 * <Py_ssize_t>self.cidr_words[k]
        k += 1
        while k < end:
            if (address & self.cidr_words[k + 1]) == self.cidr_words[k]:
                return True
            k += 2
        return False

    cdef int _test_num(self, object value, int op, int n) except -1:
        """parse_number(value) <op> numbers[n], as the reference compares."""
        cdef double x, y
        cdef int fast = _ascii_number(value, &x)
        if fast == 0:
            return False
        if fast == 1 and self.number_is_float[n]:
            y = self.number_values[n]
            if op == NUM_LT:
                return x < y
            if op == NUM_LE:
                return x <= y
            if op == NUM_GT:
                return x > y
            return x >= y
        left = self._parse_number(value)
        if left is None:
            return False
        return PyObject_RichCompareBool(
            left, <object>PyTuple_GET_ITEM(self.numbers, n), _rich_op(op)
        )

    # --- groupBy ------------------------------------------------------------------

    cdef int _add(self, _Ctx c, GroupTable t) except -1:
        """Add the current event to its group (none when a key field is absent)."""
        cdef PyObject* value
        cdef Py_ssize_t a, g, i
        cdef int kind
        cdef object key, number
        cdef tuple values
        if t.nkeys == 1:
            value = self._get(c, t.key_slots[0])
            if value == NULL:
                return 0
            key = <object>value
        else:
            # The key is looked up in a scratch tuple the table owns alone
            # (refilled in place), and copied only for a new group.
            values = t.scratch
            for a in range(t.nkeys):
                value = self._get(c, t.key_slots[a])
                if value == NULL:
                    return 0  # an event lacking a group field counts toward no group
                _tuple_put(values, a, value)
            key = values
        g = t._group(key)
        if g < 0:
            return 0
        for a in range(t.naggs):
            kind = t.kinds[a]
            i = g * t.naggs + a
            if kind == AGG_COUNT_EVENTS:
                t.counts[i] += 1
                continue
            value = self._get(c, t.agg_slots[a])
            if value == NULL:
                continue
            if kind == AGG_COUNT_FIELD:
                t.counts[i] += 1
            elif kind == AGG_COUNT_DISTINCT:
                (<set>t.objects[i]).add(<object>value)
            else:
                number = self._parse_number(<object>value)
                if number is None:
                    continue
                t.counts[i] += 1
                if kind == AGG_SUM or kind == AGG_AVG:
                    (<list>t.objects[i]).append(number)
                elif t.counts[i] == 1:
                    t.objects[i] = number
                elif PyObject_RichCompareBool(
                    number, t.objects[i], Py_LT if kind == AGG_MIN else Py_GT
                ):
                    t.objects[i] = number  # the first extreme stays
        return 0

    def count_order(self, GroupTable table not None, Py_ssize_t aggregate, bint descending,
                    Py_ssize_t limit):
        """The first ``limit`` groups sorted by a count aggregate (stably:
        ties keep first appearance), for ``rows(table, order)``: sort() by
        a count output without a row per group."""
        cdef Py_ssize_t g, naggs = table.naggs
        cdef int kind
        if not 0 <= aggregate < naggs:
            raise ValueError(f"aggregate {aggregate} out of range")
        kind = table.kinds[aggregate]
        if kind != AGG_COUNT_EVENTS and kind != AGG_COUNT_FIELD and kind != AGG_COUNT_DISTINCT:
            raise ValueError("count_order sorts by count() aggregates only")
        if kind == AGG_COUNT_DISTINCT:
            counts = [len(<set>table.objects[g * naggs + aggregate]) for g in range(table.ngroups)]
        else:
            counts = [table.counts[g * naggs + aggregate] for g in range(table.ngroups)]
        order = sorted(range(table.ngroups), key=counts.__getitem__, reverse=descending)
        return order[:limit]

    def rows(self, GroupTable table not None, order=None):
        """The output rows of a group table: its groups in first-appearance
        order, or the groups ``order`` lists, in that order."""
        cdef list rows = []
        cdef list groups = list(range(table.ngroups)) if order is None else list(order)
        cdef list key_names = [self.names[slot] for slot in table.plan.keys]
        cdef list outputs = [spec.output for spec in table.plan.aggregates]
        cdef Py_ssize_t g, a, k, i, naggs = table.naggs
        cdef dict row, results
        cdef bint produced
        cdef int kind
        cdef object total
        cdef tuple key
        for g in groups:
            if not 0 <= g < table.ngroups:
                raise ValueError(f"group {g} out of range")
            results = {}
            produced = False
            for a in range(naggs):
                kind = table.kinds[a]
                i = g * naggs + a
                if kind == AGG_COUNT_EVENTS or kind == AGG_COUNT_FIELD:
                    results[outputs[a]] = str(table.counts[i])
                elif kind == AGG_COUNT_DISTINCT:
                    results[outputs[a]] = str(len(<set>table.objects[i]))
                elif table.counts[i] == 0:
                    continue  # no numeric input: no output
                elif kind == AGG_SUM:
                    results[outputs[a]] = self._format_number(sum(table.objects[i]))
                elif kind == AGG_AVG:
                    total = sum(table.objects[i])
                    results[outputs[a]] = self._format_number(total / len(<list>table.objects[i]))
                else:
                    results[outputs[a]] = self._format_number(table.objects[i])
                produced = True
            if not produced and naggs:
                continue  # none of the aggregates had input: no row
            row = {}
            key = <tuple>table.key_values[g]
            for k in range(len(key_names)):
                row[key_names[k]] = key[k]
            row.update(results)
            rows.append(self._event(row))
        return rows


cdef inline void _tuple_put(tuple values, Py_ssize_t i, PyObject* value) noexcept:
    """Replace item ``i`` of a tuple nothing else refers to (the group
    table's scratch key)."""
    cdef PyObject** items = _tuple_items(<PyObject*>values)
    cdef PyObject* old = items[i]
    Py_INCREF(<object>value)
    items[i] = value
    Py_XDECREF(old)


cdef inline int _rich_op(int op) noexcept:
    if op == NUM_LT:
        return Py_LT
    if op == NUM_LE:
        return Py_LE
    if op == NUM_GT:
        return Py_GT
    return Py_GE


cdef int _check_range(Py_ssize_t pc, str what, Py_ssize_t value, Py_ssize_t size) except -1:
    if not 0 <= value < size:
        raise ValueError(f"code offset {pc}: {what} {value} out of range (0..{size - 1})")
    return 0


cdef inline int _slot(object slot, Py_ssize_t nfields) except -1:
    if not 0 <= slot < nfields:
        raise ValueError(f"group plan reads slot {slot}, which does not exist")
    return slot


cdef object _intern(str name):
    """The interned copy of a field name (fast dict lookups by identity)."""
    return _sys_intern(name)

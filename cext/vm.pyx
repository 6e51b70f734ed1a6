# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The bytecode virtual machine: runs a compiled ``Program`` over events.

``Machine(program, slow)`` checks the program once (every opcode known,
every operand in range, every jump landing on an instruction), copies its
code into a C array, interns the field names and compiles one ``RE2::Set``
per regex set.  ``run(events)`` then executes the rule's per-event code over
each event; ``aggregate(events)`` feeds what it emits straight into the
program's native groupBy (a ``GroupTable``), and ``aggregate_columns`` does
the same over events given as one column per field; ``fold(events, table)``
adds events that are outputs of ``run`` already to a table as they are.

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

Layout: this file holds the imports and the ``Machine``'s construction and
public methods; its parts by concern are ``cext/vm/*.pxi`` (registers,
dispatch, regexsets, caseless, numbers, exactsum, grouptable, dictevents), included
below so that the module stays one C unit, and ``vm.pxd`` is the table of
contents of all.
Limits (``PARTIAL_GROUPS``, ``REGEX_MAX_MEM``) come from ``cqlmatch.limits``.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_Copy, PyDict_SetItem, PyDict_Size as PyDict_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport Py_GE, Py_GT, Py_LE, Py_LT, PyObject, PyObject_RichCompareBool
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from cpython.unicode cimport (
    PyUnicode_AsUTF8AndSize,
    PyUnicode_Contains,
    PyUnicode_DATA,
    PyUnicode_GET_LENGTH,
    PyUnicode_KIND,
    PyUnicode_Tailmatch,
    PyUnicode_1BYTE_KIND,
    PyUnicode_2BYTE_KIND,
)
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.pythread cimport PyThread_get_thread_ident
from cpython.long cimport PyLong_AsLongLongAndOverflow
from libc.math cimport fabs, isfinite, isinf
from libc.stdint cimport int64_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memcpy, memset
from libcpp cimport bool as cbool
from libcpp.string cimport string
from libcpp.vector cimport vector
from libcpp.algorithm cimport sort
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

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
    /* A cheap clock for the time of each rule run: the CPU's time-stamp
       counter (about a third of clock_gettime's cost, which was 2% of a
       pack's run), scaled to nanoseconds per call (``_run_rules``);
       elsewhere the monotonic clock in nanoseconds. */
    #include <time.h>
    #if defined(__x86_64__) || defined(__i386__)
    #include <x86intrin.h>
    static inline unsigned long long cqlmatch_ticks(void) { return __rdtsc(); }
    #else
    static inline unsigned long long cqlmatch_ticks(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec;
    }
    #endif
    """
    PyObject** _tuple_items "cqlmatch_tuple_items"(PyObject* t)
    unsigned long long _ticks "cqlmatch_ticks"() noexcept nogil
    bint __builtin_saddll_overflow(long long a, long long b, long long* total) noexcept nogil


cdef int raise_pending() except -1:
    """Propagate the exception already set (Cython sees the -1)."""
    return -1


from fractions import Fraction as _Fraction
from sys import intern as _sys_intern

from cqlmatch.codes import W401 as _W401
from cqlmatch.lang.cidr import in_subnets as _in_subnets
from cqlmatch.lang.events import Event as _Event
from cqlmatch.lang.exactsum import exact_total as _exact_total
from cqlmatch.lang.glob import glob_match as _glob_match
from cqlmatch.lang.regex import _scrub, needs_non_ascii, set_gate
from cqlmatch.lang.values import format_number as _format_number, parse_number as _parse_number
from cqlmatch.limits import PARTIAL_GROUPS, REGEX_MAX_MEM

# The machine's parts, by concern (each a .pxi under cext/vm/, compiled here
# as one C unit so the hot loop's calls stay direct and inlinable; vm.pxd
# lists what each declares):
include "vm/registers.pxi"   # _Ctx: one run's registers and case stack; reads, writes, Event out
include "vm/dispatch.pxi"    # code checks, the dispatch loop (_exec), runs over event lists
include "vm/caseless.pxi"    # caseless string tests (RE2's (?i) on ASCII constants)
include "vm/regexsets.pxi"   # RE2 sets: building, matching, the per-value cache and memo
include "vm/numbers.pxi"     # number parsing, IPv4 and CIDR tests
include "vm/exactsum.pxi"    # sum()/avg(): exact, bounded, mergeable
include "vm/grouptable.pxi"  # GroupTable, adding an event to it, its rows
include "vm/dictevents.pxi"  # dict mode: fields read from nested dicts in place; DictMatcher


cdef class Machine:
    """Runs one compiled program; see the module docstring."""

    def __cinit__(self):
        self.code = NULL
        self.ncode = 0
        self.regex_calls = 0

    def __init__(self, program, slow, bint lazy_sets=False, bint parse_sets=True):
        """``slow``: the reference semantics of the instructions the VM does
        not run itself; ``lazy_sets``: compile each regex set when first
        run, not now (a linked pack's hundreds of sets, each compiled
        within RE2's budget when its rule was); ``parse_sets`` false (with
        ``lazy_sets``): parse its patterns then too, not now (sets compiled
        before: a pattern RE2 rejects then fails the run that needs it)."""
        cdef Py_ssize_t i, j
        cdef char raw_fallback
        cdef object ref, name, fallback, number, code, fields
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
        fields = program.fields
        for ref in fields:
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
            raw_fallback = 1 if fields[i].rawstring else 0
            self.rawstring.push_back(raw_fallback)
            self.tag_ptrs.push_back(NULL)
        self.tag_values = ()
        self.tags = None

        for text in program.consts:
            if not isinstance(text, str):
                raise ValueError(f"program constant {text!r} is not a str")
        self.consts = tuple(program.consts)
        _build_folded(self)
        value_sets = []
        for strings in program.value_sets:
            for text in strings:
                if not isinstance(text, str):
                    raise ValueError(f"program set string {text!r} is not a str")
            value_sets.append(frozenset(strings))
        self.value_sets = tuple(value_sets)
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

        code = program.code  # (once: a linked pack's program has about 90,000 words)
        self.ncode = len(code)
        self.code = <int*>malloc(max(self.ncode, 1) * sizeof(int))
        if self.code == NULL:
            raise MemoryError()
        for i in range(self.ncode):
            self.code[i] = code[i]
        if not program.rules:
            raise ValueError("the program has no rule")
        self.entry = program.rules[0].entry
        for rule in program.rules:
            if not 0 <= rule.entry < max(self.ncode, 1):
                raise ValueError(f"rule {rule.name!r} enters at {rule.entry}, outside the code")
            self.entries.push_back(rule.entry)
        _build_sets(self, lazy_sets, parse_sets)
        _check_code(self)
        _build_cidrs(self)
        _build_paths(self)

    def __dealloc__(self):
        cdef size_t i
        for i in range(self.sets.size()):
            del self.sets[i]
        self.sets.clear()
        for i in range(self.ascii_sets.size()):
            del self.ascii_sets[i]  # (NULL for most: deleting it does nothing)
        self.ascii_sets.clear()
        free(self.code)
        self.code = NULL

    # --- entry points -------------------------------------------------------------

    def use_tags(self, tags):
        """Give every later run the tags of its input (a mapping of tag
        name to value, ``cqlmatch.lang.tags``; None: no tags): a ``#name``
        slot reads the tag when the event has neither ``#name`` nor
        ``name``.  Filled into the slots here, once, not per event."""
        cdef Py_ssize_t i
        cdef object value
        values = []
        for i in range(self.nslots):
            name = <object>PyTuple_GET_ITEM(self.names, i)
            value = None
            if tags is not None and name.startswith("#"):
                value = tags.get(name[1:])
                if value is not None and type(value) is not str:
                    raise TypeError(f"tag {name[1:]!r} must be a str, not {type(value).__name__}")
            values.append(value)
        self.tag_values = tuple(values)
        self.tags = tags
        for i in range(self.nslots):
            value = <object>PyTuple_GET_ITEM(self.tag_values, i)
            if value is None:
                self.tag_ptrs[i] = NULL
            else:
                self.tag_ptrs[i] = <PyObject*>value

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
        _run_events(self, events if type(events) is list else list(events), out, None)
        return out

    def run_rules(self, list events not None, starts, shapes, shape_start, shape_rules,
                  evaluated, nanos):
        """A linked pack's rules over ``events``, each event only through
        the rules of its candidate sets: event ``i``'s sets are
        ``shapes[starts[i]:starts[i + 1]]``, set ``s``'s rules
        ``shape_rules[shape_start[s]:shape_start[s + 1]]`` (rule numbers;
        -1 entries skipped); all int32 buffers.  The event's registers are
        loaded once for all its rules (linked rules write no field).
        ``evaluated[r]`` (int64) counts the events rule ``r`` ran on,
        ``nanos[r]`` (int64) its time.  Returns the hits as a list of
        ``(event index, rule number)``, by event then by rule number."""
        cdef _Ctx c = _Ctx(self.nslots)
        return self._run_rules(c, events, PyList_GET_SIZE(events), starts, shapes, shape_start,
                               shape_rules, evaluated, nanos)

    def run_rules_columns(self, tuple columns not None, Py_ssize_t size, starts, shapes,
                          shape_start, shape_rules, evaluated, nanos):
        """``run_rules`` over ``size`` events given as columns (as
        ``accepted_rows`` takes them, without ``@rawstring``): the hits as
        ``(row, rule number)``, with no event made for any row."""
        cdef _Ctx c = _Ctx(self.nslots)
        self._rows_of(columns, None, size)
        c.columns = columns
        c.raws = None
        return self._run_rules(c, None, size, starts, shapes, shape_start, shape_rules,
                               evaluated, nanos)

    cdef list _run_rules(self, _Ctx c, list events, Py_ssize_t n, starts, shapes, shape_start,
                         shape_rules, evaluated, nanos):
        """``run_rules`` over ``events``, or, None, over ``c``'s ``n`` column rows."""
        cdef const int[::1] st = starts
        cdef const int[::1] sh = shapes
        cdef const int[::1] ss = shape_start
        cdef const int[::1] sr = shape_rules
        cdef long long[::1] ev = evaluated
        cdef long long[::1] ns = nanos
        cdef Py_ssize_t i, k, j
        cdef int s, r, nrules = <int>self.entries.size()
        cdef list hits = []
        cdef vector[int] chosen
        cdef vector[long long] ticks  # per rule, this call's (scaled to ns at the end)
        cdef vector[int] timed  # the rules run in this call
        cdef timespec w0, w1
        cdef unsigned long long t0, start_ticks
        cdef long long spent
        cdef double scale
        if st.shape[0] != n + 1:
            raise ValueError(f"{st.shape[0]} starts for {n} events")
        if ev.shape[0] != nrules or ns.shape[0] != nrules:
            raise ValueError(f"counters for {ev.shape[0]} rules, the program has {nrules}")
        for k in range(ss.shape[0] - 1):
            if not 0 <= ss[k] <= ss[k + 1] <= sr.shape[0]:
                raise ValueError(f"shape {k}'s rules are out of range")
        for k in range(sr.shape[0]):
            if not -1 <= sr[k] < nrules:
                raise ValueError(f"rule number {sr[k]} of {nrules}")
        ticks.assign(nrules, 0)
        clock_gettime(CLOCK_MONOTONIC, &w0)
        start_ticks = _ticks()
        try:
            for i in range(n):
                if not (0 <= st[i] <= st[i + 1] <= sh.shape[0]):
                    raise ValueError(f"event {i}'s candidate sets are out of range")
                chosen.clear()
                for k in range(st[i], st[i + 1]):
                    s = sh[k]
                    if not 0 <= s < ss.shape[0] - 1:
                        raise ValueError(f"candidate set {s} does not exist")
                    for j in range(ss[s], ss[s + 1]):
                        if sr[j] >= 0:
                            chosen.push_back(sr[j])
                if chosen.empty():
                    continue
                sort(chosen.begin(), chosen.end())
                if events is None:
                    c.start_row(i)
                else:
                    c.adopt(<object>PyList_GET_ITEM(events, i))
                for k in range(<Py_ssize_t>chosen.size()):
                    r = chosen[k]
                    if k and r == chosen[k - 1]:
                        continue
                    c.accepted = False
                    t0 = _ticks()
                    _exec(self, self.entries[r], c, False, None, None)
                    t0 = _ticks() - t0
                    if ticks[r] == 0:
                        timed.push_back(r)
                    # (+1: never 0 once run; a count gone backwards, as on a
                    # move to a core whose counter lags, counts as none)
                    ticks[r] += (<long long>t0 if t0 < (1ULL << 62) else 0) + 1
                    c.reset_stack()
                    ev[r] += 1
                    if c.accepted:  # (a linked rule keeps the event as it is)
                        hits.append((i, r))
        finally:
            _forget(self)
            # The call's ticks and nanoseconds give the scale of its rules' ticks.
            clock_gettime(CLOCK_MONOTONIC, &w1)
            spent = <long long>(_ticks() - start_ticks)
            scale = 0.0
            if spent > 0:
                scale = ((w1.tv_sec - w0.tv_sec) * 1e9 + (w1.tv_nsec - w0.tv_nsec)) / spent
            for k in range(<Py_ssize_t>timed.size()):
                ns[timed[k]] += <long long>(ticks[timed[k]] * scale)
        return hits

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
        else:
            self._check_table(table)
        _run_events(self, events if type(events) is list else list(events), None, table)
        self._limit_warning(table)
        return table

    def aggregate_columns(self, tuple columns, raws=None, GroupTable table=None,
                          Py_ssize_t size=-1) -> GroupTable:
        """``aggregate`` over events given as columns: ``columns[slot][row]``
        is the value of the program's field ``slot`` as the query reads it
        (fallbacks applied: ``#tag`` holds ``tag`` when absent) or None;
        ``raws[row]`` the line (for ``@rawstring``), when given.  Only for a
        ``native`` program's per-event code; slow paths would see events
        with the program's fields only.  ``size``: the number of rows (needed
        when the program reads no field: ``count()`` has no column)."""
        cdef _Ctx c = _Ctx(self.nslots)
        cdef Py_ssize_t i, n = self._rows_of(columns, raws, size)
        if table is None:
            table = self.new_table()
        else:
            self._check_table(table)
        c.columns = columns
        c.raws = raws
        try:
            for i in range(n):
                c.start_row(i)
                _exec(self, self.entry, c, False, None, table)
                c.reset_stack()
        finally:
            _forget(self)
        self._limit_warning(table)
        return table

    def accepted_rows(self, tuple columns, raws=None, Py_ssize_t size=-1) -> list:
        """The rows (ascending) of events given as columns, as
        ``aggregate_columns`` takes them, that the per-event code keeps:
        which lines of a block are kept, without an event made for any."""
        cdef _Ctx c = _Ctx(self.nslots)
        cdef Py_ssize_t i, n = self._rows_of(columns, raws, size)
        cdef list rows = []
        c.columns = columns
        c.raws = raws
        try:
            for i in range(n):
                c.start_row(i)
                c.accepted = False
                _exec(self, self.entry, c, False, None, None)
                c.reset_stack()
                if c.accepted:
                    rows.append(i)
        finally:
            _forget(self)
        return rows

    cdef Py_ssize_t _rows_of(self, tuple columns, raws, Py_ssize_t size) except -1:
        """The number of rows of ``columns`` (checked: one list per slot, all
        as long as each other and as ``size`` when given; without columns or
        raws, ``size`` itself, which must then be given)."""
        cdef Py_ssize_t n = -1
        if len(columns) != self.nslots:
            raise ValueError(f"{len(columns)} columns for {self.nslots} fields")
        for column in columns:
            if type(column) is not list:
                raise TypeError("columns must be lists")
        if columns:
            n = PyList_GET_SIZE(<list>columns[0])
        elif raws is not None:
            n = len(raws)
        elif size < 0:
            raise ValueError("a program that reads no field needs the number of rows (size)")
        else:
            n = size
        for column in columns:
            if PyList_GET_SIZE(<list>column) != n:
                raise ValueError("columns of different lengths")
        if raws is not None and len(raws) != n:
            raise ValueError("raws and columns of different lengths")
        if size >= 0 and size != n:
            raise ValueError(f"size {size} for columns of {n} rows")
        return n

    def fold(self, events, GroupTable table not None) -> GroupTable:
        """Add ``events`` as they are (the per-event code not run: they are
        outputs of ``run`` already) to ``table`` under the program's group
        plan, and return it.  Folding ``run``'s outputs batch by batch gives
        the table ``aggregate`` gives over the inputs, W401 included."""
        cdef list items = events if type(events) is list else list(events)
        cdef _Ctx c = _Ctx(self.nslots)
        cdef Py_ssize_t i
        self._check_table(table)
        for i in range(PyList_GET_SIZE(items)):
            c.adopt(<object>PyList_GET_ITEM(items, i))
            _add(self, c, table)
        self._limit_warning(table)
        return table

    def group(self, events):
        """Rows of the program's group plan over ``events`` as they are (the
        per-event code not run): builtins/stages.py group_by with the
        count/sum/min/max/avg aggregates."""
        return self.rows(self.fold(events, self.new_table()))

    def count_order(self, GroupTable table not None, Py_ssize_t aggregate, bint descending,
                    Py_ssize_t limit):
        """The first ``limit`` groups sorted by a count aggregate (stably:
        ties keep first appearance), for ``rows(table, order)``: sort() by
        a count output without a row per group."""
        return _count_order(table, aggregate, descending, limit)

    def rows(self, GroupTable table not None, order=None):
        """The output rows of a group table: its groups in first-appearance
        order, or the groups ``order`` lists, in that order."""
        return _rows(self, table, order)

    cdef int _check_table(self, GroupTable table) except -1:
        """A table filled here reads this program's slots: it must be of
        this program's group plan (a foreign plan may name slots past ours)."""
        if table.plan is not self.program.group and table.plan != self.program.group:
            raise ValueError("the group table is not of this program's group plan")
        if table.nfields_hint() > self.nslots:
            raise ValueError("the group table reads slots this program does not have")
        return 0

    cdef int _limit_warning(self, GroupTable table) except -1:
        if table.limit_reached and not table.warned:
            table.warned = True
            self._warn("W401", _W401.format(table.limit))
        return 0


cdef object _intern(str name):
    """The interned copy of a field name (fast dict lookups by identity)."""
    return _sys_intern(name)

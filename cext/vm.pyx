# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The bytecode virtual machine: runs a compiled ``Program`` over events.

``Machine(program, slow)`` checks the program once (every opcode known,
every operand in range, every jump landing on an instruction), copies its
code into a C array, interns the field names and compiles one ``RE2::Set``
per regex set.  ``run(events)`` then executes the rule's per-event code over
each event; ``group(events)`` computes the program's native groupBy.

The semantics are the reference interpreter's (``cqlmatch.reference``); the
few instructions that need more than this file knows call back into
``slow``: ``test_node(index, event)`` for a filter node, ``stage_node(index,
event)`` for a whole stage, ``warn(code, message)`` for warnings.

Events are never changed in place when anything else may hold them: a write
makes a new ``Event`` with a copied dict (the same ``raw`` and ``origin``),
and only a dict this machine made, and handed to no one, is written again.

Regex sets run at most once per value object: the matched bits are cached
with the str they were computed for (held, and compared by identity), so
several TEST_REGEX on one field cost one ``RE2::Set::Match``, and a field
whose value changed mid-program (an assignment, a slow-path stage) runs the
set again.  The GIL is released around the match.
"""

cimport cython
from cpython.dict cimport PyDict_Copy, PyDict_SetItem
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.object cimport Py_GE, Py_GT, Py_LE, Py_LT, PyObject, PyObject_RichCompareBool
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
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memset
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
    void PyErr_Clear()


cdef int raise_pending() except -1:
    """Propagate the exception already set (Cython sees the -1)."""
    return -1


from sys import intern as _sys_intern

from cqlmatch.events import Event as _Event
from cqlmatch.glob import glob_match as _glob_match
from cqlmatch.regex import _scrub
from cqlmatch.values import format_number as _format_number, parse_number as _parse_number

#: RE2 memory budget for one regex set (program plus DFA cache).
MAX_MEM = 64 << 20
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
_W401 = (
    "groupBy() reached its limit of {} groups; "
    "later groups were left out and counts are lower bounds"
)


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


cdef class Machine:
    """Runs one compiled program; see the module docstring."""

    def __cinit__(self):
        self.code = NULL
        self.ncode = 0
        self.regex_calls = 0

    def __init__(self, program, slow):
        cdef Py_ssize_t i
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

        names = []
        fallbacks = []
        for ref in program.fields:
            names.append(_intern(ref.name))
            fallbacks.append(None if ref.fallback is None else _intern(ref.fallback))
        self.names = tuple(names)
        self.fallbacks = tuple(fallbacks)
        for i in range(len(self.names)):
            self.name_ptrs.push_back(<PyObject*>PyTuple_GET_ITEM(self.names, i))
            fallback = <object>PyTuple_GET_ITEM(self.fallbacks, i)
            if fallback is None:
                self.fallback_ptrs.push_back(NULL)
            else:
                self.fallback_ptrs.push_back(<PyObject*>fallback)
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
        self.set_bits.resize(offset, 0)
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

    # --- per-event code -----------------------------------------------------------

    def run(self, events):
        """The events the rule's per-event code emits, in input order."""
        cdef list items = events if type(events) is list else list(events)
        cdef list out = []
        cdef list stack = []
        cdef Py_ssize_t i, n = PyList_GET_SIZE(items)
        try:
            for i in range(n):
                self._exec(self.entry, <object>PyList_GET_ITEM(items, i), False, stack, out)
                if stack:
                    del stack[:]
        finally:
            self._forget()
        return out

    cdef object _read(self, object cur, dict fields, int slot):
        """A field's value with the fallbacks (``#tag`` -> ``tag``,
        ``@timestamp`` -> ``timestamp``, ``@rawstring`` -> the line); None
        when the event has no such field."""
        cdef PyObject* found = _dict_lookup(<PyObject*>fields, self.name_ptrs[slot])
        if found != NULL and found != <PyObject*>None:
            return <object>found
        return self._read_fallback(cur, fields, slot)

    cdef object _read_fallback(self, object cur, dict fields, int slot):
        """``_read`` once the field's own name was not found."""
        cdef PyObject* found
        cdef PyObject* fallback = self.fallback_ptrs[slot]
        if fallback != NULL:
            found = _dict_lookup(<PyObject*>fields, fallback)
            return None if found == NULL else <object>found
        if self.rawstring[slot]:
            return cur.raw
        return None

    cdef object _copy(self, object cur, dict fields):
        """A new event with a copy of ``fields``, for writing."""
        return self._event(PyDict_Copy(fields), cur.raw, cur.origin)

    cdef int _exec(
        self, Py_ssize_t pc, object cur, bint flag, list stack, list out
    ) except -1:
        """Run from ``pc`` until ACCEPT or REJECT."""
        cdef const int* code = self.code
        cdef dict fields = _fields_of(cur)
        cdef bint owned = False  # cur.fields was made here and is held by no one else
        cdef object value, result
        cdef PyObject* found
        cdef list outs
        cdef Py_ssize_t i, n
        cdef int op
        cdef bint write
        while True:
            op = code[pc]
            if op == TEST_EQ:
                found = _dict_lookup(<PyObject*>fields, self.name_ptrs[code[pc + 1]])
                if found != NULL and found != <PyObject*>None:
                    _need_str(found)
                    flag = _str_eq(<object>found, <object>PyTuple_GET_ITEM(self.consts, code[pc + 2]))
                else:
                    value = self._read_fallback(cur, fields, code[pc + 1])
                    if value is None:
                        flag = False
                    else:
                        _need_str(<PyObject*>value)
                        flag = _str_eq(value, <object>PyTuple_GET_ITEM(self.consts, code[pc + 2]))
                pc += 3
            elif op == JUMP_IF_FALSE:
                pc = code[pc + 1] if not flag else pc + 2
            elif op == JUMP_IF_TRUE:
                pc = code[pc + 1] if flag else pc + 2
            elif op == JUMP:
                pc = code[pc + 1]
            elif op == TEST_REGEX:
                value = self._read(cur, fields, code[pc + 1])
                if value is None:
                    flag = False
                else:
                    flag = self._regex_bit(value, code[pc + 2], code[pc + 3])
                pc += 4
            elif op == TEST_EXISTS:
                flag = self._read(cur, fields, code[pc + 1]) is not None
                pc += 2
            elif op == TEST_PREFIX or op == TEST_SUFFIX or op == TEST_CONTAINS:
                value = self._read(cur, fields, code[pc + 1])
                if value is None:
                    flag = False
                else:
                    _need_str(<PyObject*>value)
                    result = <object>PyTuple_GET_ITEM(self.consts, code[pc + 2])
                    if op == TEST_CONTAINS:
                        flag = PyUnicode_Contains(value, result) == 1
                    else:
                        flag = PyUnicode_Tailmatch(
                            value, result, 0, PyUnicode_GET_LENGTH(value),
                            -1 if op == TEST_PREFIX else 1,
                        ) == 1
                pc += 3
            elif op == TEST_GLOB:
                value = self._read(cur, fields, code[pc + 1])
                if value is None:
                    flag = False
                else:
                    _need_str(<PyObject*>value)
                    flag = bool(self._glob_match(
                        <object>PyTuple_GET_ITEM(self.consts, code[pc + 2]), value
                    ))
                pc += 3
            elif op == TEST_NUM:
                value = self._read(cur, fields, code[pc + 1])
                if value is None:
                    flag = False
                else:
                    _need_str(<PyObject*>value)
                    flag = self._test_num(value, code[pc + 2], code[pc + 3])
                pc += 4
            elif op == TEST_NODE:
                owned = False  # the slow path may keep the event
                result = self._test_node(code[pc + 1], cur)
                if result is None:
                    flag = False
                else:
                    flag = True
                    if result is not cur:
                        cur = result
                        fields = _fields_of(cur)
                pc += 2
            elif op == SET_FLAG:
                flag = code[pc + 1] != 0
                pc += 2
            elif op == NOT:
                flag = not flag
                pc += 1
            elif op == ASSIGN_CONST or op == DEFAULT:
                if op == DEFAULT:
                    value = self._read(cur, fields, code[pc + 1])
                    write = value is None or (
                        code[pc + 3] == 1
                        and PyUnicode_Check(<PyObject*>value)
                        and PyUnicode_GET_LENGTH(value) == 0
                    )
                else:
                    write = True
                if write:
                    if not owned:
                        cur = self._copy(cur, fields)
                        fields = <dict>cur.fields
                        owned = True
                    PyDict_SetItem(
                        fields,
                        <object>self.name_ptrs[code[pc + 1]],
                        <object>PyTuple_GET_ITEM(self.consts, code[pc + 2]),
                    )
                pc += 3 if op == ASSIGN_CONST else 4
            elif op == STAGE_NODE:
                owned = False
                result = self._stage_node(code[pc + 1], cur)
                outs = result if type(result) is list else list(result)
                n = PyList_GET_SIZE(outs)
                if n == 0:
                    pc = code[pc + 2]
                elif n == 1:
                    cur = <object>PyList_GET_ITEM(outs, 0)
                    fields = _fields_of(cur)
                    pc += 3
                else:
                    # each output continues on its own, in order, with its own stack
                    for i in range(n):
                        self._exec(pc + 3, <object>PyList_GET_ITEM(outs, i), flag, list(stack), out)
                    return 0
            elif op == SAVE:
                stack.append(cur)
                owned = False
                pc += 1
            elif op == RESTORE:
                if not stack:
                    raise RuntimeError(f"code offset {pc}: RESTORE with an empty stack")
                result = stack[PyList_GET_SIZE(stack) - 1]
                if result is not cur:  # (a branch that changed nothing keeps its fields)
                    cur = result
                    fields = _fields_of(cur)
                    owned = False
                pc += 1
            elif op == DISCARD:
                if not stack:
                    raise RuntimeError(f"code offset {pc}: DISCARD with an empty stack")
                stack.pop()
                pc += 1
            elif op == ACCEPT:
                out.append(cur)
                return 0
            elif op == REJECT:
                return 0
            elif op == DISPATCH:
                raise NotImplementedError(
                    f"code offset {pc}: DISPATCH is reserved and this VM does not run it"
                )
            else:  # excluded by _check_code
                raise RuntimeError(f"code offset {pc}: unknown opcode {op}")

    # --- regex sets ---------------------------------------------------------------

    cdef int _regex_bit(self, object value, int s, int bit) except -1:
        if <object>PyList_GET_ITEM(self.set_keys, s) is not value:
            self._set_bits(value, s)
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
        # ``text`` keeps the UTF-8 bytes alive while the GIL is released.
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

    # --- numbers ------------------------------------------------------------------

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

    def group(self, events):
        """Rows of the program's group plan over ``events`` (builtins/stages.py
        group_by with the count/sum/min/max/avg aggregates)."""
        plan = self.program.group
        if plan is None:
            raise ValueError("the program has no group plan")
        cdef list items = events if type(events) is list else list(events)
        cdef Py_ssize_t nkeys = len(plan.keys)
        cdef Py_ssize_t naggs = len(plan.aggregates)
        cdef Py_ssize_t limit = plan.limit
        cdef vector[int] key_slots
        cdef vector[int] kinds
        cdef vector[int] agg_slots
        cdef vector[int64_t] counts  # per group and aggregate: the counts
        cdef list objects = []  # per group and aggregate: set, list or extreme
        cdef list key_values = []  # per group: its key values
        cdef dict groups = {}  # key -> group index
        cdef Py_ssize_t i, a, g, ngroups = 0
        cdef bint warned = False
        cdef object event, key, value, number, slot_obj
        cdef dict fields
        cdef list values
        cdef int kind, slot

        for slot_obj in plan.keys:
            key_slots.push_back(_slot(slot_obj, len(self.names)))
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
            kinds.push_back(kind)
            if slot >= 0:
                slot = _slot(slot, len(self.names))
            agg_slots.push_back(slot)

        for i in range(PyList_GET_SIZE(items)):
            event = <object>PyList_GET_ITEM(items, i)
            fields = _fields_of(event)
            # an event lacking a group field counts toward no group
            if nkeys == 1:
                key = self._read(event, fields, key_slots[0])
                if key is None:
                    continue
            else:
                values = []
                for a in range(nkeys):
                    value = self._read(event, fields, key_slots[a])
                    if value is None:
                        break
                    values.append(value)
                if len(values) < nkeys:
                    continue
                key = tuple(values)
            found = groups.get(key)
            if found is None:
                if ngroups >= limit:
                    if not warned:
                        self._warn("W401", _W401.format(limit))
                        warned = True
                    continue
                g = ngroups
                ngroups += 1
                groups[key] = g
                key_values.append((key,) if nkeys == 1 else key)
                counts.resize(<size_t>(ngroups * naggs), 0)
                for a in range(naggs):
                    kind = kinds[a]
                    if kind == AGG_COUNT_DISTINCT:
                        objects.append(set())
                    elif kind == AGG_SUM or kind == AGG_AVG:
                        objects.append([])
                    else:
                        objects.append(None)
            else:
                g = <Py_ssize_t>found
            for a in range(naggs):
                kind = kinds[a]
                if kind == AGG_COUNT_EVENTS:
                    counts[g * naggs + a] += 1
                    continue
                value = self._read(event, fields, agg_slots[a])
                if value is None:
                    continue
                if kind == AGG_COUNT_FIELD:
                    counts[g * naggs + a] += 1
                elif kind == AGG_COUNT_DISTINCT:
                    (<set>objects[g * naggs + a]).add(value)
                else:
                    number = self._parse_number(value)
                    if number is None:
                        continue
                    counts[g * naggs + a] += 1
                    if kind == AGG_SUM or kind == AGG_AVG:
                        (<list>objects[g * naggs + a]).append(number)
                    elif counts[g * naggs + a] == 1:
                        objects[g * naggs + a] = number
                    elif PyObject_RichCompareBool(
                        number, objects[g * naggs + a], Py_LT if kind == AGG_MIN else Py_GT
                    ):
                        objects[g * naggs + a] = number  # the first extreme stays

        return self._rows(plan, ngroups, naggs, kinds, counts, objects, key_values)

    cdef list _rows(
        self, plan, Py_ssize_t ngroups, Py_ssize_t naggs, vector[int]& kinds,
        vector[int64_t]& counts, list objects, list key_values,
    ):
        cdef list rows = []
        cdef list key_names = [self.names[slot] for slot in plan.keys]
        cdef list outputs = [spec.output for spec in plan.aggregates]
        cdef Py_ssize_t g, a, k
        cdef dict row, results
        cdef bint produced
        cdef int kind
        cdef object total
        cdef tuple key
        for g in range(ngroups):
            results = {}
            produced = False
            for a in range(naggs):
                kind = kinds[a]
                if kind == AGG_COUNT_EVENTS or kind == AGG_COUNT_FIELD:
                    results[outputs[a]] = str(counts[g * naggs + a])
                elif kind == AGG_COUNT_DISTINCT:
                    results[outputs[a]] = str(len(<set>objects[g * naggs + a]))
                elif counts[g * naggs + a] == 0:
                    continue  # no numeric input: no output
                elif kind == AGG_SUM:
                    results[outputs[a]] = self._format_number(sum(objects[g * naggs + a]))
                elif kind == AGG_AVG:
                    total = sum(objects[g * naggs + a])
                    results[outputs[a]] = self._format_number(
                        total / len(<list>objects[g * naggs + a])
                    )
                else:
                    results[outputs[a]] = self._format_number(objects[g * naggs + a])
                produced = True
            if not produced and naggs:
                continue  # none of the aggregates had input: no row
            row = {}
            key = <tuple>key_values[g]
            for k in range(len(key_names)):
                row[key_names[k]] = key[k]
            row.update(results)
            rows.append(self._event(row))
        return rows


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

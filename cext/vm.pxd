# cython: language_level=3
"""The table of contents of ``cqlmatch._vm``: its classes, and the C
functions of each part by the file under ``cext/vm/`` that defines it
(``vm.pyx`` includes them all: one C unit, so calls stay direct).

One ``Machine`` runs one compiled ``Program``.  It owns C copies of what the
hot loop reads (the code words, the interned field names, the compiled RE2
sets) and no per-run state except the regex-set cache, which it only updates
while holding the GIL (see ``_set_bits``); each run has its own registers
(``_Ctx``)."""

cimport cython
from cpython.object cimport PyObject
from libc.stdint cimport int64_t, uint32_t
from libcpp.vector cimport vector

from re2 cimport RE2Set


@cython.final
cdef class _Ctx:
    cdef Py_ssize_t nslots
    cdef PyObject** val
    cdef unsigned char* st
    cdef int* worder
    cdef int nwritten
    cdef object cur
    cdef dict fields
    cdef tuple columns
    cdef object raws
    cdef Py_ssize_t row
    # The case stack: frame k at k * nslots, depth frames in use.
    cdef size_t depth
    cdef vector[PyObject*] s_val
    cdef vector[unsigned char] s_st
    cdef vector[int] s_worder
    cdef vector[int] s_nwritten
    cdef vector[PyObject*] s_cur  # borrowed: input events, or events in keep
    cdef list keep  # slow-path outputs of the current input event
    cdef Py_ssize_t nkeep
    # TEST_CONTAINS_CI: fold_buf holds the value fold_key (held) folded.
    cdef object fold_key
    cdef vector[char] fold_buf
    # Dict mode (vm/dictevents.pxi): the caller's event, read field by field
    # (None otherwise); whether the code reached ACCEPT.
    cdef object event
    cdef bint accepted

    cdef void clear(self) noexcept
    cdef int adopt(self, object event) except -1
    cdef int adopt_new(self, object event) except -1
    cdef int start_row(self, Py_ssize_t row) except -1
    cdef void reset_stack(self) noexcept
    cdef int save(self) except -1
    cdef int restore(self) except -1
    cdef int discard(self) except -1
    cdef _Ctx fork(self)


@cython.final
cdef class _ExactSum:  # vm/exactsum.pxi: one group's sum()/avg() state
    cdef long long small  # integers while they fit
    cdef object big  # integers past that (a Python int)
    cdef vector[double] parts  # floats: non-overlapping, their sum exact
    cdef bint saw_float
    cdef object special  # None, or the sum of infinities and NaNs
    cdef object overflowed  # None, or the floats' sum as a Fraction

    cdef int add(self, object number) except -1
    cdef int _grow(self, double x) except -1
    cdef int merge(self, _ExactSum other) except -1
    cdef object value(self)


cdef class GroupTable:
    cdef readonly object plan
    cdef Py_ssize_t limit
    cdef Py_ssize_t nkeys
    cdef Py_ssize_t naggs
    cdef vector[int] key_slots
    cdef vector[int] kinds
    cdef vector[int] agg_slots
    cdef dict groups  # key -> group index
    cdef Py_ssize_t ngroups
    cdef vector[int64_t] counts  # per group and aggregate
    cdef list objects  # per group and aggregate: set, _ExactSum or extreme
    cdef list key_values  # per group: its key values
    cdef tuple scratch  # the key looked up for each event (several key fields)
    cdef readonly bint limit_reached
    cdef bint warned

    cdef Py_ssize_t _group(self, object key) except -2
    cdef Py_ssize_t nfields_hint(self)


@cython.final
cdef class Machine:
    cdef readonly object program
    # The slow-path object and its bound methods, looked up once.
    cdef object slow
    cdef object _test_node
    cdef object _stage_node
    cdef object _warn
    # Helpers from the pure-Python package, looked up once.
    cdef object _event
    cdef object _parse_number
    cdef object _format_number
    cdef object _glob_match
    cdef object _scrub
    cdef object _in_subnets

    # Code: the program's words, checked at construction (every opcode is
    # known, every operand in range, every target an instruction start).
    cdef int* code
    cdef Py_ssize_t ncode
    cdef Py_ssize_t entry
    cdef vector[Py_ssize_t] entries  # every rule's (a linked pack's rules)

    # Fields by slot: interned names kept alive by the tuples; the vectors
    # hold borrowed pointers into them (NULL: no fallback).  fallback_slot:
    # the slot named like the fallback (-1: none); dependents[s]: the slots
    # whose fallback is slot s (a write to s invalidates what they read).
    cdef Py_ssize_t nslots
    cdef tuple names
    cdef tuple fallbacks
    cdef vector[PyObject*] name_ptrs
    cdef vector[PyObject*] fallback_ptrs
    cdef vector[int] fallback_slot
    cdef vector[vector[int]] dependents
    cdef vector[char] rawstring
    # Tags of the source (cqlmatch.lang.tags): per slot, the input's value of
    # a ``#name`` slot, read when the event has neither ``#name`` nor
    # ``name`` (borrowed from ``tag_values``; NULL: no tag).  Set once per
    # run by ``use_tags``, never per event; ``tags`` is the mapping itself,
    # which events made here carry for the slow paths.
    cdef tuple tag_values
    cdef vector[PyObject*] tag_ptrs
    cdef readonly object tags

    cdef tuple consts
    # The caseless tests' view of consts: each in ASCII lower case as bytes,
    # None when not ASCII (see vm/caseless.pxi).
    cdef tuple folded
    # TEST_IN sets: a frozenset of str per Program.value_sets entry.
    cdef tuple value_sets
    # Numbers: the program's values, and for the C fast path whether each
    # is a float (then its double) or something the fast path leaves alone.
    cdef tuple numbers
    cdef vector[double] number_values
    cdef vector[char] number_is_float
    # TEST_CIDR networks: see _build_cidrs.
    cdef vector[Py_ssize_t] cidr_start
    cdef vector[uint32_t] cidr_words

    # Regex sets: one compiled RE2::Set per Program.regex_sets entry; the
    # matched bits of the last value each set ran on (set_keys holds that
    # value, compared by identity), at set_offsets[s] in set_bits; and a memo
    # of the bits of values seen before.
    cdef vector[RE2Set*] sets
    cdef vector[Py_ssize_t] set_sizes
    cdef vector[Py_ssize_t] set_offsets
    cdef vector[unsigned char] set_bits
    cdef list set_keys
    cdef list set_memos  # per set: value -> its bits (bytes), bounded
    cdef vector[char] set_high  # per set: no ASCII-only value can match it (lang.regex.needs_non_ascii)
    cdef vector[char] set_ready  # per set: compiled (``_ready_set``; lazily for a linked pack)
    cdef vector[char] set_added  # per set: its patterns added (parsed) to its RE2::Set
    # per set: the RE2::Set of only its patterns an ASCII value can match,
    # run on ASCII values when its other patterns need a non-ASCII character
    # (NULL: none), and which bit each of its patterns answers
    cdef vector[RE2Set*] ascii_sets
    cdef vector[vector[int]] ascii_bits
    cdef readonly Py_ssize_t ascii_subsets  # sets given one (for tests)
    # per set: None, or what an ASCII value must hold for RE2 to run (lang.regex.set_gate)
    cdef list set_gates
    cdef vector[unsigned char] gate_text  # the value a gate looks in, padded (vm/caseless.pxi)
    cdef readonly Py_ssize_t regex_gated  # set evaluations a gate answered without RE2
    cdef bint keys_held  # set_keys holds a value (cleared by _forget)
    cdef readonly Py_ssize_t regex_calls  # set evaluations so far (for tests and tuning)

    # Dict mode (vm/dictevents.pxi): per slot, how its name and its fallback
    # are found in a nested dict (None: one top-level key); the helpers of
    # its rare cases; one context kept for it, and whether it is in use.
    cdef tuple name_paths
    cdef tuple fallback_paths
    cdef object _scalar
    cdef object _flat_value
    cdef object _rawstring_of
    cdef object _mapping
    cdef _Ctx dict_ctx
    cdef bint dict_busy

    cdef int _check_table(self, GroupTable table) except -1  # table of this program's plan?
    cdef list _run_rules(self, _Ctx c, list events, Py_ssize_t n, starts, shapes, shape_start,
                         shape_rules, evaluated, nanos)  # a linked pack's rules, by candidates
    cdef Py_ssize_t _rows_of(self, tuple columns, raws, Py_ssize_t size) except -1  # rows of checked columns
    cdef int _limit_warning(self, GroupTable table) except -1  # W401 once per table


# --- vm/registers.pxi: reading and writing the registers -------------------------------

cdef PyObject* _get(Machine m, _Ctx c, int slot) except? NULL  # a slot's value, loaded once
cdef PyObject* _load(Machine m, _Ctx c, int slot) except? NULL  # read from the event/column
cdef void _write(Machine m, _Ctx c, int slot, PyObject* value) noexcept  # assign a slot
cdef object _raw_of_row(_Ctx c)  # column mode: the row's line, or None
cdef object _materialize(Machine m, _Ctx c)  # the current event as an Event

# --- vm/dispatch.pxi: the per-event code -----------------------------------------------

cdef int _check_code(Machine m) except -1  # reject code the loop could misread
cdef int _run_events(Machine m, list items, list out, GroupTable table) except -1
cdef int _exec(Machine m, Py_ssize_t pc, _Ctx c, bint flag, list out, GroupTable table) except -1
cdef int _check_range(Py_ssize_t pc, str what, Py_ssize_t value, Py_ssize_t size) except -1

# --- vm/regexsets.pxi: RE2 sets --------------------------------------------------------

cdef int _build_sets(Machine m, bint lazy, bint parse) except -1  # one RE2::Set per regex set
cdef int _ready_set(Machine m, int s, object error) except -1  # compile it before first use
cdef int _regex_bit(Machine m, object value, int s, int bit) except -1  # TEST_REGEX
cdef int _set_bits(Machine m, object value, int s) except -1  # run set s over value
cdef _forget(Machine m)  # drop the cached values at the end of a run

# --- vm/caseless.pxi: caseless string tests --------------------------------------------

cdef int _build_folded(Machine m) except -1  # the constants as the caseless tests read them
cdef int _test_caseless(Machine m, _Ctx c, int op, object value, int k) except -1  # TEST_*_CI

# --- vm/numbers.pxi: numbers and IPv4 --------------------------------------------------

cdef int _ascii_number(object value, double* out) except -2  # exact doubles in C
cdef int _ipv4(const char* s, Py_ssize_t n, uint32_t* out) noexcept nogil  # dotted quad
cdef int _build_cidrs(Machine m) except -1  # TEST_CIDR networks as words
cdef int _test_cidr(Machine m, object value, int c) except -1  # TEST_CIDR
cdef int _test_num(Machine m, object value, int op, int n) except -1  # TEST_NUM

# --- vm/dictevents.pxi: events given as (nested) dicts ----------------------------------

cdef int _build_paths(Machine m) except -1  # how each slot is found in a nested dict
cdef PyObject* _load_dict(Machine m, _Ctx c, int slot) except? NULL  # _load in dict mode
cdef PyObject* _dict_field(Machine m, _Ctx c, object event, PyObject* name, object paths) except? NULL
cdef PyObject* _convert(Machine m, _Ctx c, PyObject* value) except? NULL  # JSON value -> str


@cython.final
cdef class DictMatcher:
    cdef object factory  # () -> this thread's Machine
    cdef object slow  # the caller's path for events that are not plain dicts
    cdef object edit  # (event, in_fields, changed, removed) -> output, for nested changes
    cdef object lock  # held while a kept event is folded into the table
    cdef public object table  # GroupTable or None
    cdef public Py_ssize_t kept
    cdef unsigned long last_ident
    cdef Machine last_machine
    cdef dict machines

    cdef Machine _machine(self)
    cdef object _one(self, Machine m, dict event)


# --- vm/grouptable.pxi: the native groupBy ---------------------------------------------

cdef int _add(Machine m, _Ctx c, GroupTable t) except -1  # the event into its group
cdef list _count_order(GroupTable table, Py_ssize_t aggregate, bint descending,
                       Py_ssize_t limit)  # groups by a count, for sort()
cdef list _rows(Machine m, GroupTable table, order)  # a table's output Events

# distutils: language = c++
# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Which rules of a pack a line can match, from the literals in it.

Each rule has literal groups (its prefilter, in conjunctive normal form):
the rule can keep a line only if, for every group, one of the group's
literals is in the line.  ``CandidateIndex`` finds every literal of every
rule in one pass over each line (an Aho-Corasick automaton, its states
and transitions in flat tables, bytes compared in ASCII lower case) and
counts, per rule, the groups the line satisfies; a rule whose groups are
all satisfied is a candidate for the line.  A rule without groups is a
candidate for every line.

A decoded value may hold a literal's character that the raw line writes
as an escape: ``\\u00XX`` (Gson writes ``=``, ``<``, ``>``, ``&`` and ``'``
so) or ``\\/``.  The automaton reads those escapes as the character they
stand for (and ``\\\\`` as two bytes, so ``\\\\u003d`` stays text), so a
literal in a decoded string is seen wherever it was spelled.  The two
characters ``(?i)`` folds onto ``k`` and ``s`` (U+212A, U+017F, raw or
escaped) are not read so: a line holding one is a candidate for every rule.

Typed scanners (``use_typed_scanners``): most rules name the event types
they read (``packs.routing``), and most lines are of a type few rules name.
A line's type is read from its raw bytes (every ``"name":"value"`` of the
type field, ``#name`` too, must agree; no escape may spell a character of
the key; the value a plain ASCII string) and the scanner of that type's
rules looks for their literals only.  A line whose type cannot be read so
is scanned for every literal, as without typed scanners: a rule is never
left out of a line its route admits.  Given the rules each scanner's lines
may match (``admitted``), a literal found on a typed line counts only for
those: the line's type already rules the others out.  A typed scanner
whose rules' literals all name one of a few top-level keys (``scopes``)
reads a line in those keys' values only (``keyscope.h``): most lines of
most types have none of them.

Field mode (``use_field_mode``): the lines of a typed scanner whose rules
keep nearly all of them are kept by ``scan_block`` without a scan, and
``pairs``, given each line's decoded fields, looks for each literal in the
values of the fields it names only: each value is scanned once, and what
it held is remembered (``valuememo.h``: telemetry repeats its values), and
the raw line is scanned for free-text literals only when a rule with one
may still be a candidate once the fields are read.

``scan_block`` (the shared prefilter) remembers the rules it found for
each line it kept; ``pairs``, over the decoded events' lines a little
later, takes them back for a line equal to one of the next few it
remembered instead of scanning it again.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.stdint cimport int32_t, uint64_t
from libc.string cimport memchr, memcmp, memcpy
from libcpp.string cimport string
from libcpp.vector cimport vector
from libcpp.utility cimport pair
from libcpp.algorithm cimport sort, unique
from libc.stdint cimport int64_t

from literalscan cimport cm_found_fn, cm_literal_scanner


cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object o, Py_ssize_t* size) except NULL
    ctypedef struct PyObject
    # (the same, returning NULL with the error left for the caller to clear)
    const char* _utf8_or_null "PyUnicode_AsUTF8AndSize" (PyObject* o, Py_ssize_t* size)
    PyObject* PyDict_GetItem(object d, object key)
    PyObject* PyList_GET_ITEM(object o, Py_ssize_t i)
    PyObject* PyTuple_GET_ITEM(object o, Py_ssize_t i)
    int PyUnicode_KIND(PyObject* o)
    void* PyUnicode_DATA(PyObject* o)
    Py_ssize_t PyUnicode_GET_LENGTH(PyObject* o)
    bint PyUnicode_Check(PyObject* o)
    void PyErr_Clear()

cdef extern from "keyfind.h" nogil:
    const unsigned char* cm_keyfind(const unsigned char* hay, size_t n,
                                    const unsigned char* needle, size_t k, size_t a, size_t b)

cdef extern from "escapefind.h" nogil:
    size_t cm_next_escape(const unsigned char* s, size_t n, size_t start)

cdef extern from "framelines.h" nogil:
    # not blank and not ``{`` ... ``}`` once spaces, tabs and CRs are trimmed
    # (the rule of ``ingest.prefilter.framed``)
    int cm_unframed(const unsigned char* d, size_t start, size_t end)

cdef extern from "keyscope.h":
    ctypedef struct cm_scope_key:
        const unsigned char* text
        size_t size
        size_t a, b
        int tag
    ctypedef void (*cm_value_fn)(void* ctx, size_t start, size_t end) noexcept
    int cm_scope_values(const unsigned char* s, size_t n, const cm_scope_key* keys,
                        size_t nkeys, cm_value_fn found, void* ctx)

cdef extern from "valuememo.h" nogil:
    cdef cppclass cqm_value_memo:
        void release()
        long find(uint64_t salt, const char* data, size_t size, uint64_t* hash_out)
        void add(uint64_t hash, uint64_t salt, const char* data, size_t size,
                 const int32_t* found, size_t n)
        const int32_t* ids_of(long entry, size_t* n)
        size_t entries()
        bint admits(uint64_t hash)


#: Kept lines ``scan_block`` remembers at most, and how many of them
#: ``pairs`` looks through for a line (the lines before the one found were
#: malformed: the reader gave no event for them).
DEF KEPT_MOST = 32768
DEF KEPT_LOOKAHEAD = 8
DEF KEPT_BYTES_MOST = 32 << 20  # and their bytes at most (a line past that is not kept)

#: What ``_escapes`` finds in a line.
DEF ESCAPED = 1  # a \u00 or \/ escape: the scan reads a copy with them as characters
DEF KEY_HIDDEN = 2  # a \u00XX escape of a character of the type key, of # or of a quote

#: Spellings that make a line a candidate for every rule (see above).
_WIDENING = (b"\\u212", b"\\u017", b"\xe2\x84\xaa", b"\xc5\xbf")




cdef void _on_literal(void* ctx, unsigned int id) noexcept:
    cdef CandidateIndex index = <CandidateIndex>ctx
    if index._count(<int>id):
        index.wide = True


cdef void _on_scoped_value(void* ctx, size_t start, size_t end) noexcept:
    """The value of one of a scoped scanner's keys, at ``scope_line[start:end]``:
    its literals count as the whole line's would."""
    cdef CandidateIndex index = <CandidateIndex>ctx
    cdef cm_literal_scanner* iface = index.scope_iface
    if end > start and iface.scan(iface.handle, <const char*>index.scope_line + start, end - start,
                                  _on_literal, ctx):
        index.wide = True  # (cannot happen) a failed scan keeps the line


cdef void _on_value_literal(void* ctx, unsigned int id) noexcept:
    """A literal found in a field's value (field mode), kept for the memo."""
    (<CandidateIndex>ctx).value_found.push_back(<int32_t>id)


cdef void _on_field_literal(void* ctx, unsigned int id) noexcept:
    """A literal found in the value of field ``cur_field`` (field mode)."""
    cdef CandidateIndex index = <CandidateIndex>ctx
    if <int>id >= index.nliterals:
        index.wide = True
    else:
        index._count_pair(<Py_ssize_t>index.cur_field * index.nliterals + <int>id)


cdef inline unsigned char _lower(unsigned char c) noexcept nogil:
    return c + 32 if 65 <= c <= 90 else c


cdef inline int _hex(unsigned char c) noexcept nogil:
    """The value of a hex digit, or -1."""
    if 48 <= c <= 57:
        return c - 48
    c |= 32
    return c - 87 if 97 <= c <= 102 else -1


cdef class CandidateIndex:
    """``CandidateIndex(literals, rules)``: ``literals`` non-empty ``bytes``;
    ``rules[r]`` the groups of rule ``r``, each a list of indexes into
    ``literals``.  ``candidates(lines)`` gives, for each rule, the indexes
    of the lines (``str`` or ``bytes``) it is a candidate for, ascending."""

    cdef int nrules, nclasses
    cdef unsigned char classes[256]
    cdef vector[int32_t] delta  # state * nclasses + class -> state
    # The scan's view of delta: at state * nclasses + class, the next
    # state's row (its number times nclasses) shifted left once, and in the
    # low bit whether literals end there (one load per byte).
    cdef vector[int32_t] step
    cdef vector[int32_t] out_start  # per state: its matches in outs
    cdef vector[int32_t] outs  # literal ids (-1: a widening spelling)
    cdef vector[int32_t] pair_start  # per literal: its groups in pairs
    cdef vector[int32_t] lit_groups  # group ids
    cdef vector[int32_t] group_rule
    cdef vector[int32_t] rule_groups  # groups per rule
    cdef list always  # rules without groups
    cdef int _states
    # Per-line marks, stamped with the line's number in the current call.
    cdef vector[int32_t] lit_seen, group_seen, rule_seen, rule_count
    cdef vector[int] hits  # rules the current line satisfies
    cdef vector[int] always_rules  # rules without groups (``always``)
    cdef int32_t stamp
    cdef readonly int nliterals  # the literals; ids from here on are widening spellings
    cdef vector[int32_t]* counting  # literal_counts: count literals, not groups
    # Typed scanners: the type field's JSON key (without "#"; empty: none),
    # folded type value -> index into typed_ifaces, and the index for lines
    # without the field or of a type no rule names (-1: every literal).
    cdef string type_name
    cdef size_t key_anchor[2]  # two offsets of rare bytes in it (``_anchors``)
    # (the folded type values and their scanners: a few dozen at most, looked
    # through by length and bytes, which costs less than hashing a string)
    cdef vector[string] typed_names
    cdef vector[int] typed_which
    cdef vector[cm_literal_scanner*] typed_ifaces
    cdef list typed_scanners
    # Per typed scanner, the rules its lines may be candidates for (None:
    # every rule) and its own literal -> groups tables, holding the groups
    # of those rules only (empty when None: the shared tables serve).
    cdef list typed_admitted
    # Per typed scanner, whether it reads only the values of some keys (its
    # rules' literals all name one of them: ``use_typed_scanners``), and
    # those keys (their texts kept alive in typed_key_texts).
    cdef vector[char] typed_scoped
    cdef vector[vector[cm_scope_key]] typed_keys
    cdef list typed_key_texts
    cdef cm_literal_scanner* scope_iface  # the scanner of the line being read by keys
    cdef const unsigned char* scope_line
    cdef vector[vector[int32_t]] typed_pair_start, typed_lit_groups
    # Kept lines (``scan_block``) and their rules, in order, until ``pairs``
    # meets them again: the line's bytes in kept_bytes from kept_at[k]
    # (kept_at[k + 1] its end), its rules in kept_rules from kept_first[k].
    cdef vector[char] kept_bytes
    cdef vector[Py_ssize_t] kept_at
    cdef vector[int32_t] kept_rules, kept_first
    cdef vector[int32_t] kept_mode  # per kept line: its field-mode scanner, or -1
    cdef Py_ssize_t kept_head
    # The literal -> groups tables of the line being scanned.
    cdef const int32_t* cur_pair_start
    cdef const int32_t* cur_lit_groups
    cdef int untyped
    cdef readonly list scan_patterns  # the literals, then the widening spellings
    cdef object scanner  # a LiteralScanner, or None: the automaton
    cdef cm_literal_scanner* iface
    cdef vector[unsigned char] unescaped  # a line with escapes, read as characters
    cdef bint wide  # the scanner's line holds a widening spelling
    cdef bint built  # the automaton (delta, step, outs) is made
    # Field mode (``use_field_mode``), per typed scanner: whether its lines
    # are kept unscanned and their candidates found in their decoded
    # fields; the fields' names (and, for "#name", "name"); per (field,
    # literal) pair (field * nliterals + literal) the groups it satisfies;
    # per field, all its groups (a value that cannot be read); and the
    # groups satisfied on every line (literals of no readable field).
    cdef vector[char] fm_on
    cdef list fm_keys, fm_bare
    cdef object fm_raw  # the scanner of the free-text literals, over the raw line (or None)
    # What the scans of field values found (``valuememo.h``), and the ids
    # the current value's scan reports.
    cdef cqm_value_memo memo
    cdef vector[int32_t] value_found
    # Per field-mode scanner: the position of the free-text field in its
    # keys (-1: none), and the rules with free-text literals, each with the
    # groups (no free-text literal in them) its line must hold before the
    # raw line is worth scanning: rule fm_lazy_rule[k][i] needs the groups
    # fm_lazy_groups[k][fm_lazy_start[k][i]:fm_lazy_start[k][i + 1]].
    cdef vector[int] fm_raw_at
    cdef vector[vector[int32_t]] fm_lazy_rule, fm_lazy_start, fm_lazy_groups
    cdef bint fm_eager  # scan the raw line whatever the fields held (``group_counts``)
    cdef cm_literal_scanner* fm_raw_iface
    cdef vector[vector[int32_t]] fm_pair_start, fm_lit_groups
    cdef vector[vector[int32_t]] fm_field_start, fm_field_groups, fm_always
    cdef vector[int32_t] pair_seen
    cdef vector[int32_t] rule_first  # per rule: the id of its first group
    cdef readonly list chosen  # the groups ``choose`` was given
    cdef int cur_field  # the field being scanned (field mode)
    cdef dict cur_fields  # the decoded fields of the line ``pairs`` reads (None: none)
    # Or its row of decoded columns (``pairs`` given columns; -1: none), and
    # per field-mode scanner and field, the column holding it (-1: none).
    cdef tuple cur_columns
    cdef Py_ssize_t cur_row
    cdef vector[vector[int]] fm_cols
    cdef bint defer  # the shared prefilter: keep field-mode lines unscanned
    cdef int deferred  # the field-mode scanner of the line just kept unscanned (-1: none)

    def __init__(self, list literals not None, list rules not None):
        patterns = [bytes(x).lower() for x in literals]
        if any(type(x) is not bytes or not x for x in literals):
            raise TypeError("literals must be non-empty bytes")
        self.nliterals = len(patterns)
        self.nrules = len(rules)
        self.scan_patterns = patterns + [w.lower() for w in _WIDENING]
        self.scanner = None
        self.typed_scanners = []
        self.typed_admitted = []
        self.untyped = -1
        self.fm_keys = []
        self.fm_bare = []
        self.cur_fields = None
        self.cur_row = -1
        self.defer = False
        self.deferred = -1
        self._forget()
        self.built = False  # the automaton is built when first needed (not with a scanner)
        self.choose(rules)

    def choose(self, list rules not None):
        """Look for other groups of the same literals from now on:
        ``rules[r]`` as in the constructor (as many rules).  The automaton
        stays; only what each literal counts towards changes."""
        cdef int lit, g, r, ngroups = 0
        if len(rules) != self.nrules:
            raise ValueError(f"{len(rules)} rules for an index of {self.nrules}")
        self.always = []
        self.always_rules.clear()
        self.rule_first.clear()
        self.chosen = list(rules)
        self._no_field_mode()
        self.rule_groups.clear()
        self.group_rule.clear()
        self.pair_start.clear()
        self.lit_groups.clear()
        per_literal: list[list[int]] = [[] for _ in range(self.nliterals)]
        for r, groups in enumerate(rules):
            self.rule_first.push_back(ngroups)
            self.rule_groups.push_back(len(groups))
            if not groups:
                self.always.append(r)
                self.always_rules.push_back(r)
            for group in groups:
                if not group:
                    raise ValueError(f"rule {r} has an empty group")
                for lit in set(group):
                    if not 0 <= lit < self.nliterals:
                        raise ValueError(f"rule {r} names literal {lit} of {self.nliterals}")
                    per_literal[lit].append(ngroups)
                self.group_rule.push_back(r)
                ngroups += 1
        for lit in range(self.nliterals):
            self.pair_start.push_back(self.lit_groups.size())
            for g in per_literal[lit]:
                self.lit_groups.push_back(g)
        self.pair_start.push_back(self.lit_groups.size())
        self._typed_tables()
        self._forget()
        self._reset()

    cdef void _forget(self) noexcept:
        """Drop the kept lines ``scan_block`` remembered."""
        self.kept_bytes.clear()
        self.kept_at.clear()
        self.kept_at.push_back(0)
        self.kept_rules.clear()
        self.kept_first.clear()
        self.kept_first.push_back(0)
        self.kept_mode.clear()
        self.kept_head = 0

    cdef void _compact(self) noexcept:
        """Drop the kept lines ``pairs`` has gone past (or all of them when
        too many wait: then ``pairs`` scans them again)."""
        cdef Py_ssize_t head = self.kept_head, n = self.kept_at.size() - 1, k
        cdef Py_ssize_t byte0, rule0
        if head == 0 and n < KEPT_MOST:
            return
        if head >= n or n - head >= KEPT_MOST:
            self._forget()
            return
        byte0 = self.kept_at[head]
        rule0 = self.kept_first[head]
        self.kept_bytes.erase(self.kept_bytes.begin(), self.kept_bytes.begin() + byte0)
        self.kept_rules.erase(self.kept_rules.begin(), self.kept_rules.begin() + rule0)
        for k in range(head, n + 1):
            self.kept_at[k - head] = self.kept_at[k] - byte0
            self.kept_first[k - head] = self.kept_first[k] - rule0
        self.kept_mode.erase(self.kept_mode.begin(), self.kept_mode.begin() + head)
        self.kept_at.resize(n - head + 1)
        self.kept_first.resize(n - head + 1)
        self.kept_head = 0

    cdef void _keep(self, const unsigned char* data, Py_ssize_t size, int mode) noexcept:
        """Remember a kept line and its rules (``hits``) for ``pairs``, or,
        ``mode`` >= 0, that its rules come from its fields by that scanner's
        tables (field mode)."""
        cdef Py_ssize_t at = self.kept_bytes.size()
        cdef size_t k
        if at + size > KEPT_BYTES_MOST:
            return  # (``pairs`` scans it again)
        self.kept_bytes.resize(at + size)
        if size:
            memcpy(&self.kept_bytes[at], data, size)
        self.kept_at.push_back(at + size)
        for k in range(self.hits.size()):
            self.kept_rules.push_back(self.hits[k])
        self.kept_first.push_back(self.kept_rules.size())
        self.kept_mode.push_back(mode)

    cdef int _kept_rules(self, const unsigned char* data, Py_ssize_t size) noexcept:
        """``hits`` from a line ``scan_block`` kept, when ``data`` is one of
        the next few it remembered (those before it are dropped: lines the
        reader found malformed): -1, or the line's field-mode scanner when
        it was kept unscanned (``hits`` then empty); -2 when it is not."""
        cdef Py_ssize_t n = self.kept_at.size() - 1, k, at, last
        cdef int32_t p
        last = min(n, self.kept_head + KEPT_LOOKAHEAD)
        for k in range(self.kept_head, last):
            at = self.kept_at[k]
            if self.kept_at[k + 1] - at == size and (
                size == 0 or memcmp(&self.kept_bytes[at], data, size) == 0
            ):
                self.hits.clear()
                for p in range(self.kept_first[k], self.kept_first[k + 1]):
                    self.hits.push_back(self.kept_rules[p])
                self.kept_head = k + 1
                return self.kept_mode[k]
        return -2

    cdef void _typed_tables(self):
        """Each typed scanner's own literal -> groups tables, from the shared
        ones, keeping the groups of the rules its lines may be candidates for."""
        cdef int k, lit, g
        cdef Py_ssize_t p
        cdef vector[char] mark
        self.typed_pair_start.clear()
        self.typed_lit_groups.clear()
        self.typed_pair_start.resize(len(self.typed_admitted))
        self.typed_lit_groups.resize(len(self.typed_admitted))
        for k, admitted in enumerate(self.typed_admitted):
            if admitted is None:
                continue
            mark.assign(self.nrules, 0)
            for r in admitted:
                mark[<int>r] = 1
            for lit in range(self.nliterals):
                self.typed_pair_start[k].push_back(self.typed_lit_groups[k].size())
                for p in range(self.pair_start[lit], self.pair_start[lit + 1]):
                    g = self.lit_groups[p]
                    if mark[self.group_rule[g]]:
                        self.typed_lit_groups[k].push_back(g)
            self.typed_pair_start[k].push_back(self.typed_lit_groups[k].size())

    def literal_counts(self, list lines not None) -> list:
        """For each literal, how many of ``lines`` hold it (as the scan reads
        them: escapes as their characters, case ignored)."""
        self._ready()
        cdef Py_ssize_t i, size
        cdef const unsigned char* data
        cdef int lit
        cdef vector[int32_t] counts
        counts.assign(self.nliterals, 0)
        self.counting = &counts
        try:
            for i in range(len(lines)):
                data = _data_of(lines[i], &size)
                self._scan_line(data, size)
        finally:
            self.counting = NULL
        return [counts[lit] for lit in range(self.nliterals)]

    cdef int _ready(self) except -1:
        """Build the automaton if the scan needs it (no scanner) and it is not built."""
        if self.iface == NULL and not self.built:
            self._build(self.scan_patterns, self.nliterals)
            self.built = True
        return 0

    cdef _build(self, list patterns, int nliterals):
        """The automaton over ``patterns`` (lower case); pattern ids from
        ``nliterals`` on are widening spellings (output -1)."""
        cdef int c, s, t, f, nclasses = 1, state, k
        cdef unsigned char b
        for c in range(256):
            self.classes[c] = 0
        for pattern in patterns:
            for b in pattern:
                if self.classes[b] == 0:
                    self.classes[b] = nclasses
                    nclasses += 1
        for c in range(65, 91):  # input is compared in lower case
            self.classes[c] = self.classes[c + 32]
        self.nclasses = nclasses
        own: list[list[int]] = [[]]
        self.delta.assign(nclasses, -1)
        for k, pattern in enumerate(patterns):
            state = 0
            for b in pattern:
                c = self.classes[b]
                t = self.delta[state * nclasses + c]
                if t < 0:
                    t = len(own)
                    own.append([])
                    self.delta.resize((t + 1) * nclasses, -1)
                    self.delta[state * nclasses + c] = t
                state = t
            own[state].append(k if k < nliterals else -1)
        self._states = len(own)
        # Breadth first: failure links, missing transitions from the failure
        # state's, and each state's matches with those of its failure state.
        fail = [0] * self._states
        matches: list = [None] * self._states
        matches[0] = own[0]
        queue = []
        for c in range(nclasses):
            t = self.delta[c]
            if t < 0:
                self.delta[c] = 0
            else:
                fail[t] = 0
                queue.append(t)
        head = 0
        while head < len(queue):
            s = queue[head]
            head += 1
            matches[s] = own[s] + matches[fail[s]]
            for c in range(nclasses):
                t = self.delta[s * nclasses + c]
                f = self.delta[fail[s] * nclasses + c]
                if t < 0:
                    self.delta[s * nclasses + c] = f
                else:
                    fail[t] = f
                    queue.append(t)
        for s in range(self._states):
            self.out_start.push_back(self.outs.size())
            for k in sorted(set(matches[s])):
                self.outs.push_back(k)
        self.out_start.push_back(self.outs.size())
        if <long long>self._states * nclasses * 2 >= 0x7FFFFFFF:
            raise ValueError("too many literals for one candidate index")
        self.step.resize(self.delta.size())
        for k in range(<int>self.delta.size()):
            t = self.delta[k]
            self.step[k] = ((t * nclasses) << 1) | (self.out_start[t] != self.out_start[t + 1])

    cdef void _reset(self) noexcept:
        """Fresh per-line marks (stamps restart at 0)."""
        cdef size_t most = 0, k
        self.lit_seen.assign(self.pair_start.size(), -1)
        for k in range(self.fm_pair_start.size()):
            most = max(most, self.fm_pair_start[k].size())
        self.pair_seen.assign(most, -1)
        self.group_seen.assign(self.group_rule.size(), -1)
        self.rule_seen.assign(self.nrules, -1)
        self.rule_count.assign(self.nrules, 0)
        self.stamp = 0

    cdef bint _scan_line(self, const unsigned char* data, Py_ssize_t size) noexcept:
        """One line: ``hits`` gets the rules all of whose groups it holds;
        True when it holds a widening spelling (then every rule with groups
        is a candidate too)."""
        cdef Py_ssize_t j = 0
        cdef int nclasses = self.nclasses
        cdef int32_t row = 0, next_row
        cdef const int32_t* step = self.step.data()
        cdef const unsigned char* classes = self.classes
        cdef unsigned char b
        cdef bint wide = False
        self._begin_line()
        if self.iface != NULL:
            return self._scan_with(data, size)
        while j < size:
            b = data[j]
            j += 1
            if b == 92 and j < size:  # a backslash: read an escape as its character
                b = data[j]
                if b == 47:  # \/
                    j += 1
                elif (b == 117 and j + 4 < size and data[j + 1] == 48 and data[j + 2] == 48
                      and _hex(data[j + 3]) >= 0 and _hex(data[j + 4]) >= 0):
                    b = <unsigned char>(_hex(data[j + 3]) * 16 + _hex(data[j + 4]))
                    j += 5
                else:  # any other escape: its two bytes as they are
                    next_row = step[row + classes[92]]
                    row = next_row >> 1
                    if next_row & 1:
                        wide = self._found(row // nclasses) or wide
                    j += 1
            next_row = step[row + classes[b]]
            row = next_row >> 1
            if next_row & 1:
                wide = self._found(row // nclasses) or wide
        return wide

    cdef void _begin_line(self) noexcept:
        """A fresh stamp, no hits, the shared tables."""
        if self.stamp >= 0x7FFFFFF0:
            self._reset()
        self.stamp += 1
        self.hits.clear()
        self.cur_pair_start = self.pair_start.data()
        self.cur_lit_groups = self.lit_groups.data()

    cdef bint _scan_with(self, const unsigned char* data, Py_ssize_t size) noexcept:
        """``_scan_line`` by the scanner: over the line, or over a copy with
        its ``\\u00XX`` and ``\\/`` escapes read as characters when it has any."""
        cdef Py_ssize_t j = 0, k, o
        cdef const unsigned char* p
        cdef unsigned char* out
        cdef unsigned char b
        cdef cm_literal_scanner* iface = self.iface
        cdef int typed
        cdef const char* name = self.type_name.c_str()
        cdef size_t nlen = self.type_name.size()
        cdef int escapes = _escapes(data, size, name, nlen)
        if nlen:
            typed = -1 if escapes & KEY_HIDDEN else self._typed_scanner(data, size)
            if typed >= 0 and self.fm_on.size() and self.fm_on[typed]:
                if self.cur_fields is not None:
                    return self._scan_fields(typed, self.cur_fields, data, size)
                if self.cur_row >= 0:
                    return self._scan_fields(typed, None, data, size)
                if self.defer:
                    self.deferred = typed
                    return False
            if typed >= 0:
                iface = self.typed_ifaces[typed]
                if self.typed_admitted[typed] is not None:
                    self.cur_pair_start = self.typed_pair_start[typed].data()
                    self.cur_lit_groups = self.typed_lit_groups[typed].data()
                if self.typed_scoped[typed] and not escapes & ESCAPED:
                    self.wide = False
                    self.scope_iface = iface
                    self.scope_line = data
                    if cm_scope_values(data, size, self.typed_keys[typed].data(),
                                       self.typed_keys[typed].size(), _on_scoped_value,
                                       <void*>self) == 0:
                        return self.wide
                    # (a value that is not a string: the whole line; what
                    # its values held is counted once)
        if escapes & ESCAPED:
            data = self._unescape(data, &size)
        self.wide = False
        if iface.scan(iface.handle, <const char*>data, size, _on_literal, <void*>self):
            return True  # (cannot happen) a failed scan keeps the line: never lose one
        return self.wide

    cdef const unsigned char* _unescape(self, const unsigned char* data,
                                        Py_ssize_t* size_io) noexcept:
        """A copy of the line (in ``unescaped``) with its ``\\u00XX`` and
        ``\\/`` escapes read as characters: runs between backslashes copied
        whole, any other escape kept as its two bytes."""
        cdef Py_ssize_t size = size_io[0], j = 0, k, o = 0
        cdef const unsigned char* p
        cdef unsigned char* out
        cdef unsigned char b
        self.unescaped.resize(size)  # (never longer than the line)
        out = self.unescaped.data()
        while j < size:
            p = <const unsigned char*>memchr(data + j, 92, size - j)
            k = size if p == NULL else p - data
            memcpy(out + o, data + j, k - j)
            o += k - j
            if p == NULL:
                break
            j = k + 1
            if j >= size:
                out[o] = 92
                o += 1
                break
            b = data[j]
            if b == 47:
                out[o] = 47
                o += 1
                j += 1
            elif (b == 117 and j + 4 < size and data[j + 1] == 48 and data[j + 2] == 48
                  and _hex(data[j + 3]) >= 0 and _hex(data[j + 4]) >= 0):
                out[o] = <unsigned char>(_hex(data[j + 3]) * 16 + _hex(data[j + 4]))
                o += 1
                j += 5
            else:
                out[o] = 92
                out[o + 1] = b
                o += 2
                j += 1
        size_io[0] = o
        return out

    cdef int _typed_scanner(self, const unsigned char* data, Py_ssize_t size) noexcept:
        """The typed scanner for the line's type (see the module docstring):
        -1, the scanner of every literal, when the type cannot be read safely
        (the caller has checked that no escape spells a character of the key,
        ``_escapes``)."""
        cdef const char* name = self.type_name.c_str()
        cdef size_t nlen = self.type_name.size()
        cdef Py_ssize_t j = 0, at, k, start, first = -1, length = 0, i
        cdef const unsigned char* p
        cdef unsigned char folded[64]
        while j < size:
            p = cm_keyfind(data + j, size - j, <const unsigned char*>name, nlen,
                           self.key_anchor[0], self.key_anchor[1])
            if p == NULL:
                break
            at = p - data
            j = at + 1
            k = at + <Py_ssize_t>nlen
            if k >= size or data[k] != 34 or at < 1:
                continue  # not followed by the closing quote: not this key
            if data[at - 1] == 35:  # "#name"
                if at < 2 or data[at - 2] != 34:
                    continue
            elif data[at - 1] != 34:
                continue
            k += 1
            while k < size and (data[k] == 32 or data[k] == 9 or data[k] == 13):
                k += 1
            if k >= size or data[k] != 58:  # ':'
                return -1
            k += 1
            while k < size and (data[k] == 32 or data[k] == 9 or data[k] == 13):
                k += 1
            if k >= size or data[k] != 34:
                return -1  # not a string value
            k += 1
            start = k
            while k < size and data[k] != 34:
                if data[k] == 92 or data[k] >= 128:
                    return -1  # an escape or a non-ASCII character
                k += 1
            if k >= size or k - start > 64:
                return -1
            if first < 0:
                first = start
                length = k - start
            elif k - start != length:
                return -1  # two values: which one is the type's is not read here
            else:
                for i in range(length):
                    if _lower(data[first + i]) != _lower(data[start + i]):
                        return -1
        if first < 0:
            return self.untyped
        for i in range(length):
            folded[i] = _lower(data[first + i])
        for i in range(<Py_ssize_t>self.typed_names.size()):
            if <Py_ssize_t>self.typed_names[i].size() == length and (
                length == 0 or memcmp(self.typed_names[i].data(), folded, length) == 0
            ):
                return self.typed_which[i]
        return self.untyped

    def use_typed_scanners(self, str name, dict by_type not None, list scanners not None,
                           int untyped=-1, list admitted=None, list scopes=None):
        """Scan a line of type ``t`` (the folded value of its field ``name``,
        or ``#name``) with ``scanners[by_type[t]]``, a line without the
        field or of another type with ``scanners[untyped]`` (-1: the scanner
        of every literal), and a line whose type cannot be read safely with
        the scanner of every literal (``use_scanner``, which must be set).
        Each scanner must look for every literal of the rules its lines'
        routes admit, and for the widening spellings.  ``admitted[k]``: the
        rules the lines scanner ``k`` reads may be candidates for (those
        their routes admit), or None for every rule (the default).
        ``scopes[k]``: the fields (top-level keys; "#name" for either
        spelling; at most 8) whose values hold every literal of the rules
        scanner ``k``'s lines may be candidates for, or None: such a line
        is then read in those values only (``keyscope.h``), unless an
        escape may spell a key's character or a key's value is not a
        string.  ``name`` None or empty: no typed scanners."""
        cdef cm_literal_scanner* iface
        self._no_field_mode()
        self.type_name.clear()
        self.typed_names.clear()
        self.typed_which.clear()
        self.typed_ifaces.clear()
        self.typed_scanners = []
        self.typed_admitted = []
        self.typed_scoped.clear()
        self.typed_keys.clear()
        self.typed_key_texts = []
        self.untyped = -1
        self._typed_tables()
        self._forget()
        if not name:
            return
        if admitted is not None and len(admitted) != len(scanners):
            raise ValueError(f"{len(admitted)} admitted rule lists for {len(scanners)} scanners")
        if self.iface == NULL:
            raise ValueError("typed scanners need the scanner of every literal first")
        if not name.isascii() or not 0 <= untyped + 1 <= len(scanners):
            raise ValueError(f"bad typed scanners: {name!r}, untyped {untyped}")
        for scanner in scanners:
            if scanner.max_id >= len(self.scan_patterns):
                raise ValueError(
                    f"a scanner reporting id {scanner.max_id} for "
                    f"{len(self.scan_patterns)} patterns"
                )
            iface = <cm_literal_scanner*>PyCapsule_GetPointer(
                scanner.capsule, b"cqlmatch.literalscan"
            )
            self.typed_ifaces.push_back(iface)
        for key, which in by_type.items():
            if not 0 <= which < len(scanners):
                raise ValueError(f"type {key!r}: scanner {which} of {len(scanners)}")
            data = key.encode("ascii") if isinstance(key, str) else bytes(key)
            self.typed_names.push_back(string(<const char*>data, len(data)))
            self.typed_which.push_back(which)
        if admitted is not None:
            for rules in admitted:
                if rules is not None and not all(0 <= r < self.nrules for r in rules):
                    raise ValueError(f"admitted rules out of range: {rules!r}")
        if scopes is not None and len(scopes) != len(scanners):
            raise ValueError(f"{len(scopes)} scopes for {len(scanners)} scanners")
        self.typed_scanners = list(scanners)
        self.typed_admitted = (
            [None] * len(scanners) if admitted is None
            else [None if rules is None else list(rules) for rules in admitted]
        )
        self._typed_tables()
        self._scopes(scopes or [None] * len(scanners))
        self.untyped = untyped
        encoded = name.lstrip("#").encode("ascii")
        self.type_name = string(<const char*>encoded, len(encoded))
        self.key_anchor[0], self.key_anchor[1] = _anchors(encoded)

    cdef int _scopes(self, list scopes) except -1:
        """``typed_scoped`` and ``typed_keys`` from ``use_typed_scanners``'s ``scopes``."""
        cdef cm_scope_key key
        self.typed_scoped.assign(len(scopes), 0)
        self.typed_keys.resize(len(scopes))
        for k, names in enumerate(scopes):
            if names is None:
                continue
            if not 0 < len(names) <= 8:
                raise ValueError(f"scanner {k}: {len(names)} keys to scope to (1 to 8)")
            for field in names:
                text = field[1:] if field.startswith("#") else field
                if not text or not text.isascii() or '"' in text or "\\" in text:
                    raise ValueError(f"scanner {k}: cannot scope to the key {field!r}")
                data = text.encode("ascii")
                self.typed_key_texts.append(data)
                key.text = <const unsigned char*>PyBytes_AS_STRING(data)
                key.size = len(data)
                key.a, key.b = _anchors(data)
                key.tag = field.startswith("#")
                self.typed_keys[k].push_back(key)
            self.typed_scoped[k] = 1
        return 0

    cdef void _no_field_mode(self) noexcept:
        self.fm_on.clear()

        self.fm_raw = None
        self.fm_raw_iface = NULL
        self.fm_keys = []
        self.fm_bare = []
        self.fm_pair_start.clear()
        self.fm_lit_groups.clear()
        self.fm_field_start.clear()
        self.fm_field_groups.clear()
        self.fm_always.clear()
        self.fm_raw_at.clear()
        self.fm_lazy_rule.clear()
        self.fm_lazy_start.clear()
        self.fm_lazy_groups.clear()
        self.pair_seen.clear()
        self.memo.release()

    def use_field_mode(self, list scanners not None, list fields not None, raw=None):
        """Read the lines of the typed scanners ``scanners`` (indexes into
        those ``use_typed_scanners`` took) from their decoded fields: the
        shared prefilter keeps them unscanned, and ``pairs``, given their
        fields, looks for each literal in the values of the fields it names
        only, with the same scanner.  ``fields[r][g][l]``: the names of the
        fields literal ``l`` of group ``g`` of rule ``r`` (as ``choose``
        took them) names (None for a rule none of ``scanners`` admits);
        "" is free text, looked for in the raw line by
        ``raw`` (a scanner like ``use_scanner``'s of at least the free-text
        literals and the widening spellings; without it such a group holds
        on every line), and a name starting with "@" (a field read
        otherwise) makes the group hold on every line.  A literal found in
        another field than its own cannot keep the line: the rule's filter
        reads that field's value."""
        cdef int k, r, g, nlit = self.nliterals
        cdef Py_ssize_t j, p
        cdef vector[pair[int64_t, int32_t]] links, field_links
        cdef vector[int32_t] always
        cdef bint raw_group
        self._no_field_mode()
        self._forget()
        if not scanners:
            self._reset()
            return
        if raw is not None:
            if raw.max_id >= len(self.scan_patterns):
                raise ValueError(f"a scanner reporting id {raw.max_id} for "
                                 f"{len(self.scan_patterns)} patterns")
            self.fm_raw_iface = <cm_literal_scanner*>PyCapsule_GetPointer(
                raw.capsule, b"cqlmatch.literalscan"
            )
            self.fm_raw = raw
        if len(fields) != self.nrules:
            raise ValueError(f"field names for {len(fields)} rules of {self.nrules}")
        for r in range(self.nrules):
            groups = self.chosen[r]
            if fields[r] is None:
                continue  # (a rule no scanner of ``scanners`` admits)
            if len(fields[r]) != len(groups) or any(
                len(f) != len(grp) for f, grp in zip(fields[r], groups)
            ):
                raise ValueError(f"rule {r}: field names do not match its groups")
        count = len(self.typed_scanners)
        self.fm_on.assign(count, 0)
        self.fm_pair_start.resize(count)
        self.fm_lit_groups.resize(count)
        self.fm_field_start.resize(count)
        self.fm_field_groups.resize(count)
        self.fm_always.resize(count)
        self.fm_raw_at.assign(count, -1)
        self.fm_lazy_rule.resize(count)
        self.fm_lazy_start.resize(count)
        self.fm_lazy_groups.resize(count)
        self.fm_keys = [[] for _ in range(count)]
        self.fm_bare = [[] for _ in range(count)]

        for k in scanners:
            if not 0 <= k < count:
                raise ValueError(f"scanner {k} of {count}")
            admitted = self.typed_admitted[k]
            rules = range(self.nrules) if admitted is None else admitted
            number: dict = {}
            links.clear()  # (pair, group)
            field_links.clear()  # (field, group)
            always.clear()
            self.fm_lazy_start[k].push_back(0)
            for r in rules:
                if fields[r] is None:
                    raise ValueError(f"no field names for rule {r}, which scanner {k} admits")
                needed = []  # the rule's groups without a free-text literal
                for gi, group in enumerate(self.chosen[r]):
                    g = self.rule_first[r] + gi
                    raw_group = False
                    for lit, names in zip(group, fields[r][gi]):
                        for name in names:
                            if name.startswith("@") or (not name and raw is None):
                                always.push_back(g)
                                continue
                            name = name or None  # (None: the raw line)
                            raw_group = raw_group or name is None
                            j = number.setdefault(name, len(number))
                            links.push_back(pair[int64_t, int32_t](j * nlit + <int>lit, g))
                            field_links.push_back(pair[int64_t, int32_t](j, g))
                    if not raw_group:
                        needed.append(g)
                if len(needed) < len(self.chosen[r]):  # a free-text literal in some group
                    self.fm_lazy_rule[k].push_back(r)
                    for g in needed:
                        self.fm_lazy_groups[k].push_back(g)
                    self.fm_lazy_start[k].push_back(self.fm_lazy_groups[k].size())
            if None in number:
                self.fm_raw_at[k] = list(number).index(None)
            for name in number:
                self.fm_keys[k].append(name)
                self.fm_bare[k].append(name[1:] if name and name.startswith("#") else None)
            _table(links, len(number) * nlit, self.fm_pair_start[k], self.fm_lit_groups[k])
            _table(field_links, len(number), self.fm_field_start[k], self.fm_field_groups[k])
            sort(always.begin(), always.end())
            for p in range(<Py_ssize_t>always.size()):
                if p == 0 or always[p] != always[p - 1]:
                    self.fm_always[k].push_back(always[p])
            self.fm_on[k] = 1
        self._reset()

    def group_counts(self, int k, list lines not None, list fields not None) -> list:
        """Field mode, scanner ``k``: for each group (in ``choose``'s order),
        how many of the sample ``lines`` (with their decoded ``fields``,
        dicts) hold it as field mode reads them."""
        cdef Py_ssize_t i, size, g, ngroups = self.group_rule.size()
        cdef const unsigned char* data
        cdef vector[int32_t] counts
        if not 0 <= k < <int>self.fm_on.size() or not self.fm_on[k]:
            raise ValueError(f"scanner {k} is not in field mode")
        if len(lines) != len(fields):
            raise ValueError(f"{len(fields)} field sets for {len(lines)} lines")
        counts.assign(ngroups, 0)
        self.fm_eager = True
        try:
            for i in range(len(lines)):
                data = _data_of(lines[i], &size)
                self._begin_line()
                self._scan_fields(k, <dict?>fields[i], data, size)
                for g in range(ngroups):
                    if self.group_seen[g] == self.stamp:
                        counts[g] += 1
        finally:
            self.fm_eager = False
        return [counts[g] for g in range(ngroups)]

    @property
    def remembered(self) -> int:
        """How many field values the memo holds (field mode: ``valuememo.h``)."""
        return self.memo.entries()

    @property
    def field_mode(self) -> list:
        """The typed scanners in field mode, and the fields each reads."""
        return [(k, list(self.fm_keys[k])) for k in range(self.fm_on.size()) if self.fm_on[k]]

    @property
    def typed(self) -> int:
        """How many typed scanners are in use (0: none)."""
        return len(self.typed_scanners)

    cdef void _line_rules(self, const unsigned char* data, Py_ssize_t size) noexcept:
        """``hits``: every rule the line is a candidate for (all of whose
        groups it holds; every rule with groups when it holds a widening
        spelling; every rule without groups)."""
        self._finish_rules(self._scan_line(data, size))

    cdef void _finish_rules(self, bint wide) noexcept:
        """``hits`` after a line's scan: with every rule with groups when it
        held a widening spelling (``wide``), and the rules without groups."""
        cdef int r
        cdef size_t k
        if wide:
            for r in range(self.nrules):
                if self.rule_groups[r] and not (
                    self.rule_seen[r] == self.stamp and self.rule_count[r] == self.rule_groups[r]
                ):
                    self.hits.push_back(r)
        for k in range(self.always_rules.size()):
            self.hits.push_back(self.always_rules[k])

    cdef bint _found(self, int state) noexcept:
        """Count the groups the literals ending at ``state`` satisfy."""
        cdef int k
        cdef bint wide = False
        for k in range(self.out_start[state], self.out_start[state + 1]):
            wide = self._count(self.outs[k]) or wide
        return wide

    cdef bint _count(self, int lit) noexcept:
        """Count the groups literal ``lit`` satisfies on the current line;
        True for a widening spelling (-1, or an id past the literals)."""
        cdef Py_ssize_t p
        cdef int32_t stamp = self.stamp
        if lit < 0 or lit >= self.nliterals:
            return True
        if self.lit_seen[lit] == stamp:
            return False
        self.lit_seen[lit] = stamp
        if self.counting != NULL:
            self.counting[0][lit] += 1
            return False
        for p in range(self.cur_pair_start[lit], self.cur_pair_start[lit + 1]):
            self._count_group(self.cur_lit_groups[p])
        return False

    cdef void _count_pair(self, Py_ssize_t pair) noexcept:
        """Field mode: count the groups a (field, literal) pair satisfies."""
        cdef Py_ssize_t p
        if self.pair_seen[pair] == self.stamp:
            return
        self.pair_seen[pair] = self.stamp
        for p in range(self.cur_pair_start[pair], self.cur_pair_start[pair + 1]):
            self._count_group(self.cur_lit_groups[p])

    cdef inline void _count_group(self, int g) noexcept:
        """Group ``g`` holds on the current line (once per line)."""
        cdef int r
        cdef int32_t stamp = self.stamp
        if self.group_seen[g] == stamp:
            return
        self.group_seen[g] = stamp
        r = self.group_rule[g]
        if self.rule_seen[r] != stamp:
            self.rule_seen[r] = stamp
            self.rule_count[r] = 0
        self.rule_count[r] += 1
        if self.rule_count[r] == self.rule_groups[r]:
            self.hits.push_back(r)

    cdef bint _scan_fields(self, int k, dict fields, const unsigned char* line,
                           Py_ssize_t line_size) noexcept:
        """Field mode, scanner ``k``: count the groups the line's decoded
        ``fields`` satisfy, each literal looked for in the values of the
        fields it names only (``_scan_value``), then free text in the raw
        ``line`` by the scanner of the free-text literals (escapes read as
        characters), when a rule with such a literal may still be a
        candidate (``_raw_needed``); True when a value holds a widening
        spelling.  A field whose value cannot be read here (a ``#name``
        with neither spelling, a value that is not a string or not UTF-8)
        satisfies every group that names it.  ``fields`` None: the values
        are row ``cur_row`` of ``cur_columns`` (``fm_cols``: a field no
        column holds cannot be read)."""
        cdef cm_literal_scanner* iface = self.typed_ifaces[k]
        cdef list keys = <list>self.fm_keys[k]
        cdef list bare = <list>self.fm_bare[k]
        cdef Py_ssize_t j, p
        cdef int col, raw_at = self.fm_raw_at[k]
        cdef PyObject* value
        cdef const int32_t* fstart = self.fm_field_start[k].data()
        cdef const int32_t* fgroups = self.fm_field_groups[k].data()
        cdef bint wide = False
        self.cur_pair_start = self.fm_pair_start[k].data()
        self.cur_lit_groups = self.fm_lit_groups[k].data()
        for p in range(<Py_ssize_t>self.fm_always[k].size()):
            self._count_group(self.fm_always[k][p])
        for j in range(len(keys)):
            if j == raw_at:
                continue  # (free text: the raw line, last)
            if fields is None:
                col = self.fm_cols[k][j]
                value = NULL
                if col >= 0:
                    value = PyList_GET_ITEM(<object>PyTuple_GET_ITEM(self.cur_columns, col),
                                            self.cur_row)
                    if value == <PyObject*>None:
                        continue  # no such field (fallbacks applied): none of its literals
            else:
                value = PyDict_GetItem(fields, keys[j])
                if value == NULL:
                    if bare[j] is None:
                        continue  # no such field: none of its literals
                    value = PyDict_GetItem(fields, bare[j])
            if value == NULL or not PyUnicode_Check(value) or self._scan_value(iface, j, value) < 0:
                for p in range(fstart[j], fstart[j + 1]):
                    self._count_group(fgroups[p])
                continue
            wide = wide or self.wide
        if raw_at < 0 or wide or not (self.fm_eager or self._raw_needed(k)):
            return wide
        self.cur_field = raw_at
        if _escapes(line, line_size, NULL, 0) & ESCAPED:
            line = self._unescape(line, &line_size)
        self.wide = False
        if self.fm_raw_iface.scan(self.fm_raw_iface.handle, <const char*>line, line_size,
                                  _on_field_literal, <void*>self):
            return True  # (cannot happen) a failed scan keeps the line
        return self.wide

    cdef int _scan_value(self, cm_literal_scanner* iface, Py_ssize_t j, PyObject* value) noexcept:
        """Count the (field ``j``, literal) pairs of the literals ``iface``
        finds in ``value`` (a ``str``) of field ``j``, and set ``wide`` when
        it holds a widening spelling: from the memo when the value is
        remembered, else by a scan of its UTF-8 (remembered when the value
        was scanned before); -1 when it has no UTF-8 (a lone surrogate).
        The memo's key is the string's own buffer (with its kind): a value
        it holds needs no UTF-8."""
        cdef int kind = PyUnicode_KIND(value)
        cdef size_t raw_size = <size_t>PyUnicode_GET_LENGTH(value) * kind
        cdef const char* raw = <const char*>PyUnicode_DATA(value)
        cdef uint64_t hash, salt = (<uint64_t><size_t>iface) * 8 + <uint64_t>kind
        cdef long entry = self.memo.find(salt, raw, raw_size, &hash)
        cdef const int32_t* found
        cdef const char* data
        cdef Py_ssize_t size
        cdef size_t n, p
        cdef int32_t lit
        self.wide = False
        if entry < 0:
            data = _utf8_or_null(value, &size)
            if data == NULL:
                PyErr_Clear()
                return -1
            self.value_found.clear()
            if iface.scan(iface.handle, data, <size_t>size, _on_value_literal, <void*>self):
                self.wide = True  # (cannot happen) a failed scan keeps the line
                return 0
            sort(self.value_found.begin(), self.value_found.end())
            self.value_found.erase(unique(self.value_found.begin(), self.value_found.end()),
                                   self.value_found.end())
            if self.memo.admits(hash):
                self.memo.add(hash, salt, raw, raw_size, self.value_found.data(),
                              self.value_found.size())
            found = self.value_found.data()
            n = self.value_found.size()
        else:
            found = self.memo.ids_of(entry, &n)
        for p in range(n):
            lit = found[p]
            if lit >= self.nliterals:
                self.wide = True
            else:
                self._count_pair(j * self.nliterals + lit)
        return 0

    cdef bint _raw_needed(self, int k) noexcept:
        """Whether some rule with a free-text literal, not yet a candidate,
        holds every group of it that has none (field mode, scanner ``k``):
        only then can the raw line's free text make it one."""
        cdef Py_ssize_t i, p
        cdef int r
        cdef bint held
        cdef const int32_t* start = self.fm_lazy_start[k].data()
        cdef const int32_t* groups = self.fm_lazy_groups[k].data()
        for i in range(<Py_ssize_t>self.fm_lazy_rule[k].size()):
            r = self.fm_lazy_rule[k][i]
            if self.rule_seen[r] == self.stamp and self.rule_count[r] == self.rule_groups[r]:
                continue  # a candidate already
            held = True
            for p in range(start[i], start[i + 1]):
                if self.group_seen[groups[p]] != self.stamp:
                    held = False
                    break
            if held:
                return True
        return False

    def use_scanner(self, scanner) -> None:
        """Find the literals with ``scanner`` (a ``cqlmatch._hsscan.LiteralScanner``
        reporting ids into ``scan_patterns``, or anything with such a
        ``capsule`` and ``max_id``) instead of the automaton; None goes back
        to the automaton.  A scanner may look for only the literals the
        chosen groups name (``used_literals``) and the widening spellings."""
        cdef cm_literal_scanner* iface
        self._forget()
        if scanner is None:
            self.scanner = None
            self.iface = NULL
            return
        if scanner.max_id >= len(self.scan_patterns):
            raise ValueError(
                f"a scanner reporting id {scanner.max_id} for {len(self.scan_patterns)} patterns"
            )
        iface = <cm_literal_scanner*>PyCapsule_GetPointer(scanner.capsule, b"cqlmatch.literalscan")
        self.scanner = scanner
        self.iface = iface

    def used_literals(self) -> list:
        """The ids of the literals the current groups name, ascending, then
        those of the widening spellings."""
        cdef set used = set()
        cdef Py_ssize_t p
        for lit in range(self.nliterals):
            if self.pair_start[lit] != self.pair_start[lit + 1]:
                used.add(lit)
        return sorted(used) + list(range(self.nliterals, len(self.scan_patterns)))

    @property
    def states(self) -> int:
        """The automaton's states (it is built for this when not yet)."""
        if not self.built:
            self._build(self.scan_patterns, self.nliterals)
            self.built = True
        return self._states

    @property
    def scanner_name(self) -> str:
        """Which finds the literals: "automaton", or the scanner's class."""
        return "automaton" if self.scanner is None else type(self.scanner).__name__

    def candidates(self, list lines not None) -> list:
        """For each rule, the ascending indexes of the lines it is a candidate for."""
        return self.pairs(lines, range(self.nrules))[2]

    def pairs(self, list lines not None, wanted=None, list fields=None, tuple columns=None,
              tuple names=None, bytes block=None, bytes spans=None) -> tuple:
        """``(starts, rules, lists)``: for line ``i``, the rules it is a
        candidate for are ``rules[starts[i]:starts[i + 1]]`` (C int buffers;
        rules without groups included, in no particular order); ``lists[r]``
        the ascending indexes of the lines rule ``r`` is a candidate for,
        for each rule ``r`` that ``wanted`` (a sequence of rule numbers)
        names (the others' are empty tuples).  ``fields[i]``: the dict of
        fields decoded from line ``i``, which a line of a field-mode type
        is read from (``use_field_mode``); without it such a line is
        scanned whole.  Or ``columns`` (a list per field, one value or None
        per line: ``ingest.columns``, fallbacks applied) with their
        ``names``: a field no column holds cannot be read.  ``block`` and
        ``spans`` (native 64-bit start and end offsets, packed): the same
        lines as bytes, read from there (a line of ``str`` that is not
        ASCII is encoded again otherwise)."""
        self._ready()
        cdef Py_ssize_t n = len(lines), i, size, k
        cdef const unsigned char* data
        cdef const unsigned char* base = NULL
        cdef const uint64_t* at = NULL
        cdef int r, mode
        cdef object decoded
        cdef vector[int32_t] starts, rules
        cdef vector[char] want
        cdef list out = [()] * self.nrules
        want.assign(self.nrules, 0)
        if wanted is not None:
            for r in wanted:
                if not 0 <= r < self.nrules:
                    raise ValueError(f"rule {r} of {self.nrules}")
                want[r] = 1
                out[r] = []
        if fields is not None and len(fields) != n:
            raise ValueError(f"{len(fields)} field sets for {n} lines")
        if block is not None:
            if spans is None or len(spans) != n * 2 * sizeof(uint64_t):
                raise ValueError(f"a block needs the spans of its {n} lines")
            base = <const unsigned char*>PyBytes_AS_STRING(block)
            at = <const uint64_t*>PyBytes_AS_STRING(spans)
            for i in range(n):
                if not at[2 * i] <= at[2 * i + 1] <= <uint64_t>len(block):
                    raise ValueError(f"line {i}'s span is not in the block")
        if columns is not None:
            if fields is not None or names is None or len(names) != len(columns):
                raise ValueError("columns need their names, and no field dicts")
            for column in columns:
                if type(column) is not list or len(<list>column) != n:
                    raise ValueError(f"a column that is not a list of {n} values")
            self._column_map(names)
            self.cur_columns = columns
        for i in range(n):
            starts.push_back(rules.size())
            if at != NULL:
                data = base + at[2 * i]
                size = <Py_ssize_t>(at[2 * i + 1] - at[2 * i])
            else:
                data = _data_of(lines[i], &size)
            decoded = None if fields is None else fields[i]
            mode = self._kept_rules(data, size)
            if mode >= 0 and columns is not None:
                self._begin_line()
                self.cur_row = i
                try:
                    self._finish_rules(self._scan_fields(mode, None, data, size))
                finally:
                    self.cur_row = -1
            elif mode >= 0 and type(decoded) is dict:
                self._begin_line()
                self._finish_rules(self._scan_fields(mode, <dict>decoded, data, size))
            elif mode != -1:
                self.cur_fields = decoded if type(decoded) is dict else None
                self.cur_row = i if columns is not None else -1
                try:
                    self._line_rules(data, size)
                finally:
                    self.cur_fields = None
                    self.cur_row = -1
            for k in range(<Py_ssize_t>self.hits.size()):
                r = self.hits[k]
                rules.push_back(r)
                if want[r]:
                    (<list>out[r]).append(i)
        starts.push_back(rules.size())
        self.cur_columns = None
        return _int32s(starts), _int32s(rules), out

    cdef int _column_map(self, tuple names) except -1:
        """``fm_cols`` for columns named ``names``."""
        cdef Py_ssize_t k, j
        where = {name: col for col, name in enumerate(names)}
        self.fm_cols.resize(len(self.fm_keys))
        for k in range(len(self.fm_keys)):
            self.fm_cols[k].clear()
            for key in self.fm_keys[k]:
                self.fm_cols[k].push_back(where.get(key, -1) if key is not None else -1)
        return 0

    @property
    def always_admits(self) -> bool:
        """Whether some rule has no group (a candidate for every line)."""
        return bool(self.always)

    def admits(self, line) -> bool:
        """Whether some rule is a candidate for ``line`` (``bytes`` or ``str``)."""
        self._ready()
        cdef const unsigned char* data
        cdef Py_ssize_t size
        data = _data_of(line, &size)
        self.defer = True
        self.deferred = -1
        try:
            self._line_rules(data, size)
        finally:
            self.defer = False
        return self.deferred >= 0 or not self.hits.empty()

    def scan_block(self, bytes block not None, bint packed=False) -> tuple:
        """``(spans, lines)``: the ``(start, end)`` spans (LF excluded) of
        the lines of ``block`` (LF-separated) some rule is a candidate for,
        or that are not framed as one JSON object (so that decoding reports
        them), and the number of lines (LF count + 1).  ``packed``: the
        spans as bytes of native 64-bit offsets, start and end of each (as
        ``_scan.scan(..., packed=True)`` gives them)."""
        self._ready()
        cdef const unsigned char* data = <const unsigned char*>PyBytes_AS_STRING(block)
        cdef Py_ssize_t size = PyBytes_GET_SIZE(block), start = 0, end, lines = 0
        cdef const unsigned char* nl
        cdef vector[uint64_t] spans
        self._compact()
        self.defer = True
        try:
            while True:
                nl = <const unsigned char*>memchr(data + start, 10, size - start)
                end = size if nl == NULL else nl - data
                lines += 1
                if cm_unframed(data, start, end):
                    spans.push_back(start)
                    spans.push_back(end)
                else:
                    self.deferred = -1
                    self._line_rules(data + start, end - start)
                    if self.deferred >= 0 or not self.hits.empty():
                        spans.push_back(start)
                        spans.push_back(end)
                        if end == start or data[end - 1] != 13:  # (the reader drops a CR)
                            self._keep(data + start, end - start, self.deferred)
                if nl == NULL:
                    break
                start = end + 1
        finally:
            self.defer = False
        cdef Py_ssize_t k
        if packed:
            return PyBytes_FromStringAndSize(
                <const char*>spans.data(), spans.size() * sizeof(uint64_t)
            ), lines
        return [(<Py_ssize_t>spans[k], <Py_ssize_t>spans[k + 1])
                for k in range(0, <Py_ssize_t>spans.size(), 2)], lines


cdef void _table(vector[pair[int64_t, int32_t]]& links, Py_ssize_t n, vector[int32_t]& start,
                 vector[int32_t]& members) noexcept:
    """``start``/``members``: for each key below ``n``, its distinct values
    in ``links`` (key, value pairs), ascending."""
    cdef Py_ssize_t p = 0, key, m = links.size()
    sort(links.begin(), links.end())
    start.clear()
    members.clear()
    for key in range(n):
        start.push_back(members.size())
        while p < m and links[p].first == key:
            if members.size() == <size_t>start.back() or members.back() != links[p].second:
                members.push_back(links[p].second)
            p += 1
    start.push_back(members.size())


def _anchors(bytes key) -> tuple:
    """Two offsets ``a < b`` of bytes of ``key`` that text holds rarely (a
    search tests them first): "_", "#", capitals and digits before lower
    case letters, and these before anything else; ``(0, 0)`` for a key of
    one byte."""
    def rank(i):
        c = chr(key[i])
        if c in "_#" or c.isupper() or c.isdigit():
            return 0
        return 1 if c.islower() else 2
    if len(key) < 2:
        return 0, 0
    a, b = sorted(sorted(range(len(key)), key=lambda i: (rank(i), -i))[:2])
    return a, b


cdef int _escapes(const unsigned char* data, Py_ssize_t size, const char* name,
                  size_t nlen) noexcept nogil:
    """What the line's escapes mean for its scan, in one pass: ``ESCAPED``
    when it holds a ``\\u00`` or ``\\/`` escape, ``KEY_HIDDEN`` when a
    ``\\u00XX`` escape spells a character of the key ``name`` (of length
    ``nlen``; 0: none), of ``#`` or of a quote: such a line may spell the
    key where a search for it does not look.  (A backslash another one
    escapes starts no escape: ``escapefind.h``.)"""
    cdef size_t j = 0, n = <size_t>size, i
    cdef int c, found = 0
    while True:
        j = cm_next_escape(data, n, j)
        if j >= n:
            break
        if data[j + 1] == 47:  # \/
            found |= ESCAPED
        elif j + 3 < n and data[j + 2] == 48 and data[j + 3] == 48:  # \u00
            found |= ESCAPED
            if nlen and j + 5 < n and _hex(data[j + 4]) >= 0 and _hex(data[j + 5]) >= 0:
                c = _hex(data[j + 4]) * 16 + _hex(data[j + 5])
                if c == 35 or c == 34:
                    found |= KEY_HIDDEN
                else:
                    for i in range(nlen):
                        if <unsigned char>name[i] == c:
                            found |= KEY_HIDDEN
                            break
        if found == ESCAPED | KEY_HIDDEN or (found and not nlen):
            break
        j += 2
    return found


cdef inline const unsigned char* _data_of(object line, Py_ssize_t* size) except NULL:
    """The bytes of a line given as ``bytes`` or ``str`` (as UTF-8)."""
    if type(line) is bytes:
        size[0] = PyBytes_GET_SIZE(line)
        return <const unsigned char*>PyBytes_AS_STRING(line)
    return <const unsigned char*>PyUnicode_AsUTF8AndSize(line, size)


cdef object _int32s(const vector[int32_t]& values):
    """``values`` as a read-only buffer of C ints (``memoryview`` format "i")."""
    return memoryview(
        PyBytes_FromStringAndSize(<const char*>values.data(), values.size() * sizeof(int32_t))
    ).cast("i")

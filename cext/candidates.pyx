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

Some spellings let a decoded value hold a literal's character that the
raw line does not show as itself: a JSON escape ``\\u00XX`` or ``\\/``,
and the two characters ``(?i)`` folds onto ``k`` and ``s`` (U+212A, U+017F,
raw or escaped).  A line holding any of them is a candidate for every rule.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport int32_t
from libcpp.vector cimport vector


cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object o, Py_ssize_t* size) except NULL


#: Spellings that make a line a candidate for every rule (see above).
_WIDENING = (b"\\u00", b"\\/", b"\\u212", b"\\u017", b"\xe2\x84\xaa", b"\xc5\xbf")


cdef inline unsigned char _lower(unsigned char c) noexcept nogil:
    return c + 32 if 65 <= c <= 90 else c


cdef class CandidateIndex:
    """``CandidateIndex(literals, rules)``: ``literals`` non-empty ``bytes``;
    ``rules[r]`` the groups of rule ``r``, each a list of indexes into
    ``literals``.  ``candidates(lines)`` gives, for each rule, the indexes
    of the lines (``str`` or ``bytes``) it is a candidate for, ascending."""

    cdef int nrules, nclasses
    cdef unsigned char classes[256]
    cdef vector[int32_t] delta  # state * nclasses + class -> state
    cdef vector[int32_t] out_start  # per state: its matches in outs
    cdef vector[int32_t] outs  # literal ids (-1: a widening spelling)
    cdef vector[int32_t] pair_start  # per literal: its groups in pairs
    cdef vector[int32_t] pairs  # group ids
    cdef vector[int32_t] group_rule
    cdef vector[int32_t] rule_groups  # groups per rule
    cdef list always  # rules without groups
    cdef readonly int states

    def __init__(self, list literals not None, list rules not None):
        cdef int lit, g, r, ngroups = 0
        patterns = [bytes(x).lower() for x in literals]
        if any(type(x) is not bytes or not x for x in literals):
            raise TypeError("literals must be non-empty bytes")
        self.nrules = len(rules)
        self.always = []
        per_literal: list[list[int]] = [[] for _ in patterns]
        for r, groups in enumerate(rules):
            self.rule_groups.push_back(len(groups))
            if not groups:
                self.always.append(r)
            for group in groups:
                if not group:
                    raise ValueError(f"rule {r} has an empty group")
                for lit in set(group):
                    per_literal[lit].append(ngroups)
                self.group_rule.push_back(r)
                ngroups += 1
        for lit in range(len(patterns)):
            self.pair_start.push_back(self.pairs.size())
            for g in per_literal[lit]:
                self.pairs.push_back(g)
        self.pair_start.push_back(self.pairs.size())
        self._build(patterns + [w.lower() for w in _WIDENING], len(patterns))

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
        self.states = len(own)
        # Breadth first: failure links, missing transitions from the failure
        # state's, and each state's matches with those of its failure state.
        fail = [0] * self.states
        matches: list = [None] * self.states
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
        for s in range(self.states):
            self.out_start.push_back(self.outs.size())
            for k in sorted(set(matches[s])):
                self.outs.push_back(k)
        self.out_start.push_back(self.outs.size())

    def candidates(self, list lines not None) -> list:
        """For each rule, the ascending indexes of the lines it is a candidate for."""
        cdef Py_ssize_t n = len(lines), i, j, size, p
        cdef const unsigned char* data
        cdef int state, k, lit, g, r, nclasses = self.nclasses
        cdef int32_t stamp
        cdef vector[int32_t] lit_seen, group_seen, rule_seen, rule_count
        cdef bint wide
        cdef list out = [[] for _ in range(self.nrules)]
        lit_seen.assign(self.pair_start.size(), -1)
        group_seen.assign(self.group_rule.size(), -1)
        rule_seen.assign(self.nrules, -1)
        rule_count.assign(self.nrules, 0)
        for i in range(n):
            line = lines[i]
            if type(line) is bytes:
                data = <const unsigned char*>PyBytes_AS_STRING(line)
                size = PyBytes_GET_SIZE(line)
            else:
                data = <const unsigned char*>PyUnicode_AsUTF8AndSize(line, &size)
            stamp = <int32_t>i
            state = 0
            wide = False
            for j in range(size):
                state = self.delta[state * nclasses + self.classes[data[j]]]
                for k in range(self.out_start[state], self.out_start[state + 1]):
                    lit = self.outs[k]
                    if lit < 0:
                        wide = True
                        continue
                    if lit_seen[lit] == stamp:
                        continue
                    lit_seen[lit] = stamp
                    for p in range(self.pair_start[lit], self.pair_start[lit + 1]):
                        g = self.pairs[p]
                        if group_seen[g] == stamp:
                            continue
                        group_seen[g] = stamp
                        r = self.group_rule[g]
                        if rule_seen[r] != stamp:
                            rule_seen[r] = stamp
                            rule_count[r] = 0
                        rule_count[r] += 1
                        if rule_count[r] == self.rule_groups[r]:
                            (<list>out[r]).append(i)
            if wide:
                for r in range(self.nrules):
                    if self.rule_groups[r] and not (
                        rule_seen[r] == stamp and rule_count[r] == self.rule_groups[r]
                    ):
                        (<list>out[r]).append(i)
        for r in self.always:
            out[r] = list(range(n))
        return out

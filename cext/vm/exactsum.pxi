# Included by vm.pyx (one C unit with it): sum()/avg() state of the group
# table, ``lang.exactsum.ExactSum`` in C.  Integers add up in an int64 (a
# Python int past it), floats as non-overlapping doubles whose sum is exact;
# ``value`` rounds once, with the same ``exact_total`` as the reference, so
# the engines agree and tables merge in any order.


@cython.final
cdef class _ExactSum:
    """One group's sum: bounded state, exact, mergeable (see above)."""

    def __cinit__(self):
        self.small = 0
        self.big = 0
        self.saw_float = False
        self.special = None
        self.overflowed = None

    cdef int add(self, object number) except -1:
        cdef long long v, total
        cdef int overflow = 0
        cdef double x
        if type(number) is int:
            v = PyLong_AsLongLongAndOverflow(number, &overflow)
            if overflow or __builtin_saddll_overflow(self.small, v, &total):
                self.big = self.big + number
            else:
                self.small = total
            return 0
        self.saw_float = True
        x = PyFloat_AS_DOUBLE(number)
        if not isfinite(x):
            self.special = number if self.special is None else self.special + number
        elif self.overflowed is not None:
            self.overflowed = self.overflowed + _Fraction(number)
        else:
            self._grow(x)
        return 0

    cdef int _grow(self, double x) except -1:
        """Add ``x`` to the parts, each step keeping the rounded sum and
        the rounding error (both exact doubles)."""
        cdef size_t i, kept = 0, n = self.parts.size()
        cdef double part, big, small, high, low
        for i in range(n):
            part = self.parts[i]
            if fabs(x) >= fabs(part):
                big, small = x, part
            else:
                big, small = part, x
            high = big + small
            if isinf(high):  # the parts no longer fit a double: go on exactly
                self.overflowed = sum([_Fraction(p) for p in self.parts], _Fraction(x))
                self.parts.clear()
                return 0
            low = small - (high - big)
            if low != 0.0:
                self.parts[kept] = low
                kept += 1
            x = high
        self.parts.resize(kept)
        self.parts.push_back(x)
        return 0

    cdef int merge(self, _ExactSum other) except -1:
        cdef double part
        self.add(other.small)
        if other.big:
            self.big = self.big + other.big
        if other.special is not None:
            self.special = other.special if self.special is None else self.special + other.special
        self.saw_float = self.saw_float or other.saw_float
        for part in other.parts:
            if self.overflowed is not None:
                self.overflowed = self.overflowed + _Fraction(part)
            else:
                self._grow(part)
        if other.overflowed is not None:
            if self.overflowed is None:
                self.overflowed = sum([_Fraction(p) for p in self.parts], _Fraction(0))
                self.parts.clear()
            self.overflowed = self.overflowed + other.overflowed
        return 0

    cdef object value(self):
        return _exact_total(
            self.big + self.small, list(self.parts), self.saw_float, self.special, self.overflowed
        )

    def __reduce__(self):
        return _restore_sum, (self.small, self.big, list(self.parts), self.saw_float,
                              self.special, self.overflowed)


def _restore_sum(small, big, parts, saw_float, special, overflowed):
    cdef _ExactSum state = _ExactSum()
    state.small = small
    state.big = big
    for part in parts:
        state.parts.push_back(part)
    state.saw_float = saw_float
    state.special = special
    state.overflowed = overflowed
    return state

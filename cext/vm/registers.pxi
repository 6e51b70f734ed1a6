# Included by vm.pyx (one C unit with it): the registers.
#
# ``_Ctx`` holds one run's registers and case stack; ``_get``/``_load`` read
# a slot (from the event, once, with its fallbacks, or from a column),
# ``_write`` sets one, and ``_materialize`` makes the ``Event`` that leaves
# the machine.


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




cdef PyObject* _get(Machine m, _Ctx c, int slot) except? NULL:
    """The slot's value (borrowed), NULL when the event has no such field."""
    if c.st[slot]:
        return c.val[slot]
    return _load(m, c, slot)


cdef PyObject* _load(Machine m, _Ctx c, int slot) except? NULL:
    """Read a slot from the base event, with the fallbacks (``#tag`` ->
    ``tag`` -> the input's tag, ``@timestamp`` -> ``timestamp``,
    ``@rawstring`` -> the line)."""
    cdef PyObject* found
    cdef int fb
    cdef object raw
    if c.event is not None:
        return _load_dict(m, c, slot)
    if c.fields is None:
        found = PyList_GET_ITEM(<list>PyTuple_GET_ITEM(c.columns, slot), c.row)
        if found == <PyObject*>None:
            found = m.tag_ptrs[slot]  # (NULL unless the input has the tag)
    else:
        found = _dict_lookup(<PyObject*>c.fields, m.name_ptrs[slot])
        if found == <PyObject*>None:
            found = NULL
        if found == NULL:
            fb = m.fallback_slot[slot]
            if fb >= 0 and c.st[fb] == 2:
                found = c.val[fb]
            elif m.fallback_ptrs[slot] != NULL:
                found = _dict_lookup(<PyObject*>c.fields, m.fallback_ptrs[slot])
                if found == <PyObject*>None or found == NULL:
                    found = m.tag_ptrs[slot]  # (NULL unless the input has the tag)
            elif m.rawstring[slot]:
                raw = c.cur.raw  # the event holds it
                if raw is not None:
                    found = <PyObject*>raw
    if found != NULL:
        _need_str(found)
    c.val[slot] = found
    c.st[slot] = 1
    return found


cdef void _write(Machine m, _Ctx c, int slot, PyObject* value) noexcept:
    cdef size_t k
    cdef int dep
    if c.st[slot] != 2:
        c.worder[c.nwritten] = slot
        c.nwritten += 1
        c.st[slot] = 2
    c.val[slot] = value
    for k in range(m.dependents[slot].size()):
        dep = m.dependents[slot][k]
        if c.st[dep] == 1:
            c.st[dep] = 0  # it may have read the fallback just written


cdef object _raw_of_row(_Ctx c):
    if c.raws is None:
        return None
    return c.raws[c.row]


cdef object _materialize(Machine m, _Ctx c):
    """The current event as an ``Event``: the base itself when nothing
    was written, else a copy with the writes (the base is never changed)."""
    cdef dict fields
    cdef PyObject* value
    cdef Py_ssize_t k
    cdef int slot
    if c.fields is None:
        fields = {}
        for slot in range(m.nslots):
            if c.st[slot] == 2:
                value = c.val[slot]
            else:
                value = PyList_GET_ITEM(<list>PyTuple_GET_ITEM(c.columns, slot), c.row)
            if value != NULL and value != <PyObject*>None:
                PyDict_SetItem(fields, <object>m.name_ptrs[slot], <object>value)
        return m._event(fields, _raw_of_row(c), None, m.tags)
    if c.nwritten == 0:
        return c.cur
    fields = PyDict_Copy(c.fields)
    for k in range(c.nwritten):
        slot = c.worder[k]
        PyDict_SetItem(fields, <object>m.name_ptrs[slot], <object>c.val[slot])
    return m._event(fields, c.cur.raw, c.cur.origin, c.cur.tags)

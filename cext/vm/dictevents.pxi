# Included by vm.pyx (one C unit with it): events given as dicts.
#
# In dict mode the registers are read from the caller's decoded JSON object
# (``_Ctx.event``) itself, field by field as the code first needs them: a
# top-level name is one dict lookup, a dotted name (``a.b``, ``a[0].c``) a
# walk through the nested dicts and lists, and only a value that is not a
# str becomes one (``_convert``: kept alive in ``_Ctx.keep`` until the next
# event).  So an event that the first test rejects costs one or two lookups,
# whatever its size.  ``DictMatcher`` is the entry point: it runs the code
# on one dict and, when the code keeps the event, makes the output the
# ``Matcher`` documents (the input with the changed fields set).
#
# The values are those ``events.flatten`` gives (``_convert`` is its
# ``_scalar``: null, true and false as words, numbers as JSON writes them;
# an object or an array is no field of its own name).  Flattening spells a
# dotted name from every nesting that joins to it, so ``_build_paths``
# lists each name's spellings (``a.b``: the key ``"a.b"``, or ``"b"`` inside
# ``"a"``) and ``_dict_field`` tries them all: when more than one is present
# (the one ``flatten`` writes last wins), or a step meets a mapping other
# than a dict, ``events.flat_value`` answers in Python.  Keys are looked up
# as str: a mapping with other keys is read as if it had none of them.

import re as _re

from collections.abc import Mapping as _AbcMapping

from cqlmatch.lang.events import _scalar as _events_scalar
from cqlmatch.lang.events import flat_value as _events_flat_value
from cqlmatch.lang.events import rawstring_of as _events_rawstring_of


cdef extern from "Python.h":
    int PyUnicode_CheckExact(PyObject* o)
    int PyDict_CheckExact(PyObject* o)
    int PyList_Check(PyObject* o)
    int PyTuple_Check(PyObject* o)
    int PyLong_Check(PyObject* o)
    int PyLong_CheckExact(PyObject* o)
    int PyFloat_Check(PyObject* o)
    Py_ssize_t PyLong_AsSsize_t(PyObject* o) except? -1
    PyObject* PyList_GET_ITEM_PTR "PyList_GET_ITEM"(PyObject* o, Py_ssize_t i)
    Py_ssize_t PyList_GET_SIZE_PTR "PyList_GET_SIZE"(PyObject* o)
    PyObject* PyTuple_GET_ITEM_PTR "PyTuple_GET_ITEM"(PyObject* o, Py_ssize_t i)
    Py_ssize_t PyTuple_GET_SIZE_PTR "PyTuple_GET_SIZE"(PyObject* o)
    int PyDict_Contains_PTR "PyDict_Contains"(PyObject* d, PyObject* key) except -1


cdef enum:
    # A dotted name with more spellings than this is always answered by
    # ``events.flat_value`` (each spelling costs a walk).
    PATHS_MAX = 16

cdef object _NULL_TEXT = _sys_intern("null")
cdef object _TRUE_TEXT = _sys_intern("true")
cdef object _FALSE_TEXT = _sys_intern("false")
_INDEX = _re.compile(r"\[(0|[1-9][0-9]*)\]")


cdef _spell(str name, Py_ssize_t at, list steps, list out):
    """Every way ``name[at:]`` continues a flattened name from an object
    key: the key ends at a ``.``, at a ``[``, or at the end."""
    cdef Py_ssize_t end
    for end in range(at, len(name) + 1):
        if end < len(name) and name[end] not in ".[":
            continue
        key = _sys_intern(name[at:end])
        if end == len(name):
            out.append(tuple(steps + [key]))
        elif name[end] == ".":
            _spell(name, end + 1, steps + [key], out)
        else:
            _spell_index(name, end, steps + [key], out)


cdef _spell_index(str name, Py_ssize_t at, list steps, list out):
    """``name[at:]`` starting with an array index ``[N]`` (``str(N)``)."""
    found = _INDEX.match(name, at)
    if found is None or len(found.group(1)) > 18:  # (no array is that long)
        return
    steps = steps + [int(found.group(1))]
    end = found.end()
    if end == len(name):
        out.append(tuple(steps))
    elif name[end] == ".":
        _spell(name, end + 1, steps, out)
    elif name[end] == "[":
        _spell_index(name, end, steps, out)


cdef object _paths_of(object name):
    """None for a name only a top-level key spells; else its spellings as
    tuples of steps (a str key, an int index), or False past ``PATHS_MAX``."""
    if name is None or ("." not in name and "[" not in name):
        return None
    out = []
    _spell(name, 0, [], out)
    if len(out) > PATHS_MAX:
        return False
    return tuple(out)


cdef int _build_paths(Machine m) except -1:
    m.name_paths = tuple(_paths_of(name) for name in m.names)
    m.fallback_paths = tuple(_paths_of(name) for name in m.fallbacks)
    m._scalar = _events_scalar
    m._flat_value = _events_flat_value
    m._rawstring_of = _events_rawstring_of
    m._mapping = _AbcMapping
    return 0


cdef inline int _plain_value(PyObject* value) noexcept:
    """Whether ``value`` is certainly no mapping other than a dict."""
    return (
        PyUnicode_Check(value) or PyLong_Check(value) or PyFloat_Check(value)
        or value == <PyObject*>None or PyDict_Check(value) or PyList_Check(value)
        or PyTuple_Check(value)
    )


cdef int _walk(object event, tuple steps, PyObject** out) except -1:
    """Follow ``steps`` from ``event``: 1 and ``out`` set when they lead to
    a value that is not an object or an array, 0 when they lead nowhere, 2
    when a step meets a mapping that is not a dict (Python decides)."""
    cdef PyObject* cur = <PyObject*>event
    cdef PyObject* step
    cdef Py_ssize_t i, k, n = PyTuple_GET_SIZE_PTR(<PyObject*>steps)
    for i in range(n):
        step = PyTuple_GET_ITEM_PTR(<PyObject*>steps, i)
        if PyUnicode_CheckExact(step):
            if not PyDict_Check(cur):
                return 0 if _plain_value(cur) else 2
            cur = _dict_lookup(cur, step)
            if cur == NULL:
                return 0
        else:
            k = PyLong_AsSsize_t(step)
            if PyList_Check(cur):
                if k >= PyList_GET_SIZE_PTR(cur):
                    return 0
                cur = PyList_GET_ITEM_PTR(cur, k)
            elif PyTuple_Check(cur):
                if k >= PyTuple_GET_SIZE_PTR(cur):
                    return 0
                cur = PyTuple_GET_ITEM_PTR(cur, k)
            else:
                return 0 if _plain_value(cur) else 2
    if PyDict_Check(cur) or PyList_Check(cur) or PyTuple_Check(cur):
        return 0
    out[0] = cur
    return 1


cdef inline PyObject* _held(_Ctx c, object text) except NULL:
    """``text`` kept alive until the context moves to the next event."""
    c.keep.append(text)
    c.nkeep += 1
    return <PyObject*>text


cdef PyObject* _convert(Machine m, _Ctx c, PyObject* value) except? NULL:
    """A JSON value as the field flattening makes of it (``events._scalar``),
    or NULL for an object or an array, which have dotted names only."""
    if PyUnicode_CheckExact(value):
        return value
    if value == <PyObject*>None:
        return <PyObject*>_NULL_TEXT
    if value == <PyObject*>True:
        return <PyObject*>_TRUE_TEXT
    if value == <PyObject*>False:
        return <PyObject*>_FALSE_TEXT
    if PyDict_Check(value) or PyList_Check(value) or PyTuple_Check(value):
        return NULL
    if PyLong_CheckExact(value):
        return _held(c, str(<object>value))  # (as format_number writes an int)
    if not PyUnicode_Check(value) and isinstance(<object>value, m._mapping):
        return NULL
    return _held(c, m._scalar(<object>value))


cdef PyObject* _dict_field(
    Machine m, _Ctx c, object event, PyObject* name, object paths
) except? NULL:
    """The value flattening ``event`` gives the field ``name`` (spelt by
    ``paths``, see ``_build_paths``), or NULL when it has none."""
    cdef PyObject* found
    cdef PyObject* value = NULL
    cdef int hits = 0, r
    if paths is None:
        found = _dict_lookup(<PyObject*>event, name)
        if found == NULL:
            return NULL
        return _convert(m, c, found)
    if paths is not False:
        for steps in <tuple>paths:
            r = _walk(event, <tuple>steps, &found)
            if r == 2:
                break
            if r == 1:
                hits += 1
                value = found
        else:
            if hits == 0:
                return NULL
            if hits == 1:
                return _convert(m, c, value)
    text = m._flat_value(event, <object>name)
    if text is None:
        return NULL
    return _held(c, text)


cdef PyObject* _load_dict(Machine m, _Ctx c, int slot) except? NULL:
    """``_load`` in dict mode: the slot's name, else its fallback (``#tag``
    -> ``tag`` -> the input's tag, ``@timestamp`` -> ``timestamp``,
    ``@rawstring`` -> the event as compact JSON, made only then)."""
    cdef PyObject* found
    cdef int fb
    cdef object paths = <object>PyTuple_GET_ITEM(m.name_paths, slot)
    if paths is None:  # (the common case, inline: one lookup, a str as it is)
        found = _dict_lookup(<PyObject*>c.event, m.name_ptrs[slot])
        if found != NULL and not PyUnicode_CheckExact(found):
            found = _convert(m, c, found)
    else:
        found = _dict_field(m, c, c.event, m.name_ptrs[slot], paths)
    if found == NULL:
        fb = m.fallback_slot[slot]
        if fb >= 0 and c.st[fb] == 2:
            found = c.val[fb]
        elif m.fallback_ptrs[slot] != NULL:
            found = _dict_field(
                m, c, c.event, m.fallback_ptrs[slot],
                <object>PyTuple_GET_ITEM(m.fallback_paths, slot),
            )
            if found == NULL:
                found = m.tag_ptrs[slot]  # (NULL unless the input has the tag)
        elif m.rawstring[slot]:
            found = _held(c, m._rawstring_of(c.event))
    c.val[slot] = found
    c.st[slot] = 1
    return found


cdef object _kept_dict(Machine m, _Ctx c, dict event, object edit):
    """The output of a kept event: a copy of ``event`` with every written
    field whose value differs from the input's set under its name (as
    ``Matcher`` documents; ``edit`` makes it when such a field is in the
    input only inside a nested object)."""
    cdef dict out = PyDict_Copy(event)
    cdef dict changed = None
    cdef dict before_fields = None
    cdef bint nested = False
    cdef PyObject* before
    cdef Py_ssize_t k
    cdef int slot
    for k in range(c.nwritten):
        slot = c.worder[k]
        before = _dict_field(
            m, c, event, m.name_ptrs[slot], <object>PyTuple_GET_ITEM(m.name_paths, slot)
        )
        if before != NULL and _str_eq(<object>before, <object>c.val[slot]):
            continue
        name = <object>m.name_ptrs[slot]
        if changed is None:
            changed = {}
            before_fields = {}
        changed[name] = <object>c.val[slot]
        if before != NULL:
            before_fields[name] = <object>before
            if not PyDict_Contains_PTR(<PyObject*>event, m.name_ptrs[slot]):
                nested = True
        PyDict_SetItem(out, name, <object>c.val[slot])
    if nested:
        return edit(event, before_fields, changed, [])
    return out


cdef str _reason_of(BaseException err):
    """One line saying why a value is not JSON."""
    if isinstance(err, RecursionError):
        return "nested too deeply"
    return str(err).split("\n")[0] or type(err).__name__


@cython.final
cdef class DictMatcher:
    """One program's per-event code over events given as dicts, in place.

    ``factory()`` gives the calling thread's ``Machine`` (asked once per
    thread, and kept by thread ident for the life of this object; the
    program must run natively: no slow path may see the event);
    ``one(event)`` and ``item(event)`` answer for what is not a plain
    ``dict`` (``match`` and ``match_list`` respectively); ``edit(event,
    before, changed, removed)`` makes the output when a changed field is
    nested in the input; ``table`` (a ``GroupTable`` or None) receives each
    kept event, with ``lock`` held; ``kept`` counts the kept events."""

    def __init__(self, factory, one, item, edit, lock, table=None):
        self.factory = factory
        self.slow = (one, item)
        self.edit = edit
        self.lock = lock
        self.table = table
        self.kept = 0
        self.machines = {}
        self.last_machine = None
        self._machine()  # the first one now: a program with slow paths fails here

    cdef Machine _machine(self):
        """This thread's machine (by thread ident: a C call, no thread-local lookup)."""
        cdef unsigned long ident = PyThread_get_thread_ident()
        cdef Machine m
        if self.last_machine is not None and ident == self.last_ident:
            return self.last_machine
        found = self.machines.get(ident)
        if found is None:
            found = self.factory()
            if not isinstance(found, Machine):
                raise TypeError("the factory must return a Machine")
            if not (<Machine>found).native:
                raise ValueError("dict mode needs a program without slow paths")
            self.machines[ident] = found
        m = <Machine>found
        self.last_ident = ident
        self.last_machine = m
        return m

    cdef object _one(self, Machine m, dict event):
        cdef _Ctx c
        cdef bint own
        cdef object table = self.table
        if m.dict_busy or m.dict_ctx is None:
            c = _Ctx(m.nslots)
            if not m.dict_busy:
                m.dict_ctx = c
        else:
            c = m.dict_ctx
        own = c is m.dict_ctx
        if own:
            m.dict_busy = True
        c.clear()
        c.accepted = False
        c.event = event
        try:
            if table is None:
                _exec(m, m.entry, c, False, None, None)
            else:
                m._check_table(<GroupTable>table)
                with self.lock:
                    _exec(m, m.entry, c, False, None, <GroupTable>table)
                    m._limit_warning(<GroupTable>table)
            if not c.accepted:
                return None
            self.kept += 1
            return _kept_dict(m, c, event, self.edit)
        finally:
            # (The regex sets keep the last value each ran on, held, until
            # another value replaces it: no _forget per event.)
            c.reset_stack()
            c.event = None
            if own:
                m.dict_busy = False

    @cython.binding(False)
    def match(self, event):
        """The output of ``event`` (None when the code drops it); a value
        the code reads that JSON cannot hold raises ``ValueError``."""
        cdef Machine m = self.last_machine
        if type(event) is not dict:
            return self.slow[0](event)
        if m is None or PyThread_get_thread_ident() != self.last_ident:
            m = self._machine()
        try:
            return self._one(m, <dict>event)
        except (TypeError, ValueError, RecursionError) as err:
            raise ValueError(f"not a JSON object: {_reason_of(err)}") from None

    @cython.binding(False)
    def match_list(self, list events not None, list errors not None):
        """``match`` over ``events``: a list of outputs (None when dropped,
        or when the item is not a JSON object: then ``(index, reason)`` is
        appended to ``errors``)."""
        cdef Py_ssize_t i, n = PyList_GET_SIZE(events)
        cdef list out = [None] * n
        cdef Machine m = self._machine()
        item = self.slow[1]
        for i in range(n):
            event = <object>PyList_GET_ITEM(events, i)
            try:
                if type(event) is dict:
                    result = self._one(m, <dict>event)
                else:
                    result = item(event)
            except (TypeError, ValueError, RecursionError) as err:
                errors.append((i, _reason_of(err)))
                continue
            if result is not None:
                out[i] = result
        _forget(m)
        return out

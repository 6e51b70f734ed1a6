# Included by vm.pyx (one C unit with it): the native groupBy.
#
# ``GroupTable`` holds groups in first-appearance order with their
# aggregates (it merges and pickles); ``_add`` adds the event in the
# registers to its group; ``_count_order`` and ``_rows`` read a table out.

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
        self.scratch = tuple([None] * self.nkeys) if self.nkeys != 1 else None
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
                self.objects.append(_ExactSum())
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
                    (<_ExactSum>self.objects[i]).merge(<_ExactSum>other.objects[j])
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


cdef int _add(Machine m, _Ctx c, GroupTable t) except -1:
    """Add the current event to its group (none when a key field is absent)."""
    cdef PyObject* value
    cdef Py_ssize_t a, g, i
    cdef int kind
    cdef object key, number
    cdef tuple values
    if t.nkeys == 1:
        value = _get(m, c, t.key_slots[0])
        if value == NULL:
            return 0
        key = <object>value
    else:
        # The key is looked up in a scratch tuple the table owns alone
        # (refilled in place), and copied only for a new group.
        values = t.scratch
        for a in range(t.nkeys):
            value = _get(m, c, t.key_slots[a])
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
        value = _get(m, c, t.agg_slots[a])
        if value == NULL:
            continue
        if kind == AGG_COUNT_FIELD:
            t.counts[i] += 1
        elif kind == AGG_COUNT_DISTINCT:
            (<set>t.objects[i]).add(<object>value)
        else:
            number = m._parse_number(<object>value)
            if number is None:
                continue
            t.counts[i] += 1
            if kind == AGG_SUM or kind == AGG_AVG:
                (<_ExactSum>t.objects[i]).add(number)
            elif t.counts[i] == 1:
                t.objects[i] = number
            elif PyObject_RichCompareBool(
                number, t.objects[i], Py_LT if kind == AGG_MIN else Py_GT
            ):
                t.objects[i] = number  # the first extreme stays
    return 0


cdef list _count_order(GroupTable table, Py_ssize_t aggregate, bint descending,
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


cdef list _rows(Machine m, GroupTable table, order):
    """The output rows of a group table: its groups in first-appearance
    order, or the groups ``order`` lists, in that order."""
    cdef list rows = []
    cdef list groups = list(range(table.ngroups)) if order is None else list(order)
    cdef list key_names = [m.names[slot] for slot in table.plan.keys]
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
                results[outputs[a]] = m._format_number((<_ExactSum>table.objects[i]).value())
            elif kind == AGG_AVG:
                total = (<_ExactSum>table.objects[i]).value()
                results[outputs[a]] = m._format_number(total / table.counts[i])
            else:
                results[outputs[a]] = m._format_number(table.objects[i])
            produced = True
        if not produced and naggs:
            continue  # none of the aggregates had input: no row
        row = {}
        key = <tuple>table.key_values[g]
        for k in range(len(key_names)):
            row[key_names[k]] = key[k]
        row.update(results)
        rows.append(m._event(row))
    return rows


cdef inline void _tuple_put(tuple values, Py_ssize_t i, PyObject* value) noexcept:
    """Replace item ``i`` of a tuple nothing else refers to (the group
    table's scratch key)."""
    cdef PyObject** items = _tuple_items(<PyObject*>values)
    cdef PyObject* old = items[i]
    Py_INCREF(<object>value)
    items[i] = value
    Py_XDECREF(old)


cdef inline int _slot(object slot, Py_ssize_t nfields) except -1:
    if not 0 <= slot < nfields:
        raise ValueError(f"group plan reads slot {slot}, which does not exist")
    return slot

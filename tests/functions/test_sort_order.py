"""sort()'s order: the key-based implementation against the rule it implements.

The rule (docs/semantics.md): keys compare in turn; an event missing a key
goes after every event that has it, whatever the order; under ``any`` and
``number`` numbers come before other values, whatever the order; equal
events keep their input order.  ``oracle`` states that rule as a pairwise
comparison, written for this test.
"""

from __future__ import annotations

import functools

from hypothesis import given, settings, strategies as st

from cqlmatch.functions.stages import sort_events, sort_key
from cqlmatch.lang.events import Event


def oracle(events, fields, orders, types):
    def compare(a, b):
        for name, order, kind in zip(fields, orders, types, strict=True):
            va, vb = a.get(name), b.get(name)
            if va is None or vb is None:
                if va is None and vb is None:
                    continue
                return 1 if va is None else -1
            (ca, ka), (cb, kb) = sort_key(va, kind), sort_key(vb, kind)
            if ca != cb:
                return -1 if ca < cb else 1
            if ka == kb:
                continue
            result = -1 if ka < kb else 1
            return -result if order == "desc" else result
        return 0

    return sorted(events, key=functools.cmp_to_key(compare))


VALUES = st.one_of(
    st.none(),
    st.sampled_from(["1", "01", "1.0", "-2", "1e3", "10", "9", "0x1f", "ff", "", "a", "B", "é"]),
    st.integers(-20, 20).map(str),
    st.text(max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.tuples(VALUES, VALUES), max_size=25),
    orders=st.tuples(*[st.sampled_from(["asc", "desc"])] * 2),
    types=st.tuples(*[st.sampled_from(["any", "number", "string", "hex"])] * 2),
    nkeys=st.sampled_from([1, 2]),
)
def test_sort_follows_the_rule(rows, orders, types, nkeys) -> None:
    events = []
    for i, (a, b) in enumerate(rows):
        fields = {"i": str(i)}
        if a is not None:
            fields["a"] = a
        if b is not None:
            fields["b"] = b
        events.append(Event(fields))
    fields = ("a", "b")[:nkeys]
    got = sort_events(events, fields, orders[:nkeys], types[:nkeys])
    expected = oracle(events, fields, orders[:nkeys], types[:nkeys])
    assert [e.fields["i"] for e in got] == [e.fields["i"] for e in expected]

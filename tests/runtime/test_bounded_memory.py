"""Aggregate stages that stream (count/sum/avg/min/max and stats of them,
head, tail, sort with a limit) hold state bounded by their own limits, not
their input: a large stream generated on the fly runs under a small
tracemalloc peak, and a small input gives the expected rows."""

from __future__ import annotations

import tracemalloc

import pytest

import cqlmatch
from cqlmatch.lang.events import Event
from cqlmatch.reference import Interpreter

LARGE = 400_000
PEAK_BYTES = 50 * 1024 * 1024


def events(n):
    for i in range(n):
        yield {"i": str(i), "k": str((i * 7919) % 1000), "name": f"f{i % 13}.exe"}


def rows_of(query: str, source, engine: str = "vm"):
    return [dict(row) for row in cqlmatch.compile(query).run(source, engine=engine)]


def stream_rows(query: str, n: int):
    """The interpreter's aggregate stages over ``n`` generated events,
    one at a time (the path the VM hands its per-event outputs to)."""
    checked = cqlmatch.compile(query)
    interp = Interpreter(checked.checked)
    stream = (Event(fields) for fields in events(n))
    return [e.fields for e in interp.stages(checked.checked.tree.stages, stream)]


SMALL = 50
CASES = {
    "count()": lambda n: [{"_count": str(n)}],
    "head(10)": lambda n: [dict(e) for e in list(events(n))[:10]],
    "tail(10)": lambda n: [dict(e) for e in list(events(n))[-10:]],
    "sort(k, order=asc, limit=200)": lambda n: sorted(
        (dict(e) for e in events(n)), key=lambda e: int(e["k"])
    )[:200],
    "[count(), sum(i), min(k), max(k), avg(i)]": lambda n: [
        {
            "_count": str(n),
            "_sum": str(n * (n - 1) // 2),
            "_min": str(min(int(e["k"]) for e in events(n))),
            "_max": str(max(int(e["k"]) for e in events(n))),
            "_avg": cqlmatch_number((n - 1) / 2),
        }
    ],
}


def cqlmatch_number(x):
    from cqlmatch.lang.values import format_number

    return format_number(x)


@pytest.mark.parametrize("engine", ["vm", "reference"])
@pytest.mark.parametrize("query", list(CASES))
def test_small_input_gives_the_expected_rows(query, engine):
    assert rows_of(query, list(events(SMALL)), engine) == CASES[query](SMALL)


@pytest.mark.parametrize("query", ["count()", "head(10)", "tail(10)", "sort(k, limit=200)"])
def test_large_stream_runs_in_bounded_memory(query):
    tracemalloc.start()
    try:
        rows = stream_rows(query, LARGE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{query}: peak {peak / 2**20:.1f} MiB"
    if query == "count()":
        assert rows == [{"_count": str(LARGE)}]
    elif query == "head(10)":
        assert rows == [dict(e) for e in events(10)]
    elif query == "tail(10)":
        assert rows == [
            {"i": str(i), "k": str((i * 7919) % 1000), "name": f"f{i % 13}.exe"}
            for i in range(LARGE - 10, LARGE)
        ]
    else:
        assert len(rows) == 200
        # desc by k (numbers), ties in input order: k=999 first
        assert rows == sorted(rows, key=lambda e: -int(e["k"]))
        assert rows[0]["k"] == "999"
        ties = [int(e["i"]) for e in rows if e["k"] == rows[0]["k"]]
        assert ties == sorted(ties)


def test_sort_limit_keeps_the_full_sort_order_and_ties():
    """Mixed numbers, text and missing values, several keys: the bounded
    sort gives the first rows of the full stable sort."""
    from cqlmatch.functions.stages import first_sorted, sort_events

    values = ["3", "x", None, "-1", "3.0", "a", "10", "0x1f", "", "2e3"]
    evs = [
        Event(
            {k: v for k, v in (("a", values[i % 10]), ("b", values[(i * 3) % 7])) if v is not None}
        )
        for i in range(300)
    ]
    for orders in (("asc", "desc"), ("desc", "asc"), ("desc", "desc"), ("asc", "asc")):
        for types in (("any", "any"), ("string", "number"), ("hex", "any")):
            for limit in (0, 1, 7, 50, 299, 300, 1000):
                full = sort_events(evs, ("a", "b"), orders, types)[:limit]
                assert first_sorted(iter(evs), ("a", "b"), orders, types, limit) == full


STREAMED_STAGES = [
    "groupBy([k])",
    "groupBy([name], function=[count(), sum(i), collect([k], limit=3)])",
    "groupBy([k, name], limit=7)",
    "groupBy([missing])",
    "groupBy([name], function=[])",
    "top(name)",
    "top([name, k], limit=3, rest=others, percent=true)",
    "top(name, sum=i)",
    "table([i, name], sortby=k, order=asc, limit=9)",
    "table([name, nothing], limit=4)",
]


@pytest.mark.parametrize("query", STREAMED_STAGES)
def test_a_streamed_stage_gives_the_rows_and_warnings_of_the_whole_list(query):
    """The streaming form of a stage (groupBy of aggregates, top, table)
    against its form over the whole list, on the same events."""
    from cqlmatch.functions.registry import STAGE, STREAMING

    compiled = cqlmatch.compile(query)
    stage = compiled.checked.tree.stages[0]
    binding = compiled.checked.binding(stage)
    name = binding.spec.name.lower()
    evs = [Event(e) for e in events(700)]
    whole = Interpreter(compiled.checked)
    streamed = Interpreter(compiled.checked)
    expected = STAGE[name](whole, binding, list(evs))
    consumed = []
    got = STREAMING[name](streamed, binding, (consumed.append(e) or e for e in evs))
    assert got is not None and len(consumed) == len(evs)
    assert [e.fields for e in got] == [e.fields for e in expected]
    assert streamed.warnings == whole.warnings


def test_a_group_by_with_a_stage_function_does_not_stream():
    """groupBy(function=tail(1)) needs each group's events: it declines,
    consuming nothing, and runs over the list."""
    from cqlmatch.functions.registry import STREAMING

    compiled = cqlmatch.compile("groupBy([name], function=tail(1))")
    binding = compiled.checked.binding(compiled.checked.tree.stages[0])
    stream = iter([Event(e) for e in events(10)])
    assert STREAMING["groupby"](Interpreter(compiled.checked), binding, stream) is None
    assert len(list(stream)) == 10
    assert len(rows_of("groupBy([name], function=tail(1))", list(events(50)))) == 13


def test_head_stops_reading_at_its_last_row():
    def endless():
        for i in range(10**9):
            if i == 5000:
                raise AssertionError("head(10) read on past its rows and a batch")
            yield {"i": str(i)}

    for engine in ("vm", "reference"):
        assert [r["i"] for r in rows_of("head(10)", endless(), engine)] == [
            str(i) for i in range(10)
        ]

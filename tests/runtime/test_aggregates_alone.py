"""Aggregates alone (``count()``, ``sum(x)``, ``[count(), avg(x)]``,
``stats([...])``) run in the VM's group table as one group without keys,
as ``groupBy`` does: the same rows as the reference interpreter over event
dicts, over files (the column path), split among workers and over no events
at all, where aggregates alone still give their row (``count()`` is 0) while
a ``groupBy`` gives none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.bytecode.disasm import dis
from cqlmatch.runtime import parallel
from cqlmatch.runtime.query import ENGINES

EVENTS = [
    {"event_simpleName": "DnsRequest", "n": "3", "host": "a"},
    {"event_simpleName": "DnsRequest", "n": "2.5", "host": "b"},
    {"event_simpleName": "DnsRequest", "n": "x", "host": "a"},
    {"event_simpleName": "UserLogon", "n": "-4", "host": "c"},
    {"event_simpleName": "DnsRequest", "host": "a"},
]

ALONE = [
    "count()",
    "#event_simpleName=DnsRequest | count()",
    "count(n)",
    "count(host, distinct=true)",
    "sum(n)",
    "avg(n)",
    "min(n)",
    "max(n, as=top)",
    "[count(), avg(n), max(n)]",
    "stats([count(host, as=hosts), sum(n)])",
    "stats(function=[min(n), count()])",
    "#event_simpleName=DnsRequest | [count(), sum(n)] | eval(twice=_count*2)",
    "n=* | count() | _count > 2",
]


def _ndjson(tmp_path: Path, events: list[dict], name: str = "events.ndjson") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


@pytest.mark.parametrize("query", ALONE)
def test_the_group_table_runs_aggregates_alone(query) -> None:
    program = cqlmatch.compile(query).program
    assert program.group is not None
    assert program.group.keys == ()
    assert "group: [] ->" in dis(program)


@pytest.mark.parametrize("query", ALONE)
@pytest.mark.parametrize("engine", ENGINES)
def test_aggregates_alone_over_events_and_files(query, engine, tmp_path) -> None:
    compiled = cqlmatch.compile(query)
    expected = cqlmatch.compile(query).run(EVENTS, engine="reference")
    assert compiled.run(EVENTS, engine=engine) == expected
    assert compiled.run(_ndjson(tmp_path, EVENTS), engine=engine, workers=1) == expected


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("count()", [{"_count": "0"}]),
        ("count(n)", [{"_count": "0"}]),
        ("[count(), sum(n)]", [{"_count": "0"}]),
        ("sum(n)", []),  # an aggregate that saw no number gives no output
        ("groupBy(host)", []),  # a groupBy over no events has no group
    ],
)
@pytest.mark.parametrize("engine", ENGINES)
def test_over_no_events(query, rows, engine, tmp_path) -> None:
    compiled = cqlmatch.compile(query)
    assert compiled.run([], engine=engine) == rows
    assert compiled.run(_ndjson(tmp_path, []), engine=engine) == rows
    # events that the filter drops are no events either
    dropped = cqlmatch.compile(f"#event_simpleName=Nothing | {query}")
    assert dropped.run(_ndjson(tmp_path, EVENTS), engine=engine) == rows


@pytest.mark.parametrize("engine", ENGINES)
def test_values_not_numbers_give_no_row(engine) -> None:
    assert cqlmatch.compile("sum(n)").run([{"n": "x"}, {"m": "1"}], engine=engine) == []
    assert cqlmatch.compile("[count(), min(n)]").run([{"n": "x"}], engine=engine) == [
        {"_count": "1"}
    ]


def test_workers_merge_one_group(tmp_path, monkeypatch) -> None:
    """Split into ranges, each worker's one-group table merges into the
    rows of one process (sums exact, the first extreme kept)."""
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 12)
    events = [
        {
            "event_simpleName": "DnsRequest" if i % 3 else "UserLogon",
            "n": str(i * 0.1),
            "h": str(i % 7),
        }
        for i in range(3000)
    ]
    path = _ndjson(tmp_path, events)
    query = "[count(), count(h, distinct=true, as=hosts), sum(n), avg(n), min(n), max(n)]"
    compiled = cqlmatch.compile(query)
    assert compiled.plan.splits
    one = compiled.run(path, workers=1)
    assert compiled.run(path, workers=2) == one
    assert one == cqlmatch.compile(query).run(path, engine="reference")
    assert (one[0]["_count"], one[0]["hosts"]) == ("3000", "7")


def test_a_program_without_fields_counts_rows_given_as_columns() -> None:
    """``count()`` reads no field: the number of rows comes with the batch."""
    engine = cqlmatch.compile("count()").new_engine("vm")
    assert [row.fields for row in engine.run_columns((), None, 5)] == [{"_count": "5"}]
    with pytest.raises(ValueError, match="number of rows"):
        engine.run_columns(())

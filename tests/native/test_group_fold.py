"""``Machine.fold``: events already run (outputs of ``Machine.run``) added to
a ``GroupTable`` as they are.  Folding the outputs batch by batch must give
the table ``aggregate`` gives over the inputs in one call: the same rows,
the same group-limit warning; and a table filled by ``fold`` merges and
pickles like any other."""

from __future__ import annotations

import itertools
import pickle
import random

import pytest

import cqlmatch
from cqlmatch._vm import GroupTable, Machine
from cqlmatch.lang.events import Event
from cqlmatch.runtime.engine import VMEngine

W401_TEXT = "groupBy() reached its limit of {} groups"

# Per-event code that filters, assigns and defaults (so run's outputs differ
# from its inputs), then a group plan of every native aggregate kind.
QUERIES = {
    "count": "k=/^[abc]/ | groupBy(k, function=[count(), count(v, as=n)])",
    "sum-avg": 'k=* | default(field=v, value="1") | groupBy(k, function=[sum(v), avg(v)])',
    "min-max": "v=* | groupBy(k, function=[min(v), max(v)])",
    "distinct": "groupBy([k, t], function=count(v, distinct=true, as=d))",
    "case": (
        'case { k=a | t := "A" ; k=/[bc]/ | t := "BC" ; * | t := "other" }'
        " | groupBy([t, k], function=[count(), sum(v), min(v), max(v), count(v, distinct=true)])"
    ),
    "limit": "k=* | groupBy(k, function=[count(), max(v)], limit=3)",
}


class Slow:
    """A slow path for native programs: never asked, except for warnings."""

    def __init__(self) -> None:
        self.warnings: list[tuple[str, str]] = []

    def test_node(self, index, event):  # pragma: no cover - native programs only
        raise AssertionError("a native program asked for a test node")

    def stage_node(self, index, event):  # pragma: no cover - native programs only
        raise AssertionError("a native program asked for a stage node")

    def warn(self, code: str, message: str) -> None:
        self.warnings.append((code, message))


def machine(query: str) -> tuple[Machine, Slow]:
    program = VMEngine(cqlmatch.compile(query).checked).program
    assert program.group is not None, query
    slow = Slow()
    m = Machine(program, slow)
    assert m.native, query
    return m, slow


def events(seed: int, n: int = 300) -> list[Event]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        fields = {}
        if rng.random() < 0.9:
            fields["k"] = rng.choice(["a", "b", "c", "d", "e", "", "ab"])
        if rng.random() < 0.8:
            fields["v"] = rng.choice(["1", "2", "-3", "2.5", "1e3", "x", "", "0.1", "7"])
        if rng.random() < 0.3:
            fields["t"] = rng.choice(["p", "q"])
        out.append(Event(fields, "RAW"))
    return out


def batches(items: list, seed: int) -> list[list]:
    """``items`` cut at random places (empty batches included)."""
    rng = random.Random(seed)
    cuts = sorted(rng.randrange(len(items) + 1) for _ in range(rng.randrange(1, 8)))
    bounds = [0, *cuts, len(items)]
    return [items[a:b] for a, b in itertools.pairwise(bounds)]


def fields_of(rows: list[Event]) -> list[dict]:
    return [dict(row.fields) for row in rows]


def aggregated(query: str, inputs: list[Event]) -> tuple[list[dict], GroupTable, list]:
    m, slow = machine(query)
    table = m.aggregate(inputs)
    return fields_of(m.rows(table)), table, slow.warnings


@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fold_of_run_outputs_in_batches_equals_aggregate(name: str, seed: int) -> None:
    query = QUERIES[name]
    inputs = events(seed)
    expected, whole, expected_warnings = aggregated(query, inputs)
    assert expected  # the data makes groups

    m, slow = machine(query)
    table = m.new_table()
    for batch in batches(inputs, seed):
        assert m.fold(m.run(batch), table) is table
    assert fields_of(m.rows(table)) == expected
    assert table.size == whole.size
    assert table.limit_reached == whole.limit_reached
    assert slow.warnings == expected_warnings
    # the rows also agree with the reference interpreter
    reference = cqlmatch.compile(query).run([dict(e.fields) for e in inputs], engine="reference")
    assert [dict(r) for r in reference] == expected


def test_fold_warns_once_at_the_group_limit_like_aggregate() -> None:
    query = QUERIES["limit"]
    inputs = events(5)
    expected, whole, expected_warnings = aggregated(query, inputs)
    assert whole.limit_reached and whole.size == 3
    assert len(expected_warnings) == 1
    code, message = expected_warnings[0]
    assert code == "W401" and message.startswith(W401_TEXT.format(3))

    m, slow = machine(query)
    table = m.new_table()
    for batch in batches(inputs, 11):
        m.fold(m.run(batch), table)
    assert slow.warnings == expected_warnings  # once, though several folds passed the limit
    assert fields_of(m.rows(table)) == expected


def test_group_is_fold_into_a_new_table() -> None:
    m, slow = machine(QUERIES["limit"])
    outputs = m.run(events(6))
    table = m.fold(outputs, m.new_table())
    assert fields_of(m.group(outputs)) == fields_of(m.rows(table))
    assert len(slow.warnings) == 2  # one per table


@pytest.mark.parametrize("name", ["count", "sum-avg", "distinct", "case", "limit"])
def test_partial_tables_filled_by_fold_merge_in_input_order(name: str) -> None:
    query = QUERIES[name]
    inputs = events(7)
    expected, whole, _ = aggregated(query, inputs)
    m, _ = machine(query)
    merged = m.new_table()
    for part in batches(inputs, 3):
        partial = m.new_table(partial=True)
        for batch in batches(part, len(part)):
            m.fold(m.run(batch), partial)
        merged.merge(partial)
    assert fields_of(m.rows(merged)) == expected
    assert merged.size == whole.size
    assert merged.limit_reached == whole.limit_reached


@pytest.mark.parametrize("name", ["count", "min-max", "distinct", "case", "limit"])
def test_a_table_filled_by_fold_pickles_and_folds_on(name: str) -> None:
    query = QUERIES[name]
    inputs = events(8)
    expected, whole, _ = aggregated(query, inputs)
    m, _ = machine(query)
    half = len(inputs) // 2
    table = m.fold(m.run(inputs[:half]), m.new_table())
    copy = pickle.loads(pickle.dumps(table))
    assert copy.plan == table.plan and copy.plan is not table.plan
    assert fields_of(m.rows(copy)) == fields_of(m.rows(table))
    m.fold(m.run(inputs[half:]), copy)  # an equal plan, not the same object: accepted
    assert fields_of(m.rows(copy)) == expected
    assert copy.limit_reached == whole.limit_reached


def test_fold_takes_only_a_table_of_the_programs_plan() -> None:
    m, _ = machine(QUERIES["count"])
    other, _ = machine(QUERIES["min-max"])
    with pytest.raises(ValueError, match="group plan"):
        m.fold([], other.new_table())
    with pytest.raises(TypeError):
        m.fold([], None)
    with pytest.raises(ValueError, match="group plan"):
        m.aggregate([], other.new_table())


def test_fold_adds_events_as_they_are() -> None:
    # The per-event code (k=/^[abc]/) is not run by fold: a "d" event counts.
    m, _ = machine(QUERIES["count"])
    table = m.fold([Event({"k": "d", "v": "1"}, "RAW"), Event({"v": "2"}, "RAW")], m.new_table())
    assert fields_of(m.rows(table)) == [{"k": "d", "_count": "1", "n": "1"}]

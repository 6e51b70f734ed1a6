"""The column path of a pack run (packs/columnar.py) against the per-event path.

A block whose kept lines the field extractor takes comes as one column
batch; the linked rules run over its columns and only the lines other rules
are candidates for become events.  Everything a user sees must be what the
per-event path gives: the rows in order, each rule's counts, the malformed
lines, in one process and in parts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cqlmatch.ingest.columns import columns_of
from cqlmatch.lang.events import Event
from cqlmatch.packs import columnar, partial, run
from cqlmatch.packs.linked import link_rules
from cqlmatch.packs.pack import compile_pack
from cqlmatch.packs.sources import PackSource, RuleSource

from ..awkward import awkward_telemetry
from .test_pack import check_against_single_runs, corpus_rules

EXTRA = [
    # an aggregate, a rule with a slow path and one without literals: none is linked
    RuleSource(
        id="agg", name="agg", text="#event_simpleName=ProcessRollup2 | groupBy(ImageFileName)"
    ),
    RuleSource(
        id="slow",
        name="slow",
        text="#event_simpleName=ProcessRollup2 CommandLine=/cmd/i "
        "| test(ParentBaseFileName != FileName)",
    ),
]


@pytest.fixture(scope="module")
def telemetry(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("columnar") / "events.ndjson"
    path.write_bytes(awkward_telemetry(6000, seed=9, malicious_rate=0.03))
    return path


def _without_columns(monkeypatch) -> None:
    monkeypatch.setattr(run, "column_plan", lambda *args: None)
    monkeypatch.setattr(partial, "column_plan", lambda *args: None)


def _counts(result) -> dict[str, tuple[int, int]]:
    return {rid: (s.evaluated, s.hits) for rid, s in result.rule_stats.items()}


@pytest.mark.parametrize("field_mode", [False, True])
def test_column_batches_give_what_events_give(telemetry, monkeypatch, field_mode) -> None:
    if field_mode:
        if run.literal_scanner([b"x"]) is None:
            pytest.skip("field mode needs Hyperscan")
        monkeypatch.setattr(run, "FIELD_MODE_RULES", 5)
    source = PackSource("corpus", corpus_rules(120) + EXTRA)
    batches = []
    hits = columnar.ColumnPlan.hits

    def counted(self, batch, whole):
        batches.append(batch.size)
        return hits(self, batch, whole)

    monkeypatch.setattr(columnar.ColumnPlan, "hits", counted)
    with_columns = {}
    for workers in (1, 2):
        pack = compile_pack(source)
        with_columns[workers] = pack.run(str(telemetry), workers=workers)
    assert batches and sum(batches) > 1000  # the column path ran
    if field_mode:
        assert pack.candidates().index.field_mode
    _without_columns(monkeypatch)
    for workers in (1, 2):
        pack = compile_pack(source)
        events = pack.run(str(telemetry), workers=workers)
        mine = with_columns[workers]
        assert list(mine) == list(events)
        assert _counts(mine) == _counts(events)
        assert [(m.line_number, m.reason) for m in mine.malformed] == [
            (m.line_number, m.reason) for m in events.malformed
        ]
        assert mine.stats.as_dict() == events.stats.as_dict()
    assert events.malformed and any(row["rule.id"] == "slow" for row in events)


def test_with_columns_each_rule_keeps_its_own_hits(telemetry) -> None:
    pack = compile_pack(PackSource("corpus", corpus_rules(60) + EXTRA))
    check_against_single_runs(pack, str(telemetry), engines=("vm",))


def test_linked_rules_over_columns_match_over_events() -> None:
    """``Machine.run_rules_columns`` keeps the rows ``run_rules`` keeps,
    counting each rule's runs alike, tags and fallbacks included."""
    texts = [
        "#event_simpleName=ProcessRollup2 CommandLine=/evil/i",
        "FileName=/\\.exe$/i",
        "#repo=base_sensor CommandLine=*cmd*",
    ]
    from cqlmatch import compile as compile_query

    programs = [compile_query(text).program for text in texts]
    program, machine = link_rules(programs, ["a", "b", "c"])
    machine.use_tags({"repo": "base_sensor"})
    rows = [
        {"event_simpleName": "ProcessRollup2", "CommandLine": "an EVIL cmd", "FileName": "x.exe"},
        {"#event_simpleName": "ProcessRollup2", "event_simpleName": "Other", "CommandLine": "evil"},
        {"CommandLine": "cmd", "FileName": "y.EXE", "#repo": "other"},
        {"FileName": "z.dll"},
    ]
    events = [Event(dict(row)) for row in rows]
    from array import array

    def buffers(values):
        return array("i", values)

    starts = buffers([0, 1, 2, 3, 4])
    shapes = buffers([0, 0, 0, 0])
    shape_start = buffers([0, 3])
    shape_rules = buffers([0, 1, 2])

    def counters():
        return array("q", [0] * 3), array("q", [0] * 3)

    one, two = counters(), counters()
    want = machine.run_rules(events, starts, shapes, shape_start, shape_rules, *one)
    columns = columns_of(program, events)
    got = machine.run_rules_columns(
        columns, len(events), starts, shapes, shape_start, shape_rules, *two
    )
    assert got == want == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 1)]
    assert list(one[0]) == list(two[0]) == [4, 4, 4]
    with pytest.raises(ValueError):
        machine.run_rules_columns(columns, 3, starts, shapes, shape_start, shape_rules, *two)

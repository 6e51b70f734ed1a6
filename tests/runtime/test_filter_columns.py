"""A query that outputs events filters column batches, and decodes whole only
the lines it keeps (``RunPlan.filter_columns``, ``VMEngine.outputs``).

What a user sees must be what decoding every kept line gave: the rows in
order (the fields the query sets included), the counts, the malformed lines
with their numbers, on both engines, in one process and in parts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.runtime import engine as engine_module

from ..awkward import awkward_telemetry

QUERIES = [
    # a filter alone, one that sets fields, one with a stage after it, one on a tag
    "#event_simpleName=ProcessRollup2 CommandLine=/cmd|powershell/i",
    '#event_simpleName=ProcessRollup2 ImageFileName=/\\\\(cmd|bash)(\\.exe)?$/i | risk := "high"',
    "#event_simpleName=/^(DnsRequest|NetworkConnectIP4)$/ | head(25)",
    "#repo=base_sensor #event_simpleName=ProcessRollup2 UserName=*",
]


@pytest.fixture(scope="module")
def telemetry(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("filter-columns") / "events.ndjson"
    path.write_bytes(awkward_telemetry(5000, seed=21, malicious_rate=0.05))
    return path


@pytest.mark.parametrize("query", QUERIES)
def test_kept_lines_decoded_whole_give_what_every_line_gave(telemetry, monkeypatch, query):
    compiled = cqlmatch.compile(query)
    assert compiled.plan.filter_columns
    batches: list[int] = []
    kept = engine_module.VMEngine._kept

    def counted(self, batch):
        batches.append(batch.size)
        return kept(self, batch)

    monkeypatch.setattr(engine_module.VMEngine, "_kept", counted)
    got = compiled.run(str(telemetry), workers=1)
    assert batches  # (the column path ran)
    want = compiled.run(str(telemetry), "reference", workers=1)
    assert list(got) == list(want) and len(got) > 0
    assert [(m.line_number, m.reason) for m in got.malformed] == [
        (m.line_number, m.reason) for m in want.malformed
    ]
    assert got.malformed_count == want.malformed_count == (0 if "head" in query else 1)
    assert got.warnings == want.warnings
    if compiled.plan.splits:
        parts = compiled.run(str(telemetry), workers=2)
        assert list(parts) == list(want)


def test_a_query_reading_the_line_or_a_nested_field_decodes_every_kept_line(telemetry):
    """``@rawstring`` and a flattened name (``a.b``) are not columns: such a
    query reads whole events, as before, with the same rows."""
    for query in ["#event_simpleName=ProcessRollup2 @rawstring=/cmd/i", "a.b=*"]:
        compiled = cqlmatch.compile(query)
        got = compiled.run(str(telemetry), workers=1)
        assert list(got) == list(compiled.run(str(telemetry), "reference", workers=1))
    assert not cqlmatch.compile("@rawstring=/cmd/").plan.filter_columns

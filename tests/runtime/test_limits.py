"""Resource limits: groupBy's group limit, top()'s row and group limits and
collect()'s value and memory caps, the same on both engines, with warnings
when reached.  Memory bounds are shown by counts (groups kept, values kept,
bytes kept), not by measuring RSS."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

import cqlmatch
from cqlmatch.functions import select, stages
from cqlmatch.runtime.engine import VMEngine
from cqlmatch.semantics.checked import LIMIT_MAXIMA

ENGINES = ("vm", "reference")


def run_both(text: str, events: list[dict]) -> tuple[list[dict], list[tuple[str, str]]]:
    """Rows and warnings, asserted equal on both engines."""
    query = cqlmatch.compile(text)
    results = []
    for engine in ENGINES:
        rows = query.run(events, engine=engine)
        results.append((rows, list(rows.warnings)))
    assert results[0] == results[1], text
    return results[0]


def codes(warnings: list[tuple[str, str]]) -> list[str]:
    return [code for code, _ in warnings]


# --- groupBy ----------------------------------------------------------------------------------


def test_groupby_default_limit_is_20000_groups() -> None:
    events = [{"k": str(i)} for i in range(20_050)] + [{"k": "0"}, {"k": "20049"}]
    rows, warnings = run_both("groupBy(k)", events)
    assert len(rows) == 20_000
    assert rows[0] == {"k": "0", "_count": "2"}  # later events of a kept group still count
    assert rows[-1] == {"k": "19999", "_count": "1"}
    assert all(row["k"] != "20049" for row in rows)
    assert codes(warnings) == ["W401"]
    assert "limit of 20000 groups" in warnings[0][1]


def test_groupby_limit_bounds_the_groups_held() -> None:
    # 50 times more distinct keys than the limit: the rows (the groups held)
    # stay at the limit, and the counts of the kept groups keep growing.
    keys = [f"k{i}" for i in range(10)] + [f"new{i}" for i in range(500)]
    events = [{"k": k} for k in keys] + [{"k": "k3"}] * 7
    rows, warnings = run_both("groupBy(k, limit=10)", events)
    assert [row["k"] for row in rows] == keys[:10]
    assert rows[3] == {"k": "k3", "_count": "8"}
    assert codes(warnings) == ["W401"]


def test_groupby_limit_max_is_one_million() -> None:
    query = cqlmatch.compile("groupBy(k, limit=max)")
    program = VMEngine(query.checked).program
    assert program.group is not None and program.group.limit == 1_000_000
    assert stages.GROUP_LIMIT_MAX == 1_000_000 == LIMIT_MAXIMA["groupBy"]
    rows, warnings = run_both("groupBy(k, limit=max)", [{"k": "a"}, {"k": "b"}])
    assert len(rows) == 2 and warnings == []


@pytest.mark.parametrize(
    ("text", "column", "maximum"),
    [
        ("groupBy(k, limit=1000001)", 18, "1,000,000"),
        ("top(k, limit=20001)", 14, "20,000"),
    ],
)
def test_limits_above_the_maximum_are_errors(text: str, column: int, maximum: str) -> None:
    with pytest.raises(cqlmatch.CQLCompileError) as info:
        cqlmatch.compile(text)
    d = info.value.diagnostics[0]
    assert (d.code, d.span.line, d.span.column) == ("E207", 1, column)
    assert f"at most {maximum}" in d.message and d.expected == "limit=max"


def test_limits_at_the_maximum_compile() -> None:
    for text in ("groupBy(k, limit=1000000)", "top(k, limit=20000)", "sort(k, limit=50000)"):
        cqlmatch.compile(text)


# --- top -----------------------------------------------------------------------------------


def test_top_limit_max_keeps_20000_rows() -> None:
    events = [{"k": str(i)} for i in range(20_010)] + [{"k": "5"}]
    rows, _ = run_both("top(k, limit=max)", events)
    assert len(rows) == 20_000
    assert rows[0] == {"k": "5", "_count": "2"}


def test_top_counts_a_bounded_number_of_groups(monkeypatch) -> None:
    monkeypatch.setattr(select, "TOP_GROUPS_MAX", 3)
    events = [{"k": k} for k in "abcdeabca"]
    rows, warnings = run_both('top(k, limit=2, rest="other")', events)
    assert rows == [
        {"k": "a", "_count": "3"},
        {"k": "b", "_count": "2"},
        {"k": "other", "_count": "2"},  # c; d and e were never counted
    ]
    assert codes(warnings) == ["W402"]


# --- collect --------------------------------------------------------------------------------


def test_collect_keeps_at_most_limit_values() -> None:
    events = [{"v": f"x{i}"} for i in range(50)] + [{"v": "x1"}]
    rows, warnings = run_both("collect(v, limit=5)", events)
    assert rows == [{"v": "\n".join(f"x{i}" for i in range(5))}]
    assert codes(warnings) == ["W410"]


def test_collect_inside_groupby_keeps_at_most_one_mebibyte() -> None:
    value = "v" * 10_000
    events = [{"g": "a", "v": f"{i:05d}{value}"} for i in range(300)]  # 3 MB of distinct values
    rows, warnings = run_both("groupBy(g, function=collect(v))", events)
    kept = rows[0]["v"].split("\n")
    assert len(kept) == (1 << 20) // 10_005
    assert sum(len(v) for v in kept) <= 1 << 20
    assert codes(warnings) == ["W410"] and "1 MiB" in warnings[0][1]


def test_collect_as_a_stage_keeps_at_most_ten_mebibytes() -> None:
    value = "w" * 100_000
    events = [{"v": f"{i:05d}{value}"} for i in range(120)]  # 12 MB of distinct values
    rows, warnings = run_both("collect(v)", events)
    kept = rows[0]["v"].split("\n")
    assert len(kept) == (10 << 20) // 100_005
    assert codes(warnings) == ["W410"] and "10 MiB" in warnings[0][1]


# --- workers --------------------------------------------------------------------------------


def _workers_used(monkeypatch, tmp_path, cores: int, workers: int | None) -> list[int]:
    """The worker counts a run over a file passes to the parallel planner
    when the process may use ``cores`` cores."""
    from cqlmatch.runtime import parallel

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    asked: list[int] = []
    monkeypatch.setattr(parallel, "plan_parts", lambda paths, n, fast=False: asked.append(n))
    path = tmp_path / "events.ndjson"
    path.write_text('{"k": "a"}\n{"k": "b"}\n')
    rows = cqlmatch.compile("k=*").run(path, workers=workers)
    assert len(rows) == 2
    return asked


def test_workers_are_capped_at_the_cores_available(monkeypatch, tmp_path, caplog) -> None:
    # --workers 1000 on 2 cores started 47 processes and used 5.7 GB.
    with caplog.at_level(logging.WARNING, logger="cqlmatch"):
        assert _workers_used(monkeypatch, tmp_path, 2, 1000) == [2]
    assert [r.getMessage() for r in caplog.records] == [
        "cqlmatch: 1000 workers asked for, 2 used (the cores available)"
    ]


def test_workers_default_to_the_cores_available(monkeypatch, tmp_path, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="cqlmatch"):
        assert _workers_used(monkeypatch, tmp_path, 3, None) == [3]
        assert _workers_used(monkeypatch, tmp_path, 3, 2) == [2]
    assert caplog.records == []


def test_cli_notes_the_capped_workers_on_standard_error(tmp_path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text('{"k": "a"}\n')
    cores = len(os.sched_getaffinity(0))
    done = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "run", "-", str(path), "--workers", "1000"],
        input="k=*",
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"1000 workers asked for, {cores} used" in done.stderr
    assert "a" in done.stdout

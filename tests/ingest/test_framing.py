"""Garbage lines are counted with the prefilter on: the scan checks the JSON
framing of every line it rules out and keeps those not framed as an object,
so the decoder reports them (Reliability II: a file with 5% garbage lines
reported "0 malformed" before)."""

from __future__ import annotations

import random

import pytest

import cqlmatch
from cqlmatch.cli.commands import main
from cqlmatch.synth.gen import generate_lines

from ..conftest import SEED

GARBAGE = [
    b"garbage line without any brace",
    b'{"event_simpleName":"ProcessRollup2","aid":"cut short',
    b'"event_simpleName":"DnsRequest"}',
    b"[1, 2, 3]",
    b"\x00\x01\x02",
    b"<14>Dec  5 20:00:00 host syslog header before JSON",
    b"   \t  42   ",
]

QUERIES = {
    "seed": SEED.read_text(encoding="utf-8"),
    # a native groupBy: column batches, when the reader may make them
    "grouped": "#event_simpleName=ProcessRollup2 | groupBy([ComputerName])",
    "count": "#event_simpleName=DnsRequest | count()",
}


def dirty_file(tmp_path, share: float = 0.05) -> tuple[bytes, list[int]]:
    """Generated telemetry with ``share`` of its lines replaced by garbage,
    and the garbage lines' numbers."""
    pick = random.Random(5)
    lines = list(generate_lines(6000, seed=21, malicious_rate=0.01))
    bad: list[int] = []
    for index in range(len(lines)):
        if pick.random() < share:
            lines[index] = pick.choice(GARBAGE) + b"\n"
            bad.append(index + 1)
    return b"".join(lines), bad


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_garbage_line_is_reported_with_the_prefilter_on(tmp_path, name) -> None:
    data, bad = dirty_file(tmp_path)
    path = tmp_path / "dirty.ndjson"
    path.write_bytes(data)
    query = cqlmatch.compile(QUERIES[name])
    full = query.run(str(path), prefilter=False, workers=1)
    scanned = query.run(str(path), workers=1)
    assert scanned == full
    assert len(bad) > 200
    assert [m.line_number for m in full.malformed] == bad[: len(full.malformed)]
    assert full.malformed_count == len(bad)
    assert scanned.malformed_count == len(bad)
    assert [m.line_number for m in scanned.malformed] == [m.line_number for m in full.malformed]
    assert scanned.stats.skipped > 0  # the prefilter did rule lines out
    stats = scanned.stats
    assert stats.lines == stats.skipped + stats.blank + stats.events + stats.malformed


def test_two_workers_report_the_same_garbage(tmp_path) -> None:
    data, bad = dirty_file(tmp_path)
    path = tmp_path / "dirty.ndjson"
    path.write_bytes(data * 40)  # big enough to be split
    query = cqlmatch.compile(QUERIES["grouped"])
    one = query.run(str(path), workers=1)
    two = query.run(str(path), workers=2)
    assert sorted(map(str, one)) == sorted(map(str, two))
    assert one.malformed_count == two.malformed_count == 40 * len(bad)


def test_stats_say_what_was_checked_by_framing_only(tmp_path, capsys) -> None:
    data, bad = dirty_file(tmp_path)
    events = tmp_path / "dirty.ndjson"
    events.write_bytes(data)
    query = tmp_path / "q.cql"
    query.write_text(QUERIES["count"], encoding="utf-8")
    assert main(["run", str(query), str(events), "--stats", "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert f"{len(bad):,} malformed;" in err
    assert "skipped by the prefilter, their JSON framing checked only" in err
    assert f"dirty.ndjson:{bad[0]}: " in err

"""Reliability II, items 1 and 4 on the embedding and streaming paths: a
lone surrogate escape or a NaN/Infinity makes the line malformed (reported,
skipped); ``Matcher.feed`` never raises for it and ``cqlmatch stream`` goes on
with the events after it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cqlmatch

BAD = [b'{"CommandLine":"A\\ud800"}', b'{"CommandLine":NaN}', b'{"CommandLine":"x","v":Infinity}']
GOOD = b'{"CommandLine":"later"}'
QUERIES = ["CommandLine=*", 'CommandLine=* | CommandLine := "y"', 'CommandLine=* | x := "1"']


@pytest.mark.parametrize("text", QUERIES)
def test_feed_reports_them_and_keeps_later_events(text: str) -> None:
    matcher = cqlmatch.Matcher(text)
    for bad in BAD:
        assert matcher.feed(bad + b"\n" + GOOD + b"\n")
    assert matcher.malformed_count == len(BAD)
    assert [m.line_number for m in matcher.malformed] == [1, 3, 5]
    assert "lone surrogate escape in a string" in matcher.malformed[0].reason
    assert "not a JSON number" in matcher.malformed[1].reason


def test_match_refuses_such_values() -> None:
    matcher = cqlmatch.Matcher("CommandLine=*")
    with pytest.raises(ValueError, match="not a JSON number"):
        matcher.match({"CommandLine": float("nan")})
    got = list(matcher.match_many([{"CommandLine": float("inf")}, {"CommandLine": "ok"}]))
    assert got == [None, {"CommandLine": "ok"}]
    assert matcher.malformed_count == 1


@pytest.mark.parametrize("text", QUERIES)
def test_stream_goes_on_after_them(tmp_path: Path, text: str) -> None:
    rule = tmp_path / "q.cql"
    rule.write_text(text, encoding="utf-8")
    data = b"".join(bad + b"\n" + GOOD + b"\n" for bad in BAD)
    proc = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", str(rule)],
        input=data,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]
    assert len(out) == len(BAD)
    assert all(row["CommandLine"] in ("later", "y") for row in out)
    err = proc.stderr.decode()
    assert "line 1: lone surrogate escape in a string" in err
    assert "6 line(s), 3 kept, 3 malformed" in err

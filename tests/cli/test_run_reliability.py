"""Reliability II through ``cqlmatch run``: bad values, incomplete input,
lost workers and SIGTERM end with a message and a documented status,
never a traceback, a hang or silently missing events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cqlmatch.cli.commands import EXIT_OK, main

SURROGATE_LINE = b'{"CommandLine":"A\\ud800"}\n'
NAN_LINE = b'{"CommandLine":NaN}\n'
GOOD_LINE = b'{"CommandLine":"B"}\n'


@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "csv"])
def test_lone_surrogates_and_nan_are_malformed_in_every_format(
    fmt: str, tmp_path: Path, capsysbinary
) -> None:
    query = tmp_path / "q.cql"
    query.write_text("CommandLine=*", encoding="utf-8")
    events = tmp_path / "e.ndjson"
    events.write_bytes(SURROGATE_LINE + GOOD_LINE + NAN_LINE + GOOD_LINE)
    status = main(["run", str(query), str(events), "--format", fmt, "--workers", "1"])
    out, err = capsysbinary.readouterr()
    assert status == EXIT_OK
    text = out.decode("utf-8")  # valid UTF-8
    assert text.count("B") == 2 and "NaN" not in text
    if fmt == "json":
        assert json.loads(text) == [{"CommandLine": "B"}] * 2
    assert b"2 malformed line(s) skipped: 1, 3" in err
    assert b"lone surrogate escape in a string" in err

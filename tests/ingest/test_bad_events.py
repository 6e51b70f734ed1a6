"""Bad events (issue 7, docs/semantics.md "Bad input lines"): a generated file
with every kind of bad line mixed in gives exactly the results of the same
file without them, on both engines, with the prefilter on and off, with one
and two workers; bad lines are reported with their numbers, or stop the run
under ``on_error="fail"``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.errors import BadEventError
from cqlmatch.limits import MALFORMED_KEPT
from cqlmatch.runtime import parallel
from cqlmatch.synth.gen import generate_lines

from ..conftest import ROOT

CORRECTED = (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")
QUERIES = {
    "corrected": CORRECTED,
    "per_event": "#event_simpleName=ProcessRollup2 FileName=/^(powershell|cmd)\\.exe$/i",
    "group": "#event_simpleName=DnsRequest | groupBy(event_platform, function=count(DomainName))",
    "sort": "#event_simpleName=UserLogon | sort(ContextTimeStamp, limit=9)",
}
LIMIT = 2 << 20  # max_line_bytes for these runs: lines above it are not read

# Lines that are not events: each is counted and reported (the prefilter may
# rule out those without its literals first).  All hold "ProcessRollup2" or
# "DnsRequest" so that the prefilter passes most of them on.
MALFORMED = {
    "invalid JSON": b'{"event_simpleName":"ProcessRollup2",}',
    "truncated": b'{"event_simpleName":"ProcessRollup2","FileName":"cmd.ex',
    "invalid UTF-8": b'{"event_simpleName":"ProcessRollup2","FileName":"\xff\xfe.exe"}',
    "lone surrogate byte": b'{"event_simpleName":"DnsRequest","DomainName":"\xed\xa0\x80"}',
    "BOM off line 1": b'\xef\xbb\xbf{"event_simpleName":"ProcessRollup2"}',
    "array": b'["ProcessRollup2","DnsRequest"]',
    "string": b'"DnsRequest"',
    "number": b"42",
    "null": b"null",
    "NUL bytes": b"\x00\x00ProcessRollup2\x00",
    "plain text": b"ProcessRollup2 DnsRequest are event types",
    "too deep": b'{"event_simpleName":"DnsRequest","a":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "over the line limit": b'{"event_simpleName":"DnsRequest","x":"' + b"y" * LIMIT + b'"}',
}
# Lines that are events but produce no output for the queries above: the
# value types a string field may have, duplicate keys (the last one wins),
# a line over LogScale's 1 MB event limit, a field of several megabytes.
PROCESSED = {
    "number type": b'{"event_simpleName":7,"FileName":"cmd.exe"}',
    "boolean type": b'{"event_simpleName":true,"FileName":"cmd.exe"}',
    "null type": b'{"event_simpleName":null,"FileName":"cmd.exe"}',
    "object type": b'{"event_simpleName":{"x":"ProcessRollup2"},"FileName":"cmd.exe"}',
    "array type": b'{"event_simpleName":["DnsRequest"],"DomainName":"a.example"}',
    "duplicate keys": (
        b'{"event_simpleName":"ProcessRollup2","FileName":"cmd.exe",'
        b'"ParentBaseFileName":"msiexec.exe","CommandLine":"cmd /c whoami",'
        b'"event_simpleName":"NotAnEventType"}'
    ),
    "over 1 MB": b'{"event_simpleName":"ProcessRollup2Stats","pad":"' + b"p" * 1_200_000 + b'"}',
    "field of megabytes": (
        b'{"event_simpleName":"DnsRequestStats","DomainName":"' + b"d" * (LIMIT - 100) + b'"}'
    ),
    "blank": b"   \t ",
    "empty": b"",
    "lone CR": b"\r",
}


def _files(tmp_path: Path) -> tuple[Path, Path, list[int]]:
    clean = list(generate_lines(2500, seed=77, malicious_rate=0.03))
    dirty: list[bytes] = [b"\xef\xbb\xbf"]  # a byte-order mark starts the file
    bad_numbers: list[int] = []
    malformed = list(MALFORMED.values())
    processed = list(PROCESSED.values())
    for i, line in enumerate(clean):
        if i % 61 == 5:
            dirty.append(malformed[(i // 61) % len(malformed)] + b"\n")
            bad_numbers.append(len(dirty) - 1)  # the BOM shares line 1
        if i % 67 == 9:
            dirty.append(processed[(i // 67) % len(processed)] + b"\n")
        dirty.append(line[:-1] + b"\r\n" if i % 4 == 0 else line)  # CRLF line ends
    assert len(bad_numbers) > 2 * len(malformed)
    clean_path, dirty_path = tmp_path / "clean.ndjson", tmp_path / "dirty.ndjson"
    clean_path.write_bytes(b"".join(clean))
    dirty_path.write_bytes(b"".join(dirty))
    return clean_path, dirty_path, bad_numbers


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path, list[int]]:
    return _files(tmp_path_factory.mktemp("bad_events"))


@pytest.mark.parametrize("name", list(QUERIES))
def test_bad_lines_mixed_in_change_no_result(files, name, monkeypatch) -> None:
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 18)  # two workers really split
    clean, dirty, bad_numbers = files
    query = cqlmatch.compile(QUERIES[name])
    expected = query.run(clean, engine="reference")
    assert expected
    for engine in ("vm", "reference"):
        for prefilter in (True, False):
            for workers in (1, 2):
                rows = query.run(
                    dirty,
                    engine=engine,
                    prefilter=prefilter,
                    workers=workers,
                    max_line_bytes=LIMIT,
                )
                where = (engine, prefilter, workers)
                assert rows == expected, where
                reported = [m.line_number for m in rows.malformed]
                assert rows.malformed_count == len(reported)
                if prefilter:
                    assert set(reported) <= set(bad_numbers), where
                else:
                    assert reported == bad_numbers, where
                assert rows.stats.lines == dirty.read_bytes().count(b"\n"), where


def test_each_kind_of_bad_line_is_reported_with_a_reason() -> None:
    query = cqlmatch.compile("#event_simpleName=DnsRequest | count()")
    lines = [json.dumps({"event_simpleName": "DnsRequest"}).encode(), *MALFORMED.values()]
    data = b"\n".join(lines) + b"\n"
    rows = query.run(data, prefilter=False, max_line_bytes=LIMIT)
    assert rows == [{"_count": "1"}]
    assert [m.line_number for m in rows.malformed] == list(range(2, len(lines) + 1))
    reasons = {kind: m.reason for kind, m in zip(MALFORMED, rows.malformed, strict=True)}
    assert "UTF-8" in reasons["invalid UTF-8"]
    assert "not a JSON object" in reasons["array"]
    assert "longer than the limit" in reasons["over the line limit"]
    assert all(reasons.values())


def test_processed_kinds_give_their_documented_values() -> None:
    query = cqlmatch.compile("FileName=cmd.exe | table([event_simpleName, event_simpleName.x])")
    data = b"\n".join(PROCESSED[k] for k in ("number type", "boolean type", "null type"))
    assert query.run(data + b"\n" + PROCESSED["object type"]) == [
        {"event_simpleName": "7"},
        {"event_simpleName": "true"},
        {"event_simpleName": "null"},
        {"event_simpleName.x": "ProcessRollup2"},
    ]
    last = cqlmatch.compile("FileName=cmd.exe | table([event_simpleName])")
    assert last.run([PROCESSED["duplicate keys"]]) == [{"event_simpleName": "NotAnEventType"}]
    big = cqlmatch.compile("#event_simpleName=DnsRequestStats | length(DomainName)")
    assert big.run([PROCESSED["field of megabytes"]])[0]["_length"] == str(LIMIT - 100)


def test_fail_stops_at_the_first_bad_line(files) -> None:
    _, dirty, bad_numbers = files
    query = cqlmatch.compile(CORRECTED)
    for engine in ("vm", "reference"):
        with pytest.raises(BadEventError) as caught:
            query.run(dirty, engine=engine, on_error="fail", max_line_bytes=LIMIT)
        assert caught.value.line_number == bad_numbers[0]
        assert str(caught.value).startswith(f"{dirty}:{bad_numbers[0]}: bad event: ")


def test_only_the_first_bad_lines_are_kept_but_all_are_counted() -> None:
    query = cqlmatch.compile("x=1 | count()")
    lines = [b"nope"] * (MALFORMED_KEPT + 50) + [b'{"x":1}']
    rows = query.run(lines)
    assert rows == [{"_count": "1"}]
    assert rows.malformed_count == MALFORMED_KEPT + 50
    assert len(rows.malformed) == MALFORMED_KEPT


def test_unknown_policy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="on_error must be one of skip, fail"):
        cqlmatch.compile("x=1").run([], on_error="ignore")

"""Many inputs, one run: files, directories and patterns read in order as one
input, plain, gzip and zstd mixed, line numbers per file."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

import cqlmatch
from cqlmatch.ingest.sources import InputError, Inputs, as_inputs, compression_of
from cqlmatch.runtime import parallel
from cqlmatch.synth.gen import generate_lines

from ..conftest import ROOT

CORRECTED = (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")
COUNT = "#event_simpleName=ProcessRollup2 | groupBy(FileName) | sort(_count, limit=5)"
EVENTS = "#event_simpleName=ProcessRollup2 FileName=cmd.exe | select([aid, CommandLine])"


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> tuple[Path, bytes]:
    """A dump directory of three files (plain, gzip, zstd) and their
    concatenation, as a Data Replicator folder holds them."""
    root = tmp_path_factory.mktemp("dump")
    lines = list(generate_lines(3000, seed=5, malicious_rate=0.02))
    parts = [b"".join(lines[:1000]), b"".join(lines[1000:2000]), b"".join(lines[2000:])]
    folder = root / "fdr" / "2026-12-01"
    folder.mkdir(parents=True)
    (folder / "a.ndjson").write_bytes(parts[0])
    (folder / "b.ndjson.gz").write_bytes(gzip.compress(parts[1]))
    (folder / "c.ndjson.zst").write_bytes(zstandard.ZstdCompressor().compress(parts[2]))
    (folder / ".hidden").write_bytes(b"not an event\n")
    whole = root / "whole.ndjson"
    whole.write_bytes(b"".join(parts))
    return folder, whole.read_bytes()


def test_a_directory_is_its_files_in_order(dump) -> None:
    folder, _ = dump
    assert [Path(p).name for p in Inputs(folder)] == ["a.ndjson", "b.ndjson.gz", "c.ndjson.zst"]


def test_patterns_and_order_as_given(dump) -> None:
    folder, _ = dump
    names = [Path(p).name for p in Inputs(folder / "c.*", folder / "*.ndjson")]
    assert names == ["c.ndjson.zst", "a.ndjson"]
    recursive = Inputs(str(folder.parent) + "/**/*.gz")
    assert [Path(p).name for p in recursive] == ["b.ndjson.gz"]


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.ndjson", "no such file"), ("nothing-*.ndjson", "no file matches")],
)
def test_a_missing_input_fails_before_any_work(tmp_path, name, message) -> None:
    present = tmp_path / "present.ndjson"
    present.write_bytes(b"{}\n")
    with pytest.raises(InputError, match=message):
        Inputs(present, tmp_path / name)


def test_an_empty_directory_is_an_error(tmp_path) -> None:
    with pytest.raises(InputError, match="holds no file"):
        Inputs(tmp_path)
    with pytest.raises(InputError, match="no input"):
        Inputs()


def test_plain_strings_in_a_list_stay_lines(dump) -> None:
    folder, _ = dump
    assert as_inputs(['{"a":"1"}']) is None
    assert as_inputs("events.ndjson") is None
    inputs = as_inputs([folder / "a.ndjson", folder / "b.ndjson.gz"])
    assert inputs is not None and len(inputs) == 2


@pytest.mark.parametrize("query", [CORRECTED, COUNT, EVENTS])
@pytest.mark.parametrize("workers", [1, 2])
def test_many_files_give_the_rows_of_their_concatenation(dump, query, workers, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 12)  # small files still split
    folder, whole = dump
    compiled = cqlmatch.compile(query)
    expected = compiled.run(whole, workers=1)
    assert expected
    got = compiled.run(Inputs(folder), workers=workers)
    assert got == expected
    assert got.stats.lines == whole.count(b"\n")
    assert got == compiled.run(sorted(Path(folder).iterdir())[1:], workers=workers)


def test_malformed_lines_are_numbered_per_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 10)
    good = b'{"event_simpleName":"DnsRequest","x":"1"}\n'
    first = tmp_path / "1.ndjson"
    second = tmp_path / "2.ndjson.gz"
    first.write_bytes(good * 100 + b"not json\n" + good * 100)
    second.write_bytes(gzip.compress(good * 3 + b"{broken\n" + good))
    query = cqlmatch.compile("groupBy(x)")
    assert query.plan.splits
    for workers in (1, 2):
        rows = query.run(Inputs(first, second), workers=workers, prefilter=False)
        assert rows == [{"x": "1", "_count": "204"}]
        assert [(m.source, m.line_number) for m in rows.malformed] == [
            (str(first), 101),
            (str(second), 4),
        ]
        assert repr(rows.malformed[0]) == f"{first}:101: " + rows.malformed[0].reason
    with pytest.raises(cqlmatch.errors.BadEventError, match=rf"{second}:4: bad event"):
        query.run(Inputs(second, first), on_error="fail", workers=1)


def test_a_run_owns_its_state(dump) -> None:
    """Two runs of one compiled query keep their counts apart: the query
    holds none of them."""
    folder, whole = dump
    query = cqlmatch.compile(COUNT)
    small = query.run(whole[: whole.index(b"\n") + 1], workers=1)
    large = query.run(Inputs(folder), workers=1)
    assert small.stats.lines == 1 and large.stats.lines == 3000
    assert not hasattr(query, "malformed") and not hasattr(query, "stats")


def test_magic_bytes() -> None:
    assert compression_of(gzip.compress(b"x")) == "gzip"
    assert compression_of(zstandard.ZstdCompressor().compress(b"x")) == "zstd"
    assert compression_of(b'{"a":1}') is None


def test_cli_runs_many_paths(dump, tmp_path) -> None:
    folder, whole = dump
    joined = tmp_path / "joined.ndjson"
    joined.write_bytes(whole)
    rule = ROOT / "rules" / "t1546_016.cql"

    def run(*paths: object) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "cqlmatch", "run", str(rule), *map(str, paths)]
        return subprocess.run([*argv, "--format", "ndjson"], capture_output=True, timeout=120)

    many = run(folder / "a.ndjson", folder / "b.ndjson.gz", folder / "*.zst")
    assert many.returncode == 0, many.stderr
    assert many.stdout == run(joined).stdout and many.stdout
    missing = run(folder, tmp_path / "nope.ndjson")
    assert missing.returncode == 2
    assert b"nope.ndjson: no such file or directory" in missing.stderr

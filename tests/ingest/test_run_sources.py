"""``CompiledQuery.run`` reads through the ingestion layer: every source kind
gives the same rows, only aggregating native queries decode a subset of
the fields, the prefilter never changes a result, and ``stats`` counts the
lines."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest
import zstandard

import cqlmatch
from cqlmatch.synth.gen import generate_lines

from ..conftest import CORPUS, ROOT, SEED
from .test_ingest import ADVERSARIAL

CORRECTED = (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")
AS_WRITTEN = SEED.read_text(encoding="utf-8")

# Corpus queries that select events the generator writes, one per shape:
# non-native groupBy (collect), top(), a slow path before groupBy, native
# groupBy then drop(), head(), per-event output, groupBy then sort(),
# groupBy(limit=max), a regex filter before eval stages, @rawstring in table().
CORPUS_IDS = (
    "q4d3a0759d1ac",
    "qbff248fa9908",
    "q115b3c040ed7",
    "q5522e9e168c1",
    "qe123a3ebd5be",
    "q9e7d00b7b559",
    "q758b3127c981",
    "q6e864d032aad",
    "q8a5070719abc",
    "q30c224dfdab2",
)


def corpus_queries() -> dict[str, str]:
    found = {}
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if record["id"] in CORPUS_IDS:
                found[record["id"]] = record["query"]
    assert sorted(found) == sorted(CORPUS_IDS)
    return found


QUERIES = {"corrected": CORRECTED, "as_written": AS_WRITTEN, **corpus_queries()}


def generated(mix: str, events: int = 3000, seed: int = 11) -> bytes:
    """A generated file with the prefilter's adversarial lines spread through it."""
    lines = list(generate_lines(events, seed=seed, mix=mix, malicious_rate=0.02))
    extra = [line + b"\n" for line, _ in ADVERSARIAL]
    out: list[bytes] = []
    for i, line in enumerate(lines):
        out.append(line)
        if i % 101 == 0:
            out.append(extra[(i // 101) % len(extra)])
    return b"".join(out)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("run_sources")
    out = {}
    for mix in ("realistic", "worst"):
        path = folder / f"{mix}.ndjson"
        path.write_bytes(generated(mix))
        out[mix] = path
    return out


@pytest.mark.parametrize("mix", ["realistic", "worst"])
@pytest.mark.parametrize("name", list(QUERIES))
def test_prefilter_never_changes_a_result(files, mix: str, name: str) -> None:
    query = cqlmatch.compile(QUERIES[name])
    path = files[mix]
    results = {}
    for engine in ("vm", "reference"):
        for prefilter in (True, False):
            rows = query.run(path, engine=engine, prefilter=prefilter, workers=1)
            results[engine, prefilter] = (rows, list(rows.warnings))
            lines = path.read_bytes().count(b"\n")
            # (a head() first among the aggregate stages stops reading early)
            assert rows.stats.lines == lines if rows.read_all else rows.stats.lines < lines
            if not prefilter:
                assert rows.stats.skipped == 0
    first = results["vm", True]
    assert all(result == first for result in results.values()), name
    if name in ("corrected", "q9e7d00b7b559", "q5522e9e168c1"):
        assert first[0], "the query selects generated events"


def test_the_prefilter_skips_lines_of_the_corrected_rule(files) -> None:
    query = cqlmatch.compile(CORRECTED)
    stats = query.run(files["realistic"], workers=1).stats
    assert stats.skipped > stats.lines // 4
    assert stats.lines == stats.skipped + stats.blank + stats.events + stats.malformed
    assert stats.decoded == stats.events + stats.malformed


# --- every source kind -------------------------------------------------------------------


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


SOURCE_KINDS = [
    "path",
    "str-path",
    "gzip",
    "zstd",
    "stdin",
    "bytes",
    "binary-file",
    "text-file",
    "str-lines",
    "bytes-lines",
    "dicts",
]


def _source(kind: str, data: bytes, tmp_path: Path, monkeypatch):
    if kind in ("path", "str-path"):
        path = tmp_path / "events.ndjson"
        path.write_bytes(data)
        return path if kind == "path" else str(path)
    if kind == "gzip":
        path = tmp_path / "events.ndjson.gz"
        path.write_bytes(gzip.compress(data))
        return path
    if kind == "zstd":
        path = tmp_path / "events.ndjson.zst"
        path.write_bytes(zstandard.ZstdCompressor().compress(data))
        return path
    if kind == "stdin":
        monkeypatch.setattr(sys, "stdin", _Stdin(data))
        return "-"
    if kind == "bytes":
        return data
    if kind == "binary-file":
        return io.BytesIO(data)
    if kind == "text-file":
        return io.StringIO(data.decode("utf-8"))
    if kind == "str-lines":
        return [line.decode("utf-8") for line in data.splitlines(keepends=True)]
    if kind == "bytes-lines":
        return data.splitlines()
    assert kind == "dicts"
    return [json.loads(line) for line in data.splitlines()]


@pytest.mark.parametrize("kind", SOURCE_KINDS)
@pytest.mark.parametrize("name", ["corrected", "q9e7d00b7b559", "q758b3127c981"])
def test_every_source_kind_gives_the_same_rows(kind, name, tmp_path, monkeypatch) -> None:
    data = b"".join(generate_lines(1500, seed=4, malicious_rate=0.03))
    query = cqlmatch.compile(QUERIES[name])
    expected = query.run([json.loads(line) for line in data.splitlines()], engine="reference")
    assert expected
    source = _source(kind, data, tmp_path, monkeypatch)
    rows = query.run(source, workers=1)
    assert rows == expected
    assert rows.stats.events + rows.stats.skipped == 1500
    assert rows.malformed_count == 0


def test_dicts_and_lines_agree_on_rawstring() -> None:
    """@rawstring is the line for NDJSON and the compact JSON for a dict."""
    query = cqlmatch.compile("x=1 | table([@rawstring])")
    assert query.run([b'{"x": 1}']) == [{"@rawstring": '{"x": 1}'}]
    assert query.run([{"x": 1}]) == [{"@rawstring": '{"x":1}'}]


# --- which fields are decoded -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "engine", "needs_all"),
    [
        (CORRECTED, "vm", False),  # native per-event code and groupBy
        (CORRECTED, "reference", True),  # the interpreter may read anything
        ("#event_simpleName=ProcessRollup2 | groupBy(FileName)", "vm", False),
        ("#event_simpleName=ProcessRollup2", "vm", True),  # whole events are the output
        ("#event_simpleName=ProcessRollup2 | head(5)", "vm", True),
        ("cmd.exe | count()", "vm", True),  # free text reads every field
        ("cmd.exe | groupBy(aid)", "vm", True),
        ("x := lower(FileName) | groupBy(x)", "vm", True),  # a slow-path stage
        ("groupBy(@rawstring)", "vm", True),
        ("groupBy(aid, function=collect(FileName))", "vm", True),  # not a native plan
    ],
)
def test_which_queries_decode_every_field(text, engine, needs_all) -> None:
    plan = cqlmatch.compile(text).plan
    assert (engine == "reference" or plan.decode_all) is needs_all
    assert plan.columns is not needs_all or engine == "reference"


def test_a_subset_decode_gives_the_rows_of_a_full_decode(files) -> None:
    """groupBy over fields the program knows: subset and full decoding agree."""
    text = "#event_simpleName=ProcessRollup2 | groupBy([FileName, #event_simpleName])"
    query = cqlmatch.compile(text)
    assert query.plan.decode_all is False
    subset = query.run(files["worst"], workers=1)
    assert subset == query.run(files["worst"], engine="reference")
    assert len(subset) > 3


def test_stats_count_malformed_lines_and_blank_ones() -> None:
    query = cqlmatch.compile("#event_simpleName=ProcessRollup2 | count()")
    data = (
        b'{"event_simpleName":"ProcessRollup2"}\n'
        b"\n"
        b'{"event_simpleName":"ProcessRollup2",\n'  # truncated: holds the literal
        b'{"event_simpleName":"DnsRequest"}\n'
        b"not json\n"
    )
    rows = query.run(data, prefilter=False)
    assert rows == [{"_count": "1"}]
    assert rows.stats.as_dict() == {
        "lines": 5,
        "skipped": 0,
        "blank": 1,
        "events": 2,
        "malformed": 2,
    }
    assert [m.line_number for m in rows.malformed] == [3, 5]
    rows = query.run(data)
    assert rows == [{"_count": "1"}]
    # The prefilter skips the blank line and the other event type; the
    # lines not framed as objects are decoded and reported all the same.
    assert rows.stats.as_dict() == {
        "lines": 5,
        "skipped": 2,
        "blank": 0,
        "events": 1,
        "malformed": 2,
    }
    assert [m.line_number for m in rows.malformed] == [3, 5]
    assert rows.events_read == 1

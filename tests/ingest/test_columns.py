"""ColumnDecoder: batches of NDJSON lines to the VM's columns.

The fast path must give exactly what decoding line by line gives
(``ingest.Decoder`` then ``vm.columns_of``), and decline every batch where
it could not be sure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.ingest.columns import ColumnDecoder, columns_of
from cqlmatch.ingest.decode import Decoder
from cqlmatch.ingest.reader import read_events
from cqlmatch.lang.events import Event
from cqlmatch.runtime.engine import VMEngine
from cqlmatch.synth.gen import generate_lines

RULE = Path(__file__).resolve().parents[2] / "rules" / "t1546_016.cql"


def _engine(text: str) -> VMEngine:
    compiled = cqlmatch.compile(text)
    return VMEngine(compiled.checked, compiled.tables)


def _by_lines(engine: VMEngine, lines: list[bytes]) -> tuple[list, ...]:
    decoder = Decoder(engine.program.fields)
    return columns_of(engine.program, [decoder.decode(line) for line in lines], share=False)


@pytest.mark.parametrize("mix", ["realistic", "worst"])
def test_columns_equal_line_by_line_decoding(mix: str) -> None:
    engine = _engine(RULE.read_text(encoding="utf-8"))
    lines = [line.rstrip(b"\n") for line in generate_lines(3000, seed=21, mix=mix)]
    decoder = ColumnDecoder(engine.program)
    for start in range(0, len(lines), 700):
        batch = lines[start : start + 700]
        got = decoder.decode(batch)
        assert got is not None
        assert got.columns == _by_lines(engine, batch)
        assert got.raws is None and got.size == len(batch)
    rows = engine.run_columns(decoder.decode(lines).columns)
    reference = cqlmatch.compile(RULE.read_text(encoding="utf-8")).run(
        [line.decode() for line in lines], engine="reference"
    )
    assert [r.fields for r in rows] == reference


GOOD = b'{"event_simpleName":"ProcessRollup2","FileName":"cmd.exe","aid":"1"}'


@pytest.mark.parametrize(
    "bad",
    [
        b'{"event_simpleName":"ProcessRollup2","aid":1}',  # a number: its text is kept as written
        b'{"event_simpleName":"ProcessRollup2","aid":null}',
        b'{"event_simpleName":"ProcessRollup2","aid":{"x":"1"}}',
        b'{"event_simpleName":"ProcessRollup2","aid":["1"]}',
        b'{"event_simpleName":"ProcessRollup2","aid":"\xff"}',  # invalid UTF-8
        b'{"event_simpleName":"ProcessRollup2","note":"\xc3"}',  # ... in a value not read
        b'{"event_simpleName":"ProcessRollup2"',  # truncated
        b'["ProcessRollup2"]',
        b'"ProcessRollup2"',
        b'{"event_simpleName":"ProcessRollup2"} {"aid":"2"}',  # two values on one line
    ],
)
def test_batches_it_cannot_be_sure_of_are_declined(bad: bytes) -> None:
    decoder = ColumnDecoder(_engine(RULE.read_text(encoding="utf-8")).program)
    assert decoder.decode([GOOD, GOOD]) is not None
    assert decoder.decode([GOOD, bad, GOOD]) is None


def test_lines_that_only_parse_when_joined_are_declined() -> None:
    """Two malformed lines that would make one valid array when joined with
    a comma: each line must parse on its own."""
    decoder = ColumnDecoder(_engine(RULE.read_text(encoding="utf-8")).program)
    first = b'{"event_simpleName":"ProcessRollup2"},{"aid":"'
    second = b'"}'
    assert decoder.decode([first, second]) is None


def test_fallbacks_and_rawstring() -> None:
    engine = _engine('#event_simpleName=A @rawstring=/"x":"1"/ | groupBy([#event_simpleName, x])')
    decoder = ColumnDecoder(engine.program)
    lines = [
        b'{"event_simpleName":"A","x":"1"}',
        b'{"#event_simpleName":"A","x":"1"}',
        b'{"event_simpleName":"B","#event_simpleName":"A","x":"\xc3\xa9"}',
    ]
    got = decoder.decode(lines)
    assert got is not None and got.raws == [line.decode() for line in lines]
    assert got.columns == _by_lines(engine, lines)
    assert [r.fields for r in engine.run_columns(got.columns, got.raws)] == [
        {"#event_simpleName": "A", "x": "1", "_count": "2"}
    ]


def test_flattened_names_are_not_served() -> None:
    decoder = ColumnDecoder(_engine("groupBy([a.b])").program)
    assert not decoder.usable
    assert decoder.decode([b'{"a":{"b":"1"}}']) is None


def test_field_names_msgspec_cannot_rename_to_take_the_whole_object_path() -> None:
    """A field name with a tab, quote or backslash cannot name a msgspec
    struct field: both decoders read such names from the whole object."""
    query = cqlmatch.compile('groupBy(["a\\tb"])')
    events = [{"a\tb": "x"}, {"a": "y"}, {"a\tb": "x"}]
    assert query.run(events) == query.run(events, engine="reference")
    assert query.run(events) == [{"a\tb": "x", "_count": "2"}]
    lines = ['{"a\\tb":"x"}', '{"a":"y"}']
    assert query.run(lines) == [{"a\tb": "x", "_count": "1"}]
    assert not ColumnDecoder(_engine('groupBy(["a\\"b"])').program).usable


def test_rules_without_literals_take_whole_blocks_as_columns() -> None:
    """No literal for the prefilter: every non-empty line goes to the column
    decoder as one batch; blank, whitespace-only and malformed lines make a
    batch decline, and the counts and results stay those of the reference."""
    query = cqlmatch.compile(r"ComputerName=/(?i)w\d*ks/ | groupBy([ComputerName, event_platform])")
    assert not query.program.prefilter
    lines = [line.rstrip(b"\n") for line in generate_lines(2000, seed=5)]
    clean = b"\n".join(lines) + b"\n"
    dirty = b"\n".join([*lines[:500], b"", b"  ", b"{bad", *lines[500:]]) + b"\r\n"
    reference = query.run([line.decode() for line in lines], engine="reference")
    assert reference
    for data in (clean, dirty):
        rows = query.run(data, workers=1)
        assert rows == reference
    assert rows.stats.malformed == 1 and rows.stats.events == 2000
    counts = []
    for columns in (True, False):
        with read_events(dirty, query.program, columns=columns) as reader:
            items = list(reader)
        counts.append(reader.stats.as_dict())
        assert sum(getattr(i, "size", type(i) is Event) for i in items) == 2000
    assert counts[0] == counts[1]

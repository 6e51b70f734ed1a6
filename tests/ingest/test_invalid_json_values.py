"""Reliability II, items 1 and 4 (docs/semantics.md "Bad input lines"): a
string holding a lone surrogate escape (``"A\\ud800"``) and the non-JSON
numbers ``NaN``/``Infinity``/``-Infinity`` make a line malformed on every
path (per-line decoder, column decoder, dict input), never an event whose
value cannot be written as UTF-8 or JSON, and never an error that loses the
events around it."""

from __future__ import annotations

import json
import struct

import pytest

import cqlmatch
from cqlmatch.ingest.columns import ColumnDecoder
from cqlmatch.ingest.decode import Decoder, from_dicts
from cqlmatch.ingest.lines import MalformedLine
from cqlmatch.ingest.reader import read_events
from cqlmatch.lang.events import Event, flatten, parse_line

SURROGATE_REASON = "lone surrogate escape in a string"
NUMBER_REASON = "not a JSON number"

SURROGATES = [
    b'{"CommandLine":"A\\ud800"}',
    b'{"CommandLine":"x","note":"A\\udc00"}',  # in a field no query reads
    b'{"CommandLine":"x","n":{"deep":["\\ud83d"]}}',  # a high half without its low half
    b'{"CommandLine":"x","\\ud800":"key"}',  # in a key
    b'{"CommandLine":"\\ude00\\ud83d"}',  # the halves in the wrong order
]
NON_NUMBERS = [
    b'{"CommandLine":NaN}',
    b'{"CommandLine":"x","v":Infinity}',
    b'{"CommandLine":"x","v":[-Infinity]}',
    b'{"CommandLine":"x","v":{"w":NaN}}',
]
GOOD = b'{"CommandLine":"ok","event_simpleName":"ProcessRollup2"}'


@pytest.mark.parametrize("line", SURROGATES + NON_NUMBERS)
def test_parse_line_refuses(line: bytes) -> None:
    with pytest.raises(ValueError, match=f"{SURROGATE_REASON}|{NUMBER_REASON}"):
        parse_line(line.decode("utf-8"))


@pytest.mark.parametrize("line", SURROGATES + NON_NUMBERS)
def test_every_decoder_reports_a_malformed_line(line: bytes) -> None:
    reason = SURROGATE_REASON if b"\\u" in line else NUMBER_REASON
    for decoder in (
        Decoder(need_all=True),
        Decoder(["CommandLine"]),
        Decoder(["note"]),
        Decoder(["n.deep[0]"]),
    ):
        got = decoder.decode(line, 3)
        assert isinstance(got, MalformedLine), (decoder.names, got)
        assert got.line_number == 3 and reason in got.reason


def test_a_valid_surrogate_pair_is_still_an_event() -> None:
    got = Decoder(["CommandLine"]).decode(b'{"CommandLine":"\\ud83d\\ude00"}')
    assert isinstance(got, Event) and got.fields == {"CommandLine": "\U0001f600"}


@pytest.mark.parametrize("line", SURROGATES + NON_NUMBERS)
def test_the_column_decoder_declines(line: bytes) -> None:
    query = cqlmatch.compile("groupBy([CommandLine])")
    decoder = ColumnDecoder(query.program)
    assert decoder.usable
    assert decoder.decode([GOOD, GOOD]) is not None
    assert decoder.decode([GOOD, line, GOOD]) is None


@pytest.mark.parametrize("columns", [False, True])
@pytest.mark.parametrize("prefilter", [False, True])
def test_the_reader_reports_them_and_keeps_every_other_event(columns, prefilter) -> None:
    bad = SURROGATES + NON_NUMBERS
    data = b"\n".join([GOOD, *bad, GOOD, *bad, GOOD]) + b"\n"
    query = cqlmatch.compile("CommandLine=* | groupBy([CommandLine])")
    reader = read_events(data, query.program, prefilter=prefilter, columns=columns)
    items = list(reader)
    events = sum(getattr(item, "size", 1) for item in items if type(item) is not MalformedLine)
    malformed = [item for item in items if type(item) is MalformedLine]
    assert events == 3
    assert [m.line_number for m in malformed] == [
        n for n in range(1, 2 * len(bad) + 4) if n not in (1, len(bad) + 2, 2 * len(bad) + 3)
    ]
    assert reader.stats.malformed == len(malformed)


@pytest.mark.parametrize("engine", ["vm", "reference"])
@pytest.mark.parametrize("query", ["CommandLine=*", "CommandLine=* | groupBy([CommandLine])"])
def test_runs_count_them_as_malformed(engine: str, query: str) -> None:
    data = b"\n".join([SURROGATES[0], GOOD, NON_NUMBERS[0], GOOD]) + b"\n"
    result = cqlmatch.compile(query).run(data, engine=engine, workers=1)
    assert result.malformed_count == 2
    assert [m.line_number for m in result.malformed] == [1, 3]
    assert json.dumps(list(result), ensure_ascii=False).encode("utf-8")  # valid UTF-8


def test_dict_input_with_such_values_is_malformed() -> None:
    items = [
        {"CommandLine": "ok"},
        {"CommandLine": float("nan")},
        {"v": float("inf")},
    ]
    got = list(from_dicts(items))
    assert [type(g).__name__ for g in got] == ["Event", *["MalformedLine"] * 2]
    with pytest.raises(ValueError):
        flatten({"a": {"b": float("-inf")}})
    rows = cqlmatch.compile("CommandLine=*").run(items)
    assert list(rows) == [{"CommandLine": "ok"}]
    assert rows.malformed_count == 2


@pytest.mark.parametrize("line", SURROGATES + NON_NUMBERS)
def test_the_c_field_extractor_declines(line: bytes) -> None:
    """The C extractor (cext/jsonfields.h) checks every string of the line,
    not only the values it reads: a block holding such a line is left to the
    per-line decoder, which reports it."""
    query = cqlmatch.compile("groupBy([CommandLine])")
    decoder = ColumnDecoder(query.program)
    assert decoder._extractor is not None

    def spans(lines: list[bytes]) -> tuple[bytes, bytes]:
        block = b"\n".join(lines)
        offsets, at = [], 0
        for one in lines:
            offsets += [at, at + len(one)]
            at += len(one) + 1
        return block, struct.pack(f"{len(offsets)}Q", *offsets)

    assert decoder._extractor.extract(*spans([GOOD, GOOD])) is not None
    assert decoder._extractor.extract(*spans([GOOD, line, GOOD])) is None

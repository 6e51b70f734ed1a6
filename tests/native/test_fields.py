"""The C field extractor (cqlmatch._fields, cext/jsonfields.h) against the
exact per-line decoder.

Whenever the extractor answers, its columns must equal what decoding line
by line gives (``ingest.Decoder`` then ``vm.columns_of``); it may decline a
block, and must decline every block holding a line the per-line decoder
rejects or reads differently.  It must not decline ordinary lines: that is
where the speed comes from.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import cqlmatch
from cqlmatch._fields import FieldExtractor, extractable
from cqlmatch.ingest.columns import ColumnDecoder, columns_of
from cqlmatch.ingest.decode import Decoder
from cqlmatch.lang.events import Event
from cqlmatch.runtime.engine import VMEngine
from cqlmatch.synth.gen import generate_lines

QUERY = (
    "#event_simpleName=ProcessRollup2 @rawstring=/x/"
    " | groupBy([#event_simpleName, FileName, CommandLine, Ω])"
)
RULE = Path(__file__).resolve().parents[2] / "rules" / "t1546_016.cql"
WANTED = ["event_simpleName", "#event_simpleName", "FileName", "CommandLine", "Ω", "@rawstring"]


def _engine(text: str = QUERY) -> VMEngine:
    compiled = cqlmatch.compile(text)
    return VMEngine(compiled.checked, compiled.tables)


ENGINE = _engine()


def _extractor(engine: VMEngine = ENGINE) -> FieldExtractor:
    extractor = ColumnDecoder(engine.program)._extractor
    assert extractor is not None
    return extractor


def _block(lines: list[bytes], crlf: bool = False) -> tuple[bytes, list[tuple[int, int]]]:
    spans, at = [], 0
    for line in lines:
        end = at + len(line) + (1 if crlf else 0)
        spans.append((at, end))
        at = end + 1
    sep = b"\r\n" if crlf else b"\n"
    return sep.join(lines) + (b"\r" if crlf and lines else b""), spans


def _by_lines(lines: list[bytes], engine: VMEngine = ENGINE):
    """What the reader gets line by line (a trailing CR removed first, as it does)."""
    decoder = Decoder(engine.program.fields)
    events = [decoder.decode(line.removesuffix(b"\r")) for line in lines]
    if not all(type(e) is Event for e in events):
        return None
    return columns_of(engine.program, events, share=False)


def _extract(lines: list[bytes], engine: VMEngine = ENGINE, crlf: bool = False):
    """The columns from spans given as pairs, checked against packed spans."""
    block, spans = _block(lines, crlf)
    found = _extractor(engine).extract(block, spans)
    packed = b"".join(struct.pack("=QQ", start, end) for start, end in spans)
    assert _extractor(engine).extract(block, packed) == found
    return None if found is None else found[0]


# --- generated objects --------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=40)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_keys = st.sampled_from([*WANTED, "aid", "x", "Ωmega", "", "FileNam", "FileNameX"]) | _text


@st.composite
def _objects(draw) -> dict:
    """Objects whose wanted keys hold strings (what the extractor must serve)."""
    obj = {}
    for key in draw(st.lists(_keys, max_size=8, unique=True)):
        obj[key] = draw(_text) if key in WANTED else draw(_values)
    return obj


def _encode(obj: dict, ascii_only: bool, spaced: bool) -> bytes:
    separators = (" , ", " : ") if spaced else (",", ":")
    text = json.dumps(obj, ensure_ascii=ascii_only, separators=separators)
    return (" \t" + text + " " if spaced else text).encode("utf-8", "surrogatepass")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_objects(), st.booleans(), st.booleans()), min_size=1, max_size=6),
    st.booleans(),
)
def test_ordinary_lines_are_served_exactly(items, crlf: bool) -> None:
    lines = [_encode(obj, a, s) for obj, a, s in items]
    expected = _by_lines(lines)
    got = _extract(lines, crlf=crlf)
    if any(_lone_surrogate(obj) or _escaped_key(obj, a) for obj, a, _ in items):
        assert got is None or got == expected  # may decline
        return
    assert expected is not None
    assert got == expected


def _escaped_key(obj: dict, ascii_only: bool) -> bool:
    """A key written with an escape: the extractor leaves such lines to the exact decoder."""
    return any("\\" in json.dumps(key, ensure_ascii=ascii_only) for key in obj)


def _lone_surrogate(obj: dict) -> bool:
    text = json.dumps(obj, ensure_ascii=False)
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@settings(max_examples=500, deadline=None)
@given(_objects(), st.data())
def test_damaged_lines_are_declined_or_read_exactly(obj: dict, data) -> None:
    """Any one-byte change to a valid line: the extractor declines, or it
    reads the line exactly as the per-line decoder does."""
    line = bytearray(_encode(obj, data.draw(st.booleans()), data.draw(st.booleans())))
    at = data.draw(st.integers(0, len(line)))
    action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
    byte = data.draw(
        st.sampled_from(b'{}[]":,\\ \x00\x1f0-eE.nt\x80\xc3\xff') | st.integers(0, 255)
    )
    if action == "insert":
        line[at:at] = bytes([byte])
    elif line and at < len(line):
        line[at : at + 1] = b"" if action == "delete" else bytes([byte])
    lines = [b'{"FileName":"a.exe"}', bytes(line)]
    got = _extract(lines)
    if got is not None:
        assert got == _by_lines(lines)


# --- cases the per-line decoder reads differently or rejects ------------------------


@pytest.mark.parametrize(
    "line",
    [
        b'{"FileName":1}',
        b'{"FileName":null}',
        b'{"FileName":["a"]}',
        b'{"FileName":{"a":"b"}}',
        b'{"FileName":"a","FileName":"b"}',  # a repeated wanted key
        b'{"File\\u004eame":"a"}',  # a key written with an escape
        b'{"FileName":"\\ud800"}',  # a lone surrogate
        b'{"FileName":"\\udc00\\ud800"}',
        b'{"x":NaN}',
        b'{"x":-Infinity}',
        b'{"x":' + b"[" * 65 + b"]" * 65 + b"}",  # deeper than the extractor goes
        b'{"x":"\xff"}',  # invalid UTF-8 in a value not read
        b'{"x":"\xed\xa0\x80"}',  # an encoded surrogate
        b'{"x":"a\tb"}',  # a raw control character
        b'{"x":"\\x"}',
        b'{"x":01}',
        b'{"x":1.}',
        b'{"x":tru}',
        b'{"x":"1"',
        b'{"x":"1"} {}',
        b'{"x":"1",}',
        b"[]",
        b'"x"',
        b"",
        b"  ",
    ],
)
def test_lines_it_cannot_be_sure_of_make_the_block_decline(line: bytes) -> None:
    good = b'{"event_simpleName":"ProcessRollup2","FileName":"cmd.exe"}'
    assert _extract([good, good]) is not None
    assert _extract([good, line, good]) is None


@pytest.mark.parametrize(
    "line",
    [
        b'{"FileName":"\\ud83d\\ude00 \\u00e9\\n\\t\\"\\\\\\/"}',  # a pair, escapes
        b'{"FileName":"\xf0\x9f\x98\x80","x":[1,-0.5e+3,{"y":[true,false,null]}]}',
        ' { "Ω" : "Ω" , "x" : { } , "y" : [ ] } '.encode(),
        b'{"FileName":"\\u0000"}',
        b"{}",
        b'{"x":' + b"[" * 64 + b"]" * 64 + b"}",
        b'{"CommandLine":"' + b"a" * 100_000 + b'"}',
        b'{"@rawstring":"own","FileName":"' + "é".encode() * 40 + b'"}',
    ],
)
def test_unusual_but_valid_lines_are_served(line: bytes) -> None:
    assert _extract([line]) == _by_lines([line])


def test_generated_telemetry_is_served_in_full() -> None:
    engine = _engine(RULE.read_text(encoding="utf-8"))
    for mix in ("realistic", "worst"):
        lines = [line.rstrip(b"\n") for line in generate_lines(2000, seed=3, mix=mix)]
        got = _extract(lines, engine)
        assert got is not None and got == _by_lines(lines, engine)


def test_rawstring_and_fallbacks() -> None:
    lines = [
        b'{"event_simpleName":"A"}',
        b'{"#event_simpleName":"B","event_simpleName":"A","@rawstring":"r"}',
        b'{"FileName":"\xc3\xa9"}',
    ]
    block, spans = _block(lines)
    columns, raws = _extractor().extract(block, spans)
    assert raws == [line.decode() for line in lines]
    assert columns == _by_lines(lines)


def test_repeated_short_values_are_one_object() -> None:
    """The value cache hands out the same str again (the VM's regex memo
    then finds it by its cached hash)."""
    lines = [b'{"FileName":"cmd.exe"}'] * 3
    columns = _extract(lines)
    slot = [f.name for f in ENGINE.program.fields].index("FileName")
    assert columns[slot][0] is columns[slot][1] is columns[slot][2]


def test_spans_outside_the_block_are_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        _extractor().extract(b'{"a":"b"}', [(0, 99)])
    with pytest.raises(ValueError, match="outside"):
        _extractor().extract(b'{"a":"b"}', struct.pack("=QQ", 5, 2))
    with pytest.raises(ValueError, match="pairs"):
        _extractor().extract(b'{"a":"b"}', b"\0" * 8)


def test_limits_on_names() -> None:
    assert extractable(["a"] * 32) and not extractable(["a"] * 33)
    assert extractable(["x" * 64]) and not extractable(["x" * 65]) and not extractable([""])
    with pytest.raises(ValueError):
        FieldExtractor(("",), (0,), (-1,), (False,))

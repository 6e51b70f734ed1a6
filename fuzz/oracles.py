"""What each fuzz target checks, for one input.

The atheris targets (``fuzz/fuzz_*.py``), the short hypothesis passes in CI
(``tests/*/test_fuzz_*.py``) and the replay of kept crash inputs
(``tests/bytecode/test_regressions.py``) all call these functions, so a crash found
by a long run and its regression test exercise the same property.

Each ``check_*`` returns normally when the input is handled correctly and
raises (``AssertionError`` or the escaping exception) when it is not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import cqlmatch
from cqlmatch.errors import CQLError, CQLSyntaxError
from cqlmatch.lang.events import parse_line

ROOT = Path(__file__).resolve().parent.parent
SEED_RULE = ROOT / "rules" / "t1546_016.cql"

# A few events every compiled query runs over: enough to reach the per-event
# code, the slow paths and the aggregation without making a run slow.
PROBE_EVENTS: list[dict[str, Any]] = [
    {
        "event_simpleName": "ProcessRollup2",
        "ParentBaseFileName": "msiexec.exe",
        "FileName": "cmd.exe",
        "CommandLine": "cmd /c certutil -urlcache http://x",
        "ComputerName": "HOST-1",
        "UserName": "bob",
        "aid": "a1",
        "timestamp": "1760000000000",
        "a": "x",
        "n": "42",
    },
    {"event_simpleName": "NetworkConnectIP4", "RemoteAddressIP4": "8.8.8.8", "n": "-2.5"},
    {"a": "日本😀", "b": "", "c": {"d": "é"}, "n": "n/a", "list": [1, "two", None]},
    {},
]


def decode_text(data: bytes) -> str:
    """Fuzz bytes as query text: UTF-8, with undecodable bytes kept as lone
    surrogates (``surrogateescape``) so those code paths are reached too."""
    return data.decode("utf-8", "surrogateescape")


def _check_error(err: CQLError, text: str) -> None:
    """A query error must point inside the text and render without failing."""
    assert err.diagnostics, "a CQLError without diagnostics"
    for diagnostic in err.diagnostics:
        span = diagnostic.span
        assert 0 <= span.start <= span.end <= len(text), (span, len(text))
        assert span.line >= 1 and span.column >= 1, span
        assert diagnostic.code and diagnostic.message
        expected_line = text.count("\n", 0, span.start) + 1
        assert span.line == expected_line, (span, expected_line)
    rendered = err.render()
    assert "^" in rendered


# --- lexer and parser ----------------------------------------------------------------------


def check_parse(text: str) -> None:
    """Any text: a tree, or ``CQLSyntaxError`` pointing into the text."""
    try:
        list(cqlmatch.tokenize(text))
    except CQLSyntaxError as err:
        _check_error(err, text)
    try:
        cqlmatch.parse(text)
    except CQLSyntaxError as err:
        _check_error(err, text)


# --- compiler ------------------------------------------------------------------------------


def check_compile(text: str, events: Iterable[dict[str, Any]] = PROBE_EVENTS) -> None:
    """Any text: compiled to bytecode and run on both engines without an
    exception other than ``CQLError``; a query error points into the text."""
    from cqlmatch.bytecode.compiler import compile_program
    from cqlmatch.bytecode.program import loads

    try:
        query = cqlmatch.compile(text)
    except CQLError as err:
        _check_error(err, text)
        return
    program = compile_program(query.checked)
    encoded = program.dumps()
    assert loads(encoded).dumps() == encoded  # survives the trip to a worker
    events = list(events)
    for engine in ("vm", "reference"):
        try:
            query.run(events, engine=engine)
        except CQLError as err:
            _check_error(err, text)


# --- event decoder -------------------------------------------------------------------------

DECODER_FIELDS: tuple[tuple[str, ...], ...] = (
    (),  # with need_all
    ("a", "b", "n"),
    ("#event_simpleName", "@timestamp", "CommandLine"),
    ("a.b", "c[0]", "x"),
)


@cache
def _decoders():
    from cqlmatch.ingest.decode import Decoder

    return [(names, Decoder(names, need_all=not names)) for names in DECODER_FIELDS]


@cache
def _seed_query():
    from cqlmatch.bytecode.compiler import compile_program
    from cqlmatch.ingest.prefilter import Prefilter

    query = cqlmatch.compile(SEED_RULE.read_text(encoding="utf-8"))
    return query, Prefilter(compile_program(query.checked).prefilter)


def _expected_fields(data: bytes) -> dict[str, str] | None:
    """The reference decoding of a line, or None for a malformed line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        return parse_line(text)
    except (ValueError, RecursionError):
        return None


def check_decode(data: bytes) -> None:
    """Any bytes as one NDJSON line: every ``Decoder`` gives the reference
    decoding restricted to its fields, or ``MalformedLine`` exactly when the
    reference refuses the line; the prefilter never rules out a line the
    seed rule keeps; ``open_lines`` over the bytes never raises."""
    from cqlmatch.ingest.blocks import open_lines
    from cqlmatch.ingest.lines import MalformedLine

    line = data.split(b"\n", 1)[0]
    expected = _expected_fields(line)
    for names, decoder in _decoders():
        got = decoder.decode(line, 7)
        if expected is None:
            assert isinstance(got, MalformedLine), (names, got)
            assert got.line_number == 7 and got.reason
            continue
        assert not isinstance(got, MalformedLine), (names, got, expected)
        want = expected if not names else _restricted(expected, names)
        assert got.fields == want, (names, got.fields, want)
    if expected is not None:
        query, prefilter = _seed_query()
        if not prefilter.might_match(line):
            assert query.match(expected, engine="reference") is None, line
    _check_extractor(line, expected is not None)
    _check_scan(data)
    numbers = []
    for number, item in open_lines(data):
        numbers.append(number)
        assert isinstance(item, bytes | MalformedLine)
    assert numbers == sorted(set(numbers))


@cache
def _seed_columns():
    from cqlmatch.ingest.columns import ColumnDecoder
    from cqlmatch.ingest.decode import Decoder

    query, _ = _seed_query()
    program = query.program
    return program, ColumnDecoder(program)._extractor, Decoder(program.fields)


_GOOD_LINE = b'{"event_simpleName":"ProcessRollup2","FileName":"cmd.exe","aid":"1"}'


def _check_extractor(line: bytes, valid: bool) -> None:
    """The C field extractor, given the line between two good ones: it
    declines, or its columns are the per-line decoder's (and it never
    serves a line the reference refuses)."""
    from cqlmatch.ingest.columns import columns_of

    program, extractor, decoder = _seed_columns()
    lines = [_GOOD_LINE, line.rstrip(b"\r"), _GOOD_LINE]
    block = b"\n".join(lines)
    spans, at = [], 0
    for item in lines:
        spans.append((at, at + len(item)))
        at += len(item) + 1
    found = extractor.extract(block, spans)
    if found is None:
        return
    assert valid, line
    events = [decoder.decode(item) for item in lines]
    assert found[0] == columns_of(program, events, share=False), line


def _check_scan(data: bytes) -> None:
    """The C prefilter scan keeps exactly the Python rule's lines."""
    _, prefilter = _seed_query()
    assert prefilter.scan_counted(data)[0] == prefilter.scan_python(data), data


def _restricted(fields: dict[str, str], names: Iterable[str]) -> dict[str, str]:
    wanted: list[str] = []
    for name in names:
        wanted.append(name)
        if name.startswith("#"):
            wanted.append(name[1:])
        elif name == "@timestamp":
            wanted.append("timestamp")
    return {n: fields[n] for n in dict.fromkeys(wanted) if n in fields}


# --- VM against the reference --------------------------------------------------------------


def check_agree(text: str, events: list[dict[str, Any]]) -> None:
    """A generated query over generated events: the VM gives the reference's
    rows, warnings and per-event results, and nothing but ``CQLError`` is
    raised (compile errors are fine: the generator is not exact)."""
    from tests.runtime.test_differential import assert_agree

    try:
        cqlmatch.compile(text)
    except CQLError as err:
        _check_error(err, text)
        return
    assert_agree(text, events)


def load_regression(path: Path) -> tuple[str, Any]:
    """A kept input: ``(target, payload)``; ``.json`` files under ``vm/``
    hold ``{"query": ..., "events": [...]}``, the others are raw bytes."""
    target = path.parent.name
    if target == "vm":
        return target, json.loads(path.read_text(encoding="utf-8"))
    return target, path.read_bytes()


def replay(path: Path) -> None:
    """Run a kept input through the check of the target it was found by."""
    target, payload = load_regression(path)
    if target == "parser":
        check_parse(decode_text(payload))
    elif target == "compiler":
        check_compile(decode_text(payload))
    elif target == "decoder":
        check_decode(payload)
    elif target == "vm":
        check_agree(payload["query"], payload["events"])
    else:
        raise ValueError(f"no fuzz target named {target!r} (from {path})")

"""The ingestion layer (cqlmatch.ingest: blocks, decode, reader): sources,
the raw-byte prefilter, msgspec decoding against the reference
``parse_line``, malformed lines, and the prefilter never changing a result
of the seed rule."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import cqlmatch
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.ingest import blocks as ingest_blocks, decode as ingest_decode
from cqlmatch.ingest.blocks import IngestError, open_lines
from cqlmatch.ingest.decode import Decoder, from_dicts
from cqlmatch.ingest.lines import MalformedLine
from cqlmatch.ingest.prefilter import Prefilter
from cqlmatch.ingest.reader import read_events
from cqlmatch.lang.events import Event, parse_line
from cqlmatch.reference import Interpreter
from cqlmatch.synth.gen import generate_lines

from ..conftest import ROOT

SEED_RULE = (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")
SEED_CNF = (("NetworkConnectIP4", "ProcessRollup2"),)


def seed_program():
    return compile_program(cqlmatch.compile(SEED_RULE).checked)


def event_type_program():
    """A program whose prefilter is SEED_CNF: the seed rule's event types."""
    text = "#event_simpleName=ProcessRollup2 OR #event_simpleName=NetworkConnectIP4"
    program = compile_program(cqlmatch.compile(text).checked)
    assert [[x.text for x in group] for group in program.prefilter] == [list(SEED_CNF[0])]
    return program


def summary(items) -> list[tuple]:
    """Events and malformed lines as comparable tuples."""
    out = []
    for item in items:
        if isinstance(item, MalformedLine):
            out.append(("malformed", item.line_number))
        else:
            out.append(("event", item.fields, item.raw))
    return out


SAMPLE = (
    b'{"event_simpleName":"ProcessRollup2","aid":"a1","n":1.50}\n'
    b"\n"
    b'{"event_simpleName":"DnsRequest","aid":"a2"}\r\n'
    b"   \n"
    b'{"aid":"a3","x":{"y":[1,true,null]}}\n'
)
SAMPLE_EVENTS = [
    ({"event_simpleName": "ProcessRollup2", "aid": "a1", "n": "1.50"}, SAMPLE.split(b"\n")[0]),
    ({"event_simpleName": "DnsRequest", "aid": "a2"}, SAMPLE.split(b"\n")[2][:-1]),
    ({"aid": "a3", "x.y[0]": "1", "x.y[1]": "true", "x.y[2]": "null"}, SAMPLE.split(b"\n")[4]),
]


def expected_sample() -> list[tuple]:
    return [("event", fields, raw.decode()) for fields, raw in SAMPLE_EVENTS]


# --- sources -------------------------------------------------------------------------


def _sources(tmp_path: Path, data: bytes) -> dict[str, object]:
    plain = tmp_path / "events.ndjson"
    plain.write_bytes(data)
    gz = tmp_path / "events.ndjson.gz"
    gz.write_bytes(gzip.compress(data))
    misnamed = tmp_path / "events.json"  # gzip content, name says nothing
    misnamed.write_bytes(gzip.compress(data))
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return {
        "path-str": str(plain),
        "path": plain,
        "gzip": gz,
        "gzip-by-magic": misnamed,
        "bytes": data,
        "bytearray": bytearray(data),
        "memoryview": memoryview(data),
        "gzip-bytes": gzip.compress(data),
        "binary-file": io.BytesIO(data),
        "text-file": io.StringIO(data.decode("utf-8")),
        "bytes-lines": [line + b"\n" for line in lines],
        "str-lines": [line.decode("utf-8") + "\n" for line in lines],
        "str-lines-no-ends": (line.decode("utf-8") for line in lines),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "path-str",
        "path",
        "gzip",
        "gzip-by-magic",
        "bytes",
        "bytearray",
        "memoryview",
        "gzip-bytes",
        "binary-file",
        "text-file",
        "bytes-lines",
        "str-lines",
        "str-lines-no-ends",
    ],
)
@pytest.mark.parametrize("prefilter", [False, True])
def test_every_source_kind_gives_the_same_events(tmp_path, kind, prefilter) -> None:
    source = _sources(tmp_path, SAMPLE)[kind]
    reader = read_events(source, None, need_all=True, prefilter=prefilter)
    assert summary(reader) == expected_sample()
    assert reader.stats.lines == 5
    assert reader.stats.events == 3
    assert reader.stats.blank == 2
    assert reader.stats.malformed == 0


def test_open_lines_numbers_every_physical_line(tmp_path) -> None:
    for kind, source in _sources(tmp_path, SAMPLE).items():
        got = list(open_lines(source))
        assert [n for n, _ in got] == [1, 3, 5], kind
        assert got[1][1] == SAMPLE.split(b"\n")[2][:-1], kind  # CR removed


def test_zstd_file(tmp_path) -> None:
    import zstandard

    path = tmp_path / "events.ndjson.zst"
    # Two frames: concatenated zstd frames read as one stream.
    half = SAMPLE.index(b"\n\n") + 1
    compressor = zstandard.ZstdCompressor()
    path.write_bytes(compressor.compress(SAMPLE[:half]) + compressor.compress(SAMPLE[half:]))
    assert summary(read_events(path, None)) == expected_sample()


def test_zstd_without_the_package_is_a_clear_error(tmp_path, monkeypatch) -> None:
    path = tmp_path / "events.ndjson.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 32)
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with pytest.raises(IngestError, match="zstandard"):
        read_events(path, None)


def test_missing_file_fails_at_the_call(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        read_events(tmp_path / "nope.ndjson", None)


@pytest.mark.parametrize("compress", [False, True])
def test_standard_input(monkeypatch, compress) -> None:
    data = gzip.compress(SAMPLE) if compress else SAMPLE
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert summary(read_events("-", None)) == expected_sample()


class _Trickle(io.RawIOBase):
    """A pipe that hands out a few bytes per read."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step = data, step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(self.step, len(buffer), len(self.data))
        buffer[:size] = self.data[:size]
        self.data = self.data[size:]
        return size


@pytest.mark.parametrize("step", [1, 3, 7])
def test_unbuffered_pipe_that_returns_few_bytes(step) -> None:
    for data in (SAMPLE, gzip.compress(SAMPLE)):
        assert summary(read_events(_Trickle(data, step), None)) == expected_sample()


def test_empty_and_blank_sources() -> None:
    for source in (b"", b"\n", b"\n\r\n  \n", [], [""], iter(())):
        with read_events(source, seed_program()) as reader:
            assert list(reader) == []
            assert reader.stats.malformed == 0
        reader.close()  # closing twice is harmless


def test_decoder_takes_names_or_field_refs() -> None:
    program = seed_program()
    by_refs = Decoder(program.fields)
    by_names = Decoder([f.name for f in program.fields])
    assert by_refs.names == by_names.names
    assert by_refs.names[:2] == ("#event_simpleName", "event_simpleName")
    assert Decoder(["@timestamp"]).names == ("@timestamp", "timestamp")
    assert by_refs.fields(b'{"event_simpleName":"X","other":"y"}') == {"event_simpleName": "X"}
    with pytest.raises(ValueError, match="not a JSON object"):
        by_refs.fields(b"[]")
    with pytest.raises(ValueError, match="UTF-8"):
        by_refs.fields(b'{"a":"\xff"}')


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 17, 64, 1 << 20])
@pytest.mark.parametrize("prefilter", [False, True])
def test_chunk_boundaries_do_not_matter(chunk_size, prefilter) -> None:
    data = b"".join(generate_lines(60, seed=11)) + b'{"last":"no newline"}'
    data = data.replace(b"\n", b"\r\n", 7)  # some CRLF endings
    expected = summary(read_events(data, None, chunk_size=1 << 20))
    got = summary(read_events(data, None, chunk_size=chunk_size, prefilter=prefilter))
    assert got == expected
    assert len(expected) == 61


def test_byte_order_mark() -> None:
    bom = b"\xef\xbb\xbf"
    assert summary(read_events(bom + b'{"a":"1"}\r\n{"b":"2"}', None)) == [
        ("event", {"a": "1"}, '{"a":"1"}'),
        ("event", {"b": "2"}, '{"b":"2"}'),
    ]
    # A BOM that is the whole first line is malformed; the rest is read.
    for data in (bom + b'\n{"b":"2"}', bom + b'\r\n{"b":"2"}\n'):
        for prefilter in (False, True):
            reader = read_events(data, seed_program(), need_all=True, prefilter=prefilter)
            got = list(reader)
            assert isinstance(got[0], MalformedLine)
            assert (got[0].line_number, got[0].reason) == (1, "only a byte-order mark")
            assert reader.stats.lines == 2
            assert reader.stats.malformed == 1
    reader = read_events([bom.decode("utf-8"), '{"b":"2"}'], None)
    assert summary(reader) == [("malformed", 1), ("event", {"b": "2"}, '{"b":"2"}')]
    # Only line 1 may carry a BOM: elsewhere it makes the line invalid JSON.
    assert summary(read_events(b'{"a":"1"}\n' + bom + b'{"b":"2"}', None)) == [
        ("event", {"a": "1"}, '{"a":"1"}'),
        ("malformed", 2),
    ]


@pytest.mark.parametrize("compress", [False, True])
def test_overlong_lines_are_reported_and_skipped(compress) -> None:
    long_line = b'{"a":"' + b"x" * 5000 + b'"}'
    data = b'{"n":"1"}\n' + long_line + b'\n{"n":"3"}\n' + long_line + b"\n" + long_line
    if compress:
        data = gzip.compress(data)
    reader = read_events(data, None, chunk_size=256, max_line_bytes=1000)
    assert summary(reader) == [
        ("event", {"n": "1"}, '{"n":"1"}'),
        ("malformed", 2),
        ("event", {"n": "3"}, '{"n":"3"}'),
        ("malformed", 4),
        ("malformed", 5),
    ]
    assert reader.stats.lines == 5


def test_blocks_stay_bounded() -> None:
    """Memory: no block ever exceeds the line limit, whatever the input."""
    data = (b"\n".join([b"y" * 3000, b"z" * 10, b"w" * 100_000, b"v" * 999]) + b"\n") * 5
    sizes = [
        len(block)
        for block in ingest_blocks._stream_blocks(io.BytesIO(data), 512, 1000, threaded=False)
        if isinstance(block, bytes)
    ]
    assert max(sizes) <= 1000
    seen = list(open_lines(data, chunk_size=512, max_line_bytes=1000))
    assert [n for n, line in seen if isinstance(line, MalformedLine)] == [
        n for n in range(1, 21) if n % 4 in (1, 3)
    ]


def test_truncated_gzip_keeps_what_was_read() -> None:
    lines = list(generate_lines(3000, seed=2))
    data = gzip.compress(b"".join(lines))[:-5000]
    reader = read_events(data, None)
    got = list(reader)
    assert isinstance(got[-1], MalformedLine)
    assert "corrupt or truncated" in got[-1].reason
    events = got[:-1]
    assert len(events) > 1000
    for number, event in enumerate(events[:-1], 1):
        assert isinstance(event, Event)
        assert event.raw == lines[number - 1].decode().rstrip("\n")


def test_gzip_members_and_corruption() -> None:
    # FDR batches are often concatenated gzip members.
    half = SAMPLE.index(b"\n\n") + 1
    members = gzip.compress(SAMPLE[:half]) + gzip.compress(SAMPLE[half:])
    assert summary(read_events(members, None, chunk_size=16)) == expected_sample()
    # Bytes flipped in the middle of the compressed data: the lines read
    # before the damage are kept, then one report, no exception.
    packed = bytearray(gzip.compress(b"".join(generate_lines(2000, seed=8))))
    packed[len(packed) // 2 : len(packed) // 2 + 64] = bytes(64)
    got = list(read_events(bytes(packed), None))
    assert isinstance(got[-1], MalformedLine)
    assert "corrupt or truncated" in got[-1].reason
    assert len(got) > 10


def test_closing_a_reader_early_stops_the_helper_thread(tmp_path) -> None:
    path = tmp_path / "big.ndjson.gz"
    path.write_bytes(gzip.compress(b"".join(generate_lines(5000, seed=4))))
    reader = read_events(path, None, chunk_size=4096)
    next(reader)
    reader.close()
    import threading

    assert not any(t.name == "cqlmatch-ingest-read" for t in threading.enumerate())


def test_from_dicts_matches_compiled_query_run() -> None:
    items = [
        {"a": 1, "b": {"c": [1.5, None]}},
        {"@rawstring": "original line", "x": "y"},
        {"@rawstring": "", "x": "é"},
        ["not", "an", "object"],
        {"bad": object()},
    ]
    got = list(from_dicts(items))
    assert got[0].fields == {"a": "1", "b.c[0]": "1.5", "b.c[1]": "null"}
    assert got[0].raw == '{"a":1,"b":{"c":[1.5,null]}}'
    assert got[1].raw == "original line"
    assert got[2].raw == '{"@rawstring":"","x":"é"}'
    assert [(m.line_number, m.reason) for m in got[3:]] == [
        (4, "not a JSON object but list"),
        (5, "not a JSON scalar: object"),
    ]
    reader = read_events(items[:3], seed_program())
    assert [e.fields for e in reader] == [e.fields for e in got[:3]]
    assert reader.stats.events == 3
    # The same rows as CompiledQuery.run over the dicts.
    query = cqlmatch.compile("x=*")
    rows = [e.fields for e in Interpreter(query.checked).run(e for e in got[:3])]
    assert rows == query.run(items[:3], engine="reference")


def test_items_that_are_not_lines() -> None:
    reader = read_events(['{"a":"1"}', 42, '{"a":"3"}', None], None)
    assert summary(reader) == [
        ("event", {"a": "1"}, '{"a":"1"}'),
        ("malformed", 2),
        ("event", {"a": "3"}, '{"a":"3"}'),
        ("malformed", 4),
    ]


# --- prefilter -----------------------------------------------------------------------


ADVERSARIAL = [
    # (line, must be kept)
    (b'{"event_simpleName":"ProcessRollup2"}', True),
    (b'{"event_simpleName":"\\u0050rocessRollup2"}', True),
    (b'{"event_simpleName":"Process\\u0052ollup2"}', True),
    (b'{"event_simpleName":"ProcessRollu\\u0070\\u0032"}', True),
    (b'{"event_simpleName":"\\u004Eetwork\\u0043onnect\\u0049\\u00504"}', True),
    (b'{"event_simpleName":"Network\\u0043onnectIP4"}', True),
    (
        b'{"event_simpleName":"' + b"".join(b"\\u%04x" % ord(c) for c in "ProcessRollup2") + b'"}',
        True,
    ),
    (
        b'{"event_simpleName":"' + b"".join(b"\\u%04X" % ord(c) for c in "ProcessRollup2") + b'"}',
        True,
    ),
    (b'{ "aid" : "x" ,\t"event_simpleName" :\t"ProcessRollup2" }', True),
    (b'{"aid":"x","event_simpleName":"ProcessRollup2"}', True),
    (b'{"event_simpleName":"DnsRequest","note":"ProcessRollup2"}', True),
    (b'{"event_simpleName":"SyntheticProcessRollup2"}', True),
    (b'{"#event_simpleName":"ProcessRollup2Stats"}', True),
    (b'{"event_simpleName":"DnsRequest","CommandLine":"a\\u003db \\u0026 c\\u0027"}', False),
    (b'{"event_simpleName":"DnsRequest","UserName":"S\\u00f8ren \\u00e9\\u4e2d"}', False),
    (b'{"event_simpleName":"DnsRequest","path":"C:\\\\Windows\\\\ProcessRollup"}', False),
    (b'{"event_simpleName":"Process Rollup2"}', False),
    (b'{"event_simpleName":"processrollup2"}', False),
    (b'{"event_simpleName":"DnsRequest"}', False),
    (b"", False),
    # Not framed as an object: kept, so that the decoder reports it.
    (b"not json at all", True),
    (b'{"event_simpleName":"DnsRequest"', True),
    (b' \t{"event_simpleName":"DnsRequest"}\r', False),
    (b" \t\r", False),
    # Not valid JSON (\U is no escape): no output either way.
    (b'{"event_simpleName":"\\U0050rocessRollup2"}', False),
]


@pytest.mark.parametrize(("line", "kept"), ADVERSARIAL)
def test_prefilter_adversarial_lines(line, kept) -> None:
    prefilter = Prefilter(SEED_CNF)
    assert prefilter.might_match(line) is kept
    assert prefilter.filter_batch([b"{}", line, b"{}"]) == ([1] if kept else [])
    if kept is False and line.startswith(b"{"):
        # Skipped lines really have no event type of the rule.
        try:
            fields = parse_line(line.decode())
        except ValueError:
            return
        value = fields.get("event_simpleName", "")
        assert "ProcessRollup2" not in value and "NetworkConnectIP4" not in value


def test_prefilter_slash_escape_and_gson_characters() -> None:
    prefilter = Prefilter([("/usr/bin/",)])
    assert prefilter.might_match(b'{"p":"\\/usr\\/bin\\/dpkg"}')
    assert not prefilter.might_match(b'{"p":"\\\\usr\\\\bin"}')
    gson = Prefilter([("a=b",)])  # '=' is what Gson writes as \u003d
    assert gson.might_match(b'{"c":"a\\u003db"}')
    assert not gson.might_match(b'{"c":"a\\u0026b"}')


def test_prefilter_unsafe_literals_keep_every_line() -> None:
    for cnf in ([('say "hi"',)], [("back\\slash",)], [("caf\u00e9",)], [("tab\there",)], [()]):
        prefilter = Prefilter(cnf)
        assert not prefilter.active
        assert prefilter.filter_batch([b"{}", b"x"]) == [0, 1]
    # Only the uncheckable group is dropped.
    mixed = Prefilter([("caf\u00e9",), ("ProcessRollup2",)])
    assert mixed.groups == ((b"ProcessRollup2",),)


def test_prefilter_cnf_needs_every_group() -> None:
    prefilter = Prefilter([("ProcessRollup2",), ("msiexec", "dpkg")])
    assert prefilter.might_match(b'{"e":"ProcessRollup2","p":"dpkg"}')
    assert not prefilter.might_match(b'{"e":"ProcessRollup2","p":"bash"}')
    assert not prefilter.might_match(b'{"e":"DnsRequest","p":"dpkg"}')
    assert prefilter.might_match(b'{"e":"ProcessRollup2","p":"\\u0064pkg"}')
    lines = [
        b'{"e":"ProcessRollup2","p":"dpkg"}',
        b'{"e":"ProcessRollup2","p":"bash"}',
        b'{"e":"DnsRequest","p":"msiexec"}',
        b'{"p":"msiexec","e":"ProcessRollup2"}',
    ]
    assert prefilter.filter_batch(lines) == [0, 3]


def test_filter_batch_locates_lines_by_offset() -> None:
    prefilter = Prefilter(SEED_CNF)
    lines = [b'{"a":\n"x"}', b'{"e":\n"ProcessRollup2"}', b"", b"ProcessRollup2"]
    assert prefilter.filter_batch(lines) == [1, 3]
    assert prefilter.filter_batch([]) == []
    # Both groups of a CNF found on different physical lines of one item.
    cnf = Prefilter([("ProcessRollup2",), ("dpkg",)])
    item = b'{"e":"ProcessRollup2",\n"p":"dpkg"}'
    assert json.loads(item) == {"e": "ProcessRollup2", "p": "dpkg"}
    assert cnf.filter_batch([b"{}", item]) == [1]


# A JSON writer that varies everything a real encoder may vary.
_LITERALS = ["ProcessRollup2", "NetworkConnectIP4", "a/b", "x=y", "it's", "<b>", "C:", "50%"]
_TEXT = st.text(
    alphabet=st.sampled_from(list("PrRocessNetwkI4CI2 /=<>'%:xyab\\\"\té\u4e2d\U0001f600")),
    max_size=12,
)


@st.composite
def _escaped_string(draw, value: str) -> str:
    out = ['"']
    for char in value:
        code = ord(char)
        choice = draw(st.integers(0, 3))
        if char in '"\\' or code < 0x20:
            choice = max(choice, 1)
        if choice == 0:
            out.append(char)
        elif choice == 1 and char == "/":
            out.append("\\/")
        elif choice == 1 and char in '"\\\t':
            out.append({'"': '\\"', "\\": "\\\\", "\t": "\\t"}[char])
        elif code > 0xFFFF:
            high, low = divmod(code - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04X}")
        else:
            hex_digits = f"{code:04x}"
            out.append("\\u" + (hex_digits.upper() if choice == 3 else hex_digits))
    out.append('"')
    return "".join(out)


@st.composite
def _string_values(draw) -> str:
    parts = draw(st.lists(st.one_of(_TEXT, st.sampled_from(_LITERALS)), max_size=4))
    return "".join(parts)


@st.composite
def _escaped_objects(draw) -> str:
    pairs = draw(
        st.lists(st.tuples(st.sampled_from(["e", "c", "n"]), _string_values()), max_size=4)
    )
    spaces = st.sampled_from(["", " ", "\t"])
    body = ",".join(
        f"{draw(spaces)}{draw(_escaped_string(k))}{draw(spaces)}:{draw(spaces)}{draw(_escaped_string(v))}"
        for k, v in pairs
    )
    return "{" + body + "}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(_escaped_objects(), min_size=1, max_size=5),
    st.lists(st.lists(st.sampled_from(_LITERALS), min_size=1, max_size=3), min_size=1, max_size=2),
)
def test_prefilter_never_skips_a_line_holding_the_literals(lines, cnf) -> None:
    prefilter = Prefilter(cnf)
    encoded = [line.encode("utf-8", "surrogatepass") for line in lines]
    kept = prefilter.filter_batch(encoded)
    assert kept == [i for i, line in enumerate(encoded) if prefilter.might_match(line)]
    for index, line in enumerate(lines):
        values = parse_line(line).values()
        holds = all(any(lit in v for lit in group for v in values) for group in cnf)
        if holds:
            assert index in kept, line


def test_prefilter_on_a_generated_file_keeps_the_same_decoded_events() -> None:
    program = seed_program()
    data = b"".join(generate_lines(4000, seed=9, malicious_rate=0.01))
    full = list(read_events(data, program, prefilter=False))
    filtered_reader = read_events(data, program, prefilter=True)
    filtered = list(filtered_reader)
    prefilter = Prefilter(program.prefilter)
    lines = data.split(b"\n")[:-1]
    passing = {i + 1 for i in prefilter.filter_batch(lines)}
    assert len(filtered) == len(passing) < len(full) // 2
    by_raw = {e.raw: e.fields for e in full}
    for event in filtered:
        assert event.fields == by_raw[event.raw]
    # The events the prefilter dropped give the rule nothing to emit.
    kept_raw = {e.raw for e in filtered}
    dropped = [e for e in full if e.raw not in kept_raw]
    assert dropped and not _passing(dropped)
    assert _passing([e for e in full if e.raw in kept_raw])
    stats = filtered_reader.stats
    assert stats.lines == 4000
    assert stats.skipped + stats.events + stats.malformed == 4000


def _rows(events) -> list[dict[str, str]]:
    query = cqlmatch.compile(SEED_RULE)
    return [e.fields for e in Interpreter(query.checked).run(events)]


def _passing(events) -> list[dict[str, str]]:
    """The events the seed rule's filtering part (up to its groupBy) emits."""
    text = SEED_RULE[: SEED_RULE.index("| default(")]
    return [e.fields for e in Interpreter(cqlmatch.compile(text).checked).run(events)]


# Spellings of the seed rule's installer names that its (?i) regexes still
# match: other ASCII case, an escaped letter (\u0041 is A), and the Kelvin
# sign and long s, which (?i) folds onto k and s, as UTF-8 and as escapes.
_CASE_SPELLINGS = [
    (b"msiexec.exe", b"MsIeXeC.ExE"),
    (b"dpkg", b"dp\\u212Ag"),
    (b"pkgutil", b"p\xe2\x84\xaagutil"),
    (b"installer", b"in\xc5\xbftaller"),
    (b"apt", b"\\u0041pt"),
    (b"yum", b"Y\\u0055m"),
    (b"rpm", b"RPM"),
    (b"winget", b"WinGet"),
]


@pytest.mark.parametrize("mix", ["realistic", "worst"])
def test_prefilter_case_insensitive_literals_never_change_the_rows(mix) -> None:
    program = seed_program()
    assert any(x.ignore_case for group in program.prefilter for x in group)
    data = b"".join(generate_lines(3000, seed=21, mix=mix, malicious_rate=0.02))
    for plain, spelled in _CASE_SPELLINGS:
        data = data.replace(plain, spelled)
    reference = _rows(read_events(data, None, prefilter=False))
    assert reference, "the planted matches should survive the respelling"
    reader = read_events(data, program, need_all=True, prefilter=True)
    assert _rows(reader) == reference
    assert reader.stats.skipped > 0


@pytest.mark.parametrize("mix", ["realistic", "worst"])
def test_prefilter_never_changes_the_seed_rule_rows(mix) -> None:
    program = seed_program()
    data = b"".join(generate_lines(3000, seed=21, mix=mix, malicious_rate=0.02))
    reference = _rows(read_events(data, None, prefilter=False))
    assert reference, "the generated file should contain planted matches"
    assert _rows(read_events(data, program, need_all=True, prefilter=True)) == reference
    # The same events with the event types never written verbatim (in
    # event_simpleName and in the versioned name): only the escape rule can
    # keep them, and the rows must not change.
    hidden = data.replace(b"ProcessRollup2", b"\\u0050rocessRollup2").replace(
        b"NetworkConnectIP4", b"Network\\u0043onnectIP4"
    )
    assert b"ProcessRollup2" not in hidden and b"NetworkConnectIP4" not in hidden
    reader = read_events(hidden, program, need_all=True, prefilter=True)
    assert _rows(reader) == reference
    if mix == "realistic":  # the worst mix has only the rule's event types
        assert reader.stats.skipped > 0


def test_a_join_sees_the_lines_the_main_filters_would_rule_out() -> None:
    """The sub-query of a join reads the whole input: with the prefilter on,
    a run over lines must still give the rows of a run over the events."""
    text = (
        "#event_simpleName=ProcessRollup2 "
        "| join(field=[TargetProcessId], key=ContextProcessId, include=[RemoteAddressIP4], "
        "query={#event_simpleName=NetworkConnectIP4}) "
        "| groupBy([RemoteAddressIP4])"
    )
    lines = [
        '{"event_simpleName":"ProcessRollup2","TargetProcessId":"7"}',
        '{"event_simpleName":"NetworkConnectIP4","ContextProcessId":"7",'
        '"RemoteAddressIP4":"203.0.113.9"}',
    ]
    query = cqlmatch.compile(text)
    expected = query.run([json.loads(line) for line in lines], engine="reference")
    assert expected == [{"RemoteAddressIP4": "203.0.113.9", "_count": "1"}]
    assert query.run("\n".join(lines).encode(), workers=1) == expected


def test_prefilter_literals_after_an_assignment() -> None:
    query = cqlmatch.compile('x := "ProcessRollup2" | x=ProcessRollup2')
    program = compile_program(query.checked)
    line = b'{"a":"1"}'
    assert query.run([{"a": "1"}])  # the reference keeps the event
    assert Prefilter(program.prefilter).might_match(line)


# --- decoding ------------------------------------------------------------------------


TRICKY = [
    b'{"a":123456789012345678901234567890123456789}',
    b'{"a":1.50,"b":1e3,"c":1E+3,"d":-0,"e":-0.0,"f":0,"g":-1.5e-7}',
    b'{"a":"\\u00e9\\u4e2d\\ud83d\\ude00","b":"\\/\\"\\\\\\b\\f\\n\\r\\t"}',
    b'{"a":"1","a":"2","b":"3","a":{"c":4}}',
    b'{"a":{"c":4},"a":"2"}',
    b'{"a":[1,[2,[3,{}]],[],{"b":[null,true,false]}],"e":{},"f":[]}',
    b'{"a.b":"flat","a":{"b":"nested"}}',
    b'{"#event_simpleName":"P","event_simpleName":"Q","timestamp":"17","@timestamp":1}',
    b'{"":"empty key","\\u0061":"escaped key"}',
    b' \t{"a" : "spaced" } \r',
    b'{"a":"' + b"9" * 5000 + b'","b":' + b"9" * 5000 + b"}",
    b'{"a":"\xc3\xa9\xe4\xb8\xad"}',
    b'{"a":"\x7f"}',
]


@pytest.mark.parametrize("line", TRICKY)
def test_tricky_lines_decode_as_parse_line_does(line) -> None:
    expected = parse_line(line.decode("utf-8"))
    whole = Decoder(need_all=True).decode(line, 7)
    assert isinstance(whole, Event)
    assert whole.fields == expected
    assert list(whole.fields) == list(expected)  # same field order
    assert whole.raw == line.decode("utf-8")
    names = [*expected, "missing", "#a", "@timestamp", "#event_simpleName"]
    for subset in (names, names[:1], names[1::2], ["a"], ["a.b", "b"]):
        event = Decoder(subset).decode(line, 7)
        assert isinstance(event, Event), subset
        wanted = ingest_decode.requested_names(subset)
        assert event.fields == {k: v for k, v in expected.items() if k in wanted}, subset


MALFORMED = [
    (b'{"a":"x"', "truncated"),
    (b'{"a":"x",}', "trailing comma"),
    (b"[1,2]", "not an object"),
    (b'"just a string"', "not an object"),
    (b"42", "not an object"),
    (b"null", "not an object"),
    (b'{"a":"\xff"}', "invalid UTF-8"),
    (b'{"a":"\xed\xa0\x80"}', "UTF-8 encoded surrogate"),
    (b'{"a":"\\U0050"}', "\\U is no escape"),
    (b'{"a":"\\x41"}', "bad escape"),
    (b'{"a":"\\ud800","b":"x"}', "lone surrogate escape"),
    (b'{"a":NaN,"b":Infinity,"c":-Infinity}', "not JSON numbers"),
    (b'{"a":"tab\there"}', "control character"),
    (b'{"a":01}', "leading zero"),
    (b'{"a":.5}', "bare fraction"),
    (b'{"a":1}{"b":2}', "two objects"),
    (b'{"a":1} x', "trailing text"),
    (b"\xef\xbb\xbf{}", "BOM off line 1"),
    (b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}", "too deep"),
]


@pytest.mark.parametrize(("line", "why"), MALFORMED)
def test_malformed_lines_are_reported_not_raised(line, why) -> None:
    for decoder in (Decoder(need_all=True), Decoder(["a"]), Decoder(["a.b"])):
        result = decoder.decode(line, 12)
        assert isinstance(result, MalformedLine), why
        assert result.line_number == 12
        assert result.reason


def test_malformed_lines_keep_their_numbers_and_neighbours() -> None:
    good = [
        json.dumps({"event_simpleName": "ProcessRollup2", "i": str(i)}).encode() for i in range(6)
    ]
    data = b"\n".join(
        [
            good[0],
            b'{"event_simpleName":"ProcessRollup2"',  # 2 truncated
            good[1],
            b"[1]",  # 4 not an object
            b"",
            good[2],
            b'{"event_simpleName":"Process\xffRollup2"}',  # 7 invalid UTF-8
            good[3],
            b'{"e":"ProcessRollup2",,}',  # 9 invalid JSON
            good[4],
            b"garbage without literal",  # 11
            good[5],
        ]
    )
    reader = read_events(data, None, prefilter=False)
    got = summary(reader)
    assert [g for g in got if g[0] == "malformed"] == [("malformed", n) for n in (2, 4, 7, 9, 11)]
    assert [g[1]["i"] for g in got if g[0] == "event"] == [str(i) for i in range(6)]
    assert reader.stats.as_dict() == {
        "lines": 12,
        "skipped": 0,
        "blank": 1,
        "events": 6,
        "malformed": 5,
    }
    # With the prefilter, framed lines without the literals are skipped
    # unparsed (7, and the blank 5); the others are reported with the same
    # numbers (4 and 11 for their framing).
    filtered = read_events(data, event_type_program(), prefilter=True)
    got = summary(filtered)
    assert [g for g in got if g[0] == "malformed"] == [("malformed", n) for n in (2, 4, 9, 11)]
    assert len([g for g in got if g[0] == "event"]) == 6
    assert filtered.stats.skipped == 2


BAD_LINES = [
    b'{"event_simpleName":"ProcessRollup2","aid":"x"',  # truncated
    b'{"event_simpleName":"ProcessRollup2",}',
    b'["ProcessRollup2"]',
    b'"NetworkConnectIP4"',
    b'{"event_simpleName":"Process\xffRollup2"}',
    b"\xef\xbb\xbf{}",  # a BOM off line 1
    b"\x00\x00\x00",
    b"ProcessRollup2 plain text",
    b'{"a":"' + b"x" * 9000 + b'"}',  # over the (small) line limit below
]


@pytest.mark.parametrize("compress", [False, True])
def test_garbage_interleaved_gives_the_same_rows(compress) -> None:
    program = seed_program()
    clean = list(generate_lines(2500, seed=33, malicious_rate=0.02))
    dirty: list[bytes] = []
    bad_numbers: list[int] = []
    for i, line in enumerate(clean):
        if i % 97 == 0:
            bad = BAD_LINES[(i // 97) % len(BAD_LINES)]
            dirty.append(bad + b"\n")
            bad_numbers.append(len(dirty))
        if i % 89 == 0:
            dirty.append(b"  \r\n")  # blank
        dirty.append(line.replace(b"\n", b"\r\n") if i % 3 == 0 else line)
    data = b"".join(dirty)
    if compress:
        data = gzip.compress(data)
    reference = _rows(read_events(b"".join(clean), None))
    assert reference
    for use_prefilter in (False, True):
        reader = read_events(
            data, program, need_all=True, prefilter=use_prefilter, max_line_bytes=8192
        )
        items = list(reader)
        assert _rows(item for item in items if isinstance(item, Event)) == reference
        reported = [m.line_number for m in items if isinstance(m, MalformedLine)]
        if use_prefilter:
            # A bad line is decoded when it is not framed as an object (or
            # holds the literals); the scan checked the framing of the rest.
            unframed = {
                number
                for number in bad_numbers
                if not dirty[number - 1].strip().startswith(b"{")
                or not dirty[number - 1].strip().endswith(b"}")
            }
            assert unframed <= set(reported) <= set(bad_numbers)
            assert len(unframed) >= len(bad_numbers) // 2
        else:
            assert reported == bad_numbers
        assert reader.stats.lines == len(dirty)


# Generated JSON for the equality property: numbers as tokens, strings with
# random escapes, objects as key/value lists (duplicates allowed).
_NUMBERS = st.one_of(
    st.from_regex(r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,6})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["-0", "0", "-0.0", "1.50", "1e3", "NaN", "Infinity", "-Infinity", "1e400"]),
)
_KEYS = st.sampled_from(["a", "b", "#a", "a.b", "@timestamp", "timestamp", "", "é", "k y"])
_PLAIN = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]) | st.sampled_from(['"', "\\", "/", "\n"]),
    max_size=10,
)


class _Num(str):
    pass


_VALUES = st.recursive(
    st.one_of(
        _PLAIN,
        _NUMBERS.map(_Num),
        st.sampled_from([True, False, None]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(st.tuples(_KEYS, inner), max_size=3).map(lambda pairs: ("obj", pairs)),
    ),
    max_leaves=8,
)


@st.composite
def _written(draw, value) -> str:
    space = draw(st.sampled_from(["", "", " ", "\t", "\r\n "]))
    if isinstance(value, _Num):
        text = str(value)
    elif isinstance(value, str):
        text = draw(_escaped_string(value))
    elif value is True or value is False or value is None:
        text = json.dumps(value)
    elif isinstance(value, list):
        text = "[" + ",".join([draw(_written(v)) for v in value]) + "]"
    else:
        pairs = value[1]
        text = (
            "{"
            + ",".join(f"{draw(_escaped_string(k))}:{draw(_written(v))}" for k, v in pairs)
            + "}"
        )
    return space + text + space


@st.composite
def _lines(draw) -> bytes:
    pairs = draw(st.lists(st.tuples(_KEYS, _VALUES), max_size=6))
    text = draw(_written(("obj", pairs)))
    if draw(st.integers(0, 9)) == 0:
        text = draw(_written(draw(_VALUES)))  # sometimes not an object
    return text.encode("utf-8", "surrogatepass")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines(), st.lists(_KEYS, max_size=4))
def test_decoding_equals_parse_line(line, names) -> None:
    try:
        expected = parse_line(line.decode("utf-8"))
    except ValueError:
        expected = None
    for decoder in (Decoder(need_all=True), Decoder(names)):
        result = decoder.decode(line, 3)
        if expected is None:
            assert isinstance(result, MalformedLine)
            continue
        assert isinstance(result, Event)
        assert result.raw == line.decode("utf-8")
        if decoder.need_all:
            assert result.fields == expected
            assert list(result.fields) == list(expected)
        else:
            wanted = set(decoder.names)
            assert result.fields == {k: v for k, v in expected.items() if k in wanted}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lines(), st.data())
def test_damaged_lines_fail_exactly_when_parse_line_fails(line, data) -> None:
    """msgspec must be neither more lenient nor stricter than json.loads."""
    if line:
        at = data.draw(st.integers(0, len(line) - 1))
        how = data.draw(st.sampled_from(["cut", "drop", "byte"]))
        if how == "cut":
            line = line[:at]
        elif how == "drop":
            line = line[:at] + line[at + 1 :]
        else:
            byte = data.draw(st.sampled_from(b'{}[]",:\\u0-e.ntf \x00\xff'))
            line = line[:at] + bytes([byte]) + line[at + 1 :]
    try:
        expected = parse_line(line.decode("utf-8"))
    except (ValueError, RecursionError):
        expected = None
    for decoder in (Decoder(need_all=True), Decoder(["a", "#a", "b"])):
        result = decoder.decode(line, 1)
        if expected is None:
            assert isinstance(result, MalformedLine), line
        else:
            assert isinstance(result, Event), (line, result)
            wanted = set(decoder.names) if not decoder.need_all else set(expected)
            assert result.fields == {k: v for k, v in expected.items() if k in wanted}


def test_seed_rule_fields_on_generated_events() -> None:
    program = seed_program()
    decoder = Decoder(program.fields)
    assert "#event_simpleName" in decoder.names and "event_simpleName" in decoder.names
    wanted = set(decoder.names)
    for line in itertools.islice(generate_lines(2000, seed=13), 2000):
        line = line.rstrip(b"\n")
        event = decoder.decode(line, 1)
        expected = parse_line(line.decode("utf-8"))
        assert event.fields == {k: v for k, v in expected.items() if k in wanted}
        assert event.get("#event_simpleName") == expected["event_simpleName"]


def _lines_of(blocks) -> list:
    out: list = []
    for block in blocks:
        out.extend(block.split(b"\n") if isinstance(block, bytes) else [type(block).__name__])
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    st.booleans(),
    st.integers(1, 64),
    st.integers(1, 50),
)
def test_a_file_read_with_pread_gives_the_lines_a_stream_gives(
    tmp_path_factory, lines, trailing, chunk_size, max_line
) -> None:
    """Plain files are read with pread; the lines (and the lines
    too long to read) are those of the streaming reader, whatever the chunk
    size, and so are a worker's byte ranges."""
    data = b"\n".join(lines) + (b"\n" if trailing and lines else b"")
    assume(not data.startswith((b"\x1f\x8b", b"\x28\xb5\x2f\xfd")))  # (read as compressed)
    path = tmp_path_factory.mktemp("pread") / "events.ndjson"
    path.write_bytes(data)
    streamed = _lines_of(
        ingest_blocks._stream_blocks(io.BytesIO(data), chunk_size, max_line, False)
    )
    read = _lines_of(ingest_blocks._file_blocks(path, chunk_size, max_line))
    assert read == streamed
    if data:
        cut = data.find(b"\n", len(data) // 2) + 1 or len(data)
        ranges = [
            ingest_blocks.FileRange(path, 0, cut),
            ingest_blocks.FileRange(path, cut, len(data)),
        ]
        for part in ranges:
            piece = io.BytesIO(data[part.start : part.end])
            assert _lines_of(ingest_blocks._range_blocks(part, chunk_size, max_line)) == _lines_of(
                ingest_blocks._stream_blocks(piece, chunk_size, max_line, False)
            )


# --- pacing the prefilter ---------------------------------------------------------------


def test_pacer_pauses_a_scan_that_keeps_nearly_everything() -> None:
    from cqlmatch.ingest.prefilter import Pacer

    pacer = Pacer()
    decisions = []
    for kept in [100] * 40 + [5] * 3 + [100] * 10:  # of 100 lines per block
        scan = pacer.scan_next()
        decisions.append(scan)
        if scan:
            pacer.scanned(kept, 100)
    # Two useless scans, then a pause of 8 blocks, one probe, a pause of
    # 16, one probe...
    assert decisions[:11] == [True, True] + [False] * 8 + [True]
    assert decisions[11:27] == [False] * 16 and decisions[27] is True
    assert decisions.count(True) < 10
    # A useful scan ends the pauses: blocks are scanned again.
    useful = [i for i in range(40, 43) if decisions[i]]
    if useful:
        assert all(decisions[useful[0] : useful[0] + 2])


def test_a_paused_prefilter_gives_the_same_rows_and_reports_bad_lines() -> None:
    """Many small blocks where every line holds the literals (the scan
    pauses), then blocks where most lines do not (it scans again)."""
    program = event_type_program()
    good = b'{"event_simpleName":"ProcessRollup2","n":"%d"}'
    other = b'{"event_simpleName":"DnsRequest","n":"%d"}'
    lines = [good % i if i % 250 != 249 else b'{"broken' for i in range(3000)]
    lines += [other % i if i % 10 else good % i for i in range(3000)]
    data = b"\n".join(lines) + b"\n"
    full = summary(read_events(data, program, prefilter=False, chunk_size=4096))
    reader = read_events(data, program, prefilter=True, chunk_size=4096)
    paced = summary(reader)

    def kept(items):
        return [g for g in items if g[0] == "event" and "ProcessRollup2" in g[2]]

    # Every event the rule can keep, and only events read as they are.
    assert kept(paced) == kept(full) and len(kept(full)) == 2988 + 300
    assert all(g in full for g in paced)
    # The broken lines are not framed as objects: a scan keeps them, as a
    # paused block does, and both report them.
    broken = [g for g in paced if g[0] == "malformed"]
    assert len(broken) == 12 and all(n % 250 == 0 for _, n in broken)
    assert 0 < reader.stats.skipped <= 2700  # the second part was scanned again

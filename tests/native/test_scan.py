"""The C prefilter scan (cqlmatch._scan) keeps exactly the lines the Python
scan keeps (``Prefilter.scan_python``, the rule in the prefilter module:
lines that may hold the literals, and lines not framed as JSON objects), and
counts lines as ``bytes.count`` does, with every search kernel this machine
runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings, strategies as st

from cqlmatch._scan import _use_kernel, scan
from cqlmatch.bytecode.program import Literal
from cqlmatch.ingest.columns import unpack_spans
from cqlmatch.ingest.prefilter import Prefilter
from cqlmatch.synth.gen import generate_lines


def _runs(kernel: str) -> bool:
    try:
        previous = _use_kernel(kernel)
    except ValueError:
        return False
    _use_kernel(previous)
    return True


KERNELS = [k for k in ("memmem", "word", "sse2", "avx2", "teddy") if _runs(k)]


@contextmanager
def using(kernel: str) -> Iterator[None]:
    previous = _use_kernel(kernel)
    try:
        yield
    finally:
        _use_kernel(previous)


PIECES = [
    b"ProcessRollup2",
    b"Process",
    b"Rollup2",
    b"NetworkConnectIP4",
    b"\\u0050rocessRollup2",
    b"\\u0041",
    b"\\u004",
    b"\\u00",
    b"\\/",
    b"a/b",
    b'{"event_simpleName":"',
    b'"}',
    b"\r",
    b" ",
    b"\xc3\xa9",
    b"x",
    b"\\\\u0050",
    b"\\U0050",
    b"PROCESSrollup2",
    b"dp\xe2\x84\xaag",  # Kelvin sign
    b"dp\\u212Ag",
    b"DPKG",
    b"X",
    b"mSiexec",
    b"mi\xc5\xbfiexec",  # long s
    b"\\u017f",
]
CNFS = [
    [["ProcessRollup2", "NetworkConnectIP4"]],
    [["ProcessRollup2"], ["x"]],
    [["a/b"]],
    [["Rollup2", "ProcessRollup2"], ["A", "é"]],
    [[Literal("processrollup2", True)], [Literal("dpkg", True), "x"]],
    [["ProcessRollup2", Literal("msiexec", True)], [Literal("x", True)]],
]


def both(prefilter: Prefilter, block: bytes) -> None:
    spans, lines = prefilter.scan_counted(block)
    assert spans == prefilter.scan_python(block)
    assert lines == block.count(b"\n") + 1


@pytest.mark.parametrize("kernel", KERNELS)
@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map(b"".join), max_size=12),
    cnf=st.sampled_from(CNFS),
    trailing=st.booleans(),
)
def test_c_scan_equals_the_python_scan(
    kernel: str, lines: list[bytes], cnf, trailing: bool
) -> None:
    block = b"\n".join(lines) + (b"\n" if trailing else b"")
    with using(kernel):
        both(Prefilter(cnf), block)


def reference_scan(
    block: bytes,
    groups: tuple[tuple[bytes, ...], ...],
    table: bytes,
    slash: bool,
    folds: tuple[tuple[bool, ...], ...] | None = None,
) -> tuple[list[tuple[int, int]], int]:
    """``scan``'s rule line by line: a non-empty line is kept when each group
    has a literal in it (in any ASCII case where ``folds`` says so), or when
    it holds ``\\u00XX`` with ``XX`` marked in ``table`` (or ``\\/`` when
    ``slash``), or when it is not blank and not ``{...}`` once spaces, tabs
    and CRs are trimmed (so the decoder reports it)."""
    if folds is None:
        folds = tuple((False,) * len(group) for group in groups)
    spans, start = [], 0
    for line in block.split(b"\n"):
        end = start + len(line)
        lowered = line.lower()
        if line and (
            all(
                any(x in (lowered if f else line) for x, f in zip(g, fs, strict=True))
                for g, fs in zip(groups, folds, strict=True)
            )
            or _escaped(line, table, slash)
            or _unframed(line)
        ):
            spans.append((start, end))
        start = end + 1
    return spans, block.count(b"\n") + 1


def _unframed(line: bytes) -> bool:
    inner = line.strip(b" \t\r")
    return inner != b"" and not (inner.startswith(b"{") and inner.endswith(b"}"))


def _escaped(line: bytes, table: bytes, slash: bool) -> bool:
    at = line.find(b"\\u00")
    while at >= 0:
        if at + 6 <= len(line) and table[line[at + 4] * 256 + line[at + 5]]:
            return True
        at = line.find(b"\\u00", at + 1)
    return slash and b"\\/" in line


LITERALS = [
    b"ProcessRollup2",
    b"NetworkConnectIP4",
    b"aab",
    b"aba",  # overlaps aab in "aaba"
    b"ab",
    b"b",
    b"x",
    b"\r",
    b"\\u0050",  # a literal that is also an escape
    b"a\nb",  # holds an LF: in no line
    b"2\n",
]
# Prefixes and suffixes of the literals (to straddle line ends), escapes
# whole and cut, and fillers that move everything across vector boundaries.
BLOCK_PIECES = [
    *LITERALS,
    b"Process",
    b"Rollup2",
    b"Network",
    b"ConnectIP4",
    b"aa",
    b"a",
    b"\\u00",
    b"\\u0",
    b"\\u0050",
    b"\\u0041",
    b"\\u005",
    b"0",
    b"50",
    b"\\",
    b"/",
    b"\\/",
    b"\\\\u0050",
    b"\n",
    b"\r\n",
    b"AAB",
    b"aBa",
    b"PROCESSROLLUP2",
    b"networkconnectip4",
    b"X",
    b"@`[{",  # letters but for bit 0x20
    b".",
    b"." * 15,
    b"-" * 31,
    b"_" * 64,
]
# More literals than the vector kernels take at once (64), and several.
MANY = tuple(bytes([a, b]) for a in b"abx\\P0" for b in b"abcdefghijklm")[:70]
GROUP = st.one_of(
    st.lists(st.sampled_from(LITERALS), min_size=1, max_size=4).map(tuple),
    st.sampled_from([MANY, MANY[:64], MANY[:9], (*MANY[:5], b"ProcessRollup2")]),
)
HEX = b"0123456789abcdefABCDEF"


def _table(marks: list[tuple[int, int]]) -> bytes:
    table = bytearray(65536)
    for first, second in marks:
        table[first * 256 + second] = 1
    return bytes(table)


TABLE = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(HEX), st.sampled_from(HEX)),
        st.sampled_from([(ord("5"), ord("0")), (10, ord("0")), (ord("5"), 10), (13, 10)]),
    ),
    max_size=6,
).map(_table)


@st.composite
def blocks(draw: st.DrawFn) -> bytes:
    """LF- or CRLF-separated lines of pieces, empty lines among them, with
    or without a final LF, often long enough for the vector loops."""
    line = st.lists(st.sampled_from(BLOCK_PIECES) | st.binary(max_size=3), max_size=10)
    lines = draw(st.lists(line.map(b"".join), max_size=16))
    separator = draw(st.sampled_from([b"\n", b"\r\n"]))
    block = separator.join(lines) + draw(st.sampled_from([b"", b"\n", b"\r\n"]))
    return block * draw(st.sampled_from([1, 1, 2, 7]))


@pytest.mark.parametrize("kernel", KERNELS)
@settings(max_examples=250, deadline=None)
@given(
    block=blocks(),
    groups=st.lists(GROUP, max_size=3).map(tuple),
    table=TABLE,
    slash=st.booleans(),
    fold=st.data(),
)
def test_scan_keeps_the_lines_of_the_rule(
    kernel: str,
    block: bytes,
    groups: tuple[tuple[bytes, ...], ...],
    table: bytes,
    slash: bool,
    fold: st.DataObject,
) -> None:
    # Some literals compared ignoring ASCII case (given in lower case), or none.
    folds = tuple(
        tuple(fold.draw(st.lists(st.booleans(), min_size=len(g), max_size=len(g)))) for g in groups
    )
    groups = tuple(
        tuple(x.lower() if f else x for x, f in zip(g, fs, strict=True))
        for g, fs in zip(groups, folds, strict=True)
    )
    with using(kernel):
        got = scan(block, groups, table, slash, folds=folds)
        packed, lines = scan(block, groups, table, slash, packed=True, folds=folds)
    assert got == reference_scan(block, groups, table, slash, folds)
    assert (unpack_spans(packed), lines) == got
    if not any(f for fs in folds for f in fs):
        assert scan(block, groups, table, slash) == got


@pytest.mark.parametrize("kernel", KERNELS)
def test_scan_at_the_edges_of_lines_and_blocks(kernel: str) -> None:
    table = bytearray(65536)
    table[ord("5") * 256 + ord("0")] = 1
    # An escape's digits are in its line: these never keep one.
    table[10 * 256 + ord("0")] = table[ord("5") * 256 + 10] = 1
    pad = b"." * 70
    cases = [
        b"NetworkConnectIP4" + pad + b"\n" + pad + b"NetworkConnectIP4",  # block start, end
        pad + b"\nNetworkConnectIP4\n" + pad + b"NetworkConnectIP4\r\n\n\n",
        pad + b"Network\nConnectIP4" + pad,  # straddles an LF
        pad + b"NetworkConnectIP4NetworkConnectIP4ProcessRollup2x\r\n" + pad,
        pad + b"\\u00\n0" + pad + b"\\u005\n0\\u0050",  # escapes cut by LFs, one at the end
        pad + b"\\u0050" + pad + b"\n\\/\n\\" + pad + b"\n/",
        pad + b"\\u0050x\n\\u0050\n",
        b"\n" * 20000,  # more LFs than a byte counter of the SIMD count holds
        b"\r\n" * 10000,
        b"",
        b"NetworkConnectIP",
    ]
    for groups in [
        ((b"NetworkConnectIP4",),),
        ((b"NetworkConnectIP4", b"ProcessRollup2"), (b"2",)),
        ((b"\\u0050",), (b"x",)),  # a literal and an escape at one offset
    ]:
        for block in cases:
            for slash in (False, True):
                with using(kernel):
                    got = scan(block, groups, bytes(table), slash)
                assert got == reference_scan(block, groups, bytes(table), slash), block


@pytest.mark.parametrize("kernel", KERNELS)
def test_scan_ignoring_case(kernel: str) -> None:
    pad = b"{" + b"." * 70
    block = b"\n".join(
        [
            pad + b"MSIEXEC" + pad + b"}",
            pad + b"msi@xec" + pad + b"}",  # @ is e without bit 0x20: no match
            pad + b"MsIeXeC}",
            b"{m[iexec}",
            b"{MSIEXE}",
            pad + b"Msiexec}\r",
        ]
    )
    with using(kernel):
        spans, _ = scan(block, ((b"msiexec",),), bytes(65536), False, folds=((True,),))
        exact, _ = scan(block, ((b"msiexec",),), bytes(65536), False, folds=((False,),))
    assert [block[a:b].strip(b"{.}\r") for a, b in spans] == [b"MSIEXEC", b"MsIeXeC", b"Msiexec"]
    assert exact == []


def test_scan_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):  # a folding literal must be in lower case
        scan(b"x", ((b"X",),), bytes(65536), False, folds=((True,),))
    with pytest.raises(ValueError):
        scan(b"x", ((b"x",),), bytes(65536), False, folds=((True, False),))
    with pytest.raises(TypeError):
        scan(b"x", ((b"",),), bytes(65536), False)
    with pytest.raises(TypeError):
        scan(b"x", (("x",),), bytes(65536), False)
    with pytest.raises(ValueError):
        scan(b"x", ((b"x",),), bytes(10), False)
    with pytest.raises(ValueError):
        _use_kernel("no such kernel")


@pytest.mark.parametrize("kernel", KERNELS)
def test_c_scan_over_generated_telemetry(kernel: str) -> None:
    with using(kernel):
        for mix in ("realistic", "worst"):
            block = b"".join(generate_lines(5000, seed=8, mix=mix, malicious_rate=0.05))
            for cnf in CNFS:
                both(Prefilter(cnf), block)
        spans, _ = Prefilter(CNFS[0]).scan_counted(block)
        assert len(spans) == 5000  # the worst mix: every line is one of the two types
        realistic = b"".join(generate_lines(5000, seed=8))
        assert 0 < len(Prefilter(CNFS[0]).scan(realistic)) < 2000


def test_no_literals_keep_every_line() -> None:
    prefilter = Prefilter([])
    assert prefilter.scan_counted(b"a\n\nb") == ([(0, 1), (2, 2), (3, 4)], 3)
    # The C scan without groups keeps every non-empty line.
    assert scan(b"a\n\nb\r\n", (), bytes(65536), False) == ([(0, 1), (3, 5)], 4)


def test_join_lines_strips_cr_and_reports_ascii() -> None:
    from cqlmatch._scan import join_lines

    block = b'{"a":"1"}\r\n{"b":"\xc3\xa9"}\nx\r\n'
    assert join_lines(block, [(0, 10), (11, 21)]) == (b'{"a":"1"}\n{"b":"\xc3\xa9"}', False)
    assert join_lines(block, [(0, 10), (22, 24)]) == (b'{"a":"1"}\nx', True)
    assert join_lines(block, []) == (b"", True)
    try:
        join_lines(block, [(20, 99)])
    except ValueError:
        pass
    else:
        raise AssertionError("a span outside the block was accepted")


def test_gather_applies_fallbacks_and_unset() -> None:
    import msgspec

    from cqlmatch._scan import gather

    class Row(msgspec.Struct):
        a: str | msgspec.UnsetType = msgspec.UNSET
        b: str | msgspec.UnsetType = msgspec.UNSET

    rows = [Row(a="1", b="2"), Row(b="3"), Row()]
    assert gather(rows, ("a", "b"), ("b", None), msgspec.UNSET) == (
        ["1", "3", None],
        ["2", "3", None],
    )


UTF8_EDGES = [
    b"",
    b"abc",
    b"\xc3\xa9",
    b"\xc3",
    b"\xc0\x80",  # overlong NUL
    b"\xc1\xbf",
    b"\xe0\x80\x80",  # overlong
    b"\xe0\xa0\x80",
    b"\xed\x9f\xbf",
    b"\xed\xa0\x80",  # a surrogate
    b"\xef\xbf\xbf",
    b"\xf0\x8f\xbf\xbf",  # overlong
    b"\xf0\x90\x80\x80",
    b"\xf4\x8f\xbf\xbf",
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xf5\x80\x80\x80",
    b"\x80",
    b"a\xe2\x82",
    b"\xe2\x82\xac",
]


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=500, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=12),
        st.lists(st.sampled_from(UTF8_EDGES), max_size=5).map(b"".join),
        st.text(max_size=6).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
)
def test_utf8_valid_is_python_strict_utf8(data: bytes) -> None:
    from cqlmatch._scan import utf8_valid

    assert utf8_valid(data) == _decodes(data)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([b'{"a":"xyz"}', b'{"b":"abc"}', b"junk", b"", b'{"a":"XYZ"}']), max_size=8
    ),
    st.integers(0, 60),
    st.integers(0, 60),
)
def test_a_range_is_scanned_as_the_block_it_cuts(lines: list[bytes], i: int, j: int) -> None:
    """``scan(block, ..., start, end)`` of whole lines gives the spans of
    ``scan(block[start:end])`` moved by ``start``; scans with other literals
    in between (the needles of the last literals are kept) change nothing."""
    block = b"\n".join(lines)
    cuts = sorted({0, len(block), *(k + 1 for k, c in enumerate(block) if c == 10)})
    start, end = sorted((cuts[i % len(cuts)], cuts[j % len(cuts)]))
    if end > start and block[end - 1 : end] == b"\n":
        end -= 1  # a range of whole lines ends before an LF
    first, second = Prefilter([["xyz"]]), Prefilter([[Literal("abc", True)]])
    for prefilter in (first, second, first):
        spans, lines_in = prefilter.scan_counted(block[start:end])
        moved, counted = prefilter.scan_counted(block, False, start, end)
        assert moved == [(a + start, b + start) for a, b in spans]
        assert counted == lines_in


FRAMING_LINES = [
    b"{}",
    b'{"a":"b"}',
    b'{"event_simpleName":"ProcessRollup2","x":"' + b"y" * 23 + b'"}',
    b'{"k":"' + b"z" * 61 + b'"}',
    b"",
    b"   ",
    b" {} ",
    b'\t{"a":1}\r',
    b"{not closed",
    b"not opened}",
    b"}{",
    b"garbage",
    b"{",
    b"}",
    b"\r",
]


@pytest.mark.parametrize("kernel", KERNELS)
@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.sampled_from(FRAMING_LINES) | st.binary(max_size=40), max_size=40),
    final=st.sampled_from([b"", b"\n"]),
    pad=st.integers(0, 40),
)
def test_framing_of_every_line_at_any_offset(
    kernel: str, lines: list[bytes], final: bytes, pad: int
) -> None:
    """Lines no literal can be found in: the scan keeps exactly those not
    framed as an object and counts every line, wherever the line feeds fall
    in the 32-byte steps of the vector kernels (``framelines.h``)."""
    block = b"\n".join(lines) + final
    if pad:  # (shifts every line feed against the steps)
        block = b'{"p":"' + b"p" * pad + b'"}\n' + block
    never = ((b"\x01never\x02",),)
    with using(kernel):
        got = scan(block, never, _table([]), False)
    assert got == reference_scan(block, never, _table([]), False)


@pytest.mark.parametrize("kernel", KERNELS)
def test_framing_of_each_kind_of_line_at_each_offset(kernel: str) -> None:
    """Each kind of line (framed, blank, cut, braces on one side only),
    before and after framed ones, with its line feeds at every offset of a
    32-byte step: the lines kept and counted are the reference's."""
    never = ((b"\x01never\x02",),)
    framed = b'{"a":"b"}'
    with using(kernel):
        for line in FRAMING_LINES:
            for pad in range(40):
                head = b'{"p":"' + b"p" * pad + b'"}\n' if pad else b""
                for block in (
                    head + line + b"\n" + (framed + b"\n") * 6,
                    head + (framed + b"\n") * 3 + line + b"\n" + framed,
                    head + line,
                    line + b"\n" + head + line + b"\n" + line,
                ):
                    assert scan(block, never, _table([]), False) == reference_scan(
                        block, never, _table([]), False
                    ), (line, pad)

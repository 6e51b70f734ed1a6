"""The C prefilter scan (cqlmatch._scan) keeps exactly the lines the Python
scan keeps (``Prefilter.scan_python``, the rule in ingest's docstring), and
counts lines as ``bytes.count`` does."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cqlmatch.gen import generate_lines
from cqlmatch.ingest import Prefilter

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
]
CNFS = [
    [["ProcessRollup2", "NetworkConnectIP4"]],
    [["ProcessRollup2"], ["x"]],
    [["a/b"]],
    [["Rollup2", "ProcessRollup2"], ["A", "é"]],
]


def both(prefilter: Prefilter, block: bytes) -> None:
    spans, lines = prefilter.scan_counted(block)
    assert spans == prefilter.scan_python(block)
    assert lines == block.count(b"\n") + 1


@settings(max_examples=400, deadline=None)
@given(
    lines=st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map(b"".join), max_size=12),
    cnf=st.sampled_from(CNFS),
    trailing=st.booleans(),
)
def test_c_scan_equals_the_python_scan(lines: list[bytes], cnf, trailing: bool) -> None:
    block = b"\n".join(lines) + (b"\n" if trailing else b"")
    both(Prefilter(cnf), block)


def test_c_scan_over_generated_telemetry() -> None:
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

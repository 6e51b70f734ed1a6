"""The one line splitter: bytes pushed in any pieces give the lines of the
whole, and a line past the limit is reported once, never held."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cqlmatch.ingest.lines import LineSplitter, Overlong, lines_in, strip_bom


def _split(data: bytes, cuts: list[int], limit: int) -> list[bytes | str]:
    """The lines the splitter gives for ``data`` pushed in pieces at ``cuts``
    (an overlong line as the string "overlong")."""
    splitter = LineSplitter(limit)
    blocks = []
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        blocks += splitter.push(data[start:cut])
        start = cut
    blocks += splitter.finish()
    out: list[bytes | str] = []
    for block in blocks:
        if isinstance(block, Overlong):
            out.append("overlong")
        else:
            out.extend(block.split(b"\n"))
    return out


def _expected(data: bytes, limit: int) -> list[bytes | str]:
    if not data:
        return []
    lines = data.split(b"\n")
    if data.endswith(b"\n"):
        lines.pop()
    return ["overlong" if len(line) > limit else line for line in lines]


lines_st = st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"x")), max_size=12)


@settings(max_examples=400, deadline=None)
@given(lines_st, st.booleans(), st.lists(st.integers(0, 200), max_size=8))
def test_pieces_give_the_lines_of_the_whole(lines, final_newline, cuts) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    cuts = [c for c in cuts if c <= len(data)]
    assert _split(data, cuts, limit=1000) == _expected(data, 1000)


@settings(max_examples=400, deadline=None)
@given(lines_st, st.lists(st.integers(0, 200), max_size=8), st.integers(1, 8))
def test_lines_past_the_limit_are_reported_in_their_place(lines, cuts, limit) -> None:
    """A line past the limit is reported once, where it stood, whether it
    arrived whole or in pieces (the splitter may cut it off before its
    end: it still counts as one line)."""
    data = b"\n".join(lines) + b"\n" if lines else b""
    cuts = [c for c in cuts if c <= len(data)]
    got = _split(data, cuts, limit)
    expected = _expected(data, limit)
    # a complete line inside one piece is not measured by the splitter (its
    # reader measures it); only lines spanning pieces are cut off here
    assert len(got) == len(expected)
    for seen, want in zip(got, expected, strict=True):
        assert seen == want or (isinstance(seen, bytes) and want == "overlong")


def test_a_carried_line_past_the_limit_is_thrown_away_as_it_grows() -> None:
    splitter = LineSplitter(4)
    assert splitter.push(b"ab") == []
    (block,) = splitter.push(b"cdefg")
    assert isinstance(block, Overlong) and block.length is None
    assert splitter.pending  # the rest of that line is skipped up to its LF
    assert splitter.push(b"hij") == []
    assert splitter.push(b"k\nok\n") == [b"ok"]
    assert not splitter.pending
    assert splitter.finish() == []


def test_lines_in_counts_overlong_as_one() -> None:
    assert lines_in(b"a\nb\nc") == 3
    assert lines_in(b"") == 1
    assert lines_in(Overlong(10)) == 1


def test_byte_order_mark() -> None:
    assert strip_bom(b"\xef\xbb\xbf{}\n{}") == (b"{}\n{}", False)
    assert strip_bom(b"\xef\xbb\xbf  \n{}") == (b"\n{}", True)
    assert strip_bom(b"{}") == (b"{}", False)


@settings(max_examples=400, deadline=None)
@given(lines_st, st.booleans(), st.lists(st.integers(0, 200), max_size=8), st.integers(1, 8))
def test_push_range_gives_what_push_gives(lines, final_newline, cuts, limit) -> None:
    """``push_range`` leaves the whole lines of a piece in place; with its
    blocks before and after them, it gives the blocks of ``push``."""
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    cuts = [c for c in cuts if c <= len(data)]
    pushed, ranged = LineSplitter(limit), LineSplitter(limit)
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        piece = data[start:cut]
        start = cut
        before, first, last, after = ranged.push_range(piece)
        middle = [piece[first:last]] if first <= last else []
        got = [*before, *middle, *after]
        expected = pushed.push(piece)
        assert [_shown(b) for b in got] == [_shown(b) for b in expected]
    assert [_shown(b) for b in ranged.finish()] == [_shown(b) for b in pushed.finish()]


def _shown(block: bytes | Overlong) -> bytes | tuple[str, int | None]:
    return ("overlong", block.length) if isinstance(block, Overlong) else block

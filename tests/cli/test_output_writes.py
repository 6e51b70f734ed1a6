"""``write_rows`` writes whole chunks, not a write per row or JSON token
(standard output may be unbuffered), and the text is what writing row by
row gave."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cqlmatch.cli.output import WRITE_ROWS, write_rows


class CountingOut(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


ROWS = [{"n": str(i), "text": f'a "quoted" é {i}', "empty": ""} for i in range(2 * WRITE_ROWS + 5)]


def _row_by_row(fmt: str) -> str:
    out = io.StringIO()
    if fmt == "ndjson":
        for row in ROWS:
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
    elif fmt == "json":
        json.dump(ROWS, out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        writer = csv.DictWriter(out, fieldnames=list(ROWS[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(ROWS)
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "writes"), [("ndjson", 3), ("json", 1), ("csv", 1)])
def test_chunks_give_the_same_text(fmt, writes) -> None:
    out = CountingOut()
    write_rows(ROWS, fmt, out)
    assert out.getvalue() == _row_by_row(fmt)
    assert out.writes == writes


def test_ndjson_is_compact_json_of_any_text() -> None:
    """Each NDJSON line is the row as ``json.dumps`` writes it compact,
    for every kind of character (controls, quotes, non-ASCII, astral), and
    a row only ``json`` can write (a lone surrogate) is written all the same."""
    texts = ["", "\x00\x1f\x7f", '\\"/\n\t', "é", "\u2028</script>", "😀", "\ud800"]
    rows = [{t: t, "n": str(i)} for i, t in enumerate(texts)]
    out = io.StringIO()
    write_rows(rows, "ndjson", out)
    want = "".join(
        json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows
    )
    assert out.getvalue() == want
    assert [json.loads(line) for line in out.getvalue().split("\n")[:-1]] == rows


def test_no_rows() -> None:
    out = CountingOut()
    write_rows([], "ndjson", out)
    assert out.getvalue() == ""
    write_rows([], "json", out)
    assert out.getvalue() == "[]\n"


class CountingBytes(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.writes += 1
        return super().write(data)


def test_ndjson_goes_to_the_bytes_under_a_utf8_stream_in_order() -> None:
    """Under a UTF-8 text stream NDJSON is written to its byte stream, in
    chunks, after what was written as text before it; the bytes are what
    the text gives."""
    raw = CountingBytes()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    out.write("before\n")
    write_rows(ROWS, "ndjson", out)
    out.flush()
    assert raw.getvalue() == ("before\n" + _row_by_row("ndjson")).encode("utf-8")
    assert raw.writes == 4  # the text before, then three chunks


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_ndjson_under_another_encoding_is_written_as_text(encoding) -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    write_rows(ROWS, "ndjson", out)
    out.flush()
    assert raw.getvalue() == _row_by_row("ndjson").encode(encoding, "replace")


def test_a_row_only_json_can_write_keeps_the_stream_s_own_handling() -> None:
    """A chunk holding a lone surrogate (not UTF-8 as bytes) goes through
    the text stream, which handles it as its errors setting says."""
    rows = [{"a": "ok"}, {"a": "\ud800"}]
    for errors, want in (("surrogateescape", None), ("backslashreplace", b"\\ud800")):
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding="utf-8", errors=errors, newline="")
        if want is None:
            with pytest.raises(UnicodeEncodeError):
                write_rows(rows, "ndjson", out)
                out.flush()
        else:
            write_rows(rows, "ndjson", out)
            out.flush()
            assert raw.getvalue() == b'{"a":"ok"}\n{"a":"' + want + b'"}\n'


class PartialWrites(io.BytesIO):
    """A byte stream that takes at most 1,000 bytes a write (as an
    unbuffered ``FileIO`` may)."""

    def write(self, data) -> int:  # type: ignore[override]
        return super().write(bytes(data[:1000]))


def test_ndjson_to_a_stream_that_takes_part_of_each_write_is_whole() -> None:
    raw = PartialWrites()
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
    write_rows(ROWS, "ndjson", out)
    out.flush()
    assert raw.getvalue() == _row_by_row("ndjson").encode("utf-8")


def test_ndjson_under_a_line_buffered_stream_is_flushed_as_text_would_be() -> None:
    """A line-buffered text stream (a terminal) passes each line on at
    once; so do the bytes written under it."""
    raw = io.BufferedWriter(io.BytesIO(), buffer_size=1 << 20)
    out = io.TextIOWrapper(raw, encoding="utf-8", newline="", line_buffering=True)
    write_rows(ROWS[:3], "ndjson", out)
    assert raw.raw.getvalue() == "".join(_row_by_row("ndjson").splitlines(True)[:3]).encode()

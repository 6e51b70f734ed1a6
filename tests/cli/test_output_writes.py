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

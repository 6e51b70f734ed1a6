"""What one small query may make one event expand into (issue "Reliability
II"): format() widths, regex(repeat=true) events, splitString() pieces and
replace() growth are bounded, with an error or a warning, on both engines."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.limits import EVENTS_PER_EVENT_MAX, FORMAT_WIDTH_MAX, SPLIT_PIECES_MAX

from .helpers import run


@pytest.mark.parametrize(
    "fmt", ["%1000000000s", "%2000000000.2000000000f", "%.10001s", "%1$10001d"]
)
def test_a_format_width_or_precision_past_the_bound_is_refused(fmt: str) -> None:
    # %1000000000s built a 1 GB value; the second ended in a MemoryError.
    with pytest.raises(cqlmatch.CQLCompileError) as info:
        cqlmatch.compile(f'format("{fmt}", field=a)')
    d = info.value.diagnostics[0]
    assert d.code == "E207" and f"{FORMAT_WIDTH_MAX:,}" in d.message


def test_format_widths_up_to_the_bound_work(engine: str) -> None:
    rows = run(f'format("%{FORMAT_WIDTH_MAX}s|%%99999s", field=a)', [{"a": "x"}], engine)
    assert rows[0]["_format"] == "x".rjust(FORMAT_WIDTH_MAX) + "|%99999s"


def test_format_from_a_parameter_is_checked_too() -> None:
    with pytest.raises(cqlmatch.CQLCompileError) as info:
        cqlmatch.compile("format(?f, field=a)", params={"f": "%20000s"})
    assert info.value.code == "E207"


def test_regex_repeat_limit_is_at_most_the_events_per_event() -> None:
    with pytest.raises(cqlmatch.CQLCompileError) as info:
        cqlmatch.compile(
            f'regex("(?<c>.)", field=v, repeat=true, limit={EVENTS_PER_EVENT_MAX + 1})'
        )
    assert info.value.code == "E207"


def test_regex_repeat_stops_at_its_limit(engine: str) -> None:
    value = "ab" * 500_000  # a million matches; only the limit is kept
    query = f'regex("(?<c>.)", field=v, repeat=true, limit={EVENTS_PER_EVENT_MAX})'
    rows = run(query, [{"v": value}], engine)
    assert len(rows) == EVENTS_PER_EVENT_MAX
    assert [r["c"] for r in rows[:3]] == ["a", "b", "a"] and rows.warnings == []


def test_split_string_writes_at_most_the_bound_of_pieces(engine: str) -> None:
    rows = run('splitString(field=v, by="", as=p)', [{"v": "xy" * 100_000}], engine)
    fields = [k for k in rows[0] if k.startswith("p[")]
    assert len(fields) == SPLIT_PIECES_MAX
    assert rows[0]["p[0]"] == "x" and rows[0][f"p[{SPLIT_PIECES_MAX - 1}]"] == "y"
    assert [code for code, _ in rows.warnings] == ["W413"]


@pytest.mark.parametrize(
    ("value", "pieces"),
    [(",a,,b,,", ["a", "", "b"]), ("," * 50_000 + "a" + "," * 50_000, ["a"]), ("a,b", ["a", "b"])],
)
def test_split_string_empty_pieces_at_the_ends_are_not_counted(
    engine: str, value: str, pieces: list[str]
) -> None:
    rows = run('splitString(field=v, by=",", as=p)', [{"v": value}], engine)
    assert [rows[0][f"p[{i}]"] for i in range(len(pieces))] == pieces
    assert f"p[{len(pieces)}]" not in rows[0] and rows.warnings == []


def test_split_string_with_an_index_reads_every_piece(engine: str) -> None:
    rows = run('splitString(field=v, by=",", index=-1, as=p)', [{"v": "a," * 20_000 + "z"}], engine)
    assert rows[0]["p"] == "z" and rows.warnings == []


def test_replace_that_would_grow_too_much_leaves_the_value(engine: str) -> None:
    long = "x" * 20_000
    rows = run(f'replace("", with="{long}", field=v)', [{"v": "y" * 1000}], engine)
    assert rows[0]["v"] == "y" * 1000
    assert [code for code, _ in rows.warnings] == ["W414"]


def test_replace_within_the_bound_is_whole(engine: str) -> None:
    rows = run('replace("", with="-", field=v)', [{"v": "abc"}], engine)
    assert rows[0]["v"] == "-a-b-c-" and rows.warnings == []

"""One event holds at most ``limits.MAX_EVENT_VALUES`` values (Reliability II).

A 60 MB line holding a 30-million-element array took 5.8 GB once flattened;
now a line past the bound is counted before it is decoded whole and is a
malformed line "more than N values in one event", and a mapping past it is
refused while it is flattened, so memory stays bounded on every path.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import cqlmatch
from cqlmatch.ingest.decode import Decoder, from_dicts
from cqlmatch.ingest.lines import MalformedLine
from cqlmatch.lang.events import check_values, count_values, flatten, parse_line
from cqlmatch.limits import MAX_EVENT_VALUES

ELEMENTS = 2_000_000
REASON = f"more than {MAX_EVENT_VALUES:,} values in one event"
#: Far below what flattening 2,000,000 elements took (hundreds of MB).
PEAK_BYTES = 64 << 20
QUERY = "#event_simpleName=ProcessRollup2 | ImageFileName=/bash/"


def _huge_line() -> bytes:
    items = b",".join([b"1"] * ELEMENTS)
    return b'{"event_simpleName":"ProcessRollup2","ImageFileName":"/bin/bash","a":[' + items + b"]}"


def _peak(call: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = call()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _size(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + _size(v) for v in value.values())
    if isinstance(value, list):
        return sum(1 + _size(v) for v in value)
    return 0


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        '{"a":1}',
        '{"a":[1,2,{}],"b":{"c":"x,y[{"}}',
        '{ "a" : [ ] , "b" : [ 1 , "]" ] , "c" : { } }',
        '{"s":"a \\" , [ quote","t":[[[]],[{"u":null}]]}',
    ],
)
def test_count_values_is_exact(text: str) -> None:
    expected = _size(json.loads(text))
    assert count_values(text) == expected
    assert count_values(text.encode()) == expected


def test_count_values_of_a_nested_event() -> None:
    line = json.dumps({f"k{i}": [i, {"x": "a,b"}] for i in range(1000)})
    assert count_values(line) == 4000  # the array, its two items, "x"


def test_commas_inside_a_string_are_not_values() -> None:
    line = '{"a":"' + "," * (3 * MAX_EVENT_VALUES) + '"}'
    check_values(line)
    check_values(line.encode())
    assert parse_line(line)["a"].count(",") == 3 * MAX_EVENT_VALUES


def test_at_the_bound_is_an_event_past_it_is_not() -> None:
    at = '{"a":[' + ",".join(["1"] * (MAX_EVENT_VALUES - 1)) + "]}"
    assert len(parse_line(at)) == MAX_EVENT_VALUES - 1
    past = '{"a":[' + ",".join(["1"] * MAX_EVENT_VALUES) + "]}"
    with pytest.raises(ValueError, match=REASON):
        parse_line(past)
    assert len(flatten(json.loads(at))) == MAX_EVENT_VALUES - 1
    with pytest.raises(ValueError, match=REASON):
        flatten(json.loads(past))


def test_many_keys_are_counted() -> None:
    line = "{" + ",".join(f'"k{i}":1' for i in range(MAX_EVENT_VALUES + 1)) + "}"
    with pytest.raises(ValueError, match=REASON):
        parse_line(line)
    with pytest.raises(ValueError, match=REASON):
        flatten(json.loads(line))


@pytest.mark.parametrize(
    ("fields", "need_all"),
    [((), True), (["#event_simpleName", "ImageFileName"], False), (["a[0]"], False)],
)
def test_decoder_reports_the_line_malformed_in_bounded_memory(
    fields: list[str], need_all: bool
) -> None:
    line = _huge_line()
    decoder = Decoder(fields, need_all)
    result, peak = _peak(lambda: decoder.decode(line, 7))
    assert isinstance(result, MalformedLine)
    assert result.reason == REASON and result.line_number == 7
    assert peak < PEAK_BYTES


@pytest.mark.parametrize("engine", ["vm", "reference"])
def test_run_skips_the_line_in_bounded_memory(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "events.ndjson"
    good = b'{"event_simpleName":"ProcessRollup2","ImageFileName":"/bin/bash"}'
    path.write_bytes(good + b"\n" + _huge_line() + b"\n" + good + b"\n")
    query = cqlmatch.compile(QUERY)
    result, peak = _peak(lambda: query.run(str(path), engine=engine, workers=1))
    assert len(result) == 2
    assert result.malformed_count == 1
    assert result.malformed[0].line_number == 2
    assert result.malformed[0].reason == REASON
    assert peak < PEAK_BYTES


@pytest.mark.parametrize("engine", ["vm", "reference"])
def test_matcher_feed_skips_the_line_in_bounded_memory(engine: str) -> None:
    matcher = cqlmatch.Matcher(QUERY, engine=engine)
    data = _huge_line() + b"\n" + b'{"event_simpleName":"ProcessRollup2","ImageFileName":"/bash"}\n'
    out, peak = _peak(lambda: matcher.feed(data) + matcher.flush())
    assert len(out) == 1
    assert matcher.malformed_count == 1
    assert matcher.malformed[0].reason == REASON
    assert peak < PEAK_BYTES


@pytest.mark.parametrize("engine", ["vm", "reference"])
@pytest.mark.parametrize(
    "query", [QUERY, "* | select([a])", "#event_simpleName=ProcessRollup2 | a[0]=1"]
)
def test_matcher_match_with_a_huge_dict_is_bounded(query: str, engine: str) -> None:
    event = {"event_simpleName": "ProcessRollup2", "ImageFileName": "/bin/bash"}
    event["a"] = [1] * ELEMENTS  # type: ignore[assignment]
    matcher = cqlmatch.Matcher(query, engine=engine)

    def match() -> Any:
        try:
            return matcher.match(event)
        except ValueError as err:
            return err

    result, peak = _peak(match)
    # flattening refuses it; a matcher reading only top-level names need not
    if isinstance(result, ValueError):
        assert REASON in str(result)
    assert peak < PEAK_BYTES


def test_compiled_match_and_from_dicts_refuse_a_huge_dict() -> None:
    event = {"event_simpleName": "ProcessRollup2", "a": [[1, 2]] * ELEMENTS}
    query = cqlmatch.compile(QUERY)

    def match() -> Any:
        try:
            return query.match(event, engine="reference")
        except ValueError as err:
            return err

    err, peak = _peak(match)
    assert REASON in str(err) and peak < PEAK_BYTES
    (item,) = list(from_dicts([event]))
    assert isinstance(item, MalformedLine) and item.reason == REASON


@pytest.mark.parametrize("prefilter", [True, False])
def test_the_column_path_agrees_on_a_line_past_the_bound(tmp_path: Path, prefilter: bool) -> None:
    """A grouping query reads kept lines as column batches (the C field
    extractor, msgspec behind it), which never build the array: they still
    give the line to the per-line decoder, so it is malformed there too."""
    path = tmp_path / "events.ndjson"
    good = b'{"event_simpleName":"ProcessRollup2","ImageFileName":"/bin/bash"}'
    path.write_bytes(good + b"\n" + _huge_line() + b"\n" + good + b"\n")
    query = cqlmatch.compile("#event_simpleName=ProcessRollup2 | groupBy(ImageFileName)")
    assert query.plan.columns
    for engine in ("vm", "reference"):
        result = query.run(str(path), engine=engine, workers=1, prefilter=prefilter)
        assert result == [{"ImageFileName": "/bin/bash", "_count": "2"}], engine
        assert [m.reason for m in result.malformed] == [REASON], engine

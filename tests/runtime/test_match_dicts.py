"""``Matcher.match(dict)`` reads a plain dict in place (``_vm.DictMatcher``):
its answers against the reference interpreter's on random events with
nested objects and arrays, keys that contain dots and brackets, missing
fields, values of every JSON type and the ``#tag``/``@timestamp``
fallbacks; and the reasons it gives for values JSON cannot hold."""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cqlmatch.lang.events import flat_value, flatten
from cqlmatch.runtime.matcher import Matcher

ROOT = Path(__file__).resolve().parents[2]
RULE = (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")

SETTINGS = settings(
    max_examples=int(os.environ.get("CQLMATCH_DIFF_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Keys that spell the same flattened name in several ways ("a.b" and "a" > "b";
# "x[0]" and "x" > 0), the tag and timestamp fallbacks, and names no query reads.
KEYS = ["a", "b", "c", "a.b", "b.c", "x", "x[0]", "t", "#t", "n", "@timestamp", "timestamp", "k"]
STRINGS = ["", "x", "X", "abc", "b", "ProcessRollup2", "1", "2.0", "-", "null", "true", "é"]
SCALARS = st.one_of(
    st.sampled_from(STRINGS),
    st.integers(-3, 12),
    st.sampled_from([0.5, 1.5, 3.0, -0.0, 1e20, 2.5e-7]),
    st.booleans(),
    st.none(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
    ),
    max_leaves=8,
)
EVENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=7)

# Queries whose every instruction runs in the VM, so that the dict path serves them.
QUERIES = [
    'a.b=x | z := "1"',
    'x[0]=/b/i | a.b := "new"',
    '#t=x OR #t=X | t := "y"',
    'n > 3 | default(field=c, value="d")',
    '@timestamp=* | a := "w"',
    'case { a.b=/x/ | k := "1"; x[0]=* | k := "2"; * | k := "3" }',
    'b=null OR b=true OR b=1 OR b=""',
    "a.b.c=x OR a.b[0]=x OR b.c=abc",
    'in(field=t, values=["x", "1"]) | #t := "z"',
    'x[0]!=abc | default(field=[a.b, x[1]], value="-")',
    'n >= 1.5 | n := "2"',
    'a.b=* | a.b := "x"',
]


@pytest.fixture(scope="module")
def pairs() -> dict[str, tuple[Matcher, Matcher]]:
    made = {q: (Matcher(q, aggregate=False), Matcher(q, engine="reference")) for q in QUERIES}
    for query, (vm, _) in made.items():
        assert vm._dicts is not None, f"not served in place: {query}"
    return made


@SETTINGS
@given(events=st.lists(EVENTS, min_size=1, max_size=6))
def test_match_equals_the_reference_on_random_events(
    pairs: dict[str, tuple[Matcher, Matcher]], events: list[dict[str, Any]]
) -> None:
    for query, (vm, reference) in pairs.items():
        expected = [reference.match(e) for e in events]
        assert [vm.match(e) for e in events] == expected, query
        assert list(vm.match_many(events)) == expected, query
        # and the way the VM took before (the event converted first)
        assert [vm._match_python(e) for e in events] == expected, query


@SETTINGS
@given(event=EVENTS, name=st.sampled_from(["a.b", "x[0]", "a.b.c", "a.b[0]", "x[0].a", "b.c"]))
def test_flat_value_is_what_flatten_gives(event: dict[str, Any], name: str) -> None:
    assert flat_value(event, name) == flatten(event).get(name)


def test_a_name_spelt_twice_takes_the_value_flattening_writes_last() -> None:
    matcher = Matcher('a.b=1 | z := "hit"', aggregate=False)
    assert matcher._dicts is not None
    assert matcher.match({"a.b": "1", "a": {"b": "2"}}) is None
    assert matcher.match({"a": {"b": "2"}, "a.b": "1"}) == {"a": {"b": "2"}, "a.b": "1", "z": "hit"}
    writer = Matcher('a.b=* | a.b := "new"', aggregate=False)
    both = {"a.b": "1", "a": {"b": "2"}}  # the top-level key is the one changed
    assert writer.match(both) == {"a.b": "new", "a": {"b": "2"}}
    assert writer.match(both) == Matcher('a.b=* | a.b := "new"', engine="reference").match(both)
    assert writer.match({"a": {"b": "2"}}) == {"a": {"b": "new"}}
    assert writer.match({"a.b": "2"}) == {"a.b": "new"}


def test_nested_arrays_and_objects_are_walked() -> None:
    matcher = Matcher("x[1].y=z | k := x[0]", aggregate=False)
    event = {"x": [7, {"y": "z"}]}
    assert matcher.match(event) == {"x": [7, {"y": "z"}], "k": "7"}
    assert matcher.match({"x": [7, {"y": ["z"]}]}) is None
    assert matcher.match({"x": (7, {"y": "z"})}) == {"x": (7, {"y": "z"}), "k": "7"}
    assert matcher.match({"x": {"1": {"y": "z"}}}) is None  # an object's keys are not indexes


def test_fallbacks_read_the_falcon_names() -> None:
    matcher = Matcher("#event_simpleName=ProcessRollup2 @timestamp=1700000000000", aggregate=False)
    event = {"event_simpleName": "ProcessRollup2", "timestamp": 1700000000000}
    assert matcher.match(event) == event
    assert matcher.match({**event, "#event_simpleName": "Other"}) is None
    assert matcher.match({**event, "@timestamp": "1"}) is None


def test_values_json_cannot_hold_raise_when_read() -> None:
    matcher = Matcher("a=x | b=/y/", aggregate=False)
    with pytest.raises(ValueError, match=r"not a JSON object: .*bytes"):
        matcher.match({"a": "x", "b": b"y"})
    with pytest.raises(ValueError, match="not a JSON object: nan: not a JSON number"):
        matcher.match({"a": "x", "b": float("nan")})
    nested = Matcher("a.b=x", aggregate=False)
    with pytest.raises(ValueError, match="not a JSON object: inf"):
        nested.match({"a": {"b": float("inf")}})
    assert matcher.match({"a": "no", "b": b"y"}) is None  # (b is never read)
    out = list(matcher.match_many([{"a": "x", "b": "y"}, {"a": "x", "b": {1, 2}}, 5]))
    assert out == [{"a": "x", "b": "y"}, None, None]
    assert [(m.line_number, m.reason) for m in matcher.malformed] == [
        (2, "not a JSON scalar: set"),
        (3, "not a mapping but int"),
    ]


def test_other_mappings_take_the_converting_path() -> None:
    matcher = Matcher('a.b=x | z := "1"', aggregate=False)
    for event in (OrderedDict(a={"b": "x"}), MappingProxyType({"a": {"b": "x"}})):
        assert matcher.match(event) == {"a": {"b": "x"}, "z": "1"}
    assert matcher.match({"a": MappingProxyType({"b": "x"})}) == {
        "a": MappingProxyType({"b": "x"}),
        "z": "1",
    }
    with pytest.raises(TypeError, match="an event is a mapping, not list"):
        matcher.match(["a"])  # type: ignore[arg-type]


def test_the_input_is_not_changed_and_types_are_kept() -> None:
    matcher = Matcher(RULE, aggregate=False)
    event = {
        "event_simpleName": "ProcessRollup2",
        "ParentBaseFileName": "msiexec.exe",
        "FileName": "cmd.exe",
        "CommandLine": "cmd /c whoami",
        "ProcessId": 1234,
        "Tags": {"a": [1, None]},
    }
    frozen = json.dumps(event)
    out = matcher.match(event)
    assert json.dumps(event) == frozen
    assert out is not None and out["EventType"] == "INSTALLER_SCRIPT_CHILD"
    assert out["ProcessId"] == 1234 and out["Tags"] is event["Tags"]
    assert list(out)[:6] == list(event)
    assert matcher.kept == 1


def test_aggregates_fold_what_match_keeps() -> None:
    query = "a=* | groupBy(a, function=[count(), sum(n)])"
    events = [{"a": str(i % 3), "n": i} for i in range(30)] + [{"b": 1}]
    matcher = Matcher(query)
    assert matcher._dicts is not None
    assert sum(matcher.match(e) is not None for e in events) == 30
    reference = Matcher(query, engine="reference")
    list(reference.match_many(events))
    assert matcher.results() == reference.results()
    assert matcher.results(reset=True) and matcher.results() == []
    matcher.match({"a": "9", "n": 1})
    assert matcher.results() == [{"a": "9", "_count": "1", "_sum": "1"}]


def test_threads_each_get_their_own_machine() -> None:
    matcher = Matcher("a=/x/ | b := a", aggregate=False)
    machines: list[Any] = []
    # all four alive at once: a thread that has ended may hand its id, and
    # so its engine, to the next one (engines are kept per OS thread)
    together = threading.Barrier(4, timeout=60)

    def work() -> None:
        together.wait()
        for i in range(200):
            assert matcher.match({"a": f"x{i}"}) == {"a": f"x{i}", "b": f"x{i}"}
        machines.append(matcher._engine().machine)
        together.wait()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(m) for m in machines}) == 4
    assert matcher.kept == 800


def test_an_index_no_array_can_have_is_never_found() -> None:
    matcher = Matcher('x[99999999999999999999999]=* | k := "1"', aggregate=False)
    assert matcher._dicts is not None
    assert matcher.match({"x": ["a"]}) is None
    assert matcher.match({"x[99999999999999999999999]": "a"}) == {
        "x[99999999999999999999999]": "a",
        "k": "1",
    }

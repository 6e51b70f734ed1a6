"""Tags of the source (docs/semantics.md, "Tags of the source"): a query
copied out of LogScale filters on ``#repo``, ``#type`` or ``#kind``, which
events read from files do not carry.  Every test runs on both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.ingest.sources import Inputs
from cqlmatch.lang.tags import FALCON_SENSOR_TAGS, TagError, input_tags, parse_tag
from cqlmatch.runtime.query import ENGINES


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


# Raw FDR events carry no tag; an export carries #repo; one event has a
# plain ``repo`` field, which #repo reads before the input's tag.
EVENTS = [
    {"id": "1", "event_simpleName": "ProcessRollup2", "aid": "a1"},
    {"id": "2", "#repo": "detections", "event_simpleName": "ProcessRollup2", "aid": "a2"},
    {"id": "3", "repo": "own", "event_simpleName": "DnsRequest", "aid": "a3"},
]


def ids(rows) -> list[str]:
    return [row["id"] for row in rows]


def test_the_default_tags_are_falcon_sensor_telemetry() -> None:
    # Falcon LogScale stores sensor events in base_sensor, parsed by
    # falcon-raw-data, as primary data.
    assert FALCON_SENSOR_TAGS == {
        "repo": "base_sensor",
        "type": "falcon-raw-data",
        "kind": "Primary",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("#repo=base_sensor", ["1"]),  # only the event with no repo of its own
        ("#repo=detections", ["2"]),  # the event's own #repo wins
        ("#repo=own", ["3"]),  # then its plain repo field
        ("#type=falcon-raw-data #kind=Primary", ["1", "2", "3"]),
        ("#repo=base_* #event_simpleName=ProcessRollup2", ["1"]),
        ("#repo=/sensor$/", ["1"]),
        ("#repo!=base_sensor", ["2", "3"]),
        ("in(field=#repo, values=[base_sensor, own])", ["1", "3"]),
        ("#repo match { base_sensor => * ; own => * }", ["1", "3"]),
        ('case { #repo=own | x := "o" ; #kind=Primary | x := "p" } | x=p', ["1", "2"]),
        ('test(#repo == "base_sensor")', ["1"]),
    ],
)
def test_default_tags_answer_when_the_event_has_none(query, expected, engine) -> None:
    assert ids(cqlmatch.compile(query).run(EVENTS, engine=engine)) == expected


def test_tags_are_read_not_written(engine) -> None:
    # An output event holds a tag only where the query writes it.
    rows = cqlmatch.compile("#repo=base_sensor").run(EVENTS, engine=engine)
    assert rows == [EVENTS[0]]
    rows = cqlmatch.compile("#repo=base_sensor | select([id, #repo, #type])").run(
        EVENTS, engine=engine
    )
    assert rows == [{"id": "1", "#repo": "base_sensor", "#type": "falcon-raw-data"}]


def test_group_by_a_tag(engine) -> None:
    query = cqlmatch.compile("groupBy([#repo, #kind])")
    assert query.run(EVENTS, engine=engine) == [
        {"#repo": "base_sensor", "#kind": "Primary", "_count": "1"},
        {"#repo": "detections", "#kind": "Primary", "_count": "1"},
        {"#repo": "own", "#kind": "Primary", "_count": "1"},
    ]


def test_stages_after_the_per_event_part_read_tags(engine) -> None:
    # tail() keeps events; groupBy after it runs in the interpreter on the VM too.
    query = cqlmatch.compile("tail(10) | groupBy(#repo)")
    assert [row["#repo"] for row in query.run(EVENTS, engine=engine)] == [
        "base_sensor",
        "detections",
        "own",
    ]


def test_a_slow_path_reads_tags(engine) -> None:
    # format() runs in the interpreter on the VM: it must see the tag too.
    query = cqlmatch.compile('x := format("%s/%s", field=[#repo, #type]) | select([id, x])')
    assert query.run(EVENTS[:1], engine=engine) == [{"id": "1", "x": "base_sensor/falcon-raw-data"}]


def test_run_tags_replace_the_default_of_their_name(engine) -> None:
    query = cqlmatch.compile("#repo=detections")
    assert ids(query.run(EVENTS, engine=engine)) == ["2"]
    assert ids(query.run(EVENTS, engine=engine, tags={"repo": "detections"})) == ["1", "2"]
    assert ids(query.run(EVENTS, engine=engine, tags=["#repo=detections"])) == ["1", "2"]
    # the other defaults stay
    both = cqlmatch.compile("#repo=detections #type=falcon-raw-data")
    assert ids(both.run(EVENTS, engine=engine, tags={"repo": "detections"})) == ["1", "2"]


def test_without_default_tags_only_events_answer(engine) -> None:
    query = cqlmatch.compile("#type=falcon-raw-data")
    assert ids(query.run(EVENTS, engine=engine, default_tags=False)) == []
    assert ids(query.run(EVENTS, engine=engine)) == ["1", "2", "3"]
    off = cqlmatch.compile("#type=falcon-raw-data", default_tags=False)
    assert ids(off.run(EVENTS, engine=engine)) == []
    assert ids(off.run(EVENTS, engine=engine, tags={"type": "falcon-raw-data"})) == [
        "1",
        "2",
        "3",
    ]


def test_compile_tags_are_every_run_s(engine) -> None:
    query = cqlmatch.compile("#Vendor=zscaler", tags={"Vendor": "zscaler"})
    assert ids(query.run(EVENTS, engine=engine)) == ["1", "2", "3"]
    assert ids(query.run(EVENTS, engine=engine, tags={"Vendor": "other"})) == []


def test_inputs_carry_tags(tmp_path: Path, engine) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    query = cqlmatch.compile("#repo=detections")
    rows = query.run(Inputs(path, tags={"repo": "detections"}), engine=engine)
    assert ids(rows) == ["1", "2"]
    rows = query.run(Inputs(path, tags={"repo": "x"}), engine=engine, tags={"repo": "detections"})
    assert ids(rows) == ["1", "2"]  # the run's tags over the Inputs'
    rows = cqlmatch.compile("#kind=Primary").run(Inputs(path, default_tags=False), engine=engine)
    assert ids(rows) == []


def test_match_takes_tags() -> None:
    query = cqlmatch.compile("#repo=base_sensor")
    assert query.match({"a": "1"}) == {"a": "1"}
    assert query.match({"a": "1"}, tags={"repo": "other"}) is None
    assert query.match({"a": "1"}, engine="reference", default_tags=False) is None


def test_matcher_takes_tags() -> None:
    matcher = cqlmatch.Matcher("#repo=detections", tags={"repo": "detections"})
    assert matcher.match({"a": "1"}) == {"a": "1"}
    assert cqlmatch.Matcher("#repo=detections").match({"a": "1"}) is None
    lines = b'{"a":"1"}\n{"#repo":"x","a":"2"}\n'
    assert [e["a"] for e in matcher.feed(lines)] == ["1"]


def _write_many(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            event = {"event_simpleName": "ProcessRollup2", "aid": f"a{i % 3}", "n": str(i)}
            if i % 10 == 0:
                event["#repo"] = "detections"
            out.write(json.dumps(event) + "\n")


@pytest.mark.parametrize("workers", [1, 2])
def test_file_runs_column_batches_and_workers(tmp_path: Path, monkeypatch, workers) -> None:
    # A native groupBy over a file reads column batches; with workers the
    # parts run in other processes: the tags reach each.
    from cqlmatch.runtime import parallel

    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 12)
    path = tmp_path / "events.ndjson"
    _write_many(path, 3000)
    query = cqlmatch.compile("#repo=base_sensor #kind=Primary | groupBy(#repo)")
    assert query.plan.columns
    rows = query.run(path, workers=workers)
    assert rows == [{"#repo": "base_sensor", "_count": "2700"}]
    assert query.run(path, workers=workers, engine="reference") == rows
    rows = query.run(path, workers=workers, tags={"repo": "detections"})
    assert rows == []
    rows = cqlmatch.compile("#repo=detections | count()").run(
        path, workers=workers, tags={"repo": "detections"}
    )
    assert rows == [{"_count": "3000"}]


def test_the_prefilter_never_counts_on_a_source_tag(tmp_path: Path, engine) -> None:
    # The line never holds "base_sensor": the prefilter must not skip it.
    path = tmp_path / "events.ndjson"
    path.write_text('{"aid":"x","CommandLine":"whoami"}\n', encoding="utf-8")
    query = cqlmatch.compile("#repo=base_sensor CommandLine=whoami")
    assert [b for g in query.program.prefilter for b in g if "base" in b.text] == []
    assert len(query.run(path, engine=engine)) == 1


def test_a_tag_of_a_field_events_carry_turns_the_prefilter_off(tmp_path: Path, engine) -> None:
    # #cid is read from the line, so its literal is in the prefilter; a run
    # whose input gives cid as a tag must not let the prefilter skip lines.
    path = tmp_path / "events.ndjson"
    path.write_text('{"aid":"x"}\n', encoding="utf-8")
    query = cqlmatch.compile("#cid=abc123")
    assert query.program.prefilter
    assert len(query.run(path, engine=engine)) == 0
    assert len(query.run(path, engine=engine, tags={"cid": "abc123"})) == 1


# --- warnings -----------------------------------------------------------------------------


def test_check_warns_of_a_tag_no_input_gives() -> None:
    codes = [d.code for d in cqlmatch.compile("#Vendor=zscaler | count()").diagnostics]
    assert codes == ["W340"]
    message = cqlmatch.compile("#Vendor=zscaler").diagnostics[0].message
    assert "--tag Vendor=VALUE" in message
    assert not cqlmatch.compile("#Vendor=zscaler", tags={"Vendor": "x"}).diagnostics
    # the defaults and fields Falcon events carry need no tag
    assert not cqlmatch.compile("#repo=a #type=b #kind=c #event_simpleName=d #cid=e").diagnostics
    # without the defaults, #repo needs one
    off = cqlmatch.compile("#repo=base_sensor", default_tags=False)
    assert [d.code for d in off.diagnostics] == ["W340"]
    # a tag the query writes itself is its own
    assert not cqlmatch.compile('#Vendor := "x" | #Vendor=x').diagnostics


def test_a_run_warns_once_when_no_event_carried_the_tag(engine) -> None:
    query = cqlmatch.compile("#Vendor=zscaler")
    result = query.run(EVENTS, engine=engine)
    assert result == []
    assert [code for code, _ in result.warnings] == ["W470"]
    assert "--tag Vendor=VALUE" in result.warnings[0][1]
    # an event that carries it, as #Vendor or Vendor, or an input tag: no warning
    assert query.run([*EVENTS, {"Vendor": "x"}], engine=engine).warnings == []
    assert query.run([{"#Vendor": "zscaler"}], engine=engine).warnings == []
    assert query.run(EVENTS, engine=engine, tags={"Vendor": "zscaler"}).warnings == []
    # nothing read, nothing to say
    assert query.run([], engine=engine).warnings == []


def test_a_grouped_file_run_warns_too(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    _write_many(path, 50)
    query = cqlmatch.compile("#Vendor=zscaler | groupBy(aid)")
    for engine in ENGINES:
        assert [c for c, _ in query.run(path, engine=engine).warnings] == ["W470"]


def test_tag_texts() -> None:
    assert parse_tag("repo=base_sensor") == ("repo", "base_sensor")
    assert parse_tag("#kind=Primary") == ("kind", "Primary")
    assert parse_tag("type=a=b") == ("type", "a=b")
    for bad, says in [
        ("repo", "not NAME=VALUE"),
        ("=x", "not a tag name"),
        ("re po=x", "not a tag name"),
        ("repo=", "has no value"),
    ]:
        with pytest.raises(TagError, match=says):
            parse_tag(bad)
    assert input_tags({"repo": "x"}) == {**FALCON_SENSOR_TAGS, "repo": "x"}
    assert input_tags(["Vendor=z"], defaults=False) == {"Vendor": "z"}
    with pytest.raises(TagError):
        input_tags({"repo": 1})  # type: ignore[dict-item]


def test_a_matcher_warns_as_a_run_does() -> None:
    matcher = cqlmatch.Matcher("#Vendor=zscaler")
    assert matcher.match({"a": "1"}) is None
    list(matcher.match_many([{"a": "2"}]))
    assert [c for c, _ in matcher.warnings] == ["W470"]
    carried = cqlmatch.Matcher("#Vendor=zscaler")
    assert carried.feed(b'{"a":"1"}\n{"Vendor":"zscaler"}\n') == [{"Vendor": "zscaler"}]
    assert carried.warnings == []
    assert cqlmatch.Matcher("#Vendor=zscaler").warnings == []  # nothing read yet

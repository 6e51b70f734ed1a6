"""correlate() (functions/correlate.py), written from its LogScale page:
constellations of events from named queries joined by ``<=>`` links, with
within=, sequence=, root=, maxPerRoot=, globalConstraints= and
includeMatchesOnceOnly=; every test runs on each engine."""

from __future__ import annotations

import json

import pytest

import cqlmatch
from cqlmatch.errors import CQLCompileError
from cqlmatch.synth.writer import generate_lines

from .helpers import run

MINUTE = 60_000

# the shape of the corpus's discovery query: whoami, then net, then systeminfo on one host
DISCOVERY = """correlate(
    whoami: { #event_simpleName=ProcessRollup2 FileName="whoami.exe" } include: [aid, FileName],
    net: { #event_simpleName=ProcessRollup2 FileName=/^net1?\\.exe$/
           | aid <=> whoami.aid } include: [aid, FileName],
    systeminfo: { #event_simpleName=ProcessRollup2 FileName="systeminfo.exe"
           | aid <=> net.aid } include: [aid, FileName],
    sequence=%s, within=5m)"""


def _proc(t: int, aid: str, name: str, **more) -> dict:
    return {
        "@timestamp": str(t),
        "#event_simpleName": "ProcessRollup2",
        "aid": aid,
        "FileName": name,
        **more,
    }


def test_a_constellation_needs_every_query_and_its_links(engine):
    events = [
        _proc(0, "A", "whoami.exe"),
        _proc(MINUTE, "A", "net.exe"),
        _proc(2 * MINUTE, "B", "systeminfo.exe"),  # another host: no link
        _proc(3 * MINUTE, "A", "systeminfo.exe"),
    ]
    rows = run(DISCOVERY % "false", events, engine)
    assert rows == [
        {
            "whoami.aid": "A",
            "whoami.FileName": "whoami.exe",
            "whoami.@timestamp": "0",
            "net.aid": "A",
            "net.FileName": "net.exe",
            "net.@timestamp": str(MINUTE),
            "systeminfo.aid": "A",
            "systeminfo.FileName": "systeminfo.exe",
            "systeminfo.@timestamp": str(3 * MINUTE),
            "@timestamp": "0",
        }
    ]
    assert run(DISCOVERY % "false", events[:3], engine) == []


def test_within_bounds_the_constellation(engine):
    events = [
        _proc(0, "A", "whoami.exe"),
        _proc(MINUTE, "A", "net1.exe"),
        _proc(6 * MINUTE, "A", "systeminfo.exe"),  # 6 minutes after whoami
    ]
    assert run(DISCOVERY % "false", events, engine) == []
    events[2] = _proc(5 * MINUTE, "A", "systeminfo.exe")  # exactly 5m: within
    assert len(run(DISCOVERY % "false", events, engine)) == 1


def test_sequence_requires_the_written_order(engine):
    events = [
        _proc(0, "A", "net.exe"),
        _proc(MINUTE, "A", "whoami.exe"),
        _proc(2 * MINUTE, "A", "systeminfo.exe"),
    ]
    assert len(run(DISCOVERY % "false", events, engine)) == 1
    assert run(DISCOVERY % "true", events, engine) == []
    jitter = (DISCOVERY % "true").replace("within=5m", "within=5m, jitterTolerance=1m")
    assert len(run(jitter, events, engine)) == 1  # net 1 minute early is tolerated


def test_max_per_root_and_matches_once_only(engine):
    q = "correlate(a: { k=a }, b: { k=b | id <=> a.id }, %s)"
    events = [
        {"@timestamp": "1", "k": "a", "id": "1"},
        {"@timestamp": "2", "k": "b", "id": "1", "n": "x"},
        {"@timestamp": "3", "k": "b", "id": "1", "n": "y"},
        {"@timestamp": "4", "k": "a", "id": "1"},
    ]
    rows = run(q % "sequence=false", events, engine)
    assert [(r["a.@timestamp"], r["b.n"]) for r in rows] == [("1", "x"), ("4", "x")]
    rows = run(q % "maxPerRoot=2", events, engine)
    assert [(r["a.@timestamp"], r["b.n"]) for r in rows] == [
        ("1", "x"),
        ("1", "y"),
        ("4", "x"),
        ("4", "y"),
    ]
    rows = run(q % "includeMatchesOnceOnly=true", events, engine)
    assert [(r["a.@timestamp"], r["b.n"]) for r in rows] == [("1", "x"), ("4", "y")]
    rows = run(q % "root=b", events, engine)
    assert [(r["b.n"], r["a.@timestamp"]) for r in rows] == [("x", "1"), ("y", "1")]


def test_global_constraints_and_query_transforms(engine):
    q = (
        "correlate(a: { k=a | tag := upper(k) } include: [tag], "
        "b: { k=b }, globalConstraints=[host])"
    )
    events = [
        {"@timestamp": "1", "k": "a", "host": "h1"},
        {"@timestamp": "2", "k": "b", "host": "h2"},
        {"@timestamp": "3", "k": "b", "host": "h1", "x": "1"},
    ]
    rows = run(q, events, engine)
    assert len(rows) == 1
    assert rows[0]["a.tag"] == "A" and "a.k" not in rows[0]  # include limits a's fields
    assert rows[0]["b.x"] == "1" and rows[0]["b.host"] == "h1"  # no include: all of b's


def test_output_feeds_later_stages(engine):
    q = (
        "correlate(f: { t=auth result=failed } include: [user, ip], "
        "m: { t=net port=445 | user <=> f.user } include: [dst], within=1h) "
        "| table([f.user, f.ip, m.dst])"
    )
    events = [
        {"@timestamp": "0", "t": "auth", "result": "failed", "user": "jdoe", "ip": "10.1.1.1"},
        {"@timestamp": "1000", "t": "net", "port": "445", "user": "jdoe", "dst": "10.2.2.2"},
        {"@timestamp": "2000", "t": "net", "port": "445", "user": "other", "dst": "10.9.9.9"},
    ]
    assert run(q, events, engine) == [{"f.user": "jdoe", "f.ip": "10.1.1.1", "m.dst": "10.2.2.2"}]


def test_planted_sequence_in_generated_telemetry(engine):
    events = [json.loads(line) for line in generate_lines(400, seed=7)]
    start = max(int(e["timestamp"]) for e in events if "timestamp" in e)
    aid = "feedfacefeedfacefeedfacefeedface"
    planted = [
        _proc(start + 1000, aid, "whoami.exe"),
        _proc(start + 2000, aid, "net.exe"),
        _proc(start + 3000, aid, "systeminfo.exe"),
    ]
    rows = run(DISCOVERY % "true", events + planted, engine)
    ours = [r for r in rows if r["whoami.aid"] == aid]
    assert len(ours) == 1
    assert ours[0]["systeminfo.@timestamp"] == str(start + 3000)
    for row in rows:  # anything else found must satisfy the same pattern
        assert row["whoami.aid"] == row["net.aid"] == row["systeminfo.aid"]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("x <=> y.z", "only exist inside correlate"),
        ("correlate(a: { x=1 | y <=> c.y }, b: { x=2 })", "another query"),
        ("correlate(a: { x=1 }, a: { x=2 })", "twice"),
        ("correlate(a: { x=1 } exclude: [y], b: { x=2 })", "include"),
        ("correlate(a: { count() }, b: { x=2 })", "single events"),
        ("correlate(a: { x=1 }, b: { x=2 }, root=c)", "root"),
        ("correlate(within=5m)", "named sub-queries"),
    ],
)
def test_malformed_correlate_is_an_error(query, fragment):
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile(query)
    assert fragment in str(info.value)

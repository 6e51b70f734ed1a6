"""Sub-queries, lookup files and source functions: join, defineTable,
readFile, createEvents, selfJoinFilter, match(file/table), cidr(file),
sankey, and groupBy functions that are stages or composite pipelines."""

from __future__ import annotations

from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.runtime.query import ENGINES

PROCS = [
    {"t": "proc", "aid": "A", "pid": "1", "image": "cmd.exe"},
    {"t": "proc", "aid": "A", "pid": "2", "image": "ssh.exe"},
    {"t": "dns", "aid": "A", "cpid": "1", "domain": "evil.example"},
    {"t": "dns", "aid": "B", "cpid": "1", "domain": "ok.example"},
    {"t": "proc", "aid": "B", "pid": "7", "image": "bash"},
]


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def run(query: str, events: list[dict], engine: str, **kw) -> list[dict]:
    return cqlmatch.compile(query, **kw).run(events, engine=engine)


def test_join_inner_and_left(engine: str) -> None:
    query = "t=dns | join({t=proc | select([aid, pid, image])}, field=[aid, cpid], key=[aid, pid], include=[image])"
    rows = run(query, PROCS, engine)
    assert rows == [
        {"t": "dns", "aid": "A", "cpid": "1", "domain": "evil.example", "image": "cmd.exe"}
    ]
    rows = run(query.replace("include=[image])", "include=[image], mode=left)"), PROCS, engine)
    assert [r.get("image") for r in rows] == ["cmd.exe", None]


def test_define_table_and_match_table(engine: str) -> None:
    query = (
        'defineTable(name="procs", query={t=proc}, include=[aid, pid, image]) '
        '| t=dns | match(table="procs", field=[aid, cpid], column=[aid, pid], include=[image])'
    )
    rows = run(query, PROCS, engine)
    assert [(r["domain"], r["image"]) for r in rows] == [("evil.example", "cmd.exe")]


def test_read_file_of_a_defined_table(engine: str) -> None:
    query = 'defineTable(name="hosts", query={t=proc | groupBy(aid)}) | readFile("hosts")'
    assert run(query, PROCS, engine) == [{"aid": "A", "_count": "2"}, {"aid": "B", "_count": "1"}]


def test_create_events_then_kvparse(engine: str) -> None:
    query = 'createEvents(["a=1 b=x", "a=2"]) | kvParse() | table([a, b], sortby=a, order=asc)'
    assert run(query, [{"ignored": "1"}], engine) == [{"a": "1", "b": "x"}, {"a": "2"}]


def test_self_join_filter(engine: str) -> None:
    # hosts with both a bash process and a DNS request: only B
    query = "selfJoinFilter(aid, where=[{t=proc image=bash}, {t=dns}])"
    rows = run(query, PROCS, engine)
    assert [(r["aid"], r["t"]) for r in rows] == [("B", "dns"), ("B", "proc")]


def test_lookup_file_by_path_and_by_name(tmp_path: Path, engine: str) -> None:
    table = tmp_path / "allow.csv"
    table.write_text("image,owner\ncmd.exe,it\nbash,dev\n", encoding="utf-8")
    query = 'match(file="allow.csv", field=image, include=[owner], strict=false)'
    q = cqlmatch.compile(query, lookups={"allow.csv": table})
    assert [r.get("owner") for r in q.run(PROCS, engine=engine)] == ["it", None, None, None, "dev"]
    strict = cqlmatch.compile(query.replace(", strict=false", ""), lookup_dir=tmp_path)
    assert [r["image"] for r in strict.run(PROCS, engine=engine)] == ["cmd.exe", "bash"]


def test_cidr_from_a_lookup_file(tmp_path: Path, engine: str) -> None:
    (tmp_path / "nets.json").write_text(
        '[{"net": "10.0.0.0/8"}, {"net": "fd00::/8"}]', encoding="utf-8"
    )
    q = cqlmatch.compile('cidr(ip, file="nets.json", column=net)', lookup_dir=tmp_path)
    events = [{"ip": "10.9.9.9"}, {"ip": "11.0.0.1"}, {"ip": "fd00::5"}]
    assert [r["ip"] for r in q.run(events, engine=engine)] == ["10.9.9.9", "fd00::5"]


def test_missing_lookup_file_is_a_clear_error() -> None:
    with pytest.raises(cqlmatch.CQLCompileError) as info:
        cqlmatch.compile('match(file="nowhere.csv", field=x)')
    (error,) = info.value.errors
    assert error.code == "E222"
    assert "nowhere.csv" in error.message
    assert error.span.column == 12  # the file argument


def test_sankey(engine: str) -> None:
    rows = run("sankey(source=aid, target=t)", PROCS, engine)
    assert rows == [
        {"source": "A", "target": "proc", "weight": "2"},
        {"source": "A", "target": "dns", "weight": "1"},
        {"source": "B", "target": "dns", "weight": "1"},
        {"source": "B", "target": "proc", "weight": "1"},
    ]


def test_group_function_that_is_a_stage(engine: str) -> None:
    rows = run("groupBy(aid, function=tail(1))", PROCS, engine)
    assert rows == [
        {"aid": "A", "t": "dns", "cpid": "1", "domain": "evil.example"},
        {"aid": "B", "t": "proc", "pid": "7", "image": "bash"},
    ]


def test_composite_group_function(engine: str) -> None:
    events = [{"k": "a", "x": "1"}, {"k": "a", "x": "2"}, {"k": "b", "x": "5"}]
    rows = run("groupBy(k, function={ m := avg(x) | r := m * 10 })", events, engine)
    assert rows == [{"k": "a", "m": "1.5", "r": "15"}, {"k": "b", "m": "5", "r": "50"}]


def test_stats_list_with_filtered_sub_queries(engine: str) -> None:
    query = "[{t=proc | count(as=procs)}, {t=dns | count(as=dns)}, count()]"
    assert run(query, PROCS, engine) == [{"procs": "3", "dns": "2", "_count": "5"}]


def test_text_contains_as_a_negated_filter(engine: str) -> None:
    query = '!text:contains(string=image, substring=".exe")'
    assert [r.get("image") for r in run(query, PROCS, engine)] == [None, None, "bash"]

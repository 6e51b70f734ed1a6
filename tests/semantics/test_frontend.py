"""The front end (parse, check, lookup tables) without the runtime."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cqlmatch.errors import CQLCompileError, CQLSyntaxError
from cqlmatch.runtime.query import compile as compile_query
from cqlmatch.semantics.fixes import fix_query
from cqlmatch.semantics.frontend import FrontEnd, front_end

ROWS = [{"host": "web-1", "owner": "ops"}, {"host": "db-1", "owner": "dba"}]


@pytest.fixture(autouse=True)
def _empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lookup files are never looked for in the working directory: run in an empty one."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)


def _error(query: str, **kwargs: object) -> CQLCompileError:
    with pytest.raises(CQLCompileError) as info:
        front_end(query, **kwargs)  # type: ignore[arg-type]
    return info.value


def test_a_plain_query() -> None:
    front = front_end("#event_simpleName=ProcessRollup2 | ImageFileName=/cmd\\.exe/i")
    assert isinstance(front, FrontEnd)
    assert front.text == "#event_simpleName=ProcessRollup2 | ImageFileName=/cmd\\.exe/i"
    assert front.checked.text == front.text
    assert front.tables == {}
    assert front.strict is False
    assert front.diagnostics == []


def test_the_result_is_frozen() -> None:
    front = front_end("x=1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        front.strict = True  # type: ignore[misc]


def test_missing_lookup_file_is_e222_at_the_file_argument() -> None:
    error = _error('match(file="nowhere.csv", field=x)')
    (diagnostic,) = error.errors
    assert diagnostic.code == "E222"
    assert "nowhere.csv" in diagnostic.message
    assert diagnostic.expected == "--lookup nowhere.csv=PATH"
    assert diagnostic.span.column == 12  # the file argument


@pytest.mark.parametrize(
    "query",
    [
        'cidr(ip, file="nets.csv", column=net)',
        'readFile("nets.csv")',
    ],
)
def test_cidr_and_read_file_need_their_file_too(query: str) -> None:
    (diagnostic,) = _error(query).errors
    assert diagnostic.code == "E222"
    assert diagnostic.expected == "--lookup nets.csv=PATH"


def test_match_table_without_define_table_is_e222() -> None:
    (diagnostic,) = _error("match(table=nowhere, field=x)").errors
    assert diagnostic.code == "E222"
    assert diagnostic.expected == 'defineTable(name="nowhere", ...)'
    assert "match(table=...)" in diagnostic.message
    assert diagnostic.span.column == 13  # the table argument


def test_tables_a_query_defines_need_no_file() -> None:
    query = (
        'defineTable(name="hosts", query={t=proc | groupBy(aid)}, include=[aid])'
        ' | match(table="hosts", field=aid) | readFile("hosts")'
    )
    assert front_end(query).tables == {}


def test_lookups_from_a_mapping_of_rows_and_paths(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.csv"
    path.write_text("net\n10.0.0.0/8\n", encoding="utf-8")
    query = (
        'match(file="hosts.csv", field=host) | cidr(ip, file="nets.csv", column=net)'
        ' | readFile("also.json")'
    )
    front = front_end(query, lookups={"hosts.csv": ROWS, "nets.csv": path, "also.json": str(path)})
    assert front.tables == {
        "hosts.csv": ROWS,
        "nets.csv": [{"net": "10.0.0.0/8"}],
        "also.json": [{"net": "10.0.0.0/8"}],
    }
    assert front.tables["hosts.csv"] is ROWS  # rows are taken as given


def test_lookup_files_from_a_lookup_dir(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "hosts.json").write_text('[{"host": "web-1", "n": 3}]', encoding="utf-8")
    front = front_end('match(file="hosts.json", field=host)', lookup_dir=folder)
    assert front.tables == {"hosts.json": [{"host": "web-1", "n": "3"}]}
    with pytest.raises(CQLCompileError):
        front_end('match(file="hosts.json", field=host)')  # no directory: not provided


def test_params_fill_placeholders() -> None:
    front = front_end("user=?who", params={"who": "bob"})
    assert front.checked.params == {"who": "bob"}
    (diagnostic,) = _error("user=?who").errors
    assert diagnostic.code == "E220"


def test_strict_is_passed_through() -> None:
    query = "a=1 | drop()"  # drop() without fields: a cqlmatch extension
    lenient = front_end(query)
    assert lenient.strict is False
    assert [d.code for d in lenient.diagnostics] == ["W302"]
    error = _error(query, strict=True)
    assert [d.code for d in error.errors] == ["W302"]
    assert front_end("x=1", strict=True).strict is True


def test_syntax_errors_raise() -> None:
    with pytest.raises(CQLSyntaxError):
        front_end("x=(")


@pytest.mark.parametrize(
    "query",
    [
        "#event_simpleName=ProcessRollup2 | groupBy([aid])",
        'x := if(a="1", "yes", "no") | a=1 | drop()',
        'match(file="hosts.csv", field=host) | case { a=1 | b := "2"; * }',
        "user=?who | k := ?{label=none}",
    ],
)
def test_agrees_with_compile(query: str) -> None:
    kwargs = {"params": {"who": "bob"}, "lookups": {"hosts.csv": ROWS}}
    front = front_end(query, **kwargs)  # type: ignore[arg-type]
    compiled = compile_query(query, **kwargs)  # type: ignore[arg-type]
    assert front.text == compiled.text
    assert front.tables == compiled.tables
    assert front.strict == compiled.strict
    assert front.diagnostics == compiled.diagnostics
    assert front.checked.tree == compiled.checked.tree


def test_fix_query_runs_on_the_front_end() -> None:
    fixed, codes = fix_query("a=1 | drop()")
    assert (fixed, codes) == ("a=1 | dropEvent()", ["W302"])
    assert front_end(fixed, strict=True).diagnostics == []

"""A lookup file is bounded in bytes and values (limits.py): past either it
is E225 at the query's argument, with a message naming the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.errors import CQLCompileError
from cqlmatch.semantics import lookups
from cqlmatch.semantics.lookups import LookupFileError, load_table

EVENTS = [{"host": "web-1"}, {"host": "db-1"}]


def _run_error(path: Path) -> CQLCompileError:
    query = cqlmatch.compile(f'match(file="{path.name}", field=host)', lookup_dir=path.parent)
    with pytest.raises(CQLCompileError) as info:
        query.run(EVENTS, engine="reference")
    return info.value


def test_a_file_over_the_byte_limit_is_e225(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookups, "MAX_LOOKUP_BYTES", 100)
    path = tmp_path / "hosts.csv"
    path.write_text("host\n" + "web-1\n" * 30, encoding="utf-8")
    error = _run_error(path)
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "E225"
    assert "larger than 100 bytes (MAX_LOOKUP_BYTES)" in diagnostic.message
    assert "hosts.csv" in diagnostic.message


def test_a_file_at_the_byte_limit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "hosts.csv"
    path.write_bytes(b"host\nweb-1\n")
    monkeypatch.setattr(lookups, "MAX_LOOKUP_BYTES", path.stat().st_size)
    assert load_table(path) == [{"host": "web-1"}]


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("t.csv", "host,os\n" + "a,b\n" * 6, "line 5"),
        ("t.json", "[" + ",".join(['{"host":"a"}'] * 6) + "]", "the array"),
        ("t.json", '{"host":"a"}\n' * 6, "line 4"),
        ("t.json", '{"host":"a"}\n{"host":[1,2,3,4,5,6,7,8,9,10,11,12]}\n', "line 2"),
    ],
)
def test_a_table_over_the_value_limit_is_e225(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, where: str
) -> None:
    monkeypatch.setattr(lookups, "MAX_LOOKUP_VALUES", 7)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LookupFileError) as info:
        load_table(path)
    assert f"{where}: more than 7 values (MAX_LOOKUP_VALUES)" in str(info.value)
    error = _run_error(path)
    assert error.diagnostics[0].code == "E225"
    assert "MAX_LOOKUP_VALUES" in error.diagnostics[0].message


def test_tables_within_the_value_limit_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookups, "MAX_LOOKUP_VALUES", 8)
    (tmp_path / "a.csv").write_text("host,os\n" + "a,b\n" * 4, encoding="utf-8")
    (tmp_path / "b.json").write_text('{"host":"a"}\n' * 4, encoding="utf-8")
    assert len(load_table(tmp_path / "a.csv")) == 4
    assert len(load_table(tmp_path / "b.json")) == 4

"""A query reads only the lookup files its caller provides (docs/security.md).

Names resolve through ``lookups=`` (name -> path or rows) or a lookup
directory (``lookup_dir=``, ``--lookups DIR``) only; absolute names and
``..`` are refused (E224) without a look at the filesystem; files are read
when the query runs, never when it compiles; broken files are located errors
(E225), never tracebacks.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.errors import CQLCompileError
from cqlmatch.runtime.query import compile_file
from cqlmatch.semantics.frontend import front_end

EVENTS = [{"host": "web-1"}, {"host": "db-1"}]


@pytest.fixture(autouse=True)
def _cwd_with_a_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A working directory holding a file a query might name: it must not be read."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "hosts.csv").write_text("host\nweb-1\n", encoding="utf-8")
    monkeypatch.chdir(cwd)


def _error(query: str, **kwargs: object) -> CQLCompileError:
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile(query, **kwargs)  # type: ignore[arg-type]
    return info.value


# --- names that are paths are refused -----------------------------------------------------


@pytest.mark.parametrize(
    ("query", "column"),
    [
        ('readFile("/etc/passwd")', 10),
        ('readFile("../../../../etc/os-release")', 10),
        ('match(file="/etc/passwd", field=host)', 12),
        ('cidr(ip, file="/etc/hosts", column=net)', 15),
        ('match(file="a/../../b.csv", field=host)', 12),
        ('readFile("..\\\\secret.csv")', 10),
    ],
)
def test_absolute_and_parent_names_are_e224_at_the_argument(query: str, column: int) -> None:
    (diagnostic,) = _error(query).errors
    assert diagnostic.code == "E224"
    assert diagnostic.span.column == column
    assert "exist" not in diagnostic.message  # says nothing about the filesystem


@pytest.mark.parametrize("lookup_dir", [None, "dir"])
def test_refused_names_say_the_same_whether_or_not_the_file_exists(
    tmp_path: Path, lookup_dir: str | None
) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    kwargs = {} if lookup_dir is None else {"lookup_dir": folder}
    real = _error('readFile("/etc/passwd")', **kwargs).errors[0].message
    fake = _error('readFile("/etc/no-such-file-here")', **kwargs).errors[0].message
    assert real.replace("passwd", "X") == fake.replace("no-such-file-here", "X")


def test_refused_even_when_the_mapping_has_the_name(tmp_path: Path) -> None:
    error = _error('readFile("/etc/passwd")', lookups={"/etc/passwd": [{"a": "1"}]})
    assert error.code == "E224"


# --- names resolve only through what the caller provides ----------------------------------


def test_a_file_in_the_working_directory_is_not_read() -> None:
    (diagnostic,) = _error('match(file="hosts.csv", field=host)').errors
    assert diagnostic.code == "E222"
    assert "no lookup files were provided" in diagnostic.message
    assert "--lookups DIR" in diagnostic.message


def test_the_not_provided_message_names_what_was_provided() -> None:
    error = _error('readFile("other.csv")', lookups={"hosts.csv": [], "nets.csv": []})
    assert error.code == "E222"
    assert "hosts.csv, nets.csv" in error.message
    secret = _error('readFile("passwd")', lookups={"hosts.csv": []}).message
    assert secret.replace("passwd", "X") == error.message.replace("other.csv", "X").replace(
        ", nets.csv", ""
    )


def test_a_file_beside_the_query_file_is_not_read(tmp_path: Path) -> None:
    rule = tmp_path / "rule.cql"
    rule.write_text('match(file="hosts.csv", field=host)', encoding="utf-8")
    (tmp_path / "hosts.csv").write_text("host\nweb-1\n", encoding="utf-8")
    with pytest.raises(CQLCompileError) as info:
        compile_file(str(rule))
    assert info.value.code == "E222"
    query = compile_file(str(rule), lookup_dir=tmp_path)
    assert query.run(EVENTS, workers=1) == [{"host": "web-1"}]


def test_lookup_dir_with_subfolders(tmp_path: Path) -> None:
    (tmp_path / "intel" / "hosts").mkdir(parents=True)
    (tmp_path / "intel" / "hosts" / "web.json").write_text('[{"host": "web-1"}]', "utf-8")
    query = cqlmatch.compile('match(file="intel/hosts/web.json", field=host)', lookup_dir=tmp_path)
    assert query.run(EVENTS, workers=1) == [{"host": "web-1"}]
    missing = _error('readFile("intel/nope.csv")', lookup_dir=tmp_path)
    assert missing.code == "E222"
    assert "lookup directory" in missing.message


def test_a_symlink_out_of_the_lookup_dir_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "lookups"
    folder.mkdir()
    outside = tmp_path / "outside.csv"
    outside.write_text("host\nweb-1\n", encoding="utf-8")
    os.symlink(outside, folder / "link.csv")
    os.symlink(tmp_path, folder / "up")
    for name in ("link.csv", "up/outside.csv"):
        error = _error(f'readFile("{name}")', lookup_dir=folder)
        assert error.code == "E224"
        assert "outside the lookup directory" in error.message
    inside = folder / "real.csv"
    inside.write_text("host\nweb-1\n", encoding="utf-8")
    os.symlink(inside, folder / "alias.csv")
    query = cqlmatch.compile('readFile("alias.csv")', lookup_dir=folder)
    assert query.run([], workers=1) == [{"host": "web-1"}]


def test_the_mapping_wins_over_the_directory(tmp_path: Path) -> None:
    (tmp_path / "hosts.csv").write_text("host\nweb-1\n", encoding="utf-8")
    rows = [{"host": "db-1"}]
    query = cqlmatch.compile(
        'readFile("hosts.csv")', lookups={"hosts.csv": rows}, lookup_dir=tmp_path
    )
    assert query.run([], workers=1) == rows


def test_lookup_dir_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        cqlmatch.compile('readFile("x.csv")', lookup_dir=tmp_path / "nope")


def test_matcher_takes_a_lookup_dir(tmp_path: Path) -> None:
    (tmp_path / "hosts.csv").write_text("host\nweb-1\n", encoding="utf-8")
    matcher = cqlmatch.Matcher('match(file="hosts.csv", field=host)', lookup_dir=tmp_path)
    assert matcher.query.run(EVENTS, workers=1) == [{"host": "web-1"}]


# --- nothing is read before a run ---------------------------------------------------------


def test_compiling_reads_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "hosts.csv").write_text("host\nweb-1\n", encoding="utf-8")
    opened: list[str] = []
    real_open = Path.open

    def spy(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened.append(self.name)
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", spy)
    front = front_end('match(file="hosts.csv", field=host)', lookup_dir=tmp_path)
    query = cqlmatch.compile(
        'match(file="hosts.csv", field=host) | readFile("x.csv")',
        lookups={"x.csv": tmp_path / "hosts.csv"},
        lookup_dir=tmp_path,
    )
    query.program  # noqa: B018 - disasm compiles the program
    assert opened == []
    assert front.tables["hosts.csv"] == [{"host": "web-1"}]
    assert opened == ["hosts.csv"]
    assert query.run(EVENTS, workers=1) == [{"host": "web-1"}]


def test_tables_pickle_as_rows(tmp_path: Path) -> None:
    (tmp_path / "hosts.csv").write_text("host\nweb-1\n", encoding="utf-8")
    front = front_end('readFile("hosts.csv")', lookup_dir=tmp_path)
    assert pickle.loads(pickle.dumps(front.tables)) == {"hosts.csv": [{"host": "web-1"}]}


# --- broken files are located errors ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        ("bin.csv", b"host\n\xff\xfe\x00\x01\n", "line 2"),
        ("nul.csv", b"host\nweb\x00-1\n", "line 2"),
        ("broken.json", b'[{"host": "web-1"},\n {"host": ]', "line 2"),
        ("numbers.json", b"[1, 2]", "item 1"),
        ("scalar.json", b'"text"', "array"),
        ("lines.json", b'{"host": "a"}\n{"host": \n', "line 2"),
        ("linelist.json", b'{"host": "a"}\n[1]\n', "line 2"),
        ("wide.csv", b"host\nweb-1,extra\n", "line 2"),
    ],
)
def test_broken_lookup_files_are_e225_when_the_query_runs(
    tmp_path: Path, name: str, content: bytes, where: str
) -> None:
    (tmp_path / name).write_bytes(content)
    query = cqlmatch.compile(f'readFile("{name}")', lookup_dir=tmp_path)  # compiles: not read
    with pytest.raises(CQLCompileError) as info:
        query.run([], workers=1)
    (diagnostic,) = info.value.errors
    assert diagnostic.code == "E225"
    assert name in diagnostic.message
    assert where in diagnostic.message
    assert diagnostic.span.column == 10  # the file argument


def test_a_provided_path_that_is_a_directory_is_e222(tmp_path: Path) -> None:
    (tmp_path / "d.csv").mkdir()
    error = _error('readFile("x.csv")', lookups={"x.csv": tmp_path / "d.csv"})
    assert error.code == "E222"
    assert "not a file" in error.message


def test_a_missing_provided_path_is_e222(tmp_path: Path) -> None:
    error = _error('readFile("x.csv")', lookups={"x.csv": tmp_path / "gone.csv"})
    assert error.code == "E222"
    assert "gone.csv" in error.message  # the caller's own path

"""``--lookup`` and ``--lookups DIR``: a query reads only the files the
command line provides, and only when it runs (docs/security.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cqlmatch.cli.commands import EXIT_QUERY_ERROR, main


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A query folder with a lookup file beside the query and one in the cwd."""
    (tmp_path / "hosts.csv").write_text("host\nweb-1\n", encoding="utf-8")
    (tmp_path / "events.ndjson").write_text(
        json.dumps({"host": "web-1"}) + "\n" + json.dumps({"host": "db-1"}) + "\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _query(work: Path, text: str) -> str:
    path = work / "q.cql"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("command", ["run", "check", "disasm"])
@pytest.mark.parametrize(
    "text", ['readFile("/etc/passwd")', 'readFile("../../../../etc/os-release")']
)
def test_paths_are_refused_by_every_command(
    work: Path, command: str, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [command, _query(work, text)] + (
        [str(work / "events.ndjson")] if command == "run" else []
    )
    assert main(argv) == EXIT_QUERY_ERROR
    out, err = capsys.readouterr()
    assert "root:" not in out and "error E224" in err


def test_files_beside_the_query_or_in_the_cwd_are_not_read(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = _query(work, 'match(file="hosts.csv", field=host)')
    assert main(["run", query, str(work / "events.ndjson"), "--format", "ndjson"]) == 1
    assert "error E222" in capsys.readouterr().err
    argv = ["run", query, str(work / "events.ndjson"), "--format", "ndjson", "--lookups", "."]
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines() == ['{"host":"web-1"}']


def test_check_and_disasm_read_no_lookup_file(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (work / "broken.json").write_bytes(b"[1, 2]")
    query = _query(work, 'match(file="broken.json", field=host)')
    assert main(["check", query, "--lookups", str(work)]) == 0
    assert main(["disasm", query, "--lookup", f"broken.json={work / 'broken.json'}"]) == 0
    capsys.readouterr()
    assert main(["run", query, str(work / "events.ndjson"), "--lookups", str(work)]) == 1
    err = capsys.readouterr().err
    assert "error E225" in err and "broken.json" in err and "item 1" in err
    assert "Traceback" not in err


def test_lookups_must_be_a_directory(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = _query(work, 'readFile("hosts.csv")')
    assert main(["check", query, "--lookups", str(work / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err

"""Saved queries from a directory (``--saved DIR``, ``saved:`` in test files):
``$name()`` / ``$"pkg/name"()`` expanded from DIR, arguments filling
parameters, errors located at the call or in the saved file."""

from __future__ import annotations

from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.cli.commands import main
from cqlmatch.errors import CQLCompileError, CQLSyntaxError
from cqlmatch.syntax.saved import SavedQueryError, expand
from cqlmatch.testing import detection as dt

PROCS = [
    {"event_simpleName": "ProcessRollup2", "FileName": "cmd.exe", "UserName": "alice"},
    {"event_simpleName": "ProcessRollup2", "FileName": "calc.exe", "UserName": "bob"},
    {"event_simpleName": "DnsRequest", "DomainName": "example.com"},
]


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    directory = tmp_path / "saved"
    (directory / "pkg").mkdir(parents=True)
    (directory / "procs.cql").write_text(
        "#event_simpleName=ProcessRollup2 // only processes\n", encoding="utf-8"
    )
    (directory / "pkg" / "shells.cql").write_text(
        'FileName=?{name="cmd.exe"}\n| Kind := "shell" // a trailing comment\n', encoding="utf-8"
    )
    (directory / "both.cql").write_text('$procs() | $"pkg/shells"()\n', encoding="utf-8")
    (directory / "loop_a.cql").write_text("$loop_b()\n", encoding="utf-8")
    (directory / "loop_b.cql").write_text("$loop_a()\n", encoding="utf-8")
    (directory / "broken.cql").write_text("FileName=(\n", encoding="utf-8")
    return directory


def test_a_stage_call_becomes_the_saved_pipeline(saved: Path) -> None:
    text = expand('$procs() | $"pkg/shells"(name="calc.exe") | count()', saved)
    assert text == (
        '#event_simpleName=ProcessRollup2 | FileName="calc.exe"\n| Kind := "shell" | count()'
    )
    assert cqlmatch.compile(text).run(PROCS) == [{"_count": "1"}]


def test_a_call_inside_a_filter_is_parenthesised(saved: Path) -> None:
    assert expand("$procs() OR DomainName=x", saved) == (
        "(#event_simpleName=ProcessRollup2) OR DomainName=x"
    )


def test_parameters_without_arguments_keep_their_defaults_or_the_callers(saved: Path) -> None:
    text = expand('$"pkg/shells"()', saved)
    assert text == 'FileName=?{name="cmd.exe"}\n| Kind := "shell"'
    assert [r["FileName"] for r in cqlmatch.compile(text).run(PROCS)] == ["cmd.exe"]
    calc = cqlmatch.compile(text, params={"name": "calc.exe"}).run(PROCS)
    assert [r["FileName"] for r in calc] == ["calc.exe"]


def test_saved_queries_call_saved_queries(saved: Path) -> None:
    rows = cqlmatch.compile(expand("$both()", saved)).run(PROCS)
    assert [(r["FileName"], r["Kind"]) for r in rows] == [("cmd.exe", "shell")]


def test_a_query_without_calls_is_unchanged(saved: Path) -> None:
    assert expand("x=1 // keep me\n", saved) == "x=1 // keep me\n"


@pytest.mark.parametrize(
    ("query", "column", "fragment"),
    [
        ("x=1 | $missing()", 7, "saved query $missing() not found: no "),
        ('$"../outside"()', 1, 'saved query name $"../outside"() leaves '),
        ("x=1 OR $both()", 8, "$both() has 3 stages, so it can only be used as a stage"),
        ('$procs("x")', 8, "saved query arguments are named"),
    ],
)
def test_unresolvable_calls_are_e221_at_the_call(
    saved: Path, query: str, column: int, fragment: str
) -> None:
    with pytest.raises(CQLCompileError) as info:
        expand(query, saved)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "E221"
    assert diagnostic.span.column == column
    assert fragment in diagnostic.message


def test_a_cycle_is_reported_in_the_saved_file(saved: Path) -> None:
    with pytest.raises(SavedQueryError) as info:
        expand("$loop_a()", saved)
    err = info.value
    assert "cycle: loop_a -> loop_b -> loop_a" in err.diagnostics[0].message
    assert err.render("query.cql").startswith(f"{saved / 'loop_b.cql'}:1:1: error E221")


def test_a_syntax_error_in_a_saved_query_names_its_file(saved: Path) -> None:
    with pytest.raises(SavedQueryError) as info:
        expand("$broken()", saved)
    assert info.value.render("query.cql").startswith(f"{saved / 'broken.cql'}:1:")
    with pytest.raises(CQLSyntaxError):
        expand("$procs() | (", saved)  # the caller's own error is its own


def test_without_a_directory_the_checker_reports_e221() -> None:
    with pytest.raises(CQLCompileError) as info:
        cqlmatch.compile("$procs()")
    assert [d.code for d in info.value.diagnostics] == ["E221"]


def test_cli_saved_option(saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "q.cql"
    query.write_text('$procs() | $"pkg/shells"(name="calc.exe") | select([FileName, Kind])\n')
    events = tmp_path / "e.ndjson"
    events.write_text(
        "".join(
            f'{{"event_simpleName": "ProcessRollup2", "FileName": "{name}"}}\n'
            for name in ("calc.exe", "cmd.exe")
        ),
        encoding="utf-8",
    )
    args = ["run", str(query), str(events), "--format", "ndjson", "--workers", "1"]
    assert main([*args, "--saved", str(saved)]) == 0
    assert capsys.readouterr().out == '{"FileName":"calc.exe","Kind":"shell"}\n'
    assert main(args) == 1  # no directory: E221
    assert "E221" in capsys.readouterr().err
    assert main([*args, "--saved", str(tmp_path / "nope")]) == 2
    assert f"--saved {tmp_path / 'nope'}: not a directory" in capsys.readouterr().err
    assert main(["check", str(query), "--saved", str(saved)]) == 0
    assert capsys.readouterr().err == f"{query}: 0 warning(s), 0 error(s)\n"
    (saved / "procs.cql").write_text("FileName=(\n", encoding="utf-8")
    assert main(["check", str(query), "--saved", str(saved)]) == 1
    assert capsys.readouterr().err.startswith(f"{saved / 'procs.cql'}:1:")


def test_detection_test_files_take_a_saved_directory(saved: Path, tmp_path: Path) -> None:
    (tmp_path / "rule.cql").write_text('$procs() | $"pkg/shells"()\n', encoding="utf-8")
    path = tmp_path / "t.cqltest.yaml"
    path.write_text(
        "rule: rule.cql\nsaved: saved\ncases:\n"
        "  - {event: {event_simpleName: ProcessRollup2, FileName: cmd.exe}, fields: {Kind: shell}}\n",
        encoding="utf-8",
    )
    loaded = dt.load(path)
    assert loaded.saved == saved
    (result,) = dt.run_file(loaded, "reference")
    assert result.passed, result.message


@pytest.mark.parametrize("query", ['$"a\x00b"()', 'x=1 | $"pkg/a\x00"()'])
def test_a_name_with_a_nul_byte_is_e221_at_the_call(saved: Path, query: str) -> None:
    with pytest.raises(CQLCompileError) as info:
        expand(query, saved)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "E221"
    assert diagnostic.span.start == query.index("$")
    assert "NUL" in diagnostic.message
    assert "\x00" not in diagnostic.message  # shown escaped


def test_a_directory_with_a_nul_byte_is_e221_at_the_call(saved: Path) -> None:
    with pytest.raises(CQLCompileError) as info:
        expand("$procs()", f"{saved}\x00x")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "E221"
    assert "NUL" in diagnostic.message


def test_cli_a_nul_byte_in_a_saved_name_is_located(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = tmp_path / "q.cql"
    query.write_text('x=1\n| $"a\x00b"()\n', encoding="utf-8")
    assert main(["check", str(query), "--saved", str(saved)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{query}:2:3: error E221")
    assert "Traceback" not in err

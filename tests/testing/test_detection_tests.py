"""Detection tests as data (``*.cqltest.yaml``): loading with located errors,
running (rows and per-event verdicts), diffs, JUnit XML, ``cqlmatch test``;
and the files shipped in ``rules/tests`` pass on every engine (this module is
what runs them in the repository's own test suite)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cqlmatch.cli.commands import main
from cqlmatch.runtime.query import ENGINES
from cqlmatch.testing import detection as dt

from ..conftest import ROOT

SHIPPED = sorted((ROOT / "rules" / "tests").glob("*.cqltest.yaml"))

TAGGING = """\
#event_simpleName=ProcessRollup2 FileName=/cmd\\.exe|powershell\\.exe/i
| Kind := "shell"
"""
COUNTING = """\
#event_simpleName=ProcessRollup2
| groupBy([FileName], function=count(as=n))
| sort(FileName, order=asc)
"""


def events_yaml(*names: str) -> str:
    return "".join(
        f"      - {{event_simpleName: ProcessRollup2, FileName: {name}}}\n" for name in names
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "tag.cql").write_text(TAGGING, encoding="utf-8")
    (tmp_path / "count.cql").write_text(COUNTING, encoding="utf-8")
    return tmp_path


def write(directory: Path, text: str, name: str = "t.cqltest.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, engine: str = "reference") -> list[dt.CaseResult]:
    return dt.run_file(dt.load(path), engine)


# --- the shipped tests --------------------------------------------------------------


def test_rules_ship_tests_for_the_seed_and_the_corrected_rule() -> None:
    rules = {dt.load(path).rule.name for path in SHIPPED}
    assert rules == {"t1546_016.cql"}
    assert {dt.load(path).rule.parent.name for path in SHIPPED} == {"rules", "seed"}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_detection_tests_pass(path: Path, engine: str) -> None:
    results = run(path, engine)
    assert len(results) >= 10
    failed = [f"{r.name}:\n{r.message}" for r in results if not r.passed]
    assert not failed, "\n\n".join(failed)


# --- loading: every problem names the file, the place and the key --------------------


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("rule: tag.cql\ncases: [\n", 3, "invalid YAML"),
        ("rule: tag.cql\n", 1, "missing key 'cases'"),
        ("- rule\n", 1, "expected a mapping"),
        ("rule: tag.cql\ncase: []\n", 2, "unknown key 'case'; did you mean 'cases'?"),
        ("rule: nope.cql\ncases: []\n", 1, "rule: no such file: nope.cql"),
        ("rule: tag.cql\ncases: []\n", 2, "at least one case"),
        ("rule: tag.cql\nrule: tag.cql\ncases: []\n", 2, "key 'rule' given twice"),
        ("rule: tag.cql\nstrict: maybe\ncases: []\n", 2, "strict: expected true or false"),
        (
            "rule: tag.cql\ncases:\n  - name: a\n    rows: []\n",
            3,
            "cases[0]: give the input as 'events:'",
        ),
        (
            "rule: tag.cql\ncases:\n  - events: []\n    rows: []\n    kept: true\n",
            3,
            "expect either output rows",
        ),
        (
            "rule: tag.cql\ncases:\n  - events: []\n",
            3,
            "expect either output rows ('rows:') or a per-event result",
        ),
        (
            "rule: tag.cql\ncases:\n  - events: {path: x.ndjson}\n    kept: true\n",
            3,
            "cases[0].events: unknown key 'path'",
        ),
        (
            "rule: tag.cql\ncases:\n  - events: {file: missing.ndjson}\n    kept: true\n",
            3,
            "cases[0].events.file: no such file: missing.ndjson",
        ),
        (
            "rule: tag.cql\ncases:\n  - events: [a, b]\n    kept: true\n",
            3,
            "cases[0].events[0]: an event is a mapping of fields, got 'a'",
        ),
        (
            "rule: tag.cql\ncases:\n  - events: []\n    rows:\n      - {n: ~}\n",
            5,
            "cases[0].rows[0].n: a row value cannot be null",
        ),
        (
            "rule: tag.cql\ncases:\n  - events: []\n    rows: [{n: [1]}]\n",
            4,
            "cases[0].rows[0].n: expected a field value",
        ),
        (
            "rule: tag.cql\ncases:\n  - events: []\n    kept: false\n    fields: {a: b}\n",
            5,
            "'fields' needs 'kept: true'",
        ),
        (
            "rule: tag.cql\ncases:\n  - events: []\n    kept: true\n    ordered: false\n",
            5,
            "'ordered' only applies to 'rows'",
        ),
        (
            "rule: tag.cql\ncases:\n  - {name: a, events: [], kept: true}\n"
            "  - {name: a, events: [], kept: true}\n",
            4,
            "case name 'a' repeated",
        ),
        (
            "rule: tag.cql\ndiagnostics: W310\ncases: []\n",
            2,
            "diagnostics: expected a list of diagnostic codes",
        ),
    ],
)
def test_malformed_test_files_are_located(
    workspace: Path, text: str, line: int, fragment: str
) -> None:
    path = write(workspace, text)
    with pytest.raises(dt.DetectionTestError) as info:
        dt.load(path)
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert fragment in err.message
    assert str(err).startswith(f"{path}:{line}:")


def test_empty_and_unreadable_files(workspace: Path) -> None:
    with pytest.raises(dt.DetectionTestError, match="empty test file"):
        dt.load(write(workspace, "# nothing\n"))
    bad = workspace / "bad.cqltest.yaml"
    bad.write_bytes(b"rule: \xff\n")
    with pytest.raises(dt.DetectionTestError, match="cannot read"):
        dt.load(bad)


def test_paths_are_relative_to_the_test_file(workspace: Path) -> None:
    sub = workspace / "tests"
    sub.mkdir()
    (workspace / "allow.csv").write_text("name\nx\n", encoding="utf-8")
    path = write(
        sub,
        "rule: ../tag.cql\nparams: {who: alice}\nlookups: {allow.csv: ../allow.csv}\n"
        "cases:\n  - {event: {a: b}, kept: false}\n",
    )
    loaded = dt.load(path)
    assert loaded.rule == workspace / "tag.cql"
    assert loaded.params == {"who": "alice"}
    assert loaded.lookups == {"allow.csv": workspace / "allow.csv"}


def test_event_values_decode_like_json_and_expected_values_are_text(workspace: Path) -> None:
    path = write(
        workspace,
        "rule: tag.cql\ncases:\n"
        "  - event: {Port: 443, Ratio: 1.5, On: true, Gone: null, Country: NO,"
        " When: 2024-01-02, Hex: 0x1f, Nested: {a: [1, x]}}\n"
        "    fields: {Count: 2, Flag: yes, Missing: null, Quoted: 'null'}\n",
    )
    case = dt.load(path).cases[0]
    assert case.events.inline == [
        {
            "Port": 443,
            "Ratio": 1.5,
            "On": True,
            "Gone": None,
            "Country": "NO",
            "When": "2024-01-02",
            "Hex": "0x1f",
            "Nested": {"a": [1, "x"]},
        }
    ]
    assert case.fields == {"Count": "2", "Flag": "yes", "Missing": None, "Quoted": "null"}
    assert case.kept is True  # implied by fields


# --- running ------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_rows_pass_and_fail_with_a_diff(workspace: Path, engine: str) -> None:
    path = write(
        workspace,
        "rule: count.cql\ncases:\n"
        "  - name: right\n    events:\n"
        + events_yaml("a.exe", "b.exe", "a.exe")
        + "    rows:\n      - {FileName: a.exe, n: 2}\n      - {FileName: b.exe, n: 1}\n"
        "  - name: wrong count\n    events:\n"
        + events_yaml("a.exe", "b.exe", "a.exe")
        + "    rows:\n      - {FileName: a.exe, n: 3}\n      - {FileName: b.exe, n: 1}\n",
    )
    right, wrong = run(path, engine)
    assert right.passed and right.message == ""
    assert wrong.outcome == "failed"
    assert wrong.message.split("\n")[:3] == [
        "expected 2 row(s), got 2",
        "--- expected",
        "+++ actual",
    ]
    assert '-  n: "3"' in wrong.message.split("\n")
    assert '+  n: "2"' in wrong.message.split("\n")
    assert '- FileName: "b.exe"' in wrong.message  # context: whole short outputs


def test_row_order_matters_unless_told(workspace: Path) -> None:
    rows = "    rows:\n      - {FileName: b.exe, n: 1}\n      - {FileName: a.exe, n: 1}\n"
    body = "    events:\n" + events_yaml("a.exe", "b.exe") + rows
    path = write(
        workspace,
        "rule: count.cql\ncases:\n  - name: ordered\n"
        + body
        + "  - name: unordered\n    ordered: false\n"
        + body,
    )
    ordered, unordered = run(path)
    assert ordered.outcome == "failed"
    assert unordered.passed


def test_unordered_diff_shows_only_the_missing_row(workspace: Path) -> None:
    path = write(
        workspace,
        "rule: count.cql\ncases:\n  - ordered: false\n    events:\n"
        + events_yaml("a.exe", "b.exe")
        + "    rows:\n      - {FileName: c.exe, n: 1}\n      - {FileName: a.exe, n: 1}\n",
    )
    (result,) = run(path)
    lines = result.message.split("\n")
    assert lines[0] == "expected 2 row(s), got 2 (order ignored)"
    assert '-- FileName: "c.exe"' in lines
    assert '+- FileName: "b.exe"' in lines
    assert ' - FileName: "a.exe"' in lines


@pytest.mark.parametrize("engine", ENGINES)
def test_per_event_verdicts(workspace: Path, engine: str) -> None:
    path = write(
        workspace,
        "rule: tag.cql\ncases:\n"
        "  - name: kept\n    events:\n"
        + events_yaml("cmd.exe", "POWERSHELL.EXE")
        + "    fields: {Kind: shell, Absent: null}\n"
        "  - name: dropped\n    event: {event_simpleName: ProcessRollup2, FileName: calc.exe}\n"
        "    kept: false\n"
        "  - name: wrongly dropped\n    events:\n"
        + events_yaml("cmd.exe", "calc.exe")
        + "    kept: true\n"
        "  - name: wrongly kept\n    event: {event_simpleName: ProcessRollup2, FileName: cmd.exe}\n"
        "    kept: false\n"
        "  - name: wrong field\n    event: {event_simpleName: ProcessRollup2, FileName: cmd.exe}\n"
        "    fields: {Kind: script, FileName: null}\n",
    )
    kept, dropped, wrongly_dropped, wrongly_kept, wrong_field = run(path, engine)
    assert kept.passed and dropped.passed
    assert wrongly_dropped.message == (
        "1 of 2 event(s) not as expected\nevent 2 (line 14): expected kept, but it was dropped"
    )
    assert "event 1 (line 17): expected dropped, but it was kept as:" in wrongly_kept.message
    assert '  Kind: "shell"' in wrongly_kept.message
    lines = wrong_field.message.split("\n")
    assert "event 1 (line 20): fields differ" in lines
    assert '-  Kind: "script"' in lines and '+  Kind: "shell"' in lines
    assert "-  FileName: null  # absent" in lines and '+  FileName: "cmd.exe"' in lines


def test_events_from_an_ndjson_file(workspace: Path) -> None:
    (workspace / "ev.ndjson").write_text(
        '{"event_simpleName": "ProcessRollup2", "FileName": "cmd.exe"}\n\n'
        '{"event_simpleName": "ProcessRollup2", "FileName": "calc.exe"}\n',
        encoding="utf-8",
    )
    (workspace / "bad.ndjson").write_text('{"a": 1}\n[1, 2]\n', encoding="utf-8")
    path = write(
        workspace,
        "rule: tag.cql\ncases:\n"
        "  - {name: per event, events: {file: ev.ndjson}, kept: true}\n"
        "  - {name: rows, events: {file: ev.ndjson}, rows: [{event_simpleName: ProcessRollup2,"
        " FileName: cmd.exe, Kind: shell}]}\n"
        "  - {name: bad file, events: {file: bad.ndjson}, kept: false}\n",
    )
    per_event, rows, bad = run(path)
    assert per_event.outcome == "failed"
    assert f"{workspace / 'ev.ndjson'}:2: expected kept" in per_event.message
    assert rows.passed, rows.message
    assert bad.outcome == "error"
    assert bad.message == f"{workspace / 'bad.ndjson'}:2: not a JSON object but list"


def test_a_rule_that_does_not_compile_errors_every_case_with_a_caret(workspace: Path) -> None:
    (workspace / "broken.cql").write_text("FileName=x | frobnicate()\n", encoding="utf-8")
    path = write(
        workspace,
        "rule: broken.cql\ndiagnostics: [W310]\ncases:\n"
        "  - {name: one, event: {a: b}, kept: false}\n  - {name: two, event: {a: b}, kept: true}\n",
    )
    results = run(path)
    assert [(r.name, r.outcome) for r in results] == [
        ("diagnostics", "error"),
        ("one", "error"),
        ("two", "error"),
    ]
    message = results[1].message
    assert message.startswith(f"{workspace / 'broken.cql'}:1:")
    assert "E201" in message and "^^^" in message


def test_diagnostics_expectation(workspace: Path) -> None:
    # The counting rule groups by a field ProcessRollup2 events carry: no W310.
    path = write(
        workspace,
        "rule: count.cql\ndiagnostics: [W310, W301]\ncases:\n  - {event: {a: b}, rows: []}\n",
    )
    diagnostics, case = run(path)
    assert case.passed
    assert diagnostics.outcome == "failed"
    assert diagnostics.message.startswith("expected diagnostics not reported: W310, W301\n")


def test_params_reach_the_rule(workspace: Path) -> None:
    (workspace / "param.cql").write_text('FileName=?name | Kind := "a"\n', encoding="utf-8")
    path = write(
        workspace,
        "rule: param.cql\nparams: {name: cmd.exe}\ncases:\n"
        "  - {event: {FileName: cmd.exe}, fields: {Kind: a}}\n"
        "  - {event: {FileName: calc.exe}, kept: false}\n",
    )
    assert [r.outcome for r in run(path)] == ["passed", "passed"]
    path = write(workspace, "rule: param.cql\ncases:\n  - {event: {a: b}, kept: false}\n")
    (result,) = run(path)
    assert result.outcome == "error" and "E220" in result.message


def test_strict_turns_extensions_into_errors(workspace: Path) -> None:
    (workspace / "ext.cql").write_text("FileName=calc.exe | drop()\n", encoding="utf-8")
    case = "cases:\n  - {event: {FileName: calc.exe}, kept: false}\n"
    (lenient,) = run(write(workspace, "rule: ext.cql\n" + case))
    assert lenient.passed
    (strict,) = run(write(workspace, "rule: ext.cql\nstrict: true\n" + case))
    assert strict.outcome == "error" and "W302" in strict.message


def test_unknown_engine_is_refused(workspace: Path) -> None:
    path = write(workspace, "rule: tag.cql\ncases:\n  - {event: {a: b}, kept: false}\n")
    with pytest.raises(ValueError, match="unknown engine"):
        dt.run_file(dt.load(path), "jit")


def test_discover_finds_only_test_files(workspace: Path) -> None:
    (workspace / "sub").mkdir()
    write(workspace, "x: 1\n", "config.yaml")
    a = write(workspace, "rule: tag.cql\n", "a.cqltest.yaml")
    b = write(workspace / "sub", "rule: tag.cql\n", "b.cqltest.yml")
    assert dt.discover([workspace]) == [a, b]
    assert dt.discover([b]) == [b]
    with pytest.raises(dt.DetectionTestError, match="no such file or directory"):
        dt.discover([workspace / "missing"])


# --- JUnit XML ----------------------------------------------------------------------


def test_junit_xml_counts_and_messages(workspace: Path) -> None:
    path = write(
        workspace,
        "rule: tag.cql\ncases:\n"
        "  - {name: good, event: {event_simpleName: ProcessRollup2, FileName: cmd.exe},"
        " kept: true}\n"
        "  - {name: bad <&>, event: {event_simpleName: ProcessRollup2, FileName: cmd.exe},"
        " kept: false}\n",
    )
    results = run(path)
    load_error = dt.DetectionTestError("other.cqltest.yaml", "unknown key 'x'", 3, 1)
    root = ET.fromstring(dt.junit_xml(results, [load_error], engine="vm"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    suite, broken = root.findall("testsuite")
    assert suite.get("name") == str(path)
    good, bad = suite.findall("testcase")
    assert good.get("name") == "good" and list(good) == []
    assert bad.get("name") == "bad <&>"
    (failure,) = bad.findall("failure")
    assert failure.get("message") == "1 of 1 event(s) not as expected"
    assert "expected dropped" in (failure.text or "")
    assert bad.get("classname", "").endswith(".t[vm]")
    (error,) = broken.findall("testcase/error")
    assert error.get("message") == "other.cqltest.yaml:3:1: unknown key 'x'"


# --- the command line -----------------------------------------------------------------


def test_cli_test_passes_on_the_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(ROOT / "rules" / "tests"), "--engine", "reference"]) == 0
    out = capsys.readouterr().out
    assert "  ok    msiexec spawns a PowerShell download cradle" in out
    assert (
        out.rstrip()
        .split("\n")[-1]
        .startswith(f"{sum(len(dt.load(p).cases) + 1 for p in SHIPPED)} passed, 0 failed, 0 errors")
    )


def test_cli_test_exit_codes_and_junit(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(
        workspace, "rule: tag.cql\ncases:\n  - {event: {a: b}, kept: false}\n", "g.cqltest.yaml"
    )
    bad = write(
        workspace, "rule: tag.cql\ncases:\n  - {event: {a: b}, kept: true}\n", "b.cqltest.yaml"
    )
    report = workspace / "junit.xml"
    assert main(["test", str(good)]) == 0
    assert main(["test", str(good), str(bad), "--junit", str(report), "-q"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  case 1" in out and "ok    case 1" not in out.split(str(bad))[1]
    assert ET.parse(report).getroot().get("failures") == "1"
    broken = write(workspace, "rule: tag.cql\ncases: {}\n", "x.cqltest.yaml")
    assert main(["test", str(good), str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"cqlmatch: {broken}:2:8: cases: expected a list of cases, got a mapping" in err
    assert "Traceback" not in err
    assert main(["test", str(workspace / "nothing-here")]) == 2
    empty = workspace / "empty"
    empty.mkdir()
    assert main(["test", str(empty)]) == 2
    assert "no *.cqltest.yaml files" in capsys.readouterr().err


def test_cli_test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["test", "--help"])
    assert "cqlmatch test rules/tests" in capsys.readouterr().out


# --- files that are not what they claim to be -----------------------------------------------

PASSWD = "root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("passwd", PASSWD.encode()),
        ("ls", b"\x7fELF\x02\x01\x01\x00\x00\x00\xd0\xff secret-bytes"),
        ("latin1.cql", "FileName=caf\xe9 secret\n".encode("latin-1")),
        ("nul.cql", b"FileName=x\x00secret\n"),
    ],
)
def test_a_rule_that_is_not_a_query_is_one_error_quoting_nothing(
    workspace: Path, name: str, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace / name).write_bytes(content)
    path = write(
        workspace, f"params: {{}}\nrule: {name}\ncases:\n  - {{event: {{a: b}}, kept: true}}\n"
    )
    with pytest.raises(dt.DetectionTestError) as info:
        dt.load(path)
    err = info.value
    assert (err.line, err.column) == (2, 7)
    assert "not a CQL query" in err.message
    for secret in ("root", "postgres", "secret", "ELF"):
        assert secret not in err.message
    assert main(["test", str(path)]) == 2
    out = capsys.readouterr()
    assert f"{path}:2:7: rule: " in out.err
    assert "Traceback" not in out.err + out.out and "secret" not in out.err + out.out


def test_a_cql_file_with_a_syntax_error_still_gets_the_caret(workspace: Path) -> None:
    (workspace / "typo.cql").write_text("FileName=(\n", encoding="utf-8")
    path = write(workspace, "rule: typo.cql\ncases:\n  - {event: {a: b}, kept: true}\n")
    (result,) = run(path)
    assert result.outcome == "error" and "^" in result.message


BOMB = """\
rule: tag.cql
cases:
  - name: bomb
    events:
      - &a0 {k: [v, v, v, v, v, v, v, v, v, v]}
      - &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
      - &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
      - &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
      - &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
      - &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
      - &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
      - &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
      - &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]
    kept: true
"""


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        (BOMB, (10, 44), "aliases"),
        (
            "rule: tag.cql\ncases:\n  - event: &e {a: b, self: *e}\n    kept: true\n",
            (3, 28),
            "refers to the node that contains it",
        ),
        (
            "rule: tag.cql\ncases:\n  - event: {n: " + "7" * 100_000 + "}\n    kept: true\n",
            (3, 16),
            "cases[0].event.n: a number with more than",
        ),
        ("rule: tag.cql\ncases:\n  - event: " + "[" * 5000 + "\n", None, "nested too deeply"),
    ],
    ids=["alias-bomb", "self-alias", "huge-int", "deep"],
)
def test_hostile_yaml_is_a_located_error(
    workspace: Path, text: str, position: tuple[int, int] | None, fragment: str
) -> None:
    path = write(workspace, text)
    with pytest.raises(dt.DetectionTestError) as info:
        dt.load(path)
    err = info.value
    assert fragment in err.message
    if position is not None:
        assert (err.line, err.column) == position


def test_aliases_within_the_limit_still_work(workspace: Path) -> None:
    path = write(
        workspace,
        "rule: tag.cql\ncases:\n"
        "  - event: &shell {event_simpleName: ProcessRollup2, FileName: cmd.exe}\n"
        "    fields: {Kind: shell}\n"
        "  - events: [*shell, *shell]\n    rows: [{Kind: shell}, {Kind: shell}]\n",
    )
    loaded = dt.load(path)
    assert loaded.cases[1].events.inline == [loaded.cases[0].events.inline[0]] * 2

"""The ``cqlmatch`` command line, driven through ``main(argv)`` and as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch import format_query, parse
from cqlmatch.cli.commands import EXIT_QUERY_ERROR, main

from ..conftest import SEED


def test_fmt_prints_canonical_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fmt", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert parse(out) == parse(SEED.read_text(encoding="utf-8"))
    assert out == format_query(parse(out)) + "\n"


def test_fmt_write_rewrites_file(tmp_path: Path) -> None:
    query = tmp_path / "q.cql"
    query.write_text("a=1   b=2 |count()", encoding="utf-8")
    assert main(["fmt", "--write", str(query)]) == 0
    assert query.read_text(encoding="utf-8") == "a=1 b=2\n| count()\n"


def test_syntax_error_exit_status_and_caret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = tmp_path / "bad.cql"
    query.write_text("a=1\n| 400 > statuscode\n", encoding="utf-8")
    assert main(["fmt", str(query)]) == EXIT_QUERY_ERROR
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{query}:2:9: error E106:")
    assert err[1] == "| 400 > statuscode"
    assert err[2] == "        ^^^^^^^^^^"


def test_parse_and_tokens(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    query = tmp_path / "q.cql"
    query.write_text("x=/a\\/b/i", encoding="utf-8")
    assert main(["parse", str(query)]) == 0
    assert "Regex(pattern='a\\\\/b', flags='i')" in capsys.readouterr().out
    assert main(["tokens", str(query)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "1:1\tWORD\tx"
    assert lines[2] == "1:3\tREGEX\t/a\\/b/i"
    assert lines[-1].split("\t")[1] == "EOF"


def test_missing_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fmt", "/nonexistent/q.cql"]) == 2
    assert "No such file" in capsys.readouterr().err


def test_corpus_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [
        {"id": "q1", "source": "CrowdStrike/x", "origin": "community", "query": "a=1"},
        {"id": "q2", "source": "other/y", "origin": "community", "query": "a:=/x/"},
        {"id": "q3", "source": "SigmaHQ/sigma", "origin": "sigma-converted", "query": "b or c"},
    ]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    assert main(["corpus", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["by_group"]["crowdstrike"]["parsed"] == 1
    assert report["by_group"]["community-other"]["parsed"] == 0
    assert report["by_group"]["sigma-converted"]["rate"] == 100.0
    assert report["reasons"][0]["code"] == "E112"
    assert report["reasons"][0]["example"] == "q2"


def test_help_shows_an_example() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "fmt", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "example: cqlmatch fmt" in proc.stdout


def test_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    # Far more output than a pipe buffers, so the write really hits a closed pipe.
    query = tmp_path / "big.cql"
    query.write_text(" ".join(f"f{i}=v{i}" for i in range(30000)), encoding="utf-8")
    proc = subprocess.run(
        f"{sys.executable} -m cqlmatch tokens {query} | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout == "1:1\tWORD\tf0\n"
    assert proc.stderr == ""


def _events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.ndjson"
    path.write_text(
        '{"event_simpleName":"ProcessRollup2","aid":"a1","FileName":"cmd.exe"}\n'
        "ProcessRollup2 is not json\n"
        "\n"
        '{"event_simpleName":"DnsRequest","aid":"a1","DomainName":"x.example"}\n'
        '["ProcessRollup2"]\n'
        '{"event_simpleName":"ProcessRollup2","aid":"a2","FileName":"bash"}\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("json", '[\n  {\n    "event_simpleName": "ProcessRollup2",\n    "_count": "2"\n  }\n]\n'),
        ("ndjson", '{"event_simpleName":"ProcessRollup2","_count":"2"}\n'),
        ("csv", "event_simpleName,_count\nProcessRollup2,2\n"),
        (
            "table",
            "event_simpleName  _count\n----------------  ------\nProcessRollup2    2\n(1 row)\n",
        ),
    ],
)
def test_run_formats(fmt: str, expected: str, tmp_path: Path, capsys) -> None:
    query = tmp_path / "q.cql"
    query.write_text(
        "#event_simpleName=ProcessRollup2 | groupBy(event_simpleName)", encoding="utf-8"
    )
    assert main(["run", str(query), str(_events_file(tmp_path)), "--format", fmt]) == 0
    captured = capsys.readouterr()
    assert captured.out == expected
    # malformed lines are counted and reported with their line numbers (a line
    # the prefilter rules out has its framing checked)
    assert "2 malformed line(s) skipped: 2, 5" in captured.err


def test_run_with_params_and_stats(tmp_path: Path, capsys) -> None:
    query = tmp_path / "q.cql"
    query.write_text("FileName=?name | select([aid])", encoding="utf-8")
    events = _events_file(tmp_path)
    assert (
        main(
            [
                "run",
                str(query),
                str(events),
                "--param",
                "name=bash",
                "--format",
                "ndjson",
                "--stats",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out == '{"aid":"a2"}\n'
    # six lines: one decoded, two not framed as objects (decoded, malformed),
    # three ruled out by the prefilter (no "bash" in them)
    assert (
        "6 lines (1 events decoded, 2 malformed; "
        "3 skipped by the prefilter, their JSON framing checked only)" in captured.err
    )
    assert main(["run", str(query), str(events)]) == EXIT_QUERY_ERROR
    assert "E220" in capsys.readouterr().err


def test_check_prints_warnings_with_fixes(capsys) -> None:
    assert main(["check", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert f"{SEED}:22:9: warning W302:" in out
    assert "fix: dropEvent()" in out
    assert main(["check", str(SEED), "--strict"]) == EXIT_QUERY_ERROR
    assert "error W301" in capsys.readouterr().err


def test_check_reports_unknown_function(tmp_path: Path, capsys) -> None:
    query = tmp_path / "q.cql"
    query.write_text("a=1\n| cuont()", encoding="utf-8")
    assert main(["check", str(query)]) == EXIT_QUERY_ERROR
    err = capsys.readouterr().err
    assert f"{query}:2:3: error E201: unknown function cuont(); did you mean count()?" in err
    assert "  ^^^^^" in err


def test_gen_writes_deterministic_telemetry(tmp_path: Path) -> None:
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson.gz"
    assert main(["gen", "--events", "500", "--seed", "3", "--out", str(a)]) == 0
    assert main(["gen", "--events", "500", "--seed", "3", "--out", str(b)]) == 0
    import gzip

    assert gzip.decompress(b.read_bytes()) == a.read_bytes()
    assert len(a.read_text(encoding="utf-8").splitlines()) == 500


def test_check_fix_rewrites_the_seed_rule(tmp_path: Path, capsys) -> None:
    query = tmp_path / "seed.cql"
    query.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["check", "--fix", str(query)]) == 0
    err = capsys.readouterr().err
    assert "applied 4 fix(es): W301, W302, W310, W301" in err
    fixed = query.read_text(encoding="utf-8")
    assert 'then="INSTALLER_DOWNLOAD_CRADLE", else=if(' in fixed
    assert "* | dropEvent()" in fixed
    assert '| default(value="-", field=[ComputerName' in fixed
    codes = {d.code for d in cqlmatch.compile(fixed).diagnostics}
    assert not codes & {"W301", "W302", "W310"}
    assert "W303" in codes  # a filter as if() condition has no LogScale spelling to fix to
    events = [
        {
            "event_simpleName": "ProcessRollup2",
            "aid": "a",
            "ParentBaseFileName": "msiexec.exe",
            "FileName": "cmd.exe",
            "CommandLine": "cmd /c x",
        }
    ]
    rows = cqlmatch.compile(fixed).run(events)
    assert [r["EventType"] for r in rows] == ["INSTALLER_SCRIPT_CHILD"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("select([ComputerName, FileName])", "ComputerName,FileName\n,a.exe\nh1,b.exe\n"),
        (
            "table([ComputerName, FileName, UserName], sortby=FileName, order=asc)",
            "ComputerName,FileName,UserName\n,a.exe,\nh1,b.exe,\n",
        ),
    ],
)
def test_csv_columns_follow_the_query_not_the_first_row(
    query: str, expected: str, tmp_path: Path, capsys
) -> None:
    """select([ComputerName, FileName]) over a first event lacking
    ComputerName printed FileName,ComputerName."""
    events = tmp_path / "events.ndjson"
    events.write_text(
        '{"FileName":"a.exe"}\n{"FileName":"b.exe","ComputerName":"h1"}\n', encoding="utf-8"
    )
    path = tmp_path / "q.cql"
    path.write_text(query, encoding="utf-8")
    assert main(["run", str(path), str(events), "--format", "csv"]) == 0
    assert capsys.readouterr().out == expected
    assert main(["run", str(path), str(events), "--format", "table"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split()
    assert header == expected.splitlines()[0].split(",")

"""``cqlmatch pack run|check`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cqlmatch.cli.commands import main
from cqlmatch.cli.pack import EXIT_PACK_ERROR, EXIT_RULES_LEFT_OUT, EXIT_USAGE

EVENTS = [
    {"event_simpleName": "ProcessRollup2", "FileName": "powershell.exe", "CommandLine": "-enc AA"},
    {"event_simpleName": "DnsRequest", "DomainName": "example.com"},
    {"event_simpleName": "ProcessRollup2", "FileName": "cmd.exe", "CommandLine": "dir"},
    {"event_simpleName": "DnsRequest", "DomainName": "example.com"},
]


@pytest.fixture
def pack(tmp_path: Path) -> tuple[Path, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "enc.cql").write_text(
        "// name: Encoded PowerShell\n// severity: high\n// tags: attack.t1059.001\n"
        "#event_simpleName=ProcessRollup2 CommandLine=/-enc/i\n",
        encoding="utf-8",
    )
    (rules / "dns.cql").write_text(
        "#event_simpleName=DnsRequest | groupBy([DomainName])\n", encoding="utf-8"
    )
    events = tmp_path / "events.ndjson"
    events.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    return rules, events


def test_pack_run_prints_hits_with_their_rule(pack, capsys) -> None:
    rules, events = pack
    assert main(["pack", "run", str(rules), str(events), "--format", "ndjson", "--stats"]) == 0
    captured = capsys.readouterr()
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [(r["rule.id"], r.get("FileName"), r.get("_count")) for r in rows] == [
        ("enc", "powershell.exe", None),
        ("dns", None, "2"),
    ]
    assert rows[0]["rule.severity"] == "high" and rows[0]["rule.tags"] == "attack.t1059.001"
    assert "2 rule(s) run, 0 left out" in captured.err
    assert "enc" in captured.err and "hits" in captured.err


def test_a_broken_rule_is_left_out_and_the_status_says_so(pack, capsys) -> None:
    rules, events = pack
    (rules / "broken.cql").write_text("x=1\n| nosuchfunction()\n", encoding="utf-8")
    status = main(["pack", "run", str(rules), str(events), "--format", "ndjson"])
    captured = capsys.readouterr()
    assert status == EXIT_RULES_LEFT_OUT
    assert len(captured.out.splitlines()) == 2
    assert f"left out: {rules / 'broken.cql'}: rule broken:" in captured.err
    assert f"{rules / 'broken.cql'}:2:3: error" in captured.err
    assert main(["pack", "run", str(rules), str(events), "--strict"]) == EXIT_PACK_ERROR
    assert "(--strict)" in capsys.readouterr().err


def test_enable_and_disable(pack, capsys) -> None:
    rules, events = pack
    assert (
        main(["pack", "run", str(rules), str(events), "--format", "ndjson", "--disable", "dns"])
        == 0
    )
    assert [json.loads(x)["rule.id"] for x in capsys.readouterr().out.splitlines()] == ["enc"]
    status = main(["pack", "run", str(rules), str(events), "--enable", "nope"])
    assert status == EXIT_USAGE and "nope" in capsys.readouterr().err


def test_pack_check_lists_warnings_and_left_out_rules(pack, capsys) -> None:
    rules, _ = pack
    (rules / "warn.cql").write_text(
        "#event_simpleName=DnsRequest | groupBy([CommandLine])\n", encoding="utf-8"
    )
    (rules / "bad.cql").write_text("x=(\n", encoding="utf-8")
    assert main(["pack", "check", str(rules)]) == EXIT_RULES_LEFT_OUT
    captured = capsys.readouterr()
    assert "W310" in captured.out and f"{rules / 'warn.cql'}:1:" in captured.out
    assert "3 rule(s) usable" in captured.out and "1 left out" in captured.out
    assert "rule bad" in captured.err


def test_a_pack_that_cannot_be_read(tmp_path, capsys) -> None:
    manifest = tmp_path / "p.yaml"
    manifest.write_text("rules: [\n", encoding="utf-8")
    assert main(["pack", "check", str(manifest)]) == EXIT_PACK_ERROR
    assert f"{manifest}:" in capsys.readouterr().err


REPO_PACK = Path(__file__).resolve().parents[2] / "rules" / "packs" / "falcon.cqlpack.yaml"


@pytest.mark.parametrize("engine", ["vm", "reference"])
def test_pack_test_runs_each_rules_tests_against_the_pack_rule(engine, capsys) -> None:
    assert main(["pack", "test", str(REPO_PACK), "--engine", engine]) == 0
    out = capsys.readouterr().out
    assert "rule lsass-dump:" in out and "0 failed, 0 errors (4 file(s))" in out


def test_pack_test_reports_a_failing_case_and_a_bad_file(tmp_path, capsys) -> None:
    (tmp_path / "ok.cqltest.yaml").write_text(
        "cases:\n  - name: kept\n    event: {x: '1'}\n    kept: true\n", encoding="utf-8"
    )
    (tmp_path / "bad.cqltest.yaml").write_text("cases: [\n", encoding="utf-8")
    manifest = tmp_path / "pack.yaml"
    manifest.write_text(
        "rules:\n"
        "  - id: a\n    query: x=2\n    tests: ok.cqltest.yaml\n"
        "  - id: b\n    query: x=1\n    tests: ok.cqltest.yaml\n",
        encoding="utf-8",
    )
    assert main(["pack", "test", str(manifest)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  kept" in out and "1 passed, 1 failed" in out
    manifest.write_text(
        "rules:\n  - id: a\n    query: x=1\n    tests: bad.cqltest.yaml\n", encoding="utf-8"
    )
    assert main(["pack", "test", str(manifest)]) == EXIT_USAGE
    assert "rule a:" in capsys.readouterr().err


def test_a_pack_rule_test_alone_says_it_needs_the_pack(capsys) -> None:
    tests = REPO_PACK.parent / "tests" / "lsass-dump.cqltest.yaml"
    assert main(["test", str(tests)]) == EXIT_USAGE
    assert "missing key 'rule' (the tests of a pack's rule run with" in capsys.readouterr().err


def test_stream_with_a_pack_writes_one_line_per_hit(pack) -> None:
    import subprocess
    import sys

    rules, events = pack
    lines = events.read_bytes() + b"not json\n"
    proc = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", "--pack", str(rules)],
        input=lines,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(o["rule.id"], o["FileName"]) for o in out] == [("enc", "powershell.exe")]
    assert b"line 5:" in proc.stderr and b"5 line(s), 1 kept, 1 malformed" in proc.stderr
    both = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", "q.cql", "--pack", str(rules)],
        input=b"",
        capture_output=True,
        timeout=120,
    )
    assert both.returncode == EXIT_USAGE and b"not both" in both.stderr

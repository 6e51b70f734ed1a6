"""The pytest plugin: ``*.cqltest.yaml`` files collected by plain ``pytest``
(and nothing else), failures shown as the same diff as ``cqlmatch test``,
load errors without a traceback, and the ``cql_benchmark`` fixture."""

from __future__ import annotations

import json
from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

RULE = """\
#event_simpleName=ProcessRollup2
| groupBy([FileName], function=count(as=n))
| sort(FileName, order=asc)
"""
EVENTS = (
    '{"event_simpleName": "ProcessRollup2", "FileName": "a.exe"}\n'
    '{"event_simpleName": "ProcessRollup2", "FileName": "b.exe"}\n'
    '{"event_simpleName": "ProcessRollup2", "FileName": "a.exe"}\n'
    '{"event_simpleName": "DnsRequest", "DomainName": "example.com"}\n'
)
GOOD = """\
rule: rule.cql
cases:
  - name: counts
    events: {file: events.ndjson}
    rows:
      - {FileName: a.exe, n: 2}
      - {FileName: b.exe, n: 1}
  - name: dns is dropped
    event: {event_simpleName: DnsRequest}
    kept: false
"""
BAD = """\
rule: rule.cql
cases:
  - name: wrong count
    events: {file: events.ndjson}
    rows:
      - {FileName: a.exe, n: 5}
      - {FileName: b.exe, n: 1}
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".cql", rule=RULE)
    pytester.makefile(".ndjson", events=EVENTS)
    return pytester


def test_the_plugin_is_registered_as_a_pytest11_entry_point() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert found.get("cqlmatch") == "cqlmatch.pytest_plugin"


def test_collects_cqltest_files_and_nothing_else(project: pytest.Pytester) -> None:
    project.makefile(".cqltest.yaml", good=GOOD)
    project.makefile(".yaml", config="rule: rule.cql\ncases: nonsense\n")
    project.makefile(".yml", other="- 1\n")
    result = project.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*good.cqltest.yaml::counts PASSED*", "*good.cqltest.yaml::dns is dropped PASSED*"]
    )


def test_a_failure_is_the_row_diff(project: pytest.Pytester) -> None:
    project.makefile(".cqltest.yaml", bad=BAD)
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*bad.cqltest.yaml: wrong count (engine vm)",
            "expected 2 row(s), got 2",
            "--- expected",
            "+++ actual",
            '-  n: "5"',
            '+  n: "2"',
        ]
    )
    assert "def runtest" not in result.stdout.str()  # no plugin traceback


def test_engines_are_chosen_on_the_command_line(project: pytest.Pytester) -> None:
    project.makefile(".cqltest.yaml", good=GOOD)
    result = project.runpytest("-v", "--cql-engine", "all")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*::counts[[]vm[]] PASSED*", "*::counts[[]reference[]] PASSED*"])
    project.runpytest("--cql-engine", "reference").assert_outcomes(passed=2)


def test_items_carry_the_cqltest_marker(project: pytest.Pytester) -> None:
    project.makefile(".cqltest.yaml", good=GOOD)
    project.makepyfile(test_other="def test_plain():\n    pass\n")
    project.runpytest("-m", "cqltest").assert_outcomes(passed=2, deselected=1)


def test_a_malformed_file_is_a_located_collection_error(project: pytest.Pytester) -> None:
    project.makefile(".cqltest.yaml", broken="rule: rule.cql\ncases:\n  - {event: {}, kep: 1}\n")
    result = project.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*broken.cqltest.yaml:3:17: cases[[]0[]]: unknown key 'kep'; did you mean 'kept'?*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_rule_error_fails_every_case_with_the_caret(project: pytest.Pytester) -> None:
    project.makefile(".cql", broken="FileName=x | frobnicate()\n")
    project.makefile(
        ".cqltest.yaml",
        uses_broken="rule: broken.cql\ndiagnostics: [W310]\ncases:\n"
        "  - {name: a, event: {x: y}, kept: false}\n  - {name: b, event: {x: y}, kept: true}\n",
    )
    result = project.runpytest()
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*broken.cql:1:14: error E201: unknown function frobnicate()*"])
    result.stdout.fnmatch_lines(["FileName=x | frobnicate()", " " * 13 + "^" * 10])


def test_cql_benchmark_times_a_rule_over_an_event_file(project: pytest.Pytester) -> None:
    project.makefile(".cqltest.yaml", good=GOOD)
    project.makepyfile(
        test_bench="""
def test_rule_speed(cql_benchmark):
    rows = cql_benchmark("rule.cql", "events.ndjson")
    assert rows == [{"FileName": "a.exe", "n": "2"}, {"FileName": "b.exe", "n": "1"}]
"""
    )
    report = project.path / "bench.json"
    result = project.runpytest(
        "--benchmark-only",
        "--benchmark-min-rounds=1",
        "--benchmark-max-time=0.000001",
        "--benchmark-warmup=off",
        f"--benchmark-json={report}",
        "-p",
        "no:cacheprovider",
    )
    # --benchmark-only skips everything that does not benchmark, YAML cases included
    result.assert_outcomes(passed=1, skipped=2)
    (bench,) = json.loads(report.read_text(encoding="utf-8"))["benchmarks"]
    assert bench["name"] == "test_rule_speed"
    assert bench["extra_info"]["events"] == 3  # the prefilter may skip the DNS line
    assert bench["extra_info"]["rows"] == 2
    assert bench["extra_info"]["bytes"] == (project.path / "events.ndjson").stat().st_size


def test_cql_benchmark_runs_once_when_benchmarks_are_disabled(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_bench="""
def test_rule_speed(cql_benchmark):
    assert len(cql_benchmark("rule.cql", "events.ndjson", engine="reference")) == 2
"""
    )
    project.runpytest("--benchmark-disable").assert_outcomes(passed=1)


def test_hostile_files_are_located_collection_errors(project: pytest.Pytester) -> None:
    laughs = "".join(f"      - &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9))
    project.makefile(
        ".cqltest.yaml",
        bomb="rule: rule.cql\ncases:\n  - events:\n      - &a0 {k: v}\n"
        + laughs
        + "    kept: true\n",
        selfref="rule: rule.cql\ncases:\n  - event: &e {a: *e}\n    kept: true\n",
        huge="rule: rule.cql\ncases:\n  - event: {n: " + "9" * 100_000 + "}\n    kept: true\n",
        binary="rule: /bin/sh\ncases:\n  - event: {a: b}\n    kept: true\n",
    )
    project.path.joinpath("notes.txt").write_text("user:secret:1:2,,,:x\n")
    project.makefile(
        ".cqltest.yaml", notes="rule: notes.txt\ncases:\n  - event: {a: b}\n    kept: true\n"
    )
    result = project.runpytest()
    result.assert_outcomes(errors=5)
    result.stdout.fnmatch_lines_random(
        [
            "*bomb.cqltest.yaml:*: invalid YAML: the aliases in this file expand to more than*",
            "*selfref.cqltest.yaml:3:19: invalid YAML: the alias *e refers to the node*",
            "*huge.cqltest.yaml:3:16: cases[[]0[]].event.n: a number with more than 4000 digits*",
            "*binary.cqltest.yaml:1:7: rule: /bin/sh is not a CQL query*",
            "*notes.cqltest.yaml:1:7: rule: notes.txt is not a CQL query*",
        ]
    )
    output = result.stdout.str()
    assert "Traceback" not in output and "secret" not in output


PACK = """\
name: p
rules:
  - id: counts
    query_file: rule.cql
    tests: counts.cqltest.yaml
  - id: dns
    query: "#event_simpleName=DnsRequest"
    tests: dns.cqltest.yaml
  - id: broken
    query: "x=("
"""
PACK_COUNTS = GOOD.replace("rule: rule.cql\n", "")
PACK_DNS = """\
cases:
  - name: dns kept
    event: {event_simpleName: DnsRequest}
    kept: true
  - name: wrongly expected
    event: {event_simpleName: ProcessRollup2}
    kept: true
"""


def test_a_pack_manifest_is_collected_with_its_rules_tests(project: pytest.Pytester) -> None:
    project.makefile(".cqlpack.yaml", falcon=PACK)
    project.makefile(".cqltest.yaml", counts=PACK_COUNTS, dns=PACK_DNS)
    # the rule tests of a pack name no rule: alone they are collection errors
    result = project.runpytest("falcon.cqlpack.yaml", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*falcon.cqlpack.yaml::broken (left out)*FAILED*",
            "*falcon.cqlpack.yaml::counts::counts*PASSED*",
            "*falcon.cqlpack.yaml::dns::wrongly expected*FAILED*",
        ]
    )
    assert "the pack leaves this rule out" in result.stdout.str()
    both = project.runpytest("falcon.cqlpack.yaml", "--cql-engine", "all", "-p", "no:cacheprovider")
    both.assert_outcomes(passed=6, failed=3)


def test_cql_benchmark_times_a_pack(project: pytest.Pytester) -> None:
    project.makefile(
        ".cqlpack.yaml",
        falcon=PACK.replace("    tests: counts.cqltest.yaml\n", "").replace(
            "    tests: dns.cqltest.yaml\n", ""
        ),
    )
    project.makepyfile(
        test_bench="""
def test_pack_speed(cql_benchmark):
    hits = cql_benchmark("falcon.cqlpack.yaml", "events.ndjson")
    assert sorted(h["rule.id"] for h in hits) == ["counts", "counts", "dns"]
"""
    )
    report = project.path / "bench.json"
    result = project.runpytest(
        "--benchmark-only",
        "--benchmark-min-rounds=1",
        "--benchmark-max-time=0.000001",
        "--benchmark-warmup=off",
        f"--benchmark-json={report}",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=1, skipped=1)
    (bench,) = json.loads(report.read_text(encoding="utf-8"))["benchmarks"]
    assert bench["extra_info"]["rules"] == 2 and bench["extra_info"]["rows"] == 3

"""Reading packs: manifests and folders of .cql files, one bad entry never
sinking the pack, and located problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from cqlmatch.packs.sources import PackError, read_source

SEED = Path(__file__).resolve().parents[2] / "rules" / "seed" / "t1546_016.cql"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_manifest_with_inline_and_file_queries(tmp_path) -> None:
    write(tmp_path / "queries" / "dns.cql", "#event_simpleName=DnsRequest\n")
    manifest = write(
        tmp_path / "pack.yaml",
        """name: falcon-detections
rules:
  - id: installer-child
    name: Installer package spawns a script interpreter
    severity: HIGH
    tags: [attack.persistence, attack.t1546.016]
    query: |
      #event_simpleName=ProcessRollup2
      FileName=/cmd/i
    tests: tests/installer-child.cqltest.yaml
  - id: dns
    query_file: queries/dns.cql
    enabled: false
""",
    )
    pack = read_source(manifest)
    assert pack.name == "falcon-detections" and not pack.problems
    first, second = pack.rules
    assert (first.id, first.severity, first.tags) == (
        "installer-child",
        "high",
        ("attack.persistence", "attack.t1546.016"),
    )
    assert first.text.startswith("#event_simpleName=ProcessRollup2\nFileName")
    # the query's first line is line 8 of the manifest, indented by 6
    assert (first.line_offset, first.column_offset) == (7, 6)
    assert first.tests == str(tmp_path / "tests" / "installer-child.cqltest.yaml")
    assert (second.name, second.severity, second.enabled) == ("dns", "medium", False)
    assert second.path == str(tmp_path / "queries" / "dns.cql")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("  - name: no id\n    query: x=1\n", "a rule needs an 'id:'"),
        ("  - id: a\n    query: x=1\n    query_file: q.cql\n", "both query and query_file"),
        ("  - id: a\n", "exactly one of 'query:', 'query_file:' or 'sigma:' (no query)"),
        ("  - id: a\n    severity: urgent\n    query: x=1\n", "'urgent' is not one of"),
        ("  - id: a b\n    query: x=1\n", "must start with a letter or digit"),
        ("  - id: a\n    query_file: missing.cql\n", "cannot read"),
        ("  - id: a\n    querry: x=1\n", "unknown key 'querry'; did you mean 'query'?"),
        ("  - id: a\n    sigma: r.yml\n", "no such file or directory"),
        ("  - id: a\n    enabled: maybe\n    query: x=1\n", "expected true or false"),
    ],
)
def test_a_bad_entry_is_a_located_problem_and_the_rest_stays(tmp_path, entry, message) -> None:
    manifest = write(
        tmp_path / "p.yml",
        "rules:\n  - id: good\n    query: x=1\n" + entry + "  - id: last\n    query: y=2\n",
    )
    pack = read_source(manifest)
    assert [r.id for r in pack.rules] == ["good", "last"]
    (problem,) = pack.problems
    assert message in problem.message
    assert problem.where.startswith(f"{manifest}:") and problem.where.count(":") >= 2
    assert int(problem.where.split(":")[-2]) >= 4  # the line of the bad entry


def test_duplicate_ids_keep_the_first(tmp_path) -> None:
    manifest = write(
        tmp_path / "p.yaml",
        "rules:\n  - id: a\n    query: x=1\n  - id: a\n    query: x=2\n",
    )
    pack = read_source(manifest)
    assert [r.text for r in pack.rules] == ["x=1"]
    assert "id given twice" in pack.problems[0].message and pack.problems[0].rule == "a"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty pack manifest"),
        ("rules: [", "invalid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("name: x\n", "needs 'rules:'"),
        ("rules: 3\n", "expected a list of rules"),
        ("a: &a [*a]\n", "refers to the node that contains it"),
    ],
)
def test_a_manifest_that_cannot_be_read_is_one_error(tmp_path, text, message) -> None:
    manifest = write(tmp_path / "p.yaml", text)
    with pytest.raises(PackError, match=message) as caught:
        read_source(manifest)
    assert str(caught.value).startswith(str(manifest))


def test_a_folder_of_cql_files_with_header_metadata(tmp_path) -> None:
    write(tmp_path / "b" / "seed.cql", SEED.read_text(encoding="utf-8"))
    write(
        tmp_path / "a_enc.cql",
        "// Encoded PowerShell from anywhere\n"
        "// name: Encoded PowerShell\n"
        "// severity: Critical\n"
        "// tags: attack.execution, attack.t1059.001\n"
        "\n"
        "#event_simpleName=ProcessRollup2 CommandLine=/-enc/i\n",
    )
    write(tmp_path / ".hidden" / "x.cql", "x=1\n")
    write(tmp_path / "notes.txt", "not a rule\n")
    pack = read_source(tmp_path)
    assert [r.id for r in pack.rules] == ["a_enc", "seed"]
    enc, seed = pack.rules
    assert (enc.name, enc.severity, enc.tags) == (
        "Encoded PowerShell",
        "critical",
        ("attack.execution", "attack.t1059.001"),
    )
    assert (seed.name, seed.severity, seed.tags, seed.enabled) == ("seed", "medium", (), True)


def test_a_folder_rule_with_a_bad_header_is_left_out(tmp_path) -> None:
    write(tmp_path / "a.cql", "// severity: urgent\nx=1\n")
    write(tmp_path / "b.cql", "// enabled: false\nx=1\n")
    pack = read_source(tmp_path)
    assert [(r.id, r.enabled) for r in pack.rules] == [("b", False)]
    assert pack.problems[0].where == f"{tmp_path / 'a.cql'}:1"


def test_sources_that_are_not_packs(tmp_path) -> None:
    with pytest.raises(PackError, match="no such file"):
        read_source(tmp_path / "nope.yaml")
    with pytest.raises(PackError, match="a manifest"):
        read_source(write(tmp_path / "r.cql", "x=1"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PackError, match=r"no \.cql files"):
        read_source(empty)


def test_a_folder_given_as_dot_is_named_after_the_folder(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "team-rules"
    write(folder / "r.cql", "x=1\n")
    monkeypatch.chdir(folder)
    assert read_source(Path(".")).name == "team-rules"

"""Sigma rules in a pack: converted with pySigma's CrowdStrike backend, their
metadata kept, the ones it cannot convert reported with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from cqlmatch.packs import sigma
from cqlmatch.packs.pack import compile_pack
from cqlmatch.synth import gen

from .test_pack import check_against_single_runs

HERE = Path(__file__).resolve().parent / "sigma"


def manifest(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(f"rules:\n{body}", encoding="utf-8")
    return path


def test_a_sigma_folder_becomes_rules_with_their_metadata(tmp_path) -> None:
    pack = compile_pack(manifest(tmp_path, f"  - sigma: {HERE}\n"))
    ids = [rule.id for rule in pack.rules]
    assert ids == ["6d1b2a40-2f5c-4d6e-9a51-3c0f7b8e9d12", "0f3a5c7e-1b2d-4e6f-8a9b-c0d1e2f3a4b5"]
    certutil = pack.rules[0].source
    assert certutil.name == "Certutil URL cache download" and certutil.severity == "high"
    assert certutil.tags == ("attack.command-and-control", "attack.t1105")
    assert "#event_simpleName=/^ProcessRollup2$/i" in certutil.text
    assert pack.rules[1].source.severity == "critical"
    problems = {p.rule: p.message for p in pack.problems}
    assert (
        "does not map this rule's log source (product: cisco, service: asa)"
        in problems["11111111-2222-3333-4444-555555555555"]
    )
    assert "not a Sigma rule: invalid YAML" in problems["broken"]


def test_sigma_rules_find_the_planted_techniques(tmp_path) -> None:
    events = tmp_path / "events.ndjson"
    gen.write_file(events, 20_000, seed=3, malicious_rate=0.0, technique_rate=0.02)
    pack = compile_pack(manifest(tmp_path, f"  - sigma: {HERE}\n"))
    result = pack.run(str(events), workers=1)
    assert all(stats.hits > 0 for stats in result.rule_stats.values())
    check_against_single_runs(pack, str(events), engines=("vm", "reference"))


def test_one_sigma_file_takes_the_entry_id(tmp_path) -> None:
    body = f"  - id: certutil\n    enabled: false\n    sigma: {HERE / 'certutil_download.yml'}\n"
    pack = compile_pack(manifest(tmp_path, body))
    assert pack.disabled == ["certutil"] and not pack.problems


def test_without_the_backend_each_entry_says_how_to_install_it(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(sigma, "_backend", lambda: None)
    pack = compile_pack(manifest(tmp_path, f"  - sigma: {HERE}\n  - id: q\n    query: x=1\n"))
    assert [r.id for r in pack.rules] == ["q"]
    assert "pip install 'cqlmatch[sigma]'" in pack.problems[0].message


@pytest.mark.parametrize("where", ["missing.yml", "empty"])
def test_a_missing_or_empty_sigma_path(tmp_path, where) -> None:
    (tmp_path / "empty").mkdir()
    pack = compile_pack(manifest(tmp_path, f"  - sigma: {where}\n"))
    assert not pack.rules and len(pack.problems) == 1

"""The pack the main job runs (rules/packs/falcon.cqlpack.yaml): every rule
compiles, finds the techniques `cqlmatch gen` plants, and gives the hits of
its run alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from cqlmatch.packs.pack import compile_pack
from cqlmatch.synth import gen

from .test_pack import check_against_single_runs

PACK = Path(__file__).resolve().parents[2] / "rules" / "packs" / "falcon.cqlpack.yaml"


@pytest.fixture(scope="module")
def telemetry(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("repo-pack") / "events.ndjson"
    gen.write_file(path, 40_000, seed=1546, malicious_rate=0.002, technique_rate=0.01)
    return path


def test_the_repo_pack_compiles_whole() -> None:
    pack = compile_pack(PACK)
    assert not pack.problems and len(pack) >= 20
    assert all(rule.source.tags and rule.source.name != rule.id for rule in pack.rules)
    assert all(rule.route is not None for rule in pack.rules)


def test_every_rule_of_the_repo_pack_finds_its_technique(telemetry) -> None:
    pack = compile_pack(PACK)
    result = pack.run(str(telemetry))
    quiet = [rule_id for rule_id, stats in result.rule_stats.items() if stats.hits == 0]
    assert not quiet
    assert result.prefilter and result.stats.skipped > result.stats.events
    check_against_single_runs(pack, str(telemetry), engines=("vm",))

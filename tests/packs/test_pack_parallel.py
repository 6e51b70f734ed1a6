"""A pack split among worker processes gives one pass's hits, rows, counts
and malformed lines."""

from __future__ import annotations

import gzip

import pytest

from cqlmatch.packs.pack import compile_pack
from cqlmatch.packs.sources import PackSource, RuleSource
from cqlmatch.runtime import parallel
from cqlmatch.synth import gen

RULES = [
    RuleSource(id="ps", name="ps", text="#event_simpleName=ProcessRollup2 FileName=/cmd/i"),
    RuleSource(id="dns", name="dns", text="#event_simpleName=DnsRequest | x:=lower(DomainName)"),
    RuleSource(
        id="top",
        name="top",
        text="#event_simpleName=DnsRequest | groupBy([DomainName], function=[count(), sum(ContextTimeStamp)])",
    ),
    RuleSource(
        id="sorted", name="sorted", text="#event_simpleName=ProcessRollup2 | sort(aid, limit=5)"
    ),
    RuleSource(id="all", name="all", text="count()"),
]


@pytest.fixture
def small_ranges(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 16)


def telemetry(path, seed: int) -> None:
    gen.write_file(path, 3000, seed=seed, malicious_rate=0.01, technique_rate=0.01)


def test_two_workers_give_one_pass(tmp_path, small_ranges) -> None:
    path = tmp_path / "events.ndjson"
    telemetry(path, 7)
    with path.open("ab") as out:
        out.write(b"garbage line\n")
    with path.open("ab") as out:
        out.write(path.read_bytes()[:200000].rsplit(b"\n", 1)[0] + b"\n")
    pack = compile_pack(PackSource("p", RULES))
    one = pack.run(str(path), workers=1)
    calls = []
    real = parallel.plan_parts

    def spy(paths, workers):
        parts = real(paths, workers)
        calls.append(parts)
        return parts

    import cqlmatch.packs.pack as pack_module

    original = pack_module.plan_parts
    pack_module.plan_parts = spy
    try:
        two = pack.run(str(path), workers=2)
    finally:
        pack_module.plan_parts = original
    assert calls and calls[0] and len(calls[0]) > 2  # it did split
    assert list(two) == list(one) and len(one) > 20
    assert {k: (v.evaluated, v.hits) for k, v in two.rule_stats.items()} == {
        k: (v.evaluated, v.hits) for k, v in one.rule_stats.items()
    }
    assert two.stats.as_dict() == one.stats.as_dict()
    assert [m.line_number for m in two.malformed] == [m.line_number for m in one.malformed]
    assert two.malformed_count == one.malformed_count == 1


def test_compressed_files_are_parts(tmp_path, small_ranges) -> None:
    paths = []
    for seed in (1, 2, 3):
        plain = tmp_path / f"e{seed}.ndjson"
        telemetry(plain, seed)
        packed = tmp_path / f"e{seed}.ndjson.gz"
        packed.write_bytes(gzip.compress(plain.read_bytes()))
        paths.append(packed)
    pack = compile_pack(PackSource("p", RULES))
    from cqlmatch.ingest.sources import Inputs

    one = pack.run(Inputs(*map(str, paths)), workers=1)
    two = pack.run(Inputs(*map(str, paths)), workers=2)
    assert list(two) == list(one) and two.stats.lines == one.stats.lines


def test_a_rule_with_sub_queries_runs_in_one_process(tmp_path, small_ranges) -> None:
    path = tmp_path / "events.ndjson"
    telemetry(path, 9)
    rules = [
        *RULES,
        RuleSource(
            id="j",
            name="j",
            text="join({#event_simpleName=DnsRequest}, field=aid, include=[DomainName])",
        ),
    ]
    pack = compile_pack(PackSource("p", rules))
    assert not pack.problems
    assert list(pack.run(str(path), workers=2)) == list(pack.run(str(path), workers=1))


def test_forked_workers_start_with_the_index_ready(tmp_path, small_ranges) -> None:
    """The parent chooses the index's groups and typed scanners and links
    the pure filters once, before the workers fork (each would else do it),
    and the hits are those of one process."""
    if parallel.start_context().get_start_method() != "fork":
        pytest.skip("workers are forked only where fork is the start method")
    path = tmp_path / "events.ndjson"
    telemetry(path, 11)
    rules = [
        RuleSource(id="ps", name="ps", text="#event_simpleName=ProcessRollup2 CommandLine=/cmd/i"),
        RuleSource(id="dns", name="dns", text="#event_simpleName=DnsRequest DomainName=/com/"),
    ]
    pack = compile_pack(PackSource("p", rules))
    index = pack.candidates()
    assert not index.adapted and "linked" not in vars(index)
    two = pack.run(str(path), workers=2)
    assert index.adapted and "linked" in vars(index)
    alone = compile_pack(PackSource("p", rules)).run(str(path), workers=1)
    assert list(two) == list(alone) and len(alone) > 0

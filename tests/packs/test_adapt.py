"""The candidate index's adapting (``run.Candidates.adapt``): the groups it
ranks at once over flat lists (``run._flat``, ``_held``, ``_telling``) are
those the plain ranking of each set would keep, the sample's literal
counts, added up from its lines by type, are those of the whole sample."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cqlmatch.packs import run
from cqlmatch.packs.pack import compile_pack
from cqlmatch.packs.sources import PackSource, RuleSource
from cqlmatch.synth.gen import generate_lines

groups = st.lists(st.integers(0, 30), min_size=1, max_size=4, unique=True).map(sorted)
group_sets = st.lists(st.lists(groups, max_size=9), min_size=1, max_size=12)


def plain_ranking(groups: list[list[int]], counts: list[int], total: int) -> list[list[int]]:
    """How ``adapt`` ranked a set's groups one by one (before ``_telling``)."""
    held = [(sum(counts[x] for x in g), g) for g in groups]
    ranked = sorted(held, key=lambda pair: (pair[0], len(pair[1])))
    return [
        g
        for n, (lines_held, g) in enumerate(ranked[: run.TELLING_GROUPS])
        if n == 0 or 2 * lines_held <= total
    ]


@settings(max_examples=300, deadline=None)
@given(group_sets, st.lists(st.integers(0, 60), min_size=31, max_size=31), st.integers(0, 90))
def test_flat_ranking_keeps_the_groups_each_set_would(shapes, counts, total) -> None:
    chosen = sorted(set(range(len(shapes))) - {0}) if len(shapes) > 1 else [0]
    flat = run._flat(shapes, chosen)
    ranked = run._telling(flat, run._held(flat, counts), total)
    assert len(ranked) == len(chosen)
    for shape, positions in zip(chosen, ranked, strict=True):
        assert [shapes[shape][p] for p in positions] == plain_ranking(shapes[shape], counts, total)


def test_a_sample_is_counted_once_whatever_its_lines_types() -> None:
    """Each literal's count over the sample, from its lines by type and the
    rest, equals one count of the whole sample (and so does it when a line
    is text, which is counted again whole)."""
    pack = compile_pack(
        PackSource(
            "p",
            [
                RuleSource(id="a", name="a", text="#event_simpleName=ProcessRollup2 cmd.exe"),
                RuleSource(id="b", name="b", text="#event_simpleName=DnsRequest DomainName=*x*"),
                RuleSource(id="c", name="c", text="powershell"),
            ],
        )
    )
    index = pack.candidates()
    lines = b"".join(generate_lines(600, seed=3, malicious_rate=0.05)).split(b"\n")[:-1]
    lines += [b"", b"not json", b'{"event_simpleName": "DnsRequest"}']
    literals = set(range(index.index.nliterals))
    whole = index.index.literal_counts(lines)
    for sample in (lines, [*lines[:-1], lines[-1].decode()]):
        sampled = index._sample_by_key(sample)
        assert sampled is not None
        assert sampled[1] and len(sampled[0]) > 2  # (lines of no type, of other types)
        counted = index._routed_counts(sampled[0], {"processrollup2"})
        assert set(counted) == {"processrollup2"}
        counts = index._whole_counts(sample, sampled, counted, literals)
        assert [counts[x] for x in sorted(literals)] == whole

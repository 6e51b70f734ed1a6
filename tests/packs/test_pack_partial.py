"""A pack run in parts (``Pack.partial``, states through bytes, merged in
part order) gives the hits, rows, rule counts and malformed lines of one
pass, wherever the input is cut."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings, strategies as st

from cqlmatch.errors import PartialStateError
from cqlmatch.packs.pack import compile_pack
from cqlmatch.packs.sources import PackSource
from cqlmatch.runtime.partial import PartialState
from cqlmatch.synth.gen import generate_lines

from .test_pack_parallel import RULES

LINES = list(generate_lines(1200, seed=3, malicious_rate=0.02, technique_rate=0.02))
LINES.insert(300, b"garbage\n")
PACK = compile_pack(PackSource("p", RULES))
ONE = PACK.run(LINES, workers=1)


@settings(max_examples=10, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(LINES)), max_size=4))
def test_any_split_gives_one_pass(cuts) -> None:
    bounds = [0, *sorted(set(cuts)), len(LINES)]
    states = [
        PartialState.from_bytes(
            PACK.partial(b"".join(LINES[a:b]), i, name="in", continues=i > 0).to_bytes(), PACK
        )
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    ]
    merged = states[-1]
    for state in reversed(states[:-1]):  # (later parts first: merge orders them)
        merged = merged.merge(state)
    two = PACK.finish(merged)
    assert list(two) == list(ONE)
    assert {k: (v.evaluated, v.hits) for k, v in two.rule_stats.items()} == {
        k: (v.evaluated, v.hits) for k, v in ONE.rule_stats.items()
    }
    assert [m.line_number for m in two.malformed] == [m.line_number for m in ONE.malformed]
    assert two.stats.as_dict() == ONE.stats.as_dict()


def test_the_pack_has_hits_of_each_kind() -> None:
    ids = {row["rule.id"] for row in ONE}
    assert {"ps", "dns", "top", "sorted", "all"} <= ids


def test_a_state_of_another_pack_is_refused() -> None:
    other = compile_pack(PackSource("q", RULES[:2]))
    data = other.partial(LINES[:20]).to_bytes()
    with pytest.raises(PartialStateError, match="another query"):
        PartialState.from_bytes(data, PACK)

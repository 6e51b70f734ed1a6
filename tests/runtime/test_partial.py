"""Partial states (``runtime.partial``): the same input cut at random
points, each part run alone, the states sent as bytes and merged in part
order (in any grouping of consecutive parts), give the rows, warnings and
malformed lines of one pass, on both engines."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import cqlmatch
from cqlmatch.errors import BadEventError, PartialStateError
from cqlmatch.runtime.partial import PartialState
from cqlmatch.synth.gen import generate_lines

from ..conftest import ROOT, SEED

ENGINES = ("vm", "reference")

QUERIES = {
    "seed": SEED.read_text(encoding="utf-8"),
    "corrected": (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8"),
    "per_event": "#event_simpleName=ProcessRollup2 FileName=/^(powershell|cmd)\\.exe$/i",
    "head": "#event_simpleName=DnsRequest | head(7)",
    "tail": "#event_simpleName=DnsRequest | tail(4)",
    "sort_ties": "#event_simpleName=DnsRequest | sort(event_platform, order=asc, limit=9)",
    "count": "#event_simpleName=DnsRequest | count()",
    "group_limit": "groupBy([event_simpleName, event_platform], limit=3)",
    "numbers": (
        "groupBy(event_simpleName, function=[sum(ContextTimeStamp), avg(ContextTimeStamp),"
        " min(ContextTimeStamp), max(ContextTimeStamp)])"
    ),
    "collect_distinct": (
        "#event_simpleName=DnsRequest | groupBy(ComputerName, function=[collect(DomainName),"
        " count(DomainName, distinct=true), selectLast(DomainName)]) | sort(ComputerName)"
    ),
    "stats": "[count(), collect(event_platform), count(aid, distinct=true)]",
    "table": "#event_simpleName=DnsRequest | table([ComputerName, DomainName], sortby=ComputerName, limit=5)",
    "whole_stage": "#event_simpleName=UserLogon | neighbor(aid) | head(3)",
}


def _lines() -> list[bytes]:
    lines = list(generate_lines(1500, seed=5, malicious_rate=0.03))
    for at in (40, 700, 1333):
        lines.insert(at, b'{"event_simpleName":"DnsRequest",\n')
    return lines


LINES = _lines()
ONE: dict[tuple[str, str], cqlmatch.Result] = {}


def one_pass(name: str, engine: str) -> cqlmatch.Result:
    if (name, engine) not in ONE:
        ONE[name, engine] = cqlmatch.compile(QUERIES[name]).run(LINES, engine=engine)
    return ONE[name, engine]


def run_in_parts(query, cuts: list[int], engine: str, seed: int) -> cqlmatch.Result:
    """Parts cut at ``cuts``, each through bytes, merged as a random tree of
    consecutive parts."""
    rng = random.Random(seed)
    bounds = [0, *sorted(set(cuts)), len(LINES)]
    states = [
        PartialState.from_bytes(
            query.partial(
                b"".join(LINES[a:b]), i, engine, name="input", continues=i > 0
            ).to_bytes(),
            query,
            engine,
        )
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    ]
    while len(states) > 1:
        at = rng.randrange(len(states) - 1)
        first, second = states[at], states[at + 1]
        merged = second.merge(first) if rng.random() < 0.5 else first.merge(second)
        states[at : at + 2] = [merged]
    return query.finish(states[0])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(QUERIES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(st.integers(min_value=0, max_value=len(LINES)), max_size=5),
    seed=st.integers(0, 1 << 16),
)
def test_any_split_gives_the_rows_of_one_pass(name, engine, cuts, seed) -> None:
    query = cqlmatch.compile(QUERIES[name])
    one = one_pass(name, engine)
    parts = run_in_parts(query, cuts, engine, seed)
    assert list(parts) == list(one)
    assert parts.warnings == one.warnings
    if name == "head":
        return  # one pass stops reading after its head (the VM a batch of events later)
    assert [(m.line_number, m.reason) for m in parts.malformed] == [
        (m.line_number, m.reason) for m in one.malformed
    ]
    assert parts.malformed_count == one.malformed_count
    assert parts.stats.as_dict() == one.stats.as_dict()


def test_the_queries_have_rows() -> None:
    """(A query with no output would prove nothing.)"""
    empty = [n for n in QUERIES if n != "seed" and not one_pass(n, "vm")]
    assert not empty
    assert [code for code, _ in one_pass("group_limit", "vm").warnings] == ["W401"]


def test_a_state_of_another_query_is_refused() -> None:
    mine = cqlmatch.compile("count()")
    other = cqlmatch.compile("count(aid)")
    data = other.partial(b"".join(LINES[:50])).to_bytes()
    with pytest.raises(PartialStateError, match="another query"):
        PartialState.from_bytes(data, mine)
    with pytest.raises(PartialStateError, match="another query"):
        PartialState.from_bytes(mine.partial(LINES[:5]).to_bytes(), mine, "reference")
    with pytest.raises(PartialStateError, match="not a cqlmatch partial state"):
        PartialState.from_bytes(b"\x93garbage", mine)
    with pytest.raises(PartialStateError, match="different queries"):
        mine.partial(LINES[:5]).merge(other.partial(LINES[:5]))


def test_interleaved_parts_do_not_merge() -> None:
    query = cqlmatch.compile("tail(3)")
    a = query.partial(LINES[:10], 0).merge(query.partial(LINES[20:30], 2))
    with pytest.raises(PartialStateError, match="interleave"):
        a.merge(query.partial(LINES[10:20], 1))


def test_a_query_that_reads_its_input_twice_has_no_partial_state() -> None:
    query = cqlmatch.compile(
        'defineTable(name="t", query={#event_simpleName=UserLogon}, include=[aid])'
        " | match(table=t, field=aid)"
    )
    with pytest.raises(PartialStateError, match="whole"):
        query.partial(LINES[:10])


@pytest.mark.parametrize("engine", ENGINES)
def test_states_stay_within_the_stage_limits(engine) -> None:
    """Whatever a part's size, a state holds what the stage's limit bounds."""
    big = LINES * 4
    for text, bound in (("head(5)", 5), ("tail(6)", 6), ("sort(aid, limit=7)", 7)):
        state = cqlmatch.compile(text).partial(big, 0, engine)
        assert len(state.payload.events) == bound
    state = cqlmatch.compile("collect(aid, limit=3)").partial(big, 0, engine)
    assert len(state.payload.agg.parts[0].values["aid"]) == 3


def test_fail_reports_the_first_bad_line_of_the_earliest_part() -> None:
    query = cqlmatch.compile("count()")
    states = [
        query.partial(b"".join(LINES[a:b]), i, on_error="fail", name="in.ndjson")
        for i, (a, b) in enumerate(((0, 500), (500, 1000), (1000, len(LINES))))
    ]
    merged = states[1].merge(states[2])
    merged = states[0].merge(merged)
    with pytest.raises(BadEventError) as caught:
        query.finish(merged)
    assert caught.value.line_number == 41
    assert caught.value.source == "in.ndjson"


@pytest.mark.parametrize("engine", ENGINES)
def test_numbers_past_64_bits_survive_the_bytes(engine) -> None:
    """An exact sum past 2**64, and a minimum below -2**63, travel as such."""
    query = cqlmatch.compile("groupBy(k, function=[sum(n), min(n), max(n), avg(n)])")
    lines = [f'{{"k":"a","n":{n}}}\n'.encode() for n in (2**70, 3**50, -(2**66), 7)]
    one = query.run(lines, engine=engine)
    states = [
        PartialState.from_bytes(
            query.partial(lines[i : i + 2], i, engine).to_bytes(), query, engine
        )
        for i in (0, 2)
    ]
    assert query.finish(states[0].merge(states[1])) == one
    assert one[0]["_min"] == str(-(2**66))

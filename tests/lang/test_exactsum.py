"""sum()/avg() add exactly and round once (``lang.exactsum``), in bounded
state: the result is the exact total rounded to the nearest double, the
same in any order, split and merged any way, on both engines and with any
number of workers."""

from __future__ import annotations

import json
import math
import pickle
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

import cqlmatch
from cqlmatch.lang.events import Event
from cqlmatch.lang.exactsum import ExactSum
from cqlmatch.lang.values import format_number, parse_number

FINITE = st.floats(allow_nan=False, allow_infinity=False)
NUMBERS = st.one_of(FINITE, st.integers(min_value=-(10**30), max_value=10**30))


def exact(numbers) -> int | float:
    """The exact total, rounded once (an int when every number is one)."""
    total = sum((Fraction(x) for x in numbers), Fraction(0))
    if all(type(x) is int for x in numbers):
        return int(total)
    try:
        return float(total)
    except OverflowError:
        return math.inf if total > 0 else -math.inf


def summed(numbers) -> int | float:
    state = ExactSum()
    for x in numbers:
        state.add(x)
    return state.value()


def same(a, b) -> bool:
    return type(a) is type(b) and (a == b or (math.isnan(a) and math.isnan(b)))


@settings(max_examples=400, deadline=None)
@given(st.lists(NUMBERS, max_size=60), st.randoms(use_true_random=False))
def test_the_sum_is_exact_rounded_once_and_order_free(numbers, rnd) -> None:
    expected = exact(numbers)
    assert same(summed(numbers), expected)
    shuffled = list(numbers)
    rnd.shuffle(shuffled)
    cut = rnd.randint(0, len(shuffled))
    left, right = ExactSum(), ExactSum()
    for x in shuffled[:cut]:
        left.add(x)
    for x in shuffled[cut:]:
        right.add(x)
    right.merge(left)
    assert same(right.value(), expected)


@pytest.mark.parametrize(
    ("numbers", "expected"),
    [
        ([0.1] * 10, 1.0),  # a running float total gives 0.9999999999999999
        ([1e16, 1.0, -1e16], 1.0),  # a running total loses the 1.0
        ([1e308, 1e308, -1e308], 1e308),  # the running total overflows
        ([1e308, 1e308], math.inf),  # the exact total is past the double range
        ([10**30, 0.5, -(10**30)], 0.5),  # integers past 2**53 with a float
        ([2**63 - 1, 1, -1], 2**63 - 1),  # past int64 and back
        ([1, 2, 3], 6),
        ([], 0),
    ],
)
def test_known_sums(numbers, expected) -> None:
    assert same(summed(numbers), expected)


def test_infinities_and_nan_add_apart() -> None:
    assert summed([1.0, math.inf, 5]) == math.inf
    assert math.isnan(summed([math.inf, -math.inf, 1.0]))
    assert math.isnan(summed([math.nan, 2.0]))


def rows(query: str, events, **options):
    return [dict(row) for row in cqlmatch.compile(query).run(events, **options)]


def test_both_engines_and_any_split_agree_on_sums(tmp_path) -> None:
    """Hard sums (cancellations, huge integers, tiny fractions) per group:
    the VM's C state and the reference's Python state give the exact
    totals, also from two workers whose tables merge."""
    rng = random.Random(3)
    pool = ["1e16", "-1e16", "0.1", "0.2", "-0.3", "1e308", "-1e308", "3", "-7", "2.5e-300"]
    pool += [str(10**25 + 1), str(-(10**25)), "9223372036854775807", "1"]
    events = [{"g": rng.choice("abcd"), "n": rng.choice(pool)} for _ in range(40_000)]
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    query = "groupBy(g, function=[sum(n), avg(n), count()]) | sort(g, order=asc)"
    expected = []
    for g in "abcd":
        numbers = [parse_number(e["n"]) for e in events if e["g"] == g]
        total = exact(numbers)
        expected.append(
            {
                "g": g,
                "_sum": format_number(total),
                "_avg": format_number(total / len(numbers)),
                "_count": str(len(numbers)),
            }
        )
    assert rows(query, str(path), workers=1) == expected
    assert rows(query, str(path), workers=2) == expected
    assert rows(query, str(path), engine="reference") == expected
    # the stats() form (interpreter aggregates over the VM's output)
    total = exact([parse_number(e["n"]) for e in events])
    assert rows("sum(n)", str(path)) == [{"_sum": format_number(total)}]


def test_a_group_table_with_sums_pickles_and_merges() -> None:
    query = cqlmatch.compile("groupBy(g, function=sum(n))")
    engine = query.new_engine()
    first, second = engine.new_table(partial=True), engine.new_table(partial=True)
    engine.fold([Event({"g": "a", "n": "1e16"}), Event({"g": "a", "n": "1"})], first)
    engine.fold([Event({"g": "a", "n": "-1e16"}), Event({"g": "b", "n": "2"})], second)
    first = pickle.loads(pickle.dumps(first))
    first.merge(pickle.loads(pickle.dumps(second)))
    assert [row.fields for row in engine.finish(first)] == [
        {"g": "a", "_sum": "1"},
        {"g": "b", "_sum": "2"},
    ]

"""percentile, stdDev and range (functions/aggregates.py), written from the
LogScale function pages with hand-computed results.  Every test runs on
each engine."""

from __future__ import annotations

from .helpers import run, warnings

# --- percentile, stdDev, range ---------------------------------------------------------


def _numbers(field: str, values) -> list[dict]:
    return [{field: str(v)} for v in values]


def test_percentile_defaults(engine):
    rows = run("percentile(field=v)", _numbers("v", [12, 25, 50, 99]), engine)
    # nearest rank: ceil(p/100 * 4) -> ranks 2, 3, 4
    assert rows == [{"_50": "25", "_75": "50", "_99": "99"}]


def test_percentile_names_and_as_prefix(engine):
    events = _numbers("time", range(1, 101))
    rows = run("percentile(time, percentiles=[50, 90, 99.9, 100], as=rt)", events, engine)
    assert rows == [{"rt_50": "50", "rt_90": "90", "rt_99.9": "100", "rt_100": "100"}]


def test_percentile_in_group_by(engine):
    events = [
        {"core": "a", "cpu": "10"},
        {"core": "a", "cpu": "30"},
        {"core": "b", "cpu": "7"},
        {"core": "a", "cpu": "20"},
    ]
    q = "groupBy(core, function=percentile(field=cpu, percentiles=[95], as=p95_cpu))"
    assert run(q, events, engine) == [
        {"core": "a", "p95_cpu_95": "30"},
        {"core": "b", "p95_cpu_95": "7"},
    ]


def test_percentile_skips_missing_negative_and_text(engine):
    events = [{"v": "-5"}, {"v": "n/a"}, {"w": "1"}, {"v": "1.5"}, {"v": "3"}]
    q = "percentile(v, percentiles=[0, 50, 100])"
    assert run(q, events, engine) == [{"_0": "1.5", "_50": "1.5", "_100": "3"}]
    assert "W482" in warnings(q, events, engine)
    assert run(q, [{"v": "x"}], engine) == []


def test_std_dev(engine):
    assert run("stdDev(v)", _numbers("v", [2, 4, 4, 4, 5, 5, 7, 9]), engine) == [{"_stddev": "2"}]
    assert run("stdDev(v)", _numbers("v", [42]), engine) == [{"_stddev": "0"}]
    # the page's bytes_sent example; population standard deviation
    sent = [1450, 8920, 1670, 12900, 1560, 780, 9340, 9230, 1340, 4450]
    rows = run("stdDevBytes := stdDev(field=bytes_sent)", _numbers("bytes_sent", sent), engine)
    assert abs(float(rows[0]["stdDevBytes"]) - 4257.5514089673) < 1e-6
    assert run("stdDev(v)", [{"v": "x"}, {"w": "1"}], engine) == []


def test_range(engine):
    # the page's responsetime example
    times = [0.125, 2.543, 0.891, 1.234, 3.456, 0.567, 1.789, 0.234]
    assert run("range(responsetime)", _numbers("responsetime", times), engine) == [
        {"_range": "3.331"}
    ]
    assert run("range(v, as=r)", _numbers("v", [-3, 7, 2]), engine) == [{"r": "10"}]
    assert run("range(v)", _numbers("v", [5]), engine) == [{"_range": "0"}]


def test_aggregates_side_by_side(engine):
    events = _numbers("v", [1, 2, 3, 4])
    q = "groupBy(g, function=[stdDev(v), range(v), count()])"
    grouped = [dict(e, g="x") for e in events]
    assert run(q, grouped, engine) == [
        {"g": "x", "_stddev": "1.118033988749895", "_range": "3", "_count": "4"}
    ]

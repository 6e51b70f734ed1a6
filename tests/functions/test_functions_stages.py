"""neighbor and transpose (functions/stages.py), written from the LogScale
function pages with hand-computed results.  Every test runs on each
engine."""

from __future__ import annotations

from .helpers import match, run

# --- neighbor, transpose -------------------------------------------------------------------------

_KEYS = [{"key": k} for k in "aabc"]


def test_neighbor_preceding(engine):
    # the page's example 1
    rows = run("head() | neighbor(key, prefix=prev)", _KEYS, engine)
    assert [r.get("prev.key") for r in rows] == [None, "a", "a", "b"]


def test_neighbor_succeeding_and_distance(engine):
    rows = run("head() | neighbor(key, prefix=succ, direction=succeeding)", _KEYS, engine)
    assert [r.get("succ.key") for r in rows] == ["a", "b", "c", None]
    rows = run("head() | neighbor(key, prefix=prev, distance=2)", _KEYS, engine)
    assert [r.get("prev.key") for r in rows] == [None, None, "a", "a"]
    rows = run("neighbor([key, missing])", _KEYS, engine)
    assert rows[1] == {"key": "a", "_neighbor.key": "a"}


def test_neighbor_compare_rows(engine):
    events = [
        {"UserHash": "u1", "LogonTime": "100"},
        {"UserHash": "u1", "LogonTime": "160"},
        {"UserHash": "u2", "LogonTime": "170"},
    ]
    q = (
        "sort(LogonTime, order=asc) | neighbor([LogonTime, UserHash], prefix=prev) "
        "| test(UserHash==prev.UserHash) | LogonDelta := LogonTime - prev.LogonTime"
    )
    rows = run(q, events, engine)
    assert [(r["UserHash"], r["LogonDelta"]) for r in rows] == [("u1", "60")]


def test_transpose(engine):
    # the page's example: groupBy(loglevel) | transpose()
    rows = [
        {"loglevel": "ERROR", "_count": "2"},
        {"loglevel": "WARN", "_count": "400"},
        {"loglevel": "INFO", "_count": "200"},
    ]
    out = run("transpose()", rows, engine)
    assert out == [
        {"column": "_count", "row[1]": "2", "row[2]": "400", "row[3]": "200"},
        {"column": "loglevel", "row[1]": "ERROR", "row[2]": "WARN", "row[3]": "INFO"},
    ]
    assert run("transpose(header=loglevel)", rows, engine) == [
        {"column": "_count", "ERROR": "2", "WARN": "400", "INFO": "200"}
    ]
    assert run("transpose(loglevel)", rows, engine) == [
        {"loglevel": "_count", "ERROR": "2", "WARN": "400", "INFO": "200"}
    ]


def test_transpose_limit_and_column(engine):
    rows = [{"n": str(i)} for i in range(1, 8)]
    out = run("transpose(column=Field)", rows, engine)
    assert out == [{"Field": "n", **{f"row[{i}]": str(i) for i in range(1, 6)}}]  # limit 5
    out = run("transpose(limit=1000)", rows, engine)
    assert out[0]["row[7]"] == "7"
    assert run("transpose()", [], engine) == []


def test_stages_stop_match(engine):
    # match() stops before the first whole-stream stage
    assert match("x := 1 | neighbor(key)", {"key": "a"}, engine) == {"key": "a", "x": "1"}
    assert match("x := 1 | percentile(key)", {"key": "1"}, engine) == {"key": "1", "x": "1"}

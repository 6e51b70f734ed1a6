"""``cqlmatch.Matcher``: per-event results against ``CompiledQuery.match``,
NDJSON chunks split anywhere, aggregates against ``CompiledQuery.run``, and
many threads sharing one matcher against a single-threaded run."""

from __future__ import annotations

import json
import pickle
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.lang.events import flatten
from cqlmatch.runtime.matcher import Matcher
from cqlmatch.synth.gen import generate_lines

ROOT = Path(__file__).resolve().parents[2]
RULE = (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")
LINES = list(generate_lines(3000, seed=11, malicious_rate=0.02))
EVENTS = [json.loads(line) for line in LINES]

GROUP_QUERY = (
    "FileName=/e/ | groupBy(FileName, function=[count(), sum(n), avg(n), min(n), max(n), "
    "count(u, distinct=true)])"
)
# Queries that take each path: slots only (dict and line), whole events (slow paths).
QUERIES = [
    RULE,
    "#event_simpleName=ProcessRollup2 | lower(FileName, as=lf) | lf=/cmd|sh/",
    "FileName=/\\.exe$/i | drop([CommandLine])",
    "ParentBaseFileName=/msiexec/i | FileName := upper(FileName)",
]


def expected_output(event: dict, fields: dict[str, str] | None) -> dict | None:
    """The documented output: the input plus assigned or changed fields,
    minus removed top-level ones (computed from CompiledQuery.match)."""
    if fields is None:
        return None
    flat = flatten(event)
    out = dict(event)
    out.update({k: v for k, v in fields.items() if flat.get(k) != v})
    for name in flat:
        if name not in fields:
            out.pop(name, None)
    return out


@pytest.mark.parametrize("query", QUERIES)
def test_match_is_the_event_plus_assigned_fields(query: str) -> None:
    compiled = cqlmatch.compile(query)
    matcher = Matcher(query)
    expected = [expected_output(e, compiled.match(e)) for e in EVENTS]
    assert any(expected) and not all(expected)
    assert [matcher.match(e) for e in EVENTS] == expected
    assert list(matcher.match_many(EVENTS)) == expected
    assert Matcher(query, batch_size=7).match_many(iter(EVENTS)).__next__() == expected[0]


def test_the_seed_rule_reads_only_its_fields_and_assigns_event_type() -> None:
    matcher = Matcher(RULE)
    assert matcher._dict_restricted and matcher._line_restricted
    event = {
        "event_simpleName": "ProcessRollup2",
        "ParentBaseFileName": "msiexec.exe",
        "FileName": "cmd.exe",
        "CommandLine": "cmd /c whoami",
        "ProcessId": 1234,
        "Tags": {"a": [1, None]},
    }
    out = matcher.match(event)
    assert out is not None
    assert out["EventType"] == "INSTALLER_SCRIPT_CHILD"
    assert out["ProcessId"] == 1234 and out["Tags"] == {"a": [1, None]}  # types kept
    assert list(out)[:6] == list(event)
    assert event == {**event} and "EventType" not in event  # the input is not changed
    assert matcher.match({"event_simpleName": "DnsRequest"}) is None


def test_typed_and_nested_values_follow_the_flattening_rules() -> None:
    query = "a.b=x n > 3 flag=true nothing=null"
    matcher = Matcher(query)
    event = {"a": {"b": "x"}, "n": 4, "flag": True, "nothing": None}
    assert matcher.match(event) == event
    assert matcher.match({**event, "n": 3}) is None
    plain = Matcher("n > 3 flag=true nothing=null")
    assert plain._dict_restricted
    assert plain.match({"n": 4.5, "flag": True, "nothing": None}) is not None
    assert plain.match({"n": 4.5, "flag": True}) is None
    assert plain.match({"n": {"x": 9}, "flag": True, "nothing": None}) is None


def test_bad_events_raise_clear_errors_in_match_and_are_counted_in_match_many() -> None:
    matcher = Matcher("a=x")
    with pytest.raises(TypeError, match="an event is a mapping, not list"):
        matcher.match(["a", "x"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a JSON object"):
        Matcher("a=x | b=/y/").match({"a": "x", "b": b"bytes"})
    out = list(matcher.match_many([{"a": "x"}, "junk", {"a": "y"}, {"a": "x"}]))
    assert out == [{"a": "x"}, None, None, {"a": "x"}]
    assert [(m.line_number, m.reason) for m in matcher.malformed] == [(2, "not a mapping but str")]
    assert matcher.malformed_count == 1


def test_queries_reading_the_whole_input_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="read the whole input"):
        Matcher('defineTable(query={a=x}, name="t", include=[a]) | match(table="t", field=a)')
    with pytest.raises(TypeError, match="CQL text or a CompiledQuery"):
        Matcher(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown engine"):
        Matcher("a=x", engine="fast")


# --- feed -----------------------------------------------------------------------------------


def feed_in_pieces(matcher: Matcher, data: bytes, sizes: list[int]) -> list[dict]:
    out, at, i = [], 0, 0
    while at < len(data):
        size = sizes[i % len(sizes)]
        out += matcher.feed(data[at : at + size])
        at += size
        i += 1
    return out + matcher.flush()


@pytest.mark.parametrize(
    ("sizes", "count"),
    [([1], 150), ([7, 3, 1000], 600), ([4096], 600), ([1 << 20], 600), ([13, 1, 1, 250], 600)],
)
def test_feed_split_anywhere_equals_matching_each_line(sizes: list[int], count: int) -> None:
    data = b"".join(LINES[:count])
    one = Matcher(RULE)
    expected = [e for e in map(one.match, EVENTS[:count]) if e]
    assert expected
    matcher = Matcher(RULE)
    assert feed_in_pieces(matcher, data, sizes) == expected
    assert matcher.lines == count and matcher.malformed_count == 0


def test_feed_reports_malformed_lines_with_numbers_and_keeps_the_rest() -> None:
    good = b'{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"msiexec.exe","FileName":"cmd.exe","CommandLine":"x"}'
    data = b"\n".join(
        [
            b"\xef\xbb\xbf" + good,  # 1: a byte-order mark is removed
            b"not json",  # 2
            b"",  # 3: blank
            b'["ProcessRollup2","msiexec.exe"]',  # 4: not an object
            b'{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"DPKG","x":"\xff"}',  # 5
            good + b"\r",  # 6: CRLF
            b'{"event_simpleName":"ProcessRollup2","ParentBaseFileName":"msiexec.exe", ',  # 7
        ]
    )
    seen = []
    matcher = Matcher(RULE, prefilter=False, on_malformed=seen.append)
    out = feed_in_pieces(matcher, data, [5])
    assert [o["EventType"] for o in out] == ["INSTALLER_SCRIPT_CHILD"] * 2
    assert [m.line_number for m in matcher.malformed] == [2, 4, 5, 7]
    assert "invalid UTF-8" in matcher.malformed[2].reason
    assert seen == matcher.malformed and matcher.lines == 7
    # With the prefilter on, lines without the rule's literals are not parsed
    # unless they are not framed as objects: every bad line here is reported
    # (2 has no literal but is not an object; 5 is invalid UTF-8, 7 is cut
    # short with no LF).
    quick = Matcher(RULE)
    assert feed_in_pieces(quick, data, [5]) == out
    assert [m.line_number for m in quick.malformed] == [2, 4, 5, 7]


def test_an_overlong_line_is_reported_and_skipped_without_being_kept() -> None:
    good = b'{"a":"x"}\n'
    data = good + b'{"a":"' + b"y" * 500 + b'"}\n' + good + b'{"a":"' + b"z" * 200
    for sizes in ([10], [1 << 20], [3, 600]):
        matcher = Matcher("a=x", max_line_bytes=100)
        assert feed_in_pieces(matcher, data, sizes) == [{"a": "x"}, {"a": "x"}]
        assert [m.line_number for m in matcher.malformed] == [2, 4]
        assert all("longer than the limit" in m.reason for m in matcher.malformed)
        assert matcher._splitter.held == 0  # the cut-off last line is not held


def test_feed_rejects_text() -> None:
    with pytest.raises(TypeError, match="feed\\(\\) takes bytes, not str"):
        Matcher("a=x").feed('{"a":"x"}\n')  # type: ignore[arg-type]


# --- aggregates -------------------------------------------------------------------------------


def numeric_events(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    names = ["cmd.exe", "sh", "bash", "powershell.exe", "explorer.exe"]
    out = []
    for _ in range(count):
        event: dict = {"FileName": rng.choice(names), "u": rng.choice("abcdef")}
        kind = rng.random()
        if kind < 0.4:
            event["n"] = rng.randint(-50, 50)
        elif kind < 0.8:
            event["n"] = round(rng.uniform(-1e3, 1e3), 3)
        elif kind < 0.9:
            event["n"] = "not a number"
        out.append(event)
    return out


@pytest.mark.parametrize(
    "query",
    [
        RULE,
        GROUP_QUERY,
        GROUP_QUERY.replace("groupBy(FileName,", "groupBy([FileName, u],"),
        "FileName=/e/ | groupBy(FileName, limit=2)",
        "FileName=/sh/ | count()",
        "FileName=/sh/ | head(3)",
        "FileName=/sh/ | groupBy(u) | sort(_count, order=asc)",
    ],
)
def test_results_equal_a_whole_run(query: str) -> None:
    events = EVENTS[:1500] + numeric_events(1500, seed=5)
    compiled = cqlmatch.compile(query)
    expected = compiled.run(events)
    assert expected
    by_match, by_batch, by_feed = Matcher(query), Matcher(query), Matcher(query)
    for event in events:
        by_match.match(event)
    list(by_batch.match_many(events))
    data = b"".join(json.dumps(e).encode() + b"\n" for e in events)
    feed_in_pieces(by_feed, data, [65536])
    for matcher in (by_match, by_batch, by_feed):
        assert matcher.results() == expected
        assert matcher.results() == expected  # results() does not consume
        assert matcher.warnings == expected.warnings


def test_long_sums_keep_bounded_state_and_merge() -> None:
    """A Matcher's table lives as long as the Matcher: its sums hold a few
    numbers each, not every value, give the rows of a run, and still merge."""
    query = "groupBy(g, function=[sum(n), avg(n), count()])"
    rng = random.Random(8)
    events = [
        {"g": rng.choice("ab"), "n": rng.choice([rng.uniform(-1e6, 1e6), rng.randint(-9, 9)])}
        for _ in range(12000)
    ]
    matcher = Matcher(query)
    list(matcher.match_many(events))
    table = matcher._table
    assert table is not None
    state = pickle.loads(pickle.dumps(table))
    assert state.size == 2
    sums = [s for s in state.__reduce__()[1][4] if s is not None]
    assert sums and all(len(s.__reduce__()[1][2]) <= 40 for s in sums)
    assert len(pickle.dumps(table)) < 4000
    assert matcher.results() == cqlmatch.compile(query).run(events)
    other = matcher.query.new_engine().new_table()
    table.merge(other)  # (an empty table: nothing changes)
    assert matcher.results() == cqlmatch.compile(query).run(events)


def test_the_group_limit_bounds_the_state_and_warns() -> None:
    matcher = Matcher("groupBy(u, limit=3)")
    list(matcher.match_many({"u": str(i)} for i in range(1000)))
    assert matcher._table is not None and matcher._table.size == 3
    assert [r["u"] for r in matcher.results()] == ["0", "1", "2"]
    assert [code for code, _ in matcher.warnings] == ["W401"]


def test_results_reset_gives_windows_and_other_queries_refuse() -> None:
    matcher = Matcher("groupBy(u)")
    list(matcher.match_many([{"u": "a"}, {"u": "a"}, {"u": "b"}]))
    assert matcher.results(reset=True) == [{"u": "a", "_count": "2"}, {"u": "b", "_count": "1"}]
    matcher.match({"u": "b"})
    assert matcher.results() == [{"u": "b", "_count": "1"}]
    with pytest.raises(ValueError, match="no aggregate stage"):
        Matcher("u=a").results()
    with pytest.raises(ValueError, match="aggregate=False"):
        Matcher("groupBy(u)", aggregate=False).results()


def test_the_reference_engine_gives_the_same_answers() -> None:
    vm, ref = Matcher(RULE), Matcher(RULE, engine="reference")
    assert list(vm.match_many(EVENTS)) == list(ref.match_many(EVENTS))
    assert vm.results() == ref.results()


# --- threads ----------------------------------------------------------------------------------


def test_many_threads_share_one_matcher() -> None:
    """Sixteen threads call match, match_many and feed on one matcher at
    once; every call's answer must equal the single-threaded one, and the
    aggregate over all calls must equal a single-threaded run over the same
    events."""
    events = EVENTS[:1500]
    lines = LINES[:1500]
    solo = Matcher(RULE)
    single = [solo.match(e) for e in events]
    chunks = [b"".join(lines[i : i + 50]) for i in range(0, len(lines), 50)]
    chunk_expected = [
        [single[j] for j in range(i, min(i + 50, len(lines))) if single[j] is not None]
        for i in range(0, len(lines), 50)
    ]
    shared = Matcher(RULE)
    start = threading.Barrier(16)
    engines = set()
    seen: list[list[dict]] = []  # the events each thread had matched, for the aggregate

    def worker(seed: int) -> int:
        rng = random.Random(seed)
        mine: list[dict] = []
        seen.append(mine)
        start.wait()
        engines.add(id(shared._engine()))
        calls = 0
        for _ in range(3):
            order = list(range(len(events)))
            rng.shuffle(order)
            for i in order[:200]:
                assert shared.match(events[i]) == single[i]
                mine.append(events[i])
                calls += 1
            k = rng.randrange(len(chunks))
            assert shared.feed(chunks[k]) == chunk_expected[k]
            mine += events[k * 50 : k * 50 + 50]
            lo = rng.randrange(len(events) - 100)
            assert list(shared.match_many(events[lo : lo + 100])) == single[lo : lo + 100]
            mine += events[lo : lo + 100]
        return calls

    with ThreadPoolExecutor(16) as pool:
        assert sum(pool.map(worker, range(16))) == 16 * 600
    assert len(engines) == 16  # one engine per thread

    # The aggregate equals one thread matching the same events (row order
    # among equal counts follows arrival, so compare as sets of rows).
    again = Matcher(RULE)
    list(again.match_many(e for mine in seen for e in mine))
    assert shared.kept == again.kept > 0

    def rows(matcher: Matcher) -> list[tuple]:
        return sorted(tuple(sorted(row.items())) for row in matcher.results())

    assert rows(shared) == rows(again)


# --- removed fields leave nested objects too ------------------------------------------------

NESTED = {"a": "1", "x": {"secret": "s", "keep": "k"}, "y": [{"p": "q"}, "z"], "b": 2}
NESTED_CASES = [
    ("drop([x.secret])", {**NESTED, "x": {"keep": "k"}}),
    ("drop([x.secret, x.keep])", {"a": "1", "y": [{"p": "q"}, "z"], "b": 2}),
    ("select([a, x.keep])", {"a": "1", "x": {"keep": "k"}}),
    ("a=1 | select([a])", {"a": "1"}),
    # An array keeps its positions: a removed element becomes null.
    ("drop([y[0].p])", {**NESTED, "y": [None, "z"]}),
    ("select([y[1], b])", {"y": [None, "z"], "b": 2}),
    ("drop([y[0].p, y[1]])", {"a": "1", "x": {"secret": "s", "keep": "k"}, "b": 2}),
    ("rename(x.secret, as=z)", {**NESTED, "x": {"keep": "k"}, "z": "s"}),
    # A field the input has nested is changed where it is, not copied to the top level.
    ('x.secret := "r"', {**NESTED, "x": {"secret": "r", "keep": "k"}}),
]


@pytest.mark.parametrize("engine", ["vm", "reference"])
@pytest.mark.parametrize(("query", "expected"), NESTED_CASES, ids=[q for q, _ in NESTED_CASES])
def test_removed_dotted_fields_leave_the_nested_objects(
    query: str, expected: dict, engine: str
) -> None:
    snapshot = json.loads(json.dumps(NESTED))
    matcher = Matcher(query, engine=engine)
    assert matcher.match(NESTED) == expected
    assert list(matcher.match_many([NESTED, NESTED])) == [expected, expected]
    line = json.dumps(NESTED).encode() + b"\n"
    assert matcher.feed(line + line[:10]) == [expected]
    assert matcher.feed(line[10:]) == [expected]
    assert snapshot == NESTED  # the caller's event (and its nested objects) unchanged


def test_a_top_level_key_with_a_dot_and_a_nested_one_are_both_removed() -> None:
    event = {"x.secret": "top", "x": {"secret": "nested"}, "a": "1"}
    assert Matcher("drop([x.secret])").match(event) == {"a": "1"}
    assert Matcher("select([a])", engine="reference").match(event) == {"a": "1"}

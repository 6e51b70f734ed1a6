"""Functions added for issue 18 (functions/maths.py, encoding.py,
substrings.py, array_more.py, object_arrays.py, formats.py, sequences.py),
written from their LogScale function pages; every test runs on each engine."""

from __future__ import annotations

import time

import pytest

import cqlmatch
from cqlmatch.errors import CQLCompileError

from .helpers import match, run, value, warnings

# --- math: -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "x", "expected"),
    [
        ("math:ceil(x)", "_ceil", "1.2", "2"),
        ("math:ceil(x)", "_ceil", "-1.5", "-1"),
        ("math:abs(x)", "_abs", "-3", "3"),
        ("math:abs(x)", "_abs", "2.5", "2.5"),
        ("math:sqrt(x)", "_sqrt", "16", "4"),
        ("math:log10(x)", "_log10", "1000", "3"),
        ("math:log2(x)", "_log2", "8", "3"),
        ("math:log(x)", "_log", "1", "0"),
        ("math:exp(x)", "_exp", "0", "1"),
        ("math:pow(x, exponent=10)", "_pow", "2", "1024"),
        ("math:pow(x, exponent=0.5)", "_pow", "9", "3"),
        ("math:abs(x, as=y)", "y", "-7", "7"),
    ],
)
def test_math_functions(engine, query, field, x, expected):
    assert value(query, {"x": x}, field, engine) == expected


def test_math_without_a_number_or_outside_the_domain_adds_nothing(engine):
    assert match("math:sqrt(x)", {"x": "-1"}, engine) == {"x": "-1"}
    assert match("math:log(x)", {"x": "0"}, engine) == {"x": "0"}
    assert match("math:ceil(x)", {"x": "abc"}, engine) == {"x": "abc"}
    assert match("math:ceil(x)", {}, engine) == {}


def test_math_in_an_expression(engine):
    assert value("y := math:abs(x) * 2", {"x": "-4"}, "y", engine) == "8"


# --- encodings ----------------------------------------------------------------------------


def test_url_encode_page_examples(engine):
    # urlEncode() page: three inputs and the encodings it shows
    cases = {
        "tail(1) | count()": "tail%281%29+%7C+count%28%29",
        "example@example.com": "example%40example.com",
        "Title with spaces/special characters!": "Title+with+spaces%2Fspecial+characters%21",
        "https://www.example.com": "https%3A%2F%2Fwww.example.com",
    }
    for text, encoded in cases.items():
        assert value("urlEncode(bar)", {"bar": text}, "_urlencode", engine) == encoded
    assert value('Foo := urlEncode("Bar")', {"Bar": "a b"}, "Foo", engine) == "a+b"
    assert value("urlEncode(bar)", {"bar": "é~"}, "_urlencode", engine) == "%C3%A9%7E"


def test_base64_encode_round_trips_with_decode(engine):
    q = "base64Encode(x) | base64Decode(_base64Encode, as=back)"
    out = match(q, {"x": "héllo wörld"}, engine)
    assert out["_base64Encode"] == "aMOpbGxvIHfDtnJsZA=="
    assert out["back"] == "héllo wörld"
    assert (
        value('base64Encode(x, charset="ISO-8859-1")', {"x": "é"}, "_base64Encode", engine)
        == "6Q=="
    )


def test_parse_hex_string(engine):
    q = "parseHexString(HttpPostBody, as=text)"
    assert value(q, {"HttpPostBody": "48656c6c6f"}, "text", engine) == "Hello"
    assert match(q, {"HttpPostBody": "4865z"}, engine) == {"HttpPostBody": "4865z"}


def test_token_hash_ignores_token_order(engine):
    # tokenHash() page: "abc def ghi" and "def ghi abc" hash alike
    rows = run(
        "tokenHash(field=valueString)",
        [{"valueString": "abc def ghi"}, {"valueString": "def ghi abc"}, {"valueString": "abc"}],
        engine,
    )
    hashes = [r["_tokenHash"] for r in rows]
    assert hashes[0] == hashes[1] != hashes[2]
    assert all(len(h) == 8 and int(h, 16) >= 0 for h in hashes)


def test_hash_match_is_refused_with_the_reason():
    with pytest.raises(CQLCompileError) as err:
        cqlmatch.compile('ssn =~ hashMatch("12345678", salt="salt1")')
    assert "E223" in str(err.value) and "salt" in str(err.value)


# --- text:positionOf -----------------------------------------------------------------------


def test_position_of_page_example(engine):
    # page: the zero-based index of "lo"; no _position where it does not occur
    events = [{"field": "hello"}, {"field": "world"}, {"field": "log"}]
    rows = run('text:positionOf(field, character="lo")', events, engine)
    assert [r.get("_position") for r in rows] == ["3", None, "0"]


def test_position_of_counts_java_characters(engine):
    # an emoji is two UTF-16 code units in a Java string
    assert value('text:positionOf(s, character="x")', {"s": "😀x"}, "_position", engine) == "2"


# --- arrays ---------------------------------------------------------------------------------


def test_array_regex(engine):
    events = [
        {"id": "1", "a": ["RW", "x"]},
        {"id": "2", "a": ["rw"]},
        {"id": "3", "a": ["SRW"]},
        {"id": "4"},
    ]
    rows = run('array:regex(array="a[]", regex="^RW$|^FW$", flags=i)', events, engine)
    assert [r["id"] for r in rows] == ["1", "2"]
    rows = run('array:regex("a[]", regex="RW")', events, engine)
    assert [r["id"] for r in rows] == ["1", "3"]
    rows = run('!array:regex("a[]", regex="RW")', events, engine)
    assert [r["id"] for r in rows] == ["2", "4"]


def test_array_dedup_keeps_first_occurrences(engine):
    out = match('array:dedup("a[]")', {"a": ["b", "a", "b", "c", "a"]}, engine)
    assert out == {"a[0]": "b", "a[1]": "a", "a[2]": "c"}
    out = match(
        'array:dedup("a[]", asArray="u[]")', {"a": ["x", "x"], "u": ["1", "2", "3"]}, engine
    )
    assert out == {"a[0]": "x", "a[1]": "x", "u[0]": "x"}


def test_array_sort(engine):
    event = {"a": ["b", "C", "a"]}
    assert match('array:sort("a[]")', event, engine) == {"a[0]": "a", "a[1]": "b", "a[2]": "C"}
    out = match('array:sort("a[]", order=desc, asArray="s[]")', event, engine)
    assert [out[f"s[{i}]"] for i in range(3)] == ["C", "b", "a"]
    # numbers first in order, then the rest as strings, whatever the order
    out = match('array:sort("a[]", type=number, order=desc)', {"a": ["10", "x", "2", "3"]}, engine)
    assert [out[f"a[{i}]"] for i in range(4)] == ["10", "3", "2", "x"]


def test_array_reduce_all_page_example(engine):
    # page: rows [1,4,2], [3,5,2], [5,2,3] and avg(x) give _avg=3
    events = [{"a": ["1", "4", "2"]}, {"a": ["3", "5", "2"]}, {"a": ["5", "2", "3"]}]
    assert run('array:reduceAll("a[]", function=avg(x), var=x)', events, engine) == [{"_avg": "3"}]
    rows = run('array:reduceAll("a[]", function=[groupBy(x, limit=max)], var=x)', events, engine)
    assert sorted((r["x"], r["_count"]) for r in rows) == [
        ("1", "1"),
        ("2", "3"),
        ("3", "2"),
        ("4", "1"),
        ("5", "2"),
    ]


def test_array_reduce_row_and_column(engine):
    events = [{"ages": ["16", "32", "64"]}, {"ages": ["2", "4"]}]
    rows = run('array:reduceRow("ages[]", var=x, function=avg(x))', events, engine)
    assert [r["_reduceRow"] for r in rows] == ["37.333333333333336", "3"]
    rows = run('array:reduceColumn("ages[]", var=x, function=max(x))', events, engine)
    assert rows == [{"_reduceColumn[0]": "16", "_reduceColumn[1]": "32", "_reduceColumn[2]": "64"}]


def test_array_union_and_intersection(engine):
    # union page: two events of mailto[] give the addresses in any of them
    events = [
        {"mailto": ["foo@example.com", "bar@example.com"]},
        {"mailto": ["bar@example.com"]},
        {"other": "x"},
    ]
    rows = run("array:union(mailto, as=unique_mails)", events, engine)
    assert sorted(rows[0].values()) == ["bar@example.com", "foo@example.com"]
    assert set(rows[0]) == {"unique_mails[0]", "unique_mails[1]"}
    rows = run("array:intersection(mailto)", events, engine)
    assert rows == [{"_intersection[0]": "bar@example.com"}]
    assert run("array:union(nothing)", events, engine) == []


def test_object_array_eval_and_exists(engine):
    event = {
        "V": {
            "ents": [
                {"cat": "source", "type": "ip", "name": "10.0.0.1"},
                {"cat": "destination", "type": "ip", "name": "10.0.0.2"},
                {"cat": "source", "type": "domain", "name": "a.example"},
                {"cat": "source", "type": "IP", "name": "10.0.0.3"},
            ]
        }
    }
    q = (
        'objectArray:eval(array="V.ents[]", asArray="source.ip[]", function={'
        ' V.ents.cat = "source" | V.ents.type = /ip/i | source.ip := V.ents.name })'
    )
    out = match(q, event, engine)
    assert out["source.ip[0]"] == "10.0.0.1"
    assert out["source.ip[1]"] == "10.0.0.3"
    assert "source.ip[2]" not in out
    q = 'objectArray:eval("V.ents[]", asArray="n[]", var=e, function={ n := e.name })'
    assert match(q, event, engine)["n[3]"] == "10.0.0.3"
    keep = 'objectArray:exists(array="V.ents[]", condition={ V.ents.cat = "destination" })'
    assert match(keep, event, engine) is not None
    drop = 'objectArray:exists(array="V.ents[]", condition={ V.ents.cat = "nowhere" })'
    assert match(drop, event, engine) is None


# --- formats ----------------------------------------------------------------------------------


def test_parse_cef_page_example(engine):
    raw = (
        "Sep 19 08:26:10 host CEF:0 | security| threatmanager| 1.0| 100| "
        "detected a \\\\ in packet| 10| src=10.0.0.1 act=blocked a \\\\ dst=1.1.1.1"
    )
    out = match("parseCEF(field=@rawstring)", {"@rawstring": raw}, engine)
    assert out["cef.version"] == "0"
    assert out["cef.device.vendor"] == "security"
    assert out["cef.device.product"] == "threatmanager"
    assert out["cef.device.version"] == "1.0"
    assert out["cef.event_class_id"] == "100"
    assert out["cef.name"] == "detected a \\ in packet"
    assert out["cef.severity"] == "10"
    assert out["cef.ext.src"] == "10.0.0.1"
    assert out["cef.ext.act"] == "blocked a \\"
    assert out["cef.ext.dst"] == "1.1.1.1"


def test_parse_cef_labels_and_prefixes(engine):
    raw = "CEF:0|v|p|1|2|n|3|cs1Label=Zone cs1=dmz msg=a\\=b"
    out = match('parseCEF(prefix="x.", headerprefix="h.")', {"@rawstring": raw}, engine)
    assert out["cef.label.Zone"] == "dmz"
    assert "x.cs1" not in out and "x.cs1Label" not in out
    assert out["x.msg"] == "a=b" and out["h.device.vendor"] == "v"
    out = match("parseCEF(keeplabels=true)", {"@rawstring": raw}, engine)
    assert out["cef.ext.cs1"] == "dmz" and out["cef.ext.cs1Label"] == "Zone"
    assert match("parseCEF()", {"@rawstring": "plain"}, engine) == {"@rawstring": "plain"}


def test_parse_leef_versions(engine):
    v1 = "LEEF:1.0|Microsoft|MSExchange|2016|15345|src=10.50.1.1\tdst=2.10.20.20\tspt=1200"
    out = match("parseLEEF()", {"@rawstring": v1}, engine)
    assert out["leef.vendor"] == "Microsoft"
    assert out["leef.ext.src"] == "10.50.1.1" and out["leef.ext.spt"] == "1200"
    v2 = "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5"
    out = match('parseLEEF(delimiter=",")', {"@rawstring": v2}, engine)
    assert out["leef.ext.dst"] == "10.0.0.5" and out["leef.ext.sev"] == "5"
    timed = "LEEF:1.0|V|P|1|2|devTime=1700000000000\tx=1"
    assert match("parseLEEF()", {"@rawstring": timed}, engine)["@timestamp"] == "1700000000000"


def test_parse_fixed_width(engine):
    q = "parseFixedWidth(columns=[a, b, c], widths=[3, 5])"
    out = match(q, {"@rawstring": "abc  de fghij"}, engine)
    assert (out["a"], out["b"], out["c"]) == ("abc", "de", "fghij")


# --- sequences and time -----------------------------------------------------------------------


def _timed(*pairs, key="v"):
    return [{"@timestamp": str(t), key: str(v)} for t, v in pairs]


# slidingTimeWindow() page data: values at 1451606301001 ... 1451606305300
_PAGE = _timed(
    (1451606301001, 1),
    (1451606301002, 4),
    (1451606302400, 11),
    (1451606304001, 2),
    (1451606304003, 5),
    (1451606305300, 1),
)


def test_sliding_time_window(engine):
    rows = run("slidingTimeWindow(sum(v), span=3s)", _PAGE, engine)
    # each window holds the events less than 3 s before the event and the event
    assert [r["_sum"] for r in rows] == ["1", "5", "16", "17", "18", "19"]
    rows = run("slidingTimeWindow(sum(v), span=3s, current=exclude)", _PAGE, engine)
    assert [r.get("_sum") for r in rows] == [None, "1", "5", "15", "13", "18"]


def test_accumulate_and_sliding_window(engine):
    rows = run("accumulate(sum(v))", _PAGE, engine)
    assert [r["_sum"] for r in rows] == ["1", "5", "16", "18", "23", "24"]
    rows = run("accumulate(count(), current=exclude)", _PAGE, engine)
    assert [r.get("_count") for r in rows] == [None, "1", "2", "3", "4", "5"]
    rows = run("slidingWindow(sum(v), events=2)", _PAGE, engine)
    assert [r["_sum"] for r in rows] == ["1", "5", "15", "13", "7", "6"]


def test_sequence_functions_take_composite_functions(engine):
    # slidingTimeWindow(function={ [ {...} ] | ... }) as a corpus query writes it
    q = "slidingTimeWindow(function={ [ {q := v | r := max(q)} ] | top := r }, span=3s)"
    rows = run(q, _PAGE, engine)
    assert [r["top"] for r in rows] == ["1", "4", "11", "11", "11", "11"]
    rows = run("accumulate([count(), {m := max(v)}])", _PAGE[:3], engine)
    assert [(r["_count"], r["m"]) for r in rows] == [("1", "1"), ("2", "4"), ("3", "11")]
    q = 'array:reduceRow("a[]", var=x, function={ y := x * 2 | sum(y) })'
    assert value(q, {"a": ["1", "2"]}, "_reduceRow", engine) == "6"


def test_partition(engine):
    events = [{"v": str(v)} for v in (1, 2, 0, 3, 0, 4)]
    rows = run("partition(sum(v), condition={ v=0 })", events, engine)
    assert [r["_sum"] for r in rows] == ["3", "3", "4"]  # split before each 0
    rows = run("partition(count(), condition={ v=0 }, split=after)", events, engine)
    assert [r["_count"] for r in rows] == ["3", "2", "1"]


def test_session_page_shape(engine):
    # groupBy(cookie_id, function=session(...)): a session per pause over 15m
    minute = 60_000
    events = [
        {"@timestamp": str(t * minute), "cookie_id": c, "bet": str(b)}
        for t, c, b in [
            (0, "u1", 25),
            (2, "u1", 50),
            (18, "u1", 99),
            (19, "u1", 150),
            (5, "u2", 75),
        ]
    ]
    rows = run("groupBy(cookie_id, function=session([max(bet), min(bet)]))", events, engine)
    assert rows == [
        {"cookie_id": "u1", "_max": "50", "_min": "25"},
        {"cookie_id": "u1", "_max": "150", "_min": "99"},
        {"cookie_id": "u2", "_max": "75", "_min": "75"},
    ]
    rows = run("session(maxpause=1h)", events, engine)
    assert rows == [{"_count": "5"}]


def test_series_collects_transactions(engine):
    events = [
        {"@timestamp": "1000", "id": "a", "step": "open"},
        {"@timestamp": "1500", "id": "a", "step": "read"},
        {"@timestamp": "9000", "id": "a", "step": "close"},
        {"@timestamp": "1200", "id": "b", "step": "open"},
    ]
    rows = run('groupBy(id, function=series(step, separator=","))', events, engine)
    assert rows[0]["step"] == "open,read,close" and rows[0]["_duration"] == "8000"
    rows = run('groupBy(id, function=series(step, separator=",", maxpause=5s))', events, engine)
    assert [r["step"] for r in rows] == ["open,read", "close", "open"]
    rows = run("series(step, endmatch={ step=read })", events, engine)
    assert rows[0]["step"] == "open\nopen\nread"


def test_window_in_time_chart(engine):
    events = _timed((0, 1), (1000, 2), (2000, 4), (3000, 8))
    rows = run("timeChart(span=1s, function=window(sum(v), buckets=2))", events, engine)
    assert [r["_sum"] for r in rows] == ["1", "3", "6", "12"]
    rows = run("bucket(span=1s, function=window(sum(v), span=3s))", events, engine)
    assert [r["_sum"] for r in rows] == ["1", "3", "7", "14"]


@pytest.mark.parametrize("query", ["window(sum(v))", "groupBy(x, function=window(count()))"])
def test_window_elsewhere_is_an_error(query):
    with pytest.raises(CQLCompileError, match="window"):
        cqlmatch.compile(query)


def test_set_time_interval_uses_the_run_clock(engine):
    current = int(time.time() * 1000)
    events = [
        {"@timestamp": str(current - 2 * 3_600_000), "n": "old"},
        {"@timestamp": str(current - 60_000), "n": "recent"},
    ]
    assert [r["n"] for r in run("setTimeInterval(start=1h)", events, engine)] == ["recent"]
    assert "W490" in warnings("setTimeInterval(start=1h)", events, engine)
    rows = run("setTimeInterval(start=3h, end=1h)", events, engine)
    assert [r["n"] for r in rows] == ["old"]


def test_sample_keeps_a_share_and_drops_events_without_the_field(engine):
    events = [{"@timestamp": str(i)} for i in range(2000)] + [{"x": "1"}]
    kept = run("sample(percentage=10)", events, engine)
    assert 100 < len(kept) < 300
    assert all("@timestamp" in r for r in kept)
    assert run("sample(percentage=10)", events, engine) == kept  # the same pick every run
    assert len(run("sample(100)", events, engine)) == 2000


def test_duration(engine):
    assert value("duration(7d)", {}, "_duration", engine) == "604800000"
    assert value("x := duration(1d) * 2", {}, "x", engine) == "172800000"


# --- more functions the corpus uses ------------------------------------------------------------


def test_geography_distance_page_example(engine):
    q = (
        "londonLat := 51.507222 | londonLon := -0.1275 | tokyoLat := 35.689722 "
        "| tokyoLon := 139.692222 "
        "| distance := geography:distance(lat1=londonLat, lon1=londonLon, lat2=tokyoLat, lon2=tokyoLon)"
    )
    meters = float(value(q, {}, "distance", engine))
    assert abs(meters - 9_559_000) < 0.005 * 9_559_000  # "accurate to about 0.5%"
    q = 'geography:distance(lat1="a.lat", lon1="a.lon", lat2=b_lat, lon2=b_lon)'
    same = {"a.lat": "10", "a.lon": "20", "b_lat": "10", "b_lon": "20"}
    assert value(q, same, "_distance", engine) == "0"
    assert (
        match(q, {"a.lat": "10", "a.lon": "20", "b_lat": "95", "b_lon": "0"}, engine).get(
            "_distance"
        )
        is None
    )


def test_start_and_end_of_an_offline_search(engine):
    before = int(time.time() * 1000)
    out = match("s := start() | e := end()", {}, engine)
    assert out["s"] == "0" and int(out["e"]) >= before
    assert warnings("s := start()", [{}], engine) == ["W493"]
    assert warnings("e := end()", [{}], engine) == []


def test_fieldset_page_examples(engine):
    events = [{"#type": "access", "@host": "h1", "x": "1"}, {"#type": "access", "@host": "h2"}]
    rows = run("fieldset()", events, engine)
    assert [r["field"] for r in rows] == ["x", "@host", "#type"]
    # after an aggregate, the aggregate's fields (page: _count, @host, #type)
    rows = run("groupBy([#type, @host]) | fieldset()", events, engine)
    assert [r["field"] for r in rows] == ["_count", "@host", "#type"]


def test_array_eval_and_append(engine):
    # array:eval page: square each element into another array
    q = 'array:eval("values[]", asArray="squared[]", var=x, function={ squared := x * x })'
    out = match(q, {"values": ["2", "3", "4"]}, engine)
    assert [out[f"squared[{i}]"] for i in range(3)] == ["4", "9", "16"]
    q = 'array:eval("v[]", asArray="big[]", var=x, function={ x > 2 | big := x })'
    out = match(q, {"v": ["1", "5", "2", "7"]}, engine)
    assert (out["big[0]"], out["big[1]"], "big[2]" in out) == ("5", "7", False)  # compacted
    q = 'array:append("event.category[]", values=["network", "threat"])'
    out = match(q, {"event.category[0]": "host"}, engine)
    assert [out[f"event.category[{i}]"] for i in range(3)] == ["host", "network", "threat"]
    assert match('array:append("new[]", values=[x])', {"x": "1"}, engine)["new[0]"] == "1"


def test_stats_combines_outputs_as_a_cartesian_product(engine):
    # stats() page: [avg(x), table([x])] gives every table row with _avg
    events = [{"x": v} for v in ("1", "2", "9", "10")]
    rows = run("stats([avg(x), table([x])])", events, engine)
    assert sorted((r["x"], r["_avg"]) for r in rows) == [
        ("1", "5.5"),
        ("10", "5.5"),
        ("2", "5.5"),
        ("9", "5.5"),
    ]
    q = "[sum(x, as=total), sort(field=x, order=asc, limit=20000)] | p := 100 * x / total"
    rows = run(q, events, engine)
    assert [(r["x"], r["total"]) for r in rows] == [
        ("1", "22"),
        ("2", "22"),
        ("9", "22"),
        ("10", "22"),
    ]
    # an item without a row counts as one empty row
    rows = run("[max(y), table([x])]", events, engine)
    assert len(rows) == 4 and all("_max" not in r for r in rows)

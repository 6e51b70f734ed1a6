"""Time functions (formatTime, parseTimestamp, findTimestamp, the time:
parts, now, bucket, timeChart),
written from the LogScale function pages with hand-computed expectations.

Reference instants used throughout (UTC):
    1700000000000  2023-11-14 22:13:20.000, a Tuesday, day 318
    1709208000000  2024-02-29 12:00:00.000, a Thursday, day 60 (leap day)
    1711846800000  2024-03-31 01:00:00.000, Copenhagen goes CET -> CEST (03:00)
    1729990800000  2024-10-27 01:00:00.000, Copenhagen goes CEST -> CET (02:00)
"""

from __future__ import annotations

import time

import pytest

import cqlmatch
from cqlmatch.lang.events import Event, from_dicts
from cqlmatch.reference import Interpreter
from cqlmatch.runtime.query import ENGINES

from .helpers import match, value, warnings

TUESDAY = 1700000000000
LEAP_NOON = 1709208000000
DST_START = 1711846800000
DST_END = 1729990800000
HOUR = 3_600_000
DAY = 86_400_000


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    return request.param


def run(query: str, events: list[dict], engine: str) -> list[dict]:
    return cqlmatch.compile(query).run(events, engine=engine)


def warnings_of(query: str, events: list[dict], engine: str) -> list[str]:
    compiled = cqlmatch.compile(query)
    return [code for code, _ in compiled.run(events, engine=engine).warnings]


def field(query: str, events: list[dict], engine: str, name: str) -> list[str | None]:
    """``name`` of every output event (None where it is absent)."""
    return [row.get(name) for row in run(query, events, engine)]


def with_clock(query: str, events: list[dict], clock_ms: int) -> list[dict]:
    """Runs through the reference interpreter with a fixed clock: the public
    API has no way to inject one."""
    compiled = cqlmatch.compile(query)
    interpreter = Interpreter(compiled.checked, clock=lambda: clock_ms)
    return [e.fields for e in interpreter.run(Event(f, raw) for f, raw in from_dicts(events))]


# --- formatTime ----------------------------------------------------------------


def test_format_time_reads_falcon_timestamp_in_utc(engine):
    events = [{"timestamp": str(TUESDAY + 123)}]
    assert field('formatTime("%Y-%m-%d %H:%M:%S.%L")', events, engine, "_time") == [
        "2023-11-14 22:13:20.123"
    ]


def test_format_time_prefers_at_timestamp(engine):
    events = [{"@timestamp": str(LEAP_NOON), "timestamp": str(TUESDAY)}]
    assert field('formatTime("%F", as=d)', events, engine, "d") == ["2024-02-29"]


def test_format_time_as_assignment(engine):
    events = [{"timestamp": str(TUESDAY)}]
    assert field('day := formatTime("%A")', events, engine, "day") == ["Tuesday"]


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("%H:%M:%S", "22:13:20"),
        ("%I %l %k %p", "10 10 22 pm"),
        ("%a %A %b %B %h", "Tue Tuesday Nov November Nov"),
        ("%d %e %m %j", "14 14 11 318"),
        ("%Y %y %C", "2023 23 20"),
        ("%s %Q %L %N", "1700000000 1700000000123 123 123000000"),
        ("%z %Z", "+0000 UTC"),
        ("%R|%T|%D|%F", "22:13|22:13:20|11/14/23|2023-11-14"),
        ("%r", "10:13:20 PM"),
        ("%c", "Tue Nov 14 22:13:20 UTC 2023"),
        ("100%% at %H%n", "100% at 22\n"),
    ],
)
def test_format_time_directives(engine, fmt, expected):
    events = [{"t": str(TUESDAY + 123)}]
    query = f"formatTime({fmt!r}, field=t, as=out)".replace("'", '"')
    assert field(query, events, engine, "out") == [expected]


def test_format_time_single_digit_fields_and_midnight(engine):
    # 2024-03-05 00:05:09.007 UTC: the unpadded directives drop the zero
    millis = 1709596800000 + 5 * 60_000 + 9_000 + 7
    events = [{"t": str(millis)}]
    got = field('formatTime("%e|%k|%l|%I|%p|%L", field=t, as=o)', events, engine, "o")
    assert got == ["5|0|12|12|am|007"]


def test_format_time_leap_day_and_day_of_year(engine):
    events = [
        {"t": str(LEAP_NOON)},
        {"t": "1735603200000"},  # 2024-12-31: day 366 of a leap year
        {"t": "1703980800000"},  # 2023-12-31: day 365
    ]
    got = field('formatTime("%a %F %j", field=t, as=o)', events, engine, "o")
    assert got == ["Thu 2024-02-29 060", "Tue 2024-12-31 366", "Sun 2023-12-31 365"]


def test_format_time_milliseconds_before_the_epoch(engine):
    events = [{"t": "-1"}]
    got = field('formatTime("%F %T.%L", field=t, as=o, unit=milliseconds)', events, engine, "o")
    assert got == ["1969-12-31 23:59:59.999"]
    # under the default unit=auto a value this small is read as seconds
    got = field('formatTime("%F %T.%L", field=t, as=o)', events, engine, "o")
    assert got == ["1969-12-31 23:59:59.000"]


def test_format_time_copenhagen_across_both_dst_changes(engine):
    events = [
        {"t": str(DST_START - 1)},
        {"t": str(DST_START)},
        {"t": str(DST_END - 1)},
        {"t": str(DST_END)},
    ]
    query = 'formatTime("%H:%M:%S %Z %z", field=t, timezone="Europe/Copenhagen", as=o)'
    assert field(query, events, engine, "o") == [
        "01:59:59 CET +0100",
        "03:00:00 CEST +0200",
        "02:59:59 CEST +0200",
        "02:00:00 CET +0100",
    ]


def test_format_time_fixed_offset_crosses_midnight(engine):
    events = [{"t": str(TUESDAY)}]
    query = 'formatTime("%F %T %z %Z", field=t, timezone="+05:30", as=o)'
    assert field(query, events, engine, "o") == ["2023-11-15 03:43:20 +0530 +05:30"]


def test_format_time_unknown_timezone_gives_no_value_and_warns(engine):
    events = [{"t": str(TUESDAY)}]
    query = 'formatTime("%F", field=t, timezone="Mars/Olympus", as=o)'
    assert field(query, events, engine, "o") == [None]
    assert "W461" in warnings_of(query, events, engine)


def test_format_time_missing_and_non_numeric_inputs_give_no_value(engine):
    events = [{"id": "1"}, {"t": "yesterday"}, {"t": ""}, {"t": "0x10"}, {"t": "0"}]
    got = field('formatTime("%F", field=t, as=o)', events, engine, "o")
    assert got == [None, None, None, None, "1970-01-01"]
    # the events themselves are kept
    assert len(run('formatTime("%F", field=t, as=o)', events, engine)) == 5


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        ("seconds", "1625677530.308", "2021-07-07 17:05:30.308"),
        ("milliseconds", "1625677530", "1970-01-19 19:34:37.530"),
        ("auto", "100000000001", "1973-03-03 09:46:40.001"),  # above 1e11: milliseconds
        ("auto", "1625677530", "2021-07-07 17:05:30.000"),  # at most 1e11: seconds
    ],
)
def test_format_time_units(engine, unit, value, expected):
    query = f'formatTime("%F %T.%L", field=t, unit={unit}, as=o)'
    assert field(query, [{"t": value}], engine, "o") == [expected]


def test_format_time_auto_boundary_is_seconds(engine):
    query = 'formatTime("%Y", field=t, unit=auto, as=o)'
    assert field(query, [{"t": "100000000000"}], engine, "o") == ["5138"]


def test_format_time_unsupported_directive_is_kept_and_warned(engine):
    events = [{"t": str(TUESDAY)}]
    query = 'formatTime("%Y-%q", field=t, as=o)'
    assert field(query, events, engine, "o") == ["2023-%q"]
    assert "W462" in warnings_of(query, events, engine)


# --- parseTimestamp --------------------------------------------------------------


def test_parse_timestamp_default_format_utc(engine):
    rows = run("parseTimestamp(field=ts)", [{"ts": "2024-02-29T12:00:00Z"}], engine)
    assert rows[0]["@timestamp"] == str(LEAP_NOON)
    assert rows[0]["@timezone"] == "Z"
    assert "@error" not in rows[0]


def test_parse_timestamp_default_format_offset_and_fraction(engine):
    events = [
        {"ts": "2024-02-29T13:00:00.250+01:00"},
        {"ts": "2024-02-29T12:00:00.123456789Z"},  # below a millisecond: truncated
        {"ts": "2024-02-29T06:30:00-05:30"},
    ]
    rows = run("parseTimestamp(field=ts)", events, engine)
    assert [r["@timestamp"] for r in rows] == [
        str(LEAP_NOON + 250),
        str(LEAP_NOON + 123),
        str(LEAP_NOON),
    ]
    assert [r["@timezone"] for r in rows] == ["+01:00", "Z", "-05:30"]


def test_parse_timestamp_then_format_round_trip(engine):
    query = 'parseTimestamp(field=ts) | formatTime("%F %T.%L %Z", timezone="+05:30")'
    got = field(query, [{"ts": "2023-11-14T22:13:20.5Z"}], engine, "_time")
    assert got == ["2023-11-15 03:43:20.500 +05:30"]


def test_parse_timestamp_timezone_parameter_follows_dst(engine):
    events = [{"ts": "2024-07-01 12:00:00"}, {"ts": "2024-01-15 12:00:00"}]
    query = 'parseTimestamp("yyyy-MM-dd HH:mm:ss", field=ts, timezone="Europe/Copenhagen")'
    rows = run(query, events, engine)
    assert [r["@timestamp"] for r in rows] == ["1719828000000", "1705316400000"]
    assert rows[0]["@timezone"] == "Europe/Copenhagen"


def test_parse_timestamp_zone_in_text_wins_over_parameter(engine):
    query = 'parseTimestamp("yyyy-MM-dd HH:mm:ssXXX", field=ts, timezone="+05:30")'
    got = field(query, [{"ts": "2024-02-29 12:00:00Z"}], engine, "@timestamp")
    assert got == [str(LEAP_NOON)]


def test_parse_timestamp_fixed_offset_parameter(engine):
    query = 'parseTimestamp("yyyy-MM-dd HH:mm", field=ts, timezone="+05:30")'
    got = field(query, [{"ts": "2024-02-29 17:30"}], engine, "@timestamp")
    assert got == [str(LEAP_NOON)]


def test_parse_timestamp_without_any_zone_is_an_error(engine):
    rows = run(
        'parseTimestamp("yyyy-MM-dd HH:mm:ss", field=ts)', [{"ts": "2024-02-29 12:00:00"}], engine
    )
    assert len(rows) == 1  # the event is kept
    assert rows[0]["@error"] == "true"
    assert "time zone" in rows[0]["@error_msg"]
    assert "@timestamp" not in rows[0]


def test_parse_timestamp_failure_adds_error_and_keeps_event(engine):
    events = [{"id": "1", "ts": "not a time", "timestamp": "42"}]
    rows = run("parseTimestamp(field=ts)", events, engine)
    assert rows[0]["@error"] == "true"
    assert "not a time" in rows[0]["@error_msg"]
    assert rows[0]["timestamp"] == "42"
    assert "@timestamp" not in rows[0]


def test_parse_timestamp_add_errors_false_leaves_event_unchanged(engine):
    events = [{"id": "1", "ts": "not a time"}]
    rows = run("parseTimestamp(field=ts, addErrors=false)", events, engine)
    assert rows == [{"id": "1", "ts": "not a time"}]


def test_parse_timestamp_missing_field_leaves_event_unchanged(engine):
    rows = run("parseTimestamp(field=ts)", [{"id": "1"}], engine)
    assert rows == [{"id": "1"}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29", "1709164800000"),  # leap day
        ("2023-02-29", "1677542400000"),  # Java SMART: clamped to 2023-02-28
        ("2024-04-31", "1714435200000"),  # SMART: April 30
        ("2024-12-31", "1735603200000"),
    ],
)
def test_parse_timestamp_dates_resolve_like_java_smart(engine, text, expected):
    query = 'parseTimestamp("yyyy-MM-dd", field=ts, timezone=UTC)'
    assert field(query, [{"ts": text}], engine, "@timestamp") == [expected]


@pytest.mark.parametrize("text", ["2024-13-01", "2024-02-32", "2024-2-29", "2024-02-29 "])
def test_parse_timestamp_rejects_invalid_dates_and_extra_text(engine, text):
    query = 'parseTimestamp("yyyy-MM-dd", field=ts, timezone=UTC)'
    assert field(query, [{"ts": text}], engine, "@error") == ["true"]


def test_parse_timestamp_hour_24_is_next_midnight(engine):
    query = 'parseTimestamp("yyyy-MM-dd HH:mm:ss", field=ts, timezone=UTC)'
    got = field(query, [{"ts": "2024-02-28 24:00:00"}], engine, "@timestamp")
    assert got == ["1709164800000"]  # 2024-02-29 00:00


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("seconds", "1625677530.308", "1625677530308"),
        ("unixTimeSeconds", "1625677530", "1625677530000"),
        ("unixtime", "1625677530", "1625677530000"),
        ("millis", "1700000000123", "1700000000123"),
        ("MilliSeconds", "1700000000123", "1700000000123"),  # not case-sensitive
        ("unixTimeMillis", "1700000000123", "1700000000123"),
        ("nanos", "1700000000123456789", "1700000000123"),
    ],
)
def test_parse_timestamp_epoch_formats(engine, fmt, text, expected):
    rows = run(f'parseTimestamp("{fmt}", field=ts)', [{"ts": text}], engine)
    assert rows[0]["@timestamp"] == expected
    assert rows[0]["@timezone"] == "Z"


def test_parse_timestamp_epoch_format_rejects_text(engine):
    got = field('parseTimestamp("millis", field=ts)', [{"ts": "12:00"}], engine, "@error")
    assert got == ["true"]


def test_parse_timestamp_unixtime_unit(engine):
    query = 'parseTimestamp("unixtime", field=ts, unit=milliseconds)'
    assert field(query, [{"ts": "1700000000123"}], engine, "@timestamp") == ["1700000000123"]


def test_parse_timestamp_month_names_and_numeric_offset(engine):
    query = 'parseTimestamp("dd/MMM/yyyy:HH:mm:ss Z", field=ts)'
    events = [{"ts": "14/Nov/2023:22:13:20 +0000"}, {"ts": "15/Nov/2023:03:43:20 +0530"}]
    assert field(query, events, engine, "@timestamp") == [str(TUESDAY), str(TUESDAY)]


def test_parse_timestamp_case_sensitivity(engine):
    events = [{"ts": "14/nov/2023 22:13:20"}]
    strict = 'parseTimestamp("dd/MMM/yyyy HH:mm:ss", field=ts, timezone=UTC)'
    assert field(strict, events, engine, "@error") == ["true"]
    loose = 'parseTimestamp("dd/MMM/yyyy HH:mm:ss", field=ts, timezone=UTC, caseSensitive=false)'
    assert field(loose, events, engine, "@timestamp") == [str(TUESDAY)]


def test_parse_timestamp_twelve_hour_clock_and_zone_name(engine):
    # the example of LogScale's "Parsing Timestamps" page, minutes only
    query = 'parseTimestamp("MM/dd/yyyy @ h:mma (z)", field=ts)'
    rows = run(query, [{"ts": "11/16/2018 @ 8:29PM (UTC)"}], engine)
    assert rows[0]["@timestamp"] == "1542400140000"
    assert rows[0]["@timezone"] == "UTC"
    midnight = run(query, [{"ts": "11/16/2018 @ 12:00AM (UTC)"}], engine)
    assert midnight[0]["@timestamp"] == "1542326400000"


def test_parse_timestamp_quoted_literal_optional_section_and_day_name(engine):
    query = "parseTimestamp(\"EEE, d MMM yyyy HH:mm[:ss] 'GMT'\", field=ts, timezone=UTC)"
    events = [{"ts": "Tue, 14 Nov 2023 22:13:20 GMT"}, {"ts": "Tue, 14 Nov 2023 22:13 GMT"}]
    assert field(query, events, engine, "@timestamp") == [str(TUESDAY), str(TUESDAY - 20_000)]
    wrong_day = [{"ts": "Wed, 14 Nov 2023 22:13:20 GMT"}]
    assert field(query, wrong_day, engine, "@error") == ["true"]


def test_parse_timestamp_as_and_timezone_as(engine):
    query = "parseTimestamp(field=ts, as=parsed, timezoneAs=tz)"
    rows = run(query, [{"ts": "2024-02-29T12:00:00Z", "timestamp": "1"}], engine)
    assert rows[0]["parsed"] == str(LEAP_NOON)
    assert rows[0]["tz"] == "Z"
    assert rows[0]["timestamp"] == "1"
    assert "@timestamp" not in rows[0]


def test_parse_timestamp_inside_an_expression(engine):
    query = 'later := parseTimestamp("seconds", field=ts) + 1'
    assert field(query, [{"ts": "1625677530"}], engine, "later") == ["1625677530001"]


def test_parse_timestamp_invalid_format_warns_and_leaves_events(engine):
    query = 'parseTimestamp("yyyy-MM-dd qqq", field=ts, timezone=UTC)'
    events = [{"ts": "2024-02-29 x"}]
    assert run(query, events, engine) == events
    assert "W466" in warnings_of(query, events, engine)


def test_parse_timestamp_guesses_a_missing_year():
    # clock: 2023-11-14; a date later than tomorrow belongs to the year before
    query = 'parseTimestamp("MMM d HH:mm:ss", field=ts, timezone=UTC)'
    events = [{"ts": "Mar 15 07:48:13"}, {"ts": "Dec 24 10:00:00"}, {"ts": "Nov 15 10:00:00"}]
    rows = with_clock(query, events, TUESDAY)
    assert [r["@timestamp"] for r in rows] == [
        "1678866493000",  # 2023-03-15 07:48:13
        "1671876000000",  # 2022-12-24 10:00:00
        "1700042400000",  # 2023-11-15 10:00:00: within a day, this year
    ]


# --- now -----------------------------------------------------------------------


def test_now_uses_the_clock():
    rows = with_clock("now() | t := now()", [{"id": "1"}, {"id": "2"}], TUESDAY)
    assert [(r["_now"], r["t"]) for r in rows] == [(str(TUESDAY), str(TUESDAY))] * 2


def test_now_in_arithmetic():
    rows = with_clock("age := now() - @timestamp", [{"timestamp": str(TUESDAY - HOUR)}], TUESDAY)
    assert rows[0]["age"] == str(HOUR)


def test_now_public_api_is_the_current_time(engine):
    before = int(time.time() * 1000)
    got = field("now()", [{"id": "1"}], engine, "_now")
    after = int(time.time() * 1000)
    assert got[0] is not None and before <= int(got[0]) <= after


# --- timeChart and bucket ----------------------------------------------------------


def stamps(*millis: int, **extra: str) -> list[dict]:
    return [{"timestamp": str(m), **extra} for m in millis]


def test_time_chart_minute_boundaries(engine):
    events = stamps(59_999, 60_000, 119_999, 120_000, 0)
    assert run("timeChart(span=1m)", events, engine) == [
        {"_bucket": "0", "_count": "2"},
        {"_bucket": "60000", "_count": "2"},
        {"_bucket": "120000", "_count": "1"},
    ]


def test_time_chart_hour_buckets_are_aligned_to_the_hour(engine):
    # 22:13:20 plus 10-minute steps: 22:13 .. 00:03
    events = stamps(*(TUESDAY + i * 600_000 for i in range(12)))
    first = TUESDAY - (13 * 60 + 20) * 1000  # 2023-11-14 22:00
    assert run("timeChart(span=1h)", events, engine) == [
        {"_bucket": str(first), "_count": "5"},  # 22:13 .. 22:53
        {"_bucket": str(first + HOUR), "_count": "6"},
        {"_bucket": str(first + 2 * HOUR), "_count": "1"},  # 00:03 next day
    ]


def test_time_chart_reads_at_timestamp_before_falcon_timestamp(engine):
    events = [{"@timestamp": "120000", "timestamp": "0"}, {"timestamp": "0"}]
    assert field("timeChart(span=1m)", events, engine, "_bucket") == ["0", "120000"]


def test_time_chart_day_buckets_follow_local_midnight_across_dst(engine):
    # 01:59:59 CET and 03:00 CEST on March 31st, then 01:00 CEST on April 1st
    events = stamps(DST_START - 1, DST_START, DST_START + 22 * HOUR)
    query = 'timeChart(span=1d, timezone="Europe/Copenhagen")'
    # 2024-03-31 00:00 CET is 03-30 23:00Z; 2024-04-01 00:00 CEST is 03-31 22:00Z
    assert run(query, events, engine) == [
        {"_bucket": str(DST_START - 2 * HOUR), "_count": "2"},
        {"_bucket": str(DST_START + 21 * HOUR), "_count": "1"},
    ]


def test_bucket_day_spans_in_utc_and_fixed_offset(engine):
    events = stamps(LEAP_NOON, LEAP_NOON + 7 * HOUR)  # 12:00 and 19:00 UTC on Feb 29
    midnight = LEAP_NOON - 12 * HOUR
    assert field("bucket(span=1d)", events, engine, "_bucket") == [str(midnight)]
    # at +05:30 19:00Z is already 00:30 on March 1st
    india = 'bucket(span=1d, timezone="+05:30")'
    assert run(india, events, engine) == [
        {"_bucket": str(midnight - 5 * HOUR - 30 * 60_000), "_count": "1"},
        {"_bucket": str(midnight + 18 * HOUR + 30 * 60_000), "_count": "1"},
    ]


def test_time_chart_series_rows_ordered_by_bucket_then_series(engine):
    events = [
        {"timestamp": "60000", "user": "bob"},
        {"timestamp": "1000", "user": "carol"},
        {"timestamp": "2000", "user": "alice"},
        {"timestamp": "3000", "user": "carol"},
        {"timestamp": "4000"},  # no series value: counts toward no series
    ]
    assert run("timeChart(user, span=1m)", events, engine) == [
        {"_bucket": "0", "user": "alice", "_count": "1"},
        {"_bucket": "0", "user": "carol", "_count": "2"},
        {"_bucket": "60000", "user": "bob", "_count": "1"},
    ]


def test_time_chart_limit_keeps_the_top_series(engine):
    # b: 3 events, c: 1, a: 1 in each of two buckets (2 over the interval)
    events = stamps(0, 1000, 2000, u="b") + stamps(0, u="c") + stamps(0, 70_000, u="a")
    rows = run("timeChart(u, span=1m, limit=1)", events, engine)
    assert rows == [{"_bucket": "0", "u": "b", "_count": "3"}]
    rows = run("timeChart(u, span=1m, limit=2)", events, engine)
    assert rows == [
        {"_bucket": "0", "u": "a", "_count": "1"},
        {"_bucket": "0", "u": "b", "_count": "3"},
        {"_bucket": "60000", "u": "a", "_count": "1"},
    ]
    # an explicit limit does not warn
    assert warnings_of("timeChart(u, span=1m, limit=2)", events, engine) == []


def test_time_chart_default_limit_is_ten_and_warns(engine):
    events = []
    for n in range(11):
        events += stamps(*([0] * (n + 1)), u=f"s{n:02d}")  # s00 once ... s10 eleven times
    rows = run("timeChart(u, span=1m)", events, engine)
    assert len(rows) == 10
    assert "s00" not in {r["u"] for r in rows}
    assert "W464" in warnings_of("timeChart(u, span=1m)", events, engine)


def test_time_chart_limit_max(engine):
    events = [{"timestamp": "0", "u": str(n)} for n in range(12)]
    assert len(run("timeChart(u, span=1m, limit=max)", events, engine)) == 12


def test_time_chart_skips_events_without_a_numeric_timestamp(engine):
    events = [{"id": "1"}, {"timestamp": "2023-11-14T22:13:20Z"}, {"timestamp": "5"}]
    query = "timeChart(span=1s)"
    assert run(query, events, engine) == [{"_bucket": "0", "_count": "1"}]
    assert "W465" in warnings_of(query, events, engine)


def test_time_chart_no_events_no_rows(engine):
    assert run("timeChart(span=1h)", [{"id": "1"}], engine) == []


def test_time_chart_functions(engine):
    events = [
        {"timestamp": "0", "b": "10"},
        {"timestamp": "1", "b": "30"},
        {"timestamp": "2", "b": "n/a"},
        {"timestamp": "60000"},  # no input for the aggregates: no row
    ]
    query = "timeChart(span=1m, function=[sum(b), max(b, as=top), count(b)])"
    assert run(query, events, engine) == [
        {"_bucket": "0", "_sum": "40", "top": "30", "_count": "3"},
        {"_bucket": "60000", "_count": "0"},
    ]
    assert run("timeChart(span=1m, function=avg(b))", events, engine) == [
        {"_bucket": "0", "_avg": "20"}
    ]


def test_bucket_groups_by_several_fields(engine):
    events = [
        {"timestamp": "0", "host": "h1", "user": "u1"},
        {"timestamp": "10", "host": "h1", "user": "u1"},
        {"timestamp": "20", "host": "h1", "user": "u2"},
        {"timestamp": "30", "host": "h2"},  # lacks user
    ]
    assert run("bucket(span=1h, field=[host, user])", events, engine) == [
        {"_bucket": "0", "host": "h1", "user": "u1", "_count": "2"},
        {"_bucket": "0", "host": "h1", "user": "u2", "_count": "1"},
    ]


def test_bucket_buckets_splits_the_interval_from_its_first_event(engine):
    events = stamps(1000, 4000, 2500, 2501)
    # interval 1000..4000 is 3001 ms; two buckets of 1501 ms from 1000
    assert run("bucket(buckets=2)", events, engine) == [
        {"_bucket": "1000", "_count": "2"},  # 1000, 2500
        {"_bucket": "2501", "_count": "2"},  # 2501, 4000
    ]


def test_bucket_min_span_is_a_floor(engine):
    events = stamps(0, 30_000, 90_000)
    assert field("bucket(span=1s, minSpan=1m)", events, engine, "_bucket") == ["0", "60000"]
    # buckets=90 would give 1-second spans; minSpan=1m wins
    assert run("bucket(buckets=90, minSpan=1m)", events, engine) == [
        {"_bucket": "0", "_count": "2"},
        {"_bucket": "60000", "_count": "1"},
    ]


def test_time_chart_automatic_span(engine):
    # one second apart: 1-second buckets
    assert field("timeChart()", stamps(0, 1500), engine, "_bucket") == ["0", "1000"]
    # a whole day: 1s..30s give more than 1,500 buckets, 1m gives 1,440
    rows = run("timeChart()", stamps(0, DAY - 1), engine)
    assert [r["_bucket"] for r in rows] == ["0", str(DAY - 60_000)]


def test_time_chart_unit_conversion(engine):
    events = [{"timestamp": "0", "bytes": "1000"}, {"timestamp": "10", "bytes": "500"}]
    query = 'timeChart(span=1h, function=sum(bytes), unit="bytes/span to Kbytes/day")'
    # 1500 bytes per hour is 36 kilobytes per day
    assert run(query, events, engine) == [{"_bucket": "0", "_sum": "36"}]


def test_bucket_without_function_counts_and_timechart_series_unnamed(engine):
    events = stamps(0, 0, u="x")
    assert run("timeChart(u, span=1m)", events, engine) == run(
        "timeChart(series=u, span=1m, function=count())", events, engine
    )


def test_time_chart_one_unit_converts_every_function(engine):
    events = [{"timestamp": "0", "bytes": "3000"}, {"timestamp": "1", "bytes": "1500"}]
    query = 'timeChart(span=1m, function=[sum(bytes), max(bytes)], unit="bytes to Kbytes")'
    assert run(query, events, engine) == [{"_bucket": "0", "_sum": "4.5", "_max": "3"}]
    per_second = 'timeChart(span=1m, function=sum(bytes), unit="bytes/span to Kbytes/s")'
    # 4500 bytes a minute is 0.075 kilobytes a second
    assert run(per_second, events, engine) == [{"_bucket": "0", "_sum": "0.075"}]


def test_time_chart_unreadable_unit_warns_and_converts_nothing(engine):
    events = [{"timestamp": "0", "bytes": "3000"}]
    bad = 'timeChart(span=1m, function=sum(bytes), unit="bytes per fortnight")'
    assert run(bad, events, engine) == [{"_bucket": "0", "_sum": "3000"}]
    assert "W467" in warnings_of(bad, events, engine)


def test_time_chart_composite_function(engine):
    events = [
        {"timestamp": "0", "u": "a", "x": "1"},
        {"timestamp": "10", "u": "a", "x": "2"},
        {"timestamp": "60000", "u": "b", "x": "5"},
    ]
    query = "timeChart(u, span=1m, function=[max(x), { x > 1 | count(as=big) }])"
    assert run(query, events, engine) == [
        {"_bucket": "0", "u": "a", "_max": "2", "big": "1"},
        {"_bucket": "60000", "u": "b", "_max": "5", "big": "1"},
    ]


def test_format_time_prefixed_offset_timezone(engine):
    query = 'formatTime("%F %H:%M %Z", field=t, timezone="UTC+12:30", as=o)'
    assert field(query, [{"t": str(TUESDAY)}], engine, "o") == ["2023-11-15 10:43 UTC+12:30"]


# --- time: ------------------------------------------------------------------------------------

# 2025-08-27T08:51:51.312Z, the pages' example timestamp, a Wednesday
_T = "1756284711312"


@pytest.mark.parametrize(
    ("function", "output", "expected"),
    [
        ("time:dayOfMonth", "_dayOfMonth", "27"),
        ("time:dayOfWeek", "_dayOfWeek", "3"),
        ("time:dayOfWeekName", "_dayOfWeekName", "Wednesday"),
        ("time:dayOfYear", "_dayOfYear", "239"),
        ("time:hour", "_hour", "8"),
        ("time:millisecond", "_millisecond", "312"),
        ("time:minute", "_minute", "51"),
        ("time:month", "_month", "8"),
        ("time:monthName", "_monthName", "August"),
        ("time:second", "_second", "51"),
        ("time:weekOfYear", "_weekOfYear", "35"),
        ("time:year", "_year", "2025"),
    ],
)
def test_time_parts(engine, function, output, expected):
    assert value(f"{function}()", {"@timestamp": _T}, output, engine) == expected
    assert value(f"x := {function}(ts)", {"ts": _T}, "x", engine) == expected


def test_time_parts_zones(engine):
    event = {"@timestamp": _T}
    assert value('time:hour(timezone="+02:00")', event, "_hour", engine) == "10"
    assert value('time:hour(timezone="America/New_York")', event, "_hour", engine) == "4"
    assert (
        value('time:dayOfWeekName(timezone="-09:00")', event, "_dayOfWeekName", engine) == "Tuesday"
    )
    # the zone in @timezone is used when no timezone is given
    with_zone = event | {"@timezone": "Asia/Tokyo"}
    assert value("time:hour()", with_zone, "_hour", engine) == "17"
    assert value('time:hour(timezone="UTC")', with_zone, "_hour", engine) == "8"


def test_time_parts_falcon_timestamp_and_bad_input(engine):
    # @timestamp falls back to Falcon's timestamp
    assert value("time:year()", {"timestamp": "0"}, "_year", engine) == "1970"
    assert value("time:dayOfWeek()", {"timestamp": "-1"}, "_dayOfWeek", engine) == "3"  # 1969-12-31
    assert match("time:hour(t)", {"t": "soon"}, engine) == {"t": "soon"}
    assert match("time:hour(t)", {"u": _T}, engine) == {"u": _T}
    assert match('time:hour(timezone="Mars/Olympus")', {"@timestamp": _T}, engine) == {
        "@timestamp": _T
    }
    assert warnings('time:hour(timezone="Mars/Olympus")', [{"@timestamp": _T}], engine) == ["W461"]


def test_time_parts_group_by(engine):
    events = [{"@timestamp": str(int(_T) + d * 86_400_000)} for d in range(8)]
    rows = run("dayOfWeek := time:dayOfWeekName() | groupBy(dayOfWeek)", events, engine)
    assert [r["dayOfWeek"] for r in rows] == [
        "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday",
    ]  # fmt: skip
    assert rows[0]["_count"] == "2"


# --- findTimestamp --------------------------------------------------------------------------------


def test_find_timestamp(engine):
    raw = "2017-12-18T20:39:35Z user id=47 logged in"
    out = match("findTimestamp()", {"@rawstring": raw}, engine)
    assert out["@timestamp"] == "1513629575000"
    assert out["@timezone"] == "Z"
    out = match("findTimestamp(field=t)", {"t": "at 2017-12-18 21:39:35.250+01:00 ok"}, engine)
    assert out["@timestamp"] == "1513629575250"
    assert out["@timezone"] == "+01:00"


def test_find_timestamp_zone_from_parameter(engine):
    q = 'findTimestamp(field=t, timezone="UTC", as=when)'
    out = match(q, {"t": "2017/12/18 20:39:35"}, engine)
    assert out["when"] == "1513629575000"
    q = 'findTimestamp(field=t, timezone="Europe/Copenhagen")'
    assert match(q, {"t": "2017-12-18 21:39:35"}, engine)["@timestamp"] == "1513629575000"


def test_find_timestamp_not_found(engine):
    out = match("findTimestamp(field=t)", {"t": "2017-12-18 20:39:35"}, engine)
    assert out["@error"] == "true"  # no zone in the text and none given
    assert "@timestamp" not in out
    assert match("findTimestamp(field=t, addErrors=false)", {"t": "none"}, engine) == {"t": "none"}
    late = "x" * 130 + " 2017-12-18T20:39:35Z"
    assert match("findTimestamp(field=t, addErrors=false)", {"t": late}, engine) == {"t": late}
    bad = "2017-13-45T20:39:35Z"
    assert match("findTimestamp(field=t, addErrors=false)", {"t": bad}, engine) == {"t": bad}
    assert match("findTimestamp(field=t)", {"u": "1"}, engine) == {"u": "1"}


def test_find_timestamp_zone_names_and_offsets_as_format_time_reads_them(engine):
    # one resolver: a zone name in any letter case and an offset with seconds
    # work as they do for formatTime, and give the instant formatTime implies
    back = 'formatTime("%Y-%m-%d %H:%M:%S", field=@timestamp, timezone="{}", as=local)'
    for zone, local, millis, ident in [
        ("europe/london", "2017-07-18 21:39:35", "1500410375000", "Europe/London"),
        ("+05:30:15", "2017-12-18 20:39:35", "1513609760000", "+05:30:15"),
    ]:
        q = f'findTimestamp(field=t, timezone="{zone}") | ' + back.format(zone)
        out = match(q, {"t": f"at {local} ok"}, engine)
        assert out is not None and "@error" not in out
        assert (out["@timestamp"], out["@timezone"], out["local"]) == (millis, ident, local)
        assert warnings(q, [{"t": local}], engine) == []


def test_time_parts_zones_as_format_time_reads_them(engine):
    event = {"@timestamp": _T}
    assert value('time:hour(timezone="europe/london")', event, "_hour", engine) == "9"
    assert value('time:minute(timezone="+05:30:15")', event, "_minute", engine) == "22"
    assert value("time:hour()", event | {"@timezone": "asia/tokyo"}, "_hour", engine) == "17"

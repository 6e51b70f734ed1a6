"""getField, setField, eventSize, eventFieldCount and copyEvent
(functions/fields.py), written from the LogScale function pages with
hand-computed results.  Every test runs on each engine."""

from __future__ import annotations

from .helpers import match, run, value

# --- getField, setField -----------------------------------------------------------------------


def test_get_field(engine):
    # the page's example: quoted reads foo, unquoted reads the field foo names
    events = [{"foo": "bar", "bar": "123"}, {"foo": "quux"}]
    rows = run('result := getField("foo")', events, engine)
    assert [r["result"] for r in rows] == ["bar", "quux"]
    rows = run("result := getField(foo)", events, engine)
    assert rows[0]["result"] == "123"
    assert "result" not in rows[1]
    event = {"time-in-ms": "5", "host-name": "h1"}
    assert value('getField("time-in-ms")', event, "_getField", engine) == "5"
    q = 'host := coalesce([getField("host-name"), hostname, "unknown"])'
    assert value(q, event, "host", engine) == "h1"


def test_set_field(engine):
    # the page's example
    q = (
        'item := 4 | bar := "baz" | setField(target=bar, value=item + 10) '
        '| setField(target="foo", value=item + 20) '
        '| setField(target="baaz", value=if(item == 4, then="OK", else="not OK"))'
    )
    out = match(q, {}, engine)
    assert (out["baz"], out["foo"], out["baaz"]) == ("14", "24", "OK")
    assert match('setField(target="x", value=missing + 1)', {"a": "1"}, engine) == {"a": "1"}
    assert match("setField(target=missing, value=1)", {"a": "1"}, engine) == {"a": "1"}


# --- eventSize, eventFieldCount, copyEvent ---------------------------------------------


def test_event_size_and_field_count(engine):
    event = {"@rawstring": "héllo", "a": "xyz", "#type": "t"}
    out = match("eventSize() | eventFieldCount()", event, engine)
    assert out["_eventSize"] == "9"  # héllo is 6 bytes, xyz 3; the tag is not counted
    assert out["_eventFieldCount"] == "3"  # @rawstring, a, _eventSize
    rows = run("eventSize() | _eventSize > 8", [event, {"@rawstring": "x"}], engine)
    assert len(rows) == 1


def test_copy_event(engine):
    rows = run(
        'copyEvent("arrivaltime") | case { #type=arrivaltime | t := "copy" ; * }',
        [{"a": "1"}],
        engine,
    )
    assert rows == [{"a": "1"}, {"a": "1", "#type": "arrivaltime", "t": "copy"}]

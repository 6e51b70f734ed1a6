"""Functions over the sequence of events: series, session, accumulate,
slidingWindow, slidingTimeWindow, partition, window (used by bucket() and
timeChart(), see time.py), and setTimeInterval, sample and duration.

Sequence functions see events in input order (LogScale requires an
aggregate such as sort() or head() before them to fix that order; offline
the input is read in order).  Decisions (LogScale pages
``functions-<name>.html``; UNCONFIRMED where the page is silent):

``series(collect, separator="\\n", startmatch, endmatch, maxpause, maxduration)``
    Collects events into series, in time order: a series ends before an
    event more than ``maxpause`` after the previous one, or more than
    ``maxduration`` after the series' first, or matching ``startmatch``;
    and after an event matching ``endmatch``.  With ``startmatch``, events
    before the first start event are ignored (page: unlike endmatch,
    startmatch "causes events to be ignored").  Each series gives one row:
    every ``collect`` field's values joined by ``separator`` (events without
    the field add nothing), ``@timestamp`` of its first event and
    ``_duration``, the milliseconds from first to last (UNCONFIRMED).
    ``memlimit`` is accepted; the offline engine holds the whole series.
``session(function=count(as=_count), maxpause=15m)``
    Sessions are events in time order no further than ``maxpause`` apart;
    one row per session, the aggregates over its events (page examples:
    ``groupBy(cookie_id, function=session(maxpause=15m, count(as=clicks)))``).
``accumulate(function, current=include)``
    Each event gains the aggregates over the events up to it (and with
    ``current=exclude`` up to the one before; the first then gains nothing).
``slidingWindow(function, events, current=include)``
    As accumulate over the last ``events`` events.
``slidingTimeWindow(function, span, current=include, timestampfield=@timestamp)``
    As accumulate over the preceding events whose timestamp is within
    ``span`` of the event's (``t - span < t' <= t``); an event without a
    numeric timestamp passes unchanged.
``partition(function, condition, split=before)``
    Splits the sequence into partitions where an event passes the
    ``condition`` sub-query: before it (it opens the next partition) or
    after it (it closes the current one); one row set of ``function`` per
    partition, in order.
``window(function=count(), span | buckets)``
    Only as the function of bucket() or timeChart() (the checker refuses it
    elsewhere, as LogScale does): each bucket's row is the aggregates over
    the events of that bucket and the preceding ones of the same series
    within ``span`` (rounded to whole buckets) or ``buckets`` buckets;
    the first buckets use the buckets there are (UNCONFIRMED).
``setTimeInterval(start, end=now)``
    Keeps the events whose @timestamp is in ``[now - start, now - end)``;
    ``start`` and ``end`` are relative times (``7d``, ``1h``, ``now``) or
    epoch milliseconds.  Events without a timestamp are kept.  Offline
    "now" is the run's clock, so old files fall outside; W490 says how many
    events the interval dropped.
``sample(percentage=1, field=@timestamp)``
    Keeps an event when a hash of its ``field`` value falls in the first
    ``percentage`` percent of the hash range: the same events on every run
    and engine (LogScale's pick is its own, UNCONFIRMED); events without the
    field are dropped (page).
``duration(duration, as=_duration)``
    The milliseconds a relative time spells (``duration(7d)`` is 604800000).
``start(as=_start)``, ``end(as=_end)``
    The search interval's bounds in epoch milliseconds.  An offline run
    searches all of its input, so the interval is all time up to the run:
    ``end()`` is the run's clock (as ``now()``) and ``start()`` is 0, with
    W493 saying so (a LogScale search has the interval of its time picker).
"""

from __future__ import annotations

from collections import deque

from ..lang.durations import parse_duration
from ..lang.events import TIMESTAMP, Event
from ..lang.values import parse_number
from .arrays import run_condition
from .hashing import murmur3_32
from .registry import event_function, stage_function, value_function
from .stages import apply_function, default_count


def _millis(event: Event, field: str = TIMESTAMP) -> int | None:
    number = parse_number(event.get(field))
    return int(number) if number is not None else None


def _by_time(events: list[Event]) -> list[Event]:
    """Events in timestamp order (stable; events without one stay last)."""
    keyed = [(_millis(e), i, e) for i, e in enumerate(events)]
    keyed.sort(key=lambda item: (item[0] is None, item[0] or 0, item[1]))
    return [e for _, _, e in keyed]


@stage_function("series")
def series(rt, call, events):
    maxpause = call.get("maxpause")
    maxduration = call.get("maxduration")
    start, end = call.get("startmatch"), call.get("endmatch")
    rows: list[Event] = []
    current: list[Event] = []
    for event in _by_time(events):
        stamp = _millis(event)
        if current:
            first, last = _millis(current[0]), _millis(current[-1])
            gap = stamp is not None and last is not None and maxpause and stamp - last > maxpause
            long = (
                stamp is not None and first is not None and maxduration
            ) and stamp - first > maxduration
            starts = start is not None and run_condition(rt, start, event) is not None
            if gap or long or starts:
                rows.append(_series_row(call, current))
                current = []
        if not current and start is not None and run_condition(rt, start, event) is None:
            continue  # before a start event: not part of any series
        current.append(event)
        if end is not None and run_condition(rt, end, event) is not None:
            rows.append(_series_row(call, current))
            current = []
    if current:
        rows.append(_series_row(call, current))
    return rows


def _series_row(call, members: list[Event]) -> Event:
    separator = str(call.get("separator"))
    row: dict[str, str] = {}
    for name in call.get("collect"):
        values = [v for e in members if (v := e.get(name)) is not None]
        if values:
            row[name] = separator.join(values)
    first, last = _millis(members[0]), _millis(members[-1])
    if first is not None:
        row[TIMESTAMP] = str(first)
        if last is not None:
            row["_duration"] = str(last - first)
    return Event(row)


def _function(call):
    return call.get("function") if call.given("function") else default_count(call)


@stage_function("session")
def session(rt, call, events):
    maxpause = int(call.get("maxpause"))
    items = _function(call)
    rows: list[Event] = []
    current: list[Event] = []
    previous: int | None = None
    for event in _by_time(events):
        stamp = _millis(event)
        if current and stamp is not None and previous is not None and stamp - previous > maxpause:
            rows.extend(Event(r) for r in apply_function(rt, call, items, current))
            current = []
        current.append(event)
        previous = stamp if stamp is not None else previous
    if current:
        rows.extend(Event(r) for r in apply_function(rt, call, items, current))
    return rows


def _windowed(rt, call, events, window_of) -> list[Event]:
    """Each event with the aggregates over ``window_of(index)``'s events."""
    items = call.get("function")
    include = call.get("current") != "exclude"
    out = []
    for index, event in enumerate(events):
        members = window_of(index)
        if not include:
            members = [e for e in members if e is not event]
        rows = apply_function(rt, call, items, members) if members else []
        out.append(event.with_fields(rows[0]) if rows else event)  # one row at most (page)
    return out


@stage_function("accumulate")
def accumulate(rt, call, events):
    return _windowed(rt, call, events, lambda i: events[: i + 1])


@stage_function("slidingWindow")
def sliding_window(rt, call, events):
    size = int(call.get("events"))
    return _windowed(rt, call, events, lambda i: events[max(0, i + 1 - size) : i + 1])


@stage_function("slidingTimeWindow")
def sliding_time_window(rt, call, events):
    span = int(call.get("span"))
    field = str(call.get("timestampfield"))
    stamps = [_millis(e, field) for e in events]
    window: deque[int] = deque()
    windows: list[list[Event] | None] = []
    for index, stamp in enumerate(stamps):
        if stamp is None:
            windows.append(None)
            continue
        window.append(index)
        while window and (s := stamps[window[0]]) is not None and s <= stamp - span:
            window.popleft()
        windows.append([events[i] for i in window if stamps[i] is not None and stamps[i] <= stamp])
    out = _windowed(rt, call, events, lambda i: windows[i] or [])
    return [events[i] if windows[i] is None else e for i, e in enumerate(out)]


@stage_function("partition")
def partition(rt, call, events):
    items = call.get("function")
    condition = call.get("condition")
    after = call.get("split") == "after"
    parts: list[list[Event]] = [[]]
    for event in events:
        hit = run_condition(rt, condition, event) is not None
        if hit and not after and parts[-1]:
            parts.append([])
        parts[-1].append(event)
        if hit and after:
            parts.append([])
    return [Event(r) for part in parts if part for r in apply_function(rt, call, items, part)]


def window_outputs(rt, call, items, past: list[tuple[int, list[Event]]], span: int) -> list:
    """The row of the last bucket in ``past`` (its series' buckets so far,
    as (start, events)) for bucket()/timeChart() ``items`` holding window()
    calls: a window() aggregates the buckets its span covers, any other
    item the last bucket alone; the first row of each, merged."""
    start, members = past[-1]
    merged: dict[str, str] = {}
    for item in items:
        if getattr(item, "spec", None) is not None and item.spec.name == "window":
            width = _window_buckets(item, span)
            events = [e for s, m in past if s > start - width * span for e in m]
            rows = apply_function(rt, item, _function(item), events)
        else:
            rows = apply_function(rt, call, (item,), members)
        if rows:
            merged.update(rows[0])
    return [merged] if merged else []


def _window_buckets(call, span: int) -> int:
    if call.given("buckets"):
        return max(1, int(call.get("buckets")))
    if call.given("span") and call.get("span"):
        return max(1, round(int(call.get("span")) / span))
    return 1


def _bound(rt, call, name: str, now: int) -> int | None:
    text = str(call.get(name)).strip()
    if text.lower() == "now":
        return None  # no bound: up to the run's time and whatever is later
    number = parse_number(text)
    if isinstance(number, int):
        return number
    millis = parse_duration(text)
    if millis is None:
        rt.warn("W490", f"setTimeInterval(): {name}={text!r} is not a relative time or epoch ms")
        return None
    return now - millis


@stage_function("setTimeInterval")
def set_time_interval(rt, call, events):
    now = rt.now_millis()
    low, high = _bound(rt, call, "start", now), _bound(rt, call, "end", now)
    kept = []
    for event in events:
        stamp = _millis(event)
        if stamp is None or ((low is None or stamp >= low) and (high is None or stamp < high)):
            kept.append(event)
    if len(kept) < len(events):
        rt.warn(
            "W490",
            f"setTimeInterval() kept {len(kept)} of {len(events)} events: the interval is "
            "relative to the time of the run",
        )
    return kept


@event_function("sample")
def sample(rt, call, event):
    value = event.get(str(call.get("field")))
    if value is None:
        return []
    share = murmur3_32(value.encode("utf-8", "surrogatepass")) / 0x1_0000_0000
    return [event] if share * 100 < float(call.get("percentage")) else []


@value_function("duration")
def duration(rt, call, event):
    millis = call.get("duration")
    return None if millis is None else str(millis)


@value_function("start")
def search_start(rt, call, event):
    rt.warn("W493", "start() is 0 offline: a run searches all of its input, not a time window")
    return "0"


@value_function("end")
def search_end(rt, call, event):
    return str(rt.now_millis())

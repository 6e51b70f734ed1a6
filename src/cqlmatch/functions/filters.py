"""Filter functions: in, cidr, regex, wildcard, test, dropEvent, match and
matchAsArray (lookup files) and array:contains.

``match(..., nrows=1)``
    The first matching row in file order (``mode=cidr``: the most specific
    subnet first) joins the event.  With ``nrows=N`` up to N matching rows
    do, each giving its own copy of the event (matchAsArray's page: match()
    creates "new events for each match"); ``nrows=max`` is all of them, at
    most ``EVENTS_PER_EVENT_MAX``.  The nrows details are UNCONFIRMED beyond
    the signature (docs/semantics.md).

``matchAsArray(file|table, field, column, include, ignoreCase, strict,
nrows, asArray=_now)``
    Exact matching (the page: it "only supports exact matching mode") of
    the ``field`` values against the ``column`` values, as match() does;
    every matching row, in file order (at most ``nrows`` of them, its
    worked example: nrows=2 gives "up to two matching rows per event";
    without nrows=, or with nrows=max as match() takes it, all of them),
    becomes element ``i`` of the ``asArray`` array of objects on the same
    event: ``asArray[i].COLUMN`` for each ``include`` column the row has
    (without include=, all its columns, the keys too, as match()).  The
    default ``_now`` is the one the page states.  Old elements of the
    array are removed first (no stale tail).  ``strict`` (default true)
    drops an event that has a key field missing or matches no row; with
    strict=false such an event passes unchanged.
"""

from __future__ import annotations

from itertools import islice

from ..lang.cidr import in_subnets, prefix_length
from ..lang.glob import glob_match
from ..limits import EVENTS_PER_EVENT_MAX
from ..semantics.checked import LIMIT_MAX
from .arrays import array_base, write_array
from .registry import event_function


@event_function("in")
def in_(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return []
    ignore_case = call.get("ignoreCase")
    return [event] if any(glob_match(v, value, ignore_case) for v in call.get("values")) else []


@event_function("cidr")
def cidr(rt, call, event):
    value = event.get(call.get("field"))
    if call.given("file"):
        column = call.get("column") or call.get("field")
        subnets = tuple(row[column] for row in rt.lookup_table(call.get("file")) if column in row)
    else:
        subnets = call.get("subnet") or ()
    hit = value is not None and in_subnets(value, subnets)
    if call.get("negate"):
        hit = value is not None and not hit
    return [event] if hit else []


@event_function("regex")
def regex(rt, call, event):
    pattern, literal_flags = call.get("regex")
    flags = literal_flags + (
        call.get("flags") if call.given("flags") else ("" if literal_flags else "m")
    )
    compiled = rt.regex(pattern, "".join(dict.fromkeys(flags)))
    value = event.get(call.get("field"))
    strict = call.get("strict")
    if value is None:
        return [] if strict else [event]
    if call.get("repeat") or "g" in flags:
        matches = compiled.extract_all(value, call.get("limit"))
        if not matches:
            return [] if strict else [event]
        return [event.with_fields(groups) for groups in matches]
    groups = compiled.extract(value)
    if groups is None:
        return [] if strict else [event]
    return [event.with_fields(groups) if groups else event]


@event_function("wildcard")
def wildcard(rt, call, event):
    pattern = call.get("pattern")
    ignore_case = call.get("ignoreCase")
    fields = call.get("field")
    if fields:
        if pattern == "*" and call.get("includeEverythingOnAsterisk"):
            return [event]
        values = [event.get(f) for f in fields]
        hit = any(v is not None and glob_match(pattern, v, ignore_case) for v in values)
        return [event] if hit else []
    searched = f"*{pattern}*"
    hit = any(glob_match(searched, text, ignore_case) for text in rt.searchable(event))
    return [event] if hit else []


@event_function("test")
def test(rt, call, event):
    return [event] if rt.truth(call.get("expression"), event) else []


@event_function("dropEvent")
def drop_event(rt, call, event):
    return []


def _matching_rows(rt, call, event, mode: str):
    """The key columns and the rows of the lookup table whose columns match
    the event's ``field`` values, lazily in file order; the rows are None
    when the event lacks a key field (match() and matchAsArray())."""
    table = rt.lookup_table(call.get("table") or call.get("file"))
    fields = call.get("field")
    columns = call.get("column") or fields
    if len(columns) != len(fields):
        columns = tuple(columns) + tuple(fields[len(columns) :])
    values = [event.get(f) for f in fields]
    if any(v is None for v in values):
        return columns, None
    ignore_case = call.get("ignoreCase")
    pairs = tuple(zip(columns, values, strict=True))
    rows = (
        row for row in table if all(_lookup_hit(mode, row.get(c), v, ignore_case) for c, v in pairs)
    )
    return columns, rows


@event_function("match")
def match_lookup(rt, call, event):
    mode = call.get("mode")
    columns, hits = _matching_rows(rt, call, event, mode)
    strict = call.get("strict")
    if hits is None:
        return [] if strict else [event]
    nrows = call.get("nrows")
    most = EVENTS_PER_EVENT_MAX if nrows == LIMIT_MAX else int(nrows)
    if mode == "cidr":
        # "the most specific one is selected": the longest prefixes first;
        # among equally specific ones, file order
        found = sorted(hits, key=lambda row: [-prefix_length(row[c]) for c in columns])[:most]
    else:
        found = list(islice(hits, most))
    if not found:
        return [] if strict else [event]
    # without include=, "all columns from the corresponding row", its keys too
    include = call.get("include")
    return [
        event.with_fields({c: row[c] for c in include or tuple(row) if c in row}) for row in found
    ]


@event_function("matchAsArray")
def match_as_array(rt, call, event):
    _, hits = _matching_rows(rt, call, event, "string")
    strict = call.get("strict")
    if hits is None:
        return [] if strict else [event]
    limit = call.get("nrows")
    found = list(hits if limit in (None, LIMIT_MAX) else islice(hits, int(limit)))
    if not found:
        return [] if strict else [event]
    base = array_base(str(call.get("asArray")))
    include = call.get("include")
    out = write_array(event, base, [])  # removes the old elements
    added = {}
    for index, row in enumerate(found):
        for column in include or tuple(row):
            if column in row:
                added[f"{base}[{index}].{column}"] = row[column]
    return [out.with_fields(added)]


def _lookup_hit(mode: str, key: str | None, value: str, ignore_case: bool) -> bool:
    if key is None:
        return False
    if mode == "glob":
        return glob_match(key, value, ignore_case)
    if mode == "cidr":
        return in_subnets(value, (key,))
    return key.casefold() == value.casefold() if ignore_case else key == value


@event_function("array:contains")
def array_contains(rt, call, event):
    name = call.get("array")
    base = name[:-2] if name.endswith("[]") else name
    wanted = call.get("value")
    index = 0
    while True:
        value = event.get(f"{base}[{index}]")
        if value is None:
            return []
        if value == wanted:
            return [event]
        index += 1

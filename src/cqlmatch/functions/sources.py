"""Functions that read other data than the event stream in hand: createEvents,
defineTable, readFile, join and selfJoinFilter.

Offline, a sub-query runs over the same input as the main query (the
"repository" is the input file), so join and defineTable need the whole
input; the interpreter keeps it for them (``rt.source_events()``)."""

from __future__ import annotations

from ..lang.events import Event
from ..limits import GROUP_LIMIT_MAX
from .registry import stage_function


@stage_function("createEvents")
def create_events(rt, call, events):
    """One new event per string, with the string as its @rawstring; the
    incoming events are replaced, as createEvents starts a query."""
    return [Event({"@rawstring": text}, text) for text in call.get("rawstring")]


@stage_function("defineTable")
def define_table(rt, call, events):
    rows = rt.run_pipeline(call.get("query"), rt.source_events())
    include = call.get("include")
    table = []
    for row in rows:
        fields = row.fields
        if include:
            fields = {name: v for name in include if (v := row.get(name)) is not None}
        table.append(dict(fields))
    rt.define_table(call.get("name"), table)
    return events


@stage_function("readFile")
def read_file(rt, call, events):
    """The rows of lookup files or defined tables, as events (they replace
    the incoming events, as readFile starts a query)."""
    include = call.get("include")
    out = []
    for name in call.get("file"):
        for row in rt.lookup_table(name):
            fields = {k: v for k, v in row.items() if not include or k in include}
            out.append(Event(fields))
    limit = call.get("limit")
    return out[:limit] if limit is not None else out


@stage_function("join")
def join(rt, call, events):
    """Events whose ``field`` values equal a sub-query row's ``key`` values,
    with that row's ``include`` fields (all its fields by default) added.
    ``mode=left`` keeps events without a partner.  With several partners the
    last one in input order wins, as ``max=1`` keeps one."""
    fields = call.get("field")
    keys = call.get("key") or fields
    include = call.get("include")
    index: dict[tuple[str, ...], dict[str, str]] = {}
    for row in rt.run_pipeline(call.get("query"), rt.source_events())[: _limit(call)]:
        values = tuple(row.get(k) for k in keys)
        if any(v is None for v in values):
            continue
        added = dict(row.fields)
        if include:
            added = {name: v for name in include if (v := row.get(name)) is not None}
        index[values] = added  # type: ignore[index]
    left = call.get("mode") == "left"
    out = []
    for event in events:
        values = tuple(event.get(f) for f in fields)
        partner = None if any(v is None for v in values) else index.get(values)  # type: ignore[arg-type]
        if partner is not None:
            out.append(event.with_fields(partner))
        elif left:
            out.append(event)
    return out


def _limit(call) -> int:
    limit = call.get("limit")
    return GROUP_LIMIT_MAX if limit == -1 else int(limit)  # limit=max


@stage_function("selfJoinFilter")
def self_join_filter(rt, call, events):
    """Events whose key values have, across the stream, events matching every
    ``where`` filter; the event itself must match one of them.  With
    ``prefilter`` events matching none of the filters are dropped first
    (they cannot pass anyway, so the result is the same)."""
    keys = call.get("field")
    filters = call.get("where")
    seen: dict[tuple[str, ...], set[int]] = {}
    matched: list[tuple[Event, tuple[str, ...] | None, list[int]]] = []
    for event in events:
        values = tuple(event.get(k) for k in keys)
        hits = [i for i, f in enumerate(filters) if rt.run_pipeline(f, [event])]
        if any(v is None for v in values) or not hits:
            continue
        seen.setdefault(values, set()).update(hits)  # type: ignore[arg-type]
        matched.append((event, values, hits))  # type: ignore[arg-type]
    need = set(range(len(filters)))
    return [event for event, values, _ in matched if seen.get(values) == need]  # type: ignore[arg-type]

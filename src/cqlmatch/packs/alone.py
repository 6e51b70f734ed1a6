"""The pack's rules that are not linked, each on its own machine, over a batch of events.

A rule that is not a pure filter (an aggregate, an assignment, a slow path)
runs as it would alone (``run.RuleRun``), but only over the batch's events
its route admits and, when the candidate index is used, that are
candidates for it; events sharing a group set and a route are picked once
for all the rules that share them.  Used by both the per-event path
(``run.batch_hits``) and the column path (``columnar``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ..lang.events import Event
from .routing import route_key


def rules_alone(
    runs: list[Any],
    batch: list[Event],
    lists: list[Any] | None,
    shape_of: list[int] | None,
    orders: Iterable[int],
    whole: Any,
) -> list[tuple[int, int, Any, Event]]:
    """``batch_hits`` for the rules not linked (those at the pack
    positions ``orders``), each on its own machine over
    the events of ``batch`` its route admits and, with ``lists`` (per
    group set, the ascending indexes of the events it is a candidate for)
    and ``shape_of`` (each rule's group set), that are candidates for it:
    ``(event index, pack position, rule run, output event)``, unordered."""
    masks: dict[tuple[str, frozenset[str]], bytearray] = {}
    by_key: dict[str, dict[str, list[int]]] = {}  # route field -> key -> event indexes
    found: list[tuple[int, int, Any, Event]] = []
    where: dict[int, int] | None = None  # id(fields) -> batch index, made when needed
    everything = range(len(batch))
    chosen_events: dict[tuple[int, Any], list[Event]] = {}  # (group set, route) -> events
    chosen_whole: dict[tuple[int, Any], list[Event]] = {}  # the same, decoded whole
    wholes: dict[int, Event | None] = {}  # batch index -> the event decoded whole
    for order in orders:
        run = runs[order]
        shape = -1 if lists is None or shape_of is None else shape_of[order]
        chosen = everything if lists is None else lists[shape]
        if not chosen:
            continue
        route = run.rule.route
        key = (shape, None if route is None else (route.field, route.keys))
        events = chosen_events.get(key)  # type: ignore[arg-type]
        if events is None:
            if route is None:
                events = batch if chosen is everything else [batch[i] for i in chosen]
            else:
                mask = masks.get((route.field, route.keys))
                if mask is None:
                    keyed = by_key.get(route.field)
                    if keyed is None:
                        keyed = by_key[route.field] = _keyed(batch, route.field)
                    mask = masks[route.field, route.keys] = bytearray(len(batch))
                    for name in route.keys:
                        for i in keyed.get(name, ()):
                            mask[i] = 1
                events = [batch[i] for i in chosen if mask[i]]
            chosen_events[key] = events  # type: ignore[index]
        if not events:
            continue
        if where is None:
            where = {id(event.fields): i for i, event in enumerate(batch)}
        if whole is not None and run.needs_whole:
            whole_events = chosen_whole.get(key)  # type: ignore[arg-type]
            if whole_events is None:
                whole_events = []
                for event in events:
                    i = where[id(event.fields)]
                    if i not in wholes:
                        again = wholes[i] = whole(event)
                        if again is not None:
                            where[id(again.fields)] = i
                    if wholes[i] is not None:
                        whole_events.append(wholes[i])  # type: ignore[arg-type]
                chosen_whole[key] = whole_events  # type: ignore[index]
            events = whole_events
            if not events:
                continue
        last = 0
        for out in run.feed(events):
            last = where.get(id(out.origin), last)  # (untraceable: after the one before)
            found.append((last, order, run, out))
    return found


def _keyed(batch: list[Event], field: str) -> dict[str, list[int]]:
    """The indexes of the batch's events by the route key of ``field``."""
    keyed: dict[str, list[int]] = defaultdict(list)
    for i, event in enumerate(batch):
        value = event.get(field)
        if value is not None:
            keyed[route_key(value)].append(i)
    return keyed

"""correlate(): constellations of events from several named queries.

``correlate(a: { query } include: [f, ...], b: { query | x <=> a.y }, ...,
within, sequence=false, root, maxPerRoot=1, jitterTolerance,
globalConstraints=[...], includeMatchesOnceOnly=false)``

The pattern (LogScale page ``functions-correlate.html``): one event per
query, related by the ``<=>`` links of the queries ("an event of type A, an
event of type B ... where the A and B events have the same id1 value"), a
constellation.  Decisions (UNCONFIRMED where the page is silent):

Input
    The events reaching correlate(), read in @timestamp order (stable; an
    event without a numeric timestamp cannot be placed in time and takes part
    in no constellation).  Each query runs on each event as a sub-query: its
    filters select, its transforms (``x := ...``, ``format()``) shape the
    event it contributes.  An event may serve several queries.
Links
    ``x <=> b.y`` in query ``a`` holds when a's event has x equal to b's
    event's y; ``globalConstraints=[f]`` makes every event of the
    constellation share f's value.  A missing field satisfies no link.
Time
    ``within``: the constellation's events lie within that span (latest
    minus earliest); without it, the whole input.  ``sequence=true``: the
    events are in the order the queries are written (equal timestamps
    allowed), an event at most ``jitterTolerance`` earlier than its
    predecessor still counting as after it.
Roots
    Constellations are searched from each event of the ``root`` query
    (default: the first query) in time order; each root event gives at most
    ``maxPerRoot`` constellations, the earliest partners first.  With
    ``includeMatchesOnceOnly``, an event takes part in one constellation at
    most.
Output
    One event per constellation, in the order of their root events: for
    each query ``q``, ``q.<field>`` for its ``include`` fields (all its
    fields without ``include``) and always ``q.@timestamp``; the event's own
    ``@timestamp`` is the earliest of the constellation.
Bounds
    Each query keeps at most CORRELATE_CANDIDATES_MAX candidate events (the
    rest are dropped with W491) and the search tries at most
    CORRELATE_STEPS_MAX partial constellations (then stops with W492): the
    stage's memory and time are bounded whatever the input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..lang.events import TIMESTAMP, Event
from ..lang.values import parse_number
from ..limits import CORRELATE_CANDIDATES_MAX, CORRELATE_STEPS_MAX
from ..syntax import ast as A
from .registry import stage_function


@dataclass
class _Query:
    name: str
    pipeline: A.Pipeline  # the query without its links
    include: tuple[str, ...] | None
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (own field, query, field)
    candidates: list[tuple[int, int, Event]] = field(default_factory=list)  # (time, seq, event)


def _split_links(query: A.Pipeline) -> tuple[A.Pipeline, list[tuple[str, str, str]]]:
    links: list[tuple[str, str, str]] = []
    stages: list[A.Node] = []

    def is_link(node: A.Node) -> bool:
        if isinstance(node, A.FieldFilter) and node.op == "<=>":
            other, _, name = str(getattr(node.value, "text", "")).partition(".")
            links.append((node.field, other, name))
            return True
        return False

    for stage in query.stages:
        if is_link(stage):
            continue
        if isinstance(stage, A.And):
            kept = tuple(item for item in stage.items if not is_link(item))
            if not kept:
                continue
            stage = kept[0] if len(kept) == 1 else A.And(kept, span=stage.span)
        stages.append(stage)
    return A.Pipeline(tuple(stages), span=query.span), links


def _millis(event: Event) -> int | None:
    number = parse_number(event.get(TIMESTAMP))
    return int(number) if number is not None else None


class _Search:
    def __init__(self, rt, call, queries: list[_Query]) -> None:
        self.rt = rt
        self.queries = queries
        self.index = {q.name: i for i, q in enumerate(queries)}
        self.within = call.get("within")
        self.sequence = bool(call.get("sequence"))
        self.jitter = int(call.get("jitterTolerance") or 0)
        self.globals = tuple(call.get("globalConstraints") or ())
        self.once = bool(call.get("includeMatchesOnceOnly"))
        self.per_root = max(1, int(call.get("maxPerRoot")))
        self.steps = 0
        self.used: set[int] = set()
        # links seen from both sides: for query i, (own field, other index, other field)
        self.checks: list[list[tuple[str, int, str]]] = [[] for _ in queries]
        for i, q in enumerate(queries):
            for own, other, theirs in q.links:
                j = self.index[other]
                self.checks[i].append((own, j, theirs))
                self.checks[j].append((theirs, i, own))

    def order(self, root: int) -> list[int]:
        """Queries in search order: the root, then each query linked to one
        already placed (so candidates are checked against links early)."""
        placed = [root]
        rest = [i for i in range(len(self.queries)) if i != root]
        while rest:
            linked = [i for i in rest if any(j in placed for _, j, _ in self.checks[i])]
            nxt = linked[0] if linked else rest[0]
            placed.append(nxt)
            rest.remove(nxt)
        return placed

    def fits(self, i: int, cand: tuple[int, int, Event], chosen: dict) -> bool:
        stamp, seq, event = cand
        if self.once and seq in self.used:
            return False
        for own, j, theirs in self.checks[i]:
            if j in chosen:
                mine, other = event.get(own), chosen[j][2].get(theirs)
                if mine is None or other is None or mine != other:
                    return False
        if chosen:
            first = next(iter(chosen.values()))[2]
            for name in self.globals:
                value = event.get(name)
                if value is None or value != first.get(name):
                    return False
            if self.within is not None:
                times = [c[0] for c in chosen.values()] + [stamp]
                if max(times) - min(times) > self.within:
                    return False
            if self.sequence:
                for j, other in chosen.items():
                    if j < i and stamp + self.jitter < other[0]:
                        return False
                    if j > i and other[0] + self.jitter < stamp:
                        return False
        elif self.globals and any(event.get(name) is None for name in self.globals):
            return False
        return True

    def find(self, order: list[int], chosen: dict, out: list, limit: int) -> bool:
        """Depth-first: fill ``chosen`` along ``order``; False once the step
        budget is spent."""
        if len(out) >= limit:
            return True
        if len(chosen) == len(order):
            out.append(dict(chosen))
            return True
        i = order[len(chosen)]
        for cand in self.queries[i].candidates:
            self.steps += 1
            if self.steps > CORRELATE_STEPS_MAX:
                return False
            if self.fits(i, cand, chosen):
                chosen[i] = cand
                going = self.find(order, chosen, out, limit)
                del chosen[i]
                if not going:
                    return False
                if len(out) >= limit:
                    return True
        return True


@stage_function("correlate")
def correlate(rt, call, events):
    queries = []
    for name, pipeline, include in call.get("queries"):
        stripped, links = _split_links(pipeline)
        queries.append(_Query(name, stripped, include, links))
    timed = sorted(
        ((m, i, e) for i, e in enumerate(events) if (m := _millis(e)) is not None),
        key=lambda item: (item[0], item[1]),
    )
    dropped = 0
    for stamp, seq, event in timed:
        for q in queries:
            for out in rt.run_pipeline(q.pipeline, [event])[:1]:
                if len(q.candidates) >= CORRELATE_CANDIDATES_MAX:
                    dropped += 1
                    continue
                q.candidates.append((stamp, seq, out))
    if dropped:
        rt.warn(
            "W491",
            f"correlate(): {dropped} matching event(s) past the limit of "
            f"{CORRELATE_CANDIDATES_MAX} per query were left out",
        )
    search = _Search(rt, call, queries)
    root_name = call.get("root")
    root = search.index[str(root_name)] if root_name else 0
    order = search.order(root)
    rows = []
    for cand in list(queries[root].candidates):
        found: list[dict] = []
        complete = search.find(order, {root: cand}, found, search.per_root)
        for chosen in found:
            if search.once:
                seqs = {c[1] for c in chosen.values()}
                if seqs & search.used:
                    continue
                search.used |= seqs
            rows.append(_row(queries, chosen))
        if not complete:
            rt.warn(
                "W492",
                f"correlate(): the search stopped after {CORRELATE_STEPS_MAX} steps; "
                "narrow the queries or add within=",
            )
            break
    return rows


def _row(queries: list[_Query], chosen: dict) -> Event:
    fields: dict[str, str] = {}
    for i, q in enumerate(queries):
        stamp, _, event = chosen[i]
        names = q.include if q.include is not None else tuple(event.fields)
        for name in names:
            value = event.get(name)
            if value is not None:
                fields[f"{q.name}.{name}"] = value
        fields[f"{q.name}.{TIMESTAMP}"] = str(stamp)
    fields[TIMESTAMP] = str(min(c[0] for c in chosen.values()))
    return Event(fields)

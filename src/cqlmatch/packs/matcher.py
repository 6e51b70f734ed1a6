"""A pack embedded in a program that already has events: ``PackMatcher``.

It offers what ``cqlmatch.Matcher`` offers for one query, for all of a
pack's rules at once (``cqlmatch.Matcher(pack)`` and ``pack.matcher()``
make one):

* ``match(event)``: the event's hits, a list (empty when no rule keeps it);
  ``match_many(events)``: one such list per event, run batch by batch.
* ``feed(chunk)`` / ``flush()``: NDJSON split anywhere; the hits of the
  complete lines, malformed lines counted (``malformed``) and passed to
  ``on_malformed``; ``feed_raw``/``flush_raw`` give ``(line, input fields,
  output event)`` triples for writers that splice fields into the line
  (``cqlmatch stream --pack``).
* ``results(reset=False)``: the rows of the aggregating rules over the
  events so far (with ``aggregate=True``).

A hit is the event as its rule leaves it, with ``rule.id``, ``rule.name``,
``rule.severity`` and ``rule.tags``; an event two rules keep has two hits.
Rules run as in ``Pack.run`` (routing, each rule on the VM).  One thread at
a time: calls take a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from ..ingest.decode import Decoder
from ..ingest.lines import Block, LineSplitter, MalformedLine, Overlong, strip_bom
from ..ingest.prefilter import LineFilter, Prefilter
from ..lang.events import Event, Fields, flatten, rawstring_of
from ..limits import MALFORMED_KEPT, MAX_LINE_BYTES
from .rules import PackRule
from .run import BATCH, RuleRun, RuleStats, batch_hits, candidate_index, shared_prefilter

_NL = b"\n"


class PackMatcher:
    """See the module docstring."""

    def __init__(
        self,
        rules: list[PackRule],
        *,
        aggregate: bool = True,
        prefilter: bool = False,
        max_line_bytes: int = MAX_LINE_BYTES,
        on_malformed: Callable[[MalformedLine], None] | None = None,
    ) -> None:
        if max_line_bytes < 1:
            raise ValueError(f"max_line_bytes must be at least 1, not {max_line_bytes}")
        whole = [rule.id for rule in rules if rule.plan.reads_source]
        if whole:
            raise ValueError(
                "rules with join() or defineTable() read their whole input again and "
                f"cannot run on events as they come: {', '.join(whole)} (disable them)"
            )
        self.rule_stats = {rule.id: RuleStats() for rule in rules}
        self._runs = [
            RuleRun(rule, self.rule_stats[rule.id], aggregate, own=True) for rule in rules
        ]
        self.aggregating = aggregate and any(not run.per_event for run in self._runs)
        self.max_line_bytes = max_line_bytes
        self.on_malformed = on_malformed
        self._index = candidate_index(rules)
        self._prefilter: LineFilter = shared_prefilter(self._index, prefilter) or Prefilter(())
        self._splitter = LineSplitter(max_line_bytes)
        self._decoder = Decoder((), need_all=True)
        self._lock = threading.Lock()
        self.kept = 0  # hits of per-event rules so far
        self.malformed: list[MalformedLine] = []
        self.malformed_count = 0

    @property
    def lines(self) -> int:
        """Complete lines fed so far."""
        return self._splitter.lines

    @property
    def warnings(self) -> dict[str, list[tuple[str, str]]]:
        """Each rule's run-time warnings so far, by id."""
        return {run.rule.id: run.warnings for run in self._runs}

    # --- events the caller has -------------------------------------------------------

    def match(self, event: Mapping[str, Any]) -> list[dict[str, str]]:
        return self.match_many([event])[0]

    def match_many(self, events: Iterable[Mapping[str, Any]]) -> Iterator[list[dict[str, str]]]:
        items = iter(events)
        while batch := list(islice(items, BATCH)):
            sources = []
            for item in batch:
                fields = flatten(item)
                sources.append(Event(fields, fields.get("@rawstring") or rawstring_of(item)))
            hits: list[list[dict[str, str]]] = [[] for _ in sources]
            for index, _run, out in self._run(sources):
                hits[index].append(out.fields)
            yield from hits

    def _run(self, sources: list[Event]) -> list[tuple[int, RuleRun, Event]]:
        """Every hit of ``sources``, each output carrying its rule's fields."""
        with self._lock:
            found = batch_hits(self._runs, sources, self._index)
            self.kept += len(found)
        return [(index, run, out.with_fields(run.fields)) for index, run, out in found]

    # --- NDJSON chunks ---------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[dict[str, str]]:
        return [out.fields for _line, _fields, out in self.feed_raw(data)]

    def flush(self) -> list[dict[str, str]]:
        return [out.fields for _line, _fields, out in self.flush_raw()]

    close = flush

    def feed_raw(self, data: bytes | bytearray | memoryview) -> list[tuple[bytes, Fields, Event]]:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"feed() takes bytes, not {type(data).__name__}")
        with self._lock:
            blocks = self._splitter.push_numbered(bytes(data))
        return self._blocks(blocks)

    def flush_raw(self) -> list[tuple[bytes, Fields, Event]]:
        with self._lock:
            blocks = self._splitter.finish_numbered()
        return self._blocks(blocks)

    def _blocks(self, blocks: list[tuple[Block, int]]) -> list[tuple[bytes, Fields, Event]]:
        hits: list[tuple[bytes, Fields, Event]] = []
        for block, number in blocks:
            if isinstance(block, Overlong):
                self._bad(block.malformed(number))
                continue
            lines, sources = self._decoded(block, number)
            for index, _run, out in self._run(sources):
                hits.append((lines[index], sources[index].fields, out))
        return hits

    def _decoded(self, block: bytes, number: int) -> tuple[list[bytes], list[Event]]:
        """The decoded events of ``block`` (its first line is ``number``) that
        the prefilter keeps, with their lines; malformed ones reported."""
        if number == 1:
            block, bom_only = strip_bom(block)
            if bom_only:
                self._bad(MalformedLine(1, "only a byte-order mark"))
        lines: list[bytes] = []
        sources: list[Event] = []
        line_number, previous = number, 0
        for start, end in self._prefilter.scan_counted(block)[0]:
            line_number += block.count(_NL, previous, start)
            previous = start
            line = block[start:end]
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line or line.isspace():
                continue
            if len(line) > self.max_line_bytes:
                self._bad(Overlong(len(line)).malformed(line_number))
                continue
            decoded = self._decoder.decode(line, line_number)
            if type(decoded) is not Event:
                self._bad(decoded)
                continue
            lines.append(line)
            sources.append(decoded)
        return lines, sources

    def _bad(self, malformed: MalformedLine) -> None:
        self.malformed_count += 1
        if len(self.malformed) < MALFORMED_KEPT:
            self.malformed.append(malformed)
        if self.on_malformed is not None:
            self.on_malformed(malformed)

    # --- aggregates --------------------------------------------------------------------

    def results(self, reset: bool = False) -> list[dict[str, str]]:
        """The aggregating rules' rows over the events so far, in rule order
        (``reset``: and start again)."""
        with self._lock:
            rows: list[dict[str, str]] = []
            for run in self._runs:
                rows.extend(run.finish(None, reset))
            return rows

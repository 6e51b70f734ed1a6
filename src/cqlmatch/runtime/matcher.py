"""Embedding: a ``Matcher`` made once from a query and called per event.

    m = cqlmatch.Matcher(open("rules/t1546_016.cql").read())
    m.match(event_dict)            # the event plus the fields the rule assigned, or None
    m.match_many(dicts)            # one result per input, computed in batches
    m.feed(ndjson_bytes)           # raw NDJSON chunks split anywhere; kept events
    m.flush()                      # the final line when the input does not end in LF
    m.results()                    # aggregate rows over everything seen so far

What a kept event looks like
    The input event as given (a shallow copy: key order, nesting and JSON
    types kept) with every field the per-event stages assigned or changed
    set under its LogScale name (a string), and every field they removed
    deleted, from nested objects too (``_edited``).  A shipper forwards the whole event, so this is what
    ``cqlmatch stream`` writes too.  ``CompiledQuery.match`` gives the other
    view: the flat LogScale field set the pipeline leaves.

Per-event cost
    When the compiled program reads fields only through its slots (no
    instruction takes a syntax node, so no slow path runs the reference
    semantics on the whole event) and no aggregate stage past a native
    ``groupBy`` reads events, a plain ``dict`` is not converted at all:
    ``match`` is then the C method of a ``_vm.DictMatcher`` (set on the
    instance), whose VM reads each field the code reaches straight from the
    dict when it first needs it (one lookup for a top-level name, a walk
    through nested dicts and lists for ``a.b`` or ``a[0]``, then the
    ``#tag``/``@timestamp`` fallback; ``@rawstring``, when absent, is the
    event's compact JSON, made only if read), and makes a str only of a
    value that is not one (``null`` -> ``"null"``, numbers as JSON writes
    them).  So an event the first test rejects costs a lookup or two, and a
    value JSON cannot hold (a NaN, bytes) raises ``ValueError`` only when
    the code reads it.  ``match_many`` runs each batch through the same C
    loop.  (Keys are looked up as str: JSON objects have no others.)
    Another kind of mapping is converted first: only the program's fields
    and their fallbacks, or the whole event when a name is dotted.  NDJSON
    chunks go the way of a file: the complete lines of each are scanned in
    place by the raw prefilter (which counts them too), the program's fields
    of the lines it keeps are extracted into columns (``ingest.columns``),
    the VM picks from those the lines the query keeps
    (``Machine.accepted_rows``), and only those are decoded: ``feed``
    decodes each whole once and matches the dict in place, ``feed_raw``
    decodes its fields (``ingest.Decoder``) for its triples.  Lines the
    column decoder declines are decoded that way one by one.  Otherwise
    every event is flattened whole, as ``CompiledQuery.run`` does.

Aggregates
    For a query with aggregate stages every event the per-event part keeps
    is folded in as it passes.  A native ``groupBy`` (``Program.group``) is
    folded into the VM's own ``GroupTable`` (``Machine.fold``), the table
    ``CompiledQuery.run`` and the worker processes fill, so memory is bounded
    by its group limit and the rows are the VM's by construction.
    A group's ``sum``/``avg`` is an exact sum in a few numbers
    (``lang.exactsum``), so the table stays bounded however long it lives.
    ``results()`` turns the table
    into rows and runs the stages after ``groupBy`` (``VMEngine.finish``).  Any other aggregate stage
    (``count()``, ``sort``, ``head``, ...) needs the events themselves: they
    are kept, unbounded, until ``results(reset=True)``.

Threads
    One ``Matcher`` may be shared by any number of threads.  Each thread gets
    its own engine (kept per OS thread: ``_PerThread``).  Today one ``Machine`` does serve
    several threads (its regex-set cache is written only with the GIL held,
    and ``tests/test_vm.py`` checks it), but that is a property of the
    current VM, which is being rewritten, not a documented contract, it
    would not hold on a free-threaded Python, and the interpreter serving
    the VM's slow paths keeps run state of its own.  An engine per thread
    removes the question at a small cost: the program is compiled once and
    shared, only the RE2 sets are built again per thread (a few milliseconds
    for the seed rule).  The carried partial line of ``feed``, the line
    counter, the malformed-line list and the aggregate states are guarded by
    locks; ``feed`` treats everything fed, in call order, as one stream, so
    threads that each read their own stream should feed whole lines or use
    a ``Matcher`` each.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

import msgspec

from .._scan import scan as _c_scan
from .._vm import DictMatcher
from ..bytecode.program import Program
from ..ingest.columns import ColumnDecoder, unpack_spans
from ..ingest.decode import Decoder
from ..ingest.lines import BOM, Block, LineSplitter, MalformedLine, Overlong, strip_bom
from ..ingest.prefilter import Prefilter
from ..lang.events import Event, Fields, _scalar, flatten, rawstring_of
from ..limits import MALFORMED_KEPT, MAX_LINE_BYTES
from ..semantics.lookups import Table
from ..semantics.tags import TagWatch, prefilter_sound
from .query import ENGINES, CompiledQuery, compile as compile_query

__all__ = ["Matcher"]

_NL = b"\n"
_MISSING = object()
_decode_json = msgspec.json.Decoder().decode
_NO_ESCAPES = bytes(65536)  # the C scan's escape table when no literal is looked for

# A block as feed() scanned it: the block (or Overlong), the number of its
# first line, the packed spans of the lines to decode, whether line 1 was
# only a byte-order mark, and where in the block its lines start.
_Scanned = tuple[Block, int, bytes, bool, int]


def _assigned(in_fields: Fields, out_fields: Fields) -> tuple[dict[str, str], list[str]]:
    """The fields the pipeline set or changed, and those it removed."""
    changed = {}
    added = 0
    get = in_fields.get
    for name, value in out_fields.items():
        before = get(name, _MISSING)
        if before is _MISSING:
            added += 1
            changed[name] = value
        elif before != value:
            changed[name] = value
    removed: list[str] = []
    if len(in_fields) + added != len(out_fields):
        removed = [name for name in in_fields if name not in out_fields]
    return changed, removed


def _merged(event: Mapping[str, Any], in_fields: Fields, out_fields: Fields) -> dict[str, Any]:
    """The output event: the input with the pipeline's changes (``_edited``)."""
    if out_fields is in_fields:
        return dict(event)
    changed, removed = _assigned(in_fields, out_fields)
    return _edited(event, in_fields, changed, removed)


def _edited(
    event: Mapping[str, Any], in_fields: Fields, changed: dict[str, str], removed: list[str]
) -> dict[str, Any]:
    """``event`` (not changed itself) with ``changed`` and ``removed`` applied.

    Fields have flat LogScale names (``x.secret``, ``y[0]``), the event has
    nested objects.  A removed field is removed wherever the event has it: as
    a top-level key and inside nested objects and arrays (an object left
    empty by removals is removed too; a removed array element becomes null,
    so the others keep their positions, and an array left with nothing is
    removed).  A changed field the input has nested is changed in place; a
    new field is added under its flat name.  Only the objects on the way to
    a changed or removed field are copied."""
    result = dict(event)
    nested: dict[str, str | None] = {}  # flat name -> new value (None: removed)
    for name, value in changed.items():
        if name in in_fields and name not in event:
            nested[name] = value
        else:
            result[name] = value
    for name in removed:
        result.pop(name, None)
        nested[name] = None
    if not nested:
        return result
    # Every flat name a field inside a nested value could have on the way
    # to one of the names, so only those values are walked.
    prefixes: set[str] = set()
    for name in nested:
        for index, char in enumerate(name):
            if char in ".[":
                prefixes.add(name[:index])
    done: set[str] = set()
    for key in [k for k in result if isinstance(k, str) and k in prefixes]:
        value = _edit(result[key], key, nested, prefixes, done)
        if value is _GONE:
            del result[key]
        else:
            result[key] = value
    for name, new in nested.items():
        if new is not None and name not in done:  # not found nested after all
            result[name] = new
    return result


_GONE = object()


def _edit(
    value: Any, name: str, nested: dict[str, str | None], prefixes: set[str], done: set[str]
) -> Any:
    """``value`` (the field or object named ``name``) with the changes in
    ``nested`` made (their names added to ``done``), or ``_GONE`` when
    nothing of it is left."""
    if isinstance(value, Mapping):
        if name not in prefixes or not value:
            return value
        obj = {}
        for key, item in value.items():
            new = _edit(item, f"{name}.{key}", nested, prefixes, done)
            if new is not _GONE:
                obj[key] = new
        return obj or _GONE
    if isinstance(value, list | tuple):
        if name not in prefixes or not value:
            return value
        items = [
            _edit(item, f"{name}[{i}]", nested, prefixes, done) for i, item in enumerate(value)
        ]
        if all(item is _GONE for item in items):
            return _GONE
        return [None if item is _GONE else item for item in items]
    if name in nested:
        done.add(name)
        new = nested[name]
        return _GONE if new is None else new
    return value


class _PerThread:
    """Attributes per OS thread (the engine, the decoder), kept as long as
    the thread lives.  Not ``threading.local``: a C host that gives every
    call a fresh Python thread state (syslog-ng's Python parser does) would
    find it empty each time and build an engine per event.  At most
    ``_THREADS_KEPT`` threads are remembered; past that the oldest is
    forgotten (and rebuilds its engine on its next call)."""

    __slots__ = ("_threads",)
    _THREADS_KEPT = 256

    def __init__(self) -> None:
        object.__setattr__(self, "_threads", {})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._threads[threading.get_ident()][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        threads = self._threads
        mine = threads.get(threading.get_ident())
        if mine is None:
            if len(threads) >= self._THREADS_KEPT:
                threads.pop(next(iter(threads), None), None)
            mine = threads[threading.get_ident()] = {}
        mine[name] = value


class Matcher:
    """One query, compiled once, matched against events from any number of
    threads; see the module docstring for outputs, aggregates and threads."""

    def __new__(cls, query: Any = None, *args: Any, **kwargs: Any) -> Any:
        """``Matcher(pack)`` with a rule pack (``cqlmatch.compile_pack``)
        gives the pack's matcher (``packs.matcher.PackMatcher``), which runs
        all its rules at once."""
        make = getattr(query, "new_matcher", None)
        if make is not None:
            return make(*args, **kwargs)
        return super().__new__(cls)

    def __init__(
        self,
        query: str | CompiledQuery,
        *,
        params: Mapping[str, str] | None = None,
        lookups: Mapping[str, str | Path | Table] | None = None,
        lookup_dir: str | Path | None = None,
        engine: str = "vm",
        prefilter: bool = True,
        aggregate: bool = True,
        batch_size: int = 1024,
        max_line_bytes: int = MAX_LINE_BYTES,
        on_malformed: Callable[[MalformedLine], None] | None = None,
        tags: Mapping[str, str] | Iterable[str] | None = None,
        default_tags: bool = True,
    ) -> None:
        """``query``: CQL text (compiled with ``params``, ``lookups`` and
        ``lookup_dir``, as ``cqlmatch.compile`` does) or a
        ``CompiledQuery``.  ``aggregate=False`` skips the aggregate stages
        (``results()`` then refuses), for callers that only classify.
        ``on_malformed`` is called with each malformed line as it is found.
        ``tags``: the tags of the source the events come from, over the
        Falcon sensor defaults unless not ``default_tags``
        (``CompiledQuery.run``; docs/semantics.md, "Tags of the source")."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
        if isinstance(query, CompiledQuery):
            if params or lookups or lookup_dir is not None:
                raise ValueError(
                    "params, lookups and lookup_dir are given to compile(), not with a query"
                )
            compiled = query
        elif isinstance(query, str):
            compiled = compile_query(query, params=params, lookups=lookups, lookup_dir=lookup_dir)
        else:
            raise TypeError(
                f"query must be CQL text or a CompiledQuery, not {type(query).__name__}"
            )
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if max_line_bytes < 1:
            raise ValueError("max_line_bytes must be at least 1")
        plan = compiled.plan
        if plan.reads_source:
            raise ValueError(
                "join() and defineTable() read the whole input at once: "
                "use cqlmatch.compile(text).run(events) for this query"
            )
        self.query = compiled
        self.engine = engine
        self.batch_size = batch_size
        self.max_line_bytes = max_line_bytes
        self.on_malformed = on_malformed
        self.program: Program = compiled.program
        self.tags: dict[str, str] = compiled.run_tags(None, tags, default_tags)
        self._watch = TagWatch(compiled.tree, self.tags)  # (W470 in ``warnings``)
        self._local = _PerThread()
        self._warnings: list[tuple[str, str]] = []

        # Which part of each event must be converted (module docstring, "Per-event cost").
        self.has_aggregates = plan.aggregating
        self.aggregating = plan.aggregating and aggregate
        vm = engine == "vm"
        restricted = vm and not plan.decode_all_per_event(aggregate)
        self._names = plan.field_names
        self._line_restricted = restricted
        self._dict_restricted = restricted and not any("." in n or "[" in n for n in self._names)
        self._needs_raw = not restricted or plan.reads_rawstring
        sound = prefilter_sound(compiled.tree, self.tags)
        self._prefilter = Prefilter(self.program.prefilter if prefilter and sound else ())
        self._scanning = self._prefilter.active
        self._decoder_fields = self.program.fields if restricted else ()

        # Aggregation state: the VM's group table, or the kept events.
        self._agg_lock = threading.Lock()
        self._grouped = vm and plan.grouped
        first = self._engine()
        self._table = self._new_table(first)
        self._buffer: list[Event] = []

        # Plain dicts: the VM reads the program's fields from them in place
        # (while a filtered tag is watched for W470, through ``_watched_match``).
        self._dicts: DictMatcher | None = None
        if restricted:
            self._dicts = DictMatcher(
                self._machine,
                self._match_python,
                self._match_item,
                _edited,
                self._agg_lock,
                self._table if self.aggregating else None,
            )
            self.match = self._dicts.match  # type: ignore[method-assign]
            if self._watch.names:
                self.match = self._watched_match  # type: ignore[method-assign]

        # feed(): one line splitter, the line counter.
        self._feed_lock = threading.Lock()
        self._splitter = LineSplitter(max_line_bytes)
        self._next_line = 1  # the number of the next complete line
        self._items = 0  # match_many() items so far, to number malformed ones
        self._malformed_lock = threading.Lock()
        self.malformed: list[MalformedLine] = []
        self.malformed_count = 0
        self._kept_count = 0  # events kept outside the DictMatcher

    # --- engines ---------------------------------------------------------------------------

    def _new_table(self, engine: Any) -> Any:
        """The group table events fold into (None without a native groupBy)."""
        return engine.new_table() if self._grouped else None

    def _engine(self) -> Any:
        """This thread's engine (made on first use; the program is shared)."""
        try:
            return self._local.engine
        except AttributeError:
            engine = self._local.engine = self.query.new_engine(self.engine, self.tags)
            engine.warnings = self._warnings  # one list for every thread's engine
            return engine

    def _machine(self) -> Any:
        """This thread's VM (for the DictMatcher, which asks once per thread)."""
        return self._engine().machine

    def _warn(self, code: str, message: str) -> None:
        if (code, message) not in self._warnings:
            self._warnings.append((code, message))

    @property
    def kept(self) -> int:
        """Events the per-event part kept so far (all entry points)."""
        extra = self._dicts.kept if self._dicts is not None else 0
        return self._kept_count + extra

    @property
    def lines(self) -> int:
        """Complete lines fed so far."""
        return self._next_line - 1

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """Run-time warnings so far ``(code, message)`` (``W401``: a group
        limit was reached; ``W470``: no event so far carried a tag the
        query filters on, and the source has no such tag)."""
        return list(dict.fromkeys(self._warnings + self._watch.warnings()))

    # --- events given as dicts -------------------------------------------------------------

    def _event(self, item: Mapping[str, Any]) -> Event:
        """The engine's view of ``item``; raises TypeError or ValueError when
        it is not a JSON object (a NaN/Infinity float in a value read
        counts: ``events`` module docstring)."""
        if self._dict_restricted:
            fields: Fields = {}
            get = item.get
            for name in self._names:
                value = get(name, _MISSING)
                if value is _MISSING:
                    continue
                if type(value) is str:
                    fields[name] = value
                elif not isinstance(value, Mapping | list | tuple):
                    fields[name] = _scalar(value)
                # an object or array value only has dotted names, which no slot reads
            raw = None
            if self._needs_raw:
                raw = fields.get("@rawstring") or rawstring_of(item)
            return Event(fields, raw)
        fields = flatten(item)
        return Event(fields, fields.get("@rawstring") or rawstring_of(item))

    def match(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """The event plus the fields the per-event stages assigned, or None
        when the query drops it.  Raises ``TypeError``/``ValueError`` when
        ``event`` is not a JSON object (a mapping of JSON values).

        When the program runs natively (module docstring, "Per-event
        cost"), the instance's ``match`` is its ``DictMatcher``'s, which
        reads a plain ``dict`` in place and hands anything else here."""
        return self._match_python(event)

    def _match_python(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """``match`` with the event converted first (``_event``)."""
        if not isinstance(event, Mapping):
            raise TypeError(f"an event is a mapping, not {type(event).__name__}")
        try:
            source = self._event(event)
        except (TypeError, ValueError, RecursionError) as err:
            raise ValueError(f"not a JSON object: {_reason(err)}") from None
        self._watch.see([source])
        out = self._engine().match(source)
        if out is None:
            return None
        self._kept([out])
        return _merged(event, source.fields, out.fields)

    def _watched_match(self, event: Mapping[str, Any]) -> dict[str, Any] | None:
        """``match`` in place (``DictMatcher``), noting first the tags the
        query filters on that ``event`` carries (W470)."""
        self._watch.see_mappings((event,))
        return self._dicts.match(event)  # type: ignore[union-attr]

    def match_many(self, events: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any] | None]:
        """``match`` over ``events``, one result per item in order (None when
        dropped), computed ``batch_size`` at a time.  An item that is not a
        JSON object yields None and is recorded in ``malformed`` under its
        position (counted from 1 over all calls)."""
        items = iter(events)
        while batch := list(islice(items, self.batch_size)):
            yield from self._match_batch(batch)

    def _match_batch(self, batch: list[Any]) -> list[dict[str, Any] | None]:
        with self._feed_lock:
            base = self._items
            self._items += len(batch)
        if self._dicts is not None:
            errors: list[tuple[int, str]] = []
            self._watch.see_mappings(batch)
            results = self._dicts.match_list(batch, errors)
            for index, reason in errors:
                self._bad(MalformedLine(base + index + 1, reason))
            return results
        sources: list[Event] = []
        positions: list[int] = []
        for index, item in enumerate(batch):
            if not isinstance(item, Mapping):
                self._bad(
                    MalformedLine(base + index + 1, f"not a mapping but {type(item).__name__}")
                )
                continue
            try:
                sources.append(self._event(item))
            except (TypeError, ValueError, RecursionError) as err:
                self._bad(MalformedLine(base + index + 1, _reason(err)))
                continue
            positions.append(index)
        outs = self._run(sources)
        self._kept([out for out in outs if out is not None])
        results: list[dict[str, Any] | None] = [None] * len(batch)
        for index, source, out in zip(positions, sources, outs, strict=True):
            if out is not None:
                results[index] = _merged(batch[index], source.fields, out.fields)
        return results

    def _match_item(self, item: Any) -> dict[str, Any] | None:
        """One item of ``match_many`` that is not a plain dict; raises
        ``TypeError``/``ValueError`` (the reason) when it is no JSON object."""
        if not isinstance(item, Mapping):
            raise TypeError(f"not a mapping but {type(item).__name__}")
        source = self._event(item)
        out = self._engine().match(source)
        if out is None:
            return None
        self._kept([out])
        return _merged(item, source.fields, out.fields)

    def _run(self, sources: list[Event]) -> list[Event | None]:
        """The per-event output of each event (None when dropped), in order."""
        self._watch.see(sources)
        engine = self._engine()
        if self.engine != "vm":
            # run() would aggregate: one call per event (match stops before aggregates)
            return [engine.match(source) for source in sources]
        return engine.per_event(sources)

    # --- raw NDJSON ------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[dict[str, Any]]:
        """The kept events of the complete lines in ``data`` (NDJSON, split
        anywhere: an unfinished last line waits for the next ``feed`` or
        ``flush``).  Malformed lines go to ``malformed``, never raised."""
        data = _as_bytes(data)
        with self._feed_lock:
            blocks = self._scanned(data, *self._splitter.push_range(data))
        return self._blocks(blocks, True)  # type: ignore[return-value]

    def flush(self) -> list[dict[str, Any]]:
        """The kept event of the carried unfinished line, if any (the input's
        end: a last line without a line feed)."""
        with self._feed_lock:
            blocks = self._scanned(b"", self._splitter.finish(), 1, 0, [])
        return self._blocks(blocks, True)  # type: ignore[return-value]

    close = flush

    def feed_raw(self, data: bytes | bytearray | memoryview) -> list[tuple[bytes, Fields, Event]]:
        """``feed`` as ``(line, decoded input fields, output event)`` triples,
        for writers that splice the assigned fields into the line itself."""
        data = _as_bytes(data)
        with self._feed_lock:
            blocks = self._scanned(data, *self._splitter.push_range(data))
        return self._blocks(blocks, False)  # type: ignore[return-value]

    def flush_raw(self) -> list[tuple[bytes, Fields, Event]]:
        with self._feed_lock:
            blocks = self._scanned(b"", self._splitter.finish(), 1, 0, [])
        return self._blocks(blocks, False)  # type: ignore[return-value]

    def _scanned(
        self, data: bytes, before: list[Block], start: int, end: int, after: list[Block]
    ) -> list[_Scanned]:
        """The blocks of one push (``LineSplitter.push_range``: ``before``,
        the lines ``data[start:end]`` in place, ``after``), each with the
        number of its first line, the spans the prefilter keeps and whether
        line 1 was only a byte-order mark (then removed).  Called with the
        feed lock held, so that lines are numbered in the order they were
        fed; the scan counts the lines as it goes (no pass of its own)."""
        pieces = [(block, 0, -1) for block in before]
        if start <= end:
            pieces.append((data, start, end))
        pieces.extend((block, 0, -1) for block in after)
        out: list[_Scanned] = []
        for block, first, last in pieces:
            number = self._next_line
            if isinstance(block, Overlong):
                out.append((block, number, b"", False, 0))
                self._next_line += 1
                continue
            bom_only = False
            if number == 1 and block.startswith(BOM, first):
                block, bom_only = strip_bom(block[first:last] if last >= 0 else block[first:])
                first, last = 0, -1
            if self._scanning:
                packed, count = self._prefilter.scan_counted(block, True, first, last)
            else:  # every line
                packed, count = _c_scan(block, (), _NO_ESCAPES, False, True, None, first, last)
            out.append((block, number, packed, bom_only, first))
            self._next_line += count
        return out

    def _blocks(self, blocks: list[_Scanned], dicts: bool) -> list[Any]:
        """The kept lines of ``blocks``: as output dicts (``dicts``) or as
        ``feed_raw`` triples."""
        kept: list[Any] = []
        for block, number, packed, bom_only, offset in blocks:
            if isinstance(block, Overlong):
                self._bad(block.malformed(number))
                continue
            if bom_only:
                self._bad(MalformedLine(1, "only a byte-order mark"))
            if packed:
                kept.extend(self._block(block, number, packed, offset, dicts))
        return kept

    def _block(
        self, block: bytes, number: int, packed: bytes, offset: int, dicts: bool
    ) -> list[Any]:
        """Decode and match the lines of ``block`` at ``packed`` (the line
        at ``offset`` is line ``number``).  When the program's fields
        can be read as columns (``ingest.columns``), the VM first picks the
        lines it keeps from those, and only they are decoded; when the
        columns were certain (every value read a string) and dicts are
        wanted, each is decoded once, as a dict, and matched in place."""
        spans = None
        columns = self._columns()
        if columns is not None and len(block) - offset <= self.max_line_bytes:
            batch = columns.decode_spans(block, packed)
            if batch is not None:
                self._watch.see([batch], self.program.fields)
                rows = self._engine().machine.accepted_rows(batch.columns, batch.raws, batch.size)
                if not rows:
                    return []
                pairs = memoryview(packed).cast("Q")
                spans = [(pairs[2 * row], pairs[2 * row + 1]) for row in rows]
                if dicts and self._dicts is not None and not self._needs_raw:
                    return self._kept_dicts(block, spans)
        if spans is None:
            spans = unpack_spans(packed)
        decoder = self._decoder()
        limit = self.max_line_bytes
        sources: list[Event] = []
        lines: list[bytes] = []
        line_number, previous = number, offset
        for start, end in spans:
            line = block[start:end]
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line or line.isspace():
                continue
            decoded: Event | MalformedLine
            if len(line) > limit:
                decoded = Overlong(len(line)).malformed(0)
            else:
                decoded = decoder.decode(line)
            if type(decoded) is not Event:
                line_number += block.count(_NL, previous, start)  # numbered only when needed
                previous = start
                decoded.line_number = line_number  # type: ignore[union-attr]
                self._bad(decoded)  # type: ignore[arg-type]
                continue
            sources.append(decoded)
            lines.append(line)
        outs = self._run(sources)
        kept = [
            (line, source.fields, out)
            for line, source, out in zip(lines, sources, outs, strict=True)
            if out is not None
        ]
        self._kept([out for _line, _fields, out in kept])
        if dicts:
            return [self._line_dict(line, ins, out) for line, ins, out in kept]
        return kept

    def _kept_dicts(self, block: bytes, spans: list[tuple[int, int]]) -> list[dict[str, Any]]:
        """The outputs of the lines at ``spans``, which the column decoder
        read with certainty (valid JSON objects whose every field read is
        a string, so a dict gives the VM the same values): decoded whole
        once and matched in place (``DictMatcher``, which also folds them)."""
        assert self._dicts is not None
        match = self._dicts.match
        decode = _decode_json
        out = []
        for start, end in spans:
            kept = match(decode(block[start:end]))
            if kept is not None:
                out.append(kept)
        return out

    def _columns(self) -> ColumnDecoder | None:
        """This thread's column decoder, or None when lines are decoded as events only."""
        if not self._line_restricted:
            return None
        try:
            return self._local.columns
        except AttributeError:
            decoder = ColumnDecoder(self.program)
            self._local.columns = decoder if decoder.usable else None
            return self._local.columns

    def _decoder(self) -> Decoder:
        try:
            return self._local.decoder
        except AttributeError:
            decoder = Decoder(self._decoder_fields, need_all=not self._line_restricted)
            self._local.decoder = decoder
            return decoder

    @staticmethod
    def _line_dict(line: bytes, in_fields: Fields, out: Event) -> dict[str, Any]:
        return _merged(msgspec.json.decode(line), in_fields, out.fields)

    # --- bookkeeping -----------------------------------------------------------------------

    def _bad(self, malformed: MalformedLine) -> None:
        with self._malformed_lock:
            self.malformed_count += 1
            if len(self.malformed) < MALFORMED_KEPT:
                self.malformed.append(malformed)
        if self.on_malformed is not None:
            self.on_malformed(malformed)

    def _kept(self, outs: list[Event]) -> None:
        if not outs:
            return
        with self._agg_lock:
            self._kept_count += len(outs)
            if not self.aggregating:
                return
            if self._table is not None:
                self._engine().machine.fold(outs, self._table)
            else:
                self._buffer.extend(outs)

    # --- aggregates ------------------------------------------------------------------------

    def results(self, reset: bool = False) -> list[dict[str, str]]:
        """The query's output rows over every event matched or fed so far
        (``reset``: then start again from nothing, for windows)."""
        if not self.aggregating:
            if self.has_aggregates:
                raise ValueError("this Matcher was made with aggregate=False")
            raise ValueError(
                "the query has no aggregate stage: match(), match_many() and feed() "
                "return its events"
            )
        engine = self._engine()
        with self._agg_lock:
            if self._table is not None:
                rows = engine.finish(self._table)
                if reset:
                    self._table = self._new_table(engine)
                    if self._dicts is not None:
                        self._dicts.table = self._table
                return [event.fields for event in rows]
            events = self._buffer
            self._buffer = [] if reset else list(events)
        if self.engine == "vm":
            return [event.fields for event in engine.finish_outputs(events)]
        stages = self.query.tree.stages
        first = next(i for i, stage in enumerate(stages) if engine.is_aggregate(stage))
        return [event.fields for event in engine.stages(stages[first:], iter(events))]


def _as_bytes(data: bytes | bytearray | memoryview) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"feed() takes bytes, not {type(data).__name__}")
    return bytes(data)


def _reason(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "nested too deeply"
    return str(err).split("\n")[0] or type(err).__name__

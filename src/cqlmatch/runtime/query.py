"""The public API: compile a query once, run it over events many times.

q = cqlmatch.compile(text)
q.diagnostics            # warnings (errors raise CQLCompileError)
rows = q.run(events)     # events: iterable of dicts, an NDJSON path, or Inputs(...)
rows.stats, rows.malformed, rows.warnings   # what the run found (a Result)
q.match(event_dict)      # the event as per-event stages leave it, or None

A ``CompiledQuery`` is immutable once made: runs share it (threads too)
and each run's state lives on the ``Result`` it returns.  How a run goes
(which fields are decoded, column batches, worker processes) is the
``RunPlan``'s and the engine's to say; ``run`` only connects the input,
the engine and the result.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from ..bytecode.program import Program
from ..errors import Diagnostic
from ..ingest.lines import MalformedLine
from ..ingest.sources import Inputs, as_inputs, source_name
from ..lang.events import Event, flatten, rawstring_of
from ..lang.tags import input_tags
from ..limits import MAX_LINE_BYTES
from ..semantics.checked import Checked
from ..semantics.columns import declared_columns
from ..semantics.enrich import Enrichment
from ..semantics.frontend import front_end
from ..semantics.lookups import Table
from ..semantics.tags import check_tags, prefilter_sound
from .choices import ENGINES, ON_ERROR
from .plan import RunPlan, make_plan
from .result import Result


class CompiledQuery:
    """A parsed and checked query, ready to run (immutable; see the module docstring)."""

    def __init__(
        self,
        text: str,
        checked: Checked,
        tables: dict[str, Table],
        strict: bool = False,
        tags: Mapping[str, str] | Iterable[str] | None = None,
        default_tags: bool = True,
        enrichment: Enrichment | None = None,
    ) -> None:
        """``tags``/``default_tags``: the tags every run's inputs have unless
        the run says otherwise (``run``); ``enrichment``: the user's GeoIP,
        ASN and indicator data (``semantics.enrich``)."""
        self.text = text
        self.strict = strict
        self.tree = checked.tree
        self.checked = checked
        self.tables = tables
        self.tags: dict[str, str] = input_tags(tags, defaults=False)
        self.default_tags = default_tags
        self.enrichment = enrichment

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self.checked.diagnostics)

    @cached_property
    def program(self) -> Program:
        """The compiled bytecode (made on first use)."""
        from ..bytecode.compiler import compile_program

        return compile_program(self.checked)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The output columns the query names (``select()``, ``table()``) in
        its order, or ``()`` when the rows decide (``semantics.columns``)."""
        return declared_columns(self.checked)

    @cached_property
    def plan(self) -> RunPlan:
        """How the program runs on the VM (``runtime.plan``)."""
        return make_plan(self.checked, self.program)

    def new_engine(self, engine: str = "vm", tags: Mapping[str, str] | None = None) -> Any:
        """A fresh engine: the VM (``VMEngine``) or the reference ``Interpreter``;
        both have ``run``, ``match`` and ``warnings``.  ``tags``: the tags
        of the inputs it will read (``lang.tags.input_tags``; None: none)."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
        if engine == "vm":
            from .engine import VMEngine

            return VMEngine(
                self.checked,
                self.tables,
                program=self.program,
                plan=self.plan,
                tags=tags,
                enrichment=self.enrichment,
            )
        from ..reference import Interpreter

        return Interpreter(self.checked, self.tables, tags=tags, enrichment=self.enrichment)

    def run(
        self,
        source: Any,
        engine: str = "vm",
        *,
        workers: int | None = None,
        on_error: str = "skip",
        prefilter: bool = True,
        max_line_bytes: int | None = None,
        result: Result | None = None,
        tags: Mapping[str, str] | Iterable[str] | None = None,
        default_tags: bool = True,
    ) -> Result:
        """Output rows (aggregating queries) or kept events, as dicts, in a
        ``Result`` (a list that also carries the run's stats, malformed lines
        and warnings).

        ``source``: an NDJSON path (plain, gzip or zstd), ``"-"`` (standard
        input), ``Inputs(...)`` or a list of ``pathlib.Path`` (several files,
        directories or glob patterns read in order as one input, line numbers
        per file), ``bytes``, a binary or text file object, an iterable of
        lines (``str``/``bytes``) or of already-decoded dicts.  ``workers``:
        processes for files on the VM (default: all cores; see
        ``runtime.parallel``).  ``on_error``: ``"skip"`` counts bad lines and
        goes on; ``"fail"`` raises ``BadEventError`` at the first one, and
        then parses every line (no prefilter) so that none is missed.
        ``prefilter=False`` decodes every line (results never differ).
        ``result``: the (empty) ``Result`` to fill, for a caller that watches
        the counts while the run goes on; a new one by default.
        ``tags``: the tags of the source (``{"repo": "base_sensor"}`` or
        ``["repo=base_sensor"]``), which ``#repo`` reads when an event has
        neither ``#repo`` nor ``repo``; they go over the default Falcon
        sensor tags (``lang.tags.FALCON_SENSOR_TAGS``) and an ``Inputs``'
        own tags; ``default_tags=False`` leaves the defaults out."""
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
        count = worker_count(workers)
        inputs = as_inputs(source)
        run_tags = self.run_tags(inputs, tags, default_tags)
        result = Result() if result is None else result
        limit = MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes
        use_prefilter = prefilter and on_error == "skip" and prefilter_sound(self.tree, run_tags)
        paths: list[Any] = list(inputs) if inputs is not None else [source]
        many = len(paths) > 1
        if engine == "vm" and count > 1 and self.plan.splits:
            from . import parallel

            file_paths = [os.fspath(p) for p in paths if isinstance(p, str | os.PathLike)]
            parts = (
                parallel.plan_parts(file_paths, count, fast=self.plan.native)
                if len(file_paths) == len(paths)
                else None
            )
            if parts:
                done = parallel.run_parts(
                    self,
                    parts,
                    count,
                    result,
                    prefilter=use_prefilter,
                    on_error=on_error,
                    max_line_bytes=limit,
                    tags=run_tags,
                )
                if done:
                    result.columns = self.columns
                    return result
                result.clear_run()  # a part reached the group limit: one pass instead
        runner = self.new_engine(engine, run_tags)
        items = self._read(paths, result, engine, on_error, use_prefilter, limit, many)
        try:
            out = runner.execute(items) if engine == "vm" else runner.run(items)
        finally:
            items.close()  # a run may stop early (head) or be interrupted: count what was read
        return self._finish(result, runner, out, self.columns)

    def run_tags(
        self,
        inputs: Inputs | None,
        tags: Mapping[str, str] | Iterable[str] | None,
        default_tags: bool = True,
    ) -> dict[str, str]:
        """The tags of a run's inputs: the defaults (unless the run, the
        query or the ``Inputs`` turns them off), then the query's tags, an
        ``Inputs``' own, and the run's ``tags``, each over the one before."""
        defaults = default_tags and self.default_tags and (inputs is None or inputs.default_tags)
        out = input_tags(self.tags, defaults)
        if inputs is not None:
            out.update(inputs.tags)
        out.update(input_tags(tags, defaults=False))
        return out

    def shipped(self) -> dict[str, Any]:
        """What another process needs to make this query again without
        compiling its program (``rebuild``): the program as bytes, the text,
        parameters, lookup rows, tags of the source and enrichment files;
        plain values, picklable."""
        return {
            "program": self.program.dumps(),
            "text": self.text,
            "strict": self.strict,
            "params": dict(self.checked.params),
            "tables": self.tables,
            "tags": self.tags,
            "default_tags": self.default_tags,
            "enrichment": self.enrichment,
            "rebuild": rebuild,
        }

    def partial_runner(self, engine: str = "vm", tags: Mapping[str, str] | None = None) -> Any:
        """A ``runtime.partial.PartialRunner`` of this query (a fresh engine)
        reading inputs with ``tags`` (default: the query's, ``run_tags``)."""
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r}; available: {', '.join(ENGINES)}")
        from .partial import PartialRunner

        return PartialRunner(self, engine, self.run_tags(None, None) if tags is None else tags)

    def partial(
        self,
        source: Any,
        part: int = 0,
        engine: str = "vm",
        *,
        on_error: str = "skip",
        prefilter: bool = True,
        max_line_bytes: int | None = None,
        name: str | None = None,
        continues: bool = False,
    ) -> Any:
        """The ``PartialState`` of this query over one part of its input
        (``runtime.partial``): ``source`` is one source as ``run`` reads it
        (a path, bytes, lines...) or an ``ingest.blocks.FileRange``;
        ``part`` its place among the parts (states merge in that order);
        ``name`` what messages call it (default: its path); ``continues``:
        it goes on from the part before of the same name (line numbers
        follow on).  Options as for
        ``run``.  ``finish`` gives the rows of merged states."""
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
        limit = MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes
        return self.partial_runner(engine).run(
            source,
            part,
            on_error=on_error,
            prefilter=prefilter,
            max_line_bytes=limit,
            name=name,
            continues=continues,
        )

    def finish(self, state: Any, result: Result | None = None) -> Result:
        """The rows (a ``Result``) of one pass over the parts ``state`` holds."""
        from .partial import PartialStateError, query_hash

        if state.runner.hash != query_hash(self):
            raise PartialStateError("this partial state was made by another query")
        result = state.finish(result)
        result.columns = self.columns
        return result

    def _read(
        self,
        paths: list[Any],
        result: Result,
        engine: str,
        on_error: str,
        prefilter: bool,
        max_line_bytes: int,
        many: bool,
    ) -> Iterator[Any]:
        """The events (and column batches) of every source in order, counted
        into ``result``; malformed lines recorded (skip) or raised (fail)."""
        vm = engine == "vm"
        return read_inputs(
            paths,
            result,
            self.program,
            need_all=not vm or self.plan.decode_all,
            columns=self.reader_columns(vm),
            on_error=on_error,
            prefilter=prefilter,
            max_line_bytes=max_line_bytes,
            many=many,
        )

    def reader_columns(self, vm: bool) -> Any:
        """What a reader of this query's input takes as ``columns``
        (``ingest.read_events``): column batches for a group table (True),
        or, for a query that outputs events, batches whose kept lines come
        with their text, to be decoded whole (a ``ColumnDecoder``); False
        on the reference engine or when the slots cannot be read so."""
        if not vm:
            return False
        if self.plan.filter_columns:
            from ..ingest.columns import ColumnDecoder

            decoder = ColumnDecoder(self.program, lines=True)
            return decoder if decoder.usable and self.program.fields else False
        return self.plan.columns

    @staticmethod
    def _finish(result: Result, runner: Any, out: list[Event], columns: tuple[str, ...]) -> Result:
        result.warnings = list(runner.warnings)
        result.columns = columns
        result.extend(event.fields for event in out)
        return result

    def match(
        self,
        event: Mapping[str, Any],
        engine: str = "vm",
        *,
        tags: Mapping[str, str] | Iterable[str] | None = None,
        default_tags: bool = True,
    ) -> dict[str, str] | None:
        """The event with the fields per-event stages assign, or None if
        dropped; ``tags`` and ``default_tags`` as for ``run``."""
        fields = flatten(event)
        raw = fields.get("@rawstring") or rawstring_of(event)
        run_tags = self.run_tags(None, tags, default_tags)
        if engine == "vm" and tags is None and default_tags and self.default_tags:
            matcher = self._vm_matcher
        else:
            matcher = self.new_engine(engine, run_tags)
        out = matcher.match(Event(fields, raw))
        return None if out is None else out.fields

    def match_event(self, event: Event) -> Event | None:
        """``match`` for an ``Event`` already made (flattened, with its
        raw line): what a pack's rules share."""
        return self._vm_matcher.match(event)

    @cached_property
    def _vm_matcher(self) -> Any:
        """The VM engine ``match`` reuses (made once, with the default
        tags; it reports no warnings)."""
        return self.new_engine("vm", self.run_tags(None, None))


def rebuild(spec: Mapping[str, Any]) -> CompiledQuery:
    """The query ``CompiledQuery.shipped`` describes, its program loaded
    (``ValueError`` for bytes that are not a program of this cqlmatch)."""
    from ..bytecode.program import loads

    enrichment = spec.get("enrichment")
    front = front_end(
        spec["text"], spec["strict"], spec["params"], spec["tables"], enrichment=enrichment
    )
    query = CompiledQuery(
        front.text,
        front.checked,  # type: ignore[arg-type]
        front.tables,  # type: ignore[arg-type]
        front.strict,
        spec.get("tags"),
        spec.get("default_tags", True),
        enrichment,
    )
    query.__dict__["program"] = loads(spec["program"])  # (its cached property)
    return query


def worker_count(workers: int | None) -> int:
    """The worker processes a run uses: ``workers`` (default: every core
    this process may run on), at most the cores, since more processes only
    add memory (each holds the engines and its part's state); asking for
    more logs a note.  Fewer than 1 is a ``ValueError``."""
    try:
        cores = len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    count = cores if workers is None else workers
    if count < 1:
        raise ValueError(f"workers must be at least 1, not {count}")
    if count > cores:
        import logging

        logging.getLogger("cqlmatch").warning(
            "cqlmatch: %d workers asked for, %d used (the cores available)", count, cores
        )
        count = cores
    return count


def read_inputs(
    paths: list[Any],
    result: Result,
    program: Program | None,
    *,
    need_all: bool,
    columns: Any,
    on_error: str,
    prefilter: bool,
    max_line_bytes: int,
    many: bool,
    literals: Any = None,
    fields: Any = None,
) -> Iterator[Any]:
    """The events (and column batches) of every source of ``paths`` in
    order, counted into ``result`` (its stats, malformed lines and
    incomplete sources); malformed lines recorded (``on_error="skip"``) or
    raised (``"fail"``).  ``many``: several sources (messages name each
    one, line numbers are per source).  ``literals``: prefilter groups
    instead of ``program``'s; ``fields``: without a program, the names to
    decode (``ingest.read_events``)."""
    from ..ingest.reader import read_events

    for source in paths:
        reader = read_events(
            source,
            program,
            need_all=need_all,
            prefilter=prefilter,
            max_line_bytes=max_line_bytes,
            columns=columns,
            literals=literals,
            fields=fields,
        )
        name = source_name(source)
        if not many:
            result.stats = reader.stats
        try:
            with reader:
                for item in reader:
                    if type(item) is MalformedLine:
                        if many:
                            item.source = name
                        result.note_malformed(item, on_error, name)
                    else:
                        yield item
        finally:
            if many:
                result.stats.add(reader.stats)
        if reader.incomplete:
            result.incomplete.append(name)
    result.read_all = True


def compile(
    text: str,
    strict: bool = False,
    params: Mapping[str, str] | None = None,
    lookups: Mapping[str, str | Path | Table] | None = None,
    lookup_dir: str | Path | None = None,
    *,
    tags: Mapping[str, str] | Iterable[str] | None = None,
    default_tags: bool = True,
    geoip: str | Path | None = None,
    asn: str | Path | None = None,
    iocs: str | Path | None = None,
    warnings: bool = True,
) -> CompiledQuery:
    """Parse and check ``text``; raises ``CQLSyntaxError`` or ``CQLCompileError``.

    ``strict`` turns cqlmatch's extensions (positional if(), drop() without
    fields, filter conditions) into errors.  ``params`` fills ``?name``
    placeholders.  Lookup files (``match(file=NAME)``, ``cidr(file=NAME)``,
    ``readFile(NAME)``) resolve only through ``lookups`` (names to paths or
    rows) and then ``lookup_dir`` (a directory: ``NAME`` is the file
    ``lookup_dir/NAME``, subfolders allowed, nothing outside it); absolute
    names and ``..`` are E224, names not provided E222.  No file is read
    here: each is read when a run first needs it, and one that is not a
    table is E225 then (docs/security.md).  ``tags``: the tags of the
    source every run's inputs have (``{"repo": "detections"}``), over the
    Falcon sensor defaults unless not ``default_tags`` (``lang.tags``);
    a filter on a tag that neither Falcon events nor these give is W340.
    ``geoip``, ``asn``: MaxMind databases for ``ipLocation()`` and
    ``asn()``; ``iocs``: an indicator file for ``ioc:lookup()``
    (``semantics.enrich``); a query calling one without its data is E223,
    and a file that cannot be read E226 (each is opened here).
    ``warnings=False`` leaves out the analyses that only warn, for a query
    compiled again to be run where its warnings were given already (a
    built pack's rule: one Sigma rule took 21 ms with them, 4 ms without)."""
    enrichment = Enrichment(geoip, asn, iocs) if geoip or asn or iocs else None
    front = front_end(text, strict, params, lookups, lookup_dir, enrichment, warnings)
    query = CompiledQuery(
        front.text,
        front.checked,  # type: ignore[arg-type]
        front.tables,  # type: ignore[arg-type]
        front.strict,
        tags,
        default_tags,
        enrichment,
    )
    if warnings:
        query.checked.diagnostics.extend(check_tags(query.tree, query.run_tags(None, None)))
    return query


def compile_file(
    path: str,
    strict: bool = False,
    params: Mapping[str, str] | None = None,
    lookups: Mapping[str, str | Path | Table] | None = None,
    lookup_dir: str | Path | None = None,
    *,
    tags: Mapping[str, str] | Iterable[str] | None = None,
    default_tags: bool = True,
    geoip: str | Path | None = None,
    asn: str | Path | None = None,
    iocs: str | Path | None = None,
) -> CompiledQuery:
    """``compile`` for a query file (``-`` reads standard input).  Lookup
    files are not looked for beside the query: pass its folder as
    ``lookup_dir`` to allow that."""
    if path == "-":
        import sys

        text = sys.stdin.read()
    else:
        text = Path(path).read_text(encoding="utf-8")
    return compile(
        text,
        strict,
        params,
        lookups,
        lookup_dir,
        tags=tags,
        default_tags=default_tags,
        geoip=geoip,
        asn=asn,
        iocs=iocs,
    )

"""A compiled pack: many rules, each checked and compiled once, run together.

``compile_pack(source)`` reads a manifest or a folder (``sources``),
compiles every enabled rule and keeps those that compile; a rule that
fails to parse or check is a ``Problem`` (its located diagnostics) and is
left out, unless ``strict`` makes it fatal (``PackCompileError``).  Pack
level problems are found here too: duplicate ids (``sources``) and rules
that can never match (a query whose every path is dead).

``Pack.run(events)`` reads the events once for all rules (``run``);
``Pack.partial(part)`` and ``Pack.finish(state)`` run it in parts
(``partial``: the worker processes, Dask and Spark);
``Pack.match(event)`` gives one event's hits.  A hit is the event as the
rule leaves it, or a row of an aggregating rule, plus ``rule.id``,
``rule.name``, ``rule.severity`` and ``rule.tags`` (comma-separated).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..bytecode.program import Program
from ..errors import CQLError, PartialStateError
from ..ingest.sources import as_inputs
from ..lang.events import Event, flatten, rawstring_of
from ..lang.tags import input_tags
from ..limits import MAX_LINE_BYTES
from ..runtime.parallel import plan_parts
from ..runtime.query import ON_ERROR, compile as compile_query, worker_count
from ..semantics.lookups import Table
from ..semantics.tags import refuse_routed_tags
from .model import PackSource, Problem, RuleSource
from .nogc import collector_paused
from .packfile import looks_built, read_pack
from .parallel import run_parts, runs_split
from .routing import route_of
from .rules import PackRule
from .run import (
    IndexTables,
    PackResult,
    RuleStats,
    candidate_index,
    run_rules,
    shared_prefilter,
)

if TYPE_CHECKING:
    from ..runtime.partial import PartialState
    from .matcher import PackMatcher
    from .partial import PackRunner

# ``matcher`` (a ``PackMatcher``: ``stream --pack``, embeddings) and
# ``partial`` (the partial states of Dask, Spark and ``partial``/``finish``)
# load when first used: a pack run in one process needs neither.


class PackCompileError(Exception):
    """A strict pack with rules that cannot be used; ``problems`` lists them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"{len(problems)} rule(s) cannot be used:\n{lines}")


class Pack:
    """Compiled rules that run over the same events in one pass.

    ``compiled`` holds every rule that compiled, in source order, enabled
    or not; ``rules`` the enabled ones (``select`` changes which)."""

    def __init__(
        self,
        name: str,
        compiled: list[PackRule],
        problems: list[Problem],
        enabled: frozenset[str],
        lookup_options: dict[str, Any] | None = None,
        prelinked: Program | None = None,
        scanner: tuple[str, bytes] | None = None,
        tables: IndexTables | None = None,
    ) -> None:
        """``prelinked``: the linked program of a built pack's pure filters
        (``packfile``), used instead of linking them again; ``scanner``: its
        stored literal scanner (``run.scanner_database``), used instead of
        compiling it again where it fits; ``tables``: its candidate index's
        tables (``run.index_tables``), used while the same rules are enabled."""
        self.name = name
        self.prelinked = prelinked
        self.scanner = scanner
        self.tables = tables
        # what the rules were compiled with (workers that compile them again)
        self.lookup_options = lookup_options or {}
        self._index: tuple[Any, ...] | None = None  # (enabled ids, candidate index)
        self.compiled = compiled
        self.problems = problems  # the rules left out, and why
        self.enabled = enabled

    @property
    def rules(self) -> list[PackRule]:
        return [rule for rule in self.compiled if rule.id in self.enabled]

    @property
    def disabled(self) -> list[str]:
        return [rule.id for rule in self.compiled if rule.id not in self.enabled]

    def __len__(self) -> int:
        return len(self.enabled)

    def select(self, enable: Iterable[str] = (), disable: Iterable[str] = ()) -> Pack:
        """This pack with the rules ``enable`` names turned on and those
        ``disable`` names turned off; an id that names no compiled rule is
        a ``KeyError`` naming it (a rule left out cannot be turned on)."""
        enable, disable = set(enable), set(disable)
        known = {rule.id for rule in self.compiled}
        unknown = sorted((enable | disable) - known)
        if unknown:
            left_out = {p.rule for p in self.problems}
            why = [f"{i} (left out: it did not compile)" if i in left_out else i for i in unknown]
            raise KeyError(f"pack {self.name!r} has no usable rule {', '.join(why)}")
        return Pack(
            self.name,
            self.compiled,
            self.problems,
            (self.enabled | enable) - disable,
            self.lookup_options,
            self.prelinked,
            self.scanner,
            self.tables,
        )

    def run(
        self,
        source: Any,
        *,
        workers: int | None = None,
        prefilter: bool = True,
        on_error: str = "skip",
        max_line_bytes: int | None = None,
        result: PackResult | None = None,
    ) -> PackResult:
        """Every hit of every enabled rule over ``source`` (what
        ``CompiledQuery.run`` takes), in one pass (``packs.run``); large
        plain files and several compressed ones are split among ``workers``
        processes (default: all cores; ``packs.parallel``).  Options as for
        ``CompiledQuery.run``."""
        rules = self.rules
        result = PackResult() if result is None else result
        count = worker_count(workers)
        inputs = as_inputs(source)
        paths: list[Any] = list(inputs) if inputs is not None else [source]
        files = [os.fspath(p) for p in paths if isinstance(p, str | os.PathLike) and p != "-"]
        if count > 1 and runs_split(rules) and len(files) == len(paths):
            parts = plan_parts(files, count)
            if parts:
                for rule in rules:
                    result.rule_stats[rule.id] = RuleStats()
                index = self.candidates()
                gate = shared_prefilter(index, prefilter and on_error == "skip")
                result.prefilter = gate is not None
                done = run_parts(
                    rules,
                    parts,
                    count,
                    result,
                    prefilter=result.prefilter,
                    on_error=on_error,
                    max_line_bytes=MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes,
                    lookup_options=self.lookup_options,
                    index=index,
                )
                if done:
                    return result
                result.clear_run()  # a rule's group limit was passed in a part: one pass
        return run_rules(
            rules,
            source,
            prefilter=prefilter,
            on_error=on_error,
            max_line_bytes=max_line_bytes,
            result=result,
            index=self.candidates(),
        )

    def partial_runner(self, engine: str = "vm") -> PackRunner:
        """A ``packs.partial.PackRunner`` of the enabled rules (``engine``
        is ``"vm"``: the one packs run on)."""
        from .partial import PackRunner

        if engine != "vm":
            raise ValueError(f"packs run on the VM, not {engine!r}")
        return PackRunner(self.rules, self.candidates())

    def partial(
        self,
        source: Any,
        part: int = 0,
        *,
        on_error: str = "skip",
        prefilter: bool = True,
        max_line_bytes: int | None = None,
        name: str | None = None,
        continues: bool = False,
    ) -> PartialState:
        """The pack's ``PartialState`` over one part of the input (as
        ``CompiledQuery.partial``); ``finish`` gives the hits of merged states."""
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
        return self.partial_runner().run(
            source,
            part,
            on_error=on_error,
            prefilter=prefilter,
            max_line_bytes=MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes,
            name=name,
            continues=continues,
        )

    def finish(self, state: PartialState, result: PackResult | None = None) -> PackResult:
        """The hits and rows (a ``PackResult``) of one pass over the parts
        ``state`` holds."""
        from .partial import pack_hash

        if state.runner.hash != pack_hash(self.rules):
            raise PartialStateError("this partial state was made by another pack")
        result = PackResult() if result is None else result
        state.finish(result)
        return result

    def candidates(self) -> Any:
        """The enabled rules' ``run.candidate_index`` (made once)."""
        if self._index is None or self._index[0] != self.enabled:
            with collector_paused():
                self._index = (
                    self.enabled,
                    candidate_index(self.rules, self.prelinked, self.scanner, self.tables),
                )
        return self._index[1]

    def matcher(self, **options: Any) -> PackMatcher:
        """A ``PackMatcher`` over the enabled rules (``cqlmatch.Matcher(pack)``
        makes one too); ``options`` as ``PackMatcher`` takes them."""
        from .matcher import PackMatcher

        return PackMatcher(self.rules, **options)

    new_matcher = matcher  # (the hook cqlmatch.Matcher looks for)

    def match(self, event: Mapping[str, Any]) -> list[dict[str, str]]:
        """The hits of the per-event rules on one event, in rule order (the
        event as each rule leaves it, with the ``rule.*`` fields); rules with
        aggregates need many events (``run``) and give none here."""
        fields = flatten(event)
        one = Event(fields, fields.get("@rawstring") or rawstring_of(event))
        hits = []
        for rule in self.rules:
            if rule.route is not None and not rule.route.admits(one):
                continue
            if rule.query.plan.aggregating:
                continue
            out = rule.query.match_event(one)
            if out is not None:
                hits.append({**out.fields, **rule.fields()})
        return hits


def compile_pack(
    source: str | Path | PackSource,
    *,
    strict: bool = False,
    lookups: Mapping[str, str | Path | Table] | None = None,
    lookup_dir: str | Path | None = None,
    tags: Mapping[str, str] | Iterable[str] | None = None,
    default_tags: bool = True,
    geoip: str | Path | None = None,
    asn: str | Path | None = None,
    iocs: str | Path | None = None,
) -> Pack:
    """Read and compile a pack (a manifest path, a folder of ``.cql`` files,
    or a ``PackSource``), or load a built one (a ``.cqlpack`` file from
    ``cqlmatch pack build``, ``packfile``: nothing is compiled again).
    ``tags``: the tags of the source its runs read (``lang.tags``), over
    a manifest's ``source_tags:`` and the Falcon sensor defaults (unless
    not ``default_tags``); a tag named like a field Falcon events carry
    themselves (``event_simpleName``) is a ``TagError``: packs route on those.
    ``geoip``, ``asn``, ``iocs``: the user's data for ``ipLocation()``,
    ``asn()`` and ``ioc:lookup()`` (``cqlmatch.compile`` takes them too).
    Raises ``sources.PackError`` when the source cannot be read at all,
    ``packfile.PackFileError`` for a built pack this cqlmatch cannot load,
    ``PackCompileError`` under ``strict`` when any rule cannot be used."""
    with collector_paused():
        return _compile_pack(
            source, strict, lookups, lookup_dir, tags, default_tags, geoip, asn, iocs
        )


def _compile_pack(
    source: str | Path | PackSource,
    strict: bool,
    lookups: Mapping[str, str | Path | Table] | None,
    lookup_dir: str | Path | None,
    tags: Mapping[str, str] | Iterable[str] | None,
    default_tags: bool,
    geoip: str | Path | None,
    asn: str | Path | None,
    iocs: str | Path | None,
) -> Pack:
    given = input_tags(tags, defaults=False)
    options: dict[str, Any] = {"lookups": lookups, "lookup_dir": lookup_dir}
    if given or not default_tags:
        options.update(tags=given, default_tags=default_tags)
    for kind, path in (("geoip", geoip), ("asn", asn), ("iocs", iocs)):
        if path is not None:
            options[kind] = os.fspath(path)
    if not isinstance(source, PackSource) and looks_built(source):
        loaded = read_pack(source, options)
        if strict and loaded.problems:
            raise PackCompileError(loaded.problems)
        return Pack(
            loaded.name,
            loaded.compiled,
            loaded.problems,
            loaded.enabled,
            options,
            prelinked=loaded.prelinked,
            scanner=loaded.scanner,
            tables=loaded.tables,
        )
    if isinstance(source, PackSource):
        pack_source = source
    else:  # (YAML and the Sigma converter load only for a source: a built pack needs neither)
        from .sources import read_source

        pack_source = read_source(source)
    if pack_source.source_tags:
        options.update(tags={**pack_source.source_tags, **given}, default_tags=default_tags)
    refuse_routed_tags(options.get("tags") or {})
    problems = list(pack_source.problems)
    compiled: list[PackRule] = []
    for rule_source in pack_source.rules:
        try:
            query = compile_query(rule_source.text, **options)
            query.program  # noqa: B018  (the bytecode too: a regex set past RE2's budget is E231 here)
        except CQLError as err:
            problems.append(Problem(rule_source.path, rule_source.id, _rendered(err, rule_source)))
            continue
        except (OSError, ValueError) as err:  # e.g. a lookup directory that is not one
            problems.append(Problem(rule_source.path, rule_source.id, str(err)))
            continue
        compiled.append(PackRule(rule_source, query, route_of(query.checked), options=options))
    if strict and problems:
        raise PackCompileError(problems)
    enabled = frozenset(rule.id for rule in compiled if rule.source.enabled)
    return Pack(pack_source.name, compiled, problems, enabled, options)


def _rendered(err: CQLError, rule: RuleSource) -> str:
    """The error's diagnostics with carets, placed where the query is written."""
    return "\n" + err.render(rule.path, rule.line_offset, rule.column_offset)

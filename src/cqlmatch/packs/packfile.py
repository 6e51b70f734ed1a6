"""A built pack: a compiled pack in one file that loads without compiling.

``write_pack(pack, path)`` (``cqlmatch pack build``) stores, after an
8-byte magic, one msgpack record: the pack format and the program format
it was built with, the cqlmatch version, the pack's name, its rules (each
with its metadata, its query text and the text's SHA-256, its route, the
number of its run plan among the pack's distinct plans, and whether it is
linked), those plans, the rules' prefilters (decoded only when one is
asked for), the rules left out and why, the linked program of its pure
filters (``linked``), and the candidate index's scanner of every literal
and tables (``run.scanner_database``, ``run.index_tables``), so that
loading makes none of them again.

``read_pack(path)`` gives the ``Pack`` back.  Linked rules are not compiled
at all: they run from the stored linked program, and each compiles its
query from its text only if something asks for it (``Pack.match``, its
detection tests).  The few other rules (aggregates, assignments, slow
paths) are compiled when a run first has a line for one, or, when a rule
reads a lookup file or the user's enrichment data (which may differ here
from where the pack was built), as the file is read, so that what cannot
be compiled is reported before any event is.  A file of
another pack or program format, a damaged file, or a rule text whose hash
does not match is a ``PackFileError`` saying which, never a wrong pack.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import msgspec

from ..bytecode.program import FORMAT_VERSION, Literal, Program
from ..errors import CQLError
from ..runtime.plan import RunPlan
from ..runtime.query import compile as compile_query
from ..version import __version__
from .linked import link_rules
from .model import Problem, RuleSource
from .routing import Route, route_of
from .rules import PackRule
from .run import IndexTables, scanner_database, shape_key

PACK_MAGIC = b"CQLPACK\x00"
# This file's layout (the program format is FORMAT_VERSION):
# 1  every rule with its run plan and prefilter.
# 2  the distinct run plans once (``PackFile.plans``), each rule naming its
#    own by number, and the rules' prefilters in a section of their own
#    (``prefilters``), decoded when one is first asked for: a run of the
#    pack as built reads its candidate index's stored tables instead.
# 3  the candidate index's tables also hold each literal's field names laid
#    out by set, group and literal (``IndexTables.names``).
PACK_FORMAT = 3
SUFFIX = ".cqlpack"


class PackFileError(ValueError):
    """A file that is not a built pack this cqlmatch can load."""


class RuleEntry(msgspec.Struct, frozen=True):
    id: str
    name: str
    severity: str
    tags: tuple[str, ...]
    enabled: bool
    text: str
    sha256: str
    path: str
    line_offset: int
    column_offset: int
    tests: str | None
    route_field: str | None
    route_keys: tuple[str, ...]
    plan: Annotated[int, msgspec.Meta(ge=0)]  # its run plan: ``PackFile.plans[plan]``
    links: bool
    # compiles the same wherever it loads: no lookup file, no enrichment data
    # (``_self_contained``; a file without it compiles such rules at load)
    self_contained: bool = False


class PackFile(msgspec.Struct, frozen=True):
    format: int
    program_format: int
    built_by: str
    name: str
    rules: tuple[RuleEntry, ...]
    plans: tuple[RunPlan, ...]  # the rules' distinct run plans (108 for 1,690 Sigma rules)
    # the rules' prefilters, in their order (``_PREFILTERS``; left as msgpack
    # until one is asked for: ``_Prefilters``)
    prefilters: msgspec.Raw
    problems: tuple[tuple[str, str, str], ...]  # where, rule, message
    linked: Program | None
    # the tags of the source it was built with (``lang.tags``; absent in older files)
    source_tags: dict[str, str] = {}
    default_tags: bool = True
    # the candidate index's scanner of every literal of the enabled rules
    # (``run.scanner_database``: its patterns' key and Hyperscan's database;
    # absent in older files, and where Hyperscan is not built)
    scanner_key: str = ""
    scanner_database: bytes = b""
    # the candidate index's tables for the enabled rules (``run.index_tables``;
    # absent in older files, whose loads work them out again)
    index: IndexTables | None = None


def looks_built(path: str | Path) -> bool:
    """Whether ``path`` names a built pack file (by its first bytes)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(PACK_MAGIC)) == PACK_MAGIC
    except OSError:
        return False


def write_pack(pack: Any, path: str | Path) -> int:
    """Write ``pack`` (a ``Pack``, every compiled rule, enabled or not) to
    ``path``; the number of bytes written."""
    entries = []
    plans: dict[RunPlan, int] = {}
    for rule in pack.compiled:
        source: RuleSource = rule.source
        route = rule.route
        entries.append(
            RuleEntry(
                id=source.id,
                name=source.name,
                severity=source.severity,
                tags=tuple(source.tags),
                enabled=rule.id in pack.enabled,
                text=source.text,
                sha256=_digest(source.text),
                path=source.path,
                line_offset=source.line_offset,
                column_offset=source.column_offset,
                tests=source.tests,
                route_field=None if route is None else route.field,
                route_keys=() if route is None else tuple(sorted(route.keys)),
                plan=plans.setdefault(rule.plan, len(plans)),
                links=rule.links,
                self_contained=_self_contained(rule),
            )
        )
    index = pack.candidates()
    scanner = scanner_database(index)
    linkable = [rule for rule in pack.compiled if rule.links]
    linked = None
    if linkable:
        linked, _ = link_rules(
            [r.query.program for r in linkable],
            [r.id for r in linkable],
            [shape_key(r) for r in linkable],  # (sets shared within a shape: packs.linked)
        )
    record = PackFile(
        format=PACK_FORMAT,
        program_format=FORMAT_VERSION,
        built_by=__version__,
        name=pack.name,
        rules=tuple(entries),
        plans=tuple(plans),
        prefilters=msgspec.Raw(msgspec.msgpack.encode([rule.prefilter for rule in pack.compiled])),
        problems=tuple((p.where, p.rule, p.message) for p in pack.problems),
        linked=linked,
        source_tags=dict(pack.lookup_options.get("tags") or {}),
        default_tags=pack.lookup_options.get("default_tags", True),
        scanner_key="" if scanner is None else scanner[0],
        scanner_database=b"" if scanner is None else scanner[1],
        index=None if index is None else index.tables,
    )
    data = PACK_MAGIC + msgspec.msgpack.encode(record)
    Path(path).write_bytes(data)
    return len(data)


class LoadedPack(NamedTuple):
    """What ``Pack`` is made of, as read from a built pack file."""

    name: str
    compiled: list[PackRule]
    problems: list[Problem]
    enabled: frozenset[str]
    prelinked: Program | None
    scanner: tuple[str, bytes] | None  # (``run.scanner_database``)
    tables: IndexTables | None  # (``run.index_tables``)


def read_pack(path: str | Path, options: Mapping[str, Any] | None = None) -> LoadedPack:
    """The pack built into ``path`` (``compile_pack`` makes it a ``Pack``);
    ``options``: what ``compile`` takes (lookups) for the rules compiled
    from their text."""
    data = Path(path).read_bytes()
    if not data.startswith(PACK_MAGIC):
        raise PackFileError(f"{path}: not a built cqlmatch pack (no {PACK_MAGIC[:7]!r} magic)")
    record = _decode(path, memoryview(data)[len(PACK_MAGIC) :])  # (not copied)
    options = dict(options or {})
    if record.source_tags or not record.default_tags:  # (the run's own tags over them)
        options["tags"] = {**record.source_tags, **(options.get("tags") or {})}
        options["default_tags"] = record.default_tags and options.get("default_tags", True)
    compiled: list[PackRule] = []
    problems = [Problem(*p) for p in record.problems]
    linked_names = set() if record.linked is None else {r.name for r in record.linked.rules}
    plans = record.plans
    prefilters = _Prefilters(path, record.prefilters.copy(), len(record.rules))
    # (one Route for the rules that name the same event types: it is immutable)
    routes: dict[tuple[str, tuple[str, ...]], Route] = {}
    enabled: list[str] = []  # (of the rules kept)
    for number, entry in enumerate(record.rules):
        if _digest(entry.text) != entry.sha256:
            raise PackFileError(f"{path}: rule {entry.id}: its text does not match its hash")
        source = RuleSource(
            id=entry.id,
            name=entry.name,
            severity=entry.severity,
            tags=entry.tags,
            enabled=entry.enabled,
            text=entry.text,
            path=entry.path,
            line_offset=entry.line_offset,
            column_offset=entry.column_offset,
            tests=entry.tests,
        )
        linked = entry.links and entry.id in linked_names
        if linked or entry.self_contained:
            # Compiled when first needed: a linked rule runs from the linked
            # program, and a rule that runs alone is compiled by the run that
            # first has a line for it (most never do); either compiles here as
            # it did at build, reading no file.
            if entry.plan >= len(plans):
                raise PackFileError(f"{path}: a damaged pack file (rule {entry.id}: no plan)")
            route = None
            if entry.route_field is not None:
                key = (entry.route_field, entry.route_keys)
                route = routes.get(key)
                if route is None:
                    route = routes[key] = Route(entry.route_field, frozenset(entry.route_keys))
            if entry.enabled:
                enabled.append(entry.id)
            compiled.append(
                PackRule(
                    source,
                    None,
                    route,
                    plan=plans[entry.plan],
                    prefilter=partial(prefilters.of, number),
                    links=linked,
                    options=options,
                )
            )
            continue
        try:
            query = compile_query(entry.text, **options)
        except (CQLError, OSError, ValueError) as err:
            problems.append(Problem(entry.path, entry.id, f"does not compile here: {err}"))
            continue
        if entry.enabled:
            enabled.append(entry.id)
        compiled.append(PackRule(source, query, route_of(query.checked), options=options))
    scanner = (record.scanner_key, record.scanner_database) if record.scanner_key else None
    return LoadedPack(
        record.name, compiled, problems, frozenset(enabled), record.linked, scanner, record.index
    )


def _decode(path: str | Path, body: bytes | memoryview) -> PackFile:
    """The record of a pack file.  The whole record is decoded at once and
    its versions checked after (a separate decode of the versions alone
    would read the whole 5 MB again); a record that does not decode is
    read for its versions only, so that another format is named as such,
    not as a damaged file."""
    try:
        record = msgspec.msgpack.decode(body, type=PackFile)
    except msgspec.DecodeError as err:
        _check_versions(path, body)
        raise PackFileError(f"{path}: a damaged pack file ({err})") from None
    if record.format != PACK_FORMAT or record.program_format != FORMAT_VERSION:
        _check_versions(path, body)
    return record


def _check_versions(path: str | Path, body: bytes | memoryview) -> None:
    """A ``PackFileError`` for a record of another pack or program format
    (or one whose versions cannot be read at all: a damaged file)."""
    try:
        head = msgspec.msgpack.decode(body, type=_Head)
    except msgspec.DecodeError as err:
        raise PackFileError(f"{path}: a damaged pack file ({err})") from None
    if head.format != PACK_FORMAT or head.program_format != FORMAT_VERSION:
        raise PackFileError(
            f"{path}: built by cqlmatch {head.built_by} (pack format {head.format}, program"
            f" format {head.program_format}); this cqlmatch {__version__} reads pack format"
            f" {PACK_FORMAT}, program format {FORMAT_VERSION}: build it again with"
            " `cqlmatch pack build`"
        )


_PREFILTERS = tuple[tuple[tuple[Literal, ...], ...], ...]  # (``PackFile.prefilters``)


class _Prefilters:
    """The rules' prefilters as a pack file stores them, decoded all at once
    when one is first asked for (4 ms and 21,101 literals for the Sigma
    pack): a run of the pack as built takes its candidate index's stored
    tables instead; one with other rules enabled, or writing the pack
    again, reads them."""

    def __init__(self, path: str | Path, data: msgspec.Raw, count: int) -> None:
        self._path = path
        self._data = data
        self._count = count  # (rules: one prefilter each)
        self._decoded: _PREFILTERS | None = None

    def of(self, number: int) -> tuple[tuple[Literal, ...], ...]:
        """The prefilter of the pack file's rule ``number``."""
        decoded = self._decoded
        if decoded is None:
            try:
                decoded = msgspec.msgpack.decode(self._data, type=_PREFILTERS)
            except msgspec.DecodeError as err:
                raise PackFileError(f"{self._path}: a damaged pack file ({err})") from None
            if len(decoded) != self._count:
                raise PackFileError(
                    f"{self._path}: a damaged pack file ({len(decoded)} prefilters"
                    f" for {self._count} rules)"
                )
            self._decoded = decoded
        return decoded[number]


class _Head(msgspec.Struct):
    """The versions, read before the rest (whose layout they decide)."""

    format: int
    program_format: int
    built_by: str


def _self_contained(rule: PackRule) -> bool:
    """Whether ``rule``'s query compiles from its text alone: it reads no
    lookup file and calls no function of the user's enrichment data, so
    that compiling it at load could not fail where compiling it at build
    did not (tags change only warnings, W340)."""
    query = rule.query
    if len(query.tables):
        return False
    return not any(b.spec.needs for b in query.checked.bindings.values())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

"""The compiled program: plain, immutable data that the VM runs, the
disassembler lists and workers receive.

A program serialises with msgspec (``dumps``/``loads``) behind a magic number
and a format version.  It keeps the query text: the few slow-path
instructions (``TEST_NODE``, ``STAGE_NODE``) name syntax nodes by their
walk-order index, and a loaded program re-parses and re-checks its text to
find them.  Several rules can share one program (``rules``; their regex
sets and prefilter are shared per field); one query is a pack of one.

Format versions:
1  first format: fields, consts, numbers, regex sets, code, lines, rules,
   prefilter (CNF of literals), group plan, aggregate stages.
2  TEST_CIDR (native IPv4 cidr()): every later opcode number moved up by one.
3  prefilter literals carry a case flag (``Literal``): ``(?i)`` regexes
   give literals compared ignoring ASCII case.
4  TEST_IN (a hash lookup of a field in a set of strings) and its pool
   ``value_sets``: every later opcode number moved up by one.
5  caseless string tests TEST_EQ_CI, TEST_PREFIX_CI, TEST_SUFFIX_CI and
   TEST_CONTAINS_CI (RE2's ``(?i)`` on an ASCII constant), numbered after
   REJECT (no number moved); regexes that are plain text, anchored or not,
   compile to them or to the case-sensitive string tests instead of
   TEST_REGEX.
6  a prefilter literal names the field whose value holds it (``Literal.field``):
   the reader may look for it in that field's value alone.
7  a group plan may have no keys: aggregates alone (``count()``,
   ``sum(x)``, ``[count(), avg(x)]``, ``stats(...)``) run in the VM's
   group table as one group, where they ran over event rows before.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import msgspec

from ..lang.regex import needs_non_ascii, pattern_gate

MAGIC = 0x43514C4D  # "CQLM"
FORMAT_VERSION = 7


class FieldRef(msgspec.Struct, frozen=True):
    """A field slot: the name as written, the name read when it is absent
    (``#tag`` -> ``tag``, ``@timestamp`` -> ``timestamp``), and whether
    ``@rawstring`` falls back to the event's line."""

    name: str
    fallback: str | None = None
    rawstring: bool = False


class Literal(msgspec.Struct, frozen=True, array_like=True):
    """A prefilter literal: printable ASCII that a raw line must hold.  With
    ``ignore_case`` ``text`` is in lower case and is compared ignoring ASCII
    case, where ``k`` and ``s`` also stand for the two non-ASCII characters
    that ``(?i)`` folds onto them (``regex.CASE_FOLDED_INTO_ASCII``).
    ``field``: the field whose value (as read from the line) must hold it,
    or "" when it may be anywhere in the line (free text); the whole-line
    test ignores it, the field-scoped one (``ingest.prefilter``) uses it."""

    text: str
    ignore_case: bool = False
    field: str = ""

    def __str__(self) -> str:
        where = f" in {self.field}" if self.field else ""
        return ("i" if self.ignore_case else "") + repr(self.text) + where

    def implies(self, other: Literal) -> bool:
        """Whether a line holding this literal (in its field) always holds
        ``other`` (in its field)."""
        if other.field and other.field != self.field:
            return False
        if other.ignore_case:
            return other.text in self.text.lower()
        return not self.ignore_case and other.text in self.text

    def anywhere(self) -> Literal:
        """The same literal, not bound to a field."""
        return Literal(self.text, self.ignore_case) if self.field else self


def without_implied(literals: Iterable[Literal]) -> list[Literal]:
    """The distinct literals that no other of them implies: in a group (any
    one of which a line needs), a literal implied by a shorter one adds
    nothing."""
    unique = list(dict.fromkeys(literals))
    return [a for a in unique if not any(b != a and a.implies(b) for b in unique)]


def weakest_dropped(groups: list[tuple[Literal, ...]]) -> tuple[tuple[Literal, ...], ...]:
    """The groups without those another group implies (a line holding a
    literal of that group always holds one of this), in their order."""
    unique = list(dict.fromkeys(groups))

    def implied(b: tuple[Literal, ...], a: tuple[Literal, ...]) -> bool:
        return all(any(x.implies(y) for y in b) for x in a)

    return tuple(
        b
        for i, b in enumerate(unique)
        if not any(
            j != i and implied(b, a) and (not implied(a, b) or j < i) for j, a in enumerate(unique)
        )
    )


class PatternFacts(msgspec.Struct, frozen=True, array_like=True):
    """What the VM may know of a set's pattern before running RE2 on a
    value, worked out when the program is compiled (``pattern_facts``):
    ``high``, every match holds a character that is not ASCII
    (``regex.needs_non_ascii``); ``caseless`` and ``literals``, the ASCII
    literals one of which every match holds (``regex.pattern_gate``; None:
    none the analysis names)."""

    high: bool
    caseless: bool
    literals: tuple[str, ...] | None


class RegexSetSpec(msgspec.Struct, frozen=True):
    """All regexes tested against one field, in RE2 syntax with inline flags;
    they run together as one RE2::Set at most once per event.  ``facts``:
    per pattern, its ``PatternFacts`` (empty in programs from before they
    were recorded: the VM then works them out as it runs)."""

    slot: int
    patterns: tuple[str, ...]
    facts: tuple[PatternFacts, ...] = ()


def pattern_facts(pattern: str) -> PatternFacts:
    """``PatternFacts`` of one RE2 pattern (cached: a pack's rules repeat
    patterns, and linking looks them up again)."""
    return _pattern_facts(pattern)


def regex_set_spec(slot: int, patterns: tuple[str, ...]) -> RegexSetSpec:
    """The spec of a set of ``patterns`` on ``slot``, with their facts."""
    return RegexSetSpec(slot, patterns, tuple(pattern_facts(p) for p in patterns))


@lru_cache(maxsize=4096)
def _pattern_facts(pattern: str) -> PatternFacts:
    gate = pattern_gate(pattern)
    return PatternFacts(
        needs_non_ascii(pattern),
        gate is not None and gate[0],
        None if gate is None else gate[1],
    )


class AggSpec(msgspec.Struct, frozen=True):
    """One natively computed aggregate: count (slot -1 for events), sum, min,
    max or avg of a field, written to ``output``."""

    kind: str
    slot: int
    output: str
    distinct: bool = False


class GroupPlan(msgspec.Struct, frozen=True):
    """groupBy computed by the VM: key slots, aggregates, group limit.  No
    keys: aggregates alone (``count()``, ``stats([...])``), one group."""

    keys: tuple[int, ...]
    aggregates: tuple[AggSpec, ...]
    limit: int
    node: int  # the stage (groupBy, stats, an aggregate or an array of them)


class Rule(msgspec.Struct, frozen=True):
    name: str
    entry: int  # code offset of the rule's per-event code


class Program(msgspec.Struct, frozen=True):
    magic: int
    version: int
    source: str
    params: dict[str, str]
    strict: bool
    fields: tuple[FieldRef, ...]
    consts: tuple[str, ...]
    numbers: tuple[float, ...]
    regex_sets: tuple[RegexSetSpec, ...]
    code: tuple[int, ...]
    lines: tuple[int, ...]  # source line of the instruction starting at each offset (0 inside)
    rules: tuple[Rule, ...]
    prefilter: tuple[tuple[Literal, ...], ...]  # every group needs one of its literals in the line
    group: GroupPlan | None
    aggregate_stages: tuple[int, ...]  # nodes of the stages after the per-event part
    # TEST_IN sets: exact strings (casefolded for a TEST_IN with value 1), sorted
    value_sets: tuple[tuple[str, ...], ...] = ()

    def dumps(self) -> bytes:
        return msgspec.msgpack.encode(self)


class ProgramFormatError(ValueError):
    """Bytes that are not a program of this cqlmatch version."""


def loads(data: bytes) -> Program:
    try:
        program = msgspec.msgpack.decode(data, type=Program)
    except msgspec.DecodeError as err:
        raise ProgramFormatError(f"not a cqlmatch program: {err}") from None
    if program.magic != MAGIC:
        raise ProgramFormatError("not a cqlmatch program (bad magic number)")
    if program.version != FORMAT_VERSION:
        raise ProgramFormatError(
            f"program format {program.version}, this cqlmatch reads {FORMAT_VERSION}: recompile"
        )
    return program

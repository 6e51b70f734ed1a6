"""Prefilter atoms: the literals a raw line must hold for its event to pass.

A program's prefilter is a conjunction of groups of literals (conjunctive
normal form): a line that holds no literal of some group cannot be kept by
the query, so the reader skips it without decoding.  Leaving a group out is
always sound (the prefilter only rules out fewer lines), so every rule below
may give up by keeping fewer groups; it must never keep a group a kept event
could lack.

The rule, read on the filters before the first aggregate, on the fields as
read from the line:

* a literal counts only when it is *safe*: at least three characters, all of
  them characters a JSON encoder (Gson included) never escapes, so the line
  holds it verbatim whenever the decoded value does; a text with other
  characters counts by its most telling safe run (``\\rundll32.exe`` by
  ``rundll32.exe``: a value holding the text holds each part of it), the
  longest one that is not a word nearly every Falcon event holds
  (``_COMMON``: ``\\Device\\HarddiskVolume2\\Windows\\cert.exe`` counts by
  ``cert.exe``; every choice is sound, this one rules out more lines);
* a tag of the source (``#repo``, ``#type``: ``semantics.tags``) needs
  nothing, since the input's tag may answer it instead of the line; a tag
  Falcon events carry themselves (``#event_simpleName``) counts as a field;
* ``field=value`` and ``field=*wild*card*`` (and ``like``) need the most
  telling safe run of their pieces between the ``*``; ``field=/regex/`` needs one of
  the literals the regex cannot match without
  (``lang.regex.required_literals``, weighing them the same way), each by
  its most telling safe run, in
  ASCII-case-folded form when the regex ignores case (a literal without a
  safe run of three gives up the group); anything else (negation,
  comparisons, calls, free text) needs nothing;
* a literal from a filter on a field names that field (``Literal.field``):
  the reader may then look for it in that field's value alone; one from
  free text may be anywhere in the line;
* an AND (a juxtaposition or a run of stages) needs what each of its filters
  needs, up to and including the first filter that may change a field: the
  filters after it may test the changed value (``x := "a" | x=a`` must not
  require ``a`` in the line);
* an OR of filters that change no field, and a ``case`` (an event no branch
  takes is dropped), need one of their alternatives: the CNF of that
  disjunction, a group for each way of taking one group from every
  alternative, trimmed to the smallest few (``_OR_PICKS``, ``_OR_GROUPS``,
  ``_GROUP_CAP``);
* in the end a group that another group implies is dropped, and a query with
  a sub-query reading its source gets no prefilter at all (the compiler
  decides that).

The code generator supplies the two judgements that need the checked tree:
whether a filter changes no field, and the literal text of a value node.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..lang.regex import required_literals
from ..semantics.tags import line_holds
from ..syntax import ast as A
from .program import Literal, weakest_dropped, without_implied

__all__ = ["leading_required", "literal_weight", "required", "weakest_dropped"]

Group = tuple[Literal, ...]
# Whether a filter compiles without slow paths and changes no field.
PureFilter = Callable[[A.Node], bool]
# The literal text of a value node (string, bare word, number, parameter).
LiteralText = Callable[[A.Node], str | None]

# Characters a JSON encoder (Gson included) never escapes: literals made of
# them appear verbatim in a raw line whenever the decoded value contains them.
_PREFILTER_SAFE = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#$%()*+,-./:;?@[]^_`{|}~"
)
# Path parts, platform names and suffixes that nearly every event of a
# Windows host holds in some field: a literal that is one of them is kept
# only when there is nothing better.
_COMMON = frozenset(
    {
        "device",
        "harddiskvolume",
        "windows",
        "system32",
        "syswow64",
        "program files",
        "program files (x86)",
        "programdata",
        "users",
        "appdata",
        "local",
        "roaming",
        "temp",
        "microsoft",
        "win",
        "lin",
        "mac",
        "exe",
        ".exe",
        "dll",
        ".dll",
    }
)
_OR_PICKS = 3  # groups of each alternative tried when an OR is put in CNF
_OR_GROUPS = 8  # groups kept for one OR
# Literals in one group: a pack's automaton takes hundreds at no cost; the
# single-query scan uses groups of up to ``ingest.prefilter.SCAN_GROUP_MAX``.
_GROUP_CAP = 1024


def leading_required(steps: Sequence[A.Node], pure: PureFilter, text: LiteralText) -> list[Group]:
    """``required`` of a run of filters (stages, or the items of an AND),
    up to and including the first one that may change a field: the
    later ones may test a changed field (``x := "a" | x=a`` must not
    require "a" in the line)."""
    groups: list[Group] = []
    for step in steps:
        groups.extend(required(step, pure, text))
        if not pure(step):
            break
    return groups


def required(node: A.Node, pure: PureFilter, text: LiteralText) -> list[Group]:
    """Groups of literals, one of each group being needed in the raw line
    for an event to pass ``node`` when it starts on the fields as read
    from the line (conjunctive normal form)."""
    if isinstance(node, A.And):
        return leading_required(node.items, pure, text)
    if isinstance(node, A.Or):
        if not pure(node):
            return []
        return _disjunction([required(item, pure, text) for item in node.items])
    if isinstance(node, A.Case):
        # An event no branch takes is dropped, so every kept event passed
        # the leading filters of one branch.
        return _disjunction([leading_required(b.stages, pure, text) for b in node.branches])
    if isinstance(node, A.FieldFilter) and node.op in ("=", "like"):
        if not line_holds(node.field):
            return []
        return _value_groups(node.value, text, node.field)
    if isinstance(node, A.FreeText):
        # Free text searches the raw line and the values decoded from it,
        # whose raw spellings the line holds: the same literals are needed.
        return _value_groups(node.value, text)
    return []


def _value_groups(value: A.Node, text: LiteralText, field: str = "") -> list[Group]:
    """The CNF of a search for ``value`` (a regex, or a text with ``*``
    wildcards) in a string the raw line spells: the value of ``field``, or
    anywhere in the line when it is ""."""
    if isinstance(value, A.Regex):
        found = required_literals(value.pattern, value.flags, literal_weight)
        if found is None or not found.literals:
            return []
        runs = [_safe_run(x) for x in found.literals]
        if not all(runs):
            return []
        fold = found.ascii_case_insensitive
        return [_group(Literal(x, fold, field) for x in runs)]
    runs = [_safe_run(p) for p in (text(value) or "").split("*")]
    safe = [r for r in runs if r]
    return [(Literal(max(safe, key=_run_weight), False, field),)] if safe else []


def _safe_run(text: str) -> str:
    """The most telling run of safe characters in ``text`` (``_run_weight``;
    the first of the best), or "" when none has three characters."""
    best, start = "", 0
    for end, c in enumerate(text + "\0"):  # "\0" is not safe: it ends the last run
        if c not in _PREFILTER_SAFE:
            run = text[start:end]
            if len(run) >= 3 and (not best or _run_weight(run) > _run_weight(best)):
                best = run
            start = end + 1
    return best


def _run_weight(run: str) -> int:
    """How much a safe run rules out: its length, or 0 (less than any other
    run) when it is a common word (``_COMMON``), dots and spaces aside."""
    stripped = run.strip(" .").lower()
    return 0 if stripped in _COMMON or run.lower() in _COMMON else len(run)


def literal_weight(text: str) -> int:
    """How much a literal rules out: the weight of its most telling safe run
    (its length, 0 for a common word, -1 when it has none)."""
    run = _safe_run(text)
    return _run_weight(run) if run else -1


def _group(literals: Iterable[Literal]) -> Group:
    """A group without the literals that another of it implies, in a
    stable order."""
    return tuple(sorted(without_implied(literals), key=_literal_key))


def _literal_key(literal: Literal) -> tuple[str, bool, str]:
    return literal.text, literal.ignore_case, literal.field


def _size_key(group: Iterable[Literal]) -> tuple[int, int, list[tuple[str, bool, str]]]:
    """Smaller groups first, then those whose weakest literal tells most."""
    keys = sorted(map(_literal_key, group))
    return len(keys), -min((_run_weight(k[0]) for k in keys), default=0), keys


def _disjunction(alternatives: list[list[Group]]) -> list[Group]:
    """The CNF of an OR of CNFs: a group for each way of taking one group
    from every alternative (their union), since a line that passes any
    alternative holds one of its literals.  Any subset of those groups is
    still true of every kept line, so only the smallest few are kept: from
    the ``_OR_PICKS`` smallest groups of each alternative, at most
    ``_OR_GROUPS`` groups of at most ``_GROUP_CAP`` literals."""
    if not alternatives or any(not cnf for cnf in alternatives):
        return []
    unions: list[frozenset[Literal]] = [frozenset()]
    for cnf in alternatives:
        picks = sorted(set(cnf), key=_size_key)[:_OR_PICKS]
        unions = sorted({u | frozenset(g) for u in unions for g in picks}, key=_size_key)
        unions = unions[:_OR_GROUPS]
    return [_group(u) for u in unions if len(u) <= _GROUP_CAP]

"""Routing: which events a rule can keep at all, by their event type.

Most detections start by naming their event types
(``#event_simpleName=ProcessRollup2``, ``(... OR ...)``, or the Sigma
output's ``/^ProcessRollup2$/i``).  A pack reads each event's type once and
hands every rule only the events of the types it names; a rule that names
none sees every event.

A route is taken only from the filter stages that open a query (before
anything that could change a field) and only from tests that are exact:
equality with a plain value, or a regex that is a whole anchored literal
(``^text$``, optionally case-insensitive).  The rule still runs its own
filters on the events it is handed, so a route may be wider than the rule
(it is compared on a folded key: ASCII case ignored, and the two non-ASCII
letters RE2's ``(?i)`` folds onto ``k`` and ``s`` taken as those), never
narrower.
"""

from __future__ import annotations

from ..lang.events import Event
from ..lang.lazyre import lazy
from ..lang.regex import CASE_FOLDED_INTO_ASCII
from ..lang.values import unescape_bare
from ..records import Record, record
from ..semantics.analysis import TYPE_FIELDS
from ..semantics.checked import Checked
from ..syntax import ast as A

#: ``^text$`` where text is plain: letters, digits, ``_``, and punctuation
#: that is no regex operator, or any punctuation escaped with a backslash.
#: (Compiled on first use: ``route_of`` runs as rules are compiled, which a
#: run of a built pack seldom does.)
_ANCHORED_LITERAL = lazy(r"\^((?:[A-Za-z0-9_ ,:;'\"<>=!@#%&~`-]|\\[^A-Za-z0-9])*)\$\Z")
_UNESCAPE = lazy(r"\\(.)")
_FOLD = str.maketrans(
    {**{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}, **CASE_FOLDED_INTO_ASCII}
)


def route_key(value: str) -> str:
    """The key events are routed by: ASCII case folded, and the two non-ASCII
    letters RE2's ``(?i)`` folds onto ``k`` and ``s`` taken as those (the
    keys of the few event types seen are remembered: this runs per event)."""
    key = _KEYS.get(value)
    if key is None:
        key = value.translate(_FOLD)
        if len(_KEYS) < _KEYS_MOST:
            _KEYS[value] = key
    return key


_KEYS: dict[str, str] = {}
_KEYS_MOST = 4096


@record
class Route(Record):
    """A rule keeps only events whose ``field`` value, as ``route_key``
    gives it, is one of ``keys``.  (A ``records.Record``: a dataclass would
    be generated at every start of a pack run.)"""

    field: str
    keys: frozenset[str]

    def admits(self, event: Event) -> bool:
        """Whether the rule may keep ``event``."""
        value = event.get(self.field)
        return value is not None and route_key(value) in self.keys


def route_of(checked: Checked) -> Route | None:
    """The route of a checked query, or None when it may keep any event."""
    if checked.reads_source:
        return None  # its sub-queries read every event
    for stage in checked.tree.stages:
        if not _is_filter(stage, checked):
            return None
        route = _constraint(stage, checked)
        if route is not None:
            return route
    return None


def _is_filter(node: A.Node, checked: Checked) -> bool:
    """A stage that only keeps or drops events (changes no field)."""
    if isinstance(node, (A.And, A.Or)):
        return all(_is_filter(item, checked) for item in node.items)
    if isinstance(node, A.Not):
        return _is_filter(node.operand, checked)
    if isinstance(node, A.FieldFilter):
        plain = isinstance(node.value, (A.Str, A.Bare, A.Number, A.Regex, A.Param))
        return plain and id(node) not in checked.bindings and not _extracts(node)
    return isinstance(node, A.FreeText)


def _extracts(node: A.FieldFilter) -> bool:
    """A regex filter with named groups also writes fields."""
    return isinstance(node.value, A.Regex) and "(?<" in node.value.pattern


def _constraint(node: A.Node, checked: Checked) -> Route | None:
    if isinstance(node, A.FieldFilter):
        key = _exact_key(node, checked)
        return None if key is None else Route(node.field, frozenset({key}))
    if isinstance(node, A.And):
        for item in node.items:
            route = _constraint(item, checked)
            if route is not None:
                return route
        return None
    if isinstance(node, A.Or):
        routes = [_constraint(item, checked) for item in node.items]
        if not routes or any(r is None for r in routes):
            return None
        fields = {r.field for r in routes if r is not None}
        if len(fields) != 1:
            return None
        return Route(fields.pop(), frozenset().union(*(r.keys for r in routes if r is not None)))
    return None


def _exact_key(node: A.FieldFilter, checked: Checked) -> str | None:
    """The routing key of an exact event-type test, else None."""
    if node.field not in TYPE_FIELDS or node.op != "=":
        return None
    value = node.value
    if isinstance(value, (A.Str, A.Bare)):
        text = value.value if isinstance(value, A.Str) else unescape_bare(value.text)
        return None if "*" in text else route_key(text)  # (a * makes it a wildcard)
    if isinstance(value, A.Regex):
        if value.flags not in ("", "i"):
            return None
        match = _ANCHORED_LITERAL.match(value.pattern)
        if match is None:
            return None
        return route_key(_UNESCAPE.sub(r"\1", match.group(1)))
    return None

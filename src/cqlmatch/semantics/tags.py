"""Which tags of the source (``lang.tags``) a query filters on, and the
warnings when neither the events nor the inputs can give one.

A query copied out of LogScale often opens with ``#repo=...``,
``#type=...`` or ``#kind=...``.  Events read from files carry those only
when the export kept them; otherwise the input's tag answers, and where
there is none the filter quietly matches nothing.  ``check`` says so before
a run (W340, from what Falcon sensor events carry), and a run says so after
it (W470, from the events it read).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..errors import Diagnostic
from ..lang.tags import TagError, tag_name
from ..syntax import ast as A
from .falcon import EVENT_FIELDS

#: Field names raw Falcon sensor events carry (tags read them: ``#cid`` -> ``cid``);
#: the ``#`` names in the table are what LogScale exports add, not FDR lines.
_FALCON_FIELDS = frozenset().union(*EVENT_FIELDS.values())


def line_holds(field: str) -> bool:
    """Whether a filter on ``field`` can count on the raw line for its value
    (the prefilter's literals): not for a tag of the source, which an input
    tag may give instead.  Tags Falcon events carry themselves
    (``#event_simpleName``, ``#cid``) are read from the line; a run whose
    input tags name one of those turns the prefilter off (``prefilter_sound``)."""
    name = tag_name(field)
    return name is None or name in _FALCON_FIELDS


def refuse_routed_tags(tags: Mapping[str, str]) -> None:
    """``TagError`` for a tag named like a field Falcon events carry
    themselves (``event_simpleName``, ``cid``): a pack routes events and
    finds its candidate rules by those fields in the line."""
    for name in tags:
        if name in _FALCON_FIELDS:
            raise TagError(
                f"tag {name!r}: Falcon sensor events carry {name} themselves, and a pack"
                " routes and prefilters on it; give it a tag only when running one query"
            )


def prefilter_sound(tree: A.Node, tags: Mapping[str, str] | None) -> bool:
    """Whether a run with input ``tags`` may use the program's prefilter: no
    tag it gives is one the prefilter counted on finding in the line."""
    if not tags:
        return True
    for node in A.walk(tree):
        name = tag_name(node.field) if isinstance(node, A.FieldFilter) else None
        if name is not None and name in tags and name in _FALCON_FIELDS:
            return False
    return True


def filtered_tags(tree: A.Node) -> dict[str, A.Node]:
    """The tags the query tests (``#name=...``, ``#name match {...}``), each
    with the first node testing it; tags the query writes itself are left
    out (their value is the query's own)."""
    written = {node.field for node in A.walk(tree) if isinstance(node, A.Assign | A.FieldCall)}
    out: dict[str, A.Node] = {}
    for node in A.walk(tree):
        if isinstance(node, A.FieldFilter | A.MatchStmt) and node.field not in written:
            name = tag_name(node.field)
            if name is not None and name not in out:
                out[name] = node
    return out


def option_hint(name: str) -> str:
    """How a user gives inputs the tag ``name``."""
    return f"--tag {name}=VALUE (API: tags={{{name!r}: ...}})"


def unseen_message(name: str) -> str:
    """The run-time warning (W470) for a tag no event and no input tag gave."""
    return (
        f"the query filters on #{name}, which no event carried and no input tag gives,"
        f" so that filter matched nothing; give the inputs the tag: {option_hint(name)}"
    )


def check_tags(tree: A.Node, tags: Mapping[str, str]) -> list[Diagnostic]:
    """W340 for each tag the query filters on that Falcon sensor events do
    not carry (as ``#name`` or ``name``) and ``tags`` does not give."""
    out = []
    for name, node in filtered_tags(tree).items():
        if name in tags or name in _FALCON_FIELDS:
            continue
        message = (
            f"#{name} is a tag of the source: Falcon sensor events do not carry it and"
            f" no input tag gives it, so this filter matches only events that hold a"
            f" #{name} or {name} field; give the inputs the tag: {option_hint(name)}"
        )
        out.append(Diagnostic("warning", "W340", message, node.span))
    return out


class TagWatch:
    """The tags a query filters on that a run's input tags do not give, and
    whether any event read carried one (as ``#name`` or ``name``): after the
    run, ``warnings`` has W470 for each that none did.  Watching costs
    nothing when every filtered tag has an input tag (the usual case)."""

    __slots__ = ("names", "read", "seen")

    def __init__(self, tree: A.Node, tags: Mapping[str, str] | None) -> None:
        self.names = tuple(n for n in filtered_tags(tree) if not tags or n not in tags)
        self.seen: set[str] = set()
        self.read = False

    def watched(self, items: Iterable[Any], slots: Sequence[Any] = ()) -> Iterable[Any]:
        """``items`` (events, or column batches of a program whose field
        table is ``slots``), noting the watched tags they carry on the way."""
        if not self.names or len(self.seen) == len(self.names):
            return items
        return self._watch(items, [getattr(ref, "name", ref) for ref in slots])

    def _watch(self, items: Iterable[Any], names: list[str]) -> Iterator[Any]:
        left = [n for n in self.names if n not in self.seen]
        for item in items:
            self.read = True
            if left:
                fields = getattr(item, "fields", None)
                if isinstance(fields, dict):
                    found = [n for n in left if f"#{n}" in fields or n in fields]
                else:  # a column batch: the ``#name`` column holds ``name`` too
                    found = [
                        n
                        for n in left
                        if f"#{n}" in names
                        and any(v is not None for v in item.columns[names.index(f"#{n}")])
                    ]
                if found:
                    self.seen.update(found)
                    left = [n for n in left if n not in self.seen]
            yield item

    def see(self, events: list[Any], slots: Sequence[Any] = ()) -> None:
        """Note what ``events`` (or column batches of a program whose field
        table is ``slots``) carry: an embedding hands them over a batch at
        a time."""
        for _ in self.watched(events, slots):
            pass

    def see_mappings(self, events: Iterable[Any]) -> None:
        """Note what events given as JSON objects carry (a tag is a
        top-level key: ``#name`` or ``name``); anything else is skipped."""
        if not self.names or len(self.seen) == len(self.names):
            return
        for event in events:
            if not isinstance(event, Mapping):
                continue
            self.read = True
            for name in self.names:
                if name not in self.seen and (f"#{name}" in event or name in event):
                    self.seen.add(name)

    def note(self, names: Iterable[str], read: bool) -> None:
        """Add what another part of the run saw (a worker's ``seen``, ``read``)."""
        self.seen.update(names)
        self.read = self.read or read

    def warnings(self) -> list[tuple[str, str]]:
        """W470 for each watched tag no event read carried (none before an event is read)."""
        if not self.read:
            return []
        return [("W470", unseen_message(n)) for n in self.names if n not in self.seen]

"""What a pack is made of, as written: rules with their metadata, the
problems of those that cannot be used, and the pack they make up (shared by
``sources`` and ``sigma``, and by ``pack``, which loads a built pack without
either: no YAML)."""

from __future__ import annotations

from ..errors import YamlFileError
from ..records import Record, record

SEVERITIES = ("informational", "low", "medium", "high", "critical")
DEFAULT_SEVERITY = "medium"


@record
class Problem(Record):
    """Why one rule was left out: where (``file:line:col``), which rule
    (its id, or ``rules[3]`` when it has none), and what is wrong (for a
    query, its diagnostics with carets).  (A ``records.Record``, not a
    dataclass: one fewer generated at every start of a pack run.)"""

    where: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: rule {self.rule}: {self.message}"


@record
class RuleSource(Record):
    """One rule as written: its metadata and query text, and where the
    query's first line is (``path``; ``line_offset``/``column_offset`` place
    a query written inside a manifest, for located errors).  (A record:
    with ``PackSource`` a plain class, loading a pack imports no
    ``dataclasses``, which brings ``inspect``: 5-6 ms of every pack run.)"""

    id: str
    name: str
    severity: str = DEFAULT_SEVERITY
    tags: tuple[str, ...] = ()
    enabled: bool = True
    text: str = ""
    path: str = "<query>"
    line_offset: int = 0
    column_offset: int = 0
    tests: str | None = None


class PackError(YamlFileError):
    """A pack source that cannot be read at all (``file:line:col: message``)."""


class PackSource:
    """A pack as read: its name, the rules that could be read, in order,
    and the problems of those that could not; ``source_tags``, a
    manifest's ``source_tags:`` (the tags of the source its events come
    from, ``lang.tags``; not the rules' own ``tags:``)."""

    __slots__ = ("name", "problems", "rules", "source_tags")

    def __init__(
        self,
        name: str,
        rules: list[RuleSource] | None = None,
        problems: list[Problem] | None = None,
        source_tags: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.rules: list[RuleSource] = [] if rules is None else rules
        self.problems: list[Problem] = [] if problems is None else problems
        self.source_tags: dict[str, str] = {} if source_tags is None else source_tags

    def __eq__(self, other: object) -> bool:
        if type(other) is not PackSource:
            return NotImplemented
        return (self.name, self.rules, self.problems, self.source_tags) == (
            other.name,
            other.rules,
            other.problems,
            other.source_tags,
        )

    __hash__ = None  # type: ignore[assignment]  (mutable)

    def __repr__(self) -> str:
        return (
            f"PackSource(name={self.name!r}, rules={self.rules!r}, "
            f"problems={self.problems!r}, source_tags={self.source_tags!r})"
        )

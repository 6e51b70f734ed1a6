"""What a pack is made of, as written: rules with their metadata, the
problems of those that cannot be used, and the pack they make up (shared by
``sources`` and ``sigma``, and by ``pack``, which loads a built pack without
either: no YAML)."""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class RuleSource:
    """One rule as written: its metadata and query text, and where the
    query's first line is (``path``; ``line_offset``/``column_offset`` place
    a query written inside a manifest, for located errors)."""

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


@dataclass
class PackSource:
    """A pack as read: its name, the rules that could be read, in order,
    and the problems of those that could not."""

    name: str
    rules: list[RuleSource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: ``source_tags:`` of a manifest: the tags of the source its events
    #: come from (``lang.tags``; not the rules' own ``tags:``)
    source_tags: dict[str, str] = field(default_factory=dict)

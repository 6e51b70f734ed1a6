"""One compiled rule of a pack: its source, its query and its route."""

from __future__ import annotations

from dataclasses import dataclass

from ..runtime.query import CompiledQuery
from .routing import Route
from .sources import RuleSource

#: The fields a hit carries about its rule, in this order.
RULE_FIELDS = ("rule.id", "rule.name", "rule.severity", "rule.tags")


@dataclass(frozen=True)
class PackRule:
    """One compiled rule of a pack."""

    source: RuleSource
    query: CompiledQuery
    route: Route | None

    @property
    def id(self) -> str:
        return self.source.id

    def fields(self) -> dict[str, str]:
        """The ``rule.*`` fields its hits carry."""
        out = {
            "rule.id": self.source.id,
            "rule.name": self.source.name,
            "rule.severity": self.source.severity,
        }
        if self.source.tags:
            out["rule.tags"] = ",".join(self.source.tags)
        return out

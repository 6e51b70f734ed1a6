"""One rule of a pack: its source, its route, what running it needs to know
(its run plan, its prefilter, whether it links), its compiled query, and
the VM engine runs reuse.

A rule compiled from its text has all of these at once.  A rule loaded
from a built pack file (``packfile``) has the facts without the query: a
linked rule runs from the pack's linked program and never needs its own,
so its query is compiled from the text only when something asks for it
(``Pack.match``, detection tests, a slow path)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..bytecode.link import linkable
from ..bytecode.program import Literal
from ..lang.tags import input_tags
from ..runtime.engine import VMEngine
from ..runtime.plan import RunPlan
from ..runtime.query import CompiledQuery, compile as compile_query
from .model import RuleSource
from .routing import Route

#: The fields a hit carries about its rule, in this order.
RULE_FIELDS = ("rule.id", "rule.name", "rule.severity", "rule.tags")


class PackRule:
    """One rule of a pack (see the module docstring)."""

    def __init__(
        self,
        source: RuleSource,
        query: CompiledQuery | None,
        route: Route | None,
        *,
        plan: RunPlan | None = None,
        prefilter: tuple[tuple[Literal, ...], ...]
        | Callable[[], tuple[tuple[Literal, ...], ...]]
        | None = None,
        links: bool | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        """``query``, or (a loaded rule) None with ``plan``, ``prefilter``
        (or what gives it when first asked for: a pack file's are decoded
        then) and ``links`` given; ``options``: what ``compile`` takes to
        compile the text when the query is first asked for."""
        if query is None and (plan is None or prefilter is None or links is None):
            raise ValueError("a rule without its query needs its plan, prefilter and links")
        self.source = source
        self.route = route
        self._query = query
        self._plan = plan
        self._prefilter = prefilter
        self._links = links
        self._options = dict(options or {})
        self._to_run: CompiledQuery | None = None  # compiled without its warnings (``engine``)
        self._lock = threading.Lock()
        # this thread's engine (``engine``), made when first asked for: most
        # rules of a loaded pack never are (they run linked)
        self._engines: threading.local | None = None

    def __repr__(self) -> str:
        return f"PackRule({self.source.id!r})"

    @property
    def id(self) -> str:
        return self.source.id

    @property
    def query(self) -> CompiledQuery:
        """The compiled query (compiled from the text on first use when the
        rule was loaded from a pack file)."""
        if self._query is None:
            with self._lock:
                if self._query is None:
                    self._query = compile_query(self.source.text, **self._options)
        return self._query

    def _query_to_run(self) -> CompiledQuery:
        """The query as a run needs it, compiled once without the analyses
        that only warn (a loaded rule's warnings were given when its pack
        was built); ``query`` still compiles it whole when asked."""
        if self._to_run is None:
            with self._lock:
                if self._to_run is None:
                    self._to_run = compile_query(self.source.text, warnings=False, **self._options)
        return self._to_run

    @property
    def compiled(self) -> bool:
        """Whether the query is compiled already."""
        return self._query is not None

    @property
    def plan(self) -> RunPlan:
        return self._query.plan if self._query is not None else self._plan  # type: ignore[return-value]

    @property
    def prefilter(self) -> tuple[tuple[Literal, ...], ...]:
        """The literal groups a line the rule keeps holds (the program's)."""
        if self._query is not None:
            return self._query.program.prefilter
        prefilter = self._prefilter
        if callable(prefilter):
            prefilter = self._prefilter = prefilter()
        return prefilter  # type: ignore[return-value]

    @property
    def links(self) -> bool:
        """Whether the rule runs linked with the others like it: a
        per-event pure filter (``bytecode.link.linkable``)."""
        if self._links is None:
            plan = self.plan
            self._links = (
                not plan.aggregating and not plan.reads_source and linkable(self.query.program)
            )
        return self._links

    @property
    def tags(self) -> dict[str, str]:
        """The tags of the source the rule's runs read (the pack's: its
        compile options, over the Falcon sensor defaults)."""
        return input_tags(self._options.get("tags"), self._options.get("default_tags", True))

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

    def engine(self, own: bool = False) -> VMEngine:
        """This thread's VM engine for the rule, made once (building the
        machine compiles its RE2 sets: for a pack of 1,690 rules about a
        second) and shared by the runs of this thread, one after another;
        ``own``: a new engine for a holder that lives on (a matcher)."""
        engines = self._engines
        if engines is None:
            with self._lock:
                if self._engines is None:
                    self._engines = threading.local()
                engines = self._engines
        engine = None if own else getattr(engines, "engine", None)
        if engine is None:
            query = self._query if self._query is not None else self._query_to_run()
            engine = VMEngine(
                query.checked,
                query.tables,
                query.program,
                query.plan,
                tags=self.tags,
                enrichment=query.enrichment,
            )
            if not own:
                engines.engine = engine
        return engine

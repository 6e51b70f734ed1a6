"""What checking a query produces: every call site bound to its catalogue
entry (``BoundCall``) and the diagnostics (``Checked``).  Both engines, the
compiler and the analysis read these; they live apart from the checker so the
analysis (which the checker runs) does not import the checker."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Diagnostic
from ..limits import LIMIT_MAXIMA as LIMIT_MAXIMA  # re-exported: tests and callers read it here
from ..syntax import ast as A
from .catalogue import FunctionSpec, T

LIMIT_MAX = -1  # ``limit=max``: the function picks its own maximum


@dataclass
class BoundCall:
    """A call with its arguments bound to parameters and converted."""

    spec: FunctionSpec
    node: A.Node
    args: dict[str, object] = field(default_factory=dict)
    nodes: dict[str, A.Node] = field(default_factory=dict)
    extension: str | None = None  # set when the call uses a cqlmatch-only form

    def get(self, name: str, default: object = None) -> object:
        if name in self.args:
            return self.args[name]
        p = self.spec.param(name)
        if p is not None and p.default is not None:
            if p.type in (T.FIELDS, T.STRINGS, T.ENUMS) and isinstance(p.default, str):
                return (p.default,)
            return p.default
        return default

    def given(self, name: str) -> bool:
        return name in self.args


@dataclass
class Checked:
    tree: A.Pipeline
    text: str
    bindings: dict[int, BoundCall]
    diagnostics: list[Diagnostic]
    params: dict[str, str]

    def binding(self, node: A.Node) -> BoundCall:
        return self.bindings[id(node)]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def reads_source(self) -> bool:
        """Whether a sub-query (``join``, ``defineTable``) reads the input
        again, besides the main pipeline: it may need any event of it."""
        return any(b.spec.name in ("join", "defineTable") for b in self.bindings.values())

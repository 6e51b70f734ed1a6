"""What checking a query produces: every call site bound to its catalogue
entry (``BoundCall``) and the diagnostics (``Checked``).  Both engines, the
compiler and the analysis read these; they live apart from the checker so the
analysis (which the checker runs) does not import the checker."""

from __future__ import annotations

from ..errors import Diagnostic
from ..limits import LIMIT_MAXIMA as LIMIT_MAXIMA  # re-exported: tests and callers read it here
from ..syntax import ast as A
from .catalogue import FunctionSpec, T

LIMIT_MAX = -1  # ``limit=max``: the function picks its own maximum


class BoundCall:
    """A call with its arguments bound to parameters and converted.  (Plain
    classes here and in ``Checked``: a dataclass is generated and compiled
    again at every start.)"""

    def __init__(
        self,
        spec: FunctionSpec,
        node: A.Node,
        args: dict[str, object] | None = None,
        nodes: dict[str, A.Node] | None = None,
        extension: str | None = None,
    ) -> None:
        self.spec = spec
        self.node = node
        self.args: dict[str, object] = {} if args is None else args
        self.nodes: dict[str, A.Node] = {} if nodes is None else nodes
        self.extension = extension  # set when the call uses a cqlmatch-only form

    def __repr__(self) -> str:
        return (
            f"BoundCall(spec={self.spec!r}, node={self.node!r}, args={self.args!r},"
            f" nodes={self.nodes!r}, extension={self.extension!r})"
        )

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


class Checked:
    """A checked query: its tree and text, every call's binding (by the id
    of its node), the diagnostics and the parameters' values."""

    def __init__(
        self,
        tree: A.Pipeline,
        text: str,
        bindings: dict[int, BoundCall],
        diagnostics: list[Diagnostic],
        params: dict[str, str],
    ) -> None:
        self.tree = tree
        self.text = text
        self.bindings = bindings
        self.diagnostics = diagnostics
        self.params = params

    def __repr__(self) -> str:
        return (
            f"Checked(tree={self.tree!r}, text={self.text!r}, bindings={self.bindings!r},"
            f" diagnostics={self.diagnostics!r}, params={self.params!r})"
        )

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

"""Static analysis over the checked tree: which fields each path through the
query guarantees, and which it can never have.

A *path* is one way an event can travel through filters, case branches and
match arms.  Along it we track the fields certainly present (a positive
filter or an assignment puts them there), the Falcon event types the path is
restricted to (``#event_simpleName=...``), and whether the path is dead
(``false``, ``dropEvent()``, the ``drop()`` extension).  At a ``groupBy`` a
field is *certainly missing* on a path when the path's event types never
carry it and nothing assigned it; when every live path lacks some group
field, the groupBy returns nothing, which is warning W310.
"""

from __future__ import annotations

import contextlib

from ..errors import Diagnostic
from ..lang.regex import RegexError, translate
from ..limits import MAX_FILTER_PATHS, MAX_PATHS
from ..records import Record, record, replace
from ..syntax import ast as A
from .checked import Checked
from .falcon import carries

TYPE_FIELDS = ("#event_simpleName", "event_simpleName")
# functions that set fields named by the data, not by the query
_OPEN = frozenset(
    {
        "parseJson",
        "kvParse",
        "parseXml",
        "parseCsv",
        "parseUrl",
        "setField",
        "split",
        "splitString",
        "lowercase",
        "bitfield:extractFlags",
        "rename",
        "array:filter",
        "matchAsArray",
    }
)


@record
class Path(Record):
    present: frozenset[str] = frozenset()
    types: frozenset[str] | None = None  # None: any event type
    assigned: frozenset[str] = frozenset()
    label: str = ""
    # a function set fields whose names the query does not spell (parseJson(),
    # match() without include=, setField() ...): no field is certainly missing
    open: bool = False

    def certainly_missing(self, name: str) -> bool:
        if name in self.present or name in self.assigned or self.types is None or self.open:
            return False
        verdicts = [carries(t, name) for t in self.types]
        return bool(verdicts) and all(v is False for v in verdicts)


class _TooManyPaths(Exception):
    """The paths through one filter passed ``MAX_FILTER_PATHS``: the analysis gives
    up (it only warns, so giving up loses warnings, never a result)."""


def analyse(checked: Checked) -> list[Diagnostic]:
    analyser = _Analyser(checked)
    # (an AND of many ORs: the paths multiply within one stage)
    with contextlib.suppress(_TooManyPaths):
        analyser.pipeline(checked.tree, [Path()])
    return analyser.diagnostics


class _Analyser:
    def __init__(self, checked: Checked) -> None:
        self.checked = checked
        self.diagnostics: list[Diagnostic] = []

    def pipeline(self, pipe: A.Pipeline, paths: list[Path] | None) -> list[Path] | None:
        for stage in pipe.stages:
            if paths is None:
                return None
            paths = self.stage(stage, paths)
            if paths is not None and len(paths) > MAX_PATHS:
                return None
        return paths

    def stage(self, node: A.Node, paths: list[Path]) -> list[Path] | None:
        if isinstance(node, A.Case):
            if not node.branches:
                self.diagnostics.append(
                    Diagnostic(
                        "warning",
                        "W304",
                        "case {} has no branch, so it drops every event",
                        node.span,
                        fix="*",
                    )
                )
                return []
            out: list[Path] = []
            for i, branch in enumerate(node.branches, 1):
                labelled = [replace(p, label=f"{p.label}case branch {i}, ") for p in paths]
                result = self.pipeline(branch, labelled)
                if result is None:
                    return None
                out.extend(result)
            return out
        if isinstance(node, A.MatchStmt):
            out = []
            for arm in node.arms:
                result = self.pipeline(arm.body, paths)
                if result is None:
                    return None
                out.extend(result)
            return out
        binding = self.checked.bindings.get(id(node))
        if isinstance(node, A.Assign) and binding is None:
            return [self.assign(p, node.field) for p in paths]
        if binding is not None:
            return self.call(binding, node, paths)
        if isinstance(node, A.Array):
            return None
        return [q for p in paths for q in self.filter(node, p)]

    @staticmethod
    def assign(path: Path, name: str) -> Path:
        return replace(path, present=path.present | {name}, assigned=path.assigned | {name})

    @staticmethod
    def extract(path: Path, pattern: str, flags: str) -> Path:
        """A regex that matched set its named groups on the event."""
        try:
            groups = set(translate(pattern, flags).group_fields)
        except RegexError:
            return path
        if not groups:
            return path  # (most regexes: no copy of the path for them)
        return replace(path, present=path.present | groups, assigned=path.assigned | groups)

    def call(self, binding, node: A.Node, paths: list[Path]) -> list[Path] | None:
        name = binding.spec.name
        if binding.extension == "drop-event" or name == "dropEvent":
            return []
        if name == "groupBy":
            self.group_by(binding, node, paths)
            return None
        if binding.spec.kind in ("aggregate", "stage"):
            return None
        if name == "default":
            fields = binding.get("field")
            return [
                replace(p, present=p.present | set(fields), assigned=p.assigned | set(fields))
                for p in paths
            ]
        if name == "regex":
            pattern, literal_flags = binding.get("regex")
            flags = binding.get("flags") if binding.given("flags") else ""
            return [self.extract(p, pattern, literal_flags + str(flags)) for p in paths]
        if name in _OPEN or (name == "match" and not binding.given("include")):
            return [replace(p, open=True) for p in paths]
        if name == "eval":
            fields = [a.field for a in binding.get("expression", ())]
            return [
                replace(p, present=p.present | set(fields), assigned=p.assigned | set(fields))
                for p in paths
            ]
        if name == "drop":
            fields = set(binding.get("fields"))
            return [replace(p, present=p.present - fields) for p in paths]
        if name in ("in", "cidr", "wildcard") and binding.given("field"):
            fields = binding.get("field")
            if isinstance(fields, str):
                fields = (fields,)
            if len(fields) == 1:
                return [replace(p, present=p.present | {fields[0]}) for p in paths]
        output = binding.get("as", binding.spec.output)
        if isinstance(output, str) and output:
            return [self.assign(p, output) for p in paths]
        return paths

    def filter(self, node: A.Node, path: Path) -> list[Path]:
        if isinstance(node, A.And):
            paths = [path]
            for item in node.items:
                paths = [q for p in paths for q in self.filter(item, p)]
                if len(paths) > MAX_FILTER_PATHS:
                    raise _TooManyPaths
            return paths
        if isinstance(node, A.Or):
            paths = [q for item in node.items for q in self.filter(item, path)]
            if len(paths) > MAX_FILTER_PATHS:
                raise _TooManyPaths
            return paths
        if isinstance(node, A.Bool):
            return [path] if node.value else []
        if isinstance(node, A.FreeText) and isinstance(node.value, A.Regex):
            return [self.extract(path, node.value.pattern, node.value.flags)]
        if isinstance(node, A.FieldFilter) and node.op != "!=":
            if path.certainly_missing(node.field):
                self.never_carried(node, path)
            if isinstance(node.value, A.Regex):
                path = self.extract(path, node.value.pattern, node.value.flags)
            present = path.present | {node.field}
            types = path.types
            if (
                node.field in TYPE_FIELDS
                and node.op == "="
                and isinstance(node.value, A.Bare | A.Str)
            ):
                value = node.value.text if isinstance(node.value, A.Bare) else node.value.value
                if "*" not in value:
                    types = frozenset({value}) if types is None else types & {value}
                    if not types:
                        return []
                    return [replace(path, present=present, types=types)]
            if node.field in path.present:
                return [path]  # (nothing new: Sigma rules test one field many times)
            return [replace(path, present=present, types=types)]
        if isinstance(node, A.Call):
            binding = self.checked.bindings.get(id(node))
            if binding is not None:
                result = self.call(binding, node, [path])
                return [path] if result is None else result
        return [path]

    def never_carried(self, node: A.FieldFilter, path: Path) -> None:
        kinds = "/".join(sorted(path.types or ()))
        message = (
            f"{kinds} events never carry {node.field} in raw Falcon telemetry, so this "
            "filter only matches data enriched elsewhere"
        )
        if all(d.message != message or d.span != node.span for d in self.diagnostics):
            self.diagnostics.append(Diagnostic("warning", "W320", message, node.span))

    def group_by(self, binding, node: A.Node, paths: list[Path]) -> None:
        keys = binding.get("field")
        lacking = []
        for path in paths:
            missing = [k for k in keys if path.certainly_missing(k)]
            if not missing:
                return
            kinds = "/".join(sorted(path.types or ()))
            where = f"{path.label}{kinds} events".strip()
            reason = f"{where} lack {', '.join(missing)}"
            if reason not in lacking:
                lacking.append(reason)
        if not paths:
            return
        fields = ", ".join(keys)
        self.diagnostics.append(
            Diagnostic(
                "warning",
                "W310",
                "groupBy() returns no rows: an event missing any group field counts toward "
                "no group, and every event reaching it lacks one (" + "; ".join(lacking) + ")",
                node.span,
                fix=f'default(value="-", field=[{fields}]) | {self.checked.text[node.span.start : node.span.end]}',
            )
        )

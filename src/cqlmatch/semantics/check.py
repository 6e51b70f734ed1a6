"""Semantic checking: every call bound to its catalogue entry, every argument
converted to its parameter's type, and diagnostics with codes and spans.

The result, ``Checked``, maps call sites (by node identity) to ``BoundCall``
objects that both engines read instead of re-interpreting arguments.

Error codes: E201 unknown function, E202 function not supported offline,
E203 too many unnamed arguments, E204 unknown parameter, E205 repeated
parameter, E206 missing parameter, E207 wrong argument type, E208 function
not allowed here, E209 unsupported construct, E220 parameter without value,
E221 saved query not available, E222 lookup file not found, E223 function
needs data from outside the events (GeoIP, threat intelligence), E230 invalid
regex.
Warnings: W301 positional if() arguments, W302 drop() without fields,
W303 filter-style if() condition, W310 groupBy that drops every event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import CQLCompileError, Diagnostic, SourceMap, Span
from ..lang.durations import parse_duration
from ..lang.lazyre import lazy
from ..lang.regex import RegexError, compile_regex, translate
from ..lang.values import parse_bool, parse_number
from ..limits import EVENTS_PER_EVENT_MAX, FORMAT_WIDTH_MAX, LIMIT_MAXIMA, MAX_STAGES
from ..syntax import ast as A
from .analysis import analyse
from .catalogue import CATALOGUE, P, T, lookup
from .checked import LIMIT_MAX, BoundCall, Checked
from .enrich import need_message

# The width and precision of each conversion of a format() string (``%%`` is
# a literal percent sign and has none).
_FORMAT_SIZES = lazy(r"%(?:%|(?:\d+\$|<)?[-#+ 0,(]*(\d*)(?:\.(\d+))?)")
# quoted text no field is named: empty, spaced, or without a letter or digit
_NOT_A_NAME = lazy(r"^[^\w]*$|\s")


def check(
    tree: A.Pipeline,
    text: str,
    params: Mapping[str, str] | None = None,
    strict: bool = False,
    provides: frozenset[str] = frozenset(),
    warnings: bool = True,
) -> Checked:
    """Check a parsed query; raises ``CQLCompileError`` listing every error.
    ``provides``: the kinds of the user's enrichment data given
    (``semantics.enrich``); a function needing another kind is E223.
    ``warnings=False`` leaves out the analyses that only warn (paths, lint):
    for a query compiled again where its warnings were given already."""
    checker = _Checker(text, dict(params or {}), strict)
    checker.provides = provides
    too_long = _overlong_path(tree)
    if too_long is not None:
        diagnostic = Diagnostic(
            "error",
            "E210",
            f"more than {MAX_STAGES} stages in a row (those of enclosing pipelines included)",
            too_long.span,
            expected="a shorter query",
        )
        raise CQLCompileError(text, [diagnostic])
    checker.pipeline(tree, top=True)
    checked = Checked(tree, text, checker.bindings, checker.diagnostics, checker.params)
    if checked.errors:
        raise CQLCompileError(text, sorted(checker.diagnostics, key=lambda d: d.span.start))
    if not warnings:
        return checked
    from .lint import lint

    checked.diagnostics.extend(analyse(checked))
    checked.diagnostics.extend(lint(tree, text))
    checked.diagnostics.sort(key=lambda d: d.span.start)
    return checked


def _overlong_path(tree: A.Pipeline) -> A.Node | None:
    """The first stage past MAX_STAGES on some path, or None."""
    todo: list[tuple[A.Node, int]] = [(tree, 0)]
    while todo:
        node, base = todo.pop()
        if isinstance(node, A.Pipeline):
            for index, stage in enumerate(node.stages):
                if base + index + 1 > MAX_STAGES:
                    return stage
                todo.append((stage, base + index + 1))
        else:
            todo.extend((child, base) for child in A.children(node))
    return None


class _Checker:
    def __init__(self, text: str, params: dict[str, str], strict: bool) -> None:
        self.text = text
        self.source = SourceMap(text)
        self.params = params
        self.strict = strict
        self.bindings: dict[int, BoundCall] = {}
        self.diagnostics: list[Diagnostic] = []
        self.provides: frozenset[str] = frozenset()  # the user's enrichment data
        # inside a correlate() query: its name and the names of all its queries
        self._correlate: tuple[str, list[str]] | None = None

    # --- reporting -------------------------------------------------------------

    def error(self, code: str, message: str, span: Span, expected=None, fix=None) -> None:
        self.diagnostics.append(Diagnostic("error", code, message, span, expected, fix))

    def extension(self, code: str, message: str, span: Span, fix: str | None) -> None:
        severity = "error" if self.strict else "warning"
        self.diagnostics.append(Diagnostic(severity, code, message, span, None, fix))

    def source_text(self, node: A.Node) -> str:
        return self.text[node.span.start : node.span.end]

    # --- structure ---------------------------------------------------------------

    def pipeline(self, pipe: A.Pipeline, top: bool = False) -> None:
        for stage in pipe.stages:
            self.stage(stage, top)

    def stage(self, node: A.Node, top: bool) -> None:
        if isinstance(node, A.Case):
            for branch in node.branches:
                self.pipeline(branch)
        elif isinstance(node, A.MatchStmt):
            for arm in node.arms:
                self.match_pattern(arm.pattern, node.field)
                self.pipeline(arm.body)
        elif isinstance(node, A.Assign):
            self.assign(node, top)
        elif isinstance(node, A.FieldCall):
            self.bind(node.call, key=node, top=top, injected={"field": A.Bare(node.field)})
        elif isinstance(node, A.Array):
            self.stats_array(node, top)
        else:
            self.filter(node, top)

    def assign(self, node: A.Assign, top: bool) -> None:
        value = node.value
        if isinstance(value, A.Call):
            spec = lookup(value.name)
            if spec is not None and spec.param("as") is not None:
                self.bind(value, key=node, top=top, injected={"as": A.Bare(node.field)})
                return
        self.expr(value)

    def stats_array(self, node: A.Array, top: bool) -> None:
        for item in node.items:
            if isinstance(item, A.Call) and item.name.lower() == "window":
                self.error("E208", _WINDOW_PLACE, item.span)
            elif isinstance(item, A.Call):
                self.bind(item, top=top, kinds=("aggregate", "stage"))
            elif isinstance(item, A.SubQuery):
                self.pipeline(item.query, top=True)
            elif isinstance(item, A.Assign) and isinstance(item.value, A.Call):
                self.bind(
                    item.value,
                    key=item,
                    top=top,
                    kinds=("aggregate", "stage"),
                    injected={"as": A.Bare(item.field)},
                )
            else:
                self.error("E207", "a list stage holds aggregate function calls", item.span)
        if not top:
            self.error("E208", "aggregates are not allowed inside case or match", node.span)

    def match_pattern(self, node: A.Node, subject: str) -> None:
        if isinstance(node, A.Call):
            # ``f match { in(values=[...]) => ... }`` tests the subject field
            self.bind(node, top=False, kinds=("filter",), injected={"field": A.Bare(subject)})
        elif isinstance(node, A.Param):
            self.param(node)
        elif isinstance(node, A.Regex):
            self.regex(node)

    def filter(self, node: A.Node, top: bool) -> None:
        if isinstance(node, A.And | A.Or):
            for item in node.items:
                self.filter(item, False)
        if isinstance(node, A.Or):
            for item in node.items:
                self.named_groups_in_or(item)
        elif isinstance(node, A.Not):
            self.filter(node.operand, False)
            if isinstance(node.operand, A.Call):
                spec = lookup(node.operand.name)
                if spec is not None and not spec.negatable and spec.unsupported is None:
                    self.error("E208", f"{spec.name}() cannot be negated", node.span)
        elif isinstance(node, A.FieldFilter):
            if node.op == "<=>":
                self.link(node)
            self.filter_value(node.value)
        elif isinstance(node, A.FreeText):
            self.filter_value(node.value)
        elif isinstance(node, A.Call):
            self.bind(node, top=top)
        elif isinstance(node, A.SavedCall):
            self.error(
                "E221",
                f"saved query ${node.name}() is not available offline",
                node.span,
                "the saved query's text inlined, or a saved-query directory",
            )

    def named_groups_in_or(self, item: A.Node) -> None:
        """LogScale rejects ``a=/(?<x>...)/ OR b`` (an OR is a case whose
        branches may not extract with a regex); cqlmatch runs it (W306)."""
        regex = item.value if isinstance(item, A.FieldFilter | A.FreeText) else None
        bound = self.bindings.get(id(item)) if isinstance(item, A.Call) else None
        if bound is not None and bound.spec.name == "regex" and "regex" in bound.args:
            pattern, flags = bound.args["regex"]
            regex = A.Regex(pattern, flags, span=item.span)
        if not isinstance(regex, A.Regex):
            return
        try:
            groups = translate(regex.pattern, regex.flags).group_fields
        except RegexError:
            return  # reported as E230 where the regex is checked
        if groups:
            self.extension(
                "W306",
                f"a regex with named groups ({', '.join(dict.fromkeys(groups))}) as an "
                "operand of OR is a cqlmatch extension: LogScale rejects it; here the "
                "operand that matches adds its groups",
                item.span,
                None,
            )

    # --- correlate() ----------------------------------------------------------------

    def correlate_queries(self, bound: BoundCall, args: list) -> None:
        """Bind correlate()'s ``name: { query } include: [...]`` arguments
        into ``queries``: (name, pipeline, include fields or None) each."""
        named = [a for a in args if isinstance(a, A.QueryArg)]
        if not named:
            self.error(
                "E206", "correlate() needs named sub-queries: name: { query }", bound.node.span
            )
            return
        names = [a.name for a in named]
        queries = []
        for arg in named:
            if names.count(arg.name) > 1 and arg is not named[names.index(arg.name)]:
                self.error("E205", f"correlate() names the query {arg.name!r} twice", arg.span)
                continue
            outer = self._correlate
            self._correlate = (arg.name, names)
            try:
                self.pipeline(arg.query, top=True)
            finally:
                self._correlate = outer
            for stage in arg.query.stages:
                inner = self.bindings.get(id(stage))
                if inner is not None and inner.spec.kind in ("aggregate", "stage"):
                    self.error(
                        "E208",
                        f"{inner.spec.name}() cannot be used in a correlate() query, which "
                        "selects single events",
                        stage.span,
                    )
            include = None
            for option in arg.options:
                if option.name.lower() != "include":
                    self.error(
                        "E204",
                        f"correlate() queries take include: only, not {option.name!r}",
                        option.span,
                    )
                    continue
                items = option.value.items if isinstance(option.value, A.Array) else (option.value,)
                texts = [self.text_of(item) for item in items]
                if any(t is None for t in texts):
                    self.error("E207", "include: takes field names", option.span)
                    continue
                include = tuple(t for t in texts if t is not None)
            queries.append((arg.name, arg.query, include))
        bound.args["queries"] = tuple(queries)
        root = next(
            (a.value for a in args if not isinstance(a, A.QueryArg) and a.name == "root"), None
        )
        root_name = self.text_of(root) if root is not None else None
        if root_name is not None and root_name not in names:
            self.error(
                "E207", f"correlate() root={root_name!r} names none of its queries", root.span
            )

    def link(self, node: A.FieldFilter) -> None:
        """``field <=> query.field``: only inside correlate(), naming
        another of its queries."""
        context = self._correlate
        if context is None:
            self.error("E209", "'<=>' links only exist inside correlate()", node.span)
            return
        own, names = context
        target = node.value.text if isinstance(node.value, A.Bare) else ""
        query, _, field_name = target.partition(".")
        if query not in names or query == own or not field_name:
            others = ", ".join(n for n in names if n != own) or "it has no other"
            self.error(
                "E209",
                f"'<=>' must name a field of another query of this correlate() "
                f"({others}) as query.field",
                node.span,
            )

    def filter_value(self, node: A.Node) -> None:
        if isinstance(node, A.Param):
            self.param(node)
        elif isinstance(node, A.Regex):
            self.regex(node)

    def regex(self, node: A.Regex, literal: bool = True) -> None:
        """Compile the regex now, so an invalid one is a compile error that
        points into the query.  ``literal`` is False for patterns given as
        strings, whose offsets cannot be mapped through escapes exactly."""
        try:
            compiled = compile_regex(node.pattern, node.flags)
        except RegexError as err:
            if not literal:
                span = node.span
            else:
                # pattern between the slashes; flags after the closing one
                start = node.span.start + 1 + err.offset
                if err.in_flags:
                    start += len(node.pattern) + 1
                span = self.source.span(start, start + max(1, err.length))
            self.error("E230", f"invalid regex: {err.message}", span)
            return
        if compiled.translated.backtracking is not None:
            self.diagnostics.append(
                Diagnostic(
                    "warning",
                    "W350",
                    f"this regex uses {compiled.translated.backtracking}, which RE2 cannot run: "
                    "it runs on a backtracking engine, outside the VM's regex sets: slower, "
                    "and a search that passes 1 s on a value gives up (W420)",
                    node.span,
                )
            )

    def param(self, node: A.Param) -> str | None:
        if node.name in self.params:
            return self.params[node.name]
        if node.default is not None:
            return node.default
        self.error(
            "E220",
            f"query parameter ?{node.name} has no value",
            node.span,
            fix=None,
            expected=f"a value: --param {node.name}=VALUE",
        )
        return None

    def expr(self, node: A.Node) -> None:
        if isinstance(node, A.Call):
            self.bind(node, top=False, kinds=("transform", "filter"))
        elif isinstance(node, A.Binary):
            self.expr(node.left)
            self.expr(node.right)
        elif isinstance(node, A.Unary):
            self.expr(node.operand)
        elif isinstance(node, A.Param):
            self.param(node)
        elif isinstance(node, A.Array):
            for item in node.items:
                self.expr(item)
        elif isinstance(node, A.SavedCall):
            self.filter(node, False)
        elif isinstance(node, A.SubQuery):
            self.error("E209", "a sub-query cannot be used as a value", node.span)
        elif isinstance(node, A.Regex):
            self.error("E209", "a regex literal cannot be used as a value", node.span)

    # --- calls -------------------------------------------------------------------

    def bind(
        self,
        call: A.Call,
        key: A.Node | None = None,
        top: bool = True,
        kinds: tuple[str, ...] | None = None,
        injected: dict[str, A.Node] | None = None,
    ) -> BoundCall | None:
        spec = lookup(call.name)
        if spec is None:
            close = _close_matches(call.name.lower(), CATALOGUE, n=1, cutoff=0.6)
            hint = f"; did you mean {CATALOGUE[close[0]].name}()?" if close else ""
            fix = CATALOGUE[close[0]].name if close else None
            name_span = self.source.span(call.span.start, call.span.start + len(call.name))
            self.error("E201", f"unknown function {call.name}(){hint}", name_span, fix=fix)
            return None
        if spec.unsupported is not None:
            code = "E223" if spec.external else "E202"
            self.error(
                code, f"{spec.name}() is not supported offline: {spec.unsupported}", call.span
            )
            return None
        if spec.needs is not None and spec.needs not in self.provides:
            self.error("E223", need_message(spec.name, spec.needs), call.span)
            return None
        if spec.name == "window" and kinds is None:
            self.error("E208", _WINDOW_PLACE, call.span)
            return None
        if kinds is not None and spec.kind not in kinds:
            where = "inside groupBy(function=...)" if "aggregate" in kinds else "here"
            self.error("E208", f"{spec.name}() ({spec.kind}) cannot be used {where}", call.span)
            return None
        if spec.kind in ("aggregate", "stage") and not top and kinds is None:
            self.error(
                "E208",
                f"{spec.name}() works on the whole stream, so it must be a stage of its own, "
                "not inside case, match, OR or next to other filters",
                call.span,
                "'|' before it",
            )
            return None
        bound = BoundCall(spec, call)
        self.bindings[id(key if key is not None else call)] = bound
        if key is not None:
            self.bindings[id(call)] = bound
        args = list(call.args)
        self.bind_args(bound, args, injected or {})
        return bound

    def bind_args(self, bound: BoundCall, args: list, injected: dict[str, A.Node]) -> None:
        spec = bound.spec
        unnamed: list[A.Arg] = []
        if spec.name == "correlate":
            self.correlate_queries(bound, args)
        # a filter written as the condition (W303) only where no unnamed
        # argument fills that place (if()'s positional then and else do not):
        # text:length(s, foo=1) is E204 at foo
        positional = sum(getattr(arg, "name", "") is None for arg in args)
        condition_free = positional == 0 or (spec.name == "if" and positional <= 2)
        for arg in args:
            if isinstance(arg, A.QueryArg):
                if spec.name != "correlate":
                    self.error("E209", f"{spec.name}() takes no named sub-queries", arg.span)
                continue
            if arg.name is None:
                unnamed.append(arg)
                continue
            p = spec.param(arg.name)
            if p is None and spec.name == "eval" and self.eval_assignment(bound, arg):
                continue
            if p is None:
                if condition_free and self.filter_condition(bound, arg):
                    continue
                names = [q.name for q in spec.params]
                close = _close_matches(arg.name, names, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]}?" if close else ""
                accepted = ", ".join(names) or "no parameters"
                self.error(
                    "E204", f"{spec.name}() has no parameter {arg.name!r}{hint}", arg.span, accepted
                )
                continue
            self.set_arg(bound, p, arg.value, arg.span)
        self.bind_unnamed(bound, unnamed)
        for name, node in injected.items():
            p = spec.param(name)
            if p is not None and p.name not in bound.nodes:
                self.set_arg(bound, p, node, bound.node.span)
        if spec.name == "drop" and not bound.given("fields"):
            bound.extension = "drop-event"
            self.extension(
                "W302",
                "drop() without fields is a cqlmatch extension that drops the event; "
                "LogScale requires fields (drop(fields=[...])) and removes fields, not events",
                bound.node.span,
                "dropEvent()",
            )
            return
        if (
            spec.name == "eval"
            and "expression" in bound.nodes
            and not isinstance(bound.nodes["expression"], A.Assign)
        ):
            self.error(
                "E207",
                "eval() takes an assignment: the field to set, =, and an expression",
                bound.nodes["expression"].span,
                "eval(field = expression)",
            )
        if spec.name == "sort":
            fields = len(bound.get("field")) if "field" in bound.args else 1
            for name in ("order", "type"):
                values = bound.args.get(name)
                if isinstance(values, tuple | list) and len(values) > fields:
                    self.error(
                        "E207",
                        f"sort() has {fields} field(s) but {len(values)} {name} values: "
                        f"one per field at most",
                        bound.nodes[name].span,
                        f"{name}=[...] with at most {fields} value(s)",
                    )
        if spec.name == "concat":
            self.concat_literals(bound)
        lookup = spec.name in ("match", "matchAsArray")
        if lookup and not ("file" in bound.nodes or "table" in bound.nodes):
            self.error(
                "E206",
                f"{spec.name}() needs a file= or table= argument",
                bound.node.span,
                'file="lookup.csv"',
            )
        nrows = bound.get("nrows") if lookup else None
        if isinstance(nrows, int) and nrows != LIMIT_MAX and nrows < 1:
            self.error(
                "E207", f"{spec.name}() nrows= is at least 1", bound.nodes["nrows"].span, "nrows=1"
            )
        if spec.name == "match" and isinstance(nrows, int) and nrows > EVENTS_PER_EVENT_MAX:
            self.error(
                "E207",
                f"match() makes an event per matching row: nrows= is at most "
                f"{EVENTS_PER_EVENT_MAX:,}",
                bound.nodes["nrows"].span,
                "nrows=max",
            )
        for p in spec.params:
            if p.required and p.name not in bound.nodes:
                self.error(
                    "E206",
                    f"{spec.name}() needs its {p.name!r} argument",
                    bound.node.span,
                    f"{p.name}=<{p.type.value}>",
                )
        if bound.given("flags") and spec.param("regex") is not None and bound.given("regex"):
            self.regex_flags(bound)
        if spec.name == "rename" and isinstance(bound.nodes.get("field"), A.Array):
            self.rename_pairs(bound.nodes["field"], bound.given("as"))
        elif spec.name == "rename" and "field" in bound.nodes and "as" not in bound.nodes:
            self.error(
                "E206",
                "rename() of one field needs as= (the new name)",
                bound.node.span,
                "as=<new name>",
            )
        if spec.name == "format" and isinstance(bound.args.get("format"), str):
            self.format_sizes(bound)
        maximum = LIMIT_MAXIMA.get(spec.name)
        limit = bound.args.get("limit")
        if maximum is not None and isinstance(limit, int) and limit > maximum:
            self.error(
                "E207",
                f"{spec.name}() limit is at most {maximum:,}",
                bound.nodes["limit"].span,
                "limit=max",
            )

    def concat_literals(self, bound: BoundCall) -> None:
        """``concat([a, "/", b])``: LogScale raises an error for text among
        the fields (its page says to use format()); cqlmatch reads it as a
        field name (W307).  A quoted field name (``["a.b-c", d]``) is fine:
        only quoted text that cannot be a field name (no letter or digit,
        or a space) is taken for such text."""
        node = bound.nodes.get("field")
        items = node.items if isinstance(node, A.Array) else ()
        for item in items:
            if isinstance(item, A.Str) and _NOT_A_NAME.search(item.value):
                self.extension(
                    "W307",
                    f"concat() takes field names; LogScale rejects the string {item.value!r} "
                    "among them, and cqlmatch reads it as the name of a field",
                    item.span,
                    None,
                )

    def format_sizes(self, bound: BoundCall) -> None:
        """A literal ``format()`` string whose width or precision is past
        ``FORMAT_WIDTH_MAX`` (``%1000000000s`` built a 1 GB value)."""
        for m in _FORMAT_SIZES.finditer(bound.args["format"]):
            if any(int(size or 0) > FORMAT_WIDTH_MAX for size in m.groups()):
                self.error(
                    "E207",
                    f"format(): {m.group(0)!r} asks for more than {FORMAT_WIDTH_MAX:,} "
                    "characters; width and precision are at most that",
                    bound.nodes["format"].span,
                    f"a width and precision of at most {FORMAT_WIDTH_MAX:,}",
                )
                return

    def rename_pairs(self, node: A.Array, named: bool) -> None:
        """``rename([[old, new], ...])``: every item a pair of names (a
        malformed list was an IndexError while running); ``rename([old],
        as=new)`` is one field."""
        if named and len(node.items) == 1 and self.text_of(node.items[0]) is not None:
            return
        for pair in node.items:
            if not (
                isinstance(pair, A.Array)
                and len(pair.items) == 2
                and all(self.text_of(item) is not None for item in pair.items)
            ):
                self.error(
                    "E207",
                    "rename() takes a field with as=, or a list of [old, new] pairs",
                    pair.span,
                    "[old, new]",
                )
                return

    def regex_flags(self, bound: BoundCall) -> None:
        """``flags="..."`` of regex()/replace(): checked now with the pattern,
        so an unknown flag is E230 at the flag, not an error while running."""
        pattern, literal_flags = bound.get("regex")
        flags = bound.get("flags")
        node = bound.nodes["flags"]
        if not isinstance(pattern, str) or not isinstance(flags, str):
            return
        try:
            compile_regex(pattern, literal_flags + flags)
        except RegexError as err:
            if not err.in_flags and not literal_flags and not flags.strip("imdgF"):
                return  # the pattern's own error, reported already
            span = node.span
            quoted = isinstance(node, A.Str) and span.end - span.start == len(flags) + 2
            if err.in_flags and err.offset >= len(literal_flags):
                start = span.start + (1 if quoted else 0) + err.offset - len(literal_flags)
                span = self.source.span(start, start + max(1, err.length))
            self.error("E230", f"invalid regex flags: {err.message}", span)

    def eval_assignment(self, bound: BoundCall, arg: A.Arg) -> bool:
        """``eval(a = 3, b = a + 1)``: each argument name is a field to set;
        the assignments run left to right (``args["expression"]`` is their
        tuple, ``nodes["expression"]`` the first)."""
        earlier = bound.args.get("expression", ())
        if "expression" in bound.nodes and not isinstance(earlier, tuple):
            return False  # an unnamed expression too: reported as E207
        self.expr(arg.value)
        assignment = A.Assign(arg.name, arg.value, span=arg.span)
        bound.nodes.setdefault("expression", assignment)
        bound.args["expression"] = (*earlier, assignment)
        return True

    def filter_condition(self, bound: BoundCall, arg: A.Arg) -> bool:
        """``if(Field=/re/, ...)``: a filter written where an expression goes."""
        spec = bound.spec
        target = spec.param(spec.unnamed) if spec.unnamed else None
        if target is None or target.type is not T.EXPR or target.name in bound.nodes:
            return False
        value = arg.value
        if isinstance(value, A.Binary | A.Unary):
            # ``a=x*y`` in a call reads as arithmetic; as a filter it is the
            # wildcard text written there
            value = A.Bare(self.source_text(value), span=value.span)
        elif isinstance(value, A.Bool):  # ``a=true``: the text true, as in any filter
            value = A.Bare(self.source_text(value), span=value.span)
        elif not isinstance(value, A.Bare | A.Str | A.Number | A.Regex | A.Param):
            return False
        condition = A.FieldFilter(arg.name, "=", value, span=arg.span)
        self.filter_value(value)
        bound.args[target.name] = condition
        bound.nodes[target.name] = condition
        self.extension(
            "W303",
            f"a filter ({arg.name}=...) as the condition of {spec.name}() is a cqlmatch "
            "extension; LogScale conditions are expressions",
            arg.span,
            None,
        )
        return True

    def bind_unnamed(self, bound: BoundCall, unnamed: list[A.Arg]) -> None:
        spec = bound.spec
        if not unnamed:
            return
        if spec.unnamed is None:
            self.error("E203", f"{spec.name}() takes only named arguments", unnamed[0].span)
            return
        first, rest = unnamed[0], unnamed[1:]
        target = spec.param(spec.unnamed)
        assert target is not None
        if target.name in bound.nodes and spec.name == "if":
            rest = unnamed
        elif target.name in bound.nodes:
            self.error("E205", f"{spec.name}() got {target.name!r} twice", first.span)
        else:
            self.set_arg(bound, target, first.value, first.span)
        if spec.name == "if" and rest and len(rest) <= 2:
            for name, arg in zip(("then", "else"), rest, strict=False):
                p = spec.param(name)
                assert p is not None
                self.set_arg(bound, p, arg.value, arg.span)
            fix_args = (
                [self.source_text(bound.nodes["condition"])] if "condition" in bound.nodes else []
            )
            fix_args += [
                f"{n}={self.source_text(a.value)}"
                for n, a in zip(("then", "else"), rest, strict=False)
            ]
            self.extension(
                "W301",
                "positional then/else arguments to if() are a cqlmatch extension; "
                "LogScale requires then= and else=",
                bound.node.span,
                f"if({', '.join(fix_args)})",
            )
            return
        for arg in rest:
            self.error(
                "E203", f"{spec.name}() takes one unnamed argument ({spec.unnamed})", arg.span
            )

    def set_arg(self, bound: BoundCall, p: P, node: A.Node, span: Span) -> None:
        if p.name in bound.args or p.name in bound.nodes:
            self.error("E205", f"{bound.spec.name}() got {p.name!r} twice", span)
            return
        bound.nodes[p.name] = node  # given, even if its value turns out invalid
        value = self.convert(bound, p, node)
        if value is _INVALID:
            return
        bound.args[p.name] = value

    # --- argument conversion ------------------------------------------------------

    def convert(self, bound: BoundCall, p: P, node: A.Node) -> object:
        if isinstance(node, A.Param) and p.type not in (T.EXPR, T.ANY):
            value = self.param(node)
            if value is None:
                return _INVALID
            node = A.Str(value, span=node.span)
        t = p.type
        if t is T.EXPR:
            if isinstance(node, A.Regex | A.Array):
                what = "a regex" if isinstance(node, A.Regex) else "a list"
                self.error("E207", f"{p.name}= takes an expression, not {what}", node.span)
                return _INVALID
            self.expr(node)
            return node
        if t is T.ANY:
            self.expr_or_fields(node)
            return node
        if t is T.AGGREGATES:
            return self.aggregates(bound, p, node)
        if t is T.QUERY:
            if not isinstance(node, A.SubQuery):
                return self.wrong(bound, p, node)
            self.pipeline(node.query, top=True)
            return node.query
        if t is T.QUERIES:
            items = node.items if isinstance(node, A.Array) else (node,)
            if not all(isinstance(item, A.SubQuery) for item in items):
                return self.wrong(bound, p, node)
            for item in items:
                self.pipeline(item.query, top=True)
            return tuple(item.query for item in items)
        if t is T.REGEX:
            if isinstance(node, A.Regex):
                self.regex(node)
                return (node.pattern, node.flags)
            text = self.text_of(node)
            if text is None:
                return self.wrong(bound, p, node)
            self.regex(A.Regex(text, "", span=node.span), literal=False)
            return (text, "")
        if t is T.ENUMS:
            items = node.items if isinstance(node, A.Array) else (node,)
            chosen = [self.choice(bound, p, item) for item in items]
            return _INVALID if _INVALID in chosen else tuple(chosen)
        if t in (T.FIELDS, T.STRINGS):
            items = node.items if isinstance(node, A.Array) else (node,)
            out = []
            for item in items:
                if isinstance(item, A.Param):
                    text = self.param(item)
                    if text is None:
                        return _INVALID
                else:
                    text = self.text_of(item)
                    if text is None:
                        return self.wrong(bound, p, item)
                out.append(text)
            return tuple(out)
        text = self.text_of(node)
        if text is None:
            return self.wrong(bound, p, node)
        if t in (T.FIELD, T.STRING):
            return text
        if t is T.BOOL:
            flag = parse_bool(text)
            return self.wrong(bound, p, node) if flag is None else flag
        if t is T.NUMBER:
            number = parse_number(text)
            return self.wrong(bound, p, node) if number is None else number
        if t is T.SIGNED:
            number = parse_number(text)
            return number if isinstance(number, int) else self.wrong(bound, p, node)
        if t in (T.INTEGER, T.LIMIT):
            if t is T.LIMIT and text.lower() == "max":
                return LIMIT_MAX
            number = parse_number(text)
            if not isinstance(number, int) or number < 0:
                return self.wrong(bound, p, node)
            return number
        if t is T.DURATION:
            if text.lower() == "auto":
                return None  # the function chooses
            millis = parse_duration(text)
            return self.wrong(bound, p, node) if millis is None or millis <= 0 else millis
        if t is T.ENUM:
            return self.choice(bound, p, node)
        raise AssertionError(t)

    def choice(self, bound: BoundCall, p: P, node: A.Node) -> object:
        """One value of an enumerated parameter, any letter case: a value
        LogScale retired runs as the default with W305, an undocumented
        spelling of a choice (``order=descending``) as that choice with
        W308 (both errors under --strict); any other value outside the list
        is E207 at that value, with the closest allowed one as its fix."""
        if isinstance(node, A.Param):
            value = self.param(node)
            if value is None:
                return _INVALID
            node = A.Str(value, span=node.span)
        text = self.text_of(node)
        if text is None:
            return self.wrong(bound, p, node)
        lowered = text.lower()
        for choice in p.choices:
            if choice.lower() == lowered:
                return choice
        for retired, why in p.retired:
            if retired == lowered:
                self.extension(
                    "W305",
                    f"{bound.spec.name}() {p.name}={text} is {why}",
                    node.span,
                    str(p.default),
                )
                return p.default
        for word, meant in p.spellings:
            if len(lowered) >= 3 and word.startswith(lowered):
                self.extension(
                    "W308",
                    f"{bound.spec.name}() {p.name}={text} is not one of LogScale's documented "
                    f"values ({', '.join(p.choices)}); cqlmatch reads it as {meant}",
                    node.span,
                    meant,
                )
                return meant
        allowed = ", ".join(p.choices)
        close = _close_matches(lowered, [c.lower() for c in p.choices], n=1, cutoff=0.5)
        fix = next((c for c in p.choices if close and c.lower() == close[0]), None)
        hint = f"; did you mean {fix}?" if fix else ""
        self.error(
            "E207",
            f"{bound.spec.name}() {p.name}={text} is not allowed{hint}",
            node.span,
            f"one of {allowed}",
            fix,
        )
        return _INVALID

    def expr_or_fields(self, node: A.Node) -> None:
        if isinstance(node, A.Array):
            for item in node.items:
                self.expr_or_fields(item)
        else:
            self.expr(node)

    def text_of(self, node: A.Node) -> str | None:
        """The string an argument spells: quoted, bare or numeric literals, and
        unquoted text such as ``10.0.0.0/8`` taken as written."""
        if isinstance(node, A.Str):
            return node.value
        if isinstance(node, A.Bare | A.Number):
            return node.text
        if isinstance(node, A.Bool):
            return "true" if node.value else "false"
        if isinstance(node, A.Binary | A.Unary) and node.span.end > node.span.start:
            return self.source_text(node)
        return None

    def wrong(self, bound: BoundCall, p: P, node: A.Node) -> object:
        choices = f": {', '.join(p.choices)}" if p.choices else ""
        self.error(
            "E207",
            f"{bound.spec.name}() argument {p.name} must be a {p.type.value}{choices}",
            node.span,
        )
        return _INVALID

    def aggregates(self, bound: BoundCall, p: P, node: A.Node) -> object:
        """One aggregate, a list of them, a stage function (``tail(1)``), or
        a composite ``{ ... }`` sub-pipeline run over each group's events.
        Returns a tuple of BoundCall (functions) and Pipeline (composites)."""
        items = node.items if isinstance(node, A.Array) else (node,)
        kinds = ("aggregate", "stage")
        out: list[BoundCall | A.Pipeline] = []
        for item in items:
            if isinstance(item, A.Call):
                inner = self.bind(item, kinds=kinds)
            elif isinstance(item, A.Assign) and isinstance(item.value, A.Call):
                inner = self.bind(
                    item.value, key=item, kinds=kinds, injected={"as": A.Bare(item.field)}
                )
            elif isinstance(item, A.SubQuery):
                self.pipeline(item.query, top=True)
                out.append(item.query)
                continue
            else:
                return self.wrong(bound, p, item)
            if inner is None:
                return _INVALID
            if inner.spec.name == "window" and bound.spec.name not in ("timeChart", "bucket"):
                self.error("E208", _WINDOW_PLACE, inner.node.span)
                return _INVALID
            out.append(inner)
        return tuple(out)


_INVALID = object()
_WINDOW_PLACE = "window() can only be the function= of timeChart() or bucket()"


def _close_matches(word: str, choices: Any, n: int, cutoff: float) -> list[str]:
    """``difflib.get_close_matches``: difflib loads only for a query with a
    misspelt name, not at every start."""
    import difflib

    return difflib.get_close_matches(word, choices, n=n, cutoff=cutoff)

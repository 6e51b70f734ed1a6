"""Compiler: checked syntax tree -> Program.

Per-event stages become VM instructions; the stages from the first
aggregate on become the aggregation plan (a native groupBy where its
aggregates allow, and aggregates alone such as ``count()`` as a group
table without keys; the rest run over the result rows).

What compiles to native instructions (the shape of detection rules):
field filters (equality, wildcards, existence, numeric comparisons, RE2
regexes grouped per field into one set; a regex RE2 cannot run, with
look-ahead, an atomic group or a possessive quantifier, is a TEST_NODE), AND/OR/NOT, true/false, ``case``
whose branches are all native, constant assignments, ``default()``,
``dropEvent()``, ``cidr()`` over IPv4 subnets and the ``drop()``
extension.  Everything else runs through two slow-path instructions with the reference semantics: TEST_NODE (a
filter inside AND/OR/NOT) and STAGE_NODE (a whole stage).

Optimisations: regexes that are plain text, anchored or not (``/^lit$/``,
``/^lit/``, ``/lit$/``, ``/lit/``: the shapes of Sigma rules converted to
CQL), become string tests, and with ``i`` the caseless ones (TEST_EQ_CI and
its kin: RE2's ``(?i)`` on ASCII text, see ``lang.regex.LiteralMatch``),
but for a field with more than CONTAINS_CI_MAX caseless substrings or
ANCHORED_CI_MAX caseless anchored texts, which stay in its RE2 set; wildcard patterns become prefix/suffix/contains/equality tests; cheap tests
are ordered before regex tests inside a juxtaposition (AND) when both are
side-effect free; constant filters fold (``true`` disappears, ``false``
turns a branch into a jump); ``case`` branches that begin with equality
tests on one field (``#event_simpleName=...``) DISPATCH on one read of it;
``in()`` with SET_MIN or more exact values, and as many exact equality tests
on one field OR-ed together, are one TEST_IN (a hash lookup; ``in()`` with
ignoreCase and no wildcard looks up the casefolded value).

The prefilter (the literals a raw line must hold for its event to pass) is
worked out by :mod:`.atoms` from the same filters.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import NamedTuple

from .._regexset import RegexSet, RegexSetError
from ..errors import CQLCompileError, Diagnostic
from ..lang.regex import LiteralMatch, Translated, compile_regex, repeats, translate
from ..lang.values import parse_number, unescape_bare
from ..limits import GROUP_LIMIT_MAX, REGEX_MAX_MEM, SET_PATTERN_BUDGET
from ..semantics.checked import BoundCall, Checked
from ..syntax import ast as A
from ..syntax.ast import walk
from .atoms import leading_required, weakest_dropped
from .opcodes import NUM_OPS, Op
from .program import (
    FORMAT_VERSION,
    MAGIC,
    AggSpec,
    FieldRef,
    GroupPlan,
    Literal,
    Program,
    RegexSetSpec,
    Rule,
    regex_set_spec,
)

NATIVE_AGGREGATES = frozenset({"count", "sum", "min", "max", "avg"})
# Filter functions that never add fields to the event they keep.
_PURE_FILTER_CALLS = frozenset(
    {"in", "cidr", "wildcard", "test", "array:contains", "text:contains", "dropEvent"}
)
_COST = {Op.TEST_EXISTS: 0, Op.TEST_EQ: 1, Op.TEST_PREFIX: 1, Op.TEST_SUFFIX: 1}
# Exact values tested on one field (``in()``, equality tests OR-ed together)
# from which one TEST_IN (a hash lookup) replaces the chain of TEST_EQ.
SET_MIN = 8
# Caseless substring regexes (/lit/i) on one field up to which each is a
# TEST_CONTAINS_CI; past it they stay in the field's RE2 set, whose one pass
# finds them all (Sigma rules OR up to hundreds on a command line; over the
# corpus's Sigma rules and generated telemetry the searches were faster than
# the set up to about 40 on one field, slower past 50).
CONTAINS_CI_MAX = 32
# Caseless anchored texts (/^lit$/i, /^lit/i, /lit$/i) on one field up to
# which each is its own test (TEST_EQ_CI, TEST_PREFIX_CI, TEST_SUFFIX_CI);
# past it they too stay in the field's RE2 set.  A Sigma rule ORs 358 DLL
# names as /\\name\.dll$/i on ImageFileName: over 16,992 realistic image
# names, 2,724 ns an event as 358 suffix tests, 66 ns as the set (whose memo
# answers a name seen before; about 8 ns a test against a few hundred ns a
# pass of RE2 over a new name).
ANCHORED_CI_MAX = 32


# Regex tests on one field OR-ed together from which one alternation of their
# patterns replaces the chain of TEST_REGEX: one bit to test instead of one
# per pattern (Sigma rules OR hundreds of patterns on one command line).
REGEX_ANY_MIN = 4


class _Grouped(NamedTuple):
    """Several operands of an OR tested as one: TEST_IN over exact values,
    or TEST_REGEX over one alternation (``values``: its single pattern)."""

    op: Op
    slot: int
    values: tuple[str, ...]
    first: A.Node  # the first test replaced, for spans


class _Label:
    __slots__ = ("offset", "uses")

    def __init__(self) -> None:
        self.offset: int | None = None
        self.uses: list[int] = []


def compile_program(checked: Checked, name: str = "query") -> Program:
    """Compile one checked query (a pack of one rule)."""
    builder = _Builder(checked)
    entry = builder.rule(checked.tree)
    return builder.program((Rule(name, entry),))


class _Builder:
    def __init__(self, checked: Checked) -> None:
        self.checked = checked
        self.text = checked.text
        self.nodes = {id(n): i for i, n in enumerate(walk(checked.tree))}
        self.fields: list[FieldRef] = []
        self.field_index: dict[str, int] = {}
        self.consts: list[str] = []
        self.const_index: dict[str, int] = {}
        self.numbers: list[float] = []
        self.value_sets: list[tuple[str, ...]] = []
        self.value_set_index: dict[tuple[str, ...], int] = {}
        self.sets: dict[int, list[str]] = {}
        self.set_nodes: dict[int, A.Node] = {}  # the first regex filter on each set's field
        self.set_order: list[int] = []
        self.code: list[int] = []
        self.lines: list[int] = []
        self.prefilter: list[tuple[Literal, ...]] = []
        self.group: GroupPlan | None = None
        self.aggregate_stages: list[int] = []
        self.caseless_substrings, self.caseless_anchored = _caseless_counts(checked.tree)

    # --- pools ----------------------------------------------------------------

    def slot(self, name: str) -> int:
        index = self.field_index.get(name)
        if index is None:
            fallback = None
            if name.startswith("#"):
                fallback = name[1:]
            elif name == "@timestamp":
                fallback = "timestamp"
            index = self.field_index[name] = len(self.fields)
            self.fields.append(FieldRef(name, fallback, name == "@rawstring"))
        return index

    def const(self, text: str) -> int:
        index = self.const_index.get(text)
        if index is None:
            index = self.const_index[text] = len(self.consts)
            self.consts.append(text)
        return index

    def number(self, value: float) -> int:
        self.numbers.append(float(value))
        return len(self.numbers) - 1

    def value_set(self, strings: list[str]) -> int:
        key = tuple(sorted(set(strings)))
        index = self.value_set_index.get(key)
        if index is None:
            index = self.value_set_index[key] = len(self.value_sets)
            self.value_sets.append(key)
        return index

    def regex_set(self, slot: int) -> RegexSetSpec:
        """The set of a field's regexes, checked to compile as the VM will
        compile it (E231 when RE2 runs out of memory, never a crash later).

        A set of one pattern needs no trial: the pattern joined it because a
        set of it alone compiled within SET_PATTERN_BUDGET (``_fits_pattern``,
        cached), and RE2 only gets more room (program and DFA) under the
        larger REGEX_MAX_MEM the VM compiles with.  Such a regex is compiled
        by RE2 three times in all (check, that decision, the VM's set)."""
        patterns = tuple(self.sets[slot])
        if len(patterns) == 1 and _fits_pattern(patterns[0]):  # cached: no compile
            return regex_set_spec(slot, patterns)
        trial = RegexSet(max_mem=REGEX_MAX_MEM)
        try:
            for pattern in patterns:
                trial.add(pattern)
            trial.compile()
        except RegexSetError as err:
            node = self.set_nodes.get(slot)
            span = node.span if node is not None else self.checked.tree.span
            message = (
                f"the {len(patterns)} regexes on field {self.fields[slot].name} together "
                f"exceed RE2's memory budget of {REGEX_MAX_MEM >> 20} MiB ({err})"
            )
            diagnostic = Diagnostic(
                "error", "E231", message, span, expected="fewer or smaller regexes on this field"
            )
            raise CQLCompileError(self.text, [diagnostic]) from None
        return regex_set_spec(slot, patterns)

    def regex_bit(self, slot: int, pattern: str) -> tuple[int, int]:
        if slot not in self.sets:
            self.sets[slot] = []
            self.set_order.append(slot)
        patterns = self.sets[slot]
        if pattern not in patterns:
            patterns.append(pattern)
        return self.set_order.index(slot), patterns.index(pattern)

    # --- emission -------------------------------------------------------------------

    def emit(self, op: Op, *operands: int | _Label, node: A.Node | None = None) -> None:
        self.lines.append(node.span.line if node is not None else 0)
        self.code.append(int(op))
        for operand in operands:
            self.lines.append(0)
            if isinstance(operand, _Label):
                operand.uses.append(len(self.code))
                self.code.append(-1)
            else:
                self.code.append(operand)

    def place(self, label: _Label) -> None:
        label.offset = len(self.code)
        for use in label.uses:
            self.code[use] = label.offset

    def node(self, node: A.Node) -> int:
        return self.nodes[id(node)]

    # --- rules and stages ---------------------------------------------------------

    def rule(self, tree: A.Pipeline) -> int:
        entry = len(self.code)
        reject = _Label()
        stages = tree.stages
        first_aggregate = next(
            (i for i, s in enumerate(stages) if self.is_aggregate(s)), len(stages)
        )
        for stage in stages[:first_aggregate]:
            self.stage(stage, reject)
        self.prefilter.extend(
            leading_required(stages[:first_aggregate], self.keeps_fields, self.literal_text)
        )
        self.emit(Op.ACCEPT)
        self.place(reject)
        self.emit(Op.REJECT)
        self.aggregation(stages[first_aggregate:])
        return entry

    def is_aggregate(self, stage: A.Node) -> bool:
        if isinstance(stage, A.Array):
            return True
        binding = self.checked.bindings.get(id(stage))
        return binding is not None and binding.spec.kind in ("aggregate", "stage")

    def stage(self, stage: A.Node, fail: _Label) -> None:
        binding = self.checked.bindings.get(id(stage))
        if isinstance(stage, A.Case) and self.native_case(stage):
            self.case(stage, fail)
        elif isinstance(stage, A.Assign) and binding is not None and self.native_if(binding):
            self.if_assign(binding, self.slot(stage.field), stage)
        elif (
            isinstance(stage, A.Assign)
            and binding is None
            and _literal_value(stage.value) is not None
        ):
            value = _literal_value(stage.value)
            self.emit(Op.ASSIGN_CONST, self.slot(stage.field), self.const(value), node=stage)
        elif binding is not None and (
            binding.extension == "drop-event" or binding.spec.name == "dropEvent"
        ):
            self.emit(Op.JUMP, fail, node=stage)
        elif (
            binding is not None and binding.spec.name == "default" and self.native_default(binding)
        ):
            for name in binding.get("field"):
                replace = 1 if binding.get("replaceEmpty") else 0
                self.emit(
                    Op.DEFAULT,
                    self.slot(name),
                    self.const(binding.get("value")),
                    replace,
                    node=stage,
                )
        elif self.native_filter(stage):
            constant = _constant(stage)
            if constant is True:
                return  # folded: keeps every event
            if constant is False:
                self.emit(Op.JUMP, fail, node=stage)
                return
            self.filter(stage)
            self.emit(Op.JUMP_IF_FALSE, fail)
        else:
            self.emit(Op.STAGE_NODE, self.node(stage), fail, node=stage)

    def native_if(self, binding: BoundCall) -> bool:
        """``x := if(cond, then=literal, else=literal or another such if)``
        with a condition made only of native field tests."""
        if binding.spec.name != "if":
            return False
        if not self.pure_filter(binding.get("condition")):
            return False
        for branch in ("then", "else"):
            node = binding.get(branch)
            if _literal_value(node) is not None:
                continue
            inner = self.checked.bindings.get(id(node)) if isinstance(node, A.Call) else None
            if inner is None or not self.native_if(inner):
                return False
        return True

    def pure_filter(self, node: A.Node) -> bool:
        """A filter that compiles without slow paths and changes no field."""
        if isinstance(node, A.And | A.Or):
            return all(self.pure_filter(i) for i in node.items)
        if isinstance(node, A.Not):
            return self.pure_filter(node.operand)
        if isinstance(node, A.FieldFilter):
            return node.op != "<=>" and not _extracts(node)
        return _constant(node) is not None

    def keeps_fields(self, node: A.Node) -> bool:
        """A filter that changes no field, slow paths allowed (free text
        without named groups too): the prefilter's literals of the filters
        after it still stand for the fields as read."""
        if isinstance(node, A.And | A.Or):
            return all(self.keeps_fields(i) for i in node.items)
        if isinstance(node, A.Not):
            return self.keeps_fields(node.operand)
        if isinstance(node, A.FreeText):
            value = node.value
            return (
                not isinstance(value, A.Regex)
                or not translate(value.pattern, value.flags).group_fields
            )
        return self.pure_filter(node)

    def if_assign(self, binding: BoundCall, slot: int, node: A.Node) -> None:
        otherwise, end = _Label(), _Label()
        self.filter(binding.get("condition"))
        self.emit(Op.JUMP_IF_FALSE, otherwise)
        for branch, label in (("then", None), ("else", otherwise)):
            if label is not None:
                self.place(label)
            value = binding.get(branch)
            literal = _literal_value(value)
            if literal is not None:
                self.emit(Op.ASSIGN_CONST, slot, self.const(literal), node=node)
            else:
                self.if_assign(self.checked.bindings[id(value)], slot, node)
            if label is None:
                self.emit(Op.JUMP, end)
        self.place(end)

    def native_default(self, binding: BoundCall) -> bool:
        """Per-field DEFAULT instructions read after earlier writes; the
        reference reads every field first.  They agree unless one listed
        field is another's fallback (``[x, #x]``, ``[timestamp, @timestamp]``)."""
        if not isinstance(binding.get("value"), str):
            return False
        names = set(binding.get("field"))
        fallbacks = {n[1:] for n in names if n.startswith("#")}
        if "@timestamp" in names:
            fallbacks.add("timestamp")
        return not (fallbacks & names)

    def native_stage(self, stage: A.Node) -> bool:
        binding = self.checked.bindings.get(id(stage))
        if isinstance(stage, A.Case):
            return self.native_case(stage)
        if isinstance(stage, A.Assign):
            if binding is not None:
                return self.native_if(binding)
            return _literal_value(stage.value) is not None
        if binding is not None:
            if binding.extension == "drop-event" or binding.spec.name == "dropEvent":
                return True
            return binding.spec.name == "default" and self.native_default(binding)
        return self.native_filter(stage)

    def writes_below_not_or(self, node: A.Node, below: bool) -> bool:
        if isinstance(node, A.And):
            return any(self.writes_below_not_or(i, below) for i in node.items)
        if isinstance(node, A.Or | A.Not):
            items = node.items if isinstance(node, A.Or) else (node.operand,)
            return any(self.writes_below_not_or(i, True) for i in items)
        return below and self.may_write(node)

    def may_write(self, node: A.Node) -> bool:
        """Whether a filter can add fields to the event it keeps."""
        if isinstance(node, A.FieldFilter):
            return _extracts(node)
        if isinstance(node, A.FreeText):
            value = node.value
            return isinstance(value, A.Regex) and bool(
                translate(value.pattern, value.flags).group_fields
            )
        if isinstance(node, A.Call):
            binding = self.checked.bindings.get(id(node))
            return binding is None or binding.spec.name not in _PURE_FILTER_CALLS
        return False

    def native_case(self, stage: A.Case) -> bool:
        return all(self.native_stage(s) for branch in stage.branches for s in branch.stages)

    def native_filter(self, node: A.Node) -> bool:
        """Filters the VM runs itself (calls and free text inside them are
        TEST_NODE instructions, which are single-output).  A filter that can
        add fields (regex extraction, lookups) below NOT or OR runs as a whole
        stage: the reference evaluates those on the unchanged event."""
        if isinstance(node, A.And | A.Or | A.Not) and self.writes_below_not_or(node, False):
            return False
        if any(
            isinstance(n, A.FieldFilter | A.FreeText)
            and isinstance(n.value, A.Regex)
            and repeats(n.value.pattern, n.value.flags)
            for n in walk(node)
        ):
            return False  # /regex/g with named groups: one event per match
        if isinstance(node, A.And | A.Or):
            return True
        if isinstance(node, A.Not | A.Bool | A.FieldFilter | A.FreeText):
            return True
        if isinstance(node, A.Call):
            binding = self.checked.bindings.get(id(node))
            return (
                binding is not None and binding.spec.kind == "filter" and not _multi_output(binding)
            )
        return False

    def case(self, stage: A.Case, fail: _Label) -> None:
        end = _Label()
        self.emit(Op.SAVE, node=stage)
        branches = list(stage.branches)
        keyed = self.dispatch_run(branches)
        if keyed:
            self.dispatch(branches[: len(keyed)], keyed, end)
            branches = branches[len(keyed) :]
        for branch in branches:
            next_branch = _Label()
            for inner in branch.stages:
                self.stage(inner, next_branch)
            self.emit(Op.DISCARD)
            self.emit(Op.JUMP, end)
            if not next_branch.uses:
                break  # the branch cannot fail (``*``): what follows is dead
            self.place(next_branch)
            self.emit(Op.RESTORE)
        else:
            self.emit(Op.DISCARD)
            self.emit(Op.JUMP, fail)
        self.place(end)

    def dispatch_run(self, branches: list[A.Pipeline]) -> list[tuple[int, str, A.Node | None]]:
        """The leading branches that each begin with an equality test on one
        field (``#event_simpleName=...``), as (slot, value, the rest of the
        first stage): two or more of them dispatch on one read of the field."""
        keyed: list[tuple[int, str, A.Node | None]] = []
        for branch in branches:
            key = self.dispatch_key(branch.stages[0]) if branch.stages else None
            if key is None or (keyed and key[0] != keyed[0][0]):
                break
            keyed.append(key)
        return keyed if len(keyed) >= 2 else []

    def dispatch_key(self, stage: A.Node) -> tuple[int, str, A.Node | None] | None:
        rest: A.Node | None = None
        first = stage
        if isinstance(stage, A.And):
            if not self.native_filter(stage) or any(_constant(i) is not None for i in stage.items):
                return None
            first, *others = self.order(stage.items)
            rest = others[0] if len(others) == 1 else A.And(tuple(others), span=stage.span)
        if not isinstance(first, A.FieldFilter) or first.op != "=" or _extracts(first):
            return None
        if isinstance(first.value, A.Regex):
            return None
        text = _literal_text(first.value, self.checked.params)
        if text is None or "*" in text:
            return None
        return self.slot(first.field), text, rest

    def dispatch(
        self,
        branches: list[A.Pipeline],
        keyed: list[tuple[int, str, A.Node | None]],
        end: _Label,
    ) -> None:
        """DISPATCH to the branch whose value the field holds; a branch that
        fails restores the event and goes on to the next branch with the
        same value, or to the branches after the keyed ones."""
        entries = [_Label() for _ in keyed]
        rest = _Label()
        for branch, (slot, value, _), entry in zip(branches, keyed, entries, strict=True):
            self.emit(Op.DISPATCH, slot, self.const(value), entry, node=branch.stages[0])
        self.emit(Op.JUMP, rest)
        for i, (branch, (_, value, remainder)) in enumerate(zip(branches, keyed, strict=True)):
            self.place(entries[i])
            failed = _Label()
            if remainder is not None:
                self.stage(remainder, failed)
            for inner in branch.stages[1:]:
                self.stage(inner, failed)
            self.emit(Op.DISCARD)
            self.emit(Op.JUMP, end)
            self.place(failed)
            self.emit(Op.RESTORE)
            same = (entries[j] for j in range(i + 1, len(keyed)) if keyed[j][1] == value)
            self.emit(Op.JUMP, next(same, rest))
        self.place(rest)

    # --- filters -----------------------------------------------------------------------

    def filter(self, node: A.Node) -> None:
        """Code that leaves ``flag`` true when the filter passes."""
        if isinstance(node, A.And | A.Or) and _constant(node) is None:
            # drop operands that cannot change the result (true in AND, false in OR)
            neutral = isinstance(node, A.And)
            kept = tuple(i for i in node.items if _constant(i) is not neutral)
            if len(kept) < len(node.items):
                node = kept[0] if len(kept) == 1 else type(node)(kept, span=node.span)
        if _constant(node) is not None:
            self.emit(Op.SET_FLAG, 1 if _constant(node) else 0, node=node)
        elif isinstance(node, A.And):
            end = _Label()
            items = self.order(node.items)
            for i, item in enumerate(items):
                self.filter(item)
                if i < len(items) - 1:
                    self.emit(Op.JUMP_IF_FALSE, end)
            self.place(end)
        elif isinstance(node, A.Or):
            end = _Label()
            items = self.or_items(node.items)
            for i, item in enumerate(items):
                if isinstance(item, _Grouped) and item.op is Op.TEST_IN:
                    values = list(item.values)
                    self.emit(Op.TEST_IN, item.slot, self.value_set(values), 0, node=item.first)
                elif isinstance(item, _Grouped):
                    self.set_nodes.setdefault(item.slot, item.first)
                    set_index, bit = self.regex_bit(item.slot, item.values[0])
                    self.emit(Op.TEST_REGEX, item.slot, set_index, bit, node=item.first)
                else:
                    self.filter(item)
                if i < len(items) - 1:
                    self.emit(Op.JUMP_IF_TRUE, end)
            self.place(end)
        elif isinstance(node, A.Not):
            self.filter(node.operand)
            self.emit(Op.NOT)
        elif isinstance(node, A.FieldFilter):
            self.field_filter(node)
        elif self.glob_call(node) or self.cidr_call(node):
            pass
        else:
            self.emit(Op.TEST_NODE, self.node(node), node=node)

    def exact_test(self, node: A.Node) -> tuple[str, str] | None:
        """(field, text) of ``field=text`` without wildcards: a TEST_EQ."""
        if not isinstance(node, A.FieldFilter) or node.op != "=":
            return None
        if isinstance(node.value, A.Regex):
            return None
        text = _literal_text(node.value, self.checked.params)
        if text is None or "*" in text:
            return None
        return node.field, text

    def or_items(self, items: tuple[A.Node, ...]) -> list[A.Node | _Grouped]:
        """The operands of an OR, where SET_MIN or more exact equality tests
        on one field become one TEST_IN, and REGEX_ANY_MIN or more regex
        tests on one field one alternation of their patterns (a TEST_REGEX
        per pattern that fits RE2's budget), each at the place of the first
        test it replaces.  Only when every operand is side-effect free (then
        their order cannot matter)."""
        if len(items) < min(SET_MIN, REGEX_ANY_MIN) or not all(self.pure_filter(i) for i in items):
            return list(items)
        keys: list[tuple[Op, str, str] | None] = []
        for item in items:
            exact = self.exact_test(item)
            if exact is not None:
                keys.append((Op.TEST_IN, *exact))
                continue
            regex = self.regex_pattern(item)
            keys.append((Op.TEST_REGEX, *regex) if regex else None)
        by_test: dict[tuple[Op, str], list[str]] = {}
        for key in keys:
            if key is not None:
                by_test.setdefault(key[:2], []).append(key[2])
        least = {Op.TEST_IN: SET_MIN, Op.TEST_REGEX: REGEX_ANY_MIN}
        grouped = {k for k, values in by_test.items() if len(values) >= least[k[0]]}
        if not grouped:
            return list(items)
        out: list[A.Node | _Grouped] = []
        for item, key in zip(items, keys, strict=True):
            if key is None or key[:2] not in grouped:
                out.append(item)
            elif key[:2] in by_test:  # the first of the field's tests
                op, field = key[:2]
                values = list(dict.fromkeys(by_test.pop(key[:2])))
                slot = self.slot(field)
                if op is Op.TEST_IN:
                    out.append(_Grouped(op, slot, tuple(values), item))
                else:
                    out.extend(_Grouped(op, slot, (p,), item) for p in _alternations(values))
        return out

    def regex_pattern(self, node: A.Node) -> tuple[str, str] | None:
        """(field, RE2 pattern) of ``field=/re/`` when it compiles to a
        TEST_REGEX that extracts nothing (None otherwise)."""
        if not isinstance(node, A.FieldFilter) or node.op != "=":
            return None
        value = node.value
        if not isinstance(value, A.Regex) or _extracts(node) or self.string_test(node):
            return None
        translated = translate(value.pattern, value.flags)
        if translated.backtracking is not None:
            return None
        pattern = translated.re2_pattern
        return (node.field, pattern) if _fits_pattern(pattern) else None

    def order(self, items: tuple[A.Node, ...]) -> list[A.Node]:
        """Cheap, side-effect-free tests first; stable otherwise.  Only
        filters that change no field are moved (regex extraction and calls
        keep their place)."""

        def cost(item: A.Node) -> int | None:
            if isinstance(item, A.FieldFilter) and not _extracts(item):
                if isinstance(item.value, A.Regex) and self.string_test(item) is None:
                    return 3
                return 1
            return None

        costs = [cost(i) for i in items]
        if any(c is None for c in costs):
            return list(items)
        ranked = sorted(range(len(items)), key=lambda i: costs[i])  # stable
        return [items[i] for i in ranked]

    def glob_call(self, node: A.Node) -> bool:
        """``in(F, values=[...])`` and ``wildcard(field=F, pattern=p)``, case-
        sensitive, compile to OR-ed equality/wildcard tests on one slot."""
        binding = self.checked.bindings.get(id(node)) if isinstance(node, A.Call) else None
        if binding is None:
            return False
        if binding.spec.name == "in" and binding.get("ignoreCase"):
            # glob_match without a * compares casefold() to casefold()
            patterns = binding.get("values")
            if not patterns or not all(isinstance(p, str) and "*" not in p for p in patterns):
                return False
            casefolded = [p.casefold() for p in patterns]
            slot = self.slot(binding.get("field"))
            self.emit(Op.TEST_IN, slot, self.value_set(casefolded), 1, node=node)
            return True
        if binding.get("ignoreCase"):
            return False
        if binding.spec.name == "in":
            patterns, fields = binding.get("values"), (binding.get("field"),)
        elif binding.spec.name == "wildcard" and binding.get("field"):
            if binding.get("pattern") == "*" and binding.get("includeEverythingOnAsterisk"):
                return False
            patterns, fields = (binding.get("pattern"),), binding.get("field")
        else:
            return False
        if not patterns or not fields:
            return False
        end = _Label()
        exact = [p for p in patterns if "*" not in p]
        tests: list[tuple[int, str | None]] = []
        if len(fields) == 1 and len(exact) >= SET_MIN:
            # one hash lookup for the exact values, then the wildcard patterns
            tests.append((self.slot(fields[0]), None))
            patterns = [p for p in patterns if "*" in p]
        tests += [(self.slot(f), p) for f in fields for p in patterns]
        for i, (slot, pattern) in enumerate(tests):
            if pattern is None:
                self.emit(Op.TEST_IN, slot, self.value_set(exact), 0, node=node)
            else:
                self.glob_test(node, slot, pattern)
            if i < len(tests) - 1:
                self.emit(Op.JUMP_IF_TRUE, end)
        self.place(end)
        return True

    def cidr_call(self, node: A.Node) -> bool:
        """``cidr(F, subnet=[...])`` over IPv4 subnets only compiles to
        TEST_CIDR (IPv6 subnets and lookup files keep the slow path).  Subnets
        that are not networks match nothing, as in the reference; ``negate``
        keeps events that have the field and lie outside every subnet."""
        binding = self.checked.bindings.get(id(node)) if isinstance(node, A.Call) else None
        if binding is None or binding.spec.name != "cidr" or binding.given("file"):
            return False
        networks = []
        for text in binding.get("subnet") or ():
            try:
                network = ipaddress.ip_network(text.strip(), strict=False)
            except ValueError:
                continue
            if network.version != 4:
                return False
            networks.append(str(network))
        slot = self.slot(binding.get("field"))
        if binding.get("negate"):
            end = _Label()
            self.emit(Op.TEST_EXISTS, slot, node=node)
            self.emit(Op.JUMP_IF_FALSE, end)
            self.emit(Op.TEST_CIDR, slot, self.const(",".join(networks)), node=node)
            self.emit(Op.NOT)
            self.place(end)
        else:
            self.emit(Op.TEST_CIDR, slot, self.const(",".join(networks)), node=node)
        return True

    def field_filter(self, node: A.FieldFilter) -> None:
        value = node.value
        if node.op == "<=>" or _extracts(node):
            self.emit(Op.TEST_NODE, self.node(node), node=node)
            return
        slot = self.slot(node.field)
        if node.op in ("<", "<=", ">", ">="):
            text = _literal_text(value, self.checked.params)
            number = parse_number(text)
            if number is None:
                self.emit(Op.SET_FLAG, 0, node=node)
            elif not _exact_float(number):
                # Program.numbers holds doubles; the reference compares this integer exactly
                self.emit(Op.TEST_NODE, self.node(node), node=node)
            else:
                self.emit(Op.TEST_NUM, slot, NUM_OPS.index(node.op), self.number(number), node=node)
            return
        if isinstance(value, A.Regex):
            match = self.string_test(node)
            if match is not None:
                op, text = _literal_test(match)
                self.emit(op, slot, self.const(text), node=node)
            elif _in_regex_set(translate(value.pattern, value.flags)):
                self.regex_test(node, slot, value)
            else:
                # needs backtracking, or too big for an RE2::Set: the reference's test
                self.emit(Op.TEST_NODE, self.node(node), node=node)
                return
        else:
            text = _literal_text(value, self.checked.params)
            assert text is not None
            self.glob_test(node, slot, f"*{text}*" if node.op == "like" else text)
        if node.op == "!=":
            self.emit(Op.NOT)

    def string_test(self, node: A.FieldFilter) -> LiteralMatch | None:
        """The string test a regex filter compiles to, if it does: a regex
        that is plain text (``LiteralMatch``), unless it is one of more than
        CONTAINS_CI_MAX caseless substrings (or ANCHORED_CI_MAX caseless
        anchored texts) of its field, which one pass of the field's RE2 set
        finds faster than as many tests."""
        value = node.value
        if not isinstance(value, A.Regex):
            return None
        match = translate(value.pattern, value.flags).literal_match
        if match is None:
            return None
        op = _literal_test(match)[0]
        if op == Op.TEST_CONTAINS_CI:
            if self.caseless_substrings.get(node.field, 0) > CONTAINS_CI_MAX:
                return None
        elif op in _ANCHORED_CI and self.caseless_anchored.get(node.field, 0) > ANCHORED_CI_MAX:
            return None
        return match

    def regex_test(self, node: A.Node, slot: int, value: A.Regex) -> None:
        translated = translate(value.pattern, value.flags)
        compile_regex(value.pattern, value.flags)  # RE2 accepts it: checked already
        self.set_nodes.setdefault(slot, node)
        set_index, bit = self.regex_bit(slot, translated.re2_pattern)
        self.emit(Op.TEST_REGEX, slot, set_index, bit, node=node)

    def glob_test(self, node: A.Node, slot: int, pattern: str) -> None:
        stars = pattern.count("*")
        inner = pattern.strip("*")
        if stars == 0:
            self.emit(Op.TEST_EQ, slot, self.const(pattern), node=node)
        elif inner == "":
            self.emit(Op.TEST_EXISTS, slot, node=node)
        elif "*" not in inner and pattern == inner + "*" * (len(pattern) - len(inner)):
            self.emit(Op.TEST_PREFIX, slot, self.const(inner), node=node)
        elif "*" not in inner and pattern.startswith("*") and not pattern.endswith("*"):
            self.emit(Op.TEST_SUFFIX, slot, self.const(inner), node=node)
        elif "*" not in inner and pattern.startswith("*") and pattern.endswith("*"):
            self.emit(Op.TEST_CONTAINS, slot, self.const(inner), node=node)
        else:
            self.emit(Op.TEST_GLOB, slot, self.const(pattern), node=node)

    # --- prefilter -------------------------------------------------------------------------

    def literal_text(self, node: A.Node) -> str | None:
        """The text of a literal value node (``atoms`` asks for it)."""
        return _literal_text(node, self.checked.params)

    # --- aggregation ------------------------------------------------------------------------

    def aggregation(self, stages: tuple[A.Node, ...]) -> None:
        self.aggregate_stages = [self.node(s) for s in stages]
        if not stages:
            return
        plan = self.group_stage(stages[0])
        if plan is None:
            return
        keys, items, limit = plan
        aggregates: list[AggSpec] = []
        if items is None:
            aggregates.append(AggSpec("count", -1, "_count"))
        else:
            for item in items:
                if not isinstance(item, BoundCall) or item.spec.name not in NATIVE_AGGREGATES:
                    return
                field = item.get("field")
                output = str(item.get("as", item.spec.output))
                if item.spec.name == "count" and item.get("distinct") and field is None:
                    return
                aggregates.append(
                    AggSpec(
                        item.spec.name,
                        -1 if field is None else self.slot(field),
                        output,
                        bool(item.get("distinct")),
                    )
                )
        self.group = GroupPlan(
            tuple(self.slot(k) for k in keys), tuple(aggregates), limit, self.node(stages[0])
        )

    def group_stage(self, stage: A.Node) -> tuple[tuple[str, ...], tuple | None, int] | None:
        """The key fields, aggregate items (None: groupBy's default count)
        and group limit of a first aggregate stage the group table can run:
        ``groupBy``, or aggregates alone (``count()``, ``[count(), sum(x)]``,
        ``stats([...])``), which are one group without keys.  None for other
        stages."""
        if isinstance(stage, A.Array):
            items = tuple(self.checked.bindings.get(id(item)) for item in stage.items)
            return ((), items, GROUP_LIMIT_MAX) if items else None
        binding = self.checked.bindings.get(id(stage))
        if binding is None:
            return None
        name = binding.spec.name
        if name == "groupBy":
            items = binding.get("function") if binding.given("function") else None
            limit = binding.get("limit")
            return (
                tuple(binding.get("field")),
                items,
                GROUP_LIMIT_MAX if limit == -1 else int(limit),
            )
        if name == "stats":
            items = tuple(binding.get("function") or ())
            return ((), items, GROUP_LIMIT_MAX) if items else None
        if name in NATIVE_AGGREGATES:
            return (), (binding,), GROUP_LIMIT_MAX
        return None

    # --- result ---------------------------------------------------------------------------------

    def program(self, rules: tuple[Rule, ...]) -> Program:
        assert all(c >= 0 for c in self.code), "unplaced label"
        # A sub-query reads every event of the input, whatever the main
        # pipeline's filters: then no line may be ruled out.
        reads_source = self.checked.reads_source
        prefilter = () if reads_source else weakest_dropped([g for g in self.prefilter if g])
        return Program(
            magic=MAGIC,
            version=FORMAT_VERSION,
            source=self.text,
            params=dict(self.checked.params),
            strict=False,
            fields=tuple(self.fields),
            consts=tuple(self.consts),
            numbers=tuple(self.numbers),
            regex_sets=tuple(self.regex_set(slot) for slot in self.set_order),
            code=tuple(self.code),
            lines=tuple(self.lines),
            rules=rules,
            prefilter=prefilter,
            group=self.group,
            aggregate_stages=tuple(self.aggregate_stages),
            value_sets=tuple(self.value_sets),
        )


def _constant(node: A.Node) -> bool | None:
    """The value of a filter that does not depend on the event, if it is one:
    ``true``, ``false``, ``*``, and AND/OR/NOT of those."""
    if isinstance(node, A.Bool):
        return node.value
    if isinstance(node, A.FreeText) and isinstance(node.value, A.Bare) and node.value.text == "*":
        return True
    if isinstance(node, A.Not):
        inner = _constant(node.operand)
        return None if inner is None else not inner
    if isinstance(node, A.And | A.Or):
        values = [_constant(item) for item in node.items]
        if isinstance(node, A.And):
            if False in values:
                return False
            return True if all(v is True for v in values) else None
        if True in values:
            return True
        return False if all(v is False for v in values) else None
    return None


def _literal_value(node: A.Node) -> str | None:
    if isinstance(node, A.Str):
        return node.value
    if isinstance(node, A.Number):
        return node.text
    if isinstance(node, A.Bool):
        return "true" if node.value else "false"
    return None


def _literal_text(node: A.Node, params: dict[str, str]) -> str | None:
    if isinstance(node, A.Str):
        return node.value
    if isinstance(node, A.Bare):
        return unescape_bare(node.text)
    if isinstance(node, A.Number):
        return node.text
    if isinstance(node, A.Param):
        return params.get(node.name, node.default)
    return None


def _extracts(node: A.FieldFilter) -> bool:
    if not isinstance(node.value, A.Regex):
        return False
    return bool(translate(node.value.pattern, node.value.flags).group_fields)


def _exact_float(number: int | float) -> bool:
    """Whether ``float(number)`` is ``number`` itself (integers beyond 2**53
    and beyond the double range are not)."""
    try:
        return float(number) == number
    except OverflowError:
        return False


def _multi_output(binding: BoundCall) -> bool:
    if binding.spec.name == "regex":
        flags = binding.get("regex")[1] + str(binding.get("flags") or "")
        return bool(binding.get("repeat")) or "g" in flags
    if binding.spec.name == "match":  # nrows=N: an event per matching row
        return binding.get("nrows") != 1
    return binding.spec.name == "split"


def _alternations(patterns: list[str]) -> list[str]:
    """``patterns`` as few alternations as fit RE2's budget for one pattern,
    each a search for any of its patterns (every pattern keeps its own flags
    inside its group); a pattern that fits only alone stays alone."""
    if len(patterns) == 1:
        return patterns
    joined = "|".join(f"(?:{p})" for p in patterns)
    if _fits_pattern(joined):
        return [joined]
    half = len(patterns) // 2
    return _alternations(patterns[:half]) + _alternations(patterns[half:])


def _in_regex_set(translated: Translated) -> bool:
    """Whether a field's RE2 set can hold the regex: RE2 runs it (no
    look-ahead, atomic group or possessive quantifier) and it fits."""
    return translated.backtracking is None and _fits_pattern(translated.re2_pattern)


@functools.lru_cache(maxsize=4096)
def _fits_pattern(pattern: str) -> bool:
    trial = RegexSet(max_mem=SET_PATTERN_BUDGET)
    try:
        trial.add(pattern)
        trial.compile()
    except RegexSetError:
        return False
    return True


def _caseless_counts(tree: A.Node) -> tuple[dict[str, int], dict[str, int]]:
    """How many regex filters on each field are caseless substring tests,
    and how many caseless anchored ones (equality, prefix, suffix)."""
    substrings: dict[str, int] = {}
    anchored: dict[str, int] = {}
    for node in walk(tree):
        if isinstance(node, A.FieldFilter) and isinstance(node.value, A.Regex):
            match = translate(node.value.pattern, node.value.flags).literal_match
            if match is None:
                continue
            op = _literal_test(match)[0]
            counts = substrings if op == Op.TEST_CONTAINS_CI else anchored
            if op == Op.TEST_CONTAINS_CI or op in _ANCHORED_CI:
                counts[node.field] = counts.get(node.field, 0) + 1
    return substrings, anchored


_ANCHORED_CI = frozenset({Op.TEST_EQ_CI, Op.TEST_PREFIX_CI, Op.TEST_SUFFIX_CI})


# (ignore case, at start, at end) -> the string test
_LITERAL_OPS = {
    (False, False, False): Op.TEST_CONTAINS,
    (False, True, False): Op.TEST_PREFIX,
    (False, False, True): Op.TEST_SUFFIX,
    (False, True, True): Op.TEST_EQ,
    (True, False, False): Op.TEST_CONTAINS_CI,
    (True, True, False): Op.TEST_PREFIX_CI,
    (True, False, True): Op.TEST_SUFFIX_CI,
    (True, True, True): Op.TEST_EQ_CI,
}
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _literal_test(match: LiteralMatch) -> tuple[Op, str]:
    """The instruction and constant of a regex that is a string test: the
    caseless tests take the text in lower case (ASCII, ``LiteralMatch``).
    An anchored text without letters needs no caseless test (the plain one
    is the same test); a substring keeps TEST_CONTAINS_CI, the same test
    too, which shares the folded copy of the value with the field's other
    caseless substrings."""
    anchored = match.at_start or match.at_end
    letters = not _ASCII_LETTERS.isdisjoint(match.text)
    fold = match.ignore_case and (letters or not anchored)
    text = match.text.lower() if fold else match.text
    return _LITERAL_OPS[fold, match.at_start, match.at_end], text

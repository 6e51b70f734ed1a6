"""Linking: several rules' programs as one program, so that a pack's pure
filters run in one machine with one register file per event.

A rule's program may be linked when it only tests and decides: every
instruction runs in the VM (no slow path, whose node numbers belong to its
own syntax tree), none writes a field (so the registers one rule loads
serve the next rule on the same event unchanged, and a kept event is the
input event itself), and it has no aggregate.  ``linkable`` says so.

``link`` concatenates the rules' code, relocating every operand by its
kind in the opcode table: field slots into one field table (a field that
several rules read is one slot, read once per event), strings, numbers and
string sets into shared pools, jump targets by the rule's offset, and
regex sets by field: with ``merge_sets`` the rules' patterns on one field
go into one set (a new one past ``SET_PATTERNS`` patterns; a pattern two
rules share is one bit), so an event's field runs through RE2 once for all
of them; without it each rule keeps its own sets; given a group per rule,
only the rules of one group share sets (a pack's rules that are always
candidates for the same events: what one runs, the others would too).  Each rule's entry is in
the program's ``rules`` table, in order.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from .opcodes import INFO, Op, width
from .program import FORMAT_VERSION, MAGIC, FieldRef, Program, Rule, regex_set_spec

# Instructions a linked rule may hold: tests, jumps and the decision.
_PURE = frozenset(
    {
        Op.TEST_EXISTS,
        Op.TEST_EQ,
        Op.TEST_PREFIX,
        Op.TEST_SUFFIX,
        Op.TEST_CONTAINS,
        Op.TEST_GLOB,
        Op.TEST_REGEX,
        Op.TEST_NUM,
        Op.TEST_CIDR,
        Op.TEST_IN,
        Op.SET_FLAG,
        Op.NOT,
        Op.JUMP,
        Op.JUMP_IF_FALSE,
        Op.JUMP_IF_TRUE,
        Op.DISPATCH,
        Op.ACCEPT,
        Op.REJECT,
        Op.TEST_EQ_CI,
        Op.TEST_PREFIX_CI,
        Op.TEST_SUFFIX_CI,
        Op.TEST_CONTAINS_CI,
    }
)


def linkable(program: Program) -> bool:
    """Whether ``program`` is one rule of tests only (see the module docstring)."""
    if len(program.rules) != 1 or program.group is not None or program.aggregate_stages:
        return False
    code = program.code
    pc = 0
    while pc < len(code):
        op = code[pc]
        if not 0 <= op < len(INFO) or Op(op) not in _PURE:
            return False
        pc += width(Op(op))
    return True


class _Pool:
    """Distinct values in first-seen order, each with its index."""

    def __init__(self) -> None:
        self.index: dict[object, int] = {}
        self.values: list[object] = []

    def add(self, key: object, value: object) -> int:
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.values)
            self.values.append(value)
        return found


SET_PATTERNS = 512  # patterns in one merged regex set (RE2's memory budget holds them)


def link(
    programs: Sequence[Program],
    names: Sequence[str],
    merge_sets: bool | Sequence[Hashable] = True,
) -> Program:
    """One program running each of ``programs`` (all ``linkable``) as the
    rule named by ``names`` at the same position; ``merge_sets``: one regex
    set per field across the rules, or (a group per rule) across the rules
    of each group (see the module docstring)."""
    if len(programs) != len(names):
        raise ValueError(f"{len(programs)} programs for {len(names)} names")
    groups: list[Hashable] = [None] * len(programs)
    if not isinstance(merge_sets, bool):
        groups = list(merge_sets)
        if len(groups) != len(programs):
            raise ValueError(f"{len(groups)} groups for {len(programs)} programs")
    fields, consts, numbers, value_sets = _Pool(), _Pool(), _Pool(), _Pool()
    code: list[int] = []
    lines: list[int] = []
    set_patterns: list[list[str]] = []  # per linked set: its patterns
    set_slot: list[int] = []
    set_bit: list[dict[str, int]] = []  # per linked set: pattern -> bit
    open_set: dict[tuple[Hashable, int], int] = {}  # (group, slot) -> the set joined next
    rules: list[Rule] = []
    for program, name, group in zip(programs, names, groups, strict=True):
        if not linkable(program):
            raise ValueError(f"rule {name!r} is not a pure filter and cannot be linked")
        base = len(code)
        slot = [fields.add(ref, ref) for ref in program.fields]
        const = [consts.add(text, text) for text in program.consts]
        number = [numbers.add((type(x), x), x) for x in program.numbers]
        strset = [value_sets.add(strings, strings) for strings in program.value_sets]
        # where each of the rule's (set, bit) goes
        moved: list[tuple[int, list[int]]] = []
        for spec in program.regex_sets:
            field_slot = slot[spec.slot]
            target = open_set.get((group, field_slot)) if merge_sets is not False else None
            if target is None or len(set_patterns[target]) + len(spec.patterns) > SET_PATTERNS:
                target = len(set_patterns)
                set_patterns.append([])
                set_slot.append(field_slot)
                set_bit.append({})
                open_set[group, field_slot] = target
            bits = []
            for pattern in spec.patterns:
                bit = set_bit[target].get(pattern)
                if bit is None:
                    bit = set_bit[target][pattern] = len(set_patterns[target])
                    set_patterns[target].append(pattern)
                bits.append(bit)
            moved.append((target, bits))
        remap = {
            "slot": slot.__getitem__,
            "const": const.__getitem__,
            "number": number.__getitem__,
            "strset": strset.__getitem__,
            "target": lambda t, base=base: t + base,
        }
        pc = 0
        while pc < len(program.code):
            op = Op(program.code[pc])
            code.append(op)
            operands = program.code[pc + 1 : pc + width(op)]
            if op == Op.TEST_REGEX:  # (slot, set, bit): the set and bit move together
                target, bits = moved[operands[1]]
                code.extend((slot[operands[0]], target, bits[operands[2]]))
            else:
                for kind, value in zip(INFO[op].operands, operands, strict=True):
                    move = remap.get(kind)
                    code.append(move(value) if move is not None else value)
            pc += width(op)
        lines.extend(program.lines)
        rules.append(Rule(name, program.rules[0].entry + base))
    return Program(
        magic=MAGIC,
        version=FORMAT_VERSION,
        source="",
        params={},
        strict=False,
        fields=tuple(ref for ref in fields.values if isinstance(ref, FieldRef)),
        consts=tuple(str(text) for text in consts.values),
        numbers=tuple(numbers.values),  # type: ignore[arg-type]
        regex_sets=tuple(
            regex_set_spec(s, tuple(p)) for s, p in zip(set_slot, set_patterns, strict=True)
        ),
        code=tuple(code),
        lines=tuple(lines),
        rules=tuple(rules),
        prefilter=(),
        group=None,
        aggregate_stages=(),
        value_sets=tuple(value_sets.values),  # type: ignore[arg-type]
    )

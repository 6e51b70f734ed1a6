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
each rule's regex sets appended as they are (``TEST_REGEX`` names them by
index).  Each rule's entry is in the program's ``rules`` table, in order.
"""

from __future__ import annotations

from collections.abc import Sequence

from .opcodes import INFO, Op, width
from .program import FORMAT_VERSION, MAGIC, FieldRef, Program, RegexSetSpec, Rule

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


def link(programs: Sequence[Program], names: Sequence[str]) -> Program:
    """One program running each of ``programs`` (all ``linkable``) as the
    rule named by ``names`` at the same position."""
    if len(programs) != len(names):
        raise ValueError(f"{len(programs)} programs for {len(names)} names")
    fields, consts, numbers, value_sets = _Pool(), _Pool(), _Pool(), _Pool()
    code: list[int] = []
    lines: list[int] = []
    regex_sets: list[RegexSetSpec] = []
    rules: list[Rule] = []
    for program, name in zip(programs, names, strict=True):
        if not linkable(program):
            raise ValueError(f"rule {name!r} is not a pure filter and cannot be linked")
        base = len(code)
        slot = [fields.add(ref, ref) for ref in program.fields]
        const = [consts.add(text, text) for text in program.consts]
        number = [numbers.add((type(x), x), x) for x in program.numbers]
        strset = [value_sets.add(strings, strings) for strings in program.value_sets]
        first_set = len(regex_sets)
        regex_sets.extend(
            RegexSetSpec(slot[spec.slot], spec.patterns) for spec in program.regex_sets
        )
        remap = {
            "slot": slot.__getitem__,
            "const": const.__getitem__,
            "number": number.__getitem__,
            "strset": strset.__getitem__,
            "target": lambda t, base=base: t + base,
            "set": lambda s, first=first_set: s + first,
        }
        pc = 0
        while pc < len(program.code):
            op = Op(program.code[pc])
            code.append(op)
            for k, kind in enumerate(INFO[op].operands, 1):
                value = program.code[pc + k]
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
        regex_sets=tuple(regex_sets),
        code=tuple(code),
        lines=tuple(lines),
        rules=tuple(rules),
        prefilter=(),
        group=None,
        aggregate_stages=(),
        value_sets=tuple(value_sets.values),  # type: ignore[arg-type]
    )

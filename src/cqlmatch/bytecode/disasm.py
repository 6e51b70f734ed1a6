"""The disassembler: a program as a sequence of ``Instruction`` records, and
a text listing built from them (``cqlmatch disasm``).

``get_instructions(program)`` yields one ``Instruction`` per instruction, in
code order:

``offset``      code offset of the opcode word;
``op``          the ``Op``;
``operands``    the raw operand words;
``resolved``    the operands made readable (field names, quoted constants,
                regex patterns, jump targets, node descriptions);
``line``        the source line the instruction came from (0: none);
``is_target``   whether some jump lands here.

The listing marks jump targets with ``>>`` and shows the source line where
it changes, like CPython's ``dis``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..syntax import ast as A
from ..syntax.parser import parse
from .opcodes import INFO, NUM_OPS, Op
from .program import Program


@dataclass(frozen=True)
class Instruction:
    offset: int
    op: Op
    operands: tuple[int, ...]
    resolved: tuple[str, ...]
    line: int
    is_target: bool


def _targets(program: Program) -> set[int]:
    targets = set()
    offset = 0
    code = program.code
    while offset < len(code):
        op = Op(code[offset])
        for i, kind in enumerate(INFO[op].operands):
            if kind == "target":
                targets.add(code[offset + 1 + i])
        offset += 1 + len(INFO[op].operands)
    return targets


def _describe_node(node: A.Node, text: str) -> str:
    excerpt = " ".join(text[node.span.start : node.span.end].split())
    if len(excerpt) > 60:
        excerpt = excerpt[:57] + "..."
    return f"{type(node).__name__} {excerpt!r}"


def get_instructions(program: Program) -> Iterator[Instruction]:
    """The program's instructions in code order, operands resolved."""
    nodes = list(A.walk(parse(program.source)))
    targets = _targets(program)
    code = program.code
    offset = 0
    while offset < len(code):
        op = Op(code[offset])
        kinds = INFO[op].operands
        operands = tuple(code[offset + 1 : offset + 1 + len(kinds)])
        resolved = []
        set_index = None
        for kind, value in zip(kinds, operands, strict=True):
            if kind == "slot":
                resolved.append(program.fields[value].name)
            elif kind == "const":
                resolved.append(repr(program.consts[value]))
            elif kind == "number":
                resolved.append(repr(program.numbers[value]))
            elif kind == "target":
                resolved.append(f"to {value}")
            elif kind == "set":
                set_index = value
                resolved.append(f"set {value}")
            elif kind == "bit":
                pattern = (
                    program.regex_sets[set_index].patterns[value] if set_index is not None else "?"
                )
                resolved.append(f"/{pattern}/")
            elif kind == "strset":
                strings = program.value_sets[value]
                shown = ", ".join(repr(t) for t in strings[:3])
                more = f", ... ({len(strings)} strings)" if len(strings) > 3 else ""
                resolved.append(f"{{{shown}{more}}}")
            elif kind == "node":
                resolved.append(_describe_node(nodes[value], program.source))
            elif kind == "op":
                resolved.append(NUM_OPS[value])
            else:
                resolved.append(str(value))
        yield Instruction(
            offset, op, operands, tuple(resolved), program.lines[offset], offset in targets
        )
        offset += 1 + len(kinds)


def dis(program: Program) -> str:
    """A readable listing: source line, jump-target mark, offset, opcode,
    raw operands, resolved operands; then the pools and the plan."""
    out = []
    last_line = 0
    for ins in get_instructions(program):
        line = f"{ins.line:>4}" if ins.line and ins.line != last_line else "    "
        if ins.line:
            last_line = ins.line
        mark = ">>" if ins.is_target else "  "
        raw = " ".join(str(o) for o in ins.operands)
        out.append(
            f"{line} {mark} {ins.offset:>4} {ins.op.name:<16} {raw:<12} {', '.join(ins.resolved)}".rstrip()
        )
    out.append("")
    out.append("fields: " + ", ".join(f"{i}={f.name}" for i, f in enumerate(program.fields)))
    for i, strings in enumerate(program.value_sets):
        out.append(f"string set {i}: {len(strings)} strings")
    for i, spec in enumerate(program.regex_sets):
        out.append(f"regex set {i} on {program.fields[spec.slot].name}:")
        out.extend(f"  {bit}: /{pattern}/" for bit, pattern in enumerate(spec.patterns))
    prefilter = " AND ".join(
        "(" + " | ".join(str(x) for x in group) + ")" for group in program.prefilter
    )
    out.append(f"prefilter: {prefilter or 'none'}")
    if program.group is not None:
        g = program.group
        keys = ", ".join(program.fields[k].name for k in g.keys)
        aggs = ", ".join(
            f"{a.output}={a.kind}({'' if a.slot < 0 else program.fields[a.slot].name}"
            f"{', distinct' if a.distinct else ''})"
            for a in g.aggregates
        )
        out.append(f"group: [{keys}] -> {aggs} limit {g.limit}")
    if program.aggregate_stages:
        out.append(f"aggregate stages: {len(program.aggregate_stages)} (run over rows)")
    return "\n".join(out) + "\n"

"""Write ``cext/opcodes.pxi``, the VM's view of the instruction table.

The table lives in ``src/cqlmatch/bytecode/opcodes.py``; the Cython VM cannot import
it at compile time, so this script renders it as ``cdef enum`` declarations
(no ``DEF``, which Cython deprecates) that ``cext/vm.pyx`` includes.

    python tools/gen_opcodes.py          # (re)write the file
    python tools/gen_opcodes.py --check  # exit 1 when the file is stale

``tests/bytecode/test_opcodes_generated.py`` fails when the file differs from what
``render()`` gives, so a change to the table cannot ship with a stale VM.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "cext" / "opcodes.pxi"

HEADER = (
    "# Generated from src/cqlmatch/bytecode/opcodes.py by tools/gen_opcodes.py: do not edit.",
    "# Regenerate with: python tools/gen_opcodes.py",
)
# Cython names of the comparison operators, in NUM_OPS order.
_NUM_OP_NAMES = {"<": "NUM_LT", "<=": "NUM_LE", ">": "NUM_GT", ">=": "NUM_GE"}


def _import_opcodes():
    """This checkout's opcodes.py, loaded by path: the table in the working
    tree, not an installed copy, and no need for the package's dependencies."""
    name = "_cqlmatch_opcodes_table"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "src" / "cqlmatch" / "bytecode" / "opcodes.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while it runs
    spec.loader.exec_module(module)
    return module


def render() -> str:
    """The text of ``cext/opcodes.pxi`` for the current instruction table."""
    opcodes = _import_opcodes()
    ops = sorted(opcodes.Op, key=int)
    lines = [*HEADER, "", "# Opcodes: one code word, then its operands (kinds as in opcodes.py)."]
    lines.append("cdef enum Op:")
    for op in ops:
        info = opcodes.INFO[op]
        operands = ", ".join(info.operands) if info.operands else "-"
        lines.append(f"    {op.name} = {int(op)}  # {operands}")
    lines.append("")
    lines.append("# Facts about the table the VM checks programs against.")
    lines.append("cdef enum:")
    lines.append(f"    OP_COUNT = {len(ops)}")
    lines.append(f"    MAX_WIDTH = {max(opcodes.width(op) for op in ops)}")
    lines.append("")
    lines.append("# TEST_NUM comparisons (the ``op`` operand), in NUM_OPS order.")
    lines.append("cdef enum NumOp:")
    for i, symbol in enumerate(opcodes.NUM_OPS):
        lines.append(f"    {_NUM_OP_NAMES[symbol]} = {i}  # {symbol}")
    lines.append("")
    lines.append("# Code words each instruction takes (opcode plus operands), by opcode.")
    widths = ", ".join(str(opcodes.width(op)) for op in ops)
    lines.append(f"cdef int[{len(ops)}] OP_WIDTHS")
    lines.append(f"OP_WIDTHS[:] = [{widths}]")
    lines.append("")
    lines.append("# Operand kinds, by opcode (for validating a program before running it).")
    kinds = sorted({kind for op in ops for kind in opcodes.INFO[op].operands})
    lines.append("cdef enum OperandKind:")
    lines.append("    KIND_NONE = 0")
    for i, kind in enumerate(kinds, 1):
        lines.append(f"    KIND_{kind.upper()} = {i}")
    lines.append("")
    operands = max(opcodes.width(op) for op in ops) - 1
    lines.append(f"# Row op holds its operand kinds at OP_KINDS[op * {operands} + k].")
    lines.append("cdef enum:")
    lines.append(f"    MAX_OPERANDS = {operands}")
    lines.append(f"cdef int[{len(ops) * operands}] OP_KINDS")
    lines.append("OP_KINDS[:] = [")
    for op in ops:
        row = [f"KIND_{k.upper()}" for k in opcodes.INFO[op].operands]
        row += ["KIND_NONE"] * (operands - len(row))
        lines.append(f"    {', '.join(row)},  # {op.name}")
    lines.append("]")
    return "\n".join(lines) + "\n"


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when cext/opcodes.pxi is stale"
    )
    args = parser.parse_args(argv)
    text = render()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if args.check:
        if current != text:
            print(f"{_shown(TARGET)} is stale: run python tools/gen_opcodes.py")
            return 1
        return 0
    if current != text:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {_shown(TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The VM's instruction set: the one table everything else is derived from.

Each instruction is an opcode followed by its operands, all small integers
in one flat code array.  ``flag`` is the VM's single boolean register: TEST
instructions set it, jumps read it.  ``cur`` is the event being run; SAVE /
RESTORE keep copies of it for ``case`` branches that fail after changing it.

Operand kinds:
``slot``   index into Program.fields (a field the query reads or writes);
``const``  index into Program.consts (a string);
``number`` index into Program.numbers (a float);
``target`` code offset to jump to;
``set``    index into Program.regex_sets; ``bit`` pattern index in that set;
``node``   index of a syntax node in walk order (slow paths run it with the
           reference semantics);
``op``     a comparison: 0 <, 1 <=, 2 >, 3 >=;
``value``  a literal small integer;
``strset`` index into Program.value_sets (a set of strings).

The ``_CI`` tests compare caselessly, exactly as RE2's ``(?i)`` does on an
ASCII string (see the comment above them); the compiler emits them for
regexes that are plain ASCII text (``lang.regex.LiteralMatch``).

``tools/gen_opcodes.py`` writes ``cext/opcodes.pxi`` from this table; a test
fails when that file is stale.
"""

from __future__ import annotations

from enum import IntEnum


class OpInfo:
    """One instruction: its name, operands, stack effect and what it does.
    (A plain class: this module is also loaded alone, by path, by
    tools/gen_opcodes.py, and a dataclass would be generated at every start.)"""

    __slots__ = ("doc", "name", "operands", "stack")

    def __init__(self, name: str, operands: tuple[str, ...], stack: str, doc: str) -> None:
        self.name = name
        self.operands = operands
        self.stack = stack  # effect on flag / cur / the branch stack
        self.doc = doc

    def __repr__(self) -> str:
        return f"OpInfo({self.name!r}, {self.operands!r}, {self.stack!r}, {self.doc!r})"


_TABLE = [
    OpInfo("TEST_EXISTS", ("slot",), "flag", "flag = the field exists"),
    OpInfo("TEST_EQ", ("slot", "const"), "flag", "flag = the field equals the string"),
    OpInfo("TEST_PREFIX", ("slot", "const"), "flag", "flag = the field starts with the string"),
    OpInfo("TEST_SUFFIX", ("slot", "const"), "flag", "flag = the field ends with the string"),
    OpInfo("TEST_CONTAINS", ("slot", "const"), "flag", "flag = the field contains the string"),
    OpInfo("TEST_GLOB", ("slot", "const"), "flag", "flag = the whole field matches the * pattern"),
    OpInfo(
        "TEST_REGEX",
        ("slot", "set", "bit"),
        "flag",
        "flag = pattern bit of the field's RE2 set matched (the set runs once per event)",
    ),
    OpInfo(
        "TEST_NUM", ("slot", "op", "number"), "flag", "flag = the field is numeric and compares so"
    ),
    OpInfo(
        "TEST_CIDR",
        ("slot", "const"),
        "flag",
        "flag = the field is an IPv4 address inside one of the subnets the string lists",
    ),
    OpInfo(
        "TEST_IN",
        ("slot", "strset", "value"),
        "flag",
        "flag = the field is one of the set's strings (a hash lookup); value 1: the field's"
        " casefold() is (the set holds casefolded strings: in(ignoreCase=true))",
    ),
    OpInfo(
        "TEST_NODE",
        ("node",),
        "flag, cur",
        "flag = the filter node passes (slow path); cur takes its extracted fields",
    ),
    OpInfo("SET_FLAG", ("value",), "flag", "flag = value (the filters true and false)"),
    OpInfo("NOT", (), "flag", "flag = not flag"),
    OpInfo("JUMP", ("target",), "", "continue at target"),
    OpInfo("JUMP_IF_FALSE", ("target",), "", "continue at target when flag is false"),
    OpInfo("JUMP_IF_TRUE", ("target",), "", "continue at target when flag is true"),
    OpInfo(
        "DISPATCH",
        ("slot", "const", "target"),
        "",
        "when the field equals the string continue at target (case branches sharing a first test)",
    ),
    OpInfo("ASSIGN_CONST", ("slot", "const"), "cur", "cur[field] = string"),
    OpInfo(
        "DEFAULT",
        ("slot", "const", "value"),
        "cur",
        "cur[field] = string when absent, or also when empty if value is 1",
    ),
    OpInfo(
        "STAGE_NODE",
        ("node", "target"),
        "cur",
        "run the stage node with the reference semantics; each event it emits continues at the next instruction, none continues at target",
    ),
    OpInfo("SAVE", (), "stack", "push cur (a case begins)"),
    OpInfo("RESTORE", (), "cur", "cur = the top of the stack (a case branch failed)"),
    OpInfo("DISCARD", (), "stack", "pop the stack (a case ends)"),
    OpInfo("ACCEPT", (), "", "emit cur and stop"),
    OpInfo("REJECT", (), "", "drop the event and stop"),
    # Caseless string tests (format 5; after the others, so no number moved).
    # The string is ASCII; the field's characters are compared with it as
    # RE2's (?i) compares them: an ASCII letter matches either case of itself
    # and k, s also the Kelvin sign U+212A and the long s U+017F; every other
    # character matches only itself (no full folding: "ß" is not "ss").
    OpInfo("TEST_EQ_CI", ("slot", "const"), "flag", "flag = the field equals the string, caseless"),
    OpInfo(
        "TEST_PREFIX_CI",
        ("slot", "const"),
        "flag",
        "flag = the field starts with the string, caseless",
    ),
    OpInfo(
        "TEST_SUFFIX_CI",
        ("slot", "const"),
        "flag",
        "flag = the field ends with the string, caseless",
    ),
    OpInfo(
        "TEST_CONTAINS_CI",
        ("slot", "const"),
        "flag",
        "flag = the field contains the string, caseless",
    ),
]

Op = IntEnum("Op", [(info.name, i) for i, info in enumerate(_TABLE)])
Op.__doc__ = "Opcode numbers, in table order."
INFO: dict[Op, OpInfo] = {Op(i): info for i, info in enumerate(_TABLE)}


def width(op: Op) -> int:
    """Code words one instruction of ``op`` takes (the opcode and its operands)."""
    return 1 + len(INFO[op].operands)


NUM_OPS = ("<", "<=", ">", ">=")

"""The compiled Program: serialisation, format checks, prefilter literals,
and the compiler's choice of native instructions."""

from __future__ import annotations

import msgspec
import pytest

import cqlmatch
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.bytecode.disasm import get_instructions
from cqlmatch.bytecode.opcodes import INFO, Op, width
from cqlmatch.bytecode.program import FORMAT_VERSION, MAGIC, ProgramFormatError, loads

from ..conftest import ROOT, SEED


def program_of(text: str):
    return compile_program(cqlmatch.compile(text).checked)


def ops(text: str) -> list[str]:
    return [i.op.name for i in get_instructions(program_of(text))]


def test_round_trip_through_bytes() -> None:
    program = program_of((ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8"))
    data = program.dumps()
    assert loads(data) == program


def test_rejects_other_bytes_and_versions() -> None:
    program = program_of("a=1")
    with pytest.raises(ProgramFormatError, match="not a cqlmatch program"):
        loads(b"\x00garbage")
    wrong_magic = msgspec.structs.replace(program, magic=MAGIC + 1)
    with pytest.raises(ProgramFormatError, match="magic"):
        loads(wrong_magic.dumps())
    newer = msgspec.structs.replace(program, version=FORMAT_VERSION + 1)
    with pytest.raises(ProgramFormatError, match="recompile"):
        loads(newer.dumps())


def test_every_opcode_has_a_description_and_known_operand_kinds() -> None:
    kinds = {"slot", "const", "number", "target", "set", "bit", "node", "op", "value", "strset"}
    for op, info in INFO.items():
        assert info.doc and set(info.operands) <= kinds, op
        assert width(op) == 1 + len(info.operands)


def test_instructions_cover_the_code_exactly() -> None:
    program = program_of(SEED.read_text(encoding="utf-8"))
    offsets = [i.offset for i in get_instructions(program)]
    assert offsets[0] == 0
    ends = [i.offset + width(i.op) for i in get_instructions(program)]
    assert offsets[1:] == ends[:-1] and ends[-1] == len(program.code)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "#event_simpleName=ProcessRollup2 OR #event_simpleName=NetworkConnectIP4",
            (("NetworkConnectIP4", "ProcessRollup2"),),
        ),
        ("a=Foo b=*Bar.exe", (("Foo",), ("Bar.exe",))),
        ("a=/rundll32\\.exe/", (("rundll32.exe",),)),
        ("a=/(?i)rundll32/", (("~rundll32",),)),  # ~: ignoring ASCII case
        ("a=/(?i)Kelvin|\u00e9/", ()),  # non-ASCII under (?i): unknown
        ('a="x=y"', ()),  # "=" may be written \u003d in the raw line
        # backslashes are doubled in JSON: the longest run without one counts
        ('a="C:\\\\Windows"', (("Windows",),)),
        ('a="C:\\\\Wi"', ()),  # (if it has three characters)
        ("a!=Foo", ()),
        # An OR or a case in CNF: a group per choice of one group of each side.
        ("case { a=Foo ; b=Bar }", (("Bar", "Foo"),)),
        ("(a=Foo b=/(?i)xyz/) OR c=Bar", (("Bar", "Foo"), ("Bar", "~xyz"))),
        ("case { a=Foo b=Baz ; c=Bar }", (("Bar", "Baz"), ("Bar", "Foo"))),
        # A group another group implies is left out.
        ("a=Foo | case { a=Foo b=Baz ; c=Bar }", (("Foo",), ("Bar", "Baz"))),
        # A literal that another of its group implies (in the same field) is left out.
        ("a=/(?i)(apt|apt-get|APTX)/ OR a=xAPTy", (("~apt",),)),
        ("a=/(?i)(apt|apt-get|APTX)/ OR b=xAPTy", (("~apt", "xAPTy"),)),
        ("a=/(apt|apt-get)/ OR b=/(?i)Apt-Get/", (("apt", "~apt-get"),)),
        ('x := "Foo" | x=Foo', ()),  # the field was assigned: the line need not hold it
        ("a=Foo | x := 1 | b=Bar", (("Foo",),)),
        ("case { a=Foo ; * }", ()),
        # In a branch, only the filters before an assignment count.
        ('case { a=Foo | x := "1" | x=Qux ; b=Bar }', (("Bar", "Foo"),)),
        ('case { x := "1" | x=Qux ; b=Bar }', ()),
        # A sub-query reads events the main pipeline's filters would rule out.
        ("a=Foo | join(field=[x], key=y, query={b=Bar})", ()),
    ],
)
def test_prefilter_literals(query: str, expected: tuple) -> None:
    got = program_of(query).prefilter
    assert (
        tuple(tuple(("~" if x.ignore_case else "") + x.text for x in group) for group in got)
        == expected
    )


def test_prefilter_of_the_corrected_seed_rule() -> None:
    """The installer names of the (?i) regexes join the event types, each
    literal with the field it is tested in: a ProcessRollup2 event needs an
    installer name in ParentBaseFileName, a NetworkConnectIP4 event one of
    two in ImageFileName."""
    got = program_of((ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")).prefilter
    names = ("apt", "chocolatey", "dpkg", "installer", "msiexec.exe", "pkgutil", "rpm", "winget")
    event = "in #event_simpleName"
    parent = [f"i{x!r} in ParentBaseFileName" for x in (*names, "yum")]
    image = [f"i{x!r} in ImageFileName" for x in ("installer", "msiexec.exe")]
    assert [[str(x) for x in group] for group in got] == [
        [f"'NetworkConnectIP4' {event}", f"'ProcessRollup2' {event}"],
        [f"'ProcessRollup2' {event}", *image],
        [f"'NetworkConnectIP4' {event}", *parent],
        sorted([*parent, *image]),
    ]


def test_regexes_of_one_field_share_one_set_and_literals_become_substring_tests() -> None:
    program = program_of("c=/^x+/ OR c=/y.$/i OR c=/literal/ OR c=/^x$/i OR d=/z+/")
    assert [(program.fields[s.slot].name, s.patterns) for s in program.regex_sets] == [
        ("c", ("^x+", "(?i)y.$")),
        ("d", ("z+",)),
    ]
    assert ops("c=/literal/") == ["TEST_CONTAINS", "JUMP_IF_FALSE", "ACCEPT", "REJECT"]
    # anchored and case-insensitive literals are string tests too (format 5)
    assert ops("c=/^x/")[0] == "TEST_PREFIX"
    assert ops("c=/y$/i")[0] == "TEST_SUFFIX_CI"


def test_cheap_tests_run_before_regexes() -> None:
    assert ops("a=/x+y/ b=1")[:3] == ["TEST_EQ", "JUMP_IF_FALSE", "TEST_REGEX"]


def test_constant_filters_fold() -> None:
    assert ops("true * | a=1") == ["TEST_EQ", "JUMP_IF_FALSE", "ACCEPT", "REJECT"]
    assert ops("false") == ["JUMP", "ACCEPT", "REJECT"]
    assert ops("a=1 true") == ["TEST_EQ", "JUMP_IF_FALSE", "ACCEPT", "REJECT"]


def test_slow_paths_are_named_nodes() -> None:
    query = "k := lower(user) | in(x, values=[a*], ignoreCase=true)"
    listing = list(get_instructions(program_of(query)))
    assert [i.op for i in listing[:2]] == [Op.STAGE_NODE, Op.TEST_NODE]
    assert listing[0].resolved[0].startswith("Assign 'k := lower(user)'")


def test_in_and_wildcard_compile_to_native_tests() -> None:
    assert ops("in(user, values=[alice, b*])") == [
        "TEST_EQ",
        "JUMP_IF_TRUE",
        "TEST_PREFIX",
        "JUMP_IF_FALSE",
        "ACCEPT",
        "REJECT",
    ]
    # ignoreCase: a lookup of the casefolded value; with a wildcard the slow path
    assert ops("in(user, values=[alice], ignoreCase=true)")[0] == "TEST_IN"
    assert ops("in(user, values=[alice, b*], ignoreCase=true)")[0] == "TEST_NODE"
    assert ops('wildcard(field=u, pattern="*x")')[0] == "TEST_SUFFIX"

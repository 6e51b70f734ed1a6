"""TEST_EQ_CI, TEST_PREFIX_CI, TEST_SUFFIX_CI and TEST_CONTAINS_CI on
hand-assembled programs: an ASCII constant compared with a field the way
RE2's ``(?i)`` compares them (an ASCII letter matches itself in either case,
``k`` also the Kelvin sign U+212A and ``s`` the long s U+017F; nothing else
folds onto ASCII), over values stored in each of CPython's string widths."""

from __future__ import annotations

import re

import pytest

from cqlmatch._vm import Machine
from cqlmatch.bytecode.opcodes import Op

from .test_vm import Slow, kept, program, run, test_prog, unique

KELVIN, LONG_S = "\u212a", "\u017f"
CASELESS = (Op.TEST_EQ_CI, Op.TEST_PREFIX_CI, Op.TEST_SUFFIX_CI, Op.TEST_CONTAINS_CI)


def check(op: Op, const: str, values: dict[str, bool]) -> None:
    prog = test_prog(op, 0, 0, consts=(const,))
    for value, expected in values.items():
        assert kept(prog, {"a": unique(value)}) is expected, (op.name, const, value)
    assert not kept(prog, {"b": const}), op  # an absent field fails every test


def test_equality_ignores_ascii_case() -> None:
    check(
        Op.TEST_EQ_CI,
        "win",
        {
            "win": True,
            "WIN": True,
            "wIn": True,
            "win ": False,
            "wi": False,
            "winx": False,
            "": False,
            "w\u0130n": False,  # I with dot above: no simple folding onto i
            "w\u0131n": False,  # dotless i
            "wín": False,
            "win\n": False,
        },
    )


def test_kelvin_sign_and_long_s_match_k_and_s() -> None:
    values = {
        "ks": True,
        "KS": True,
        f"{KELVIN}s": True,
        f"k{LONG_S}": True,
        f"{KELVIN}{LONG_S}": True,
        "\u0138s": False,  # kra
        "kß": False,
        f"{KELVIN}": False,
    }
    check(Op.TEST_EQ_CI, "ks", values)
    check(Op.TEST_PREFIX_CI, "ks", values)
    check(Op.TEST_SUFFIX_CI, "ks", values)
    check(Op.TEST_CONTAINS_CI, "ks", values)


def test_sharp_s_is_not_ss() -> None:
    for op in CASELESS:
        check(op, "ss", {"ß": False, "\u1e9e": False, "SS": True, f"S{LONG_S}": True})
    check(Op.TEST_CONTAINS_CI, "strasse", {"STRASSE": True, "Straße": False})


def test_prefix_and_suffix() -> None:
    check(
        Op.TEST_PREFIX_CI,
        "c:\\windows\\",
        {
            "C:\\Windows\\System32": True,
            "c:\\WINDOWS\\": True,
            "C:\\Windows": False,
            " C:\\Windows\\": False,
            "C:/Windows/": False,
            "C:\\Windows\\😀": True,
        },
    )
    check(
        Op.TEST_SUFFIX_CI,
        "\\rundll32.exe",
        {
            "C:\\Windows\\System32\\RUNDLL32.EXE": True,
            "\\rundll32.exe": True,
            "rundll32.exe": False,
            "C:\\x\\rundll32.exe\n": False,  # the end of the text, not of a line
            "C:\\x\\rundll32.exe ": False,
            "日本\\Rundll32.Exe": True,
            "😀\\rundll32.exe": True,
        },
    )


def test_contains() -> None:
    check(
        Op.TEST_CONTAINS_CI,
        "zxfunction",
        {
            "rundll32 zxFunction x": True,
            "ZXFUNCTION": True,
            "zxfunctio": False,
            "zx function": False,
            "zzxfunctionn": True,
            "é zXfUnCtIoN é": True,  # latin-1 storage
            "日本 ZXFunction": True,  # two-byte storage
            "😀 zxFUNCTION 😀": True,  # four-byte storage
            "日本 zxfunctio": False,
            "": False,
        },
    )
    check(Op.TEST_CONTAINS_CI, "sk", {"a\u017f\u212ab": True, "\u017fx\u212a": False})


def test_empty_constant_matches_every_present_value() -> None:
    for op in (Op.TEST_PREFIX_CI, Op.TEST_SUFFIX_CI, Op.TEST_CONTAINS_CI):
        check(op, "", {"": True, "x": True, "😀": True})
    check(Op.TEST_EQ_CI, "", {"": True, "x": False, "\n": False})


def test_non_letters_compare_exactly() -> None:
    # letters fold; nothing else does (not even the ASCII characters 32 apart)
    check(Op.TEST_EQ_CI, "@[`{", {"@[`{": True, "`{@[": False, "@{`[": False})
    check(Op.TEST_CONTAINS_CI, "a\tb\x00", {"xA\tB\x00y": True, "a b\x00": False})
    # latin-1 letters are not ASCII letters: no folding among them either
    check(Op.TEST_CONTAINS_CI, "e", {"é": False, "É": False, "E": True})


def test_the_constant_is_folded_by_the_machine() -> None:
    """Compilers store the constant in lower case; any case compares the same."""
    check(Op.TEST_EQ_CI, "WiN", {"win": True, "WIN": True, "wine": False})
    check(Op.TEST_CONTAINS_CI, "KS", {f"x{KELVIN}{LONG_S}": True})


def test_long_values() -> None:
    body = "x" * 100_000
    check(
        Op.TEST_CONTAINS_CI,
        "needle",
        {body + "NeEdLe": True, body + "needl": False, "日" + body + "needle": True},
    )
    check(Op.TEST_SUFFIX_CI, "needle", {body + "NEEDLE": True, "NEEDLE" + body: False})
    check(Op.TEST_PREFIX_CI, "needle", {"NEEDLE" + body: True, body + "NEEDLE": False})


def test_several_tests_on_one_value_and_on_changing_values() -> None:
    """The folded copy of a value is reused across the tests of one value and
    never leaks into the next value (events, assignments, case branches)."""
    prog = program(
        (Op.TEST_CONTAINS_CI, 0, 0),
        (Op.JUMP_IF_FALSE, "no"),
        (Op.TEST_CONTAINS_CI, 0, 1),
        (Op.JUMP_IF_TRUE, "no"),
        (Op.ASSIGN_CONST, 0, 2),
        (Op.TEST_CONTAINS_CI, 0, 2),
        (Op.JUMP_IF_FALSE, "no"),
        (Op.ACCEPT,),
        "no:",
        (Op.REJECT,),
        consts=("abc", "zzz", "QQ"),
    )
    value = "xABCx"
    out = run(prog, {"a": value}, {"a": "xzzzabc"}, {"a": value}, {"a": "abc"}, {"a": "aXbc"})
    assert out == [{"a": "QQ"}, {"a": "QQ"}, {"a": "QQ"}]


def test_threads_share_a_machine() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from cqlmatch.lang.events import Event

    prog = test_prog(Op.TEST_CONTAINS_CI, 0, 0, consts=("needle",))
    machine = Machine(prog, Slow())
    batches = [
        [
            Event({"a": f"{'x' * (i % 50)}{'NEEDLE' if (i + j) % 3 == 0 else 'nope'}"}, "")
            for i in range(2000)
        ]
        for j in range(8)
    ]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(machine.run, batches))
    for j, out in enumerate(results):
        assert len(out) == sum(1 for i in range(2000) if (i + j) % 3 == 0)


@pytest.mark.parametrize("op", CASELESS)
def test_a_constant_that_is_not_ascii_is_rejected(op: Op) -> None:
    with pytest.raises(ValueError, match=re.escape("is not ASCII")):
        Machine(test_prog(op, 0, 0, consts=("é",)), Slow())
    with pytest.raises(ValueError, match=re.escape("constant 1 out of range")):
        Machine(test_prog(op, 0, 1, consts=("a",)), Slow())
    # the same constant is fine for the case-sensitive tests
    Machine(test_prog(Op.TEST_EQ, 0, 0, consts=("é",)), Slow())

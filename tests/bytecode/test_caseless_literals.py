"""Sigma-shaped regexes compile to literal string tests.

Sigma rules converted to CQL write every value as a regex, nearly always
case-insensitive: ``/^lit$/i`` (equals), ``/^lit/i`` (starts with),
``/lit$/i`` and ``/\\\\lit$/i`` (ends with), ``/lit/i`` (contains).  When the
whole pattern is such a literal, ASCII under ``i``, the compiler emits
TEST_EQ_CI, TEST_PREFIX_CI, TEST_SUFFIX_CI or TEST_CONTAINS_CI (and the
case-sensitive TEST_EQ/PREFIX/SUFFIX/CONTAINS without ``i``) instead of a
TEST_REGEX bit in the field's RE2 set.  The reference interpreter keeps
running RE2, so every agreement test below compares against RE2's ``(?i)``:
Unicode simple case folding, where ``k`` also matches the Kelvin sign and
``s`` the long s, and ``ß`` never matches ``ss``.  Anything the compiler
cannot prove to be such a literal keeps the regex path.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

import cqlmatch
from cqlmatch.bytecode.compiler import ANCHORED_CI_MAX, CONTAINS_CI_MAX, compile_program
from cqlmatch.bytecode.disasm import get_instructions
from cqlmatch.bytecode.opcodes import Op
from cqlmatch.bytecode.program import Literal
from cqlmatch.lang.regex import LiteralMatch, translate

KELVIN, LONG_S = "\u212a", "\u017f"


def string_tests(query: str) -> list[tuple[Op, str]]:
    """The field tests a query compiles to: (op, constant or pattern)."""
    program = cqlmatch.compile(query).program
    out = []
    for ins in get_instructions(program):
        if ins.op.name.startswith("TEST_"):
            out.append((ins.op, ins.resolved[-1]))
    return out


# --- which regexes become literal tests ---------------------------------------------------

SHAPES = [
    # Sigma's five shapes, with regex escapes inside the literal
    (r"f=/^Win$/i", Op.TEST_EQ_CI, "win"),
    (r"f=/^ProcessRollup2$/i", Op.TEST_EQ_CI, "processrollup2"),
    (r"f=/\\rundll32\.exe$/i", Op.TEST_SUFFIX_CI, "\\rundll32.exe"),
    (r"f=/\.exe$/i", Op.TEST_SUFFIX_CI, ".exe"),
    (r"f=/^C:\\Windows\\/i", Op.TEST_PREFIX_CI, "c:\\windows\\"),
    (r"f=/zxFunction/i", Op.TEST_CONTAINS_CI, "zxfunction"),
    (r"f=/ \-encodedCommand /i", Op.TEST_CONTAINS_CI, " -encodedcommand "),
    (r"f=/https:\/\/x\.y/i", Op.TEST_CONTAINS_CI, "https://x.y"),
    (r"f=/\(New\-Object\)/i", Op.TEST_CONTAINS_CI, "(new-object)"),
    (r"f=/a\tb\x41/i", Op.TEST_CONTAINS_CI, "a\tba"),
    (r"f=/\Qa.b*\E/i", Op.TEST_CONTAINS_CI, "a.b*"),
    # the same with the flag written inline, and with \A / \z anchors
    (r"f=/(?i)^Win$/", Op.TEST_EQ_CI, "win"),
    (r"f=/(?i)\AWin\z/", Op.TEST_EQ_CI, "win"),
    (r"f=/\Awin/i", Op.TEST_PREFIX_CI, "win"),
    (r"f=/win\z/i", Op.TEST_SUFFIX_CI, "win"),
    # m only changes ^ and $; \A and \z, and a literal without anchors, keep
    (r"f=/zx/im", Op.TEST_CONTAINS_CI, "zx"),
    (r"f=/\Azx\z/im", Op.TEST_EQ_CI, "zx"),
    # flags that change nothing for a plain literal
    (r"f=/^zx$/id", Op.TEST_EQ_CI, "zx"),
    (r"f=/^zx$/iF", Op.TEST_EQ_CI, "zx"),
    # empty literals
    (r"f=/^$/i", Op.TEST_EQ, ""),
    (r"f=/^/i", Op.TEST_PREFIX, ""),
    # no letter, anchored: the case-sensitive test is the same test
    (r"f=/^4624$/i", Op.TEST_EQ, "4624"),
    (r"f=/\\\\\.\\$/i", Op.TEST_SUFFIX, "\\\\.\\"),
    # (a substring stays caseless: the same test, on the field's folded copy)
    (r"f=/\\\\\.\\/i", Op.TEST_CONTAINS_CI, "\\\\.\\"),
    # case-sensitive anchored literals: the plain tests
    (r"f=/^Win$/", Op.TEST_EQ, "Win"),
    (r"f=/^Win/", Op.TEST_PREFIX, "Win"),
    (r"f=/Win$/", Op.TEST_SUFFIX, "Win"),
    (r"f=/Win/", Op.TEST_CONTAINS, "Win"),
    (r"f=/(?-i)^Win$/i", Op.TEST_EQ, "Win"),
    (r"f=/café/", Op.TEST_CONTAINS, "café"),  # unanchored, case-sensitive: as before
]


@pytest.mark.parametrize(("query", "op", "text"), SHAPES, ids=[s[0] for s in SHAPES])
def test_literal_regexes_compile_to_string_tests(query: str, op: Op, text: str) -> None:
    program = cqlmatch.compile(query).program
    assert string_tests(query) == [(op, repr(text))]
    assert program.regex_sets == ()


DECLINED = [
    r"f=/a.b/i",  # any character
    r"f=/a|b/i",  # alternation
    r"f=/(ab)/i",  # a group
    r"f=/(?:ab)/i",
    r"f=/(?i:ab)/",  # the flag scoped to a group
    r"f=/[ab]/i",  # classes
    r"f=/[k]/i",
    r"f=/\d+/i",
    r"f=/\w/i",
    r"f=/\s/i",
    r"f=/ab+/i",  # quantifiers
    r"f=/ab?/i",
    r"f=/a{2}/i",
    r"f=/^ab$/im",  # multiline anchors
    r"f=/^ab/m",
    r"f=/(?m)ab$/i",
    r"f=/(?im)^ab/",
    r"f=/ab\Z/i",  # end or before a final newline
    r"f=/\bab\b/i",  # word boundaries
    r"f=/a\Bb/i",
    r"f=/^^ab/i",  # anchors where a literal test has none
    r"f=/ab$$/i",
    r"f=/a^b/i",
    r"f=/a$b/i",
    r"f=/$ab/i",
    r"f=/a(?-i)b/i",  # mixed case sensitivity
    r"f=/^(?i)ab/",
    r"f=/\pL/i",
    r"f=/café/i",  # non-ASCII under i
    r"f=/straße/i",
    r"f=/\x{212a}/i",
    r"f=/^café$/",  # non-ASCII, anchored
    r"f=/café$/",
    r"f=/(?<x>ab)/i",  # extraction
]


@pytest.mark.parametrize("query", DECLINED)
def test_other_regexes_keep_the_regex_path(query: str) -> None:
    ops = [op for op, _ in string_tests(query)]
    assert ops in ([Op.TEST_REGEX], [Op.TEST_NODE]), ops


def test_translate_reports_the_literal_match() -> None:
    assert translate(r"\\rundll32\.exe$", "i").literal_match == LiteralMatch(
        "\\rundll32.exe", at_start=False, at_end=True, ignore_case=True
    )
    assert translate("(?i)^Ab$").literal_match == LiteralMatch("Ab", True, True, True)
    assert translate("^Ab").literal_match == LiteralMatch("Ab", True, False, False)
    assert translate("Ab", "m").literal_match == LiteralMatch("Ab", False, False, False)
    assert translate("^Ab", "m").literal_match is None
    assert translate("^Ab", "i").literal is None  # ``literal`` stays the unanchored text only
    for pattern in ("a|b", "a.", "(?i)é", "^é", "é$", "a\\b", "a\\Z", "(?i:a)"):
        assert translate(pattern).literal_match is None, pattern
    assert translate("é").literal_match == LiteralMatch("é", False, False, False)


def test_sigma_rule_compiles_without_regex_sets() -> None:
    query = (
        r"event_platform=/^Win$/i #event_simpleName=/^ProcessRollup2$/i "
        r"or #event_simpleName=/^SyntheticProcessRollup2$/i "
        r"ImageFileName=/\\rundll32\.exe$/i CommandLine=/zxFunction/i "
        r"or CommandLine=/RemoteDiskXXXXX/i"
    )
    program = cqlmatch.compile(query).program
    assert program.regex_sets == ()
    assert [op for op, _ in string_tests(query)] == [
        Op.TEST_EQ_CI,
        Op.TEST_EQ_CI,
        Op.TEST_EQ_CI,
        Op.TEST_SUFFIX_CI,
        Op.TEST_CONTAINS_CI,
        Op.TEST_CONTAINS_CI,
    ]


def test_a_literal_test_goes_before_a_regex_in_an_and() -> None:
    ops = [op for op, _ in string_tests(r"f=/a+b/i g=/^x$/i")]
    assert ops == [Op.TEST_EQ_CI, Op.TEST_REGEX]


def test_negated_literal_regex() -> None:
    query = r"f!=/^win$/i"
    program = cqlmatch.compile(query).program
    ops = [ins.op for ins in get_instructions(program)]
    assert ops[:2] == [Op.TEST_EQ_CI, Op.NOT]
    events = [{"f": "WIN"}, {"f": "wine"}, {"g": "x"}, {"f": "w\u0131n"}]
    assert _agree(query, events) == [1, 2, 3]


# --- the prefilter still gets the literals ------------------------------------------------


def prefilter_of(query: str) -> tuple[tuple[Literal, ...], ...]:
    return compile_program(cqlmatch.compile(query).checked).prefilter


def test_prefilter_keeps_case_insensitive_literals() -> None:
    assert prefilter_of(r"f=/^ProcessRollup2$/i") == ((Literal("processrollup2", True, "f"),),)
    assert prefilter_of(r"f=/zxFunction/i") == ((Literal("zxfunction", True, "f"),),)
    assert prefilter_of(r"f=/^Win/") == ((Literal("Win", False, "f"),),)


def test_prefilter_never_changes_the_rows(tmp_path) -> None:
    query = cqlmatch.compile(
        r"(ImageFileName=/\\svchost\.exe$/i CommandLine=/ \-k netsvcs/i) "
        r"or ImageFileName=/^\\Device\\/i"
    )
    image = ["\\svchost.exe", "\\SVCHOST.EXE", f"\\{LONG_S}vchost.exe", "svchost.exe"]
    command = [" -k netsvcs", f" -{KELVIN} NETSVCS", " -K NetSvc", ""]
    lines = []
    for a in image:
        for b in command:
            fields = {"ImageFileName": "C:\\W" + a, "CommandLine": "x" + b}
            for ascii_only in (True, False):
                lines.append(json.dumps(fields, ensure_ascii=ascii_only))
    lines.append(json.dumps({"ImageFileName": "\\device\\x", "CommandLine": "y"}))
    lines.append('{"ImageFileName":"C:\\\\W\\\\svchost.ex\\u0065","CommandLine":" -k netsvcs"}')
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with_prefilter = list(query.run(str(path), workers=1))
    without = list(query.run(str(path), workers=1, prefilter=False))
    reference = list(query.run(str(path), engine="reference", workers=1, prefilter=False))
    assert with_prefilter == without == reference
    assert len(without) == 3 * 2 * 2 + 1 + 1


# --- the VM agrees with RE2 (the reference) -----------------------------------------------


def _agree(query: str, values: list[dict]) -> list[int]:
    """Run the query on both engines over the events (each tagged with its
    index); they must keep the same events.  Returns the kept indexes."""
    compiled = cqlmatch.compile(query)
    events = [{**event, "_i": str(i)} for i, event in enumerate(values)]
    vm = list(compiled.run(events, engine="vm"))
    reference = list(compiled.run(events, engine="reference"))
    assert vm == reference, (query, values)
    return [int(row["_i"]) for row in vm]


def test_kelvin_long_s_and_sharp_s_by_hand() -> None:
    values = [
        "Kelvin",
        f"{KELVIN}elvin",
        "KELVIN",
        "kelvin\n",
        f"{KELVIN}ELVIN",
        "\u0138elvin",  # kra: not a k
    ]
    assert _agree(r"f=/^kelvin$/i", [{"f": v} for v in values]) == [0, 1, 2, 4]
    values = ["Strasse", f"stra{LONG_S}{LONG_S}e", "Straße", "STRASSE", "stra\u1e9ee"]
    assert _agree(r"f=/^strasse$/i", [{"f": v} for v in values]) == [0, 1, 3]
    assert _agree(r"f=/ss/i", [{"f": v} for v in values]) == [0, 1, 3]
    # I with a dot above and the dotless i fold to no ASCII letter under simple folding
    values = ["WIN", "w\u0130n", "w\u0131n", "win"]
    assert _agree(r"f=/^win$/i", [{"f": v} for v in values]) == [0, 3]


def test_end_anchor_is_the_end_of_the_text() -> None:
    values = ["a.exe", "a.exe\n", "A.EXE\nb", "\na.exe", ""]
    assert _agree(r"f=/\.exe$/i", [{"f": v} for v in values]) == [0, 3]
    assert _agree(r"f=/^a/i", [{"f": v} for v in values]) == [0, 1, 2]
    assert _agree(r"f=/^a\.exe$/i", [{"f": v} for v in values]) == [0]
    assert _agree(r"f=/^$/i", [{"f": v} for v in values]) == [4]


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
PUNCTUATION = " .-\\/()[]{}*+?|^$:_,;'\"=@#%&~!<>`\t"
# RE2 and dialect metacharacters, written escaped inside the regex; "/" ends
# the literal, tab is written \t
_ESCAPED = set("\\.+*?()|[]{}^$/-")
# characters around which case folding is easy to get wrong
TRICKY = [
    KELVIN,
    LONG_S,
    "ß",
    "\u1e9e",  # capital sharp s
    "\u0130",  # I with dot above
    "\u0131",  # dotless i
    "\u212b",  # angstrom sign
    "\ufb00",  # ff ligature
    "\u0138",  # kra
    "é",
    "É",
    "ÿ",
    "Ω",
    "日",
    "😀",
    "\ud800",  # a lone surrogate
    "\n",
    "\x00",
    "",
]


def escape(literal: str) -> str:
    out = []
    for ch in literal:
        if ch in _ESCAPED:
            out.append("\\" + ch)
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return "".join(out)


def _variant(ch: str, pick: int) -> str:
    """One of the characters RE2's (?i) lets match the ASCII ``ch``."""
    if not ch.isalpha():
        return ch
    options = [ch.lower(), ch.upper()]
    if ch in "kK":
        options.append(KELVIN)
    if ch in "sS":
        options.append(LONG_S)
    return options[pick % len(options)]


literals = st.text(
    alphabet=st.sampled_from(LETTERS + "kKsS" * 4 + "0129" + PUNCTUATION), max_size=8
)


@st.composite
def values_for(draw, literal: str) -> str:
    """A value that often holds the literal (in some case spelling, maybe cut
    short or with one character changed), among tricky characters."""
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 4))
        if kind <= 1 and literal:
            picks = draw(st.lists(st.integers(0, 2), min_size=len(literal), max_size=len(literal)))
            text = "".join(_variant(c, p) for c, p in zip(literal, picks, strict=True))
            if kind == 1:  # damaged: a character dropped or replaced
                at = draw(st.integers(0, len(text) - 1))
                text = text[:at] + draw(st.sampled_from(TRICKY)) + text[at + 1 :]
            parts.append(text)
        elif kind == 2:
            parts.append(draw(st.sampled_from(TRICKY)))
        else:
            parts.append(
                draw(st.text(alphabet=LETTERS + PUNCTUATION + "".join(TRICKY), max_size=4))
            )
    return "".join(parts)


FIVE_SHAPES = {
    "eq": ("^{}$", Op.TEST_EQ_CI),
    "suffix": ("{}$", Op.TEST_SUFFIX_CI),
    "backslash suffix": ("\\\\{}$", Op.TEST_SUFFIX_CI),
    "prefix": ("^{}", Op.TEST_PREFIX_CI),
    "contains": ("{}", Op.TEST_CONTAINS_CI),
}
CASE_SENSITIVE = {
    Op.TEST_EQ_CI: Op.TEST_EQ,
    Op.TEST_SUFFIX_CI: Op.TEST_SUFFIX,
    Op.TEST_PREFIX_CI: Op.TEST_PREFIX,
}


@st.composite
def cases(draw):
    literal = draw(literals)
    shape = draw(st.sampled_from(sorted(FIVE_SHAPES)))
    values = draw(st.lists(values_for(literal), min_size=1, max_size=12))
    return literal, shape, values


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
@example(("kS", "eq", [f"{KELVIN}{LONG_S}", "Ks", "ks\n", "k", ""]))
@example(("ss", "contains", ["ß", "SS", f"x{LONG_S}S", "\u1e9e"]))
@example(("a.B", "suffix", ["xA.b", "a.B\n", "aXb", "A.B\ud800"]))
@example(("Exe", "backslash suffix", ["C:\\X\\EXE", "\\exe", "exe", "\\\\Exe"]))
@example(("", "prefix", ["", "x", "\n"]))
def test_vm_agrees_with_re2_on_every_shape(case) -> None:
    literal, shape, values = case
    assume(literal or shape != "contains")  # f=//i would be a comment
    pattern, op = FIVE_SHAPES[shape]
    query = f"f=/{pattern.format(escape(literal))}/i"
    text = ("\\" if shape == "backslash suffix" else "") + literal
    letters = any(c.isalpha() for c in text)
    expected_op = op if letters or op == Op.TEST_CONTAINS_CI else CASE_SENSITIVE[op]
    assert string_tests(query) == [(expected_op, repr(text.lower()))]
    events = [{"f": v} for v in values] + [{"g": literal}]
    _agree(query, events)


# --- many substrings on one field ---------------------------------------------------------


def test_many_caseless_substrings_on_one_field_stay_in_its_regex_set() -> None:
    """Past CONTAINS_CI_MAX caseless substrings of one field, one pass of the
    field's RE2 set finds them faster than as many searches: OR-ed, they are
    one alternation (one TEST_REGEX), and the field's other string tests stay
    string tests."""
    few = " or ".join(f"c=/word{i}x/i" for i in range(CONTAINS_CI_MAX))
    ops = [op for op, _ in string_tests(few + r" c=/^cmd\.exe /i")]
    assert set(ops) == {Op.TEST_CONTAINS_CI, Op.TEST_PREFIX_CI}
    many = " or ".join(f"c=/word{i}x/i" for i in range(CONTAINS_CI_MAX + 1))
    query = many + r" c=/^cmd\.exe /i d=/word1x/i"
    ops = [op for op, _ in string_tests(query)]
    assert ops.count(Op.TEST_REGEX) == 1
    assert ops[-2:] == [Op.TEST_PREFIX_CI, Op.TEST_CONTAINS_CI]  # other tests, other fields
    values = ["CMD.EXE /c WORD3X", "cmd.exe word40x", "cmd.exe W0RD1X", "cmd.exe /c word32x"]
    events = [{"c": v, "d": "Word1X"} for v in values] + [{"c": values[0]}]
    assert _agree(query, events) == [0, 3]


def test_many_caseless_anchored_texts_on_one_field_stay_in_its_regex_set() -> None:
    """Past ANCHORED_CI_MAX caseless equalities, prefixes and suffixes of one
    field (a Sigma rule's list of image names), the field's RE2 set answers
    them in one pass (and its memo for a value seen before): OR-ed, they are
    one TEST_REGEX; the field's substrings and other fields keep theirs."""
    names = [f"\\\\took{i}\\.exe$" for i in range(ANCHORED_CI_MAX)]
    few = " or ".join(f"f=/{n}/i" for n in names)
    ops = [op for op, _ in string_tests(few + " f=/run/i")]
    assert set(ops) == {Op.TEST_SUFFIX_CI, Op.TEST_CONTAINS_CI}
    many = few + " or f=/^setup/i or f=/^installer\\.exe$/i or f=/run/i"
    query = many + " g=/\\\\took1\\.exe$/i"
    ops = [op for op, _ in string_tests(query)]
    assert ops.count(Op.TEST_REGEX) == 1 and ops[-1] == Op.TEST_SUFFIX_CI  # (g's)
    assert Op.TEST_CONTAINS_CI in ops
    assert Op.TEST_PREFIX_CI not in ops and Op.TEST_EQ_CI not in ops
    values = [
        "C:\\x\\TOOK3.EXE",
        "C:\\x\\took3.exe.bak",
        "Setup.exe",
        "INSTALLER.EXE",
        "installer.exe.old",
        "xtook3.exe",
        f"C:\\x\\TOO{KELVIN}3.exe",  # (?i) folds the Kelvin sign onto k
        "C:\\x\\took3.exe running",
    ]
    events = [{"f": v, "g": "c:\\took1.exe"} for v in values] + [{"f": values[0]}]
    assert _agree(query, events) == [0, 2, 3, 6, 7]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(literals.filter(bool), min_size=1, max_size=6),
    st.lists(st.sampled_from(["a", "k", "S", "ß", KELVIN, LONG_S, "\n", "é", " "]), max_size=12),
)
def test_substrings_ored_on_one_value(parts: list[str], noise: list[str]) -> None:
    """Several tests read the one folded copy of a value."""
    query = " or ".join(f"f=/{escape(p)}/i" for p in parts)
    values = ["".join(noise)]
    for i, part in enumerate(parts):
        spelled = "".join(_variant(c, i + j) for j, c in enumerate(part))
        values.append("".join(noise[: i + 1]) + spelled + "".join(noise[i + 1 :]))
    _agree(query, [{"f": v} for v in values])

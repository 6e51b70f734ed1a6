"""Tests for the LogScale regex dialect layer (cqlmatch.lang.regex)."""

from __future__ import annotations

import re
import string
from concurrent.futures import ThreadPoolExecutor

import pytest
import re2
from hypothesis import given, settings, strategies as st

from cqlmatch.lang.regex import (
    CASE_FOLDED_INTO_ASCII,
    CompiledRegex,
    RegexError,
    _compile_re2,
    compile_regex,
    needs_non_ascii,
    pattern_gate,
    required_literals,
    set_gate,
    translate,
)

# --- translation rules -------------------------------------------------------------------

TRANSLATIONS = [
    # plain text and flags
    ("abc", "", "abc"),
    (r"msiexec\.exe", "i", r"(?i)msiexec\.exe"),
    ("a.b", "m", "(?m)a.b"),
    ("a.b", "d", "(?s)a.b"),
    ("x", "dmi", "(?ims)x"),
    ("x", "gF", "x"),
    ("x", "ii", "(?i)x"),
    # slashes and backslashes
    (r"https?:\/\/", "", "https?://"),
    (r"a\\b", "", r"a\\b"),
    (r"\\\/", "", r"\\/"),
    ("a/b", "", "a/b"),
    # groups
    (r"(?<user>\w+)", "", r"(?P<g1>\w+)"),
    (
        r"(?<@timestamp>\S+) (?<network.direction>in|out)",
        "",
        r"(?P<g1>[^\t-\r ]+) (?P<g2>in|out)",
    ),
    (r"(?P<x>a)(?<y>b)", "", "(?P<g1>a)(?P<g2>b)"),
    ("(a|b)c", "", "(?:a|b)c"),
    ("(?:a)", "", "(?:a)"),
    ("()", "", "(?:)"),
    # inline flags pass through
    ("(?i)abc", "", "(?i)abc"),
    ("(?i:a)b", "", "(?i:a)b"),
    ("(?-i)a", "i", "(?i)(?-i)a"),
    ("(?sm-i:a)", "", "(?sm-i:a)"),
    # one-character escapes
    (r"\u00e9", "", "é"),
    (r"\u0041\u002e", "", r"A\."),
    (r"\uD83D\uDE00", "", "😀"),
    (r"\x41\x{263A}\x{1F600}\x2a", "", r"A☺😀\*"),
    (r"\0101", "", "A"),
    (r"\012", "", r"\x0a"),
    (r"\0377", "", "ÿ"),
    (r"\0400", "", " 0"),  # \0mnn needs m <= 3: this is \040 then '0'
    (r"\cM\cj\c?\c@", "", r"\x0d\x0a\x7f\x00"),
    (r"\e", "", r"\x1b"),
    (r"\t\n\r\f\a", "", r"\x09\x0a\x0d\x0c\x07"),
    (r"\Qa.b*\E+", "", r"a\.b\*+"),
    (r"\Qa.b", "", r"a\.b"),
    (r"\é\-\#", "", r"é-#"),
    # assertions
    (r"a\Z", "", r"a(?:\n?\z)"),
    (r"\Aa\z", "", r"\Aa\z"),
    (r"\bx\B", "", r"\bx\B"),
    ("^a$", "", "^a$"),
    # character classes
    ("[]a]", "", r"[\]a]"),
    ("[^]a]", "", r"[^\]a]"),
    ("[a-]", "", r"[a\-]"),
    ("[-a]", "", r"[\-a]"),
    (r"[a\]b]", "", r"[a\]b]"),
    (r"[\\]", "", r"[\\]"),
    ("[a^]", "", r"[a\^]"),
    ("[[:alpha:]]", "", "[[:alpha:]]"),
    ("[^[:^digit:]x]", "", "[^[:^digit:]x]"),
    (r"[\d\s\S\w]", "", r"[\d\t-\r\x20[:^space:]\w]"),
    (r"[\d-z]", "", r"[\d\-z]"),
    (r"[\b]", "", r"[\x08]"),
    (r"[\/]", "", "[/]"),
    (r"[\x41-\x{5A}]", "", "[A-Z]"),
    (r"[\Q]^\E]", "", r"[\]\^]"),
    ("[ é]", "", r"[\x20é]"),
    (r"[\p{Greek}\d]", "", r"[\p{Greek}\d]"),
    # quantifiers
    ("a{2}b{1,}c{1,3}?d*?", "", "a{2}b{1,}c{1,3}?d*?"),
    ("x{,3}", "", r"x\{,3\}"),
    ("{a}", "", r"\{a\}"),
    # predefined and Unicode classes
    (r"\d\D\w\W\s\S", "", r"\d\D\w\W[\t-\r ][^\t-\r ]"),
    (r"\p{Greek}\pL\P{Lu}\p{^Lu}", "", r"\p{Greek}\pL\P{Lu}\p{^Lu}"),
    # text that is not ASCII is kept as it is
    ("é日😀", "", "é日😀"),
    ("a b\tc", "", r"a b\x09c"),
]


@pytest.mark.parametrize(("pattern", "flags", "expected"), TRANSLATIONS)
def test_translation(pattern: str, flags: str, expected: str) -> None:
    t = translate(pattern, flags)
    assert t.re2_pattern == expected
    assert t.pattern == pattern and t.flags == flags
    compile_regex(pattern, flags)  # RE2 (through pyre2) accepts every translation


# --- rejected constructs -----------------------------------------------------------------

ERRORS = [
    (r"(a)\1", r"back-reference \1", 3, 2),
    (r"x\9", r"back-reference \9", 1, 2),
    (r"\k<name>", r"named back-reference \k<name>", 0, 8),
    (r"(?P=n)", "named back-reference (?P=", 0, 4),
    (r"(?<=a)b", "look-behind (?<=", 0, 4),
    (r"(?<!a)b", "negative look-behind (?<!", 0, 4),
    (r"\Gx", r"\G", 0, 2),
    (r"a\R", r"\R", 1, 2),
    (r"\X", r"\X", 0, 2),
    (r"\h", r"\h", 0, 2),
    (r"\H", r"\H", 0, 2),
    (r"a\v", r"\v", 1, 2),
    (r"\V", r"\V", 0, 2),
    (r"[\h]", r"\h", 1, 2),
    (r"\C", r"\C", 0, 2),
    (r"\K", r"\K", 0, 2),
    (r"\N{LATIN SMALL LETTER A}", r"\N{", 0, 3),
    (r"\N", r"\N", 0, 2),
    (r"\u{1F600}", r"\u{", 0, 3),
    (r"\b{wb}", r"\b{", 0, 3),
    (r"[a-d[m-p]]", "union", 4, 1),
    (r"[a-z&&[def]]", "intersection &&", 4, 2),
    (r"(?(1)a|b)", "conditional (?(", 0, 3),
    (r"(?R)", "recursion", 0, 4),
    (r"a(?1)", "recursion", 1, 4),
    (r"(?&name)", "recursion", 0, 8),
    (r"(?P>name)", "subroutine call (?P>", 0, 4),
    (r"(?#comment)", "comment group (?#", 0, 3),
    (r"(?|a|b)", "branch reset", 0, 3),
    (r"(?'n'a)", "(?'name'", 0, 3),
    ("(?", "unknown group construct", 0, 2),
    ("(?%)", "unknown group construct (?%", 0, 3),
    (r"(?x)a", "inline flag 'x'", 2, 1),
    (r"(?iU)a", "inline flag 'U'", 3, 1),
    (r"(?-)a", "sets no flag", 0, 4),
    (r"(?i-)a", "no flag after '-'", 0, 5),
    (r"*a", "quantifier * has nothing to repeat", 0, 1),
    (r"a|+", "quantifier + has nothing to repeat", 2, 1),
    (r"(?i)?", "quantifier ? has nothing to repeat", 4, 1),
    (r"{2}", "quantifier {2} has nothing to repeat", 0, 3),
    (r"a**", "follows another quantifier", 2, 1),
    (r"a*?+", "follows another quantifier", 3, 1),
    (r"a++*", "follows another quantifier", 3, 1),
    # a pattern that needs backtracking is run by Python's re, which cannot spell these
    (r"a(?i)b(?=c)", "inline flag group (?i) inside the pattern", 6, 3),
    (r"\pL+(?!x)", "Unicode class", 4, 3),
    (r"[[:^alpha:]]++", "negated POSIX class", 12, 2),
    (r"a{2}{3}", "follows another quantifier", 4, 3),
    (r"a{1001}", "exceeds RE2's limit of 1000", 1, 6),
    (r"a{1,99999999999}", "exceeds RE2's limit", 1, 15),
    (r"a{3,2}", "maximum below its minimum", 1, 5),
    (r"x(ab", "missing ')'", 1, 1),
    (r"ab)c", "unmatched ')'", 2, 1),
    (r"[abc", "unterminated character class", 0, 1),
    (r"a[]", "unterminated character class", 1, 1),
    (r"[z-a]", "out of order", 1, 3),
    (r"[a-\d]", "cannot end with the class", 3, 2),
    (r"[a-[]", "cannot end with a class", 3, 1),
    (r"[\Q\E]", "empty character class", 0, 6),
    ("ab\\", "trailing backslash", 2, 1),
    (r"\q", r"unknown escape \q", 0, 2),
    (r"[\q]", r"unknown escape \q", 1, 2),
    (r"\E", r"\E without a preceding \Q", 0, 2),
    (r"\x4", r"\x needs two hexadecimal digits", 0, 2),
    (r"\x{}", r"\x{...} needs hexadecimal digits", 0, 3),
    (r"\x{110000}", "above U+10FFFF", 0, 10),
    (r"\uD800", "lone surrogate U+D800", 0, 6),
    (r"\x{DC00}", "lone surrogate U+DC00", 0, 8),
    (r"\u12", r"\u needs four hexadecimal digits", 0, 2),
    (r"\0", r"\0 must be followed", 0, 2),
    (r"\c1", r"\c must be followed", 0, 3),
    (r"\p{Lower}", r"\p{Lower} is not known to RE2", 0, 9),
    (r"\p{IsLatin}", r"\p{IsLatin} is not known to RE2", 0, 11),
    (r"\p", r"malformed Unicode class \p", 0, 2),
    (r"[[:foo:]]", "unknown POSIX class [:foo:]", 1, 7),
    (r"(?<>a)", "empty name", 0, 4),
    (r"(?<a", "missing the '>'", 0, 3),
    ("(?<a\nb>x)", "in its name", 0, 7),
    (r"[\1]", "ambiguous", 1, 2),
    (r"[\A]", r"anchor \A", 1, 2),
    (r"[\k]", r"\k cannot appear", 1, 2),
    ("a\ud800", "lone surrogate U+D800", 1, 1),
    ("(" * 101 + ")" * 101, "nest deeper than 100", 100, 1),
]


@pytest.mark.parametrize(("pattern", "fragment", "offset", "length"), ERRORS)
def test_rejected_construct(pattern: str, fragment: str, offset: int, length: int) -> None:
    with pytest.raises(RegexError) as info:
        translate(pattern)
    err = info.value
    assert fragment in err.message
    assert (err.offset, err.length) == (offset, length), err.message
    assert err.pattern == pattern and not err.in_flags
    assert isinstance(err, ValueError)
    assert fragment in str(err) and f"offset {offset}" in str(err)
    with pytest.raises(RegexError):
        compile_regex(pattern)


def test_offsets_count_escaped_slashes_as_written() -> None:
    with pytest.raises(RegexError) as info:
        translate(r"a\/\/(?<=x)")
    assert (info.value.offset, info.value.length) == (5, 4)


def test_unknown_flag_is_an_error_in_the_flags() -> None:
    with pytest.raises(RegexError) as info:
        translate("abc", "igx")
    err = info.value
    assert err.in_flags and (err.offset, err.length) == (2, 1)
    assert "'x'" in err.message
    for flags in ("s", "I", "G", "f", " "):
        with pytest.raises(RegexError):
            compile_regex("a", flags)


def test_re2_rejections_surface_with_re2s_message() -> None:
    # Nested counted repetition is over RE2's limit although each count is not.
    translate("(a{1000}){1000}")
    with pytest.raises(RegexError) as info:
        compile_regex("(a{1000}){1000}")
    err = info.value
    assert err.message.startswith("RE2 rejected the pattern:")
    assert "repetition" in err.message
    assert (err.offset, err.length) == (0, len("(a{1000}){1000}"))


def test_non_str_arguments_are_type_errors() -> None:
    with pytest.raises(TypeError):
        translate(b"abc")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        compile_regex("abc", None)  # type: ignore[arg-type]


# --- flags and matching semantics --------------------------------------------------------


def matches(pattern: str, text: str, flags: str = "") -> bool:
    return compile_regex(pattern, flags).search(text)


def test_flags_and_their_effect() -> None:
    t = translate("a", "igmdF")
    assert t.repeat and t.case_insensitive and t.multiline and t.dot_all
    assert not translate("a", "F").repeat
    assert matches("ABC", "xabcx", "i") and not matches("ABC", "xabcx")
    assert matches("^b$", "a\nb\nc", "m") and not matches("^b$", "a\nb\nc")
    assert matches("a.b", "a\nb", "d") and not matches("a.b", "a\nb")
    assert matches("^a.b$", "x\na\nb", "md")
    assert matches("(?s)a.b", "a\nb") and matches("(?m)^b", "a\nb")


def test_searches_are_unanchored() -> None:
    assert matches("login", "/auth/login?x=1")
    assert not matches("^login", "/auth/login")
    assert matches(r"\Alog", "login") and not matches(r"in\z", "login\n")


def test_inline_case_flags_follow_re2_scoping() -> None:
    assert matches("(?i)abc", "ABC")
    assert matches("(?i:a)b", "Ab") and not matches("(?i:a)b", "AB")
    assert not matches("(?-i)a", "A", "i")
    # An inline (?i) holds to the end of its group, later alternatives included.
    assert matches("x(?i)y|z", "Z")
    assert not matches("(?:x(?i)y)z", "xYZ")
    assert translate("(?i)a|b").case_insensitive
    assert not translate("a|(?i)b").case_insensitive
    assert not translate("(?i)(?-i)a").case_insensitive


def test_end_of_input_before_final_newline() -> None:
    assert matches(r"a\Z", "a") and matches(r"a\Z", "xa\n")
    assert not matches(r"a\Z", "a\n\n") and not matches(r"a\Z", "ab")
    assert compile_regex(r"(?<v>\w+)\Z").extract("key value\n") == {"v": "value"}
    # '$' keeps RE2's meaning: end of text (or of a line with m).
    assert not matches("a$", "a\n") and matches("a$", "a\n", "m")


def test_predefined_classes() -> None:
    assert matches(r"^\s$", "\x0b")  # Java's \s includes the vertical tab
    assert matches(r"^[\s]$", "\x0b") and not matches(r"^[\S]$", "\x0b")
    assert not matches(r"^\S$", "\x0b") and matches(r"^\S$", "é")
    # ASCII \d and \w: pyre2 would widen them to Unicode without re.ASCII.
    assert not matches(r"\d", "٣") and not matches(r"[\d]", "٣")
    assert not matches(r"\w", "é") and matches(r"\W", "é")
    assert matches(r"\bcmd\b", "run cmd.exe") and not matches(r"\bcmd\b", "xcmdx")
    assert matches("^[[:alpha:]]+$", "abcXYZ") and not matches("[[:alpha:]]", "123")
    assert matches(r"^\p{Greek}+$", "αβγ") and not matches(r"\p{Greek}", "abc")


def test_character_escapes_match_their_characters() -> None:
    assert matches(r"^\x{1F600}$", "😀") and matches(r"^\uD83D\uDE00$", "😀")
    assert matches(r"^\u00e9$", "é") and matches(r"^\0101\x42$", "AB")
    assert matches(r"^\cM\cJ$", "\r\n") and matches(r"^\e$", "\x1b")
    assert matches(r"^[\b]$", "\b") and matches(r"^\Qa.b\E$", "a.b")
    assert not matches(r"^\Qa.b\E$", "axb")
    assert matches(r"^[\x00-\x{10FFFF}]$", "\U0010ffff")


def test_escaped_slashes() -> None:
    c = compile_regex(r"https?:\/\/(?<host>[^\/:]+)")
    assert c.extract("get http://example.org:80/x") == {"host": "example.org"}
    assert translate(r"\/").literal == "/"
    assert matches(r"a\\\/b", "a\\/b")


def test_non_ascii_text() -> None:
    assert matches("^.$", "é") and matches("^.$", "日") and matches("^.$", "😀")
    assert matches("^...$", "é日😀") and not matches("^..$", "😀")
    assert matches("(?i)É", "café") and matches("CAFÉ", "café", "i")
    assert matches("(?i)日本", "東京 日本") and matches("日本", "日本語")
    # Simple case folding: KELVIN SIGN and LONG S fold to k and s; ß is not SS.
    assert matches("(?i)k", "\u212a") and matches("(?i)s", "\u017f")
    assert matches("(?i)ß", "ẞ") and not matches("(?i)straße", "STRASSE")
    c = compile_regex(r"(?<word>[^\s]+)", "g")
    assert c.extract_all("é日 😀x") == [{"word": "é日"}, {"word": "😀x"}]


def test_catastrophic_backtracking_pattern_runs_linearly() -> None:
    text = "a" * 200_000 + "b"
    assert not compile_regex("(a+)+$").search(text)
    assert compile_regex("(?<x>(a|aa)+)c").extract(text) is None
    assert compile_regex("(a|a)*b").search(text)


# --- named groups and extraction ----------------------------------------------------------


def test_group_renaming_and_extraction() -> None:
    c = compile_regex(
        r"(?<@timestamp>\S+) (?<source.ip>\d+(?:\.\d+){3}) (?<network.direction>in|out)"
    )
    t = c.translated
    assert t.group_fields == ("@timestamp", "source.ip", "network.direction")
    assert t.group_names == ("g1", "g2", "g3")
    assert t.group_indexes == (1, 2, 3)
    assert c.extract("2024-05-01T10:00:00Z 10.1.2.3 out") == {
        "@timestamp": "2024-05-01T10:00:00Z",
        "source.ip": "10.1.2.3",
        "network.direction": "out",
    }
    assert c.extract("no match here") is None


def test_unnamed_groups_are_not_fields() -> None:
    c = compile_regex(r"(a)(?<x>b)(c)")
    assert c.translated.group_fields == ("x",)
    assert c.extract("abc") == {"x": "b"}
    assert compile_regex("(a)b").extract("ab") == {}


def test_group_that_did_not_participate_is_absent() -> None:
    c = compile_regex(r"(?<a>x)|(?<b>y)|(?<c>z?)")
    assert c.extract("y") == {"b": "y"}
    assert c.extract("q") == {"c": ""}  # participated with an empty value


def test_repeated_field_name_takes_the_first_participating_group() -> None:
    c = compile_regex(r"(?<ip>\d+\.\d+\.\d+\.\d+)|(?<ip>[0-9a-f]*:[0-9a-f:]+)")
    assert c.translated.group_fields == ("ip", "ip")
    assert c.extract("from fe80::1") == {"ip": "fe80::1"}
    assert c.extract("from 10.0.0.1") == {"ip": "10.0.0.1"}
    assert compile_regex("(?<x>a)(?<x>b)").extract("ab") == {"x": "a"}


def test_extract_all_for_the_g_flag() -> None:
    c = compile_regex(r"(?<orgname>\w+):", "g")
    assert c.translated.repeat
    assert c.extract_all("acme: foo: bar") == [{"orgname": "acme"}, {"orgname": "foo"}]
    assert c.extract_all("nothing") == []
    assert compile_regex("a").extract_all("banana") == [{}, {}, {}]


def test_extract_all_steps_over_empty_matches_by_character() -> None:
    # pyre2's own finditer steps one byte and repeats spans on non-ASCII text.
    c = compile_regex("(?<x>a*)")
    expected = [m.group("x") for m in re.finditer("(?P<x>a*)", "é日a")]
    assert [d["x"] for d in c.extract_all("é日a")] == expected == ["", "", "a", ""]
    assert [d["x"] for d in compile_regex("(?<x>a*)").extract_all("aab")] == ["aa", "", ""]


def test_text_with_lone_surrogates() -> None:
    c = compile_regex("(?<x>b+)")
    assert c.search("a\ud800bb") and c.extract("a\ud800bb") == {"x": "bb"}
    assert c.extract_all("\udc00b\ud800bb") == [{"x": "b"}, {"x": "bb"}]
    assert compile_regex("^.b$").search("\ud800b")  # the surrogate became U+FFFD


# --- literal detection --------------------------------------------------------------------

LITERALS = [
    (r"msiexec\.exe", "", "msiexec.exe", False),
    (r"msiexec\.exe", "i", "msiexec.exe", True),
    ("(?i)installer", "", "installer", True),
    ("(?-i)abc", "i", "abc", False),
    (r"a\/b", "", "a/b", False),
    (r"\Qa.b\E\x41\u00e9", "", "a.bAé", False),
    ("{x}", "m", "{x}", False),
    ("", "", "", False),
    ("(?i)", "", "", True),
]


@pytest.mark.parametrize(("pattern", "flags", "literal", "ci"), LITERALS)
def test_literal_patterns(pattern: str, flags: str, literal: str, ci: bool) -> None:
    t = translate(pattern, flags)
    assert t.literal == literal and t.case_insensitive is ci
    c = compile_regex(pattern, flags)
    for text in ("", literal, "x" + literal.upper() + "y", "MSIEXEC.EXE", "a.bAé"):
        expected = (literal.lower() in text.lower()) if ci else (literal in text)
        assert c.search(text) is expected


@pytest.mark.parametrize(
    "pattern", ["(?i)(a|b)", "a.b", "(?<x>a)", "(a)", "^a", "a|b", "a(?i)b", "a{2}", r"\d", "[a]"]
)
def test_not_literal(pattern: str) -> None:
    assert translate(pattern).literal is None


# --- required literals --------------------------------------------------------------------


def test_required_literal_examples() -> None:
    r = required_literals(r"https?:\/\/")
    assert r is not None and r.literals == ("http://", "https://") and not r.ascii_case_insensitive
    r = required_literals(r"(?i)(msiexec\.exe|installer)")
    assert r is not None and r.ascii_case_insensitive
    assert r.literals == ("installer", "msiexec.exe")
    r = required_literals(r"^(10\.|172\.(1[6-9]|2[0-9]|3[01])\.|192\.168\.)")
    assert r is not None and r.literals == ("10.", "172.", "192.168.")
    r = required_literals(r"foo\d+barbaz")
    assert r is not None and r.literals == ("barbaz",)
    r = required_literals("(?i:ab)CD")
    assert r is not None and r.literals == ("abcd",) and r.ascii_case_insensitive
    r = required_literals("abc?")
    assert r is not None and set(r.literals) == {"ab", "abc"}
    r = required_literals("(?i)sk")  # k and s also match a non-ASCII character each
    assert r is not None and r.literals == ("sk",) and r.matches("\u017f\u212a")
    for pattern in (".*", "a|.", r"\d+", "a*", "(?i)é", "", "[^a]", "x?"):
        assert required_literals(pattern) is None, pattern


def test_required_literals_matches_folds_ascii_only() -> None:
    r = required_literals("(?i)Powershell")
    assert r is not None and r.literals == ("powershell",)
    assert r.matches("C:\\POWERSHELL.EXE") and r.matches("PoWer\u017fhell")
    assert not r.matches("PoWeR") and not r.matches("pwsh")
    r = required_literals("É")
    assert r is not None and r.matches("café É") and not r.matches("é")


def all_code_points() -> str:
    return "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)


def test_ascii_case_folding_assumption_holds_in_re2() -> None:
    """The prefilter's ASCII case-insensitive comparison is exact only if RE2
    folds no non-ASCII character onto an ASCII letter but k and s."""
    everything = all_code_points()
    letters = set(re2._compile("(?i)[a-zA-Z]", re2.ASCII).findall(everything))
    assert letters == set(string.ascii_letters) | set(CASE_FOLDED_INTO_ASCII)
    for other, letter in CASE_FOLDED_INTO_ASCII.items():
        found = set(re2._compile("(?i)" + letter, re2.ASCII).findall(everything))
        assert found == {letter, letter.upper(), other}
    others = "".join(c for c in string.printable if not c.isalpha())
    found = set(re2._compile("(?i)[" + re.escape(others) + "]", re2.ASCII).findall(everything))
    assert found == set(others)


# --- constructs only a backtracking engine runs -------------------------------------------
# LogScale runs look-ahead (the JitRex engine has it; engine v2 aims at PCRE and Java), atomic
# groups and possessive quantifiers; RE2 does not, so these run on Python's re (3.11 has all
# three), compiled from the same tree with RE2's meaning kept where re spells it differently.

BACKTRACKING = [
    # (pattern, flags, construct, Python text, matching texts, texts that do not match)
    (r"x(?=y)", "", "look-ahead (?=...)", r"x(?=y)", ["xy", "axyz"], ["xz", "x"]),
    (r"x(?!y)", "", "negative look-ahead (?!...)", r"x(?!y)", ["xz", "x"], ["xy"]),
    (r"(?>ab|a)b", "", "atomic group (?>...)", r"(?>ab|a)b", ["abb"], ["ab"]),
    (r"a++a", "", "possessive quantifier ++", r"a++a", [], ["aaa", "a"]),
    (r"\d{1,2}+\.", "", "possessive quantifier {1,2}+", r"\d{1,2}+\.", ["12.", "7."], ["123"]),
    (r"a?+b", "", "possessive quantifier ?+", r"a?+b", ["ab", "b"], ["a"]),
    # RE2's $ is the end of the text, re's also before a final newline: respelled \Z
    (r"a(?!b)$", "", "negative look-ahead (?!...)", r"a(?!b)\Z", ["xa"], ["a\n"]),
    (r"a(?!b)$", "m", "negative look-ahead (?!...)", r"(?m)a(?!b)$", ["a\n", "xa"], ["ab"]),
    (r"a(?=b)\z", "", "look-ahead (?=...)", r"a(?=b)\Z", [], ["ab"]),
    (r"a(?!b)\Z", "", "negative look-ahead (?!...)", r"a(?!b)(?:\n?\Z)", ["a", "a\n"], ["a\n\n"]),
    # flags, leading inline flags (RE2 applies them to the whole pattern), scoped flags
    (r"win(?=dows)", "i", "look-ahead (?=...)", r"(?i)win(?=dows)", ["WINDOWS"], ["Winx"]),
    (r"(?i)a(?=B)", "", "look-ahead (?=...)", r"(?i)a(?=B)", ["Ab", "aB"], ["ac"]),
    (r"(?i)x|y(?=z)", "", "look-ahead (?=...)", r"(?i)x|y(?=z)", ["X", "YZ"], ["y"]),
    (r"(?i)(?-i)a(?=b)", "i", "look-ahead (?=...)", r"a(?=b)", ["ab"], ["Ab"]),
    (r"(?i:a)(?=b)", "", "look-ahead (?=...)", r"(?i:a)(?=b)", ["Ab"], ["AB"]),
    (r"(?m:a$)(?!x)", "", "negative look-ahead (?!...)", r"(?m:a$)(?!x)", ["a\nb"], ["ax"]),
    # classes: POSIX names become ASCII ranges, \S inside a class stays RE2's
    (r"[[:digit:]]+(?=x)", "", "look-ahead (?=...)", r"[0-9]+(?=x)", ["12x"], ["ax"]),
    (r"[\S]+(?=\s)", "", "look-ahead (?=...)", r"[\S]+(?=[\t-\r ])", ["a\x0bb"], ["ab"]),
    (r"\w(?=é)", "", "look-ahead (?=...)", r"\w(?=é)", ["aé"], ["éé"]),
    # named groups are renamed as for RE2
    (r"(?<user>[^@]+)(?=@)", "", "look-ahead (?=...)", r"(?P<g1>[^@]+)(?=@)", ["bob@x"], ["bob"]),
]


@pytest.mark.parametrize(
    ("pattern", "flags", "construct", "python", "matching", "other"), BACKTRACKING
)
def test_backtracking_constructs_run_on_python_re(
    pattern: str, flags: str, construct: str, python: str, matching: list[str], other: list[str]
) -> None:
    t = translate(pattern, flags)
    assert t.backtracking == construct
    assert t.python_pattern == python
    compiled = compile_regex(pattern, flags)
    for text in matching:
        assert compiled.search(text), text
    for text in other:
        assert not compiled.search(text), text


def test_backtracking_extraction_and_repeat() -> None:
    c = compile_regex(r"^(?<name>[^@+]+)(?=\+|@|$)", "m")
    assert c.extract("bob+tag@corp.com") == {"name": "bob"}
    assert c.extract("alice") == {"name": "alice"}
    assert c.extract("+x") is None
    every = compile_regex(r"(?<pair>..)(?!$)", "g")
    assert every.extract_all("aabbcc") == [{"pair": "aa"}, {"pair": "bb"}]
    assert every.extract_all("aabbcc", most=1) == [{"pair": "aa"}]


def test_patterns_re2_runs_never_take_the_backtracking_engine() -> None:
    for pattern, flags, _ in TRANSLATIONS:
        t = translate(pattern, flags)
        assert t.backtracking is None and t.python_pattern is None
        assert type(compile_regex(pattern, flags)._re) is re2.Pattern


def test_required_literals_see_through_look_ahead() -> None:
    # the text inside a look-ahead is not part of the match: only what is consumed counts
    assert required_literals(r"abc(?=xyz)").literals == ("abc",)
    assert required_literals(r"(?=xyz)abc").literals == ("abc",)
    assert required_literals(r"a(?!bcd)").literals == ("a",)
    assert required_literals(r"(?=.*secret)") is None  # only the empty match is certain
    assert required_literals(r"(?>foo|bar)\d++").literals == ("bar", "foo")


@settings(max_examples=150, deadline=None)
@given(
    st.deferred(lambda: simple_patterns()),
    st.booleans(),
    st.lists(st.text(alphabet="abkAKé. 1_\t\n", max_size=8), min_size=1, max_size=4),
)
def test_backtracking_engine_agrees_with_re2_on_the_dialect(
    pattern: str, ignore_case: bool, texts: list[str]
) -> None:
    # a look-ahead that always holds makes the same pattern run on Python's re
    flags = "i" if ignore_case else ""
    plain = compile_regex(pattern, flags)
    wrapped = compile_regex(f"(?!\uffff)(?:{pattern})", flags)
    assert wrapped.translated.backtracking is not None
    for text in texts:
        assert wrapped.search(text) is plain.search(text), (pattern, text)


# --- generated patterns: differential checks against Python's re ------------------------

ATOMS = [
    "a",
    "b",
    "k",
    "é",
    r"\.",
    ".",
    "[ab]",
    "[^a]",
    "[a-c]",
    r"\d",
    r"\w",
    r"\s",
    r"\W",
    "(?:a|b)",
]
ZERO_WIDTH = ["^", "$", r"\b"]
QUANTIFIERS = ["", "", "*", "+", "?", "{1,2}", "*?", "{2}"]


@st.composite
def simple_patterns(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if depth < 2 and draw(st.integers(0, 4)) == 0:
            atom = "(" + draw(simple_patterns(depth + 1)) + ")"
        else:
            atom = draw(st.sampled_from(ATOMS))
        parts.append(atom + draw(st.sampled_from(QUANTIFIERS)))
        if draw(st.integers(0, 5)) == 0:
            parts.append(draw(st.sampled_from(ZERO_WIDTH)))
    text = "".join(parts)
    if draw(st.integers(0, 3)) == 0:
        text += "|" + draw(simple_patterns(depth + 1)) if depth < 2 else ""
    return text


@settings(max_examples=150, deadline=None)
@given(
    simple_patterns(),
    st.booleans(),
    st.lists(st.text(alphabet="abkAKé. 1_\t", max_size=8), min_size=1, max_size=4),
)
def test_matches_like_python_re_on_a_common_subset(
    pattern: str, ignore_case: bool, texts: list[str]
) -> None:
    c = compile_regex(pattern, "i" if ignore_case else "")
    flags = re.ASCII | (re.IGNORECASE if ignore_case else 0)
    py = re.compile(pattern, flags)
    for text in texts:
        assert c.search(text) is (py.search(text) is not None), (pattern, text)


@st.composite
def flagged_patterns(draw: st.DrawFn) -> str:
    """A ``simple_patterns`` pattern as it is, after ``(?i)``, or in a ``(?i:`` group."""
    prefix = draw(st.sampled_from(["", "(?i)", "(?i:"]))
    return prefix + draw(simple_patterns()) + (")" if prefix == "(?i:" else "")


@settings(max_examples=150, deadline=None)
@given(
    flagged_patterns(),
    st.lists(st.text(alphabet="abkKsS\u017f\u212a. 1é", max_size=8), min_size=1, max_size=6),
)
def test_required_literals_never_reject_a_match(pattern: str, texts: list[str]) -> None:
    c = compile_regex(pattern)
    required = required_literals(pattern)
    if required is None:
        return
    assert all(required.literals)
    for text in [*texts, *required.literals]:
        if c.search(text):
            assert required.matches(text), (pattern, text, required)


NEEDS_NON_ASCII = [
    # (pattern, whether every match holds a character that is not ASCII)
    ("(?:(?i)\u02e3)|(?:(?i)\u02ea)", True),  # a Sigma rule's look-alike characters
    ("(?i) \u2013s", True),
    ("(?i)contrase\u00f1a", True),
    ("\u00e9|\u00fc", True),
    ("[\u00e9\u00fc]", True),
    ("x.\u00e9+", True),
    ("(?i)\u212a", False),  # the Kelvin sign folds onto k
    ("(?i)\u017fx", False),  # the long s onto s
    ("(?i)[\u00e9\u212a]", False),
    ("\u00e9?", False),
    ("\u00e9*", False),
    ("a|\u00e9", False),
    ("(?=\u00e9)", False),  # zero-width: the match holds none of it
    ("[\u00e9-\u00fc]", False),  # a range: not read
    (r"\x{e9}", False),  # ASCII text: not looked into
    ("\u00e9(", False),  # not a regex
]


@pytest.mark.parametrize(("pattern", "expected"), NEEDS_NON_ASCII)
def test_needs_non_ascii_examples(pattern: str, expected: bool) -> None:
    assert needs_non_ascii(pattern) is expected


@settings(max_examples=300, deadline=None)
@given(
    flagged_patterns(),
    st.lists(st.text(alphabet="abkKsS. 1\t", max_size=10), min_size=1, max_size=6),
)
def test_a_pattern_that_needs_non_ascii_never_matches_ascii_text(
    pattern: str, texts: list[str]
) -> None:
    if not needs_non_ascii(pattern):
        return
    c = compile_regex(pattern)
    for text in texts:
        assert not c.search(text), (pattern, text)
    # the VM's regex sets hold the translated text: it reads the same
    translated = translate(pattern)
    if translated.backtracking is None:
        assert needs_non_ascii(translated.re2_pattern), (pattern, translated.re2_pattern)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(flagged_patterns(), min_size=1, max_size=3),
    st.lists(st.text(alphabet="abkKsSxX. 1\t", max_size=10), min_size=1, max_size=6),
)
def test_a_set_gate_never_skips_a_match(patterns: list[str], texts: list[str]) -> None:
    """An ASCII text holding none of the literals a set's gate names for
    any of its patterns matches none of them (each pattern's literals
    compared as its gate says: as written, or ignoring ASCII case).  The
    gate reads the translated text, as the VM's sets hold it."""
    translated = [translate(p) for p in patterns]
    if any(t.backtracking is not None for t in translated):
        return
    gate = set_gate(pattern_gate(t.re2_pattern) for t in translated)
    if gate is None:
        return
    assert len(gate) == len(patterns)
    literals = [x.decode() for _, found in gate for x in found]
    for text in [*texts, *literals, *(x.upper() for x in literals)]:
        held = any(
            any((x in text.lower().encode()) if caseless else (x in text.encode()) for x in found)
            for caseless, found in gate
        )
        if not held:
            assert not any(compile_regex(p).search(text) for p in patterns), (patterns, text)


SET_GATES = [
    # (the set's patterns, what its gate is)
    (
        ["(?i)powershell", "abc(?:def|xyz)"],
        ((True, (b"powershell",)), (False, (b"abcdef", b"abcxyz"))),
    ),
    (["(?i)contrase\u00f1a"], ((True, (b"contrase",)),)),
    (["(?:(?i)\u02e3)"], None),  # no literal the analysis names
    (["x+", "[0-9]{3}"], None),  # the second needs no literal
    ([f"w{i:03d}" for i in range(25)], None),  # too many literals to look for
]


@pytest.mark.parametrize(("patterns", "gate"), SET_GATES)
def test_set_gate_examples(patterns: list[str], gate: object) -> None:
    assert set_gate(pattern_gate(p) for p in patterns) == gate


def test_extraction_agrees_with_python_re() -> None:
    cases = [
        (r"(?<k>\w+)=(?<v>[^ ]*)", "a=1 b= c=3"),
        (r"(?<a>x)?(?<b>y+)", "zyyx"),
        (r"(?<first>a|ab)(?<rest>c|bcd)", "abcd"),
        (r"(?<d>\d{2,3}?)", "12345"),
    ]
    for pattern, text in cases:
        py = re.compile(pattern.replace("(?<", "(?P<"), re.ASCII)
        expected = [
            {k: v for k, v in m.groupdict().items() if v is not None} for m in py.finditer(text)
        ]
        c = compile_regex(pattern)
        assert c.extract_all(text) == expected
        assert c.extract(text) == expected[0]


# --- pyre2: no fallback, max_mem, caching, threads ---------------------------------------


def test_pyre2_fallback_to_python_re_is_off() -> None:
    # A look-behind handed straight to the compile path must fail, not run in re.
    with pytest.raises(RegexError) as info:
        _compile_re2("(?<=a)b", 1 << 20, "(?<=a)b")
    assert "RE2 rejected" in info.value.message
    with pytest.raises(re2.error):
        re2._compile(r"(a)\1", re2.ASCII)


def test_compile_refuses_a_fallback_even_if_someone_turns_it_back_on() -> None:
    re2.set_fallback_notification(re2.FALLBACK_QUIETLY)
    try:
        assert type(re2._compile("(?<=a)b", 0)) is not re2.Pattern  # what pyre2 would do
        with pytest.raises(RegexError) as info:
            _compile_re2("(?<=a)b", 1 << 20, "(?<=a)b")
        assert "fell back" in info.value.message
    finally:
        re2.set_fallback_notification(re2.FALLBACK_EXCEPTION)


def test_max_mem_reaches_re2() -> None:
    big = r"\pL{300}"
    assert compile_regex(big).search("a" * 300)
    with pytest.raises(RegexError) as info:
        compile_regex(big, max_mem=1 << 14)
    assert "pattern too large" in info.value.message
    for bad in (0, -1, 2**31, 1.5, True):
        with pytest.raises(ValueError, match="max_mem"):
            compile_regex("a", max_mem=bad)  # type: ignore[arg-type]


def test_compiled_regexes_are_cached() -> None:
    a = compile_regex("cached(?<x>.)")
    assert compile_regex("cached(?<x>.)") is a
    assert compile_regex("cached(?<x>.)", "i") is not a
    assert compile_regex("cached(?<x>.)", max_mem=1 << 22) is not a
    assert isinstance(a, CompiledRegex) and "cached" in repr(a)
    assert translate("cached") is translate("cached")


def test_shared_between_threads() -> None:
    c = compile_regex(r"(?<user>[a-z]+)@(?<host>[\w.]+)", "g")
    texts = [f"mail u{i} user{'x' * (i % 7)}@host{i}.example é日 bob@h{i}" for i in range(200)]
    expected = [(c.search(t), c.extract(t), c.extract_all(t)) for t in texts]

    def work(k: int) -> bool:
        order = texts[k:] + texts[:k]
        want = expected[k:] + expected[:k]
        return all(
            (c.search(t), c.extract(t), c.extract_all(t)) == w
            for t, w in zip(order, want, strict=True)
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(16)))
        compiled = list(pool.map(lambda _: compile_regex(r"thread(?<n>\d+)"), range(32)))
    assert all(x.extract("thread42") == {"n": "42"} for x in compiled)


# --- robustness: nothing but RegexError, whatever the pattern ----------------------------

REGEX_PIECES = [
    *"\\()[]{}?*+|^$.-:<>=!,&/#'0123456789abcdkpqsuxzABDEGNPQRSWZ é日😀",
    "(?",
    "(?i)",
    "(?<n>",
    "(?P<",
    "[[:alpha:]]",
    "[:",
    "\\x{",
    "\\u",
    "\\0",
    "\\c",
    "{2,3}",
    "\\p{L}",
    "\\Q",
    "\\E",
    "(?:",
    "\ud800",
    "\udc00",
    "&&",
    "\\/",
    "(?=",
    "(?!",
    "(?>",
    "++",
    "{1,2}+",
]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.lists(st.sampled_from(REGEX_PIECES), max_size=16).map("".join),
    ),
    st.text(alphabet="imdgFxs", max_size=3),
)
def test_only_regex_errors_escape(pattern: str, flags: str) -> None:
    for step in (translate, required_literals, compile_regex):
        try:
            result = step(pattern, flags)
        except RegexError as err:
            bound = len(flags) if err.in_flags else len(pattern)
            assert 0 <= err.offset <= bound and err.length >= 1
            assert err.message
            return
        if isinstance(result, CompiledRegex):
            for text in ("", "abc é日😀\n", pattern):
                result.search(text)
                result.extract(text)
                result.extract_all(text)


def test_a_backtracking_search_gives_up_past_its_time(monkeypatch) -> None:
    import time

    from cqlmatch import limits
    from cqlmatch.lang.regex import RegexGaveUp

    monkeypatch.setattr(limits, "REGEX_BACKTRACK_SECONDS", 0.05)
    c = compile_regex(r"(a|aa)+(?=c)")
    started = time.monotonic()
    with pytest.raises(RegexGaveUp) as info:
        c.search("a" * 60 + "b")
    assert time.monotonic() - started < 5
    assert info.value.length == 61 and info.value.warning[0] == "W420"
    assert c.search("aac")  # a value it can decide still matches

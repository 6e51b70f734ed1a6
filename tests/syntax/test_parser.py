"""Parser tests, written from the language reference (cql-reference.md §1, §3, §4, §7).

Trees are compared whole with the ``cqlmatch.syntax.ast`` classes (spans take no part
in ``==``).  Tests that go through ``roundtrip()`` also check that printing a
tree with ``format_query`` and parsing the result gives the same tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cqlmatch.syntax.ast import (
    And,
    Arg,
    Array,
    Assign,
    Bare,
    Binary,
    Bool,
    Call,
    Case,
    FieldCall,
    FieldFilter,
    FreeText,
    MatchArm,
    MatchStmt,
    Node,
    Not,
    Number,
    Or,
    Param,
    Pipeline,
    QueryArg,
    Regex,
    SavedCall,
    Str,
    SubQuery,
    Unary,
    walk,
)
from cqlmatch.syntax.parser import parse
from cqlmatch.syntax.printer import format_query

SEED = Path(__file__).resolve().parents[2] / "rules" / "seed" / "t1546_016.cql"


# --- helpers -----------------------------------------------------------------


def P(*stages: Node) -> Pipeline:
    return Pipeline(tuple(stages))


def ft(word: str) -> FreeText:
    """Free text for an unquoted word."""
    return FreeText(Bare(word))


def eq(field: str, value: str) -> FieldFilter:
    """``field=value`` with an unquoted value."""
    return FieldFilter(field, "=", Bare(value))


def call(name: str, *args: Node) -> Call:
    """A call; plain expression nodes become unnamed arguments."""
    return Call(name, tuple(a if isinstance(a, Arg | QueryArg) else Arg(None, a) for a in args))


def kw(name: str, value: Node) -> Arg:
    return Arg(name, value)


def B(op: str, left: Node, right: Node) -> Binary:
    return Binary(op, left, right)


def stage(text: str) -> Node:
    """The only stage of ``text``."""
    tree = parse(text)
    assert len(tree.stages) == 1, tree
    return tree.stages[0]


def roundtrip(text: str) -> Pipeline:
    """Parse ``text`` and check that the canonical print parses to the same tree."""
    tree = parse(text)
    printed = format_query(tree)
    assert parse(printed) == tree, f"printed form:\n{printed}"
    assert format_query(parse(printed)) == printed
    return tree


# --- the examples of the brief -----------------------------------------------


def test_or_binds_tighter_than_juxtaposition() -> None:
    assert parse("a b OR c") == Pipeline(
        (And((FreeText(Bare("a")), Or((FreeText(Bare("b")), FreeText(Bare("c")))))),)
    )


def test_empty_query() -> None:
    assert parse("") == Pipeline(())


@pytest.mark.parametrize("text", ["   ", "\n\n", "// nothing", "/* nothing */", " /* a */ // b\n"])
def test_blank_queries(text: str) -> None:
    assert parse(text) == Pipeline(())


# --- §1.4 precedence ---------------------------------------------------------

PRECEDENCE = [
    # OR binds tighter than AND and than juxtaposition.
    ("a b OR c", And((ft("a"), Or((ft("b"), ft("c")))))),
    ("a AND b OR c", And((ft("a"), Or((ft("b"), ft("c")))))),
    ("a OR b c", And((Or((ft("a"), ft("b"))), ft("c")))),
    ("a OR b AND c", And((Or((ft("a"), ft("b"))), ft("c")))),
    ("a OR b AND c OR d", And((Or((ft("a"), ft("b"))), Or((ft("c"), ft("d")))))),
    ("a OR b c OR d", And((Or((ft("a"), ft("b"))), Or((ft("c"), ft("d")))))),
    # The old Humio docs' exact shape.
    ("a AND NOT b OR c", And((ft("a"), Or((Not(ft("b")), ft("c")))))),
    # The current operators page.
    ("foo or not bar and baz", And((Or((ft("foo"), Not(ft("bar")))), ft("baz")))),
    # NOT binds tightest, to one primary.
    ("NOT a OR b", Or((Not(ft("a")), ft("b")))),
    ("NOT a b", And((Not(ft("a")), ft("b")))),
    ("NOT a AND b", And((Not(ft("a")), ft("b")))),
    ("a OR NOT b", Or((ft("a"), Not(ft("b"))))),
    ("NOT a=1 b=2", And((Not(eq("a", "1")), eq("b", "2")))),
    ("NOT NOT a", Not(Not(ft("a")))),
    ("!a", Not(ft("a"))),
    ("! a", Not(ft("a"))),
    ("!a OR b", Or((Not(ft("a")), ft("b")))),
    ("!!a", Not(Not(ft("a")))),
    ("!a=1", Not(eq("a", "1"))),
    # Parentheses.
    ("(a)", ft("a")),
    ("((a))", ft("a")),
    ("(a b) OR c", Or((And((ft("a"), ft("b"))), ft("c")))),
    ("(a OR b) c", And((Or((ft("a"), ft("b"))), ft("c")))),
    ("a (b c)", And((ft("a"), And((ft("b"), ft("c")))))),
    ("NOT (a OR b)", Not(Or((ft("a"), ft("b"))))),
    ("NOT (a b)", Not(And((ft("a"), ft("b"))))),
    ("!(a)", Not(ft("a"))),
    ("a OR (b AND c)", Or((ft("a"), And((ft("b"), ft("c")))))),
    # Chains are flat.
    ("a OR b OR c", Or((ft("a"), ft("b"), ft("c")))),
    ("a b c", And((ft("a"), ft("b"), ft("c")))),
    ("a AND b AND c", And((ft("a"), ft("b"), ft("c")))),
    ("a b AND c", And((ft("a"), ft("b"), ft("c")))),
    # Juxtaposition across lines.
    ("a\nb", And((ft("a"), ft("b")))),
    ("a\nOR b", Or((ft("a"), ft("b")))),
]


@pytest.mark.parametrize(("text", "expected"), PRECEDENCE)
def test_filter_precedence(text: str, expected: Node) -> None:
    assert stage(text) == expected


@pytest.mark.parametrize(("text", "expected"), PRECEDENCE[:12])
def test_filter_precedence_roundtrips(text: str, expected: Node) -> None:
    assert roundtrip(text) == P(expected)


@pytest.mark.parametrize("word", ["AND", "and", "And", "aNd"])
def test_and_keyword_in_any_case(word: str) -> None:
    assert stage(f"a {word} b OR c") == And((ft("a"), Or((ft("b"), ft("c")))))


@pytest.mark.parametrize("word", ["OR", "or", "Or", "oR"])
def test_or_keyword_in_any_case(word: str) -> None:
    assert stage(f"a b {word} c") == And((ft("a"), Or((ft("b"), ft("c")))))


@pytest.mark.parametrize("word", ["NOT", "not", "Not", "nOt", "!"])
def test_not_keyword_in_any_case(word: str) -> None:
    assert stage(f"{word} a OR b") == Or((Not(ft("a")), ft("b")))


def test_mixed_case_keywords_together() -> None:
    assert stage("a aNd NoT b Or c") == And((ft("a"), Or((Not(ft("b")), ft("c")))))


@pytest.mark.parametrize("word", ["AND", "or", "NOT"])
def test_quoted_keyword_is_free_text(word: str) -> None:
    assert stage(f'a "{word}" b') == And((ft("a"), FreeText(Str(word)), ft("b")))


def test_pipe_separates_stages() -> None:
    assert parse("a OR b | c d") == P(Or((ft("a"), ft("b"))), And((ft("c"), ft("d"))))


def test_juxtaposed_filters_and_piped_filters_have_the_same_filters() -> None:
    # §1.1: `a=1 b=2` is equivalent to `a=1 | b=2`.
    joined = stage("a=1 b=2")
    assert isinstance(joined, And)
    assert parse("a=1 | b=2") == P(*joined.items)


def test_stray_tokens_after_a_comparison_are_free_text() -> None:
    # §1.3 quirk: `foo < 42 + 3` is (foo<42) AND "*+*" AND "*3*".
    assert stage("foo < 42 + 3") == And((FieldFilter("foo", "<", Number("42")), ft("+"), ft("3")))


def test_empty_stages_between_pipes_are_skipped() -> None:
    assert parse("a | | b") == P(ft("a"), ft("b"))


# --- §1.2 field filters ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user=alice", eq("user", "alice")),
        ("user = alice", eq("user", "alice")),
        ('user="alice"', FieldFilter("user", "=", Str("alice"))),
        ("user!=alice", FieldFilter("user", "!=", Bare("alice"))),
        ("user != alice", FieldFilter("user", "!=", Bare("alice"))),
        ("path=*\\Temp\\*", eq("path", "*\\Temp\\*")),
        ('path="*Temp*"', FieldFilter("path", "=", Str("*Temp*"))),
        ("user=*smith", eq("user", "*smith")),
        ("user=*", eq("user", "*")),
        ("F=*", eq("F", "*")),
        ("user!=*", FieldFilter("user", "!=", Bare("*"))),
        ('user=""', FieldFilter("user", "=", Str(""))),
        ("cmd=/encodedcommand/i", FieldFilter("cmd", "=", Regex("encodedcommand", "i"))),
        ("cmd!=/x/", FieldFilter("cmd", "!=", Regex("x", ""))),
        ("cmd=/x/imdgF", FieldFilter("cmd", "=", Regex("x", "imdgF"))),
        ("bytes>1000", FieldFilter("bytes", ">", Number("1000"))),
        ("bytes<=5", FieldFilter("bytes", "<=", Number("5"))),
        ("bytes < 5", FieldFilter("bytes", "<", Number("5"))),
        ("bytes >= 0.5", FieldFilter("bytes", ">=", Number("0.5"))),
        ("bytes>=-5", FieldFilter("bytes", ">=", Number("-5"))),
        ('"Some Field"=x', eq("Some Field", "x")),
        ('"Some Field" != "a b"', FieldFilter("Some Field", "!=", Str("a b"))),
        ('user like "abc"', FieldFilter("user", "like", Str("abc"))),
        ("user like abc", FieldFilter("user", "like", Bare("abc"))),
        ('@rawstring="*foo*"', FieldFilter("@rawstring", "=", Str("*foo*"))),
        ("@timestamp>1000", FieldFilter("@timestamp", ">", Number("1000"))),
        ("#event_simpleName=ProcessRollup2", eq("#event_simpleName", "ProcessRollup2")),
        ("#repo!=base", FieldFilter("#repo", "!=", Bare("base"))),
        ("a <=> b", FieldFilter("a", "<=>", Bare("b"))),
        ("ioc[0]=x", eq("ioc[0]", "x")),
        ("a.b.c=x", eq("a.b.c", "x")),
        ("path=C:\\Windows\\*", eq("path", "C:\\Windows\\*")),
        ("url=https://x.com/a", eq("url", "https://x.com/a")),
        ("f=?p", FieldFilter("f", "=", Param("p"))),
        ("f=?{p=abc}", FieldFilter("f", "=", Param("p", "abc"))),
        ('f=?{p="a b"}', FieldFilter("f", "=", Param("p", "a b"))),
        ("n>?limit", FieldFilter("n", ">", Param("limit"))),
        # The left side is always a field name, the right side never is.
        ("400 = statuscode", eq("400", "statuscode")),
        ("myField = otherField", eq("myField", "otherField")),
        # A regex must be a /.../ literal; this is the literal string m/fisk/i.
        ("foo=m/fisk/i", eq("foo", "m/fisk/i")),
        ("cmd=-encodedcommand", eq("cmd", "-encodedcommand")),
    ],
)
def test_field_filters(text: str, expected: FieldFilter) -> None:
    assert stage(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        '"Some Field"=x',
        "user!=*",
        'user like "abc"',
        "a <=> b",
        "bytes>=-5",
        "f=?{p=abc}",
        "cmd=/a\\/b/i",
    ],
)
def test_field_filters_roundtrip(text: str) -> None:
    assert roundtrip(text) == parse(text)


@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_every_comparison_operator(op: str) -> None:
    value = Bare("5") if op in ("=", "!=") else Number("5")
    assert stage(f"f{op}5") == FieldFilter("f", op, value)


def test_field_filters_are_juxtaposed_with_free_text() -> None:
    assert stage('#event_simpleName=ProcessRollup2 "cmd.exe" /x/i') == And(
        (
            eq("#event_simpleName", "ProcessRollup2"),
            FreeText(Str("cmd.exe")),
            FreeText(Regex("x", "i")),
        )
    )


# --- §1.3 free text, true/false, * ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("foo", ft("foo")),
        ('"foo bar"', FreeText(Str("foo bar"))),
        ('"say \\"hi\\""', FreeText(Str('say "hi"'))),
        ("/fisk/i", FreeText(Regex("fisk", "i"))),
        ("/a\\/b/", FreeText(Regex("a\\/b", ""))),
        ("?term", FreeText(Param("term"))),
        ("*", ft("*")),
        ("*.exe", ft("*.exe")),
        ("-encodedcommand", ft("-encodedcommand")),
        ("https://www.example.com/", ft("https://www.example.com/")),
        ("https: //www.example.com/", ft("https:")),
        ("true", Bool(True)),
        ("false", Bool(False)),
    ],
)
def test_free_text_and_constants(text: str, expected: Node) -> None:
    assert stage(text) == expected


def test_true_and_false_combine_with_filters() -> None:
    assert stage("a=1 true") == And((eq("a", "1"), Bool(True)))
    assert stage("false OR a") == Or((Bool(False), ft("a")))


# --- §3.1 case -----------------------------------------------------------------

CASE_DOC = """case {
  filterA | x := "a" ;
  filterB | filterC | x := "b" ;
  * | x := "other"
}"""

CASE_DOC_TREE = Case(
    (
        P(ft("filterA"), Assign("x", Str("a"))),
        P(ft("filterB"), ft("filterC"), Assign("x", Str("b"))),
        P(ft("*"), Assign("x", Str("other"))),
    )
)


def test_case_from_the_reference() -> None:
    assert roundtrip(CASE_DOC) == P(CASE_DOC_TREE)


def test_case_trailing_semicolon_is_allowed() -> None:
    assert stage(CASE_DOC.replace('"other"\n}', '"other" ;\n}')) == CASE_DOC_TREE


def test_case_on_one_line() -> None:
    assert stage('case { a | x:="a" ; * | x:="o" }') == Case(
        (P(ft("a"), Assign("x", Str("a"))), P(ft("*"), Assign("x", Str("o"))))
    )


def test_case_branch_with_and_or_filters() -> None:
    assert stage("case { a OR b ; c d ; NOT e }") == Case(
        (P(Or((ft("a"), ft("b")))), P(And((ft("c"), ft("d")))), P(Not(ft("e"))))
    )


def test_case_without_default_branch() -> None:
    assert stage("case { a ; b }") == Case((P(ft("a")), P(ft("b"))))


def test_nested_case() -> None:
    text = "case { a | case { b ; c | x := 1 } ; * }"
    inner = Case((P(ft("b")), P(ft("c"), Assign("x", Number("1")))))
    assert roundtrip(text) == P(Case((P(ft("a"), inner), P(ft("*")))))


def test_case_inside_a_pipeline() -> None:
    assert parse("a | case { b ; * | drop(c) } | d") == P(
        ft("a"), Case((P(ft("b")), P(ft("*"), call("drop", Bare("c"))))), ft("d")
    )


def test_default_branch_star_then_stage() -> None:
    assert stage("case { a ; * | drop() }").branches[1] == P(ft("*"), Call("drop", ()))


# --- §3.2 match ------------------------------------------------------------------

MATCH_DOC = """fieldName match {
  "value1" => x := "A" ;
  /re/     => x := "B" ;
  *        => x := "C"
}"""


def test_match_from_the_reference() -> None:
    assert roundtrip(MATCH_DOC) == P(
        MatchStmt(
            "fieldName",
            (
                MatchArm(Str("value1"), P(Assign("x", Str("A")))),
                MatchArm(Regex("re", ""), P(Assign("x", Str("B")))),
                MatchArm(Bare("*"), P(Assign("x", Str("C")))),
            ),
        )
    )


def test_match_with_unquoted_numbers_and_trailing_semicolon() -> None:
    assert stage("status match { 1 => a := 1 ; 2 => a := 2 ; }") == MatchStmt(
        "status",
        (
            MatchArm(Bare("1"), P(Assign("a", Number("1")))),
            MatchArm(Bare("2"), P(Assign("a", Number("2")))),
        ),
    )


def test_match_arm_with_a_pipeline_and_regex_flags() -> None:
    assert stage('f match { /x/i => a := 1 | b := "c" ; * => d }') == MatchStmt(
        "f",
        (
            MatchArm(Regex("x", "i"), P(Assign("a", Number("1")), Assign("b", Str("c")))),
            MatchArm(Bare("*"), P(ft("d"))),
        ),
    )


def test_match_on_a_quoted_field_name() -> None:
    assert stage('"my field" match { "x" => y }') == MatchStmt(
        "my field", (MatchArm(Str("x"), P(ft("y"))),)
    )


def test_match_function_is_a_call_not_a_statement() -> None:
    assert stage('match(file="hosts.csv", field=host, strict=false)') == call(
        "match", kw("file", Str("hosts.csv")), kw("field", Bare("host")), kw("strict", Bool(False))
    )


# --- §1.6 assignment and expressions ---------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('x := "a"', Str("a")),
        ("x := 5", Number("5")),
        ("x := 0.25", Number("0.25")),
        ("x := true", Bool(True)),
        ("x := y", Bare("y")),
        ("x := ?p", Param("p")),
        ("x := a + b * c", B("+", Bare("a"), B("*", Bare("b"), Bare("c")))),
        ("x := a * b + c", B("+", B("*", Bare("a"), Bare("b")), Bare("c"))),
        ("x := (a + b) * c", B("*", B("+", Bare("a"), Bare("b")), Bare("c"))),
        ("x := a - b - c", B("-", B("-", Bare("a"), Bare("b")), Bare("c"))),
        ("x := a / b * c", B("*", B("/", Bare("a"), Bare("b")), Bare("c"))),
        ("x := a % 2", B("%", Bare("a"), Number("2"))),
        ("x := a*b", B("*", Bare("a"), Bare("b"))),
        ("x := a/b", B("/", Bare("a"), Bare("b"))),
        ("x := 2*a", B("*", Number("2"), Bare("a"))),
        # §1.5: `a:=m/x/i` is division.
        ("x := m/x/i", B("/", B("/", Bare("m"), Bare("x")), Bare("i"))),
        ("x := -a", Unary("-", Bare("a"))),
        ("x := -a * b", B("*", Unary("-", Bare("a")), Bare("b"))),
        ("x := 2 * -3", B("*", Number("2"), Unary("-", Number("3")))),
        ("x := -(a + b)", Unary("-", B("+", Bare("a"), Bare("b")))),
        ("x := a == 1", B("==", Bare("a"), Number("1"))),
        ('x := a != "b"', B("!=", Bare("a"), Str("b"))),
        ("x := a < b + 1", B("<", Bare("a"), B("+", Bare("b"), Number("1")))),
        ("x := a >= 5", B(">=", Bare("a"), Number("5"))),
        (
            "x := a > 1 and b < 2",
            B("and", B(">", Bare("a"), Number("1")), B("<", Bare("b"), Number("2"))),
        ),
        ("x := a or b and c", B("or", Bare("a"), B("and", Bare("b"), Bare("c")))),
        ("x := a and b or c", B("or", B("and", Bare("a"), Bare("b")), Bare("c"))),
        ("x := a AND b", B("and", Bare("a"), Bare("b"))),
        ("x := a && b || c", B("or", B("and", Bare("a"), Bare("b")), Bare("c"))),
        ("x := !a", Unary("!", Bare("a"))),
        ("x := not a and b", B("and", Unary("!", Bare("a")), Bare("b"))),
        ("x := *.exe", Bare("*.exe")),
        ("x := ?p + 1", B("+", Param("p"), Number("1"))),
        ("x := crypto:md5(a)", call("crypto:md5", Bare("a"))),
        ("x := round(avg(a) * 100)", call("round", B("*", call("avg", Bare("a")), Number("100")))),
        (
            "x := lower(concat([a, b]))",
            call("lower", call("concat", Array((Bare("a"), Bare("b"))))),
        ),
        ("x := max(bytes)", call("max", Bare("bytes"))),
        ('x := "a" + 1', B("+", Str("a"), Number("1"))),
    ],
)
def test_assignment_expressions(text: str, value: Node) -> None:
    assert stage(text) == Assign("x", value)


@pytest.mark.parametrize(
    "text",
    [
        "x := a + b * c",
        "x := (a + b) * c",
        "x := a - (b - c)",
        "x := -(a + b)",
        "x := - -1",
        "x := !(a and b) or c",
        "x := a > 1 and b < 2",
        "x := round(avg(a) * 100)",
        '"Quoted Field" := 1',
    ],
)
def test_assignment_expressions_roundtrip(text: str) -> None:
    assert roundtrip(text) == parse(text)


def test_assignment_without_spaces() -> None:
    assert stage('a:="x"') == Assign("a", Str("x"))


def test_quoted_field_assignment() -> None:
    assert stage('"Quoted Field" := lower(x)') == Assign("Quoted Field", call("lower", Bare("x")))


def test_if_with_named_then_else() -> None:
    assert stage("ok := if(status >= 500, then=0, else=1)") == Assign(
        "ok",
        call(
            "if",
            B(">=", Bare("status"), Number("500")),
            kw("then", Number("0")),
            kw("else", Number("1")),
        ),
    )


def test_nested_if_in_else() -> None:
    assert stage('x := if(a, then="1", else=if(b, then="2", else="3"))') == Assign(
        "x",
        call(
            "if",
            Bare("a"),
            kw("then", Str("1")),
            kw("else", call("if", Bare("b"), kw("then", Str("2")), kw("else", Str("3")))),
        ),
    )


def test_assignments_chain_with_pipes() -> None:
    assert parse("a := 1 | b := a + 1") == P(
        Assign("a", Number("1")), Assign("b", B("+", Bare("a"), Number("1")))
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'ip =~ cidr(subnet="10.0.0.0/8")',
            FieldCall("ip", call("cidr", kw("subnet", Str("10.0.0.0/8")))),
        ),
        ('name =~ default("-")', FieldCall("name", call("default", Str("-")))),
        ('"a b" =~ lower()', FieldCall("a b", Call("lower", ()))),
        (
            'ip=~cidr(subnet=["10.0.0.0/8"])',
            FieldCall("ip", call("cidr", kw("subnet", Array((Str("10.0.0.0/8"),))))),
        ),
    ],
)
def test_field_call(text: str, expected: FieldCall) -> None:
    assert roundtrip(text) == P(expected)


# --- §1.7 function calls ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("count()", Call("count", ())),
        ("count(aid, as=EventCount)", call("count", Bare("aid"), kw("as", Bare("EventCount")))),
        ("count(aid, distinct=true)", call("count", Bare("aid"), kw("distinct", Bool(True)))),
        ("drop([f1, f2])", call("drop", Array((Bare("f1"), Bare("f2"))))),
        ("groupBy([a, b])", call("groupBy", Array((Bare("a"), Bare("b"))))),
        ("groupBy(a, limit=max)", call("groupBy", Bare("a"), kw("limit", Bare("max")))),
        (
            "groupBy([a], function=[])",
            call("groupBy", Array((Bare("a"),)), kw("function", Array(()))),
        ),
        (
            "groupBy([a, b], function=[count(), max(x)])",
            call(
                "groupBy",
                Array((Bare("a"), Bare("b"))),
                kw("function", Array((Call("count", ()), call("max", Bare("x"))))),
            ),
        ),
        (
            "groupBy(k, function={ a := avg(x) | r := round(a) })",
            call(
                "groupBy",
                Bare("k"),
                kw(
                    "function",
                    SubQuery(
                        P(
                            Assign("a", call("avg", Bare("x"))),
                            Assign("r", call("round", Bare("a"))),
                        )
                    ),
                ),
            ),
        ),
        (
            "stats([count(), max(x)])",
            call("stats", Array((Call("count", ()), call("max", Bare("x"))))),
        ),
        (
            "stats(function=[count(), avg(x, as=m)])",
            call(
                "stats",
                kw(
                    "function",
                    Array((Call("count", ()), call("avg", Bare("x"), kw("as", Bare("m"))))),
                ),
            ),
        ),
        (
            "sort(EventCount, order=desc, limit=200)",
            call("sort", Bare("EventCount"), kw("order", Bare("desc")), kw("limit", Number("200"))),
        ),
        (
            'in(f, values=[a, "b c", *.exe], ignoreCase=true)',
            call(
                "in",
                Bare("f"),
                kw("values", Array((Bare("a"), Str("b c"), Bare("*.exe")))),
                kw("ignoreCase", Bool(True)),
            ),
        ),
        (
            'cidr(ip, subnet=["10.0.0.0/8", "192.168.0.0/16"])',
            call(
                "cidr", Bare("ip"), kw("subnet", Array((Str("10.0.0.0/8"), Str("192.168.0.0/16"))))
            ),
        ),
        ("regex(/x/i)", call("regex", Regex("x", "i"))),
        (
            'regex("x", field=@rawstring, flags="m")',
            call("regex", Str("x"), kw("field", Bare("@rawstring")), kw("flags", Str("m"))),
        ),
        ("test(a == b)", call("test", B("==", Bare("a"), Bare("b")))),
        ('test(a == "b")', call("test", B("==", Bare("a"), Str("b")))),
        (
            "test(a < 5 and b >= 6 or !c)",
            call(
                "test",
                B(
                    "or",
                    B("and", B("<", Bare("a"), Number("5")), B(">=", Bare("b"), Number("6"))),
                    Unary("!", Bare("c")),
                ),
            ),
        ),
        ("eval(x = a + b)", call("eval", kw("x", B("+", Bare("a"), Bare("b"))))),
        (
            'default(value="-", field=[a, b])',
            call("default", kw("value", Str("-")), kw("field", Array((Bare("a"), Bare("b"))))),
        ),
        (
            "wildcard(pattern=horse, ignoreCase=false)",
            call("wildcard", kw("pattern", Bare("horse")), kw("ignoreCase", Bool(False))),
        ),
        (
            "timeChart(series, function=count(), span=1h)",
            call(
                "timeChart",
                Bare("series"),
                kw("function", Call("count", ())),
                kw("span", Bare("1h")),
            ),
        ),
        (
            'formatTime("%Y-%m-%d", field=@timestamp, as=d)',
            call(
                "formatTime", Str("%Y-%m-%d"), kw("field", Bare("@timestamp")), kw("as", Bare("d"))
            ),
        ),
        (
            'text:contains(string=a, substring="b")',
            call("text:contains", kw("string", Bare("a")), kw("substring", Str("b"))),
        ),
        (
            'array:contains(array="f[]", value=x)',
            call("array:contains", kw("array", Str("f[]")), kw("value", Bare("x"))),
        ),
        ("crypto:md5(field=a)", call("crypto:md5", kw("field", Bare("a")))),
        (
            "percentile(x, percentiles=[50, 99.9])",
            call("percentile", Bare("x"), kw("percentiles", Array((Number("50"), Number("99.9"))))),
        ),
        ("f(a=?p, ?q)", call("f", kw("a", Param("p")), Param("q"))),
        ("f(a*)", call("f", Bare("a*"))),
    ],
)
def test_function_calls(text: str, expected: Node) -> None:
    assert stage(text) == expected


def test_aggregate_list_in_parentheses() -> None:
    assert stage("groupBy(a, function=([count()]))") == stage("groupBy(a, function=[count()])")
    assert stage("groupBy(a, function=([count()]))") == call(
        "groupBy", Bare("a"), kw("function", Array((Call("count", ()),)))
    )


def test_stage_level_aggregate_list() -> None:
    assert roundtrip("[count(), max(x)]") == P(Array((Call("count", ()), call("max", Bare("x")))))


def test_stage_level_aggregate_list_with_assignments() -> None:
    assert stage("[m := max(x), count()]") == Array(
        (Assign("m", call("max", Bare("x"))), Call("count", ()))
    )


def test_multi_line_call() -> None:
    text = "groupBy(\n  [a, b],\n  function=count(aid, as=n)\n)"
    assert stage(text) == call(
        "groupBy",
        Array((Bare("a"), Bare("b"))),
        kw("function", call("count", Bare("aid"), kw("as", Bare("n")))),
    )


@pytest.mark.parametrize(
    ("text", "inner"),
    [
        (
            '!cidr(ip, subnet="10.0.0.0/8")',
            call("cidr", Bare("ip"), kw("subnet", Str("10.0.0.0/8"))),
        ),
        (
            "not in(f, values=[a, b])",
            call("in", Bare("f"), kw("values", Array((Bare("a"), Bare("b"))))),
        ),
        ("NOT in(f, values=[a])", call("in", Bare("f"), kw("values", Array((Bare("a"),))))),
        ('!regex("x")', call("regex", Str("x"))),
        ("!test(a == b)", call("test", B("==", Bare("a"), Bare("b")))),
        ("!wildcard(pattern=x)", call("wildcard", kw("pattern", Bare("x")))),
        (
            '!match(file="x.csv", field=a)',
            call("match", kw("file", Str("x.csv")), kw("field", Bare("a"))),
        ),
    ],
)
def test_negated_filter_functions(text: str, inner: Call) -> None:
    assert roundtrip(text) == P(Not(inner))


def test_filter_functions_combine_with_filters() -> None:
    assert stage('a=1 !cidr(ip, subnet="10.0.0.0/8") OR b') == And(
        (
            eq("a", "1"),
            Or((Not(call("cidr", Bare("ip"), kw("subnet", Str("10.0.0.0/8")))), ft("b"))),
        )
    )


# --- parameters, saved queries, sub-queries ---------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$name()", SavedCall("name", ())),
        ('$"pkg/name"(x=1)', SavedCall("pkg/name", (Arg("x", Number("1")),))),
        ('$"name with spaces"()', SavedCall("name with spaces", ())),
        ("$name(a=?p)", SavedCall("name", (Arg("a", Param("p")),))),
    ],
)
def test_saved_queries(text: str, expected: SavedCall) -> None:
    assert roundtrip(text) == P(expected)


def test_saved_query_in_a_pipeline() -> None:
    assert parse("a | $name() | b") == P(ft("a"), SavedCall("name", ()), ft("b"))


def test_params_everywhere() -> None:
    assert parse("?term f=?v | n > ?{min=5} | x := ?{k=a} | g(?p, as=?{o=out})") == P(
        And((FreeText(Param("term")), FieldFilter("f", "=", Param("v")))),
        FieldFilter("n", ">", Param("min", "5")),
        Assign("x", Param("k", "a")),
        call("g", Param("p"), kw("as", Param("o", "out"))),
    )


def test_join_subquery() -> None:
    assert stage("join({ #event_simpleName=X | a=1 }, field=aid, include=[b])") == call(
        "join",
        SubQuery(P(eq("#event_simpleName", "X"), eq("a", "1"))),
        kw("field", Bare("aid")),
        kw("include", Array((Bare("b"),))),
    )


def test_define_table_subquery() -> None:
    assert stage('defineTable(query={ a=1 b }, name="t", include=[x])') == call(
        "defineTable",
        kw("query", SubQuery(P(And((eq("a", "1"), ft("b")))))),
        kw("name", Str("t")),
        kw("include", Array((Bare("x"),))),
    )


CORRELATE = """correlate(
  A: { #event_simpleName=ProcessRollup2 } include: [aid, ComputerName],
  B: { #event_simpleName=DnsRequest | aid <=> A.aid } include: [DomainName],
  sequence=false, within=5m
)"""


def test_correlate_query_arguments() -> None:
    assert roundtrip(CORRELATE) == P(
        call(
            "correlate",
            QueryArg(
                "A",
                P(eq("#event_simpleName", "ProcessRollup2")),
                (Arg("include", Array((Bare("aid"), Bare("ComputerName")))),),
            ),
            QueryArg(
                "B",
                P(eq("#event_simpleName", "DnsRequest"), FieldFilter("aid", "<=>", Bare("A.aid"))),
                (Arg("include", Array((Bare("DomainName"),))),),
            ),
            kw("sequence", Bool(False)),
            kw("within", Bare("5m")),
        )
    )


# --- comments anywhere -----------------------------------------------------------


@pytest.mark.parametrize(
    ("commented", "plain"),
    [
        ("a // c\n| b", "a | b"),
        ("/* lead */ a /* mid */ b // tail", "a b"),
        ("a /* x\n y */ OR b", "a OR b"),
        ("case { a // x\n; /* y */ b }", "case { a ; b }"),
        ("count(a, // c\n as=b /* z */)", "count(a, as=b)"),
        ("x := a // c\n| y := b /* q */ + 1", "x := a | y := b + 1"),
        ("x := a /* c */ * b", "x := a * b"),
        ("[a, /* c */ b]", "[a, b]"),
        ('f match { /* c */ "x" => a // c\n; * => b }', 'f match { "x" => a ; * => b }'),
        ("f=/x/ // c", "f=/x/"),
        ("a:=1//c", "a:=1"),
        (
            "groupBy(/* keys */ [a /* k */, b], function=count() /* agg */)",
            "groupBy([a, b], function=count())",
        ),
        ("NOT /* c */ a", "NOT a"),
        ("f /* c */ = /* d */ x", "f = x"),
        ("https: //www.example.com/\n| b", "https: | b"),
    ],
)
def test_comments_anywhere(commented: str, plain: str) -> None:
    assert parse(commented) == parse(plain)
    assert parse(commented).stages  # not silently empty


# --- §7 the seed query ---------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text()


@pytest.fixture(scope="module")
def seed(seed_text: str) -> Pipeline:
    return parse(seed_text)


def test_seed_has_four_stages(seed: Pipeline) -> None:
    assert [type(s) for s in seed.stages] == [Or, Case, Call, Call]


def test_seed_stage_one_is_a_tag_or(seed: Pipeline) -> None:
    assert seed.stages[0] == Or(
        (eq("#event_simpleName", "ProcessRollup2"), eq("#event_simpleName", "NetworkConnectIP4"))
    )


def test_seed_case_has_three_branches(seed: Pipeline) -> None:
    case = seed.stages[1]
    assert isinstance(case, Case)
    assert len(case.branches) == 3
    assert [len(b.stages) for b in case.branches] == [2, 2, 2]


def test_seed_first_branch_filter(seed: Pipeline) -> None:
    first = seed.stages[1].branches[0].stages[0]
    assert first == And(
        (
            eq("#event_simpleName", "ProcessRollup2"),
            FieldFilter(
                "ParentBaseFileName",
                "=",
                Regex(
                    "(?i)(msiexec\\.exe|installer|pkgutil|dpkg|rpm|yum|apt-get|apt|chocolatey|winget)",
                    "",
                ),
            ),
            Or(
                (
                    FieldFilter(
                        "FileName",
                        "=",
                        Regex(
                            "(?i)(powershell\\.exe|pwsh\\.exe|cmd\\.exe|wscript\\.exe|cscript\\.exe|"
                            "mshta\\.exe|certutil\\.exe|bitsadmin\\.exe|bash|sh|python)",
                            "",
                        ),
                    ),
                    FieldFilter(
                        "CommandLine",
                        "=",
                        Regex(
                            "(?i)(invoke-webrequest|downloadstring|net\\.webclient|-encodedcommand|"
                            "certutil.{0,20}urlcache|bitsadmin.{0,20}transfer|"
                            "curl.{0,30}https?:\\/\\/|wget.{0,30}https?:\\/\\/)",
                            "",
                        ),
                    ),
                )
            ),
        )
    )


def test_seed_first_branch_if_assignment(seed: Pipeline) -> None:
    assign = seed.stages[1].branches[0].stages[1]
    assert assign == Assign(
        "EventType",
        call(
            "if",
            kw(
                "CommandLine",
                Regex("(?i)(invoke-webrequest|downloadstring|net\\.webclient|-encodedcommand)", ""),
            ),
            Str("INSTALLER_DOWNLOAD_CRADLE"),
            call(
                "if",
                kw(
                    "CommandLine",
                    Regex("(?i)(certutil.{0,20}urlcache|bitsadmin.{0,20}transfer)", ""),
                ),
                Str("INSTALLER_ENCODED_EXECUTION"),
                Str("INSTALLER_SCRIPT_CHILD"),
            ),
        ),
    )
    # One named argument (the regex on CommandLine) and two unnamed ones.
    assert [a.name for a in assign.value.args] == ["CommandLine", None, None]


def test_seed_second_branch(seed: Pipeline) -> None:
    assert seed.stages[1].branches[1] == P(
        And(
            (
                eq("#event_simpleName", "NetworkConnectIP4"),
                FieldFilter("ImageFileName", "=", Regex("(?i)(msiexec\\.exe|installer)", "")),
                Not(
                    FieldFilter(
                        "RemoteAddressIP4",
                        "=",
                        Regex(
                            "^(10\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|192\\.168\\.|127\\.|::1)", ""
                        ),
                    )
                ),
            )
        ),
        Assign("EventType", Str("INSTALLER_NETWORK_CALLBACK")),
    )


def test_seed_default_branch(seed: Pipeline) -> None:
    assert seed.stages[1].branches[2] == P(ft("*"), Call("drop", ()))


def test_seed_group_by(seed: Pipeline) -> None:
    fields = [
        "ComputerName",
        "UserName",
        "EventType",
        "ParentBaseFileName",
        "FileName",
        "CommandLine",
        "RemoteAddressIP4",
    ]
    assert seed.stages[2] == call(
        "groupBy",
        Array(tuple(Bare(f) for f in fields)),
        kw("function", call("count", Bare("aid"), kw("as", Bare("EventCount")))),
    )
    assert len(seed.stages[2].args[0].value.items) == 7


def test_seed_sort(seed: Pipeline) -> None:
    assert seed.stages[3] == call(
        "sort", Bare("EventCount"), kw("order", Bare("desc")), kw("limit", Number("200"))
    )


def test_seed_roundtrips(seed_text: str, seed: Pipeline) -> None:
    assert roundtrip(seed_text) == seed


def test_seed_spans_point_into_the_text(seed_text: str, seed: Pipeline) -> None:
    case = seed.stages[1]
    assert (case.span.line, case.span.column) == (2, 3)
    assert seed_text[case.span.start : case.span.end].startswith("case {")
    assert seed_text[case.span.start : case.span.end].rstrip().endswith("}")
    sort = seed.stages[3]
    assert seed_text[sort.span.start : sort.span.end] == "sort(EventCount, order=desc, limit=200)"
    for node in walk(seed):
        assert 0 <= node.span.start <= node.span.end <= len(seed_text)


def test_corrected_seed_from_the_reference_parses() -> None:
    text = """#event_simpleName=ProcessRollup2 OR #event_simpleName=NetworkConnectIP4
| case {
    #event_simpleName=ProcessRollup2
    ParentBaseFileName=/(?i)(msiexec\\.exe|installer)/
    | case {
        CommandLine=/(?i)(invoke-webrequest)/
          | EventType := "INSTALLER_DOWNLOAD_CRADLE" ;
        * | EventType := "INSTALLER_SCRIPT_CHILD"
      } ;
    #event_simpleName=NetworkConnectIP4
    RemoteAddressIP4=*
    !cidr(RemoteAddressIP4, subnet=["10.0.0.0/8", "172.16.0.0/12"])
    | EventType := "INSTALLER_NETWORK_CALLBACK"
  }
| default(value="-", field=[ComputerName, EventType])
| groupBy([ComputerName, EventType], function=count(aid, as=EventCount))"""
    tree = roundtrip(text)
    case = tree.stages[1]
    assert isinstance(case, Case)
    assert isinstance(case.branches[0].stages[1], Case)
    assert case.branches[1].stages[0] == And(
        (
            eq("#event_simpleName", "NetworkConnectIP4"),
            eq("RemoteAddressIP4", "*"),
            Not(
                call(
                    "cidr",
                    Bare("RemoteAddressIP4"),
                    kw("subnet", Array((Str("10.0.0.0/8"), Str("172.16.0.0/12")))),
                )
            ),
        )
    )

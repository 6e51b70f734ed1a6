"""Lexer tests, written from the language reference (cql-reference.md §1).

Token kinds, exact source text, decoded values and spans (offsets, 1-based line
and column); strings and their escapes; regex literals; comments and the
documented ``/`` quirks (§1.1, §6.6); parameters and saved queries; and the
three lexer modes that resolve ``/`` and ``*`` (regex vs division, wildcard vs
multiplication).
"""

from __future__ import annotations

from itertools import pairwise

import pytest

from cqlmatch.errors import CQLSyntaxError, Span
from cqlmatch.syntax.lexer import Lexer, Mode, tokenize
from cqlmatch.syntax.tokens import Token, TokenKind as K


def kinds(text: str, mode: int = Mode.FILTER) -> list[tuple[K, str]]:
    """(kind, text) of every token of ``text`` except the final EOF."""
    tokens = tokenize(text, mode)
    assert tokens[-1].kind is K.EOF
    return [(t.kind, t.text) for t in tokens[:-1]]


def only(text: str, mode: int = Mode.FILTER) -> Token:
    """The single token ``text`` consists of."""
    tokens = tokenize(text, mode)
    assert [t.kind for t in tokens[1:]] == [K.EOF], tokens
    return tokens[0]


def lex_error(text: str, mode: int = Mode.FILTER) -> CQLSyntaxError:
    with pytest.raises(CQLSyntaxError) as info:
        tokenize(text, mode)
    assert type(info.value) is CQLSyntaxError
    return info.value


# --- kinds, text and spans ---------------------------------------------------


def test_simple_filter_tokens_with_spans() -> None:
    tokens = tokenize("a=1 | b")
    assert [(t.kind, t.text, t.span) for t in tokens] == [
        (K.WORD, "a", Span(0, 1, 1, 1)),
        (K.EQ, "=", Span(1, 2, 1, 2)),
        (K.WORD, "1", Span(2, 3, 1, 3)),
        (K.PIPE, "|", Span(4, 5, 1, 5)),
        (K.WORD, "b", Span(6, 7, 1, 7)),
        (K.EOF, "", Span(7, 7, 1, 8)),
    ]


def test_empty_input_is_just_eof() -> None:
    tokens = tokenize("")
    assert len(tokens) == 1
    assert tokens[0].kind is K.EOF
    assert tokens[0].span == Span(0, 0, 1, 1)


def test_whitespace_only_input_is_just_eof() -> None:
    text = "  \n\t "
    tokens = tokenize(text)
    assert [(t.kind, t.text) for t in tokens] == [(K.EOF, "")]
    assert 0 <= tokens[0].span.start == tokens[0].span.end <= len(text)


def test_eof_is_after_the_last_token() -> None:
    text = "a  b   \n\n"
    tokens = tokenize(text)
    assert [t.kind for t in tokens] == [K.WORD, K.WORD, K.EOF]
    assert tokens[1].span.end <= tokens[2].span.start <= len(text)


def test_multi_line_spans() -> None:
    text = 'a\n  bb "c"\n\n   x=/r/i'
    tokens = tokenize(text)
    assert [(t.kind, t.text, t.span) for t in tokens] == [
        (K.WORD, "a", Span(0, 1, 1, 1)),
        (K.WORD, "bb", Span(4, 6, 2, 3)),
        (K.STRING, '"c"', Span(7, 10, 2, 6)),
        (K.WORD, "x", Span(15, 16, 4, 4)),
        (K.EQ, "=", Span(16, 17, 4, 5)),
        (K.REGEX, "/r/i", Span(17, 21, 4, 6)),
        (K.EOF, "", Span(21, 21, 4, 10)),
    ]


def test_crlf_line_endings_count_lines() -> None:
    tokens = tokenize("a\r\nb\r\n  c")
    assert [(t.text, t.span.line, t.span.column) for t in tokens[:-1]] == [
        ("a", 1, 1),
        ("b", 2, 1),
        ("c", 3, 3),
    ]


@pytest.mark.parametrize(
    "text",
    [
        'a=1 | b!="x y" | c:=d',
        "#event_simpleName=ProcessRollup2\n  FileName=/cmd\\.exe/i // c\n| count()",
        'case { a ; b } | f match { "x" => y ; * => z }',
        "x <= 5 y>=6 z<=>w a =~ b",
        '?p ?{n=d} $s $"q r" [a, b] (c)',
    ],
)
def test_token_text_is_the_source_slice(text: str) -> None:
    for tok in tokenize(text):
        assert tok.text == text[tok.span.start : tok.span.end]
        line_start = text.rfind("\n", 0, tok.span.start) + 1
        assert tok.span.line == text.count("\n", 0, tok.span.start) + 1
        assert tok.span.column == tok.span.start - line_start + 1


def test_token_offsets_are_increasing_and_do_not_overlap() -> None:
    text = "a b=c | d := e + 1 // x\n/* y */ f"
    tokens = tokenize(text)
    for before, after in pairwise(tokens):
        assert before.span.end <= after.span.start


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("|", K.PIPE),
        ("(", K.LPAREN),
        (")", K.RPAREN),
        ("[", K.LBRACKET),
        ("]", K.RBRACKET),
        ("{", K.LBRACE),
        ("}", K.RBRACE),
        (",", K.COMMA),
        (";", K.SEMI),
        ("=", K.EQ),
        ("!=", K.NE),
        ("<", K.LT),
        ("<=", K.LE),
        (">", K.GT),
        (">=", K.GE),
        ("==", K.EQEQ),
        ("<=>", K.LINK),
        (":=", K.ASSIGN),
        ("=~", K.FIELD_CALL),
        ("=>", K.ARROW),
        ("!", K.BANG),
    ],
)
def test_punctuation_in_filter_mode(text: str, kind: K) -> None:
    tok = only(text)
    assert tok.kind is kind
    assert tok.text == text
    assert tok.span == Span(0, len(text), 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a!=b", [(K.WORD, "a"), (K.NE, "!="), (K.WORD, "b")]),
        ("a:=b", [(K.WORD, "a"), (K.ASSIGN, ":="), (K.WORD, "b")]),
        ("a<=>b", [(K.WORD, "a"), (K.LINK, "<=>"), (K.WORD, "b")]),
        (
            "a =~ f()",
            [(K.WORD, "a"), (K.FIELD_CALL, "=~"), (K.WORD, "f"), (K.LPAREN, "("), (K.RPAREN, ")")],
        ),
        ('"x" => y', [(K.STRING, '"x"'), (K.ARROW, "=>"), (K.WORD, "y")]),
        ("bytes>=1000", [(K.WORD, "bytes"), (K.GE, ">="), (K.WORD, "1000")]),
        ("a<5", [(K.WORD, "a"), (K.LT, "<"), (K.WORD, "5")]),
        ("!a", [(K.BANG, "!"), (K.WORD, "a")]),
    ],
)
def test_operators_split_words(text: str, expected: list[tuple[K, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "word",
    [
        "#event_simpleName",
        "@timestamp",
        "@rawstring",
        "ioc[0]",
        "a.b.c",
        "-encodedcommand",
        "C:\\Windows\\*",
        "*\\Temp\\*",
        "*smith",
        "*",
        "*.exe",
        "a*b",
        "m/fisk/i",
        "https://www.example.com/",
    ],
)
def test_filter_mode_words(word: str) -> None:
    tok = only(word)
    assert tok.kind is K.WORD
    assert tok.text == word
    assert tok.value is None


def test_tag_field_filter_tokens() -> None:
    assert kinds("#event_simpleName=ProcessRollup2") == [
        (K.WORD, "#event_simpleName"),
        (K.EQ, "="),
        (K.WORD, "ProcessRollup2"),
    ]


# --- strings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('""', ""),
        ('"foo bar"', "foo bar"),
        ('"a\\"b"', 'a"b'),
        ('"a\\\\b"', "a\\b"),
        ('"line\\nbreak"', "line\nbreak"),
        ('"end\\\\"', "end\\"),
        ('"\\q"', "\\q"),  # an unknown escape is kept as written
        ('"C:\\Windows\\System32"', "C:\\Windows\\System32"),
        ('"*foo*"', "*foo*"),
        ('"a|b;c(d)[e]{f}=g"', "a|b;c(d)[e]{f}=g"),
        ('"/* not a comment */"', "/* not a comment */"),
        ('"http://x // y"', "http://x // y"),
        ('"/x/i"', "/x/i"),
    ],
)
def test_string_values(source: str, value: str) -> None:
    tok = only(source)
    assert tok.kind is K.STRING
    assert tok.text == source
    assert tok.value == value
    assert tok.span == Span(0, len(source), 1, 1)


def test_string_span_in_context() -> None:
    tokens = tokenize('f = "a\\"b" x')
    assert [(t.kind, t.text, t.value, t.span) for t in tokens[:-1]] == [
        (K.WORD, "f", None, Span(0, 1, 1, 1)),
        (K.EQ, "=", None, Span(2, 3, 1, 3)),
        (K.STRING, '"a\\"b"', 'a"b', Span(4, 10, 1, 5)),
        (K.WORD, "x", None, Span(11, 12, 1, 12)),
    ]


def test_escaped_quote_does_not_end_string() -> None:
    assert kinds('"a\\" b" c') == [(K.STRING, '"a\\" b"'), (K.WORD, "c")]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('"abc', 1, 1),
        ('a = "abc', 1, 5),
        ('a\n  "abc', 2, 3),
        ('"abc\\"', 1, 1),  # the only quote is escaped
    ],
)
def test_unterminated_string(text: str, line: int, column: int) -> None:
    err = lex_error(text)
    assert err.code == "E003"
    assert (err.line, err.column) == (line, column)


# --- regex literals ----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "pattern", "flags"),
    [
        ("/fisk/", "fisk", ""),
        ("/fisk/i", "fisk", "i"),
        ("/a\\/b/i", "a\\/b", "i"),  # \/ is kept in the pattern
        ("/https?:\\/\\//", "https?:\\/\\/", ""),
        ("/[/]x/", "[/]x", ""),  # '/' inside a character class
        ("/[^/]+/", "[^/]+", ""),
        ("/(a/b)/", "(a/b)", ""),  # '/' inside an unclosed group
        ("/(?i)(msiexec\\.exe|installer)/", "(?i)(msiexec\\.exe|installer)", ""),
        ("/a\\\\/", "a\\\\", ""),  # an escaped backslash does not escape the '/'
        ("/x/imdgF", "x", "imdgF"),
        ("/ a b /", " a b ", ""),
        ("/a|b/", "a|b", ""),
    ],
)
def test_regex_literals(source: str, pattern: str, flags: str) -> None:
    tok = only(source)
    assert tok.kind is K.REGEX
    assert tok.text == source
    assert tok.value == (pattern, flags)
    assert tok.span == Span(0, len(source), 1, 1)


def test_regex_flags_stop_at_non_letters() -> None:
    tokens = tokenize("/x/i b")
    assert [(t.kind, t.text) for t in tokens[:-1]] == [(K.REGEX, "/x/i"), (K.WORD, "b")]
    assert tokens[0].value == ("x", "i")
    assert tokens[1].span == Span(5, 6, 1, 6)


def test_regex_after_equals() -> None:
    tokens = tokenize("cmd=/encodedcommand/i")
    assert [(t.kind, t.text) for t in tokens[:-1]] == [
        (K.WORD, "cmd"),
        (K.EQ, "="),
        (K.REGEX, "/encodedcommand/i"),
    ]
    assert tokens[2].value == ("encodedcommand", "i")
    assert tokens[2].span == Span(4, 21, 1, 5)


def test_regex_followed_by_closing_paren() -> None:
    assert kinds("(f=/a/)") == [
        (K.LPAREN, "("),
        (K.WORD, "f"),
        (K.EQ, "="),
        (K.REGEX, "/a/"),
        (K.RPAREN, ")"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("/abc", 1, 1),
        ("f=/abc", 1, 3),
        ("/(a", 1, 1),  # the group never closes, so neither does the literal
        ("/(a/b", 1, 1),
        ("/[a/", 1, 1),  # the class never closes
        ("/abc\\/", 1, 1),  # the last '/' is escaped
        ("/a\nb/", 1, 1),  # a regex literal does not span lines
        ("a\n  f=/abc", 2, 5),
    ],
)
def test_unterminated_regex(text: str, line: int, column: int) -> None:
    err = lex_error(text)
    assert err.code == "E004"
    assert (err.line, err.column) == (line, column)


def test_regex_in_operand_mode() -> None:
    tok = only("/x\\/y/i", Mode.OPERAND)
    assert tok.kind is K.REGEX
    assert tok.value == ("x\\/y", "i")


# --- comments and the '/' quirks -------------------------------------------


def test_line_comment_is_skipped() -> None:
    tokens = tokenize("a // comment | b\nc")
    assert [(t.text, t.span.line, t.span.column) for t in tokens[:-1]] == [("a", 1, 1), ("c", 2, 1)]


def test_line_comment_at_end_without_newline() -> None:
    text = "a // trailing"
    tokens = tokenize(text)
    assert [t.kind for t in tokens] == [K.WORD, K.EOF]
    assert 1 <= tokens[-1].span.start <= len(text)


def test_block_comment_across_lines() -> None:
    tokens = tokenize("a /* x\n y | z */ b")
    assert [(t.text, t.span) for t in tokens[:-1]] == [
        ("a", Span(0, 1, 1, 1)),
        ("b", Span(17, 18, 2, 11)),
    ]


@pytest.mark.parametrize(
    "text",
    ["// only a comment", "/* only */", "/**/", "/* a */ // b\n  ", "//\n//\n"],
)
def test_comment_only_input(text: str) -> None:
    assert [t.kind for t in tokenize(text)] == [K.EOF]


def test_block_comment_directly_before_a_word() -> None:
    assert kinds("/* a */b") == [(K.WORD, "b")]


def test_comments_inside_expressions() -> None:
    lexer = Lexer("x /* c */ * // d\n y")
    first = lexer.token(0, Mode.OPERAND)
    star = lexer.token(first.span.end, Mode.OPERATOR)
    last = lexer.token(star.span.end, Mode.OPERAND)
    assert (first.text, star.kind, last.text) == ("x", K.STAR, "y")
    assert last.span == Span(18, 19, 2, 2)


def test_url_is_one_free_text_word() -> None:
    # §1.1: a bare https://www.example.com/ is a free-text search for the whole string.
    tok = only("https://www.example.com/")
    assert tok.kind is K.WORD
    assert tok.text == "https://www.example.com/"


def test_url_as_filter_value_is_one_word() -> None:
    assert kinds("url=https://www.example.com/a/b") == [
        (K.WORD, "url"),
        (K.EQ, "="),
        (K.WORD, "https://www.example.com/a/b"),
    ]


def test_https_colon_space_slash_slash_is_word_then_comment() -> None:
    # §1.1: `https: //www.example.com/` is the free text `https:` followed by a comment.
    tokens = tokenize("https: //www.example.com/")
    assert [(t.kind, t.text) for t in tokens] == [(K.WORD, "https:"), (K.EOF, "")]
    assert tokens[0].span == Span(0, 6, 1, 1)


def test_https_colon_comment_then_next_line() -> None:
    assert kinds("https: //x\nfoo") == [(K.WORD, "https:"), (K.WORD, "foo")]


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("/* never closed", 1, 1),
        ("a /* x", 1, 3),
        ("a\n  b /* x\n y", 2, 5),
        ("/* a */ /* b", 1, 9),
    ],
)
def test_unterminated_block_comment(text: str, line: int, column: int) -> None:
    err = lex_error(text)
    assert err.code == "E002"
    assert (err.line, err.column) == (line, column)


# --- parameters and saved queries ----------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("?param", ("param", None)),
        ("?host.name", ("host.name", None)),
        ("?zoom-event-type", ("zoom-event-type", None)),  # CrowdStrike's dashboards
        ("?a.b-c.d", ("a.b-c.d", None)),
        ("?{name=default}", ("name", "default")),
        ("?{name}", ("name", None)),
        ('?{name="a b"}', ("name", "a b")),
        ('?{ name = "x\\"y" }', ("name", 'x"y')),
        ("?{ name = some value }", ("name", "some value")),
    ],
)
def test_parameters(source: str, value: tuple[str, str | None]) -> None:
    tok = only(source)
    assert tok.kind is K.PARAM
    assert tok.text == source
    assert tok.value == value
    assert tok.span == Span(0, len(source), 1, 1)


def test_a_hyphen_joins_a_parameter_name_only_before_a_word_character() -> None:
    kinds = [(t.kind, t.text) for t in tokenize("?n - 1") if t.kind is not K.EOF]
    assert kinds[0] == (K.PARAM, "?n") and len(kinds) == 3
    assert next(t.text for t in tokenize("?n-") if t.kind is not K.EOF) == "?n"


def test_parameter_as_filter_value() -> None:
    tokens = tokenize("f=?{p=abc} g")
    assert [(t.kind, t.text) for t in tokens[:-1]] == [
        (K.WORD, "f"),
        (K.EQ, "="),
        (K.PARAM, "?{p=abc}"),
        (K.WORD, "g"),
    ]
    assert tokens[2].value == ("p", "abc")
    assert tokens[2].span == Span(2, 10, 1, 3)


@pytest.mark.parametrize("text", ["?", "? x", "?{}", "?{name=x", "?{name x}"])
def test_malformed_parameters(text: str) -> None:
    err = lex_error(text)
    assert err.code == "E005"
    assert (err.line, err.column) == (1, 1)


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("$saved", "saved"),
        ("$my_query", "my_query"),
        ('$"pkg/name"', "pkg/name"),
        ('$"name with spaces"', "name with spaces"),
    ],
)
def test_saved_query_names(source: str, value: str) -> None:
    tok = only(source)
    assert tok.kind is K.SAVED
    assert tok.text == source
    assert tok.value == value
    assert tok.span == Span(0, len(source), 1, 1)


def test_saved_query_call_tokens() -> None:
    assert kinds('$"pkg/name"(x=1)', Mode.OPERAND)[:2] == [
        (K.SAVED, '$"pkg/name"'),
        (K.LPAREN, "("),
    ]


@pytest.mark.parametrize("text", ["$", "$ x", "$("])
def test_saved_query_without_a_name(text: str) -> None:
    err = lex_error(text)
    assert err.code == "E006"
    assert (err.line, err.column) == (1, 1)


def test_unterminated_quoted_saved_query_name() -> None:
    err = lex_error('$"pkg/name')
    assert err.code == "E003"
    assert (err.line, err.column) == (1, 2)


# --- modes: '/' and '*' ------------------------------------------------------


def test_slash_is_a_regex_in_filter_and_operand_mode() -> None:
    for mode in (Mode.FILTER, Mode.OPERAND):
        tok = Lexer("/ b /").token(0, mode)
        assert tok.kind is K.REGEX
        assert tok.value == (" b ", "")


def test_slash_is_division_in_operator_mode() -> None:
    tok = Lexer("/ b /").token(0, Mode.OPERATOR)
    assert tok.kind is K.SLASH
    assert tok.span == Span(0, 1, 1, 1)


def test_star_is_a_wildcard_word_in_filter_and_operand_mode() -> None:
    for mode in (Mode.FILTER, Mode.OPERAND):
        tok = Lexer("*").token(0, mode)
        assert (tok.kind, tok.text) == (K.WORD, "*")


def test_star_is_multiplication_in_operator_mode() -> None:
    tok = Lexer("* b").token(0, Mode.OPERATOR)
    assert (tok.kind, tok.text) == (K.STAR, "*")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("+", K.PLUS),
        ("-", K.MINUS),
        ("%", K.PERCENT),
        ("&&", K.AND_AND),
        ("||", K.OR_OR),
        ("==", K.EQEQ),
    ],
)
def test_operator_mode_arithmetic_and_logic(text: str, kind: K) -> None:
    tok = Lexer(text + " x").token(0, Mode.OPERATOR)
    assert (tok.kind, tok.text) == (kind, text)


def test_a_star_b_is_a_product_when_lexed_as_an_expression() -> None:
    # The parser asks for an operand, then an operator, then an operand.
    lexer = Lexer("a*b")
    a = lexer.token(0, Mode.OPERAND)
    star = lexer.token(a.span.end, Mode.OPERATOR)
    b = lexer.token(star.span.end, Mode.OPERAND)
    assert [(t.kind, t.text, t.span.start) for t in (a, star, b)] == [
        (K.WORD, "a", 0),
        (K.STAR, "*", 1),
        (K.WORD, "b", 2),
    ]


def test_a_slash_b_is_a_quotient_when_lexed_as_an_expression() -> None:
    lexer = Lexer("a/b")
    a = lexer.token(0, Mode.OPERAND)
    slash = lexer.token(a.span.end, Mode.OPERATOR)
    b = lexer.token(slash.span.end, Mode.OPERAND)
    assert [(t.kind, t.text) for t in (a, slash, b)] == [
        (K.WORD, "a"),
        (K.SLASH, "/"),
        (K.WORD, "b"),
    ]


def test_a_star_b_is_one_glob_word_in_filter_mode() -> None:
    assert kinds("a*b") == [(K.WORD, "a*b")]


@pytest.mark.parametrize("word", ["*.exe", "*foo*", "**"])
def test_wildcard_words_in_operand_mode(word: str) -> None:
    tok = Lexer(word).token(0, Mode.OPERAND)
    assert (tok.kind, tok.text) == (K.WORD, word)


@pytest.mark.parametrize("text", ["cmd*", "cmd*)", "cmd*, x", "cmd*]"])
def test_trailing_star_word_in_operand_mode(text: str) -> None:
    tok = Lexer(text).token(0, Mode.OPERAND)
    assert (tok.kind, tok.text) == (K.WORD, "cmd*")


@pytest.mark.parametrize("word", ["crypto:md5", "text:contains", "@timestamp", "a.b[0].c", "#repo"])
def test_identifiers_in_operand_mode(word: str) -> None:
    tok = Lexer(word + ")").token(0, Mode.OPERAND)
    assert (tok.kind, tok.text) == (K.WORD, word)


def test_minus_is_a_sign_in_operand_mode_but_part_of_a_word_in_filter_mode() -> None:
    assert kinds("-1", Mode.OPERAND) == [(K.MINUS, "-"), (K.WORD, "1")]
    assert kinds("-1", Mode.FILTER) == [(K.WORD, "-1")]


def test_pipe_in_every_mode() -> None:
    for mode in (Mode.FILTER, Mode.OPERAND, Mode.OPERATOR):
        assert Lexer("| x").token(0, mode).kind is K.PIPE


def test_same_position_gives_mode_specific_tokens() -> None:
    lexer = Lexer("x */y/")
    star = lexer.token(1, Mode.OPERATOR)
    assert (star.kind, star.span.start) == (K.STAR, 2)
    wild = lexer.token(1, Mode.OPERAND)
    assert (wild.kind, wild.text) == (K.WORD, "*")
    assert lexer.token(3, Mode.OPERAND).kind is K.REGEX
    assert lexer.token(3, Mode.OPERAND).value == ("y", "")
    assert lexer.token(3, Mode.OPERATOR).kind is K.SLASH


# --- errors are CQLSyntaxError with a position ------------------------------


def test_lexer_error_renders_a_caret() -> None:
    err = lex_error('a = "abc')
    text = err.render()
    lines = text.split("\n")
    assert lines[0].startswith("<query>:1:5: error E003: ")
    assert lines[1] == 'a = "abc'
    assert lines[2] == "    ^"

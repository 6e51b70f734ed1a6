"""Every ``CQLError`` carries ``code``, ``line`` and ``column`` (those of its
first error diagnostic, 1-based as the rendered message shows them), the
same for a syntax error as for a compile error."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.codes import CODES
from cqlmatch.errors import CQLCompileError, CQLError, CQLSyntaxError, Diagnostic, SourceMap


def _error(text: str) -> CQLError:
    with pytest.raises(CQLError) as info:
        cqlmatch.compile(text)
    return info.value


def test_syntax_error_fields() -> None:
    err = _error("a=1\n| b=2 )")
    assert isinstance(err, CQLSyntaxError)
    assert (err.code, err.line, err.column) == ("E100", 2, 7)
    assert err.message == "unexpected ')'"
    assert err.expected is not None
    assert err.span.line == 2 and err.source_line == "| b=2 )"
    assert err.errors == list(err.diagnostics)
    assert err.render().startswith("<query>:2:7: error E100: unexpected ')'")


def test_compile_error_fields_are_the_first_errors() -> None:
    err = _error("x := 1\n| groupby2(a) | count(fiel=b)")
    assert isinstance(err, CQLCompileError)
    assert [d.code for d in err.errors] == ["E201", "E204"]
    assert (err.code, err.line, err.column) == ("E201", 2, 3)
    assert err.message.startswith("unknown function groupby2()")
    assert err.source_line == "| groupby2(a) | count(fiel=b)"


def test_a_warning_before_the_error_does_not_name_it() -> None:
    # The positional if() (W301) comes first in the text; the error is E201.
    err = _error('x := if(n > 1, "a", "b") | nosuch()')
    assert [d.code for d in err.diagnostics] == ["W301", "E201"]
    assert (err.code, err.line, err.column) == ("E201", 1, 28)


def test_a_compile_error_of_warnings_only_is_named_by_the_first() -> None:
    span = SourceMap("a b").span(2, 3)
    err = CQLCompileError("a b", [Diagnostic("warning", "W320", "never", span)])
    assert (err.code, err.line, err.column) == ("W320", 1, 3)


def test_a_compile_error_needs_a_diagnostic() -> None:
    with pytest.raises(ValueError):
        CQLCompileError("a", [])


@pytest.mark.parametrize(
    "code",
    # (E225, E226 and E231 need a file or a budget beside the example: test_codes.py)
    sorted(
        c for c, e in CODES.items() if e.severity == "error" and c not in ("E225", "E226", "E231")
    ),
)
def test_fields_match_the_rendered_message(code: str) -> None:
    err = _error(CODES[code].example)
    assert err.code == code
    first = err.diagnostic
    assert first.severity == "error" and first.code == code
    assert (err.line, err.column) == (first.span.line, first.span.column)
    assert err.line >= 1 and err.column >= 1
    assert f"<query>:{err.line}:{err.column}: error {code}: " in err.render()

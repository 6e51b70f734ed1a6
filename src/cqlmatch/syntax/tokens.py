"""Token kinds and the token record the lexer produces."""

from __future__ import annotations

from enum import Enum

from ..errors import Span
from ..records import Record, record


class TokenKind(Enum):
    WORD = "word"  # unquoted text: field names, values, keywords, numbers
    STRING = "string"  # "double quoted"; value holds the unescaped text
    REGEX = "regex"  # /pattern/flags; value holds (pattern, flags)
    PARAM = "param"  # ?name or ?{name=default}; value holds (name, default)
    SAVED = "saved"  # $name or $"name"; value holds the name
    PIPE = "|"
    LPAREN = "("
    RPAREN = ")"
    LBRACKET = "["
    RBRACKET = "]"
    LBRACE = "{"
    RBRACE = "}"
    COMMA = ","
    SEMI = ";"
    COLON = ":"
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQEQ = "=="
    LINK = "<=>"
    ASSIGN = ":="
    FIELD_CALL = "=~"
    ARROW = "=>"
    BANG = "!"
    PLUS = "+"
    MINUS = "-"
    STAR = "*"
    SLASH = "/"
    PERCENT = "%"
    AND_AND = "&&"
    OR_OR = "||"
    EOF = "end of query"

    # Identity hashing in C: kinds are looked up in sets on every token.
    __hash__ = object.__hash__


@record
class Token(Record):
    """One token: its kind, the exact source text, a decoded value and its span."""

    kind: TokenKind
    text: str
    span: Span
    value: object = None

    def describe(self) -> str:
        """How error messages name this token."""
        if self.kind is TokenKind.EOF:
            return "end of query"
        return repr(self.text if len(self.text) <= 40 else self.text[:37] + "...")

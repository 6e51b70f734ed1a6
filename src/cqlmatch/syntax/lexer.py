"""The CQL lexer: text to tokens with spans.

CQL cannot be tokenised without knowing where the parser is: ``/`` starts a
regex where a value is expected but divides inside an expression, and ``*`` is
a wildcard in a filter value but multiplies after an operand.  So the lexer is
pulled by the parser, which names the mode for each token:

``FILTER``
    pipeline stages, field filters and their values.  Unquoted words are
    broad (``C:\\Windows\\*``, ``https://host/path``, ``-encodedcommand``).
``OPERAND``
    where an expression operand is expected (function arguments, the right of
    ``:=``): ``/`` opens a regex literal, ``*`` starts a wildcard word, words are
    identifiers (``a.b[0].c``, ``crypto:md5``, ``@timestamp``) or numbers.
``OPERATOR``
    after an expression operand: ``/ * + - %`` are arithmetic operators.

``tokenize()`` runs the lexer over a whole text in ``FILTER`` mode, which is
how a query reads at its top level; it exists for tests and debugging.
"""

from __future__ import annotations

import re

from ..errors import CQLSyntaxError, SourceMap
from .tokens import Token, TokenKind


class Mode:
    """Lexer modes; plain ints because the token cache is keyed on them."""

    FILTER = 0
    OPERAND = 1
    OPERATOR = 2


# A filter-mode word runs until whitespace or a character with syntactic
# meaning.  ``!`` and ``:`` end it only as part of ``!=`` and ``:=``; an array
# index such as ``ioc[0]`` or ``f[]`` stays part of a field name.
_FILTER_WORD = re.compile(r"""(?:[^\s|()\[\]{},;"=<>!:]|!(?!=)|:(?!=)|(?<=\S)\[\d*\])+""")
# An expression identifier or number.  ``:`` joins a namespace (``text:contains``).
_EXPR_WORD = re.compile(r"(?:[\w.@#\\$]|:(?=[\w@#])|(?<=[\w\]])\[\d*\])+")
# Wildcard words in operand position (``*.exe``, ``cmd*``); a ``*`` after an
# identifier is absorbed only when no operand follows it, so ``a*b`` multiplies.
_EXPR_WILD = re.compile(r"(?:\*+(?:[\w.@#\\$]|:(?=[\w@#]))*)+")
_LOOSE_WORD = re.compile(r"""[^\s|()\[\]{},;"=<>!\w.@#\\$*/+\-:?][^\s|()\[\]{},;"=<>]*""")
_TRAILING_STARS = re.compile(r"\*+(?=\s*[,\])};|]|\s*$)")
# ``?zoom-event-type``: CrowdStrike's own dashboards name parameters with
# hyphens; a hyphen belongs to the name when a word character follows it
# (``?n - 1`` with spaces subtracts)
_PARAM_NAME = re.compile(r"[\w.]+(?:-[\w.]+)*")
_BRACED_PARAM_NAME = re.compile(r"[\w.\-:]+")
_SAVED_NAME = re.compile(r"[\w./:\-]+")
_REGEX_FLAGS = re.compile(r"[A-Za-z]*")
_WHITESPACE = re.compile(r"\s+")

_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}

# Punctuation shared by every mode, longest first.
_COMMON_PUNCT = (
    ("<=>", TokenKind.LINK),
    (":=", TokenKind.ASSIGN),
    ("=~", TokenKind.FIELD_CALL),
    ("=>", TokenKind.ARROW),
    ("==", TokenKind.EQEQ),
    ("!=", TokenKind.NE),
    ("<=", TokenKind.LE),
    (">=", TokenKind.GE),
    ("=", TokenKind.EQ),
    ("<", TokenKind.LT),
    (">", TokenKind.GT),
    ("!", TokenKind.BANG),
    ("(", TokenKind.LPAREN),
    (")", TokenKind.RPAREN),
    ("[", TokenKind.LBRACKET),
    ("]", TokenKind.RBRACKET),
    ("{", TokenKind.LBRACE),
    ("}", TokenKind.RBRACE),
    (",", TokenKind.COMMA),
    (";", TokenKind.SEMI),
)
_EXPR_PUNCT = (
    ("&&", TokenKind.AND_AND),
    ("||", TokenKind.OR_OR),
    ("|", TokenKind.PIPE),
    ("+", TokenKind.PLUS),
    ("-", TokenKind.MINUS),
    ("%", TokenKind.PERCENT),
    (":", TokenKind.COLON),
)
_PUNCT_BY_CHAR: dict[str, list[tuple[str, TokenKind]]] = {}
for _punct, _kind in _COMMON_PUNCT:
    _PUNCT_BY_CHAR.setdefault(_punct[0], []).append((_punct, _kind))

# Where an operand is expected only signs and the tokens that end an
# expression are punctuation; anything else (``%Y``) reads as a word.
_OPERAND_PUNCT = tuple(p for p in _EXPR_PUNCT if p[0] in ("&&", "||", "|", "+", "-"))


_SURROGATE = re.compile("[\ud800-\udfff]")


class Lexer:
    """Produces the token at a position in a given mode; holds no cursor."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.source = SourceMap(text)
        self._cache: tuple[dict[int, Token], ...] = ({}, {}, {})
        #: every comment trivia skipping met: start offset -> end offset
        #: (``syntax.comments`` keeps those the final parse really skipped)
        self.comments: dict[int, int] = {}
        bad = _SURROGATE.search(text)
        if bad is not None:
            # Not Unicode text (undecodable bytes, a broken UTF-16 pair): no
            # file or program could hold the query, so refuse it here.
            raise self.error(
                "E010",
                f"lone surrogate U+{ord(bad.group()):04X}: the query is not valid Unicode text",
                bad.start(),
                bad.start() + 1,
                "valid UTF-8 text",
            )

    def error(self, code: str, message: str, start: int, end: int | None = None, expected=None):
        return CQLSyntaxError(code, message, self.text, self.source.span(start, end), expected)

    def skip_trivia(self, pos: int) -> int:
        """Skip whitespace and comments; ``// ...`` and ``/* ... */``."""
        text = self.text
        while True:
            m = _WHITESPACE.match(text, pos)
            if m:
                pos = m.end()
            if text.startswith("//", pos):
                newline = text.find("\n", pos)
                self.comments[pos] = len(text) if newline < 0 else newline
                pos = len(text) if newline < 0 else newline + 1
            elif text.startswith("/*", pos):
                close = text.find("*/", pos + 2)
                if close < 0:
                    raise self.error("E002", "unterminated /* comment", pos, pos + 2, "'*/'")
                self.comments[pos] = close + 2
                pos = close + 2
            else:
                return pos

    def token(self, pos: int, mode: int) -> Token:
        """The token starting at or after ``pos`` (after trivia) in ``mode``."""
        cache = self._cache[mode]
        cached = cache.get(pos)
        if cached is None:
            cached = cache[pos] = self._lex(pos, mode)
        return cached

    def _make(self, kind: TokenKind, start: int, end: int, value: object = None) -> Token:
        return Token(kind, self.text[start:end], self.source.span(start, end), value)

    def _lex(self, pos: int, mode: int) -> Token:
        text = self.text
        start = self.skip_trivia(pos)
        if start >= len(text):
            # Point at the end of the last text, not at a blank last line.
            end = len(text.rstrip())
            return Token(TokenKind.EOF, "", self.source.span(end, end))
        ch = text[start]
        if ch == '"':
            return self._string(start)
        if ch == "/" and mode is not Mode.OPERATOR:
            return self._regex(start)
        if ch == "?":
            return self._param(start)
        if ch == "$":
            return self._saved(start)
        if ch == "`":
            raise self.error(
                "E008",
                "back-quoted dynamic field names are not supported",
                start,
                start + 1,
                "a field name, or a quoted string",
            )
        if mode is not Mode.FILTER:
            token = self._expr_token(start, mode)
            if token is not None:
                return token
        elif ch == "|":
            return self._make(TokenKind.PIPE, start, start + 1)
        for punct, kind in _PUNCT_BY_CHAR.get(ch, ()):
            if text.startswith(punct, start):
                return self._make(kind, start, start + len(punct))
        m = _FILTER_WORD.match(text, start) if mode is Mode.FILTER else None
        if m is None or m.end() == start:
            raise self.error(
                "E001", f"unexpected character {ch!r}", start, start + 1, "a filter, '|' or a value"
            )
        end = m.end()
        if text.startswith("//", end - 2) and end - start > 2:
            # ``https://`` alone: LogScale reads the ``//`` as a comment start.
            raise self.error(
                "E009",
                "'//' ends this word and would start a comment",
                end - 2,
                end,
                'a quoted string ("https://") or a space before the comment',
            )
        return self._make(TokenKind.WORD, start, end)

    def _expr_token(self, start: int, mode: int) -> Token | None:
        text = self.text
        if mode is Mode.OPERATOR:
            if text.startswith("*", start):
                return self._make(TokenKind.STAR, start, start + 1)
            if text.startswith("/", start):
                return self._make(TokenKind.SLASH, start, start + 1)
        elif text.startswith("*", start):
            m = _EXPR_WILD.match(text, start)
            return self._make(TokenKind.WORD, start, m.end())
        for punct, kind in _EXPR_PUNCT if mode is Mode.OPERATOR else _OPERAND_PUNCT:
            if text.startswith(punct, start) and not text.startswith(":=", start):
                return self._make(kind, start, start + len(punct))
        m = _EXPR_WORD.match(text, start)
        if m is None:
            if mode is Mode.OPERAND:
                # Text that cannot start an operand (``^apples$``, ``%Y-%m-%d``)
                # is an unquoted string, read as in a filter.
                m = _LOOSE_WORD.match(text, start)
                if m is not None:
                    return self._make(TokenKind.WORD, start, m.end())
            return None
        end = m.end()
        if mode is Mode.OPERAND:
            stars = _TRAILING_STARS.match(text, end)
            if stars:
                end = stars.end()
                more = _EXPR_WILD.match(text, end)
                if more and more.end() > end:
                    end = more.end()
        return self._make(TokenKind.WORD, start, end)

    def _string(self, start: int) -> Token:
        text = self.text
        out: list[str] = []
        i = start + 1
        while i < len(text):
            ch = text[i]
            if ch == '"':
                return self._make(TokenKind.STRING, start, i + 1, "".join(out))
            if ch == "\\" and i + 1 < len(text):
                nxt = text[i + 1]
                out.append(_STRING_ESCAPES.get(nxt, "\\" + nxt))
                i += 2
                continue
            out.append(ch)
            i += 1
        raise self.error("E003", "unterminated string", start, start + 1, "a closing '\"'")

    def _regex(self, start: int) -> Token:
        """``/pattern/flags``: ``\\/`` escapes a slash.  A slash inside a
        character class or an unclosed group does not end the literal: the
        pattern would be invalid if it ended there.  The pattern keeps its
        escapes exactly as written."""
        text = self.text
        i = start + 1
        in_class = False
        depth = 0
        while i < len(text):
            ch = text[i]
            if ch == "\\":
                i += 2
                continue
            if ch == "\n":
                break
            if in_class:
                if ch == "]":
                    in_class = False
            elif ch == "[":
                in_class = True
                # A ']' right after '[' or '[^' is a literal member of the class.
                if text.startswith("^]", i + 1):
                    i += 2
                elif text.startswith("]", i + 1):
                    i += 1
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "/" and depth <= 0:
                flags = _REGEX_FLAGS.match(text, i + 1)
                return self._make(
                    TokenKind.REGEX, start, flags.end(), (text[start + 1 : i], flags.group())
                )
            i += 1
        raise self.error(
            "E004", "unterminated regex literal", start, start + 1, "a closing '/' on the same line"
        )

    def _param(self, start: int) -> Token:
        text = self.text
        if text.startswith("{", start + 1):
            close = start + 2
            name_m = _BRACED_PARAM_NAME.match(text, self.skip_trivia(close))
            if name_m is None:
                raise self.error(
                    "E005", "parameter without a name", start, start + 2, "?{name=default}"
                )
            close = self.skip_trivia(name_m.end())
            default: str | None = None
            if text.startswith("=", close):
                value_start = self.skip_trivia(close + 1)
                if text.startswith('"', value_start):
                    tok = self._string(value_start)
                    default = str(tok.value)
                    close = tok.span.end
                else:
                    end = text.find("}", value_start)
                    if end < 0:
                        raise self.error(
                            "E005", "unterminated ?{parameter}", start, start + 2, "'}'"
                        )
                    default = text[value_start:end].strip()
                    close = end
            close = self.skip_trivia(close)
            if not text.startswith("}", close):
                raise self.error(
                    "E005", "malformed ?{parameter}", start, close + 1, "'}' after the default"
                )
            return self._make(TokenKind.PARAM, start, close + 1, (name_m.group(), default))
        name_m = _PARAM_NAME.match(text, start + 1)
        if name_m is None:
            raise self.error(
                "E005", "'?' must be followed by a parameter name", start, start + 1, "?name"
            )
        return self._make(TokenKind.PARAM, start, name_m.end(), (name_m.group(), None))

    def _saved(self, start: int) -> Token:
        if self.text.startswith('"', start + 1):
            tok = self._string(start + 1)
            return self._make(TokenKind.SAVED, start, tok.span.end, tok.value)
        m = _SAVED_NAME.match(self.text, start + 1)
        if m is None:
            raise self.error(
                "E006",
                "'$' must be followed by a saved query name",
                start,
                start + 1,
                '$name() or $"pkg/name"()',
            )
        return self._make(TokenKind.SAVED, start, m.end(), m.group())


def tokenize(text: str, mode: int = Mode.FILTER) -> list[Token]:
    """All tokens of ``text`` read in one mode, ending with ``EOF``."""
    lexer = Lexer(text)
    tokens = []
    pos = 0
    while True:
        tok = lexer.token(pos, mode)
        tokens.append(tok)
        if tok.kind is TokenKind.EOF:
            return tokens
        pos = tok.span.end

"""Recursive-descent parser: CQL text to a ``Pipeline``.

Grammar, loosest binding first (keywords in any letter case)::

    query      := pipeline EOF
    pipeline   := stage? ('|' stage?)*
    stage      := 'case' '{' pipeline (';' pipeline)* ';'? '}'
                | field 'match' '{' arm (';' arm)* ';'? '}'
                | field ':=' expr
                | field '=~' call
                | and_filter
    and_filter := or_filter ('AND'? or_filter)*      juxtaposition is AND
    or_filter  := not_filter ('OR' not_filter)*      OR binds tighter than AND
    not_filter := ('NOT' | '!') not_filter | primary
    primary    := '(' and_filter ')' | call | saved_call | 'true' | 'false'
                | field ('='|'!='|'like') value | field ('<'|'<='|'>'|'>=') number
                | field '<=>' field | free_text

Expressions (``:=``, function arguments) use conventional precedence::

    expr := or ; or := and (('or'|'||') and)* ; and := not (('and'|'&&') not)*
    not  := ('!'|'not') not | cmp ; cmp := add (('=='|'!='|'<'|'<='|'>'|'>='|'<=>') add)?
    add  := mul (('+'|'-') mul)* ; mul := unary (('*'|'/'|'%') unary)*
    unary := ('-'|'+') unary | primary

A regex literal is an expression only as a whole argument value
(``regex(/x/)``, ``if(F=/x/, ...)``); ``a := /x/`` is an error, as in LogScale.
"""

from __future__ import annotations

import re

from ..errors import CQLSyntaxError, Span
from ..lang.lazyre import lazy
from ..limits import MAX_DEPTH, MAX_EXPR_DEPTH
from . import ast as A
from .comments import Comment, collect
from .lexer import Lexer, Mode
from .tokens import Token, TokenKind as K

REGEX_FLAGS = frozenset("imdgF")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+")
_SIGNED_NUMBER = lazy(r"[+-]?(?:\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+)")
_FUNCTION_NAME = re.compile(r"[A-Za-z_][\w]*(?::[A-Za-z_][\w]*)*")
_STAGE_END = frozenset({K.PIPE, K.RPAREN, K.RBRACE, K.SEMI, K.EOF})
_COMPARE_OPS = {K.EQ: "=", K.NE: "!=", K.LT: "<", K.LE: "<=", K.GT: ">", K.GE: ">="}
_EXPR_COMPARE = {
    K.EQEQ: "==",
    K.NE: "!=",
    K.LT: "<",
    K.LE: "<=",
    K.GT: ">",
    K.GE: ">=",
    K.LINK: "<=>",
}
_ADDITIVE = {K.PLUS: "+", K.MINUS: "-"}
_MULTIPLICATIVE = {K.STAR: "*", K.SLASH: "/", K.PERCENT: "%"}


def parse(text: str) -> A.Pipeline:
    """Parse a whole query; raises ``CQLSyntaxError`` and nothing else."""
    return Parser(text).parse_query()


def parse_with_comments(text: str) -> tuple[A.Pipeline, tuple[Comment, ...]]:
    """``parse``, and the query's comments in source order (for the printer:
    ``format_query(tree, comments=...)`` prints them where they stood)."""
    parser = Parser(text)
    tree = parser.parse_query()
    return tree, collect(text, parser.lexer.comments, tree)


def _is_keyword(tok: Token, *words: str) -> bool:
    return tok.kind is K.WORD and tok.text.lower() in words


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.lexer = Lexer(text)
        self.pos = 0
        self.depth = 0
        self.chained = 0  # binary operators open in expression chains

    # --- token plumbing --------------------------------------------------------

    def peek(self, mode: int = Mode.FILTER) -> Token:
        return self.lexer.token(self.pos, mode)

    def after(self, tok: Token, mode: int = Mode.FILTER) -> Token:
        """The token following ``tok`` (without consuming anything)."""
        return self.lexer.token(tok.span.end, mode)

    def take(self, tok: Token) -> Token:
        self.pos = tok.span.end
        return tok

    def expect(self, kind: K, mode: int, what: str) -> Token:
        tok = self.peek(mode)
        if tok.kind is not kind:
            raise self.error("E100", f"unexpected {tok.describe()}", tok.span, what)
        return self.take(tok)

    def error(self, code: str, message: str, span: Span, expected: str | None = None):
        return CQLSyntaxError(code, message, self.text, span, expected)

    def span_from(self, start: Span) -> Span:
        return self.lexer.source.span(start.start, max(self.pos, start.start))

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(
                "E110",
                f"nesting deeper than {MAX_DEPTH} levels",
                tok.span,
                "a flatter query",
            )

    def leave(self) -> None:
        self.depth -= 1

    # --- pipelines and stages ------------------------------------------------

    def parse_query(self) -> A.Pipeline:
        try:
            pipeline = self.parse_pipeline(frozenset({K.EOF}))
        except RecursionError:
            raise self.error(
                "E110",
                "query nests too deeply",
                self.lexer.source.span(self.pos, self.pos + 1),
                "a flatter query",
            ) from None
        tok = self.peek()
        if tok.kind is not K.EOF:
            raise self.error(
                "E100", f"unexpected {tok.describe()}", tok.span, "'|' or end of query"
            )
        return pipeline

    def parse_pipeline(self, terminators: frozenset[K]) -> A.Pipeline:
        start = self.peek().span
        stages: list[A.Node] = []
        while True:
            tok = self.peek()
            if tok.kind is K.PIPE:
                self.take(tok)
                continue
            if tok.kind in terminators:
                break
            stages.append(self.parse_stage())
            tok = self.peek()
            if tok.kind is K.PIPE:
                self.take(tok)
            elif tok.kind not in terminators:
                raise self.stage_end_error(tok, terminators)
        return A.Pipeline(tuple(stages), span=self.span_from(start))

    def stage_end_error(self, tok: Token, terminators: frozenset[K]) -> CQLSyntaxError:
        expected = ["'|'"]
        if K.SEMI in terminators:
            expected.append("';'")
        if K.RBRACE in terminators:
            expected.append("'}'")
        if K.EOF in terminators:
            expected.append("end of query")
        if tok.kind is K.ASSIGN:
            return self.error(
                "E105",
                "an assignment must be a stage of its own",
                tok.span,
                "'|' before the assigned field",
            )
        return self.error("E100", f"unexpected {tok.describe()}", tok.span, " or ".join(expected))

    def parse_stage(self) -> A.Node:
        tok = self.peek()
        if tok.kind is K.LBRACKET:
            return self.parse_array()
        if tok.kind in (K.WORD, K.STRING):
            nxt = self.after(tok)
            if _is_keyword(tok, "case") and nxt.kind is K.LBRACE:
                return self.parse_case()
            if nxt.kind is K.ASSIGN:
                return self.parse_assign()
            if nxt.kind is K.FIELD_CALL:
                return self.parse_field_call()
            if _is_keyword(nxt, "match") and self.after(nxt).kind is K.LBRACE:
                return self.parse_match()
        return self.parse_and()

    def field_name(self, tok: Token) -> str:
        if tok.kind is K.STRING:
            return str(tok.value)
        if tok.kind is K.WORD:
            return tok.text
        raise self.error(
            "E101", f"expected a field name, found {tok.describe()}", tok.span, "a field name"
        )

    def parse_case(self) -> A.Case:
        start = self.take(self.peek())
        self.enter(start)
        self.expect(K.LBRACE, Mode.FILTER, "'{' after case")
        branches = self.parse_branches("case", lambda: self.parse_pipeline(_BRANCH_END))
        self.leave()
        return A.Case(tuple(branches), span=self.span_from(start.span))

    def parse_branches(self, what: str, parse_one) -> list:
        branches = []
        while True:
            tok = self.peek()
            if tok.kind is K.RBRACE:
                self.take(tok)
                return branches
            if tok.kind is K.SEMI:
                raise self.error(
                    "E102",
                    f"empty {what} branch",
                    tok.span,
                    "a filter; write '*' for a branch that keeps every event",
                )
            branch = parse_one()
            if isinstance(branch, A.Pipeline) and not branch.stages:
                raise self.error(
                    "E102",
                    f"empty {what} branch",
                    self.peek().span,
                    "a filter; write '*' for a branch that keeps every event",
                )
            branches.append(branch)
            tok = self.peek()
            if tok.kind is K.SEMI:
                self.take(tok)
                continue
            if tok.kind is not K.RBRACE:
                raise self.error("E100", f"unexpected {tok.describe()}", tok.span, "';' or '}'")

    def parse_match(self) -> A.MatchStmt:
        field_tok = self.take(self.peek())
        self.enter(field_tok)
        self.take(self.peek())  # 'match'
        self.expect(K.LBRACE, Mode.FILTER, "'{' after match")
        arms = self.parse_branches("match", self.parse_arm)
        self.leave()
        return A.MatchStmt(
            self.field_name(field_tok), tuple(arms), span=self.span_from(field_tok.span)
        )

    def parse_arm(self) -> A.MatchArm:
        tok = self.peek()
        if tok.kind is K.STRING:
            pattern: A.Node = A.Str(str(tok.value), span=self.take(tok).span)
        elif tok.kind is K.REGEX:
            pattern = self.regex(self.take(tok))
        elif tok.kind is K.PARAM:
            pattern = self.param(self.take(tok))
        elif tok.kind is K.WORD and self.after(tok).kind is K.LPAREN:
            pattern = self.parse_call()
        elif tok.kind is K.WORD:
            pattern = A.Bare(tok.text, span=self.take(tok).span)
        else:
            raise self.error("E100", f"unexpected {tok.describe()}", tok.span, "a match pattern")
        self.expect(K.ARROW, Mode.FILTER, "'=>' after the match pattern")
        body = self.parse_pipeline(_BRANCH_END)
        if not body.stages:
            raise self.error("E102", "empty match arm", self.peek().span, "a pipeline after '=>'")
        return A.MatchArm(pattern, body, span=self.span_from(tok.span))

    def parse_assign(self, mode: int = Mode.FILTER) -> A.Assign:
        field_tok = self.take(self.peek(mode))
        self.take(self.peek(Mode.OPERATOR))  # ':='
        value = self.parse_expr()
        return A.Assign(self.field_name(field_tok), value, span=self.span_from(field_tok.span))

    def parse_field_call(self) -> A.FieldCall:
        field_tok = self.take(self.peek())
        op = self.take(self.peek())
        tok = self.peek(Mode.OPERAND)
        if not (tok.kind is K.WORD and self.after(tok, Mode.OPERATOR).kind is K.LPAREN):
            raise self.error(
                "E103",
                "'=~' must be followed by a function call",
                op.span,
                "a call such as field =~ cidr(subnet=...)",
            )
        call = self.parse_call(Mode.OPERAND)
        return A.FieldCall(self.field_name(field_tok), call, span=self.span_from(field_tok.span))

    # --- filters -------------------------------------------------------------

    def parse_and(self) -> A.Node:
        start = self.peek().span
        items = [self.parse_or()]
        while True:
            tok = self.peek()
            if tok.kind in _STAGE_END or tok.kind in (K.RBRACKET, K.ARROW, K.COMMA):
                break
            if _is_keyword(tok, "and"):
                self.take(tok)
            items.append(self.parse_or())
        if len(items) == 1:
            return items[0]
        return A.And(tuple(items), span=self.span_from(start))

    def parse_or(self) -> A.Node:
        start = self.peek().span
        items = [self.parse_not()]
        while _is_keyword(self.peek(), "or"):
            self.take(self.peek())
            items.append(self.parse_not())
        if len(items) == 1:
            return items[0]
        return A.Or(tuple(items), span=self.span_from(start))

    def parse_not(self) -> A.Node:
        tok = self.peek()
        if tok.kind is K.BANG or _is_keyword(tok, "not"):
            self.take(tok)
            self.enter(tok)
            operand = self.parse_not()
            self.leave()
            return A.Not(operand, span=self.span_from(tok.span))
        return self.parse_primary()

    def parse_primary(self) -> A.Node:
        tok = self.peek()
        kind = tok.kind
        if kind is K.LPAREN:
            self.take(tok)
            self.enter(tok)
            inner = self.parse_and()
            self.expect(K.RPAREN, Mode.FILTER, "')'")
            self.leave()
            return inner
        if kind is K.SAVED:
            return self.parse_saved_call()
        if kind is K.REGEX:
            return A.FreeText(self.regex(self.take(tok)), span=tok.span)
        if kind is K.PARAM:
            return A.FreeText(self.param(self.take(tok)), span=tok.span)
        if kind not in (K.WORD, K.STRING):
            raise self.error("E100", f"unexpected {tok.describe()}", tok.span, "a filter")
        nxt = self.after(tok)
        if (
            kind is K.WORD
            and nxt.kind is K.LPAREN
            and nxt.span.start == tok.span.end
            and _FUNCTION_NAME.fullmatch(tok.text)
        ):
            # ``name(`` is a call; ``word (a OR b)`` is free text and a group.
            return self.parse_call()
        if nxt.kind is K.ASSIGN:
            raise self.error(
                "E105",
                "an assignment must be a stage of its own",
                nxt.span,
                "'|' before the assigned field",
            )
        if nxt.kind in _COMPARE_OPS or nxt.kind is K.LINK or _is_keyword(nxt, "like"):
            return self.parse_field_filter()
        if kind is K.WORD:
            lowered = tok.text.lower()
            if lowered in ("true", "false"):
                return A.Bool(lowered == "true", span=self.take(tok).span)
            if lowered in ("and", "or", "not"):
                raise self.error(
                    "E104",
                    f"{tok.text!r} needs a filter on both sides",
                    tok.span,
                    "a filter; quote the word to search for it as text",
                )
            return A.FreeText(A.Bare(tok.text, span=tok.span), span=self.take(tok).span)
        return A.FreeText(A.Str(str(tok.value), span=tok.span), span=self.take(tok).span)

    def parse_field_filter(self) -> A.FieldFilter:
        field_tok = self.take(self.peek())
        op_tok = self.take(self.peek())
        field_name = self.field_name(field_tok)
        op = "like" if op_tok.kind is K.WORD else _COMPARE_OPS.get(op_tok.kind, "<=>")
        tok = self.peek()
        if op in ("<", "<=", ">", ">="):
            if tok.kind is K.PARAM:
                value: A.Node = self.param(self.take(tok))
            elif tok.kind is K.WORD and _SIGNED_NUMBER.fullmatch(tok.text):
                value = A.Number(tok.text, span=self.take(tok).span)
            elif tok.kind is K.STRING and _SIGNED_NUMBER.fullmatch(str(tok.value).strip()):
                value = A.Str(str(tok.value), span=self.take(tok).span)
            else:
                raise self.error(
                    "E106",
                    f"the right side of {op!r} must be a number",
                    tok.span,
                    "a number; use test() to compare two fields",
                )
        elif op == "<=>":
            value = A.Bare(self.field_name(tok), span=self.take(tok).span)
        elif tok.kind is K.WORD:
            value = A.Bare(tok.text, span=self.take(tok).span)
        elif tok.kind is K.STRING:
            value = A.Str(str(tok.value), span=self.take(tok).span)
        elif tok.kind is K.REGEX and op != "like":
            value = self.regex(self.take(tok))
        elif tok.kind is K.PARAM:
            value = self.param(self.take(tok))
        else:
            raise self.error(
                "E107",
                f"missing value after {op_tok.text!r}",
                tok.span,
                "a value, a quoted string or a /regex/",
            )
        return A.FieldFilter(field_name, op, value, span=self.span_from(field_tok.span))

    # --- literals ------------------------------------------------------------

    def regex(self, tok: Token) -> A.Regex:
        pattern, flags = tok.value  # type: ignore[misc]
        for i, flag in enumerate(flags):
            if flag not in REGEX_FLAGS:
                at = tok.span.end - len(flags) + i
                raise self.error(
                    "E108",
                    f"unknown regex flag {flag!r}",
                    self.lexer.source.span(at, at + 1),
                    "flags from i, m, d, g, F",
                )
        return A.Regex(pattern, flags, span=tok.span)

    def param(self, tok: Token) -> A.Param:
        name, default = tok.value  # type: ignore[misc]
        return A.Param(name, default, span=tok.span)

    # --- calls and expressions ----------------------------------------------------

    def parse_call(self, mode: int = Mode.FILTER) -> A.Call:
        name_tok = self.take(self.peek(mode))
        if not _FUNCTION_NAME.fullmatch(name_tok.text):
            raise self.error(
                "E109",
                f"{name_tok.text!r} is not a function name",
                name_tok.span,
                "a name of letters, digits, '_' and ':'",
            )
        args = self.parse_args(name_tok)
        return A.Call(name_tok.text, args, span=self.span_from(name_tok.span))

    def parse_saved_call(self) -> A.SavedCall:
        tok = self.take(self.peek(Mode.OPERAND))
        if self.peek(Mode.OPERATOR).kind is not K.LPAREN:
            raise self.error(
                "E100",
                f"a saved query call needs '()': {tok.text}()",
                tok.span,
                "'(' after the saved query name",
            )
        args = self.parse_args(tok)
        if any(isinstance(a, A.QueryArg) for a in args):
            raise self.error(
                "E100",
                "a saved query takes no sub-query arguments",
                tok.span,
                "name=value arguments",
            )
        return A.SavedCall(str(tok.value), args, span=self.span_from(tok.span))  # type: ignore[arg-type]

    def parse_args(self, name_tok: Token) -> tuple:
        open_tok = self.expect(K.LPAREN, Mode.OPERATOR, "'('")
        self.enter(open_tok)
        args: list[A.Node] = []
        if self.peek(Mode.OPERAND).kind is K.RPAREN:
            self.take(self.peek(Mode.OPERAND))
            self.leave()
            return ()
        while True:
            args.append(self.parse_arg())
            tok = self.peek(Mode.OPERATOR)
            if tok.kind is K.COMMA:
                self.take(tok)
                continue
            if tok.kind is K.RPAREN:
                self.take(tok)
                break
            opened = name_tok.span
            raise self.error(
                "E100",
                f"unexpected {tok.describe()} in the arguments of {name_tok.text}() "
                f"opened at {opened.line}:{opened.column}",
                tok.span,
                "',' or ')'",
            )
        self.leave()
        return tuple(args)

    def parse_arg(self) -> A.Node:
        tok = self.peek(Mode.OPERAND)
        if tok.kind in (K.WORD, K.STRING):
            nxt = self.after(tok, Mode.OPERATOR)
            if nxt.kind is K.EQ:
                name = self.field_name(tok)
                self.take(nxt)
                value = self.parse_arg_value()
                return A.Arg(name, value, span=self.span_from(tok.span))
            if tok.kind is K.WORD and nxt.kind is K.COLON and self.after(nxt).kind is K.LBRACE:
                return self.parse_query_arg()
        value = self.parse_arg_value()
        return A.Arg(None, value, span=value.span)

    def parse_arg_value(self) -> A.Node:
        tok = self.peek(Mode.OPERAND)
        if tok.kind is K.REGEX:
            return self.regex(self.take(tok))
        if tok.kind is K.LBRACE:
            return self.parse_subquery()
        return self.parse_expr()

    def parse_subquery(self) -> A.SubQuery:
        tok = self.take(self.peek(Mode.OPERAND))
        self.enter(tok)
        query = self.parse_pipeline(frozenset({K.RBRACE}))
        self.expect(K.RBRACE, Mode.FILTER, "'}'")
        self.leave()
        return A.SubQuery(query, span=self.span_from(tok.span))

    def parse_query_arg(self) -> A.QueryArg:
        name_tok = self.take(self.peek(Mode.OPERAND))
        self.take(self.peek(Mode.OPERATOR))  # ':'
        query = self.parse_subquery().query
        options = []
        while True:
            tok = self.peek(Mode.OPERAND)
            nxt = self.after(tok, Mode.OPERATOR)
            if tok.kind is not K.WORD or nxt.kind is not K.COLON:
                break
            self.take(nxt)
            value = self.parse_arg_value()
            options.append(A.Arg(tok.text, value, span=self.span_from(tok.span)))
        return A.QueryArg(name_tok.text, query, tuple(options), span=self.span_from(name_tok.span))

    def parse_expr(self) -> A.Node:
        return self.parse_logical_or()

    def _binary_chain(self, parse_operand, match_op) -> A.Node:
        start = self.peek(Mode.OPERAND).span
        left = parse_operand()
        opened = 0
        try:
            while True:
                tok = self.peek(Mode.OPERATOR)
                op = match_op(tok)
                if op is None:
                    return left
                opened += 1
                self.chained += 1
                if self.depth + self.chained > MAX_EXPR_DEPTH:
                    raise self.error(
                        "E110",
                        f"expression nests deeper than {MAX_EXPR_DEPTH} levels "
                        "(each operator of a chain is one level)",
                        tok.span,
                        "a shorter expression, or several assignments",
                    )
                self.take(tok)
                right = parse_operand()
                left = A.Binary(op, left, right, span=self.span_from(start))
        finally:
            self.chained -= opened

    def parse_logical_or(self) -> A.Node:
        def op(tok: Token) -> str | None:
            if tok.kind is K.OR_OR or _is_keyword(tok, "or"):
                return "or"
            return None

        return self._binary_chain(self.parse_logical_and, op)

    def parse_logical_and(self) -> A.Node:
        def op(tok: Token) -> str | None:
            if tok.kind is K.AND_AND or _is_keyword(tok, "and"):
                return "and"
            return None

        return self._binary_chain(self.parse_logical_not, op)

    def parse_logical_not(self) -> A.Node:
        tok = self.peek(Mode.OPERAND)
        if tok.kind is K.BANG or _is_keyword(tok, "not"):
            self.take(tok)
            self.enter(tok)
            operand = self.parse_logical_not()
            self.leave()
            return A.Unary("!", operand, span=self.span_from(tok.span))
        return self.parse_comparison()

    def parse_comparison(self) -> A.Node:
        start = self.peek(Mode.OPERAND).span
        left = self.parse_additive()
        tok = self.peek(Mode.OPERATOR)
        op = _EXPR_COMPARE.get(tok.kind)
        if op is None:
            return left
        self.take(tok)
        right = self.parse_additive()
        after = self.peek(Mode.OPERATOR)
        if after.kind in _EXPR_COMPARE:
            raise self.error(
                "E111", "comparisons cannot be chained", after.span, "parentheses or 'and'"
            )
        return A.Binary(op, left, right, span=self.span_from(start))

    def parse_additive(self) -> A.Node:
        return self._binary_chain(self.parse_multiplicative, lambda t: _ADDITIVE.get(t.kind))

    def parse_multiplicative(self) -> A.Node:
        return self._binary_chain(self.parse_unary, lambda t: _MULTIPLICATIVE.get(t.kind))

    def parse_unary(self) -> A.Node:
        tok = self.peek(Mode.OPERAND)
        if tok.kind in (K.MINUS, K.PLUS):
            self.take(tok)
            self.enter(tok)
            operand = self.parse_unary()
            self.leave()
            return A.Unary(tok.text, operand, span=self.span_from(tok.span))
        return self.parse_operand()

    def parse_operand(self) -> A.Node:
        tok = self.peek(Mode.OPERAND)
        kind = tok.kind
        if kind is K.STRING:
            return A.Str(str(tok.value), span=self.take(tok).span)
        if kind is K.PARAM:
            return self.param(self.take(tok))
        if kind is K.SAVED:
            return self.parse_saved_call()
        if kind is K.LPAREN:
            self.take(tok)
            self.enter(tok)
            inner = self.parse_arg_value()
            self.expect(K.RPAREN, Mode.OPERATOR, "')'")
            self.leave()
            return inner
        if kind is K.LBRACKET:
            return self.parse_array()
        if kind is K.REGEX:
            raise self.error(
                "E112",
                "a regex literal cannot be part of an expression",
                tok.span,
                "a filter such as field=/regex/, or regex() / test() with a string",
            )
        if kind is K.WORD:
            if self.after(tok, Mode.OPERATOR).kind is K.LPAREN:
                return self.parse_call(Mode.OPERAND)
            lowered = tok.text.lower()
            if lowered in ("true", "false"):
                return A.Bool(lowered == "true", span=self.take(tok).span)
            if lowered in ("and", "or"):
                raise self.error(
                    "E104", f"{tok.text!r} needs an operand on both sides", tok.span, "a value"
                )
            if _NUMBER.fullmatch(tok.text):
                return A.Number(tok.text, span=self.take(tok).span)
            return A.Bare(tok.text, span=self.take(tok).span)
        raise self.error("E100", f"unexpected {tok.describe()}", tok.span, "a value")

    def parse_array(self) -> A.Array:
        open_tok = self.take(self.peek(Mode.OPERAND))
        self.enter(open_tok)
        items: list[A.Node] = []
        if self.peek(Mode.OPERAND).kind is not K.RBRACKET:
            while True:
                tok = self.peek(Mode.OPERAND)
                if (
                    tok.kind in (K.WORD, K.STRING)
                    and self.after(tok, Mode.OPERATOR).kind is K.ASSIGN
                ):
                    items.append(self.parse_assign(Mode.OPERAND))
                else:
                    items.append(self.parse_arg_value())
                tok = self.peek(Mode.OPERATOR)
                if tok.kind is K.COMMA:
                    self.take(tok)
                    continue
                if tok.kind is K.RBRACKET:
                    break
                raise self.error(
                    "E100", f"unexpected {tok.describe()} in an array", tok.span, "',' or ']'"
                )
        self.take(self.peek(Mode.OPERATOR))
        self.leave()
        return A.Array(tuple(items), span=self.span_from(open_tok.span))


_BRANCH_END = frozenset({K.SEMI, K.RBRACE})

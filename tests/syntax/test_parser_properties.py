"""Property tests: no input makes the front end raise anything but
``CQLSyntaxError``, and every tree that parses survives the printer."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cqlmatch import CQLSyntaxError, format_query, parse, tokenize

from ..conftest import CORPUS

# Characters that carry syntax in CQL, weighted up so random text hits the
# interesting paths (regex, strings, comments, params, nesting).
_SYNTAX = [*list("|()[]{},;=!<>:~*/\\\"?$#@+-%&`'.\n\t "), "//", "/*", "*/", ":=", "=~", "=>"]
_WORDS = ["case", "match", "AND", "or", "NOT", "like", "true", "groupBy", "count()", "x", "1"]

query_text = st.lists(
    st.one_of(
        st.sampled_from(_SYNTAX),
        st.sampled_from(_WORDS),
        st.text(min_size=1, max_size=4),
    ),
    max_size=40,
).map("".join)


def _check(text: str) -> None:
    try:
        tree = parse(text)
    except CQLSyntaxError as err:
        # The error must point inside (or at the end of) the text.
        assert 0 <= err.span.start <= len(text)
        assert err.line >= 1 and err.column >= 1
        assert "^" in err.render()
        return
    printed = format_query(tree)
    assert parse(printed) == tree
    assert format_query(parse(printed)) == printed


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query_text)
def test_random_text_parses_or_raises_syntax_error(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None)
@given(query_text)
def test_tokenize_raises_only_syntax_errors(text: str) -> None:
    try:
        tokens = tokenize(text)
    except CQLSyntaxError:
        return
    assert tokens[-1].kind.name == "EOF"
    # Tokens come in order and never overlap.
    ends = [t.span.end for t in tokens[:-1]]
    starts = [t.span.start for t in tokens[1:-1]]
    assert all(s >= e for s, e in zip(starts, ends, strict=False))


def _corpus_queries(n: int) -> list[str]:
    if not CORPUS.exists():
        pytest.fail(f"corpus not found at {CORPUS}: corpus/queries.jsonl is part of the repository")
    with open(CORPUS, encoding="utf-8") as fh:
        queries = [json.loads(line)["query"] for line in fh]
    rng = random.Random(1546)
    return rng.sample(queries, n)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_corpus_queries(data: st.DataObject) -> None:
    queries = _mutation_sources()
    text = data.draw(st.sampled_from(queries))
    for _ in range(data.draw(st.integers(1, 4))):
        if not text:
            break
        at = data.draw(st.integers(0, len(text) - 1))
        action = data.draw(st.sampled_from(["delete", "insert", "duplicate", "truncate"]))
        if action == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 5)) :]
        elif action == "insert":
            text = text[:at] + data.draw(st.sampled_from(_SYNTAX)) + text[at:]
        elif action == "duplicate":
            text = text[:at] + text[at : at + 20] + text[at:]
        else:
            text = text[:at]
    _check(text)


_SOURCES: list[str] = []


def _mutation_sources() -> list[str]:
    if not _SOURCES:
        _SOURCES.extend(q for q in _corpus_queries(400) if len(q) < 3000)
    return _SOURCES


def test_free_text_like_keeps_its_parentheses() -> None:
    """``#(like)case`` is three free-text words; printed ``# like case`` it
    would read as a ``like`` filter on the field ``#``, and the field
    ``event:`` printed ``event:=X`` as an assignment (both found by the
    tests above): the printer keeps ``like`` in parentheses and quotes such
    a field."""
    for text in ("#(like)case", "#(like)count()", "a (LIKE) b", "(like)"):
        _check(text)
        assert "(" in format_query(parse(text))
    _check("event: = X")
    assert format_query(parse("event: = X")) == '"event:"=X'
    assert format_query(parse("x like y")) == "x like y"

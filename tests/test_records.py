"""cqlmatch.records: frozen, slotted records whose methods are shared, not
generated per class, behaving as the dataclasses they replace."""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError

import pytest

from cqlmatch.errors import Diagnostic, Span
from cqlmatch.syntax import ast as A


def test_fields_defaults_equality_hash_and_repr() -> None:
    span = Span(1, 2, 3, 4)
    assert (span.start, span.end, span.line, span.column) == (1, 2, 3, 4)
    assert span == Span(1, 2, 3, 4) and span != Span(1, 2, 3, 5)
    assert hash(span) == hash(Span(1, 2, 3, 4))
    assert repr(span) == "Span(start=1, end=2, line=3, column=4)"
    d = Diagnostic("error", "E1", "m", span)
    assert (d.expected, d.fix) == (None, None)
    assert Diagnostic("error", "E1", "m", span, fix="x").fix == "x"
    assert not hasattr(span, "__dict__")


def test_frozen() -> None:
    span = Span(1, 2, 3, 4)
    with pytest.raises(FrozenInstanceError):
        span.start = 9  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del span.end  # type: ignore[misc]


def test_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="missing its 'column'"):
        Span(1, 2, 3)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="positional"):
        Span(1, 2, 3, 4, 5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected argument 'colour'"):
        Span(1, 2, 3, 4, colour=1)  # type: ignore[call-arg]


def test_an_uncompared_field_is_keyword_only_and_left_out() -> None:
    a = A.Str("x", span=Span(0, 3, 1, 1))
    b = A.Str("x", span=Span(5, 8, 2, 1))
    assert a == b and hash(a) == hash(b) and repr(a) == "Str(value='x')"
    assert A.Str("x").span == A.NO_SPAN
    with pytest.raises(TypeError):
        A.Str("x", Span(0, 3, 1, 1))  # type: ignore[call-arg]


def test_pickle_and_copy_keep_every_field() -> None:
    node = A.Call("lower", (A.Arg(None, A.Bare("f")),), span=Span(0, 8, 1, 1))
    for again in (pickle.loads(pickle.dumps(node)), copy.deepcopy(node), copy.copy(node)):
        assert again == node and again.span == node.span
    d = Diagnostic("warning", "W1", "m", Span(1, 2, 3, 4), "e", "f")
    assert pickle.loads(pickle.dumps(d)) == d

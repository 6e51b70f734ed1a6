"""Behaviour LogScale's function pages state, each test written from the
page's sentence (quoted in the test's docstring), on both engines."""

from __future__ import annotations

from .helpers import run, value

# --- eval() -------------------------------------------------------------------------------


def test_eval_takes_several_assignments_left_to_right(engine: str) -> None:
    """eval(): "accepts multiple expressions to be evaluated, separated by a
    comma, in the form of field_name = expression" and "the order of
    evaluation of arguments is left to right"."""
    out = run("eval(a = 3, b = a + 1)", [{"x": "1"}], engine)
    assert out == [{"x": "1", "a": "3", "b": "4"}]
    out = run("eval(a = b, x = y + z)", [{"b": "2", "y": "3", "z": "4"}], engine)
    assert out[0]["a"] == "2" and out[0]["x"] == "7"


def test_eval_assignment_without_a_result_leaves_the_field(engine: str) -> None:
    """eval(): "If f already existed as a field on the event and expr did not
    yield any result, then f is unchanged" (and the next one still runs)."""
    out = run("eval(f = missing * 2, g = n + 1)", [{"f": "old", "n": "1"}], engine)
    assert out == [{"f": "old", "n": "1", "g": "2"}]


def test_a_later_eval_assignment_overwrites_an_earlier_one(engine: str) -> None:
    assert value("eval(a = 1, a = a + 10)", {}, "a", engine) == "11"

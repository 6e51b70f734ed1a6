"""``lang.events.flatten``'s shortcut for an object of scalars under string
keys (``_flat_object``) gives what its general walk gives: the same fields
in the same order, or the same error."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cqlmatch.lang.events import flatten
from cqlmatch.limits import MAX_EVENT_VALUES


def walked(item):
    """``flatten``'s general walk (given ``out``, it takes no shortcut)."""
    return flatten(item, out={})


scalars = st.one_of(
    st.text(max_size=4),
    st.integers(-(10**20), 10**20),
    st.floats(),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


def flattened_or_error(how, item):
    try:
        return list(how(item).items())
    except ValueError as err:
        return ("ValueError", str(err))


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.text(max_size=5), values | st.text(), max_size=8))
def test_a_flat_object_flattens_as_the_general_walk_does(item) -> None:
    """The fields, in order, or the error (NaN, infinity)."""
    assert flattened_or_error(flatten, item) == flattened_or_error(walked, item)


def test_a_flat_object_past_the_limit_is_refused_as_the_general_walk_refuses_it() -> None:
    item = {str(n): "v" for n in range(MAX_EVENT_VALUES + 1)}
    assert flattened_or_error(flatten, item) == flattened_or_error(walked, item)
    assert flattened_or_error(flatten, item)[0] == "ValueError"

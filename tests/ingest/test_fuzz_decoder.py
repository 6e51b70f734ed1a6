"""Short, deterministic fuzz pass of the event decoder (the CI twin of
fuzz/fuzz_decoder.py): any line decodes exactly as events.parse_line does,
or is a MalformedLine exactly when parse_line refuses it."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz.oracles import check_decode

PIECES = [
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b'"',
    b'"a"',
    b'"b"',
    b'"n"',
    b'"event_simpleName"',
    b'"ProcessRollup2"',
    b'"\\u0050rocessRollup2"',
    b"\\u00",
    b"\\/",
    b"\\ud800",
    b"1.50",
    b"-0",
    b"1e400",
    b"null",
    b"true",
    b" ",
    b"\r",
    b"\xef\xbb\xbf",
    b"\xff",
    "é".encode(),
]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "n", "c", "event_simpleName"]), inner),
    ),
    max_leaves=6,
)
lines = st.one_of(
    st.binary(max_size=60),
    st.lists(st.sampled_from(PIECES), max_size=24).map(b"".join),
    st.dictionaries(st.sampled_from(["a", "b", "n", "c", "x", "timestamp"]), json_values).map(
        lambda d: json.dumps(d).encode()
    ),
)


@settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
@given(lines)
def test_any_line_decodes_like_the_reference(line: bytes) -> None:
    check_decode(line)

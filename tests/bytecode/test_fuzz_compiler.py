"""Short, deterministic fuzz pass of the checker and compiler (the CI twin of
fuzz/fuzz_compiler.py): real corpus queries, mutated, compile and run on
both engines, or fail with a CQLError pointing into the text."""

from __future__ import annotations

import json
from functools import cache

from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz.oracles import check_compile

from ..conftest import CORPUS, ROOT

TOKENS = ["|", "(", ")", "[", "]", "{", "}", ";", ",", "=", "!", "*", "/", '"', " OR ", " AND "]
TOKENS += ["NOT ", ":=", "=~", "=>", "case {", "limit=max", "regex(", "groupBy(", "?p", "\\"]


@cache
def seeds() -> tuple[str, ...]:
    texts = [(ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")]
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line).get("query") or ""
            if 0 < len(text) <= 400:
                texts.append(text)
            if len(texts) >= 300:
                break
    return tuple(texts)


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(seeds()))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        end = draw(st.integers(at, min(len(text), at + 12)))
        if kind == "delete":
            text = text[:at] + text[end:]
        elif kind == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        else:
            text = text[:end] + text[at:end] + text[end:]
    return text


@settings(
    max_examples=120, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)
)
@given(mutated())
def test_mutated_corpus_queries_compile_or_fail_cleanly(text: str) -> None:
    check_compile(text)

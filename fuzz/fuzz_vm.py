"""Fuzz the VM against the reference interpreter: queries from the grammar of
tests/runtime/test_differential.py (filters, case/match, assignments, functions,
aggregations) over generated events, driven by libFuzzer through
hypothesis' ``fuzz_one_input``.  Both engines must give the same rows,
warnings and per-event results, and nothing but ``CQLError`` may escape.

A failing input is also written as ``fuzz/artifacts/vm/<hash>.json``
(``{"query", "events"}``), the form tests/regressions/vm/ keeps."""

from __future__ import annotations

import hashlib
import json
import sys

import _driver

with _driver.instrumented():
    from hypothesis import HealthCheck, given, settings, strategies as st

    from fuzz.oracles import check_agree
    from tests.runtime.test_differential import (
        aggregations,
        event_lists,
        filters,
        per_event_pipelines,
    )

QUERIES = st.one_of(
    filters,
    per_event_pipelines,
    aggregations(),
    st.tuples(per_event_pipelines, aggregations()).map(" | ".join),
)
ARTIFACTS = _driver.ROOT / "fuzz" / "artifacts" / "vm"


def keep(query: str, events: list) -> None:
    """Write a failing example where fuzz/README.md says to look for it."""
    text = json.dumps({"query": query, "events": events}, ensure_ascii=False, indent=1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{hashlib.sha1(text.encode()).hexdigest()[:12]}.json"
    path.write_text(text + "\n", encoding="utf-8")
    print(f"failing example written to {path}", file=sys.stderr)


@settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(QUERIES, event_lists)
def agree(query: str, events: list) -> None:
    try:
        check_agree(query, events)
    except BaseException:
        keep(query, events)
        raise


if __name__ == "__main__":
    _driver.main(agree.hypothesis.fuzz_one_input)

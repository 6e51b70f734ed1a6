"""Short, deterministic fuzz pass of the VM against the reference (the CI twin
of fuzz/fuzz_vm.py): whole queries (filters, per-event pipelines,
aggregations) over generated events agree, and only CQLError escapes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz.oracles import check_agree

from .test_differential import aggregations, event_lists, filters, per_event_pipelines

QUERIES = st.one_of(
    filters,
    per_event_pipelines,
    aggregations(),
    st.tuples(per_event_pipelines, aggregations()).map(" | ".join),
)


@settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(QUERIES, event_lists)
def test_generated_queries_agree(query: str, events: list[dict]) -> None:
    check_agree(query, events)

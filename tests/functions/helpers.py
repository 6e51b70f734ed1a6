"""What the function tests share: running a query on one engine and reading
its rows, one event's output, one value and the warnings."""

from __future__ import annotations

import cqlmatch


def run(query: str, events: list[dict], engine: str) -> list[dict]:
    return cqlmatch.compile(query).run(events, engine=engine)


def match(query: str, event: dict, engine: str) -> dict | None:
    return cqlmatch.compile(query).match(event, engine=engine)


def value(query: str, event: dict, field: str, engine: str) -> str | None:
    out = match(query, event, engine)
    assert out is not None, "the event was dropped"
    return out.get(field)


def warnings(query: str, events: list[dict], engine: str) -> list[str]:
    compiled = cqlmatch.compile(query)
    return [code for code, _ in compiled.run(events, engine=engine).warnings]

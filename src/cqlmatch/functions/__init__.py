"""Implementations of the catalogue's functions, shared by both engines where
the per-event hot path is not at stake (formatting, time, parsing, and the
aggregation of result rows).

Each module registers its functions in one of four registries:

``EVENT``      per-event functions: ``(rt, call, event) -> list[Event]``;
               an empty list drops the event.
``VALUE``      functions with an ``as`` output that compute one value:
               ``(rt, call, event) -> str | None``; they are usable inside
               expressions and as stages (the value is written to ``as``).
``AGGREGATE``  aggregator classes (``Aggregator``) for groupBy/stats.
``STAGE``      whole-stream functions: ``(rt, call, events) -> list[Event]``.

``rt`` is the ``Runtime`` protocol: how a function evaluates expressions and
filters and compiles regexes without knowing which engine runs it.
"""

from __future__ import annotations

from . import registry


def load_all() -> None:
    """Import every implementation module so the registries are filled."""
    from . import (  # noqa: F401
        aggregates,
        array_more,
        arrays,
        correlate,
        encoding,
        enrich,
        field_list,
        fields,
        filters,
        formats,
        hashing,
        maths,
        numbers,
        object_arrays,
        parsing,
        select,
        sequences,
        sources,
        stages,
        strings,
        substrings,
        text,
        time,
    )


registry.set_loader(load_all)

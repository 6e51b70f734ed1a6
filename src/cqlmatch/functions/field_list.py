"""fieldset(): the names of the fields the events carry.

``fieldset()``
    One row per distinct field name among its input events, the name in
    the field ``field``, in descending code point order (the page's two
    examples list ``@timezone`` ... ``#humioBackfill`` and ``_count``,
    ``@host``, ``#type`` that way).  "The list of returned fields is
    context specific": after an aggregate it lists the aggregate's fields.
"""

from __future__ import annotations

from ..lang.events import Event
from .registry import stage_function


@stage_function("fieldset")
def fieldset(rt, call, events):
    names: set[str] = set()
    for event in events:
        names.update(event.fields)
    return [Event({"field": name}) for name in sorted(names, reverse=True)]

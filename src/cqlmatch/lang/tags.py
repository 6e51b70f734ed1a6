"""Tags of the source: the ``#name`` fields LogScale gives every event of a
repository, which files of raw events do not carry.

In LogScale each event carries the tags of where it was stored: Falcon
sensor telemetry lives in the repository ``base_sensor``, parsed by
``falcon-raw-data``, as primary data (``#repo=base_sensor``,
``#type=falcon-raw-data``, ``#kind=Primary``).  A Falcon Data Replicator
file has no such fields, so a query copied out of LogScale that opens with
``#repo=base_sensor`` would quietly match nothing.  A run therefore gives
its inputs tags: ``FALCON_SENSOR_TAGS`` unless told otherwise, and what the
user names (``--tag repo=base_sensor``, ``tags={"repo": "base_sensor"}``).

A tag is the last place ``#name`` is looked for: the event's own ``#name``
wins, then its ``name`` (raw FDR events carry ``event_simpleName``), and
only then the input's tag.  Tags are not added to the events: a query reads
them like ``@rawstring``, and output rows hold them only where the query
writes them (``groupBy(#repo)``, ``select([#repo])``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .lazyre import lazy

#: The tags LogScale gives Falcon sensor telemetry; every input has them
#: unless a run names its own tags for those names or turns the default off.
FALCON_SENSOR_TAGS: Mapping[str, str] = {
    "repo": "base_sensor",
    "type": "falcon-raw-data",
    "kind": "Primary",
}

_NAME = lazy(r"[A-Za-z_][\w.\-]*")


class TagError(ValueError):
    """A tag that is not ``NAME=VALUE``."""


def parse_tag(text: str) -> tuple[str, str]:
    """``repo=base_sensor`` (or ``#repo=base_sensor``) as a (name, value)
    pair; ``TagError`` says what is wrong with anything else."""
    name, sep, value = text.partition("=")
    name = name.strip().removeprefix("#")
    if not sep:
        raise TagError(f"tag {text!r} is not NAME=VALUE (for example repo=base_sensor)")
    if not _NAME.fullmatch(name):
        raise TagError(f"tag {text!r}: {name!r} is not a tag name (letters, digits, _ . -)")
    if not value:
        raise TagError(f"tag {text!r} has no value (for example {name}=base_sensor)")
    return name, value


def input_tags(
    tags: Mapping[str, str] | Iterable[str] | None = None, defaults: bool = True
) -> dict[str, str]:
    """The tags a run's inputs carry: ``FALCON_SENSOR_TAGS`` (unless not
    ``defaults``) with ``tags`` over them.  ``tags`` is a mapping or an
    iterable of ``NAME=VALUE`` texts; names may start with ``#``."""
    out: dict[str, str] = dict(FALCON_SENSOR_TAGS) if defaults else {}
    if tags is None:
        return out
    pairs = tags.items() if isinstance(tags, Mapping) else (parse_tag(t) for t in tags)
    for name, value in pairs:
        if not isinstance(name, str) or not isinstance(value, str):
            raise TagError(f"tag {name!r}={value!r}: names and values are str")
        name, value = parse_tag(f"{name}={value}")
        out[name] = value
    return out


def tag_name(field: str) -> str | None:
    """The tag a field name reads (``#repo`` -> ``repo``), None for other fields."""
    return field[1:] if field.startswith("#") and len(field) > 1 else None

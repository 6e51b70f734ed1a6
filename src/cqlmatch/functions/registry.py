"""The registries the implementation modules fill, and what an
implementation may ask of the engine running it (``Runtime``); see the
package docstring for the four kinds of function."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..lang.events import Event
    from ..lang.regex import CompiledRegex
    from ..semantics.checked import BoundCall
    from ..syntax.ast import Node


class Runtime(Protocol):
    """What function implementations may ask of the engine running them."""

    def eval(self, node: Node, event: Event) -> str | None: ...

    def truth(self, node: Node, event: Event) -> bool: ...

    def regex(self, pattern: str, flags: str) -> CompiledRegex: ...

    def warn(self, code: str, message: str) -> None: ...

    def lookup_table(self, name: str) -> list[dict[str, str]]: ...

    def enrichment(self, kind: str) -> Any: ...

    def now_millis(self) -> int: ...


EventFn = Callable[["Runtime", "BoundCall", "Event"], list["Event"]]
ValueFn = Callable[["Runtime", "BoundCall", "Event"], "str | None"]
StageFn = Callable[["Runtime", "BoundCall", list["Event"]], list["Event"]]
StreamFn = Callable[["Runtime", "BoundCall", Iterator["Event"]], "list[Event] | None"]

_loader: Callable[[], None] | None = None  # the package's load_all (set by its __init__)


def set_loader(loader: Callable[[], None]) -> None:
    """How a registry lacking a name imports every implementation module."""
    global _loader
    _loader = loader


def _load_all() -> None:
    """Import every implementation module, once."""
    global _loader
    loader, _loader = _loader, None  # first: the modules' own lookups must not come back
    if loader is not None:
        loader()


class Registry(dict):
    """Name -> implementation.  A name it lacks makes it import every
    implementation module first: the reference interpreter imports only
    the modules of the common stages, so a run whose interpreter sorts a
    few rows does not load parsing, hashing or time (start-up, issue 19).
    Iterating sees what is loaded so far: call ``functions.load_all()``
    first to see everything."""

    def __missing__(self, name: str) -> Any:
        _load_all()
        return dict.__getitem__(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        if not dict.__contains__(self, name):
            _load_all()
        return dict.get(self, name, default)

    def __contains__(self, name: object) -> bool:
        if not dict.__contains__(self, name):
            _load_all()
        return dict.__contains__(self, name)


EVENT: dict[str, EventFn] = Registry()
VALUE: dict[str, ValueFn] = Registry()
STAGE: dict[str, StageFn] = Registry()
AGGREGATE: dict[str, type[Aggregator]] = Registry()
#: Stages that can also consume their input as a stream, keeping only the
#: state their own limits bound: the same rows as the STAGE function over
#: the whole list, or None (nothing consumed) when this call cannot stream.
STREAMING: dict[str, StreamFn] = Registry()


class Aggregator:
    """Reduces the events of one group to output fields.

    ``step`` sees every event of the group in input order; ``result``
    returns the output fields, or None when the aggregate had no input and
    so contributes no row (LogScale drops such rows).  ``merge`` combines
    partial states (for parallel workers)."""

    def __init__(self, rt: Runtime, call: BoundCall) -> None:
        self.rt = rt
        self.call = call

    def step(self, event: Event) -> None:
        raise NotImplementedError

    def merge(self, other: Aggregator) -> None:
        raise NotImplementedError

    def result(self) -> dict[str, str] | None:
        raise NotImplementedError


def _register(table: dict, names: Iterable[str]):
    def decorate(fn):
        for name in names:
            table[name.lower()] = fn
        return fn

    return decorate


def event_function(*names: str):
    return _register(EVENT, names)


def value_function(*names: str):
    return _register(VALUE, names)


def stage_function(*names: str):
    return _register(STAGE, names)


def streaming(*names: str):
    return _register(STREAMING, names)


def aggregator(*names: str):
    return _register(AGGREGATE, names)


def output_field(call: BoundCall, param: str = "field") -> str:
    """``as`` when given, else the input field (functions that write in place)."""
    return str(call.get("as")) if call.given("as") else str(call.get(param))


def in_place(*names: str):
    """Register ``compute`` as a value function and as a per-event function
    that writes its value to ``as`` or, without ``as``, back to the input
    field; an event whose value is None passes unchanged."""

    def decorate(compute: ValueFn) -> ValueFn:
        value_function(*names)(compute)

        def stage(rt, call, event):
            value = compute(rt, call, event)
            return [event if value is None else event.with_fields({output_field(call): value})]

        event_function(*names)(stage)
        return compute

    return decorate


def with_error(event: Event, message: str) -> Event:
    """``event`` marked as a failed parse (``@error``, ``@error_msg``)."""
    return event.with_fields({"@error": "true", "@error_msg": message})

"""Immutable records without per-class generated code.

``dataclass(frozen=True, slots=True)`` writes and compiles ``__init__``,
``__eq__``, ``__hash__``, ``__repr__`` and ``__setattr__`` for each class
every time its module is imported: about 0.5 ms a class, which no bytecode
cache keeps, so the few dozen records a run imports (the syntax tree, spans,
tokens, diagnostics) cost a tenth of ``cqlmatch run``'s start-up.
``Record``'s methods are written once, compiled into this module's bytecode,
and read each class's ``_fields``; ``record`` gives a class its slots.

To a type checker ``record`` is ``dataclass(frozen=True, slots=True)``, so
constructors keep their signatures.  A field named in ``_uncompared`` (the
syntax tree's ``span``) is keyword-only and left out of ``==``, ``hash`` and
``repr``; it must come last.  Defaults are plain values written in the class
body (no ``field()``); there is no ``__post_init__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

__all__ = ["Record", "record", "replace"]

_C = TypeVar("_C", bound=type)
_R = TypeVar("_R", bound="Record")
_MISSING = object()


class Record:
    """Base of every record: frozen, slotted, compared by its fields."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()  # compared fields, in order
    _extra: ClassVar[tuple[tuple[str, Any], ...]] = ()  # uncompared: (name, default)
    _defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self._fields
        put = object.__setattr__
        given = len(args)
        if given > len(names):
            raise TypeError(f"{type(self).__name__}() takes {len(names)} positional arguments")
        for name, value in zip(names, args, strict=False):
            put(self, name, value)
        for name in names[given:]:
            value = kwargs.pop(name, self._defaults.get(name, _MISSING))
            if value is _MISSING:
                raise TypeError(f"{type(self).__name__}() is missing its {name!r} argument")
            put(self, name, value)
        for name, default in self._extra:
            value = kwargs.pop(name, default)
            if value is _MISSING:
                raise TypeError(f"{type(self).__name__}() is missing its {name!r} argument")
            put(self, name, value)
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}() got an unexpected argument {next(iter(kwargs))!r}"
            )

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({inner})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise _frozen(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise _frozen(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        extra = {name: getattr(self, name) for name, _ in self._extra}
        return (_rebuild, (type(self), self._values(), extra))


def _frozen(message: str) -> Exception:
    """The error a dataclass raises here (its module loads only then: a
    run that writes no record needs neither it nor ``inspect``)."""
    from dataclasses import FrozenInstanceError

    return FrozenInstanceError(message)


def replace(obj: _R, **changes: Any) -> _R:
    """A copy of record ``obj`` with ``changes`` (``dataclasses.replace``)."""
    values = {name: getattr(obj, name) for name in obj._fields}
    values.update((name, getattr(obj, name)) for name, _ in obj._extra)
    values.update(changes)
    return type(obj)(**values)


def _rebuild(cls: type[Record], values: tuple[Any, ...], extra: dict[str, Any]) -> Record:
    return cls(*values, **extra)


def _annotations(cls: type) -> dict[str, Any]:
    """The class's own annotations: read from its body when it keeps them
    there (as it does under ``from __future__ import annotations``), which
    spares every start the import of ``inspect``."""
    own = cls.__dict__.get("__annotations__")  # noqa: RUF063
    if isinstance(own, dict):
        return own
    import inspect

    return inspect.get_annotations(cls)


def _record(cls: _C) -> _C:
    """The class again with ``__slots__`` for its annotated fields and the
    defaults its body gave, for ``Record``'s methods."""
    names = tuple(_annotations(cls))
    uncompared = getattr(cls, "_uncompared", ())
    compared = tuple(n for n in names if n not in uncompared)
    assert names[len(compared) :] == tuple(n for n in names if n in uncompared), (
        f"{cls.__name__}: uncompared fields come last"
    )
    body = cls.__dict__
    namespace = {
        key: value
        for key, value in body.items()
        if key not in names and key not in ("__dict__", "__weakref__")
    }
    namespace["__slots__"] = names
    namespace["_fields"] = compared
    namespace["_extra"] = tuple((n, body.get(n, _MISSING)) for n in names if n in uncompared)
    namespace["_defaults"] = {n: body[n] for n in compared if n in body}
    return type(cls.__name__, cls.__bases__, namespace)  # type: ignore[return-value]


if TYPE_CHECKING:
    from dataclasses import dataclass

    record = dataclass(frozen=True, slots=True)
else:
    record = _record

"""Gson style JSON encoding of generated events.

Falcon's lines are written by Gson: ``= & < > '`` are ``\\u00XX``-escaped,
and non-ASCII text is either raw UTF-8 or ``\\u``-escaped (the generator
decides per event).  Background events are assembled from pre-escaped pieces;
planted ones are dicts encoded by :func:`_encode_object`.
"""

from __future__ import annotations

from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any


def gson_escape(text: str, ascii_only: bool = False) -> str:
    """The body of a JSON string literal for ``text``, escaped as Gson does
    (``= & < > '`` as ``\\u00XX``).  With ``ascii_only`` non-ASCII
    characters are ``\\u``-escaped too."""
    quoted = (encode_basestring_ascii if ascii_only else encode_basestring)(text)
    return (
        quoted[1:-1]
        .replace("=", "\\u003d")
        .replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("'", "\\u0027")
    )


def _e2(text: str) -> tuple[str, str]:
    """Both escaped forms of ``text``: raw UTF-8 and ASCII-only."""
    return (gson_escape(text, False), gson_escape(text, True))


def _encode_value(value: Any, ascii_only: bool) -> str:
    if isinstance(value, str):
        return '"' + gson_escape(value, ascii_only) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(_encode_value(v, ascii_only) for v in value) + "]"
    if isinstance(value, dict):
        return _encode_object(value, ascii_only)
    raise TypeError(f"unsupported value {value!r}")


def _encode_object(obj: dict, ascii_only: bool) -> str:
    return "{" + ",".join(f'"{k}":{_encode_value(v, ascii_only)}' for k, v in obj.items()) + "}"

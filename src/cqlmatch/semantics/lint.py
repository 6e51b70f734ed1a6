"""Lints for detection regexes: patterns that silently match more, or less,
than their author meant.

W330  a short alternative in an unanchored regex (``sh`` also matches
      ``ssh.exe`` and ``powershell.exe``; ``apt`` matches ``aptitude``);
W331  an unescaped ``.`` in what reads as a file name (``cmd.exe`` also
      matches ``cmdxexe``) on a file-name field;
W332  an alternative that can never match the field (``::1`` in an IPv4
      address field);
W333  a regex that an unescaped ``/`` ended early: ``F=/https://x/`` is
      ``F=/https:/`` and then free text ``/x/``, a second, unrelated search.
"""

from __future__ import annotations

import re

from ..errors import Diagnostic, SourceMap
from ..lang.lazyre import lazy
from ..syntax import ast as A

SHORT = 3  # alternatives of this many characters or fewer are "short"
_INLINE_FLAGS = re.compile(r"\(\?[a-zA-Z]+\)")
_PLAIN = re.compile(r"[A-Za-z0-9_\-]+")
_FILE_LIKE = re.compile(r"[A-Za-z0-9_\-]+\.(exe|dll|ps1|bat|cmd|vbs|js|msi|sys|scr|hta|com)", re.I)
_IPV4_CHARS = lazy(r"[0-9.\\^$|()\[\]{}?*+-]*")


def _alternatives(pattern: str) -> list[tuple[str, int]]:
    """Top-level alternatives of a pattern (or of its single outer group),
    with their offsets in the pattern."""
    start = 0
    m = _INLINE_FLAGS.match(pattern)
    if m:
        start = m.end()
    end = len(pattern)
    if pattern.startswith("^", start):
        start += 1
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        end -= 1
    body = pattern[start:end]
    if body.startswith("(") and _closing(body, 0) == len(body) - 1:
        inner = body[1:-1]
        offset = start + 1
        if inner.startswith("?:"):
            inner, offset = inner[2:], offset + 2
        body, start = inner, offset
    parts, depth, last, i = [], 0, 0, 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(body, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append((body[last:i], start + last))
            last = i + 1
        i += 1
    parts.append((body[last:], start + last))
    return parts


def _closing(text: str, open_at: int) -> int:
    depth, i = 0, open_at
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            i = _class_end(text, i)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _class_end(text: str, i: int) -> int:
    i += 1
    if i < len(text) and text[i] == "^":
        i += 1
    if i < len(text) and text[i] == "]":
        i += 1
    while i < len(text) and text[i] != "]":
        i += 2 if text[i] == "\\" else 1
    return i + 1


def lint_regex(node: A.FieldFilter, text: str) -> list[Diagnostic]:
    regex = node.value
    assert isinstance(regex, A.Regex)
    source = SourceMap(text)
    out = []
    anchored = _INLINE_FLAGS.sub("", regex.pattern).startswith("^")
    alternatives = _alternatives(regex.pattern)
    for alt, offset in alternatives:
        start = regex.span.start + 1 + offset
        span = source.span(start, start + max(1, len(alt)))
        if len(alternatives) > 1 and not anchored and _PLAIN.fullmatch(alt) and len(alt) <= SHORT:
            out.append(
                Diagnostic(
                    "warning",
                    "W330",
                    f"alternative {alt!r} is short and unanchored: it also matches inside "
                    f"longer values (e.g. {_example(alt)!r})",
                    span,
                    fix=f"^{alt}$" if node.field.endswith("FileName") else rf"\b{alt}\b",
                )
            )
        if node.field.endswith("FileName") and _FILE_LIKE.fullmatch(alt) and "\\." not in alt:
            out.append(
                Diagnostic(
                    "warning",
                    "W331",
                    f"'.' in {alt!r} matches any character; escape it to match a file name",
                    span,
                    fix=alt.replace(".", "\\."),
                )
            )
        if node.field.endswith("IP4") and alt and not _IPV4_CHARS.fullmatch(alt):
            out.append(
                Diagnostic(
                    "warning",
                    "W332",
                    f"alternative {alt!r} can never match an IPv4 address in {node.field}",
                    span,
                )
            )
    return out


def _example(alt: str) -> str:
    examples = {"sh": "ssh.exe", "apt": "aptitude", "rpm": "rpmbuild", "yum": "yumex"}
    return examples.get(alt.lower(), f"x{alt}y")


def lint(tree: A.Pipeline, text: str) -> list[Diagnostic]:
    """All regex lints of a query."""
    out: list[Diagnostic] = []
    for node in A.walk(tree):
        if isinstance(node, A.FieldFilter) and isinstance(node.value, A.Regex):
            out.extend(lint_regex(node, text))
        elif isinstance(node, A.And):
            out.extend(_split_regexes(node, text))
    return out


def _split_regexes(node: A.And, text: str) -> list[Diagnostic]:
    """W333: a regex filter and a free-text regex written as one word
    (``F=/https://x/``): the first ``/`` inside ended the regex."""
    out = []
    source = SourceMap(text)
    for before, second in zip(node.items, node.items[1:], strict=False):
        first = before.operand if isinstance(before, A.Not) else before
        if not (
            isinstance(first, A.FieldFilter | A.FreeText)
            and isinstance(first.value, A.Regex)
            and isinstance(second, A.FreeText)
            and isinstance(second.value, A.Regex)
            and before.span.end == second.span.start  # no blank between them
        ):
            continue
        slash = first.value.span.end - 1
        where = f" on {first.field}" if isinstance(first, A.FieldFilter) else ""
        out.append(
            Diagnostic(
                "warning",
                "W333",
                f"the regex{where} ends at this unescaped '/'; what follows "
                f"({text[second.span.start : second.span.end][:40]}) is a separate free-text "
                "search of every field",
                source.span(slash, slash + 1),
                fix="\\/",
            )
        )
    return out

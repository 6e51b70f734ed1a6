"""The raw-byte prefilter: rules out NDJSON lines that cannot produce output
before any decoding.

It never changes a result.  ``program.prefilter`` is a conjunction of groups
of literals (``program.Literal``): an event can only produce output when, for
every group, one of the group's literals occurs in one of its decoded string
values, exactly or, for a literal marked ``ignore_case``, ignoring ASCII case
(a ``(?i)`` regex).  In the raw line a character of such a value is written
either as itself or as a JSON escape; the escapes that can stand for a
printable ASCII character other than ``"`` and ``\\`` are ``\\u00XX`` (hex
digits in either case) and ``\\/``.  Under ``(?i)`` a ``k`` or ``s`` also
matches one non-ASCII character each (the Kelvin sign and the long s,
``regex.CASE_FOLDED_INTO_ASCII``), which a line holds as UTF-8 or as a
``\\uXXXX`` escape: a group with such a literal also accepts those four
spellings.

A line is therefore skipped only when, for some group, no literal of the
group occurs in the line (verbatim, or in any ASCII case for an
``ignore_case`` literal) **and** the line holds no ``\\u00XX`` escape of a
character that appears in any literal (in either case for ``ignore_case``
ones; nor ``\\/`` when a literal contains ``/``).  Gson's ``\\u003d`` for
``=`` or an escaped non-ASCII letter do not force a decode unless a literal
contains that character.  Literals with characters a JSON encoder must
escape (``"``, ``\\``, control characters) or may write as raw UTF-8
(non-ASCII) cannot be checked on raw bytes: their group is dropped, which
only keeps more lines.  ``\\U`` is not a JSON escape; a line using it is
malformed and produces no output either way.

A line the literals rule out is still kept when it is not framed as a JSON
object (``framed``): so a file with garbage lines reports them as malformed
with the prefilter on, as without it.  A skipped line has had its framing
checked, nothing more.

The C scan (``cqlmatch._scan``) applies this rule to whole blocks; the
``bytes.find`` version here states it for the tests.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import Any, Protocol, runtime_checkable

from .._scan import scan as _c_scan
from ..bytecode.program import Literal, without_implied
from ..lang.regex import CASE_FOLDED_INTO_ASCII

__all__ = ["LineFilter", "Pacer", "Prefilter"]

_NL = b"\n"
_ESCAPE = b"\\u00"
_SLASH_ESCAPE = b"\\/"
_FRAME_BLANKS = b" \t\r"  # trimmed before the framing check
# The most literals of a group this scan looks for (each costs a pass over
# the block); a larger group, which a pack's automaton takes, is left out.
SCAN_GROUP_MAX = 64


def checkable(literal: str) -> bool:
    """Whether raw-byte search can rule out ``literal``: printable ASCII
    without ``"`` and ``\\``, which JSON always escapes."""
    return bool(literal) and all(" " <= c <= "~" and c not in '"\\' for c in literal)


def _literal(item: Literal | str) -> Literal:
    """A literal with its text in lower case if it ignores case; str: exact."""
    if isinstance(item, str):
        return Literal(item)
    return Literal(item.text.lower(), True) if item.ignore_case else item


def _folded_spellings(literals: Iterable[Literal]) -> list[tuple[bytes, bool]]:
    """The raw spellings of the non-ASCII characters that ``(?i)`` folds onto
    a letter of an ``ignore_case`` literal: UTF-8 (exact) and ``\\uXXXX``
    (hex digits in either case)."""
    letters = {c for x in literals if x.ignore_case for c in x.text}
    spellings: list[tuple[bytes, bool]] = []
    for other, letter in CASE_FOLDED_INTO_ASCII.items():
        if letter in letters:
            spellings.append((other.encode("utf-8"), False))
            spellings.append((f"\\u{ord(other):04x}".encode("ascii"), True))
    return spellings


@runtime_checkable
class LineFilter(Protocol):
    """What the reader asks of a prefilter: ``Prefilter`` for one program's
    literals, or another that keeps the same promise (a line it rules out is
    framed as one JSON object and cannot be kept; see ``packs.gate``)."""

    @property
    def active(self) -> bool: ...

    def scan_counted(self, block: bytes, packed: bool = False) -> tuple[Any, int]: ...

    def filter_batch(self, lines: list[bytes]) -> list[int]: ...


class Prefilter:
    """The program's literal groups (CNF) checked on raw NDJSON lines.

    ``might_match(line)`` is false only when the line is framed as a JSON
    object and cannot hold, in any decoded string, a literal of every group
    (see the module docstring).
    ``filter_batch(lines)`` returns the indices of the lines that might
    match; ``scan(block)`` the ``(start, end)`` spans of such lines in a
    block of LF-separated lines.  ``groups`` holds each group's needles as
    bytes (lower case where ``folds`` says they ignore case)."""

    def __init__(self, cnf: Iterable[Iterable[Literal | str]]) -> None:
        groups: dict[tuple[tuple[bytes, bool], ...], None] = {}
        chars: set[str] = set()
        for group in cnf:
            literals = [_literal(x) for x in group]
            if not literals or not all(checkable(x.text) for x in literals):
                continue  # cannot be checked on raw bytes: keep every line
            if len(literals) > SCAN_GROUP_MAX:
                continue  # a pass per literal would cost more than it saves
            literals = without_implied(literals)
            needles = [(x.text.encode("ascii"), x.ignore_case) for x in literals]
            needles.sort(key=lambda needle: len(needle[0]))
            groups[tuple(needles + _folded_spellings(literals))] = None
            for x in literals:
                chars.update(x.text + x.text.upper() if x.ignore_case else x.text)
        self.groups: tuple[tuple[bytes, ...], ...] = tuple(
            tuple(needle for needle, _ in group) for group in groups
        )
        self.folds: tuple[tuple[bool, ...], ...] = tuple(
            tuple(fold for _, fold in group) for group in groups
        )
        self._folding = any(f for folds in self.folds for f in folds)
        self._danger = frozenset(f"{ord(c):02x}".encode("ascii") for c in chars)
        self._slash = "/" in chars
        self._escapes = _escape_pattern(self._danger)
        # The same escapes for the C scan: the two hex digit bytes, either case.
        table = bytearray(65536)
        for code in self._danger:
            for low in {code[1], code[1:2].upper()[0]}:
                table[code[0] * 256 + low] = 1
        self._table = bytes(table)

    @property
    def active(self) -> bool:
        """False when nothing can be ruled out (every line is kept)."""
        return bool(self.groups)

    def might_match(self, line: bytes) -> bool:
        if not framed(line):
            return True  # decoded, so that it is reported as malformed
        lowered = line.lower() if self._folding else line
        for group, folds in zip(self.groups, self.folds, strict=True):
            if not any(x in (lowered if f else line) for x, f in zip(group, folds, strict=True)):
                return self._escaped(line)
        return True

    def _escaped(self, line: bytes) -> bool:
        """Whether ``line`` holds an escape that may stand for a literal's character."""
        danger = self._danger
        find = line.find
        at = find(_ESCAPE)
        while at >= 0:
            if line[at + 4 : at + 6].lower() in danger:
                return True
            at = find(_ESCAPE, at + 4)
        return self._slash and _SLASH_ESCAPE in line

    def scan(self, block: bytes) -> list[tuple[int, int]]:
        """Sorted ``(start, end)`` spans of the lines of ``block`` (joined by
        LF) that might match; ``block[start:end]`` is the line."""
        return self.scan_counted(block)[0]

    def scan_counted(
        self, block: bytes, packed: bool = False, start: int = 0, end: int = -1
    ) -> tuple[Any, int]:
        """``scan`` and the number of lines in ``block`` (LF count + 1), in one
        pass of C (``cqlmatch._scan``) when there are literals to look for;
        ``packed``: the spans as ``_scan.scan`` packs them (only then);
        ``start``, ``end``: only ``block[start:end]`` (spans still counted
        from the start of ``block``; only with literals)."""
        if self.groups:
            return _c_scan(
                bytes(block), self.groups, self._table, self._slash, packed, self.folds, start, end
            )
        if start or end >= 0:
            raise ValueError("a range is scanned only by the C scan")
        if packed:
            raise ValueError("packed spans come only from the C scan")
        return self.scan_python(block), block.count(_NL) + 1

    def scan_python(self, block: bytes) -> list[tuple[int, int]]:
        """``scan`` with ``bytes.find`` passes and a regex search (the rule
        the C scan must match; kept for tests)."""
        if not self.groups:
            spans, start = [], 0
            for line in block.split(_NL):
                spans.append((start, start + len(line)))
                start += len(line) + 1
            return spans
        find, rfind, size = block.find, block.rfind, len(block)

        def line_at(at: int) -> tuple[int, int]:
            end = find(_NL, at)
            return rfind(_NL, 0, at) + 1, size if end < 0 else end

        kept = self._select(block, line_at)
        start = 0
        for line in block.split(_NL):
            if not framed(line):
                kept[start] = start + len(line)
            start += len(line) + 1
        return sorted(kept.items())

    def filter_batch(self, lines: list[bytes]) -> list[int]:
        """Indices (ascending) of the lines that might match.  Lines may
        contain LF bytes; they are located by offset, not by LF."""
        if not self.groups:
            return list(range(len(lines)))
        if not lines:
            return []
        starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))

        def line_at(at: int) -> tuple[int, int]:
            index = bisect.bisect_right(starts, at) - 1
            return index, starts[index] + len(lines[index])

        kept = self._select(_NL.join(lines), line_at)
        kept.update((i, 0) for i, line in enumerate(lines) if not framed(line))
        return sorted(kept)

    def _select(self, buf: bytes, line_at: Callable[[int], tuple[int, int]]) -> dict[int, int]:
        """``{line key: line end}`` for the lines of ``buf`` that might match;
        ``line_at(offset)`` names the line holding ``offset`` and where it
        ends.  Each literal costs one ``bytes.find`` pass over ``buf`` (or
        over ``buf.lower()``, which keeps offsets, when it ignores case),
        skipping the rest of a line once found, and the escapes one regex
        search; Python runs only per hit, never per line or character."""
        lowered = buf.lower() if self._folding else buf
        kept: dict[int, int] | None = None
        for group, folds in zip(self.groups, self.folds, strict=True):
            hits: dict[int, int] = {}
            for literal, fold in zip(group, folds, strict=True):
                find = lowered.find if fold else buf.find
                at = find(literal)
                while at >= 0:
                    key, end = line_at(at)
                    hits[key] = end
                    at = find(literal, end)
            kept = hits if kept is None else {k: e for k, e in kept.items() if k in hits}
        assert kept is not None
        # One regex search per buffer (not per line) finds only the escapes of
        # the literals' characters; it runs faster than bytes.find(b"\\u00"),
        # which stops at every Gson escape and non-ASCII letter.
        search = self._escapes.search
        found = search(buf)
        while found is not None:
            key, end = line_at(found.start())
            kept[key] = end
            found = search(buf, end)
        if self._slash:
            at = buf.find(_SLASH_ESCAPE)
            while at >= 0:
                key, end = line_at(at)
                kept[key] = end
                at = buf.find(_SLASH_ESCAPE, end)
        return kept


class Pacer:
    """Whether the next block is worth scanning.  A scan that keeps nearly
    every line of a block (a literal that every event carries, such as
    ``build`` in the key ``ConfigBuild``) costs a pass over the bytes and
    saves almost no decoding, so after ``RUN`` such blocks in a row the
    next ``pause`` blocks are decoded without it; then one block is scanned
    again, and a pause that is confirmed doubles (up to ``PAUSE_MAX``).
    Results never depend on it: a block that is not scanned is decoded
    whole, as with ``prefilter=False``."""

    KEEP_MAX = 0.8  # a scan keeping more of a block's lines than this does not pay
    RUN = 2
    PAUSE_MIN, PAUSE_MAX = 8, 64

    def __init__(self) -> None:
        self._run = 0  # blocks in a row where the scan kept too much
        self._left = 0  # blocks still to pass without a scan
        self._pause = self.PAUSE_MIN

    def scan_next(self) -> bool:
        if self._left:
            self._left -= 1
            return False
        return True

    def scanned(self, kept: int, lines: int) -> None:
        """Report what the scan of a block kept of its lines."""
        if kept <= self.KEEP_MAX * lines:
            self._run, self._pause = 0, self.PAUSE_MIN
            return
        self._run += 1
        if self._run >= self.RUN:
            self._left = self._pause
            self._pause = min(2 * self._pause, self.PAUSE_MAX)
            self._run = self.RUN - 1  # one more such block pauses again


def framed(line: bytes) -> bool:
    """Whether ``line`` looks like one JSON object, ``{`` ... ``}`` once
    spaces, tabs and CRs are trimmed, or is blank (the C scan's rule)."""
    if not line or (line[0] == 0x7B and line[-1] == 0x7D):
        return True
    inner = line.strip(_FRAME_BLANKS)
    return not inner or (inner[0] == 0x7B and inner[-1] == 0x7D)


def _escape_pattern(danger: frozenset[bytes]) -> re.Pattern[bytes]:
    """``\\u00XX`` for the hex codes in ``danger``, hex digits in either case."""
    by_first: dict[str, set[str]] = {}
    for code in sorted(danger):
        high, low = code.decode("ascii")
        by_first.setdefault(high, set()).update({low, low.upper()})
    if not by_first:
        return re.compile(rb"(?!)")
    choices = "|".join(f"{high}[{''.join(sorted(lows))}]" for high, lows in by_first.items())
    return re.compile(rb"\\u00(?:" + choices.encode("ascii") + rb")")

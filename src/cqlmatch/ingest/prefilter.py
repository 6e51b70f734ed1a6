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

A literal that names the field it comes from (``Literal.field``) is also
looked for in that field's value (``Prefilter.keys``): a line every group
keeps (not one kept for an escape) is skipped when some group with a literal
shorter than ``SCOPE_BELOW`` whose literals name fields this module can find
in a raw line (``scope_keys``: a top-level key, and for a tag ``#x`` also
``x``) has no hit that lies in one of its literal's fields (a literal
without such a field counts anywhere).  A hit lies in field ``K`` when the last quote before it
that no backslash escapes is preceded (spaces allowed) by a colon and
``"K"``, so the hit is in the string value of a key ``K``, or is itself the
closing quote of ``"K"``, so the hit is in a value of ``K`` that is not a
string (in doubt, it counts).  ``"K"`` may be a nested object's key or a
repeated key: that only makes more hits count; a key's name inside another
string has escaped quotes, so it is never taken for a key.  Where the raw
value may spell a literal otherwise than as itself the line is kept anyway:
an escape of one of its characters keeps the line before this test, a
non-ASCII spelling under ``(?i)`` (a needle of its own) counts in the fields
of the literals holding its letter, and a line that may spell a key with an
escape (``\\u00XX`` of one of the keys' characters,
``\\/`` when a key holds ``/``) is kept.  The other escapes stand for
characters no literal holds, so a literal in a decoded value is in the raw
value as it is.  On the worst mix of ``bench/compare.py`` nearly every line
that holds an installer name somewhere (``apt`` in ``Adapter``) does not
hold one in ``ParentBaseFileName`` or ``ImageFileName``.

A line the literals rule out is still kept when it is not framed as a JSON
object (``framed``): so a file with garbage lines reports them as malformed
with the prefilter on, as without it.  A skipped line has had its framing
checked, nothing more.

The C scan (``cqlmatch._scan``) applies this rule to whole blocks; the
``bytes.find`` version here states it for the tests.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from typing import Any, Protocol, runtime_checkable

from .._scan import scan as _c_scan
from ..bytecode.program import Literal, weakest_dropped, without_implied
from ..lang.lazyre import lazy
from ..lang.regex import CASE_FOLDED_INTO_ASCII

__all__ = ["LineFilter", "Pacer", "Prefilter"]

_NL = b"\n"
_ESCAPE = b"\\u00"
_SLASH_ESCAPE = b"\\/"
_FRAME_BLANKS = b" \t\r"  # trimmed before the framing check
_SPACES = b" \t\r\n"  # JSON white space
# The most literals of a group this scan looks for (each costs a pass over
# the block); a larger group, which a pack's automaton takes, is left out.
SCAN_GROUP_MAX = 64
# A group is looked for in its fields only when one of its literals is
# shorter than this (``_scoped_group``).
SCOPE_BELOW = 8


def checkable(literal: str) -> bool:
    """Whether raw-byte search can rule out ``literal``: printable ASCII
    without ``"`` and ``\\``, which JSON always escapes."""
    # (ASCII and printable is U+0020-U+007E; str methods, as a pack checks
    # tens of thousands of literals when it loads)
    return (
        bool(literal)
        and literal.isascii()
        and literal.isprintable()
        and '"' not in literal
        and "\\" not in literal
    )


def _literal(item: Literal | str) -> Literal:
    """A literal with its text in lower case if it ignores case; str: exact."""
    if isinstance(item, str):
        return Literal(item)
    return Literal(item.text.lower(), True, item.field) if item.ignore_case else item


def scope_keys(field: str) -> tuple[str, ...]:
    """The top-level keys of a raw line whose value is what a filter on
    ``field`` reads (a tag ``#x`` falls back to ``x``), or () when the value
    may come from elsewhere: a dotted or indexed name (a nested object
    flattened), an ``@`` field (``@timestamp``, ``@rawstring``: filled in or
    converted), a name that a raw line cannot hold as it is."""
    if not field or field[0] == "@" or "." in field or "[" in field:
        return ()
    keys = (field, field[1:]) if field[0] == "#" and len(field) > 1 else (field,)
    return keys if all(checkable(k) for k in keys) else ()


ScopedGroup = tuple[tuple[bytes, bool, tuple[bytes, ...]], ...]


def _scoped_group(literals: list[Literal]) -> ScopedGroup:
    """A group's needles, shortest first, then the raw spellings of the
    non-ASCII characters that ``(?i)`` folds onto a letter of an
    ``ignore_case`` literal (UTF-8, and ``\\uXXXX`` with hex digits in either
    case): ``(needle, fold, keys)``, ``keys`` the names of the top-level keys
    in whose value a hit counts (empty: anywhere; a spelling counts where
    the literals holding its letter do).  A group is looked for in its
    fields only when one of its literals shorter than ``SCOPE_BELOW`` has a
    field: following its hits costs a search of the rest of the line, and a
    short literal (``apt``) is often found by chance outside its field."""
    keys: dict[tuple[bytes, bool], set[bytes] | None] = {}
    for x in literals:
        needle = (x.text.encode("ascii"), x.ignore_case)
        names = {k.encode("ascii") for k in scope_keys(x.field)} or None
        known = keys.get(needle, set())
        keys[needle] = None if names is None or known is None else known | names
    scoped = any(names and len(t) < SCOPE_BELOW for (t, _), names in keys.items())

    def where(names: set[bytes] | None) -> tuple[bytes, ...]:
        return tuple(sorted(names)) if scoped and names else ()

    group = [(t, f, where(names)) for (t, f), names in keys.items()]
    group.sort(key=lambda item: len(item[0]))
    for other, letter in CASE_FOLDED_INTO_ASCII.items():
        holders = [names for (t, f), names in keys.items() if f and letter in t.decode("ascii")]
        if holders:
            names = None if None in holders else set().union(*holders)  # type: ignore[arg-type]
            group.append((other.encode("utf-8"), False, where(names)))
            group.append((f"\\u{ord(other):04x}".encode("ascii"), True, where(names)))
    return tuple(group)


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

    def __init__(self, cnf: Iterable[Iterable[Literal | str]], scoped: bool = True) -> None:
        chars: set[str] = set()
        usable: list[tuple[Literal, ...]] = []
        for group in cnf:
            literals = [_literal(x) for x in group]
            if not literals or not all(checkable(x.text) for x in literals):
                continue  # cannot be checked on raw bytes: keep every line
            if len(literals) > SCAN_GROUP_MAX:
                continue  # a pass per literal would cost more than it saves
            usable.append(tuple(literals))
        # Without the groups another implies (fields left out, as the scan
        # looks for them in the whole line): each group's needles, and for
        # each needle the keys whose values its hits must lie in (empty:
        # anywhere), from the groups that gave it.
        plain = [tuple(x.anywhere() for x in g) for g in usable]
        origins: dict[tuple[Literal, ...], list[Literal]] = {}
        for stripped, group in zip(plain, usable, strict=True):
            origins.setdefault(stripped, []).extend(group if scoped else stripped)
        found: dict[ScopedGroup, None] = {}
        for stripped in weakest_dropped(plain):
            literals = without_implied(origins[stripped])
            found[_scoped_group(literals)] = None
            for x in literals:
                chars.update(x.text + x.text.upper() if x.ignore_case else x.text)
        self.groups: tuple[tuple[bytes, ...], ...] = tuple(
            tuple(needle for needle, _, _ in group) for group in found
        )
        self.folds: tuple[tuple[bool, ...], ...] = tuple(
            tuple(fold for _, fold, _ in group) for group in found
        )
        #: for each group, None (not scoped) or the keys of each needle
        self.keys: tuple[tuple[tuple[bytes, ...], ...] | None, ...] = tuple(
            tuple(keys for _, _, keys in group) if any(k for _, _, k in group) else None
            for group in found
        )
        self._folding = any(f for folds in self.folds for f in folds)
        self._danger = frozenset(f"{ord(c):02x}".encode("ascii") for c in chars)
        self._slash = "/" in chars
        self._escapes = _escape_pattern(self._danger)
        # The same escapes for the C scan: the two hex digit bytes, either case.
        self._table = _escape_table(self._danger)
        names = {k for group in self.keys if group for keys in group for k in keys}
        key_chars = {c for name in names for c in name.decode("ascii")}
        self._key_danger = frozenset(f"{ord(c):02x}".encode("ascii") for c in key_chars)
        self._key_slash = "/" in key_chars
        self._key_escapes = _escape_pattern(self._key_danger)
        self._scope = (
            (self.keys, _escape_table(self._key_danger), self._key_slash) if names else None
        )

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
        return self.scope_keeps(line) or self._escaped(line)

    def scope_keeps(self, line: bytes) -> bool:
        """Whether ``line`` passes the field-scoped test: each scoped group
        has a hit that lies in one of its needle's keys (``_hit_counts``),
        or the line may spell a key with an escape (the rule fieldscope.h
        and scan.pyx follow in C)."""
        lowered = line.lower()
        for group, folds, keys in zip(self.groups, self.folds, self.keys, strict=True):
            if keys is not None and not any(
                _hit_counts(line, at, names)
                for needle, fold, names in zip(group, folds, keys, strict=True)
                for at in _hits(lowered if fold else line, needle)
            ):
                return self._key_escaped(line)
        return True

    def _key_escaped(self, line: bytes) -> bool:
        """Whether ``line`` may spell a scoped key with an escape."""
        found = self._key_escapes.search(line) is not None
        return found or (self._key_slash and _SLASH_ESCAPE in line)

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
                bytes(block),
                self.groups,
                self._table,
                self._slash,
                packed,
                self.folds,
                start,
                end,
                self._scope,
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

        kept = self._select(block, line_at, lambda start, end: block[start:end])
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

        kept = self._select(_NL.join(lines), line_at, lambda index, _: lines[index])
        kept.update((i, 0) for i, line in enumerate(lines) if not framed(line))
        return sorted(kept)

    def _select(
        self,
        buf: bytes,
        line_at: Callable[[int], tuple[int, int]],
        line_of: Callable[[int, int], bytes],
    ) -> dict[int, int]:
        """``{line key: line end}`` for the lines of ``buf`` that might match;
        ``line_at(offset)`` names the line holding ``offset`` and where it
        ends, ``line_of(key, end)`` is that line (for the field-scoped
        test).  Each literal costs one ``bytes.find`` pass over ``buf`` (or
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
        if self._scope is not None:
            kept = {k: e for k, e in kept.items() if self.scope_keeps(line_of(k, e))}
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


def _escape_table(danger: frozenset[bytes]) -> bytes:
    """The C scan's table of ``\\u00XX`` escapes: non-zero at the two hex
    digit bytes of each code in ``danger``, the second in either case."""
    table = bytearray(65536)
    for code in danger:
        for low in {code[1], code[1:2].upper()[0]}:
            table[code[0] * 256 + low] = 1
    return bytes(table)


def _hits(haystack: bytes, needle: bytes) -> Iterator[int]:
    """Every offset of ``needle`` in ``haystack``, overlapping ones too."""
    at = haystack.find(needle)
    while at >= 0:
        yield at
        at = haystack.find(needle, at + 1)


def _escaped_at(line: bytes, at: int) -> bool:
    """Whether an odd number of backslashes stand right before ``at``."""
    return (at - len(line[:at].rstrip(b"\\"))) % 2 == 1


def _real_quote_before(line: bytes, at: int) -> int:
    """The offset of the last quote before ``at`` that no backslash
    escapes, or -1."""
    at = line.rfind(b'"', 0, at)
    while at >= 0 and _escaped_at(line, at):
        at = line.rfind(b'"', 0, at)
    return at


def _key_ends_at(line: bytes, quote: int, keys: tuple[bytes, ...]) -> bool:
    """Whether ``line[:quote + 1]`` ends with ``"K"`` for one of ``keys``,
    its opening quote not escaped."""
    for key in keys:
        start = quote - len(key) - 1
        spelt = start >= 0 and line[start : quote + 1] == b'"' + key + b'"'
        if spelt and not _escaped_at(line, start):
            return True
    return False


def _hit_counts(line: bytes, at: int, keys: tuple[bytes, ...]) -> bool:
    """Whether a hit at ``at`` lies in the value of one of ``keys`` (the
    module docstring; no keys: anywhere)."""
    if not keys:
        return True
    quote = _real_quote_before(line, at)
    if quote < 0:
        return True  # before any string: in doubt
    if _key_ends_at(line, quote, keys):
        return True  # in the key's value, which is not a string
    before = line[:quote].rstrip(_SPACES)
    if not before.endswith(b":"):
        return False
    before = before[:-1].rstrip(_SPACES)
    return before.endswith(b'"') and _key_ends_at(line, len(before) - 1, keys)


def _escape_pattern(danger: frozenset[bytes]) -> Any:
    """``\\u00XX`` for the hex codes in ``danger``, hex digits in either case
    (compiled on first use: only the line-by-line checks use it, not the C scan)."""
    by_first: dict[str, set[str]] = {}
    for code in sorted(danger):
        high, low = code.decode("ascii")
        by_first.setdefault(high, set()).update({low, low.upper()})
    if not by_first:
        return lazy(rb"(?!)")
    choices = "|".join(f"{high}[{''.join(sorted(lows))}]" for high, lows in by_first.items())
    return lazy(rb"\\u00(?:" + choices.encode("ascii") + rb")")

"""NDJSON lines straight to the VM's columns, a batch at a time.

For a program whose instructions all run in the VM and whose output is its
group table (``Machine.native`` and a group plan), an event is nothing but
the values of the program's fields.  ``ColumnDecoder.decode_spans(block,
spans)`` turns a block's kept lines into one list per field without a
per-line Python call or an event object: first with the C field extractor
(``_fields``: one pass per line locating the wanted top-level strings, one
str per value read), and, for a block it declines, in a single msgspec call
(the lines decoded as NDJSON into structs that hold only those fields).  (msgspec's
``decode_lines`` parses each line on its own; a line holding two values
gives one row too many, which is caught by the count.)

It takes the fast path only when the answer is certain to equal the
per-line decoder's (``ingest.Decoder``, itself equal to
``events.parse_line``): every requested value in the batch is a JSON string
and every line is a JSON object with valid UTF-8.  Anything else (a number,
``null``, a nested value, a malformed line anywhere in the batch) makes
``decode`` return None, and the caller decodes that batch line by line,
which also words and numbers any malformed line.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from .._fields import FieldExtractor, extractable
from .._scan import gather, join_lines, utf8_valid
from ..bytecode.program import Program
from ..lang.events import Event, check_values
from ..limits import MAX_EVENT_VALUES as LONG


def struct_name_ok(name: str) -> bool:
    """Whether msgspec takes ``name`` as the JSON name of a struct field
    (it refuses backslashes, quotes and control characters)."""
    return not any(c in '\\"' or ord(c) < 0x20 for c in name)


_UNSET = msgspec.UNSET


PAIR = 16  # bytes per packed span: two native 64-bit offsets


def unpack_spans(packed: bytes) -> list[tuple[int, int]]:
    """``_scan.scan(..., packed=True)``'s spans as ``(start, end)`` pairs."""
    offsets = iter(memoryview(packed).cast("Q"))
    return list(zip(offsets, offsets, strict=True))


def last_span_start(packed: bytes) -> int:
    """Where the last of packed (non-empty) spans starts."""
    return memoryview(packed).cast("Q")[-2]


class ColumnBatch:
    """``columns[slot][row]``: the value the program reads for field ``slot``
    on the batch's row (fallbacks applied), or None; ``raws[row]`` the line
    as text when the program reads ``@rawstring``, else None.  ``block``
    and ``spans``: where the rows' lines are as bytes, when the batch was
    decoded from them (``decode_spans``): row ``i`` is the ``i``-th span
    (packed, as ``_scan.scan`` gives them) of ``block``."""

    __slots__ = ("block", "columns", "raws", "size", "spans")

    def __init__(
        self,
        columns: tuple[list, ...],
        raws: list[str] | None,
        size: int,
        block: bytes | None = None,
        spans: bytes | None = None,
    ) -> None:
        self.columns = columns
        self.raws = raws
        self.size = size
        self.block = block
        self.spans = spans


class ColumnDecoder:
    """Decodes batches of NDJSON lines into a program's columns."""

    def __init__(self, program: Program, lines: bool = False) -> None:
        """``lines``: each batch's ``raws`` holds its lines even when the
        program does not read ``@rawstring`` (a pack reads them again)."""
        self.program = program
        names: list[str] = []
        for ref in program.fields:
            names.append(ref.name)
            if ref.fallback is not None:
                names.append(ref.fallback)
        self.names = tuple(dict.fromkeys(names))
        #: whether the fast path can serve this program at all: names that
        #: flattening makes (``a.b``, ``a[0]``) need the whole object
        # (and names msgspec cannot rename a struct field to: ``\``, ``"``, controls)
        self.usable = not any("." in n or "[" in n or not struct_name_ok(n) for n in self.names)
        self.wants_raw = lines or any(ref.rawstring for ref in program.fields)
        attrs = [f"f{i}" for i in range(len(self.names))]
        if not self.usable:
            return
        struct = msgspec.defstruct(
            "ColumnRow",
            [(a, str | msgspec.UnsetType, _UNSET) for a in attrs],
            rename=dict(zip(attrs, self.names, strict=True)),
            gc=False,
        )
        self._decode = msgspec.json.Decoder(struct).decode_lines
        index = {name: i for i, name in enumerate(self.names)}
        self._own = tuple(f"f{index[ref.name]}" for ref in program.fields)
        self._fallback = tuple(
            None if ref.fallback is None else f"f{index[ref.fallback]}" for ref in program.fields
        )
        self._extractor: FieldExtractor | None = None
        if extractable(self.names):
            self._extractor = FieldExtractor(
                self.names,
                tuple(index[ref.name] for ref in program.fields),
                tuple(
                    -1 if ref.fallback is None else index[ref.fallback] for ref in program.fields
                ),
                tuple(bool(ref.rawstring) for ref in program.fields),
                lines,
            )

    def decode_spans(self, block: bytes, spans: bytes) -> ColumnBatch | None:
        """``decode`` for the lines ``block[start:end]`` of ``spans`` (packed
        by ``_scan.scan``): first by the C field extractor, then, if it
        declines, by msgspec."""
        if not self.usable or not spans:
            return None
        if self._extractor is not None:
            found = self._extractor.extract(block, spans)
            if found is not None:
                return ColumnBatch(found[0], found[1], len(spans) // PAIR, block, spans)
        pairs = unpack_spans(spans)
        if not all(_few_values(block[start:end]) for start, end in pairs if end - start > LONG):
            return None  # (a line past the values bound: line by line, where it is counted)
        data, ascii_only = join_lines(block, pairs)
        batch = self.decode_joined(data, len(pairs), ascii_only)
        if batch is not None:
            batch.block, batch.spans = block, spans
        return batch

    def decode(self, lines: list[bytes]) -> ColumnBatch | None:
        """The batch's columns, or None when it must be decoded line by line."""
        if not all(_few_values(line) for line in lines if len(line) > LONG):
            return None  # (a line past the values bound: line by line, where it is counted)
        data = b"\n".join(lines)
        return self.decode_joined(data, len(lines), data.isascii())

    def decode_joined(self, data: bytes, count: int, ascii_only: bool) -> ColumnBatch | None:
        """``decode`` for ``count`` lines already joined by LF (``_scan.join_lines``)."""
        if not self.usable:
            return None
        # msgspec checks only the strings it keeps; the reference rejects a
        # line with invalid UTF-8 anywhere
        if not ascii_only and not utf8_valid(data):
            return None
        try:
            rows = self._decode(data)
        except (msgspec.DecodeError, RecursionError):  # (ValidationError included)
            return None
        if len(rows) != count:  # a line holding two values, e.g. "{} {}"
            return None
        columns = gather(rows, self._own, self._fallback, _UNSET)
        raws = None
        if self.wants_raw:
            raws = data.decode("utf-8").split("\n")
            for ref, column in zip(self.program.fields, columns, strict=True):
                if ref.rawstring:  # @rawstring: the line itself unless the event has one
                    column[:] = [
                        raw if v is None else v for v, raw in zip(column, raws, strict=True)
                    ]
        return ColumnBatch(columns, raws, count)


def columns_of(program: Program, events: Iterable[Event], share: bool = True) -> tuple[list, ...]:
    """Events as the VM's columns: for each field of ``program`` the list of
    its values as the query reads them (``Event.get``: with the ``#tag``,
    ``@timestamp`` and ``@rawstring`` fallbacks), None where absent.

    ``share``: equal values of a column become one str object (per column,
    for values up to ``SHARE_MAX_CHARS`` long, at most ``SHARE_MAX_VALUES``
    of them), as a dictionary-encoding decoder would give them: the VM then
    compares event types by identity and reuses a regex result for a value
    it has just seen without hashing it."""
    names = [ref.name for ref in program.fields]
    columns: tuple[list, ...] = tuple([] for _ in names)
    shared: list[dict[str, str]] = [{} for _ in names]
    for event in events:
        for column, name, known in zip(columns, names, shared, strict=True):
            value = event.get(name)
            if share and value is not None and len(value) <= SHARE_MAX_CHARS:
                value = known.get(value, value)
                if len(known) < SHARE_MAX_VALUES:
                    known.setdefault(value, value)
            column.append(value)
    return columns


SHARE_MAX_CHARS = 256
SHARE_MAX_VALUES = 65_536


def _few_values(line: bytes) -> bool:
    """Whether ``line`` holds no more values than one event may (only lines
    longer than ``LONG`` bytes can hold more)."""
    try:
        check_values(line)
    except ValueError:
        return False
    return True

"""The event reader: a source's lines, the raw-byte prefilter and the
decoders joined into one iterator of events, with counts.

``read_events(source, program, need_all)``
    Events (``decode.Decoder``) and malformed lines, in input order, from
    any source ``blocks.open_lines`` takes (or an iterable of mappings,
    through ``decode.from_dicts``), with ``stats`` (``IngestStats``).
``Prefilter(program.prefilter)``
    Rules out lines that cannot produce output, from the raw bytes alone.

Blocks of lines come from ``blocks.read_blocks`` (bounded memory: its
module says how); iterables of lines are taken ``_BATCH_LINES`` at a time.

The prefilter (``prefilter.Prefilter``) never changes a result: its module
says which lines it may rule out.  Where it rules out almost nothing
(``prefilter.Pacer``: it kept more than 80% of the lines of two blocks in
a row), the next blocks are decoded whole without scanning them, and it is
tried again later.

Malformed lines (see ``decode``) are reported, never raised, and do not
disturb the lines around them.  A line the prefilter rules out is not
parsed, so it is counted in ``skipped`` whether or not it is well-formed
(and a block decoded whole while the prefilter pauses has its bad lines
reported); ``prefilter=False`` checks every line.
Lines rejected before decoding (only a byte-order mark, too long, corrupt
compressed data) are reported in both modes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from itertools import islice
from typing import Any

from .._scan import scan as _c_scan
from ..bytecode.program import Program
from ..lang.events import Event
from ..limits import MAX_LINE_BYTES
from .blocks import (
    CHUNK_SIZE,
    Broken,
    FileRange,
    SourceBlock,
    as_line,
    is_blank,
    read_blocks,
    source_kind,
)
from .columns import PAIR, ColumnBatch, ColumnDecoder, last_span_start, unpack_spans
from .decode import Decoder, from_dicts
from .lines import BOM, MalformedLine, Overlong, strip_bom
from .prefilter import LineFilter, Pacer, Prefilter

__all__ = [
    "EventReader",
    "IngestStats",
    "Prefilter",
    "read_events",
]

_BATCH_LINES = 4096

_NL = b"\n"
_NO_ESCAPES = bytes(65536)  # the C scan's escape table when no literal is looked for
_NOTHING = object()


class IngestStats:
    """Counts of one read.  ``lines`` = ``skipped`` + ``blank`` +
    ``events`` + ``malformed``; with the prefilter on, blank lines are among
    ``skipped`` (it rules them out without looking at them)."""

    __slots__ = ("blank", "events", "lines", "malformed", "skipped")

    def __init__(self) -> None:
        self.lines = 0
        self.skipped = 0
        self.blank = 0
        self.events = 0
        self.malformed = 0

    @property
    def decoded(self) -> int:
        """Lines handed to the JSON decoder."""
        return self.events + self.malformed

    def as_dict(self) -> dict[str, int]:
        return {
            name: getattr(self, name)
            for name in ("lines", "skipped", "blank", "events", "malformed")
        }

    def add(self, counts: IngestStats | dict[str, int]) -> None:
        """Add another read's counts (several files, or a worker's part)."""
        items = counts.as_dict() if isinstance(counts, IngestStats) else counts
        for name, value in items.items():
            setattr(self, name, getattr(self, name) + value)

    def __repr__(self) -> str:
        return "IngestStats(" + ", ".join(f"{k}={v}" for k, v in self.as_dict().items()) + ")"


class EventReader:
    """An iterator of ``Event | MalformedLine`` over a source, with ``stats``.

    ``program`` gives the fields to decode and the prefilter literals; None
    decodes every field and keeps every line.  ``prefilter=False`` decodes
    every line (so every malformed line is reported).  A path, standard
    input or a file object is opened (and sniffed for compression) by the
    constructor; ``stats`` is final once the iterator is exhausted (a block
    of lines is counted after its last event).  ``incomplete`` is true once
    a compressed source turned out corrupt or cut short: its last item is
    then a ``MalformedLine`` whose reason starts ``input incomplete``, at
    the line where reading stopped."""

    def __init__(
        self,
        source: Any,
        program: Program | None = None,
        need_all: bool = False,
        prefilter: bool = True,
        chunk_size: int = CHUNK_SIZE,
        max_line_bytes: int = MAX_LINE_BYTES,
        columns: bool | ColumnDecoder = False,
        literals: Any = None,
        fields: Any = None,
    ) -> None:
        self.stats = IngestStats()
        self.incomplete = False
        if program is not None:
            refs, everything = program.fields, need_all
        else:  # the names given, or every field
            refs, everything = fields or (), need_all or fields is None
        self.decoder = Decoder(refs, everything)
        self.columns: ColumnDecoder | None = None
        if isinstance(columns, ColumnDecoder):
            self.columns = columns
        elif columns and program is not None and not need_all:
            self.columns = ColumnDecoder(program)
        if literals is None:
            literals = program.prefilter if program is not None else ()
        if isinstance(literals, LineFilter):
            self.prefilter: LineFilter = literals if prefilter else Prefilter(())
        else:
            self.prefilter = Prefilter(literals if prefilter else ())
        self._pacer = Pacer()
        self._bom = not isinstance(source, FileRange) or source.start == 0
        self._iterator = self._start(source, chunk_size, max_line_bytes)

    def __iter__(self) -> EventReader:
        return self

    def __next__(self) -> Event | MalformedLine:
        return next(self._iterator)

    def close(self) -> None:
        """Stop reading: closes the file and ends the helper thread, if any."""
        close = getattr(self._iterator, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> EventReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self, source: Any, chunk_size: int, max_line: int) -> Iterator[Any]:
        if source_kind(source) == "iterable":
            items = iter(source)
            first = next(items, _NOTHING)
            if first is _NOTHING:
                return iter(())
            items = _chain_first(first, items)
            if isinstance(first, Mapping):
                return self._counted(from_dicts(items))
            return self._from_items(items)
        return self._closing(self._from_blocks, read_blocks(source, chunk_size, max_line))

    @staticmethod
    def _closing(
        consume: Callable[[Iterator[SourceBlock]], Iterator[Any]], blocks: Iterator[SourceBlock]
    ) -> Iterator[Any]:
        """``consume(blocks)``, closing ``blocks`` (file, helper thread) when
        the reader is closed or dropped, not only when it is exhausted."""
        try:
            yield from consume(blocks)
        finally:
            blocks.close()  # type: ignore[attr-defined]

    def _counted(self, events: Iterator[Event | MalformedLine]) -> Iterator[Any]:
        stats = self.stats
        for event in events:
            stats.lines += 1
            if type(event) is Event:
                stats.events += 1
            else:
                stats.malformed += 1
            yield event

    def _decode(self, line: bytes, number: int) -> Event | MalformedLine:
        result = self.decoder.decode(line, number)
        if type(result) is Event:
            self.stats.events += 1
        else:
            self.stats.malformed += 1
        return result

    def _reject(self, malformed: MalformedLine) -> MalformedLine:
        self.stats.lines += 1
        self.stats.malformed += 1
        return malformed

    def _from_blocks(self, blocks: Iterator[SourceBlock]) -> Iterator[Any]:
        """The items of each block in order.  A block's lines are counted
        when it is done; a run stopped inside a block (an early ``head``,
        Ctrl-C) counts the lines up to the last item handed out, so the
        stats never show more lines decoded than read."""
        stats = self.stats
        number = 1  # of the block's first line
        pacer = self._pacer if self.prefilter.active else None
        for block in blocks:
            if isinstance(block, Overlong):
                yield self._reject(block.malformed(number))
                number += 1
                continue
            if isinstance(block, Broken):
                self.incomplete = True
                yield self._reject(MalformedLine(number, block.reason))
                return
            bom_only = False
            if number == 1 and self._bom and block.startswith(BOM):
                block, bom_only = strip_bom(block)
                if bom_only:  # line 1 stays in the block, blank
                    yield self._reject(MalformedLine(1, "only a byte-order mark"))
            # While the block is handed out: the items so far (counted already),
            # and the offset of the last one's line (after a scan) or the
            # lines gone through (line by line, or one batch of them all).
            handed, at, through, done = 0, -1, -1, False
            try:
                if pacer is not None and pacer.scan_next():
                    if self.columns is not None:
                        packed, count = self.prefilter.scan_counted(block, packed=True)
                        kept = len(packed) // PAIR
                        batch = self._column_batch(block, packed) if kept else None
                        if batch is not None:
                            stats.events += batch.size
                            handed, at = batch.size, last_span_start(packed)
                            yield batch
                        spans = [] if batch is not None else unpack_spans(packed)
                    else:
                        spans, count = self.prefilter.scan_counted(block)
                        kept = len(spans)
                    decode = self.decoder.decode
                    counted, counted_to = number, 0  # line number at offset counted_to
                    for start, end in spans:
                        line = block[start:end]
                        if line.endswith(b"\r"):
                            line = line[:-1]
                        result = decode(line)
                        if type(result) is Event:
                            stats.events += 1
                        else:  # numbered only now: counting lines costs a pass over the block
                            stats.malformed += 1
                            counted += block.count(_NL, counted_to, start)
                            counted_to = start
                            result.line_number = counted
                        handed += 1
                        at = start
                        yield result
                    stats.skipped += count - kept - bom_only
                    pacer.scanned(kept, count)
                else:
                    batch = None
                    if self.columns is not None:
                        # No literal to look for: every non-empty line, as one batch
                        # (a blank or whitespace-only line makes the batch decline).
                        packed, count = _c_scan(bytes(block), (), _NO_ESCAPES, False, True)
                        if packed:
                            batch = self._column_batch(block, packed)
                    if batch is not None:
                        stats.events += batch.size
                        stats.blank += count - batch.size
                        through = count
                        yield batch
                    else:
                        count = 0
                        for count, line in enumerate(block.split(_NL), 1):
                            if line.endswith(b"\r"):
                                line = line[:-1]
                            if not line or line.isspace():
                                stats.blank += 1
                                continue
                            through = count
                            yield self._decode(line, number + count - 1)
                    stats.blank -= bom_only
                done = True
            finally:
                if not done:  # stopped inside the block: count its lines so far
                    if through >= 0:
                        stats.lines += through - bom_only
                        stats.blank -= bom_only
                    elif at >= 0:
                        through = block.count(_NL, 0, at) + 1
                        stats.lines += through - bom_only
                        stats.skipped += through - handed - bom_only
            stats.lines += count - bom_only
            number += count

    def _column_batch(self, block: bytes, spans: bytes) -> ColumnBatch | None:
        """The lines of ``block`` at ``spans`` (packed) as one column batch,
        or None when the column decoder declines them."""
        assert self.columns is not None
        return self.columns.decode_spans(block, spans)

    def _from_items(self, items: Iterator[Any]) -> Iterator[Any]:
        stats = self.stats
        prefilter = self.prefilter
        number = 1  # of the batch's first item
        while True:
            batch = list(islice(items, _BATCH_LINES))
            if not batch:
                return
            lines: list[bytes] = []
            rejected: dict[int, MalformedLine] = {}
            for index, item in enumerate(batch):
                line = as_line(item)
                if line is None:
                    reason = f"not a line but {type(item).__name__}"
                    rejected[index] = MalformedLine(number + index, reason)
                    line = b""
                elif number + index == 1 and line.startswith(BOM):
                    line = line[3:]
                    if is_blank(line):
                        rejected[index] = MalformedLine(1, "only a byte-order mark")
                        line = b""
                lines.append(line)
            if prefilter.active:
                kept = prefilter.filter_batch(lines)
                stats.skipped += len(lines) - len(kept) - len(rejected)
                order = sorted([*kept, *rejected])
            else:
                order = [i for i, line in enumerate(lines) if i in rejected or not is_blank(line)]
                stats.blank += len(lines) - len(order)
            for index in order:
                if index in rejected:
                    yield self._reject(rejected[index])
                else:
                    yield self._decode(lines[index], number + index)
            stats.lines += len(lines) - len(rejected)
            number += len(batch)


def _chain_first(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def read_events(
    source: Any,
    program: Program | None = None,
    need_all: bool = False,
    prefilter: bool = True,
    chunk_size: int = CHUNK_SIZE,
    max_line_bytes: int = MAX_LINE_BYTES,
    columns: bool | ColumnDecoder = False,
    literals: Any = None,
    fields: Any = None,
) -> EventReader:
    """Events (and malformed lines, in input order) from ``source``; see
    ``EventReader`` and the module docstring.  ``columns``: a block's kept
    lines may come as one ``columns.ColumnBatch`` instead of events, when
    ``ColumnDecoder`` can decode them exactly (only for programs whose
    every instruction runs in the VM and whose output is the group table:
    the caller checks).  ``literals``: the prefilter's groups (a CNF of
    ``Literal``) instead of the program's, or a ready ``LineFilter``, for a
    reader serving several programs (a pack); ``fields``: without a program, the names to decode
    (None: every field).  ``columns`` may be a ``ColumnDecoder`` made by
    the caller (a pack's, over the fields its rules read)."""
    return EventReader(
        source, program, need_all, prefilter, chunk_size, max_line_bytes, columns, literals, fields
    )

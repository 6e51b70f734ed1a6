"""Lines of NDJSON input: bytes split into complete lines, and what a line
that cannot be an event looks like.

``LineSplitter`` is the one place input is cut into lines, whoever has the
bytes: the file reader pushes what each read returns, ``Matcher.feed``
what a caller hands it.  Bytes arrive split anywhere; the splitter carries
an unfinished line to the next push and gives back *blocks*: complete lines
joined by LF without the final LF (a block of ``n`` line feeds holds
``n + 1`` lines), in input order, with ``Overlong`` in place of a line
longer than the limit (thrown away as it passes the limit, never held).
"""

from __future__ import annotations

_NL = b"\n"
BOM = b"\xef\xbb\xbf"


class MalformedLine:
    """A line of input that is not a JSON object: kept with its number (and
    the file it is in, when a run reads several)."""

    __slots__ = ("line_number", "reason", "source")

    def __init__(self, line_number: int, reason: str, source: str | None = None) -> None:
        self.line_number = line_number
        self.reason = reason
        self.source = source

    def __repr__(self) -> str:
        where = f"{self.source}:" if self.source is not None else "line "
        return f"{where}{self.line_number}: {self.reason}"


class Overlong:
    """One line longer than the limit, already thrown away (``length``:
    its size when known; None when it was cut off as it passed the limit)."""

    __slots__ = ("length",)

    def __init__(self, length: int | None) -> None:
        self.length = length

    def malformed(self, number: int) -> MalformedLine:
        size = "" if self.length is None else f" ({self.length} bytes)"
        return MalformedLine(number, f"line longer than the limit{size}: not read")


Block = bytes | Overlong


def lines_in(block: Block) -> int:
    """How many input lines ``block`` stands for."""
    return 1 if isinstance(block, Overlong) else block.count(_NL) + 1


class LineSplitter:
    """Push bytes in any pieces, take blocks of complete lines (module docstring)."""

    __slots__ = ("_carried", "_discarding", "_next", "_size", "lines", "max_line")

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self._carried: list[bytes] = []  # pieces of the unfinished line
        self._size = 0
        self._discarding = False  # inside a line already reported as too long
        self._next = 1  # the number of the next complete line (numbered pushes)
        self.lines = 0  # complete lines given out by the numbered pushes

    @property
    def pending(self) -> bool:
        """Whether an unfinished line is carried (or being thrown away)."""
        return bool(self._carried) or self._discarding

    @property
    def held(self) -> int:
        """Bytes of the unfinished line held now (never more than the limit)."""
        return self._size

    def push(self, data: bytes) -> list[Block]:
        """The blocks ``data`` completes, in order."""
        before, start, end, after = self.push_range(data)
        if start <= end:
            before.append(data[start:end])
        return before + after

    def push_range(self, data: bytes) -> tuple[list[Block], int, int, list[Block]]:
        """``push`` without copying the lines that ``data`` holds whole:
        ``(before, start, end, after)``, where ``data[start:end]`` are those
        lines (none when ``start > end``), ``before`` the blocks that come
        first (the end of a carried line, joined, or ``Overlong``) and
        ``after`` an ``Overlong`` for an unfinished last line already past
        the limit."""
        before: list[Block] = []
        after: list[Block] = []
        cut = data.rfind(_NL)
        if cut < 0:
            if not self._discarding and data:
                self._carry(data, after)
            return before, 1, 0, after
        start = 0
        if self._discarding or self._carried:
            first = data.find(_NL)
            if self._discarding:
                self._discarding = False
            elif self._size + first > self.max_line:
                before.append(Overlong(self._size + first))
            else:
                self._carried.append(data[:first])
                before.append(b"".join(self._carried))
            self._carried.clear()
            self._size = 0
            start = first + 1
        if cut + 1 < len(data):
            self._carry(data[cut + 1 :], after)
        return before, start, cut, after

    def finish(self) -> list[Block]:
        """The unfinished last line (input that does not end in LF), if any."""
        out: list[Block] = [b"".join(self._carried)] if self._carried else []
        self._carried.clear()
        self._size = 0
        self._discarding = False
        return out

    def push_numbered(self, data: bytes) -> list[tuple[Block, int]]:
        """``push``, each block with the number of its first line."""
        return self._numbered(self.push(data))

    def finish_numbered(self) -> list[tuple[Block, int]]:
        """``finish``, the block with the number of its line."""
        return self._numbered(self.finish())

    def _numbered(self, blocks: list[Block]) -> list[tuple[Block, int]]:
        out = []
        for block in blocks:
            out.append((block, self._next))
            count = lines_in(block)
            self._next += count
            self.lines += count
        return out

    def _carry(self, piece: bytes, out: list[Block]) -> None:
        self._carried.append(piece)
        self._size += len(piece)
        if self._size > self.max_line:
            out.append(Overlong(None))
            self._carried.clear()
            self._size = 0
            self._discarding = True


def strip_bom(block: bytes) -> tuple[bytes, bool]:
    """The first block of an input without its byte-order mark (when it has
    one), and whether line 1 was only that mark (its content is then blanked,
    so the line is reported once and still counted)."""
    if not block.startswith(BOM):
        return block, False
    block = block[len(BOM) :]
    end = block.find(_NL)
    first = block if end < 0 else block[:end]
    if not first or first.isspace():
        return (b"" if end < 0 else block[end:]), True
    return block, False

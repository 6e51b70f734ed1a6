"""Reading a source as blocks of lines: opening it, decompressing it, and
cutting what is read into complete lines.

``open_lines(source)``
    ``(line_number, line)`` pairs from a path (plain, gzip or zstd, told
    apart by their first bytes, not their names), ``"-"`` (standard input),
    a ``bytes``/``bytearray`` buffer, a binary or text file object, or an
    iterable of ``str``/``bytes`` lines.  Numbers count every physical line
    from 1, blank ones included; blank lines (nothing but ASCII whitespace)
    are not yielded.  A CR before the LF is removed, and so is a UTF-8
    byte-order mark at the start of line 1.  A line rejected before any
    decoding (a line that is only a byte-order mark, a line longer than
    ``max_line_bytes``, the end of a corrupt compressed stream) comes as
    ``(line_number, MalformedLine)``.
``read_blocks(source, chunk_size, max_line)``
    What ``open_lines`` and ``reader.EventReader`` are built on: the
    source's bytes as *blocks* (``SourceBlock``: complete lines joined by
    LF, ``lines.Overlong`` for a line too long, ``Broken`` for the end of a
    corrupt compressed stream).  ``FileRange`` is a worker's share of a
    plain file.

Lines are split on LF only (NDJSON); a lone CR inside a line is JSON
whitespace or, inside a string, makes the line malformed.

Bounded memory (a design property, not a test): files and streams are read
in ``chunk_size`` blocks (1 MiB); a block is cut after its last LF and the
unfinished line is carried to the next one (``lines.LineSplitter``), so at
any time the reader holds one block, the carried pieces of one line and the
lines kept from the current block.  A line longer than ``max_line_bytes``
(64 MiB by default, 64 times LogScale's 1 MB event limit) is reported as
malformed as soon as the carried pieces pass the limit, and the rest of it
is read and thrown away without being kept.  A plain regular file is read
with ``pread`` (``_blockio.pread_lines``), each block with one copy.
Compressed input is decompressed block by block (gzip members with
``zlib`` in 1 MiB steps, zstd frames with the ``zstandard`` stream reader)
on a helper thread that keeps at most ``_PREFETCH`` blocks queued; zlib
and zstd run without the GIL, so decompression overlaps the scan when a
core is free.  Peak memory is therefore about ``(_PREFETCH + 3) *
chunk_size + 2 * max_line_bytes`` plus the events the caller keeps,
whatever the input size.
"""

from __future__ import annotations

import io
import os
import queue
import stat
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from .._blockio import pread_lines as _pread_lines
from ..limits import MAX_LINE_BYTES
from .lines import BOM, Block, LineSplitter, MalformedLine, Overlong, strip_bom
from .sources import compression_of

__all__ = [
    "CHUNK_SIZE",
    "INCOMPLETE",
    "Broken",
    "FileRange",
    "IngestError",
    "SourceBlock",
    "as_line",
    "is_blank",
    "open_lines",
    "read_blocks",
    "source_kind",
]

CHUNK_SIZE = 1 << 20
_PREFETCH = 4

_NL = b"\n"
INCOMPLETE = "input incomplete"  # how the reason of a ``Broken`` line starts


class IngestError(ValueError):
    """A source that cannot be read at all (as opposed to bad lines in it)."""


class Broken:
    """The compressed stream ended in error; nothing follows."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


# What reading a source gives: a ``lines.Block`` (``bytes``: complete lines
# joined by LF, without the final LF, so that it holds
# ``block.count(b"\n") + 1`` lines; or ``Overlong``), or ``Broken`` last.
SourceBlock = Block | Broken


def _decompress_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [EOFError, zlib.error]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:
        pass
    return tuple(errors)


def _zstd_reader(fh: IO[bytes]) -> IO[bytes]:
    try:
        import zstandard
    except ImportError:
        raise IngestError(
            "the input is zstd-compressed: reading it needs the 'zstandard' package"
            " (pip install zstandard)"
        ) from None
    frames = _ZstdFrames()
    inner = zstandard.ZstdDecompressor().stream_reader(
        _Watched(fh, frames), read_across_frames=True
    )
    return _ZstdStream(inner, frames)  # type: ignore[return-value]


_ZSTD_MAGIC = 0xFD2FB528


class _ZstdFrames:
    """Follows the frame and block headers of a zstd stream as its bytes go
    by, to tell whether it ended between frames: ``zstandard``'s stream
    reader ends quietly when the input stops at a block boundary inside a
    frame (half of a file's events gone, without an error)."""

    __slots__ = ("_held", "_need", "_skip", "_state", "_trailer", "started")

    def __init__(self) -> None:
        self._state = "magic"  # what the next ``_need`` bytes are
        self._need = 4
        self._held = b""
        self._skip = 0  # bytes to pass over before ``_state``
        self._trailer = 0  # the checksum after the frame's last block
        self.started = False

    @property
    def between_frames(self) -> bool:
        return self._state == "magic" and not self._held and not self._skip

    def feed(self, data: bytes) -> None:
        at, size = 0, len(data)
        while at < size:
            if self._skip:
                step = min(self._skip, size - at)
                self._skip -= step
                at += step
                continue
            take = min(self._need - len(self._held), size - at)
            self._held += data[at : at + take]
            at += take
            if len(self._held) < self._need:
                return
            held, self._held = self._held, b""
            self._step(held)

    def _step(self, held: bytes) -> None:
        self.started = True
        state = self._state
        if state == "magic":
            magic = int.from_bytes(held, "little")
            if magic == _ZSTD_MAGIC:
                self._state, self._need = "header", 1
            elif magic & 0xFFFFFFF0 == 0x184D2A50:  # a skippable frame
                self._state, self._need = "skippable", 4
            else:  # not zstd: the decompressor reports it
                self._state, self._need = "magic", 4
        elif state == "skippable":
            self._skip = int.from_bytes(held, "little")
            self._state, self._need = "magic", 4
        elif state == "header":
            fhd = held[0]
            single = (fhd >> 5) & 1
            fcs = (1 if single else 0, 2, 4, 8)[fhd >> 6]
            self._skip = (0 if single else 1) + (0, 1, 2, 4)[fhd & 3] + fcs
            self._trailer = 4 if (fhd >> 2) & 1 else 0
            self._state, self._need = "block", 3
        else:  # a block header
            header = int.from_bytes(held, "little")
            kind = (header >> 1) & 3
            self._skip = 1 if kind == 1 else header >> 3
            if header & 1:  # the frame's last block
                self._skip += self._trailer
                self._state, self._need = "magic", 4
            else:
                self._need = 3


class _Watched(io.RawIOBase):
    """``fh`` whose bytes pass through ``frames`` on their way to zstd."""

    def __init__(self, fh: IO[bytes], frames: _ZstdFrames) -> None:
        self._fh = fh
        self._frames = frames

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(size)
        if data:
            self._frames.feed(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _ZstdStream:
    """The zstd stream reader, with ``EOFError`` at an end inside a frame."""

    def __init__(self, inner: Any, frames: _ZstdFrames) -> None:
        self._inner = inner
        self._frames = frames

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        if not data and not self._frames.between_frames:
            raise EOFError("zstd input ended inside a frame (truncated)")
        return data

    def close(self) -> None:
        self._inner.close()


class _Prefixed(io.RawIOBase):
    """A binary stream with some already-read bytes put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        return size


def _read_exactly(read: Callable[[int], bytes], size: int) -> bytes:
    data = read(size)
    while data and len(data) < size:
        more = read(size - len(data))
        if not more:
            break
        data += more
    return data


class _GzipStream:
    """Decompresses gzip (any number of members) in large zlib calls, which
    run without the GIL: on the helper thread this overlaps the scan, where
    ``gzip.GzipFile`` would hand the GIL back and forth in small steps."""

    def __init__(self, fh: IO[bytes], chunk_size: int = CHUNK_SIZE) -> None:
        self._fh = fh
        self._chunk_size = chunk_size
        self._inflater = zlib.decompressobj(wbits=31)
        self._input = b""

    def read(self, size: int = -1) -> bytes:
        size = self._chunk_size if size is None or size < 0 else size
        while True:
            if self._inflater.eof:
                rest = self._inflater.unused_data or self._fh.read(self._chunk_size)
                if not rest:
                    return b""
                self._inflater = zlib.decompressobj(wbits=31)
                self._input = rest
            if not self._input:
                self._input = self._fh.read(self._chunk_size)
                if not self._input:
                    raise EOFError(
                        "compressed file ended before the end-of-stream marker was reached"
                    )
            data = self._inflater.decompress(self._input, size)
            self._input = self._inflater.unconsumed_tail
            if data:
                return data

    def close(self) -> None:
        pass


def _seekable(fh: Any) -> bool:
    try:
        return bool(fh.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _decompressing(fh: IO[bytes]) -> tuple[IO[bytes], bool]:
    """``fh``, or a decompressor over it when its first bytes say gzip or
    zstd; the flag tells whether decompression happens."""
    peek = getattr(fh, "peek", None)
    head = peek(4)[:4] if peek is not None else b""
    stream = fh
    if len(head) < 4:
        if _seekable(fh):
            position = fh.tell()
            head = _read_exactly(fh.read, 4)
            fh.seek(position)
        else:  # no peek, or a pipe that has not filled yet
            head = _read_exactly(fh.read, 4)
            stream = io.BufferedReader(_Prefixed(head, fh))  # type: ignore[arg-type]
    kind = compression_of(head)
    if kind == "gzip":
        return _GzipStream(stream), True  # type: ignore[return-value]
    if kind == "zstd":
        return _zstd_reader(stream), True
    return stream, False


def _text_to_bytes(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates: bytes that were not UTF-8 (surrogateescape) or a
        # broken str; either way the line ends up not valid UTF-8.
        return text.encode("utf-8", "surrogatepass")


def _prefetched(read: Callable[[int], bytes], size: int) -> Iterator[bytes | BaseException]:
    """``read(size)`` run ahead on a helper thread, at most ``_PREFETCH``
    results queued; an exception is passed along and ends the stream."""
    results: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=_PREFETCH)
    stop = threading.Event()

    def produce() -> None:
        while not stop.is_set():
            try:
                item: bytes | BaseException = read(size)
            except BaseException as err:
                item = err
            while not stop.is_set():
                try:
                    results.put(item, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if not item or isinstance(item, BaseException):
                return

    worker = threading.Thread(target=produce, name="cqlmatch-ingest-read", daemon=True)
    worker.start()
    try:
        while True:
            item = results.get()
            yield item
            if not item or isinstance(item, BaseException):
                return
    finally:
        stop.set()
        # The helper may be blocked in read() on a pipe: wait a little, then
        # leave it (a daemon) to see ``stop`` after its read returns.
        deadline = time.monotonic() + 2.0
        while worker.is_alive() and time.monotonic() < deadline:
            try:
                results.get_nowait()
            except queue.Empty:
                worker.join(0.05)


def _direct(read: Callable[[int], bytes], size: int) -> Iterator[bytes | BaseException]:
    """``read(size)`` until it returns nothing; an exception is passed along."""
    while True:
        try:
            data = read(size)
        except BaseException as err:
            yield err
            return
        yield data
        if not data:
            return


def _stream_blocks(
    fh: IO[bytes], chunk_size: int, max_line: int, threaded: bool
) -> Iterator[SourceBlock]:
    """Blocks of complete lines from a binary stream (see ``SourceBlock``).

    A line longer than ``max_line`` always spans reads (``chunk_size`` is
    capped at ``max_line``), so only carried pieces need measuring."""
    chunk_size = max(1, min(chunk_size, max_line))
    reads = (_prefetched if threaded else _direct)(fh.read, chunk_size)
    try:
        yield from _split_reads(reads, max_line)
    finally:
        reads.close()  # type: ignore[attr-defined]


def _split_reads(reads: Iterator[bytes | BaseException], max_line: int) -> Iterator[SourceBlock]:
    broken = _decompress_errors()
    splitter = LineSplitter(max_line)
    for data in reads:
        if isinstance(data, BaseException):
            if not isinstance(data, broken):
                raise data
            yield from splitter.finish()
            yield Broken(f"{INCOMPLETE}: compressed input is corrupt or truncated: {data}")
            return
        if not data:
            break
        if isinstance(data, str):  # a text stream
            data = _text_to_bytes(data)
        yield from splitter.push(data)
    yield from splitter.finish()


def _file_blocks(
    path: str | os.PathLike[str], chunk_size: int, max_line: int
) -> Iterator[SourceBlock]:
    """Opens ``path`` now (so that a missing file or a missing decompressor
    is an error of the call), reads it lazily: a plain regular file with
    ``pread``, anything else as a stream."""
    raw = open(path, "rb")  # noqa: SIM115 -- closed by the generator
    try:
        stream, compressed = _decompressing(raw)
        size = None if compressed else _regular_size(raw)
        if size is not None:
            return _pread_blocks(raw, 0, size, chunk_size, max_line)
    except BaseException:
        raw.close()
        raise
    return _closing_blocks(stream, raw, chunk_size, max_line, compressed)


def _regular_size(fh: IO[bytes]) -> int | None:
    """The size of ``fh`` when it is a regular file (read with ``pread``),
    else None (read as a stream)."""
    try:
        info = os.fstat(fh.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _pread_blocks(
    raw: IO[bytes], start: int, end: int, chunk_size: int, max_line: int
) -> Iterator[SourceBlock]:
    """The blocks ``_split_reads`` would make of bytes ``start`` to ``end`` of
    a regular file, each read with one copy (``_blockio.pread_lines``)."""
    chunk_size = max(1, min(chunk_size, max_line))
    fd = raw.fileno()
    try:
        pos = start
        while pos < end:
            want = min(chunk_size, end - pos)
            block, used = _pread_lines(fd, pos, want, pos + want >= end)
            if block is None:  # the file is shorter than it was
                return
            if used == 0:  # one line longer than a chunk
                length = _line_length(fd, pos, end)
                if length > max_line:
                    yield Overlong(length)
                    pos += length + 1
                    continue
                block, used = _pread_lines(fd, pos, length + 1, pos + length >= end)
                if block is None:
                    return
            yield block
            pos += used
    finally:
        raw.close()


def _line_length(fd: int, start: int, end: int) -> int:
    """Bytes from ``start`` to the next LF (or to ``end``)."""
    pos = start
    while pos < end:
        data = os.pread(fd, min(CHUNK_SIZE, end - pos), pos)
        if not data:
            break
        at = data.find(_NL)
        if at >= 0:
            return pos + at - start
        pos += len(data)
    return pos - start


def _closing_blocks(
    stream: IO[bytes], raw: IO[bytes], chunk_size: int, max_line: int, threaded: bool
) -> Iterator[SourceBlock]:
    try:
        yield from _stream_blocks(stream, chunk_size, max_line, threaded)
    finally:
        stream.close()
        raw.close()


def _binary_stream_blocks(fh: Any, chunk_size: int, max_line: int) -> Iterator[SourceBlock]:
    """Blocks from a caller's file object (left open), binary or text."""
    if isinstance(fh.read(0), str):
        return _stream_blocks(fh, chunk_size, max_line, threaded=False)
    stream, compressed = _decompressing(fh)
    return _stream_blocks(stream, chunk_size, max_line, threaded=compressed)


class FileRange:
    """Bytes ``start`` to ``end`` of a plain file, for a worker process:
    read as they are (no compression sniffing: a line may start with any
    bytes), and a byte-order mark is only removed at the start of the file.
    ``start`` and ``end`` must be line boundaries."""

    __slots__ = ("end", "path", "start")

    def __init__(self, path: str | os.PathLike[str], start: int, end: int) -> None:
        self.path = path
        self.start = start
        self.end = end


class _RangeReader(io.RawIOBase):
    def __init__(self, fh: IO[bytes], size: int) -> None:
        self._fh = fh
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self._left)
        if size <= 0:
            return 0
        data = self._fh.read(size)
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)


def _range_blocks(part: FileRange, chunk_size: int, max_line: int) -> Iterator[SourceBlock]:
    raw = open(part.path, "rb")  # noqa: SIM115 -- closed by the generator
    if _regular_size(raw) is not None:
        return _pread_blocks(raw, part.start, part.end, chunk_size, max_line)
    raw.seek(part.start)
    stream = _RangeReader(raw, part.end - part.start)
    return _closing_blocks(stream, raw, chunk_size, max_line, False)  # type: ignore[arg-type]


def source_kind(source: Any) -> str:
    """How ``source`` is read: ``"path"``, ``"range"``, ``"stdin"``,
    ``"buffer"``, ``"stream"`` or ``"iterable"`` (of lines, or of mappings
    for the reader); TypeError for anything else."""
    if isinstance(source, FileRange):
        return "range"
    if isinstance(source, str):
        return "stdin" if source == "-" else "path"
    if isinstance(source, os.PathLike):
        return "path"
    if isinstance(source, bytes | bytearray | memoryview):
        return "buffer"
    if hasattr(source, "read"):
        return "stream"
    if isinstance(source, Iterable):
        return "iterable"
    raise TypeError(f"cannot read events from {type(source).__name__}")


def read_blocks(source: Any, chunk_size: int, max_line: int) -> Iterator[SourceBlock]:
    """The blocks of any source but an iterable, in order.  A path is opened
    (and any stream sniffed) now; a file opened here is closed when the
    iterator is closed or exhausted, a caller's file object is left open."""
    kind = source_kind(source)
    if kind == "path":
        return _file_blocks(source, chunk_size, max_line)
    if kind == "range":
        return _range_blocks(source, chunk_size, max_line)
    if kind == "stdin":
        return _binary_stream_blocks(sys.stdin.buffer, chunk_size, max_line)
    if kind == "buffer":
        return _binary_stream_blocks(io.BytesIO(bytes(source)), chunk_size, max_line)
    if kind == "stream":
        return _binary_stream_blocks(source, chunk_size, max_line)
    raise TypeError(f"not a byte source: {type(source).__name__}")


def as_line(item: Any) -> bytes | None:
    """One item of an iterable of lines as bytes without its line end."""
    if isinstance(item, str):
        line = _text_to_bytes(item)
    elif isinstance(item, bytes | bytearray | memoryview):
        line = bytes(item)
    else:
        return None
    if line.endswith(b"\n"):
        line = line[:-1]
    if line.endswith(b"\r"):
        line = line[:-1]
    return line


def is_blank(line: bytes) -> bool:
    """Nothing but ASCII whitespace (or nothing at all)."""
    return not line or line.isspace()


def open_lines(
    source: Any, chunk_size: int = CHUNK_SIZE, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | MalformedLine]]:
    """``(line_number, line)`` for every non-blank line of ``source`` (see the
    module docstring); a line rejected before decoding comes as a
    ``MalformedLine`` in place of its bytes."""
    if source_kind(source) == "iterable":
        return _iterable_lines(source)
    return _block_lines(read_blocks(source, chunk_size, max_line_bytes))


def _iterable_lines(items: Iterable[Any]) -> Iterator[tuple[int, bytes | MalformedLine]]:
    for number, item in enumerate(items, 1):
        line = as_line(item)
        if line is None:
            yield number, MalformedLine(number, f"not a line but {type(item).__name__}")
            continue
        if number == 1 and line.startswith(BOM):
            line = line[3:]
            if is_blank(line):
                yield number, MalformedLine(number, "only a byte-order mark")
                continue
        if not is_blank(line):
            yield number, line


def _block_lines(blocks: Iterable[SourceBlock]) -> Iterator[tuple[int, bytes | MalformedLine]]:
    number = 1
    for block in blocks:
        if isinstance(block, Overlong):
            yield number, block.malformed(number)
            number += 1
            continue
        if isinstance(block, Broken):
            yield number, MalformedLine(number, block.reason)
            return
        if number == 1 and block.startswith(BOM):
            block, bom_only = strip_bom(block)
            if bom_only:
                yield 1, MalformedLine(1, "only a byte-order mark")
        for line in block.split(_NL):
            if line.endswith(b"\r"):
                line = line[:-1]
            if not is_blank(line):
                yield number, line
            number += 1

"""Ingestion: NDJSON sources, the raw-byte prefilter and msgspec decoding.

The pieces, each usable alone:

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
``Prefilter(program.prefilter)``
    Rules out lines that cannot produce output, from the raw bytes alone.
``Decoder(program.fields, need_all)``
    One line to an ``Event`` (or a ``MalformedLine``), equal to
    ``events.parse_line`` restricted to the fields the program reads.
``from_dicts(items)``
    Already-decoded events, flattened as ``CompiledQuery.run`` does.
``read_events(source, program, need_all)``
    All of it, with ``stats``.

Lines are split on LF only (NDJSON); a lone CR inside a line is JSON
whitespace or, inside a string, makes the line malformed.

Bounded memory (a design property, not a test): files and streams are read
in ``chunk_size`` blocks (1 MiB); a block is cut after its last LF and the
unfinished line is carried to the next one, so at any time the reader holds
one block, the carried pieces of one line and the lines kept from the
current block.  A line longer than ``max_line_bytes`` (64 MiB by default,
64 times LogScale's 1 MB event limit) is reported as malformed as soon as
the carried pieces pass the limit, and the rest of it is read and thrown
away without being kept.  Compressed input is decompressed block by block
(gzip members with ``zlib`` in 1 MiB steps, zstd frames with the
``zstandard`` stream reader) on a helper thread that keeps at most
``_PREFETCH`` blocks queued; zlib and zstd run without the GIL, so
decompression overlaps the scan when a core is free.  Peak memory is
therefore about ``(_PREFETCH + 3) * chunk_size + 2 * max_line_bytes`` plus
the events the caller keeps, whatever the input size.  Iterables of lines
are taken ``_BATCH_LINES`` at a time.

The prefilter (``prefilter.Prefilter``) never changes a result: its module
says which lines it may rule out.  Where it rules out almost nothing
(``prefilter.Pacer``: it kept more than 80% of the lines of two blocks in
a row), the next blocks are decoded whole without scanning them, and it is
tried again later.

Malformed lines (invalid UTF-8, invalid JSON, JSON that is not an object,
nesting deeper than Python's recursion limit, truncated lines) are
reported, never raised, and do not disturb the lines around them.  A line
the prefilter rules out is not parsed, so it is counted in ``skipped``
whether or not it is well-formed (and a block decoded whole while the
prefilter pauses has its bad lines reported); ``prefilter=False`` checks
every line.
Lines rejected before decoding (only a byte-order mark, too long, corrupt
compressed data) are reported in both modes.
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import IO, Any

import msgspec

from .._blockio import pread_lines as _pread_lines
from .._scan import scan as _c_scan
from ..bytecode.program import FieldRef, Program
from ..lang.events import Event, Fields, flatten, parse_line, rawstring_of
from .columns import PAIR, ColumnBatch, ColumnDecoder, struct_name_ok, unpack_spans
from .lines import BOM, Block, LineSplitter, MalformedLine, Overlong, strip_bom
from .prefilter import Pacer, Prefilter
from .sources import compression_of

__all__ = [
    "CHUNK_SIZE",
    "MAX_LINE_BYTES",
    "Decoder",
    "EventReader",
    "FileRange",
    "IngestError",
    "IngestStats",
    "Prefilter",
    "from_dicts",
    "open_lines",
    "read_events",
]

CHUNK_SIZE = 1 << 20
MAX_LINE_BYTES = 64 << 20
_BATCH_LINES = 4096
_PREFETCH = 4

_NL = b"\n"
_NO_ESCAPES = bytes(65536)  # the C scan's escape table when no literal is looked for


class IngestError(ValueError):
    """A source that cannot be read at all (as opposed to bad lines in it)."""


# --- sources ----------------------------------------------------------------------------


class _Broken:
    """The compressed stream ended in error; nothing follows."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


# A block is ``bytes``: complete lines joined by LF, without the final LF, so
# that it holds ``block.count(b"\n") + 1`` lines.
_Block = Block | _Broken
_NOTHING = object()


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
    return zstandard.ZstdDecompressor().stream_reader(fh, read_across_frames=True)


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
) -> Iterator[_Block]:
    """Blocks of complete lines from a binary stream (see ``_Block``).

    A line longer than ``max_line`` always spans reads (``chunk_size`` is
    capped at ``max_line``), so only carried pieces need measuring."""
    chunk_size = max(1, min(chunk_size, max_line))
    reads = (_prefetched if threaded else _direct)(fh.read, chunk_size)
    try:
        yield from _split_reads(reads, max_line)
    finally:
        reads.close()  # type: ignore[attr-defined]


def _split_reads(reads: Iterator[bytes | BaseException], max_line: int) -> Iterator[_Block]:
    broken = _decompress_errors()
    splitter = LineSplitter(max_line)
    for data in reads:
        if isinstance(data, BaseException):
            if not isinstance(data, broken):
                raise data
            yield from splitter.finish()
            yield _Broken(f"compressed input is corrupt or truncated: {data}")
            return
        if not data:
            break
        if isinstance(data, str):  # a text stream
            data = _text_to_bytes(data)
        yield from splitter.push(data)
    yield from splitter.finish()


def _file_blocks(path: str | os.PathLike[str], chunk_size: int, max_line: int) -> Iterator[_Block]:
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
) -> Iterator[_Block]:
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
) -> Iterator[_Block]:
    try:
        yield from _stream_blocks(stream, chunk_size, max_line, threaded)
    finally:
        stream.close()
        raw.close()


def _binary_stream_blocks(fh: Any, chunk_size: int, max_line: int) -> Iterator[_Block]:
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


def _range_blocks(part: FileRange, chunk_size: int, max_line: int) -> Iterator[_Block]:
    raw = open(part.path, "rb")  # noqa: SIM115 -- closed by the generator
    if _regular_size(raw) is not None:
        return _pread_blocks(raw, part.start, part.end, chunk_size, max_line)
    raw.seek(part.start)
    stream = _RangeReader(raw, part.end - part.start)
    return _closing_blocks(stream, raw, chunk_size, max_line, False)  # type: ignore[arg-type]


def _source_kind(source: Any) -> str:
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


def _blocks(source: Any, chunk_size: int, max_line: int) -> Iterator[_Block]:
    kind = _source_kind(source)
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


def _as_line(item: Any) -> bytes | None:
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


def _is_blank(line: bytes) -> bool:
    return not line or line.isspace()


def open_lines(
    source: Any, chunk_size: int = CHUNK_SIZE, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes | MalformedLine]]:
    """``(line_number, line)`` for every non-blank line of ``source`` (see the
    module docstring); a line rejected before decoding comes as a
    ``MalformedLine`` in place of its bytes."""
    if _source_kind(source) == "iterable":
        return _iterable_lines(source)
    return _block_lines(_blocks(source, chunk_size, max_line_bytes))


def _iterable_lines(items: Iterable[Any]) -> Iterator[tuple[int, bytes | MalformedLine]]:
    for number, item in enumerate(items, 1):
        line = _as_line(item)
        if line is None:
            yield number, MalformedLine(number, f"not a line but {type(item).__name__}")
            continue
        if number == 1 and line.startswith(BOM):
            line = line[3:]
            if _is_blank(line):
                yield number, MalformedLine(number, "only a byte-order mark")
                continue
        if not _is_blank(line):
            yield number, line


def _block_lines(blocks: Iterable[_Block]) -> Iterator[tuple[int, bytes | MalformedLine]]:
    number = 1
    for block in blocks:
        if isinstance(block, Overlong):
            yield number, block.malformed(number)
            number += 1
            continue
        if isinstance(block, _Broken):
            yield number, MalformedLine(number, block.reason)
            return
        if number == 1 and block.startswith(BOM):
            block, bom_only = strip_bom(block)
            if bom_only:
                yield 1, MalformedLine(1, "only a byte-order mark")
        for line in block.split(_NL):
            if line.endswith(b"\r"):
                line = line[:-1]
            if not _is_blank(line):
                yield number, line
            number += 1


# --- decoding ---------------------------------------------------------------------------


class _NeedsExactText(Exception):
    """A decoded value whose written form msgspec does not keep (``-0``)."""


_to_builtins = msgspec.to_builtins
_MINUS_ZERO = (b"-0,", b"-0}", b"-0]", b"-0 ", b"-0\t", b"-0\r", b"-0\n")


def _flatten_value(name: str, value: Any, out: Fields, zero: bool) -> None:
    """``events.flatten`` for msgspec's output (floats as their text);
    ``zero`` says that an integer 0 may be written ``0`` (not ``-0``)."""
    kind = type(value)
    if kind is str:
        out[name] = value
    elif kind is dict:
        for key, item in value.items():
            _flatten_value(f"{name}.{key}", item, out, zero)
    elif kind is list:
        for index, item in enumerate(value):
            _flatten_value(f"{name}[{index}]", item, out, zero)
    elif value is None:
        out[name] = "null"
    elif value is True:
        out[name] = "true"
    elif value is False:
        out[name] = "false"
    elif kind is int and (value or zero):
        # JSON integers other than -0 are written as str() writes them;
        # str() raises ValueError past 4300 digits.
        out[name] = str(value)
    else:
        raise _NeedsExactText


def _requested_names(fields: Iterable[FieldRef | str]) -> tuple[str, ...]:
    names: list[str] = []
    for ref in fields:
        if isinstance(ref, str):
            names.append(ref)
            if ref.startswith("#"):
                names.append(ref[1:])
            elif ref == "@timestamp":
                names.append("timestamp")
        else:
            names.append(ref.name)
            if ref.fallback is not None:
                names.append(ref.fallback)
    return tuple(dict.fromkeys(names))


class Decoder:
    """Decodes NDJSON lines into events, reused across lines.

    ``fields`` are the program's ``FieldRef``s (or plain names; ``#tag`` and
    ``@timestamp`` then bring their fallbacks).  With ``need_all`` false
    only those names (and their fallbacks) are decoded, through a msgspec
    ``Struct`` built for them whose string-typed fields take the common
    case; a requested value that is not a string sends the line to a second
    Struct of ``msgspec.Raw`` fields whose text is normalised here.  A name
    that flattening could produce (``a.b``, ``a[0]``) needs the whole object,
    as does ``need_all``: ``msgspec.json`` decodes it to a dict (floats kept
    as written through ``float_hook``) and it is flattened with the rules of
    ``events.flatten``.  Whatever msgspec refuses or cannot reproduce
    exactly (``NaN``, lone surrogate escapes, ``-0``, huge integers) is
    decoded by ``events.parse_line`` itself, which also words the reason of
    a malformed line.  So ``decode(line).fields`` always equals
    ``parse_line(line)`` restricted to the requested names."""

    def __init__(self, fields: Iterable[FieldRef | str] = (), need_all: bool = False) -> None:
        self.names = _requested_names(fields)
        self.need_all = need_all
        # Flattened names (``a.b``, ``a[0]``) need the whole object, and so do
        # names msgspec cannot rename a struct field to (``\``, ``"``, controls).
        self._whole = need_all or any(
            "." in n or "[" in n or not struct_name_ok(n) for n in self.names
        )
        self._any = msgspec.json.Decoder(float_hook=str)
        if self._whole:
            return
        attrs = [f"f{i}" for i in range(len(self.names))]
        rename = dict(zip(attrs, self.names, strict=True))
        strings = msgspec.defstruct(
            "IngestStrings",
            [(a, str | msgspec.UnsetType, msgspec.UNSET) for a in attrs],
            rename=rename,
            gc=False,
        )
        raws = msgspec.defstruct(
            "IngestRaw",
            [(a, msgspec.Raw, msgspec.Raw()) for a in attrs],
            rename=rename,
            gc=False,
        )
        self._strings = msgspec.json.Decoder(strings).decode
        self._raws = msgspec.json.Decoder(raws).decode

    def decode(self, line: bytes, line_number: int = 0) -> Event | MalformedLine:
        """The event on ``line`` (bytes without its line end)."""
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as err:
            return MalformedLine(line_number, f"invalid UTF-8: {err.reason} at byte {err.start}")
        try:
            if self._whole:
                fields = self._whole_fields(line, text)
            else:
                try:
                    fields = _to_builtins(self._strings(line))
                except msgspec.ValidationError:  # a value that is not a string
                    fields = self._raw_fields(line, text)
                except (msgspec.DecodeError, RecursionError):
                    fields = self._exact(text)
        except (ValueError, RecursionError) as err:
            return MalformedLine(line_number, str(err).split("\n")[0])
        return Event(fields, text)

    def fields(self, line: bytes) -> Fields:
        """``decode`` without the event: raises ``ValueError`` (also for
        invalid UTF-8) where ``decode`` reports a malformed line."""
        result = self.decode(line)
        if isinstance(result, MalformedLine):
            raise ValueError(result.reason)
        return result.fields

    def _raw_fields(self, line: bytes, text: str) -> Fields:
        try:
            found = self._raws(line)
        except (msgspec.DecodeError, RecursionError):
            return self._exact(text)
        out: Fields = {}
        for name, raw in zip(self.names, msgspec.structs.astuple(found), strict=True):
            if not raw:
                continue
            data = bytes(raw)
            head = data[0]
            if head == 0x22:  # '"'
                out[name] = self._any.decode(data)
            elif head == 0x74:  # 't'
                out[name] = "true"
            elif head == 0x66:  # 'f'
                out[name] = "false"
            elif head == 0x6E:  # 'n'
                out[name] = "null"
            elif head not in (0x7B, 0x5B):  # a number, as written
                out[name] = data.decode("ascii")
            # an object or array flattens to dotted names only
        return out

    def _whole_fields(self, line: bytes, text: str) -> Fields:
        try:
            obj = self._any.decode(line)
        except (msgspec.DecodeError, RecursionError):
            return self._exact(text)
        if type(obj) is not dict:
            return self._exact(text)  # raises: not an object
        try:
            out = self._flatten(obj, zero=False)
        except _NeedsExactText:
            if any(marker in line for marker in _MINUS_ZERO):
                return self._exact(text)
            try:
                out = self._flatten(obj, zero=True)
            except (_NeedsExactText, ValueError):
                return self._exact(text)
        except ValueError:
            return self._exact(text)
        if self.need_all:
            return out
        return {n: out[n] for n in self.names if n in out}

    @staticmethod
    def _flatten(obj: dict[str, Any], zero: bool) -> Fields:
        out: Fields = {}
        for key, value in obj.items():
            if type(value) is str:
                out[key] = value
            else:
                _flatten_value(key, value, out, zero)
        return out

    def _exact(self, text: str) -> Fields:
        """The reference decoding, restricted to the requested names."""
        fields = parse_line(text)
        if self.need_all:
            return fields
        return {n: fields[n] for n in self.names if n in fields}


def from_dicts(items: Iterable[Any]) -> Iterator[Event | MalformedLine]:
    """Events given as Python mappings (no prefilter, no decoding): each
    flattened, with ``@rawstring`` (or its compact JSON) as the raw line,
    exactly as ``CompiledQuery.run`` treats them.  An item that is not a
    mapping, or holds values JSON cannot represent, is a ``MalformedLine``
    numbered by its position (from 1)."""
    for number, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            yield MalformedLine(number, f"not a JSON object but {type(item).__name__}")
            continue
        try:
            fields = flatten(item)
            raw = fields.get("@rawstring") or rawstring_of(item)
        except (TypeError, ValueError, RecursionError) as err:
            yield MalformedLine(number, str(err).split("\n")[0])
            continue
        yield Event(fields, raw)


# --- the reader ---------------------------------------------------------------------------


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
    of lines is counted after its last event)."""

    def __init__(
        self,
        source: Any,
        program: Program | None = None,
        need_all: bool = False,
        prefilter: bool = True,
        chunk_size: int = CHUNK_SIZE,
        max_line_bytes: int = MAX_LINE_BYTES,
        columns: bool = False,
    ) -> None:
        self.stats = IngestStats()
        fields = program.fields if program is not None else ()
        self.decoder = Decoder(fields, need_all or program is None)
        self.columns: ColumnDecoder | None = None
        if columns and program is not None and not need_all:
            self.columns = ColumnDecoder(program)
        cnf = program.prefilter if program is not None and prefilter else ()
        self.prefilter = Prefilter(cnf)
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
        if _source_kind(source) == "iterable":
            items = iter(source)
            first = next(items, _NOTHING)
            if first is _NOTHING:
                return iter(())
            items = _chain_first(first, items)
            if isinstance(first, Mapping):
                return self._counted(from_dicts(items))
            return self._from_items(items)
        return self._closing(self._from_blocks, _blocks(source, chunk_size, max_line))

    @staticmethod
    def _closing(
        consume: Callable[[Iterator[_Block]], Iterator[Any]], blocks: Iterator[_Block]
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

    def _from_blocks(self, blocks: Iterator[_Block]) -> Iterator[Any]:
        stats = self.stats
        number = 1  # of the block's first line
        pacer = self._pacer if self.prefilter.active else None
        for block in blocks:
            if isinstance(block, Overlong):
                yield self._reject(block.malformed(number))
                number += 1
                continue
            if isinstance(block, _Broken):
                yield self._reject(MalformedLine(number, block.reason))
                return
            bom_only = False
            if number == 1 and self._bom and block.startswith(BOM):
                block, bom_only = strip_bom(block)
                if bom_only:  # line 1 stays in the block, blank
                    yield self._reject(MalformedLine(1, "only a byte-order mark"))
            if pacer is not None and pacer.scan_next():
                if self.columns is not None:
                    packed, count = self.prefilter.scan_counted(block, packed=True)
                    kept = len(packed) // PAIR
                    batch = self._column_batch(block, packed) if kept else None
                    if batch is not None:
                        stats.events += batch.size
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
                    yield batch
                else:
                    count = 0
                    for count, line in enumerate(block.split(_NL), 1):
                        if line.endswith(b"\r"):
                            line = line[:-1]
                        if not line or line.isspace():
                            stats.blank += 1
                            continue
                        yield self._decode(line, number + count - 1)
                stats.blank -= bom_only
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
                line = _as_line(item)
                if line is None:
                    reason = f"not a line but {type(item).__name__}"
                    rejected[index] = MalformedLine(number + index, reason)
                    line = b""
                elif number + index == 1 and line.startswith(BOM):
                    line = line[3:]
                    if _is_blank(line):
                        rejected[index] = MalformedLine(1, "only a byte-order mark")
                        line = b""
                lines.append(line)
            if prefilter.active:
                kept = prefilter.filter_batch(lines)
                stats.skipped += len(lines) - len(kept) - len(rejected)
                order = sorted([*kept, *rejected])
            else:
                order = [i for i, line in enumerate(lines) if i in rejected or not _is_blank(line)]
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
    columns: bool = False,
) -> EventReader:
    """Events (and malformed lines, in input order) from ``source``; see
    ``EventReader`` and the module docstring.  ``columns``: a block's kept
    lines may come as one ``columns.ColumnBatch`` instead of events, when
    ``ColumnDecoder`` can decode them exactly (only for programs whose
    every instruction runs in the VM and whose output is the group table:
    the caller checks)."""
    return EventReader(source, program, need_all, prefilter, chunk_size, max_line_bytes, columns)

"""A progress line on standard error for long runs over files.

``cqlmatch run`` shows one when standard error is a terminal and the input
is a regular file (plain or compressed): events read, events/s, MB/s and,
from the bytes read against the file's size, a bar and an estimated time
left.  When standard error is not a terminal (a pipe, a file, CI logs)
nothing at all is written, so logs stay clean.

The pieces are separate so they can be tested without a terminal:
``render`` formats one line from numbers; ``should_show`` is the terminal
decision; ``Progress`` throttles redraws and is the callback
(``progress(events, bytes_read)``, both cumulative) a reader reports to;
``CountingReader`` counts the bytes a run pulls from a file object, which is
how the command line measures a file read inside ``CompiledQuery.run``.
"""

from __future__ import annotations

import io
import os
import stat
import time
from collections.abc import Callable
from typing import IO, Any

from ..ingest.sources import compression_of

_MB = 1_000_000


def should_show(stream: Any) -> bool:
    """True when ``stream`` is an open terminal; anything else (a pipe, a
    file, a closed or odd stream) gets no progress output."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def format_duration(seconds: float) -> str:
    """``M:SS`` under an hour, ``H:MM:SS`` above."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def render(
    events: int,
    bytes_read: int,
    total_bytes: int | None,
    elapsed: float,
    width: int = 20,
) -> str:
    """One progress line.  With a known total: a bar of ``width`` cells, the
    percentage and the time left at the average byte rate so far; without
    one, the megabytes read.  Rates are 0 until time has passed."""
    rate = events / elapsed if elapsed > 0 else 0.0
    mb_rate = bytes_read / _MB / elapsed if elapsed > 0 else 0.0
    speed = f"{events:,} events  {rate:,.0f} events/s  {mb_rate:,.1f} MB/s"
    if not total_bytes:
        return f"{speed}  {bytes_read / _MB:,.1f} MB read"
    fraction = min(1.0, bytes_read / total_bytes)
    filled = int(fraction * width)
    bar = "#" * filled + "-" * (width - filled)
    if bytes_read >= total_bytes:
        eta = "0:00"
    elif bytes_read > 0 and elapsed > 0:
        eta = format_duration((total_bytes - bytes_read) * elapsed / bytes_read)
    else:
        eta = "?"
    return f"[{bar}] {fraction * 100:3.0f}%  {speed}  ETA {eta}"


class Progress:
    """A self-redrawing progress line; call it with cumulative ``(events,
    bytes_read)``.  Redraws at most every ``interval`` seconds; ``close()``
    erases the line.  With ``enabled=False`` every call does nothing."""

    def __init__(
        self,
        total_bytes: int | None,
        stream: IO[str],
        enabled: bool = True,
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total_bytes = total_bytes
        self.stream = stream
        self.enabled = enabled
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.events = 0
        self.bytes_read = 0
        self._drawn_at: float | None = None
        self._width = 0  # of the line on screen, to blank it out

    def __call__(self, events: int | None = None, bytes_read: int | None = None) -> None:
        if events is not None:
            self.events = events
        if bytes_read is not None:
            self.bytes_read = bytes_read
        if not self.enabled:
            return
        now = self.clock()
        if self._drawn_at is not None and now - self._drawn_at < self.interval:
            return
        self._drawn_at = now
        self._draw(render(self.events, self.bytes_read, self.total_bytes, now - self.started))

    def _draw(self, line: str) -> None:
        pad = " " * max(0, self._width - len(line))
        try:
            self.stream.write("\r" + line + pad)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False  # the terminal went away: stay quiet
        self._width = len(line)

    def close(self) -> None:
        """Erase the line (the final figures are the caller's to print)."""
        if self.enabled and self._width:
            self._draw("")
            try:
                self.stream.write("\r")
                self.stream.flush()
            except (OSError, ValueError):
                pass
        self.enabled = False


class CountingReader(io.RawIOBase):
    """A binary file read through, reporting the bytes read so far to
    ``on_read`` after each read (what a progress bar needs for a file that a
    reader pulls in blocks)."""

    def __init__(self, raw: IO[bytes], on_read: Callable[[int], None]) -> None:
        super().__init__()
        self._raw = raw
        self._on_read = on_read
        self.count = 0
        self.name = getattr(raw, "name", None)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        self._on_read(self.count)
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def is_compressed(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` starts with the gzip or zstd magic bytes."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    return compression_of(head) is not None


def regular_file_size(path: str | os.PathLike[str]) -> int | None:
    """The size of a regular file; None for ``-``, devices, pipes, missing paths."""
    if str(path) == "-":
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def for_run(
    path: str,
    stream: Any,
    engine: str = "vm",
    workers: int | None = None,
) -> Progress | None:
    """The progress line ``cqlmatch run`` shows for ``path``, or None: only
    when ``stream`` is a terminal and ``path`` a regular file that the run
    reads in this process.  A plain file split across worker processes is
    read by the workers, which report nothing back while they run, so it
    gets no bar rather than a wrong one."""
    if not should_show(stream):
        return None
    size = regular_file_size(path)
    if size is None:
        return None
    cores = os.cpu_count() or 1
    parallel = engine == "vm" and (cores if workers is None else workers) > 1
    if parallel and not is_compressed(path):
        return None
    return Progress(size, stream)


def open_counted(
    path: str, progress: Progress, events: Callable[[], int] | None = None
) -> CountingReader:
    """``path`` opened for a run, each read reported to ``progress``: the
    bytes of the file as stored (so a compressed file's bar follows the
    file, not the decompressed text) and, when given, ``events()``."""

    def on_read(count: int) -> None:
        progress(events() if events is not None else None, count)

    return CountingReader(open(path, "rb"), on_read)  # the caller closes it

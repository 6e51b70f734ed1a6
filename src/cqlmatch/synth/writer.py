"""The entry points: lines as an iterator, a file (plain or gzip) and the
``cqlmatch gen`` command's options and runner.
"""

from __future__ import annotations

import argparse
import gzip
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .background import _Gen
from .catalogue import MIXES

_CHUNK_LINES = 2048
# zlib level 3 compresses these lines about twice as fast as the default 6
# for files about a fifth larger, so a gzip target costs little extra time.
_GZIP_LEVEL = 3


def _text_lines(events: int, seed: int, mix: str, malicious_rate: float) -> Iterator[str]:
    if events < 0:
        raise ValueError("events must not be negative")
    return _Gen(seed, mix, malicious_rate).lines(events)


def generate_lines(
    events: int, seed: int = 0, mix: str = "realistic", malicious_rate: float = 0.001
) -> Iterator[bytes]:
    """Yield ``events`` NDJSON lines (UTF-8 bytes, each ending in ``\\n``)."""
    for line in _text_lines(events, seed, mix, malicious_rate):
        yield line.encode("utf-8")


def _write_stream(
    write: Callable[[bytes], object], events: int, seed: int, mix: str, malicious_rate: float
) -> int:
    """Hand the output to ``write`` in chunks of encoded lines."""
    written = 0
    buf: list[str] = []
    for line in _text_lines(events, seed, mix, malicious_rate):
        buf.append(line)
        if len(buf) >= _CHUNK_LINES:
            data = "".join(buf).encode("utf-8")
            write(data)
            written += len(data)
            buf.clear()
    if buf:
        data = "".join(buf).encode("utf-8")
        write(data)
        written += len(data)
    return written


def _write_gzip(raw: IO[bytes], events: int, seed: int, mix: str, malicious_rate: float) -> int:
    """Like :func:`_write_stream` into a gzip member on ``raw``; compression
    runs on a second thread (zlib releases the GIL), fed through a bounded
    queue so memory stays flat."""
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
    failure: list[BaseException] = []

    def compress() -> None:
        try:
            # mtime=0 and no file name keep the gzip header reproducible.
            with gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, compresslevel=_GZIP_LEVEL, mtime=0
            ) as gz:
                while (chunk := chunks.get()) is not None:
                    gz.write(chunk)
        except BaseException as exc:  # handed to the producing thread
            failure.append(exc)
            while chunks.get() is not None:  # keep the producer from blocking
                pass

    def put(chunk: bytes) -> None:
        if failure:
            raise failure[0]
        chunks.put(chunk)

    worker = threading.Thread(target=compress, name="cqlmatch-gen-gzip", daemon=True)
    worker.start()
    try:
        written = _write_stream(put, events, seed, mix, malicious_rate)
    finally:
        chunks.put(None)
        worker.join()
    if failure:
        raise failure[0]
    return written


def write_file(
    path: str | Path,
    events: int,
    seed: int = 0,
    mix: str = "realistic",
    malicious_rate: float = 0.001,
) -> int:
    """Write the lines to ``path`` (gzip when it ends with ``.gz``); return
    the number of uncompressed bytes written.  The gzip stream is
    reproducible too (no file name, mtime 0)."""
    path = Path(path)
    with path.open("wb") as raw:
        if path.name.endswith(".gz"):
            return _write_gzip(raw, events, seed, mix, malicious_rate)
        return _write_stream(raw.write, events, seed, mix, malicious_rate)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the ``gen`` command."""
    parser.add_argument(
        "--events", type=_non_negative, required=True, help="number of lines to write"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--out", required=True, help="output file, gzip if it ends with .gz; - for standard output"
    )
    parser.add_argument(
        "--mix", choices=MIXES, default="realistic", help="event mix (default realistic)"
    )
    parser.add_argument(
        "--malicious-rate",
        type=_rate,
        default=0.001,
        help="chance per event of a planted scenario instance, and of a benign look-alike (default 0.001)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``gen`` command; print a one-line summary to standard error."""
    started = time.perf_counter()
    if args.out == "-":
        out = sys.stdout.buffer
        written = _write_stream(out.write, args.events, args.seed, args.mix, args.malicious_rate)
        out.flush()
    else:
        written = write_file(args.out, args.events, args.seed, args.mix, args.malicious_rate)
    elapsed = time.perf_counter() - started
    print(
        f"gen: {args.events} events, {written} bytes, {elapsed:.2f} s -> {args.out}",
        file=sys.stderr,
    )
    return 0

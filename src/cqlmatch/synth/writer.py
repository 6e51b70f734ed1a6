"""The entry points: lines as an iterator, a file (plain or gzip) and the
``cqlmatch gen`` command's options and runner, and the side file that says
which events each planted ATT&CK technique instance wrote.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .background import PlantedRecord, _Gen
from .catalogue import MIXES

_CHUNK_LINES = 2048
# zlib level 3 compresses these lines about twice as fast as the default 6
# for files about a fifth larger, so a gzip target costs little extra time.
_GZIP_LEVEL = 3

DEFAULT_TECHNIQUE_RATE = 0.0005
"""Chance per event of a planted ATT&CK technique instance: one instance
per 2,000 events or so, each a few events long, so that a million events
hold several instances of every catalogue entry."""

_OnPlanted = Callable[[PlantedRecord], object] | None


def _text_lines(
    events: int,
    seed: int,
    mix: str,
    malicious_rate: float,
    technique_rate: float = 0.0,
    on_planted: _OnPlanted = None,
) -> Iterator[str]:
    if events < 0:
        raise ValueError("events must not be negative")
    return _Gen(seed, mix, malicious_rate, technique_rate, on_planted).lines(events)


def generate_lines(
    events: int,
    seed: int = 0,
    mix: str = "realistic",
    malicious_rate: float = 0.001,
    technique_rate: float = DEFAULT_TECHNIQUE_RATE,
    planted: list[PlantedRecord] | None = None,
) -> Iterator[bytes]:
    """Yield ``events`` NDJSON lines (UTF-8 bytes, each ending in ``\\n``).

    ``technique_rate`` is the chance per event of one planted ATT&CK
    technique instance (:data:`.techniques.TECHNIQUES`; 0 plants none and
    gives the bytes of a generator without them).  With ``planted``, a
    record per kept instance (technique, name, tactic, scenario, platform,
    aid, event_ids) is appended to that list as its lines are produced."""
    on_planted = planted.append if planted is not None else None
    for line in _text_lines(events, seed, mix, malicious_rate, technique_rate, on_planted):
        yield line.encode("utf-8")


def planted_line(record: PlantedRecord) -> str:
    """One line of the side file: the record as compact JSON, keys in their
    fixed order, non-ASCII kept raw."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write_stream(
    write: Callable[[bytes], object],
    events: int,
    seed: int,
    mix: str,
    malicious_rate: float,
    technique_rate: float = 0.0,
    on_planted: _OnPlanted = None,
) -> int:
    """Hand the output to ``write`` in chunks of encoded lines."""
    written = 0
    buf: list[str] = []
    for line in _text_lines(events, seed, mix, malicious_rate, technique_rate, on_planted):
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


def _write_gzip(
    raw: IO[bytes],
    events: int,
    seed: int,
    mix: str,
    malicious_rate: float,
    technique_rate: float = 0.0,
    on_planted: _OnPlanted = None,
) -> int:
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
        written = _write_stream(put, events, seed, mix, malicious_rate, technique_rate, on_planted)
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
    technique_rate: float = DEFAULT_TECHNIQUE_RATE,
    planted_path: str | Path | None = None,
) -> int:
    """Write the lines to ``path`` (gzip when it ends with ``.gz``); return
    the number of uncompressed bytes written.  The gzip stream is
    reproducible too (no file name, mtime 0).  With ``planted_path``, write
    there one JSON line per planted technique instance (the records of
    :func:`generate_lines`, as :func:`planted_line` writes them)."""
    with _planted_sink(planted_path) as on_planted:
        return _write_path(
            Path(path), (events, seed, mix, malicious_rate, technique_rate), on_planted
        )


def _write_path(path: Path, options: tuple, on_planted: _OnPlanted) -> int:
    with path.open("wb") as raw:
        if path.name.endswith(".gz"):
            return _write_gzip(raw, *options, on_planted)
        return _write_stream(raw.write, *options, on_planted)


@contextlib.contextmanager
def _planted_sink(path: str | Path | None) -> Iterator[_OnPlanted]:
    """A callback writing each record to the side file at ``path`` while
    the context lasts, or None without a path."""
    if path is None:
        yield None
        return
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        yield lambda record: out.write(planted_line(record))


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
    parser.add_argument(
        "--technique-rate",
        type=_rate,
        default=DEFAULT_TECHNIQUE_RATE,
        help="chance per event of a planted ATT&CK technique instance (Windows, Linux, macOS); "
        f"0 plants none (default {DEFAULT_TECHNIQUE_RATE})",
    )
    parser.add_argument(
        "--planted",
        metavar="FILE",
        help="also write one JSON line per planted technique instance: technique, name, tactic, "
        "scenario, platform, aid and the ids of its events",
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``gen`` command; print a one-line summary to standard error."""
    started = time.perf_counter()
    instances = 0
    options = (args.events, args.seed, args.mix, args.malicious_rate, args.technique_rate)
    with _planted_sink(args.planted) as write_record:

        def on_planted(record: PlantedRecord) -> None:
            nonlocal instances
            instances += 1
            if write_record is not None:
                write_record(record)

        if args.out == "-":
            out = sys.stdout.buffer
            written = _write_stream(out.write, *options, on_planted)
            out.flush()
        else:
            written = _write_path(Path(args.out), options, on_planted)
    elapsed = time.perf_counter() - started
    planted = f", {instances} technique instances -> {args.planted}" if args.planted else ""
    print(
        f"gen: {args.events} events, {written} bytes, {elapsed:.2f} s -> {args.out}{planted}",
        file=sys.stderr,
    )
    return 0

"""``cqlmatch stream``: NDJSON on standard input, NDJSON on standard output.

The way a log shipper (rsyslog ``omprog``, syslog-ng ``program()``, Fluent
Bit or Vector ``exec``) runs a rule: it starts this process once and writes
events to it, one JSON object per line.

Output
    Each event the per-event stages keep, written as the input line itself
    (its bytes, key order and number spelling unchanged) with the fields the
    stages assigned appended as extra keys (for the corrected seed rule:
    ``EventType`` and the ``default()`` fields).  Shippers forward whole
    events, so the whole event comes back.  When a stage changed a field the
    line already had, or removed one, the line is decoded, changed (nested
    objects too, as the Matcher does) and written again compactly.  Dropped events are omitted.
    With ``--aggregate-every N`` the per-event output is replaced by the
    query's aggregate rows, written every N seconds over the events since
    the previous write (``--cumulative``: over all events so far) and once
    more at the end.

Line buffering and memory
    Standard input is read with ``os.read`` as data arrives (up to 64 KiB at
    a time, never waiting for a full buffer); the output of each read is
    written and flushed before the next read.  A line written by the shipper
    therefore comes back as soon as it is matched.  Memory is the read
    buffer, one carried unfinished line (at most ``--max-line-bytes``), and
    the aggregate state (bounded by ``groupBy``'s limit).

Ending
    At end of input, on SIGTERM and on SIGINT the unfinished last line (if
    any) is matched, the aggregate rows are written, output is flushed, and
    the process exits with status 0 (130 after SIGINT).  Signals are taken
    through ``signal.set_wakeup_fd`` and ``select``: the handler only sets a
    flag, so a signal never interrupts the middle of a batch and no line that
    was read is lost.  Malformed lines are reported on standard error as
    ``cqlmatch stream: line N: reason`` and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import sys
import time
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:  # the matcher (and the engines) load when the command runs
    from ..ingest.lines import MalformedLine
    from ..lang.events import Event, Fields
    from .matcher import Matcher

READ_SIZE = 1 << 16
EXIT_OK = 0
EXIT_INTERRUPTED = 130


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def output_line(line: bytes, in_fields: Fields, out: Event) -> bytes:
    """The NDJSON output for a kept input ``line`` (without its line feed)."""
    from .matcher import _assigned, _edited

    changed, removed = _assigned(in_fields, out.fields)
    if not changed and not removed:
        return line.strip()
    if removed or any(name in in_fields for name in changed):
        # Removed fields leave nested objects too, and a field the line has
        # nested is changed in place: the Matcher's rule (``_edited``).
        return _encode(_edited(json.loads(line), in_fields, changed, removed))
    # Only new fields: spliced in after the line's own text.
    body = line.rstrip()  # a decoded line is one JSON object: it ends in "}"
    head = body[:-1].rstrip()
    extra = b",".join(_encode(name) + b":" + _encode(value) for name, value in changed.items())
    joiner = b"" if head.endswith(b"{") else b","
    return head + joiner + extra + b"}"


class _Stop:
    """The signal that ended the stream (set by the handler, read by the loop)."""

    signum: int | None = None


def run_stream(
    matcher: Matcher,
    stdin: IO[bytes],
    stdout: IO[bytes],
    stderr: IO[str],
    aggregate_every: float | None = None,
    cumulative: bool = False,
) -> int:
    """The stream loop; returns the exit status."""
    fd = stdin.fileno()
    stop = _Stop()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    handlers = {}

    def on_signal(signum: int, _frame: Any) -> None:
        stop.signum = signum

    previous_fd = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    for signum in (signal.SIGTERM, signal.SIGINT):
        handlers[signum] = signal.signal(signum, on_signal)
    try:
        return _loop(matcher, fd, wake_r, stdout, aggregate_every, cumulative, stop)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(previous_fd)
        os.close(wake_r)
        os.close(wake_w)
        stats = f"{matcher.lines} line(s), {matcher.kept} kept, {matcher.malformed_count} malformed"
        warnings = matcher.warnings  # (a pack's matcher: by rule id)
        pairs = warnings.items() if isinstance(warnings, dict) else [("", warnings)]
        for rule, found in pairs:
            for code, message in found:
                where = f"rule {rule}: " if rule else ""
                print(f"warning {code}: {where}{message}", file=stderr)
        print(f"cqlmatch stream: {stats}", file=stderr, flush=True)


def _loop(
    matcher: Matcher,
    fd: int,
    wake_r: int,
    stdout: IO[bytes],
    aggregate_every: float | None,
    cumulative: bool,
    stop: _Stop,
) -> int:
    rows_only = aggregate_every is not None
    due = time.monotonic() + aggregate_every if rows_only else None

    def emit(kept: list[tuple[bytes, Fields, Event]]) -> None:
        if kept and not rows_only:
            stdout.write(b"".join(output_line(*item) + b"\n" for item in kept))
            stdout.flush()

    def emit_rows() -> None:
        rows = matcher.results(reset=not cumulative)
        if rows:
            stdout.write(b"".join(_encode(row) + b"\n" for row in rows))
        stdout.flush()

    while stop.signum is None:
        timeout = None if due is None else max(0.0, due - time.monotonic())
        ready, _, _ = select.select([fd, wake_r], [], [], timeout)
        if wake_r in ready:
            os.read(wake_r, 512)  # the signal bytes; the flag says which
        if fd in ready:
            data = os.read(fd, READ_SIZE)
            if not data:
                break
            emit(matcher.feed_raw(data))
        if due is not None and time.monotonic() >= due:
            emit_rows()
            due = time.monotonic() + aggregate_every  # type: ignore[operator]
    emit(matcher.flush_raw())
    if rows_only:
        emit_rows()
    stdout.flush()
    return EXIT_INTERRUPTED if stop.signum == signal.SIGINT else EXIT_OK


def command(args: argparse.Namespace, compile_query: Any) -> int:
    """``cqlmatch stream``; ``compile_query(args)`` compiles the query the
    way the other commands do (parameters, lookups, saved queries)."""
    from .matcher import Matcher

    if args.query is None:
        print("cqlmatch stream: give a query file, or a pack with --pack", file=sys.stderr)
        return 2
    if args.query == "-":
        print(
            "cqlmatch stream: standard input carries the events; give the query as a file",
            file=sys.stderr,
        )
        return 2
    query = compile_query(args)
    for diagnostic in query.diagnostics:
        print(diagnostic.render(query.text, args.query).split("\n")[0], file=sys.stderr)

    def report(bad: MalformedLine) -> None:
        print(f"cqlmatch stream: line {bad.line_number}: {bad.reason}", file=sys.stderr)

    rows_only = args.aggregate_every is not None
    matcher = Matcher(
        query,
        aggregate=rows_only,
        prefilter=args.prefilter,
        max_line_bytes=args.max_line_bytes,
        on_malformed=report,
    )
    if rows_only:
        if args.aggregate_every <= 0:
            print("cqlmatch stream: --aggregate-every needs a positive number", file=sys.stderr)
            return 2
        if not matcher.aggregating:
            print(
                "cqlmatch stream: --aggregate-every needs a query with an aggregate stage "
                "(groupBy, count, ...)",
                file=sys.stderr,
            )
            return 2
    return run_stream(
        matcher,
        sys.stdin.buffer,
        sys.stdout.buffer,
        sys.stderr,
        aggregate_every=args.aggregate_every,
        cumulative=args.cumulative,
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="?", help="query file (or --pack)")
    p.add_argument(
        "--pack",
        metavar="PACK",
        help="every enabled rule of a pack (a manifest or a folder of .cql files) instead "
        "of one query: one output line per hit, with rule.id, rule.name, rule.severity, rule.tags",
    )
    p.add_argument(
        "--aggregate-every",
        type=float,
        metavar="SECONDS",
        help="write the aggregate rows every SECONDS (and at the end) instead of events",
    )
    p.add_argument(
        "--cumulative",
        action="store_true",
        help="with --aggregate-every: rows over all events so far, not since the last write",
    )
    p.add_argument(
        "--prefilter",
        action="store_true",
        help="skip lines that cannot match without parsing them (faster; malformed lines "
        "among them are then not reported)",
    )
    p.add_argument(
        "--max-line-bytes",
        type=int,
        default=1 << 26,
        metavar="N",
        help="longer lines are reported and skipped (default 64 MiB)",
    )

"""``cqlmatch stream``: events on standard input, matched as they arrive.

The way a log shipper runs a rule: it starts this process once and writes
events to it, one JSON object per line.  ``--protocol`` says what the
shipper expects back (docs/embedding.md has the configurations, each one a
tested file under examples/):

``ndjson`` (the default)
    Each event the per-event stages keep, written as the input line itself
    (its bytes, key order and number spelling unchanged) with the fields the
    stages assigned appended as extra keys (for the corrected seed rule:
    ``EventType`` and the ``default()`` fields).  Shippers forward whole
    events, so the whole event comes back.  When a stage changed a field the
    line already had, or removed one, the line is decoded, changed (nested
    objects too, as the Matcher does) and written again compactly.  Dropped
    events are omitted.  With ``--aggregate-every N`` the per-event output is
    replaced by the query's aggregate rows, written every N seconds over the
    events since the previous write (``--cumulative``: over all events so
    far) and once more at the end.

``omprog``
    rsyslog's ``omprog`` with ``confirmMessages="on"``: standard output
    carries only the confirmations (``OK`` once started, then ``OK`` per
    message, or ``DEFER_COMMIT`` inside a ``BEGIN TRANSACTION`` /
    ``COMMIT TRANSACTION`` batch of ``useTransactions="on"``), and the
    ``ndjson`` output goes to ``--output FILE`` (appended).  A message's
    output is written before it is confirmed; a transaction's output is
    written when its commit arrives, so a batch rsyslog sends again after a
    failure is not written twice.

``mmexternal``
    rsyslog's ``mmexternal`` with ``interface.input="fulljson"``: each line
    is rsyslog's message object, the event is its ``msg`` string, and each
    line gets exactly one reply line, in order, setting the message
    variable ``$!cql``: ``{"hit": 0}`` for a dropped event,
    ``{"hit": 1, "fields": {...}}`` with the fields the rule assigned or
    changed (and ``"removed": [...]`` when it removed some) for a kept one;
    with a pack ``"hit"`` counts the rules that hit and ``"hits"`` lists
    each one's fields (``rule.id``, ...).  A message that is not an event
    gets ``{"hit": 0, "error": "..."}``.  The rsyslog configuration drops
    or routes messages on those variables.  ``fulljson`` because rsyslog
    then escapes line feeds inside a message: with ``msg`` a message holding
    one would be read as two and every later reply would answer the wrong
    message.

Standard output carries nothing but the protocol's lines.  Warnings,
malformed input (``cqlmatch stream: line N: reason``, ``message N`` in the
per-message protocols) and the closing summary go to standard error;
``--quiet`` leaves only a fatal error there.

Line buffering and memory
    Standard input is read with ``os.read`` as data arrives (up to 64 KiB at
    a time, never waiting for a full buffer); the output of each read is
    written and flushed before the next read.  A line written by the shipper
    therefore comes back as soon as it is matched.  Memory is the read
    buffer, one carried unfinished line (at most ``--max-line-bytes``), the
    output of an open transaction, and the aggregate state (bounded by
    ``groupBy``'s limit).

Ending
    At end of input, on SIGTERM and on SIGINT the unfinished last line (if
    any) is matched, the aggregate rows are written, output is flushed, and
    the process exits with status 0 (130 after SIGINT).  Signals are taken
    through ``signal.set_wakeup_fd`` and ``select``: the handler only sets a
    flag, so a signal never interrupts the middle of a batch and no line that
    was read is lost.  Malformed lines are reported and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:  # the matcher (and the engines) load when the command runs
    from ..ingest.lines import MalformedLine
    from ..lang.events import Event, Fields
    from .matcher import Matcher

READ_SIZE = 1 << 16
EXIT_OK = 0
EXIT_QUERY_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
PROTOCOLS = ("ndjson", "omprog", "mmexternal")

# omprog's default transaction marks and confirmations (rsyslog's
# plugins/external/INTERFACE.md).
BEGIN_MARK = b"BEGIN TRANSACTION"
COMMIT_MARK = b"COMMIT TRANSACTION"
CONFIRM = b"OK\n"
DEFERRED = b"DEFER_COMMIT\n"
DROPPED = b'{"$!":{"cql":{"hit":0}}}\n'  # mmexternal's reply for most messages

Hit = tuple[bytes, "Fields", "Event"]


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


def _put(stream: IO[bytes], data: bytes) -> None:
    """Write all of ``data`` and flush (a raw file may take part of it)."""
    view = memoryview(data)
    while view:
        written = stream.write(view)
        view = view[len(view) if written is None else written :]
    stream.flush()


class _Stop:
    """The signal that ended the stream (set by the handler, read by the loop)."""

    signum: int | None = None


class _Ndjson:
    """``--protocol ndjson``: events in, kept events (or aggregate rows) out."""

    unit = "line"

    def __init__(self, matcher: Matcher, sink: IO[bytes], rows_only: bool) -> None:
        self.matcher = matcher
        self.sink = sink
        self.rows_only = rows_only

    def start(self) -> None:
        """Nothing to say before the first line."""

    def feed(self, data: bytes) -> None:
        self._write(self.matcher.feed_raw(data))

    def finish(self) -> None:
        self._write(self.matcher.flush_raw())

    def _write(self, kept: list[Hit]) -> None:
        if kept and not self.rows_only:
            _put(self.sink, b"".join(output_line(*hit) + b"\n" for hit in kept))

    def counts(self) -> tuple[int, int]:
        """Lines read, malformed ones among them."""
        return self.matcher.lines, self.matcher.malformed_count


class _PerMessage:
    """A protocol that answers every input line (a message) on standard
    output, in order: the line splitting, numbering and error capture that
    ``omprog`` and ``mmexternal`` share."""

    unit = "message"

    def __init__(self, matcher: Matcher, replies: IO[bytes], report: Callable[[str], None]):
        from ..ingest.lines import LineSplitter

        self.matcher = matcher
        self.replies = replies
        self.report = report
        self.splitter = LineSplitter(matcher.max_line_bytes)
        self.messages = 0
        self.bad = 0  # malformed messages the matcher never saw
        self.reason: str | None = None  # why the matcher refused the current message
        matcher.on_malformed = self._refused

    def _refused(self, bad: MalformedLine) -> None:
        self.reason = bad.reason

    def feed(self, data: bytes) -> None:
        self._answer(self.splitter.push(data))

    def finish(self) -> None:
        self._answer(self.splitter.finish())

    def _answer(self, blocks: list[Any]) -> None:
        from ..ingest.lines import Overlong

        answers: list[bytes] = []
        for block in blocks:
            if isinstance(block, Overlong):
                self.messages += 1
                answers.append(self.message(None, block.malformed(self.messages).reason))
                continue
            for line in block.split(b"\n"):
                if not self.is_mark(line):
                    self.messages += 1
                answers.append(self.message(line, None))
        self.written()
        if answers:
            _put(self.replies, b"".join(answers))

    def is_mark(self, line: bytes) -> bool:
        return False

    def message(self, line: bytes | None, error: str | None) -> bytes:
        """The reply line to ``line`` (None: a message too long to read, ``error`` says so)."""
        raise NotImplementedError

    def written(self) -> None:
        """Called after a read's messages are matched, before their replies go out."""

    def match(self, event: bytes) -> tuple[list[Hit], str | None]:
        """The hits of one event line, or the reason it is not an event."""
        self.reason = None
        hits = self.matcher.feed_raw(event + b"\n")
        if self.reason is not None:
            return [], self.bad_message(self.reason)
        return hits, None

    def bad_message(self, reason: str) -> str:
        self.report(f"message {self.messages}: {reason}")
        return reason

    def counts(self) -> tuple[int, int]:
        return self.messages, self.matcher.malformed_count + self.bad


class _Omprog(_PerMessage):
    """``--protocol omprog``: rsyslog ``omprog`` with ``confirmMessages="on"``."""

    def __init__(self, matcher: Matcher, replies: IO[bytes], sink: IO[bytes], report: Any):
        super().__init__(matcher, replies, report)
        self.sink = sink
        self.pending: list[bytes] = []  # output to write before the replies go out
        self.batch: list[bytes] | None = None  # output of the open transaction

    def start(self) -> None:
        _put(self.replies, CONFIRM)  # ready: the rule compiled, the output is open

    def is_mark(self, line: bytes) -> bool:
        return line.rstrip(b"\r") in (BEGIN_MARK, COMMIT_MARK)

    def message(self, line: bytes | None, error: str | None) -> bytes:
        if line is not None:
            mark = line.rstrip(b"\r")
            if mark == BEGIN_MARK:
                self.batch = []
                return CONFIRM
            if mark == COMMIT_MARK:
                self.pending.extend(self.batch or ())
                self.batch = None
                return CONFIRM
        if line is None:
            self.bad += 1
            self.bad_message(error or "")
        else:
            hits, _error = self.match(line)
            out = [output_line(*hit) + b"\n" for hit in hits]
            if self.batch is not None:
                self.batch.extend(out)
            else:
                self.pending.extend(out)
        # A message that is not an event is confirmed too: sent again, it
        # would fail again.
        return DEFERRED if self.batch is not None else CONFIRM

    def written(self) -> None:
        if self.pending:
            _put(self.sink, b"".join(self.pending))
            self.pending.clear()

    def finish(self) -> None:
        super().finish()
        if self.batch:
            self.report(
                f"{len(self.batch)} output line(s) of a transaction that was not committed "
                "were not written (rsyslog sends its messages again)"
            )
        self.batch = None


class _Mmexternal(_PerMessage):
    """``--protocol mmexternal``: rsyslog ``mmexternal`` with ``interface.input="fulljson"``."""

    def __init__(self, matcher: Matcher, replies: IO[bytes], report: Any, pack: bool) -> None:
        super().__init__(matcher, replies, report)
        self.pack = pack
        self.envelope = msgspec.json.Decoder(_Envelope)

    def start(self) -> None:
        """mmexternal expects nothing before the first reply."""

    def message(self, line: bytes | None, error: str | None) -> bytes:
        if line is None:
            self.bad += 1
            return _variables({"hit": 0, "error": self.bad_message(error or "")})
        event, error = self._event(line)
        if event is None:
            self.bad += 1
            return _variables({"hit": 0, "error": self.bad_message(error or "")})
        hits, error = self.match(event)
        if error is not None:
            return _variables({"hit": 0, "error": error})
        if not hits:
            return DROPPED
        from .matcher import _assigned

        assigned = []
        for _line, in_fields, out in hits:
            changed, removed = _assigned(in_fields, out.fields)
            one: dict[str, Any] = {"fields": changed}
            if removed:
                one["removed"] = removed
            assigned.append(one)
        if self.pack:
            return _variables({"hit": len(assigned), "hits": assigned})
        return _variables({"hit": 1, **assigned[0]})

    def _event(self, line: bytes) -> tuple[bytes | None, str | None]:
        """The event of one rsyslog message object, or why there is none."""
        try:  # msgspec reads "msg" alone, and passes over the other properties
            return self.envelope.decode(line).msg.encode("utf-8"), None
        except (msgspec.DecodeError, UnicodeEncodeError):
            pass  # not a message object, or a msg holding a lone surrogate: look closer
        try:
            envelope = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            envelope = None
        message = envelope.get("msg") if isinstance(envelope, dict) else None
        if not isinstance(message, str):
            return None, (
                'not an rsyslog message object with a "msg" string: configure mmexternal '
                'with interface.input="fulljson"'
            )
        return message.encode("utf-8", "surrogatepass"), None


class _Envelope(msgspec.Struct):
    """The one property of rsyslog's message object that cqlmatch reads."""

    msg: str


def _variables(cql: dict[str, Any]) -> bytes:
    """One mmexternal reply: set ``$!cql``."""
    return _encode({"$!": {"cql": cql}}) + b"\n"


def run_stream(
    matcher: Matcher,
    stdin: IO[bytes],
    stdout: IO[bytes],
    stderr: IO[str],
    aggregate_every: float | None = None,
    cumulative: bool = False,
    *,
    protocol: str = "ndjson",
    output: IO[bytes] | None = None,
    quiet: bool = False,
    pack: bool = False,
) -> int:
    """The stream loop; returns the exit status.  ``output``: where kept
    events and aggregate rows go instead of ``stdout`` (``omprog`` needs
    it); ``pack``: ``matcher`` runs a pack (mmexternal then lists hits)."""

    def report(text: str) -> None:
        if not quiet:
            print(f"cqlmatch stream: {text}", file=stderr, flush=True)

    sink = stdout if output is None else output
    rows_only = aggregate_every is not None
    handler: _Ndjson | _PerMessage
    if protocol == "ndjson":
        matcher.on_malformed = lambda bad: report(f"line {bad.line_number}: {bad.reason}")
        handler = _Ndjson(matcher, sink, rows_only)
    elif protocol == "omprog":
        handler = _Omprog(matcher, stdout, sink, report)
    elif protocol == "mmexternal":
        handler = _Mmexternal(matcher, stdout, report, pack)
    else:
        raise ValueError(f"unknown protocol {protocol!r}; available: {', '.join(PROTOCOLS)}")

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
        handler.start()
        return _loop(matcher, handler, fd, wake_r, sink, aggregate_every, cumulative, stop)
    finally:
        for signum, previous in handlers.items():
            signal.signal(signum, previous)
        signal.set_wakeup_fd(previous_fd)
        os.close(wake_r)
        os.close(wake_w)
        if not quiet:
            _summary(matcher, handler, stderr)


def _summary(matcher: Matcher, handler: _Ndjson | _PerMessage, stderr: IO[str]) -> None:
    """The closing lines on standard error: counts, then run-time warnings."""
    read, malformed = handler.counts()
    lines = [f"{read} {handler.unit}(s), {matcher.kept} kept, {malformed} malformed"]
    warnings = matcher.warnings
    if isinstance(warnings, dict):  # a pack: each rule's warnings
        lines += [f"rule {rule}: warning {c}: {m}" for rule, ws in warnings.items() for c, m in ws]
    else:
        lines += [f"warning {code}: {message}" for code, message in warnings]
    print("\n".join(f"cqlmatch stream: {line}" for line in lines), file=stderr, flush=True)


def _loop(
    matcher: Matcher,
    handler: _Ndjson | _PerMessage,
    fd: int,
    wake_r: int,
    sink: IO[bytes],
    aggregate_every: float | None,
    cumulative: bool,
    stop: _Stop,
) -> int:
    rows_only = aggregate_every is not None
    due = time.monotonic() + aggregate_every if rows_only else None

    def emit_rows() -> None:
        rows = matcher.results(reset=not cumulative)
        _put(sink, b"".join(_encode(row) + b"\n" for row in rows))

    while stop.signum is None:
        timeout = None if due is None else max(0.0, due - time.monotonic())
        ready, _, _ = select.select([fd, wake_r], [], [], timeout)
        if wake_r in ready:
            os.read(wake_r, 512)  # the signal bytes; the flag says which
        if fd in ready:
            data = os.read(fd, READ_SIZE)
            if not data:
                break
            handler.feed(data)
        if due is not None and time.monotonic() >= due:
            emit_rows()
            due = time.monotonic() + aggregate_every  # type: ignore[operator]
    handler.finish()
    if rows_only:
        emit_rows()
    return EXIT_INTERRUPTED if stop.signum == signal.SIGINT else EXIT_OK


def fail(args: argparse.Namespace, message: str, status: int = EXIT_USAGE) -> int:
    """Report a problem that stops the stream before it starts, as one
    line on standard error (omprog's ``output`` file); under ``omprog``
    also on standard output, in place of the start-up ``OK``, so that
    rsyslog sees a failed start whatever it does with the exit.  Under
    ``mmexternal`` standard error is the reply pipe: rsyslog logs the line
    as a reply it could not use."""
    line = f"cqlmatch stream: {message}"
    print(line, file=sys.stderr, flush=True)
    if getattr(args, "protocol", None) == "omprog":
        print(line, flush=True)
    return status


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options of ``args`` (before anything is
    compiled), or None."""
    every = args.aggregate_every
    if every is not None and every <= 0:
        return "--aggregate-every needs a positive number"
    if args.max_line_bytes < 1:
        return "--max-line-bytes needs a positive number"
    if args.protocol == "omprog" and args.output is None:
        return (
            "--protocol omprog needs --output FILE for the matched events: standard output "
            "carries the confirmations"
        )
    if args.protocol == "mmexternal":
        for option, given in (("--output", args.output), ("--aggregate-every", every)):
            if given is not None:
                return (
                    f"{option} is not used with --protocol mmexternal: its only output is "
                    "one reply per message"
                )
    return None


def serve(matcher: Matcher, args: argparse.Namespace, notes: list[str], pack: bool = False) -> int:
    """Run the stream loop over the process's standard streams with the
    options of ``args``.  ``--output`` is opened here, for appending, then
    standard error is moved to ``--log`` (under ``mmexternal`` to
    /dev/null without it: rsyslog reads the program's standard error as
    replies), then ``notes`` (the query's warnings) are written there."""
    output = None
    if args.output is not None:
        try:
            output = open(args.output, "ab", buffering=0)  # noqa: SIM115 (closed below)
        except OSError as err:
            return fail(args, f"--output {args.output}: {err.strerror}")
    try:
        if args.log is not None or args.protocol == "mmexternal":
            where = os.devnull if args.log is None else args.log
            try:
                fd = os.open(where, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as err:
                return fail(args, f"--log {where}: {err.strerror}")
            sys.stderr.flush()
            os.dup2(fd, 2)
            os.close(fd)
        if not args.quiet:
            for note in notes:
                print(note, file=sys.stderr)
        # The loop takes SIGTERM as the end; once it is over, a SIGTERM
        # (omprog's signalOnClose follows the end of input) must not kill
        # the process on its way out.  Ignored, not handled: Python resets
        # its handlers to the default while it exits, never SIG_IGN.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        return run_stream(
            matcher,
            sys.stdin.buffer,
            sys.stdout.buffer,
            sys.stderr,
            aggregate_every=args.aggregate_every,
            cumulative=args.cumulative,
            protocol=args.protocol,
            output=output,
            quiet=args.quiet,
            pack=pack,
        )
    finally:
        if output is not None:
            output.close()


def command(args: argparse.Namespace, compile_query: Any) -> int:
    """``cqlmatch stream``; ``compile_query(args)`` compiles the query the
    way the other commands do (parameters, lookups, saved queries)."""
    from ..errors import CQLError
    from .matcher import Matcher

    if args.query is None:
        return fail(args, "give a query file, or a pack with --pack")
    if args.query == "-":
        return fail(args, "standard input carries the events; give the query as a file")
    problem = usage_problem(args)
    if problem is not None:
        return fail(args, problem)
    try:
        query = compile_query(args)
    except CQLError as err:
        if args.protocol == "ndjson":
            raise  # rendered whole, with the caret under the problem
        return fail(args, err.render(args.query).split("\n")[0], EXIT_QUERY_ERROR)
    except OSError as err:
        return fail(args, f"{err.filename or args.query}: {err.strerror or err}")
    if query.plan.reads_source:
        return fail(
            args,
            f"{args.query}: join() and defineTable() read the whole input before their "
            "first result, so this query cannot stream; run it with cqlmatch run",
        )
    rows_only = args.aggregate_every is not None
    try:
        matcher = Matcher(
            query,
            aggregate=rows_only,
            prefilter=args.prefilter,
            max_line_bytes=args.max_line_bytes,
        )
    except ValueError as err:
        return fail(args, f"{args.query}: {err}")
    if rows_only and not matcher.aggregating:
        return fail(
            args, "--aggregate-every needs a query with an aggregate stage (groupBy, count, ...)"
        )
    notes = [d.render(query.text, args.query).split("\n")[0] for d in query.diagnostics]
    return serve(matcher, args, notes)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", nargs="?", help="query file (or --pack)")
    p.add_argument(
        "--pack",
        metavar="PACK",
        help="every enabled rule of a pack (a manifest or a folder of .cql files) instead "
        "of one query: one output line per hit, with rule.id, rule.name, rule.severity, rule.tags",
    )
    p.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default=PROTOCOLS[0],
        help="what standard output carries: ndjson, the kept events (default); omprog, "
        "rsyslog omprog confirmations (confirmMessages=on, transactions too), events to "
        '--output; mmexternal, one $!cql reply per rsyslog message (interface.input="fulljson")',
    )
    p.add_argument(
        "--output",
        metavar="FILE",
        help="append the kept events (or aggregate rows) to FILE instead of standard output",
    )
    p.add_argument(
        "--log",
        metavar="FILE",
        help="append warnings, malformed-input reports and the summary to FILE instead of "
        "standard error (with --protocol mmexternal they are dropped without it)",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no warnings, malformed-line reports or closing summary on standard error",
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

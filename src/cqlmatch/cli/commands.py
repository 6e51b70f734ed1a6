"""The ``cqlmatch`` command line."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..runtime.choices import ENGINES, ON_ERROR
from ..version import __version__
from . import (
    PACK_HELP,
    Formatter as _Formatter,
    enrichment_args,
    enrichment_options,
    out_of_memory,
    tag_args,
    tag_options,
)

if TYPE_CHECKING:
    from ..runtime.result import Result

# Each command imports what it needs when it runs, and its parser's options
# are added only for the command given (``build_parser(only=...)``): a run
# does not load the generator, packs or the corpus tools, and
# ``cqlmatch --version`` loads nothing.

# Exit statuses: 0 success (warnings allowed), 1 the query has errors,
# 2 usage or input problems (missing files, bad options).
EXIT_OK = 0
EXIT_QUERY_ERROR = 1
EXIT_USAGE = 2
EXIT_BAD_EVENT = 3  # ``run --on-error fail``: an input line is not an event
EXIT_INPUT_INCOMPLETE = 4  # ``run``: a compressed input is truncated or corrupt (rows printed)
EXIT_WORKER_LOST = 5  # ``run``: a worker process died (killed, out of memory), or memory ran out
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), after a one-line progress summary
EXIT_TERMINATED = 143  # ``run``: SIGTERM (128 + 15), after stopping the workers
EXIT_TEST_FAILED = 1  # ``cqlmatch test``: a case failed (or its rule has errors)

_EXAMPLES = {
    "fmt": "example: cqlmatch fmt rules/t1546_016.cql",
    "parse": "example: cqlmatch parse rules/t1546_016.cql",
    "tokens": "example: cqlmatch tokens rules/t1546_016.cql",
    "corpus": "example: cqlmatch corpus corpus/queries.jsonl --examples 20",
    "run": "example: cqlmatch run rules/t1546_016.cql events.ndjson --format table",
    "check": "example: cqlmatch check rules/seed/t1546_016.cql --strict",
    "gen": "example: cqlmatch gen --events 100000 --seed 7 --out events.ndjson.gz",
    "disasm": "example: cqlmatch disasm rules/t1546_016.cql",
    "stream": "examples:\n  tail -F events.ndjson | cqlmatch stream rules/t1546_016.cql\n"
    "  cqlmatch stream rules/t1546_016.cql --aggregate-every 60 < events.ndjson",
    "test": "examples:\n  cqlmatch test rules/tests\n"
    "  cqlmatch test rules/tests/t1546_016.cqltest.yaml --engine reference --junit report.xml",
    "explain": "examples:\n  cqlmatch explain E201\n  cqlmatch explain --list",
}


_EXIT_STATUS = """\
exit status:
  0    success (warnings allowed); test: every case passed
  1    the query has errors; test: a case failed or its rule has errors
  2    usage or input problems (missing files, bad options, malformed test files)
  3    run --on-error fail: an input line is not an event
  4    run: an input is incomplete (a truncated or corrupt .gz/.zst); the rows
       of the lines read are still printed
  5    run: a worker process died (killed, out of memory), or memory ran out
       (RE2's budget for a regex set, or the process's); no rows
  6    pack run/check: some rules could not be used and were left out; the
       others ran
  130  interrupted (Ctrl-C)
  143  run: terminated (SIGTERM); the workers are stopped first

every command has --help with an example; docs/cli.md has the details"""


_ENGINE_HELP = "the bytecode VM (default) or the reference interpreter (same results, slower)"


def _read_query(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    return Path(path).read_text(encoding="utf-8")


def _cmd_fmt(args: argparse.Namespace) -> int:
    from ..syntax.parser import parse_with_comments
    from ..syntax.printer import format_query

    text = _read_query(args.query)
    tree, comments = parse_with_comments(text)
    formatted = format_query(tree, comments, text) + "\n"
    if args.write and args.query != "-":
        Path(args.query).write_text(formatted, encoding="utf-8")
    else:
        sys.stdout.write(formatted)
    return EXIT_OK


def _cmd_parse(args: argparse.Namespace) -> int:
    from ..syntax.ast import dump
    from ..syntax.parser import parse

    print(dump(parse(_read_query(args.query))))
    return EXIT_OK


def _cmd_tokens(args: argparse.Namespace) -> int:
    from ..syntax.lexer import tokenize

    for tok in tokenize(_read_query(args.query)):
        print(f"{tok.span.line}:{tok.span.column}\t{tok.kind.name}\t{tok.text}")
    return EXIT_OK


def _cmd_corpus(args: argparse.Namespace) -> int:
    from ..synth import gen as gen_mod
    from . import corpus as corpus_mod

    records = corpus_mod.load(args.corpus)
    if args.compile:
        events = None
        if args.run_events:
            events = [json.loads(line) for line in gen_mod.generate_lines(args.run_events, seed=1)]
        data = {k: v for k, v in enrichment_args(args).items() if v is not None}
        compiled = corpus_mod.compile_and_run(records, events, data)
        if args.list_failures:
            print(corpus_mod.render_compile_failures(compiled))
        else:
            print(corpus_mod.render_compile(compiled, args.examples))
        return EXIT_OK
    report = corpus_mod.run(records)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    elif args.list_failures:
        for failure in report.failures:
            err = failure.error
            print(
                f"{failure.record_id}\t{failure.group}\t{failure.source}\t{err.code}\t{err.message}"
            )
    else:
        print(corpus_mod.render(report, examples=args.examples))
    return EXIT_OK


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def _pairs(items: list[str] | None, flag: str) -> dict[str, str]:
    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"cqlmatch: {flag} expects NAME=VALUE, got {item!r}")
        out[name] = value
    return out


def _compile(args: argparse.Namespace, strict: bool = False):
    """The query of ``args``, compiled.  Lookup files resolve only through
    ``--lookup NAME=PATH`` and ``--lookups DIR`` (never the query's folder or
    the working directory), and none is read here: ``check`` and ``disasm``
    read no lookup file, ``run`` and ``stream`` read them when they run."""
    from ..runtime.query import compile as compile_text

    params = _pairs(args.param, "--param")
    lookups = _pairs(args.lookup, "--lookup")
    text = _expand_saved(args, _read_query(args.query))
    return compile_text(
        text,
        strict,
        params,
        lookups,
        lookup_dir=args.lookups,
        **tag_args(args),
        **enrichment_args(args),
    )


def _expand_saved(args: argparse.Namespace, text: str) -> str:
    """``text`` with ``$name()`` calls replaced from ``--saved DIR`` (when given)."""
    directory = getattr(args, "saved", None)
    if directory is None:
        return text
    if not Path(directory).is_dir():
        raise NotADirectoryError(f"--saved {directory}: not a directory")
    from ..syntax.saved import expand

    return expand(text, directory)


def _run_query(query, args: argparse.Namespace, result: Result) -> Result:
    """``query.run`` over the inputs ``args.events`` names, filling
    ``result``, with a progress line on standard error when it is a terminal
    and the input one file (``progress.for_run`` decides)."""
    from ..errors import BadEventError
    from ..ingest.sources import Inputs
    from . import progress as progress_mod

    options = {"engine": args.engine, "workers": args.workers, "on_error": args.on_error}
    if args.on is not None:
        if args.engine != "vm" or args.workers is not None:
            raise SystemExit(
                "cqlmatch: --on runs on the VM in the cluster's workers:"
                " no --engine reference, no --workers"
            )
        from ..scale.on import run_on

        out = run_on(args.on, query, list(args.events), on_error=args.on_error)
        result.extend(out)
        result.__dict__.update(out.__dict__)
        return result
    inputs = Inputs(*args.events)
    only = inputs.paths[0] if len(inputs) == 1 else None
    bar = None
    if only is not None and only != "-":
        workers = args.workers if query.plan.splits else 1  # (no bar when workers read)
        bar = progress_mod.for_run(only, sys.stderr, args.engine, workers)
    if bar is None:
        return query.run(inputs, result=result, **options)

    def events_so_far() -> int:
        return result.stats.events

    source = progress_mod.open_counted(only, bar, events_so_far)
    try:
        return query.run(source, result=result, **options)
    except BadEventError as err:  # name the file, not the reader around it
        raise BadEventError(only, err.line_number, err.reason) from None
    finally:
        bar.close()
        source.close()


def _cmd_run(args: argparse.Namespace) -> int:
    from ..errors import BadEventError, PartialStateError, WorkerLost
    from ..ingest.sources import InputError
    from ..runtime.result import Result
    from ..scale.on import TargetError
    from .output import write_rows

    query = _compile(args, strict=args.strict)
    for diagnostic in query.diagnostics:
        print(diagnostic.render(query.text, args.query).split("\n")[0], file=sys.stderr)
    started = time.perf_counter()
    result = Result()

    class Terminated(Exception):
        """SIGTERM, raised in the main thread so that the run unwinds:
        the worker pool stops its workers on the way out."""

    def on_term(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: shutdown must finish
        raise Terminated

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        rows = _run_query(query, args, result)
    except KeyboardInterrupt:
        print(f"cqlmatch: interrupted: {_progress(result, started)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print(f"cqlmatch: terminated: {_progress(result, started)}", file=sys.stderr)
        return EXIT_TERMINATED
    except WorkerLost as err:
        print(f"cqlmatch: run stopped, no rows: {err}", file=sys.stderr)
        return EXIT_WORKER_LOST
    except MemoryError as err:
        print(f"cqlmatch: run stopped, no rows: {out_of_memory(err)}", file=sys.stderr)
        return EXIT_WORKER_LOST
    except BadEventError as err:
        print(f"cqlmatch: {err} (--on-error fail)", file=sys.stderr)
        return EXIT_BAD_EVENT
    except (InputError, TargetError, PartialStateError) as err:
        print(f"cqlmatch: {err}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        signal.signal(signal.SIGTERM, previous)
    write_rows(rows, args.format, sys.stdout)
    if args.stats:
        print(f"cqlmatch: {_progress(rows, started)}, {len(rows)} rows", file=sys.stderr)
    for code, message in rows.warnings:
        print(f"warning {code}: {message}", file=sys.stderr)
    if rows.malformed_count:
        shown = ", ".join(str(m.line_number) for m in rows.malformed[:10])
        more = " ..." if rows.malformed_count > 10 else ""
        print(
            f"cqlmatch: {rows.malformed_count} malformed line(s) skipped: {shown}{more}",
            file=sys.stderr,
        )
        for bad in rows.malformed[:10]:
            where = bad.source or args.events[0]
            print(f"  {where}:{bad.line_number}: {bad.reason}", file=sys.stderr)
    if rows.incomplete:
        print(
            f"cqlmatch: input incomplete (truncated or corrupt): {', '.join(rows.incomplete)};"
            " the rows are those of the lines read before",
            file=sys.stderr,
        )
        return EXIT_INPUT_INCOMPLETE
    return EXIT_OK


def _progress(result: Result, started: float) -> str:
    """One line: what a run read so far and how fast."""
    elapsed = time.perf_counter() - started
    stats = result.stats
    rate = stats.lines / elapsed if elapsed > 0 else 0.0
    return (
        f"{stats.lines:,} lines ({stats.events:,} events decoded, {stats.malformed:,} malformed; "
        f"{stats.skipped:,} skipped by the prefilter, their JSON framing checked only) "
        f"in {elapsed:.2f} s ({rate:,.0f} lines/s)"
    )


def _cmd_check(args: argparse.Namespace) -> int:
    if args.fix:
        from ..semantics.fixes import fix_query

        text = _read_query(args.query)
        fixed, applied = fix_query(text, _pairs(args.param, "--param"))
        if args.query == "-" or args.output == "-":
            sys.stdout.write(fixed)
        else:
            Path(args.output or args.query).write_text(fixed, encoding="utf-8")
        print(
            f"{args.query}: applied {len(applied)} fix(es): {', '.join(applied) or 'none'}",
            file=sys.stderr,
        )
        from ..runtime.query import compile as compile_text

        query = compile_text(
            _expand_saved(args, fixed),
            strict=args.strict,
            params=_pairs(args.param, "--param"),
            lookups=_pairs(args.lookup, "--lookup"),
            lookup_dir=args.lookups,
            **tag_args(args),
            **enrichment_args(args),
        )
    else:
        query = _compile(args, strict=args.strict)
    for diagnostic in query.diagnostics:
        print(diagnostic.render(query.text, args.query))
    warnings = len(query.diagnostics)
    print(f"{args.query}: {warnings} warning(s), 0 error(s)", file=sys.stderr)
    return EXIT_OK


def _cmd_disasm(args: argparse.Namespace) -> int:
    from ..bytecode.compiler import compile_program
    from ..bytecode.disasm import dis

    query = _compile(args)
    sys.stdout.write(dis(compile_program(query.checked)))
    return EXIT_OK


def _cmd_test(args: argparse.Namespace) -> int:
    from ..testing import detection as dt

    started = time.perf_counter()
    try:
        paths = dt.discover(args.paths)
    except dt.DetectionTestError as err:
        print(f"cqlmatch: {err}", file=sys.stderr)
        return EXIT_USAGE
    if not paths:
        where = ", ".join(args.paths)
        print(f"cqlmatch: no *.cqltest.yaml files in {where}", file=sys.stderr)
        return EXIT_USAGE
    results: list[dt.CaseResult] = []
    load_errors: list[dt.DetectionTestError] = []
    for path in paths:
        try:
            test_file = dt.load(path)
        except dt.DetectionTestError as err:
            load_errors.append(err)
            print(f"cqlmatch: {err}", file=sys.stderr)
            continue
        file_results = dt.run_file(test_file, args.engine)
        results.extend(file_results)
        if not args.quiet or not all(r.passed for r in file_results):
            print(f"{path}  (rule {test_file.rule}, engine {args.engine})")
            report = dt.render_results(file_results, quiet=args.quiet)
            if report:
                print(report)
    elapsed = time.perf_counter() - started
    print(dt.summary(results, len(load_errors), len(paths), elapsed))
    if args.junit:
        xml = dt.junit_xml(results, load_errors, engine=args.engine)
        Path(args.junit).write_text(xml, encoding="utf-8")
    if load_errors:
        return EXIT_USAGE
    return EXIT_OK if all(r.passed for r in results) else EXIT_TEST_FAILED


def _cmd_stream(args: argparse.Namespace) -> int:
    # A shipper starts the process: the pack modules (about 0.4 s of
    # imports) load only for --pack.
    if args.pack is not None:
        from . import pack as pack_mod

        return pack_mod.stream(args)
    from ..runtime import stream as stream_mod

    return stream_mod.command(args, _compile)


def _cmd_explain(args: argparse.Namespace) -> int:
    """What a diagnostic code means, why it matters and how to fix it, with
    an example (``--list``: every code with its title)."""
    from .. import codes

    if args.list == (args.code is not None):
        print("cqlmatch explain: give one code (cqlmatch explain E201) or --list", file=sys.stderr)
        return EXIT_USAGE
    if args.list:
        for entry in codes.CODES.values():
            print(f"{entry.code}  {entry.severity:<7}  {entry.title}")
        return EXIT_OK
    try:
        sys.stdout.write(codes.explain(args.code))
    except KeyError:
        close = codes.suggest(args.code)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        print(
            f"cqlmatch explain: unknown code {args.code!r}{hint} "
            "(cqlmatch explain --list shows every code)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return EXIT_OK


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser; ``only``: fill in the options of that
    command alone (the others are listed with their help; "" fills none),
    so that a command imports only what its own options need."""

    def wanted(name: str) -> bool:
        return only is None or only == name

    parser = argparse.ArgumentParser(
        prog="cqlmatch",
        description="Compile CrowdStrike LogScale queries (CQL) and run them offline.",
        epilog=_EXIT_STATUS,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"cqlmatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        """The parser of command ``name`` when it is wanted; any other is
        only listed (``_listed``), with the same help line."""
        if not wanted(name):
            _listed(sub, name, help_text)
            return parser  # (not filled in: the caller checks wanted(name) too)
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=_EXAMPLES[name],
            formatter_class=_Formatter,
        )

    p = command("fmt", "print a query in canonical form")
    if wanted("fmt"):
        p.add_argument("query", help="query file, or - for standard input")
        p.add_argument("-w", "--write", action="store_true", help="rewrite the file in place")
        p.set_defaults(func=_cmd_fmt)

    p = command("parse", "print a query's syntax tree")
    if wanted("parse"):
        p.add_argument("query", help="query file, or - for standard input")
        p.set_defaults(func=_cmd_parse)

    p = command("tokens", "print a query's tokens with line and column")
    if wanted("tokens"):
        p.add_argument("query", help="query file, or - for standard input")
        p.set_defaults(func=_cmd_tokens)

    p = command("corpus", "parse every query of an NDJSON corpus and report the pass rate")
    if wanted("corpus"):
        p.add_argument("corpus", help="NDJSON file with id, source, origin and query per line")
        p.add_argument("--json", action="store_true", help="machine-readable report")
        p.add_argument("--examples", type=int, default=15, help="failure reasons to show")
        p.add_argument(
            "--list-failures",
            action="store_true",
            help="one line per query that does not parse (with --compile: that does not compile, "
            "grouped by reason)",
        )
        p.add_argument(
            "--compile", action="store_true", help="also compile every query that parses"
        )
        p.add_argument(
            "--run-events",
            type=int,
            default=0,
            metavar="N",
            help="with --compile: run each compiled query over N generated Falcon events",
        )
        enrichment_options(p)  # with --compile: also the rate when this data is given
        p.set_defaults(func=_cmd_corpus)

    def query_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--strict", action="store_true", help="cqlmatch extensions are errors")
        p.add_argument("--param", action="append", metavar="NAME=VALUE", help="fill ?NAME")
        p.add_argument(
            "--lookup",
            action="append",
            metavar="NAME=PATH",
            help="the file a query's match(file=NAME), cidr(file=NAME) or readFile(NAME) reads",
        )
        p.add_argument(
            "--lookups",
            metavar="DIR",
            help="lookup files: NAME is DIR/NAME (subfolders allowed, nothing outside DIR); "
            "without --lookup or --lookups a query reads no file (docs/security.md)",
        )
        p.add_argument(
            "--saved",
            metavar="DIR",
            help='saved queries: $name() is DIR/name.cql, $"pkg/name"() DIR/pkg/name.cql',
        )
        tag_options(p)
        enrichment_options(p)

    p = command("run", "run a query over NDJSON events and print the result")
    if wanted("run"):
        p.add_argument("query", help="query file, or - for standard input")
        p.add_argument(
            "events",
            nargs="+",
            metavar="PATH",
            help="NDJSON events: files (plain, .gz, .zst), directories, glob patterns or - "
            "(stdin), read in order as one input",
        )
        p.add_argument(
            "--format",
            choices=("table", "json", "ndjson", "csv"),
            default="table",
            help="output format (default: table)",
        )
        p.add_argument("--engine", choices=ENGINES, default=ENGINES[0], help=_ENGINE_HELP)
        p.add_argument(
            "--stats", action="store_true", help="print line counts and lines/s on stderr"
        )
        p.add_argument(
            "--workers",
            type=_positive,
            metavar="N",
            help="processes for a plain file (default: all cores)",
        )
        p.add_argument(
            "--on-error",
            choices=ON_ERROR,
            default=ON_ERROR[0],
            help="bad input lines: skip (count and report them) or fail (stop, exit 3)",
        )
        p.add_argument(
            "--on",
            metavar="ENGINE:WHERE",
            help="run on a cluster, file by file: spark:MASTER (spark:local[2]) or dask:ADDRESS "
            "(dask:local starts a local cluster); the same output (docs/scale-out.md)",
        )
        query_options(p)
        p.set_defaults(func=_cmd_run)

    p = command("check", "report a query's errors and warnings without running it")
    if wanted("check"):
        p.add_argument("query", help="query file, or - for standard input")
        p.add_argument(
            "--fix",
            action="store_true",
            help="apply the safe fixes (W301 W302 W304 W310 W331) and write the query back",
        )
        p.add_argument(
            "--output", metavar="FILE", help="with --fix: write here instead (- = stdout)"
        )
        query_options(p)
        p.set_defaults(func=_cmd_check)

    p = command("disasm", "list the bytecode a query compiles to")
    if wanted("disasm"):
        p.add_argument("query", help="query file, or - for standard input")
        query_options(p)
        p.set_defaults(func=_cmd_disasm)

    p = command("test", "run detection tests (*.cqltest.yaml) and report pass/fail with diffs")
    if wanted("test"):
        p.add_argument("paths", nargs="+", metavar="PATH", help="test files or directories")
        p.add_argument("--engine", choices=ENGINES, default=ENGINES[0], help=_ENGINE_HELP)
        p.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report to FILE")
        p.add_argument(
            "-q", "--quiet", action="store_true", help="show only failures and the total"
        )
        p.set_defaults(func=_cmd_test)

    p = command("stream", "match NDJSON events from stdin as they arrive (for log shippers)")
    if wanted("stream"):
        from ..runtime import stream as stream_mod

        stream_mod.add_arguments(p)
        query_options(p)
        p.set_defaults(func=_cmd_stream)

    p = command("gen", "write deterministic synthetic Falcon telemetry (NDJSON)")
    if wanted("gen"):
        from ..synth import gen as gen_mod

        gen_mod.add_arguments(p)
        p.set_defaults(func=gen_mod.run)

    p = command("explain", "explain a diagnostic code (E201, W401 ...) with an example")
    if wanted("explain"):
        p.add_argument("code", nargs="?", help="the code, as in 'error E201' of a message")
        p.add_argument("--list", action="store_true", help="list every code with its title")
        p.set_defaults(func=_cmd_explain)

    if wanted("pack"):
        from . import pack as pack_mod

        pack_mod.add_commands(sub)
    else:
        _listed(sub, "pack", PACK_HELP)
    return parser


def _listed(sub: Any, name: str, help_text: str) -> None:
    """Command ``name`` among the choices of ``sub`` and its help line,
    without making its parser (about 0.1 ms each, for a command this run
    does not use: the one named is the only one parsed).  Through
    argparse's own records of the choices; should they change, a parser
    without options is made instead."""
    try:
        choices, pseudo = sub._name_parser_map, sub._ChoicesPseudoAction(name, (), help_text)
        helps = sub._choices_actions
    except AttributeError:
        sub.add_parser(name, help=help_text, add_help=False)
        return
    choices[name] = None
    helps.append(pseudo)


def _command_of(argv: list[str]) -> str:
    """The command ``argv`` names (its first word that is not an option),
    or "" when it names none (``--version``, ``--help``)."""
    return next((word for word in argv if not word.startswith("-")), "")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(only=_command_of(argv)).parse_args(argv)
    from ..errors import CQLError
    from .exiting import settled

    settled()

    try:
        return args.func(args)
    except CQLError as err:
        name = getattr(args, "query", "<query>")
        print(err.render("<stdin>" if name == "-" else name), file=sys.stderr)
        return EXIT_QUERY_ERROR
    except BrokenPipeError:
        # A closed standard output (``cqlmatch ... | head``) ends quietly: what
        # is still buffered goes nowhere instead of failing again at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("cqlmatch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as err:
        print(f"cqlmatch: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

"""``cqlmatch pack run|check|test|build``: rule packs from the command line.

``pack run PACK EVENTS...`` prints one row per hit (the event as its rule
leaves it, or an aggregating rule's row, with ``rule.id``, ``rule.name``,
``rule.severity`` and ``rule.tags``); ``--stats`` adds, per rule, the
events it ran on, its hits and its time, and for the pack the lines the
shared prefilter ruled out.  ``pack check PACK`` lists the rules left out
and every rule's warnings; ``pack test PACK`` runs each rule's detection
tests against the pack's rule.  A rule that cannot be used is reported with
its location and left out; the others run, and the exit status is then 6
(``--strict``: 1, and nothing runs).  ``pack build PACK -o FILE.cqlpack``
writes the compiled pack (``packs.packfile``); every command takes such a
file wherever it takes a pack, and loads it without compiling again.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time

from ..errors import BadEventError, WorkerLost
from ..ingest.sources import InputError, Inputs
from ..lang.tags import TagError
from ..packs import scancache
from ..packs.model import PackError
from ..packs.nogc import collector_paused
from ..packs.pack import Pack, PackCompileError, compile_pack
from ..packs.packfile import PackFileError, write_pack
from ..packs.run import PackResult
from . import (
    PACK_HELP,
    Formatter,
    PlainFormatter,
    enrichment_args,
    enrichment_options,
    out_of_memory,
    tag_args,
    tag_options,
)
from .exiting import keep_until_exit
from .output import render_table, write_rows

EXIT_OK = 0
EXIT_PACK_ERROR = 1  # the pack cannot be read, or (--strict) a rule cannot be used
EXIT_TEST_FAILED = 1  # pack test: a case failed
EXIT_USAGE = 2
EXIT_BAD_EVENT = 3
EXIT_INPUT_INCOMPLETE = 4
EXIT_WORKER_LOST = 5
EXIT_RULES_LEFT_OUT = 6  # some rules could not be used; the others ran

EXAMPLES = {
    "run": "example: cqlmatch pack run rules/ events.ndjson.gz --format ndjson --stats",
    "check": "example: cqlmatch pack check pack.yaml",
    "test": "example: cqlmatch pack test pack.yaml --engine reference",
    "build": "example: cqlmatch pack build pack.yaml -o pack.cqlpack",
}


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The ``pack`` command and its subcommands."""
    pack = sub.add_parser(
        "pack",
        help=PACK_HELP,
        description="A pack is many rules run over the events in one pass (docs/packs.md).",
        epilog=EXAMPLES["run"],
        formatter_class=PlainFormatter,
    )
    actions = pack.add_subparsers(dest="pack_command", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXAMPLES[name],
            formatter_class=Formatter,
        )
        parser.add_argument(
            "pack",
            help="a pack manifest (.yaml, .yml), a folder of .cql files, or a built .cqlpack",
        )
        parser.add_argument(
            "--strict", action="store_true", help="a rule that cannot be used is fatal"
        )
        parser.add_argument(
            "--lookup",
            action="append",
            metavar="NAME=PATH",
            help="the file a rule's match(file=NAME), cidr(file=NAME) or readFile(NAME) reads",
        )
        parser.add_argument(
            "--lookups", metavar="DIR", help="lookup files: NAME is DIR/NAME (docs/security.md)"
        )
        tag_options(parser)
        enrichment_options(parser)
        return parser

    p = action("run", "run every enabled rule of a pack over NDJSON events, in one pass")
    p.add_argument("events", nargs="+", metavar="PATH", help="NDJSON events, as for run")
    p.add_argument("--format", choices=("table", "json", "ndjson", "csv"), default="table")
    p.add_argument("--stats", action="store_true", help="per-rule counts and times on stderr")
    p.add_argument("--enable", metavar="ID,...", help="also run these disabled rules")
    p.add_argument("--disable", metavar="ID,...", help="do not run these rules")
    p.add_argument("--on-error", choices=("skip", "fail"), default="skip")
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes for large plain files and several compressed ones (default: all cores)",
    )
    p.set_defaults(func=_cmd_run)

    p = action("check", "report the rules a pack leaves out and every rule's warnings")
    p.set_defaults(func=_cmd_check)

    p = action("build", "compile a pack once into a file that loads without compiling")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the .cqlpack to write")
    p.set_defaults(func=_cmd_build)

    p = action("test", "run the detection tests of every rule that names some (tests:)")
    p.add_argument("--engine", choices=("vm", "reference"), default="vm")
    p.add_argument("-q", "--quiet", action="store_true", help="list failures only")
    p.set_defaults(func=_cmd_test)


def _load(args: argparse.Namespace) -> Pack | int:
    lookups = {}
    for item in args.lookup or ():
        name, sep, path = item.partition("=")
        if not sep or not name:
            print(f"cqlmatch: --lookup expects NAME=PATH, got {item!r}", file=sys.stderr)
            return EXIT_USAGE
        lookups[name] = path
    try:
        return compile_pack(
            args.pack,
            strict=args.strict,
            lookups=lookups,
            lookup_dir=args.lookups,
            **tag_args(args),
            **enrichment_args(args),
        )
    except (PackError, PackFileError, TagError) as err:
        print(f"cqlmatch: {err}", file=sys.stderr)
        return EXIT_PACK_ERROR
    except PackCompileError as err:
        for problem in err.problems:
            print(f"cqlmatch: {problem}", file=sys.stderr)
        print(f"cqlmatch: {len(err.problems)} rule(s) cannot be used (--strict)", file=sys.stderr)
        return EXIT_PACK_ERROR


def _ids(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _report_left_out(pack: Pack) -> None:
    for problem in pack.problems:
        print(f"cqlmatch: left out: {problem}", file=sys.stderr)


def _cmd_run(args: argparse.Namespace) -> int:
    # The pack's objects (thousands of rules) live through the run: the
    # collector need not go through them again and again while the events
    # are read, nor forked workers copy their pages by touching them.  They
    # are frozen before the collector is back on: its first collection
    # would else go through all of them (15 ms for the Sigma pack).
    with collector_paused():
        loaded = _load(args)
        if isinstance(loaded, int):
            return loaded
        try:
            pack = loaded.select(_ids(args.enable), _ids(args.disable))
        except KeyError as err:
            print(f"cqlmatch: {err.args[0]}", file=sys.stderr)
            return EXIT_USAGE
        _report_left_out(pack)
        started = time.perf_counter()
        pack.candidates()
        gc.freeze()
    try:
        hits = pack.run(Inputs(*args.events), on_error=args.on_error, workers=args.workers)
    except BadEventError as err:
        print(f"cqlmatch: {err} (--on-error fail)", file=sys.stderr)
        return EXIT_BAD_EVENT
    except (InputError, ValueError) as err:
        print(f"cqlmatch: {err}", file=sys.stderr)
        return EXIT_USAGE
    except WorkerLost as err:
        print(f"cqlmatch: run stopped, no rows: {err}", file=sys.stderr)
        return EXIT_WORKER_LOST
    except MemoryError as err:
        print(f"cqlmatch: run stopped, no rows: {out_of_memory(err)}", file=sys.stderr)
        return EXIT_WORKER_LOST
    finally:
        gc.unfreeze()
    write_rows(hits, args.format, sys.stdout)
    if args.stats:
        _print_stats(pack, hits, time.perf_counter() - started)
    for rule_id, warnings in hits.rule_warnings.items():
        for code, message in warnings:
            print(f"warning {code}: rule {rule_id}: {message}", file=sys.stderr)
    if hits.malformed_count:
        print(f"cqlmatch: {hits.malformed_count} malformed line(s) skipped", file=sys.stderr)
        for bad in hits.malformed[:10]:
            print(
                f"  {bad.source or args.events[0]}:{bad.line_number}: {bad.reason}", file=sys.stderr
            )
    keep_until_exit(loaded, pack, hits)  # (freeing them is most of the exit)
    if hits.incomplete:
        print(f"cqlmatch: input incomplete: {', '.join(hits.incomplete)}", file=sys.stderr)
        return EXIT_INPUT_INCOMPLETE
    return EXIT_RULES_LEFT_OUT if pack.problems else EXIT_OK


def _print_stats(pack: Pack, hits: PackResult, elapsed: float) -> None:
    stats = hits.stats
    rows = [
        {
            "rule": rule_id,
            "events": f"{rule.evaluated:,}",
            "hits": f"{rule.hits:,}",
            "ms": f"{rule.seconds * 1000:,.1f}",
        }
        for rule_id, rule in hits.rule_stats.items()
    ]
    sys.stderr.write(render_table(rows))
    shared = (
        "a shared prefilter" if hits.prefilter else "no shared prefilter (a rule has no literal)"
    )
    print(
        f"cqlmatch: pack {pack.name!r}: {len(pack)} rule(s) run, {len(pack.problems)} left out, "
        f"{len(pack.disabled)} disabled; {stats.lines:,} lines, {stats.skipped:,} ruled out by "
        f"{shared}, {stats.events:,} events decoded, {stats.malformed:,} malformed; "
        f"{len(hits):,} hits in {elapsed:.2f} s{_scanners()}",
        file=sys.stderr,
    )


def _scanners() -> str:
    """What this process did for its literal scanners (``packs.scancache``):
    a first run compiles them, later ones load what it kept."""
    counts = scancache.counts
    if not counts["loaded"] and not counts["compiled"]:
        return ""
    where = scancache.cache_dir()
    kept = f"loaded from {where}" if where is not None else "loaded (no cache)"
    return f"; literal scanners: {counts['loaded']} {kept}, {counts['compiled']} compiled"


def _cmd_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    pack = loaded
    _report_left_out(pack)
    try:
        size = write_pack(pack, args.output)
    except OSError as err:
        print(f"cqlmatch: cannot write {args.output}: {err.strerror or err}", file=sys.stderr)
        return EXIT_PACK_ERROR
    linked = sum(rule.links for rule in pack.compiled)
    print(
        f"pack {pack.name!r}: {len(pack.compiled)} rule(s) ({linked} linked into one program,"
        f" {len(pack.disabled)} disabled), {len(pack.problems)} left out; wrote {args.output}"
        f" ({size:,} bytes) in {time.perf_counter() - started:.2f} s",
        file=sys.stderr,
    )
    return EXIT_RULES_LEFT_OUT if pack.problems else EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    pack = loaded
    _report_left_out(pack)
    for rule in pack.compiled:
        source = rule.source
        for diagnostic in rule.query.diagnostics:
            rendered = diagnostic.render(
                rule.query.text, source.path, source.line_offset, source.column_offset
            )
            print(f"rule {rule.id}: {rendered}")
    print(
        f"pack {pack.name!r}: {len(pack.compiled)} rule(s) usable "
        f"({len(pack.disabled)} disabled), {len(pack.problems)} left out"
    )
    return EXIT_RULES_LEFT_OUT if pack.problems else EXIT_OK


def _cmd_test(args: argparse.Namespace) -> int:
    """Each rule's test file run against the pack's own compiled rule (a
    ``rule:`` in the file is not needed, and not used)."""
    from ..testing import detection as dt

    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    pack = loaded
    _report_left_out(pack)
    started = time.perf_counter()
    results: list[dt.CaseResult] = []
    load_errors: list[dt.DetectionTestError] = []
    files = 0
    for rule in pack.compiled:
        if rule.source.tests is None:
            continue
        files += 1
        try:
            test_file = dt.load(rule.source.tests, rule_required=False)
        except dt.DetectionTestError as err:
            load_errors.append(err)
            print(f"cqlmatch: rule {rule.id}: {err}", file=sys.stderr)
            continue
        file_results = dt.run_file(test_file, args.engine, query=rule.query)
        results.extend(file_results)
        if not args.quiet or not all(r.passed for r in file_results):
            print(f"rule {rule.id}: {rule.source.tests}  (engine {args.engine})")
            report = dt.render_results(file_results, quiet=args.quiet)
            if report:
                print(report)
    untested = [p.rule for p in pack.problems]
    if untested:
        print(f"cqlmatch: not tested (left out): {', '.join(untested)}", file=sys.stderr)
    print(dt.summary(results, len(load_errors), files, time.perf_counter() - started))
    if load_errors:
        return EXIT_USAGE
    if not all(r.passed for r in results):
        return EXIT_TEST_FAILED
    return EXIT_RULES_LEFT_OUT if pack.problems else EXIT_OK


def stream(args: argparse.Namespace) -> int:
    """``cqlmatch stream --pack PACK``: the stream loop (``runtime.stream``)
    over a ``PackMatcher``: one output line per hit, the input line with the
    fields its rule assigned and the ``rule.*`` fields."""
    from ..runtime import stream as stream_mod

    if args.query is not None:
        return stream_mod.fail(args, "give a query file or --pack, not both")
    for option, given in (("--param", args.param), ("--saved", args.saved)):
        if given:
            return stream_mod.fail(args, f"{option} is not used with --pack")
    problem = stream_mod.usage_problem(args)
    if problem is not None:
        return stream_mod.fail(args, problem)
    loaded = _load(args)
    if isinstance(loaded, int):
        return loaded
    pack = loaded
    rows_only = args.aggregate_every is not None
    try:
        matcher = pack.matcher(
            aggregate=rows_only,
            prefilter=args.prefilter,
            max_line_bytes=args.max_line_bytes,
        )
    except ValueError as err:
        return stream_mod.fail(args, str(err))
    if rows_only and not matcher.aggregating:
        return stream_mod.fail(args, "--aggregate-every needs a pack with an aggregating rule")
    notes = [f"cqlmatch: left out: {left}" for left in pack.problems]
    return stream_mod.serve(matcher, args, notes, pack=True)  # type: ignore[arg-type]

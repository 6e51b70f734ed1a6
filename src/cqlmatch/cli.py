"""The ``cqlmatch`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import corpus as corpus_mod
from .ast import dump
from .errors import CQLSyntaxError
from .lexer import tokenize
from .parser import parse
from .printer import format_query

EXIT_OK = 0
EXIT_QUERY_ERROR = 1
EXIT_USAGE = 2

_EXAMPLES = {
    "fmt": "example: cqlmatch fmt rules/t1546_016.cql",
    "parse": "example: cqlmatch parse rules/t1546_016.cql",
    "tokens": "example: cqlmatch tokens rules/t1546_016.cql",
    "corpus": "example: cqlmatch corpus ../shared/corpus/queries.jsonl --examples 20",
}


def _read_query(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    return Path(path).read_text(encoding="utf-8")


def _cmd_fmt(args: argparse.Namespace) -> int:
    text = _read_query(args.query)
    formatted = format_query(parse(text)) + "\n"
    if args.write and args.query != "-":
        Path(args.query).write_text(formatted, encoding="utf-8")
    else:
        sys.stdout.write(formatted)
    return EXIT_OK


def _cmd_parse(args: argparse.Namespace) -> int:
    print(dump(parse(_read_query(args.query))))
    return EXIT_OK


def _cmd_tokens(args: argparse.Namespace) -> int:
    for tok in tokenize(_read_query(args.query)):
        print(f"{tok.span.line}:{tok.span.column}\t{tok.kind.name}\t{tok.text}")
    return EXIT_OK


def _cmd_corpus(args: argparse.Namespace) -> int:
    report = corpus_mod.run(corpus_mod.load(args.corpus))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cqlmatch",
        description="Compile CrowdStrike LogScale queries (CQL) and run them offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=_EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = command("fmt", "print a query in canonical form")
    p.add_argument("query", help="query file, or - for standard input")
    p.add_argument("-w", "--write", action="store_true", help="rewrite the file in place")
    p.set_defaults(func=_cmd_fmt)

    p = command("parse", "print a query's syntax tree")
    p.add_argument("query", help="query file, or - for standard input")
    p.set_defaults(func=_cmd_parse)

    p = command("tokens", "print a query's tokens with line and column")
    p.add_argument("query", help="query file, or - for standard input")
    p.set_defaults(func=_cmd_tokens)

    p = command("corpus", "parse every query of an NDJSON corpus and report the pass rate")
    p.add_argument("corpus", help="NDJSON file with id, source, origin and query per line")
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.add_argument("--examples", type=int, default=15, help="failure reasons to show")
    p.add_argument(
        "--list-failures", action="store_true", help="one line per query that does not parse"
    )
    p.set_defaults(func=_cmd_corpus)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CQLSyntaxError as err:
        name = getattr(args, "query", "<query>")
        print(err.render("<stdin>" if name == "-" else name), file=sys.stderr)
        return EXIT_QUERY_ERROR
    except BrokenPipeError:
        # A closed standard output (``cqlmatch ... | head``) ends quietly.
        sys.stderr.close()
        return EXIT_OK
    except OSError as err:
        print(f"cqlmatch: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())

"""The VM against the reference interpreter on every corpus query, full size.

For each query of ``corpus/queries.jsonl`` that compiles (without
parameter values or lookup files) and that the reference interpreter runs,
the VM must give the same output rows and warnings over the same generated
Falcon events, and ``CompiledQuery.run`` over the events' NDJSON lines (the
raw-byte prefilter, the decoders, then the VM) the same rows.  ``tests/runtime/test_corpus_agreement.py`` does this on a few hundred
events; this script does it on as many as asked (the issue: at least 10,000).

    .venv/bin/python bench/corpus_agreement.py --events 10000 --workers 2

Events are generated once (``cqlmatch.synth.gen``, fixed seed), decoded once per
worker into ``Event`` objects (``@rawstring`` is the generated line) and run
through the engine objects ``CompiledQuery.run`` uses, so the input is not
re-read per query.  The clock is fixed, so ``now()`` agrees.  Prints the
counts and the ids of differing queries; exits 1 when any differ or the VM
raises where the reference does not.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path
from unittest import mock

import cqlmatch
from cqlmatch.cli import corpus
from cqlmatch.errors import CQLCompileError, CQLSyntaxError
from cqlmatch.lang.events import Event, parse_line
from cqlmatch.synth.gen import generate_lines

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "queries.jsonl"
FIXED_CLOCK = 1_760_500_000.0

_events: list[Event] = []
_data = b""  # the same events as NDJSON lines


def _init(lines: list[str]) -> None:
    global _events, _data
    _events = [Event(parse_line(line), line) for line in lines]
    _data = "\n".join(lines).encode("utf-8") + b"\n"


def _run(query: cqlmatch.CompiledQuery, engine: str):
    runner = query.new_engine(engine)
    started = time.perf_counter()
    rows = [dict(row.fields) for row in runner.run(_events)]
    return rows, list(runner.warnings), time.perf_counter() - started


def compare(record: dict) -> tuple[str, str, str, float, float]:
    """(id, outcome, detail, reference seconds, vm seconds) for one query;
    outcome is identical, differ, vm-error, external, not-compiled or
    reference-error."""
    rid = record["id"]
    try:
        query = cqlmatch.compile(record["query"])
    except CQLSyntaxError:
        return rid, "not-compiled", "", 0.0, 0.0
    except CQLCompileError as err:
        codes = {d.code for d in err.errors}
        kind = "external" if codes <= corpus.EXTERNAL_CODES else "not-compiled"
        return rid, kind, ",".join(sorted(codes)), 0.0, 0.0
    with mock.patch("time.time", return_value=FIXED_CLOCK):
        try:
            expected_rows, expected_warnings, ref_s = _run(query, "reference")
        except Exception as err:
            return rid, "reference-error", repr(err), 0.0, 0.0
        try:
            rows, warnings, vm_s = _run(query, "vm")
            raw_rows = query.run(_data, workers=1)
        except Exception as err:
            return rid, "vm-error", repr(err), 0.0, 0.0
    if raw_rows != expected_rows:
        detail = (
            f"rows from the lines (prefilter on): {len(raw_rows)}, reference {len(expected_rows)}"
        )
        return rid, "differ", detail, ref_s, vm_s
    if rows != expected_rows:
        detail = f"rows: vm {len(rows)}, reference {len(expected_rows)}"
        return rid, "differ", detail, ref_s, vm_s
    if warnings != expected_warnings:
        return rid, "differ", f"warnings: vm {warnings}, reference {expected_warnings}", ref_s, vm_s
    kind = "identical" if expected_rows else "identical-empty"
    return rid, kind, "", ref_s, vm_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1546)
    parser.add_argument("--malicious-rate", type=float, default=0.002)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    lines = [
        line.decode("utf-8").rstrip("\n")
        for line in generate_lines(args.events, seed=args.seed, malicious_rate=args.malicious_rate)
    ]
    records = corpus.load(args.corpus)
    print(
        f"{len(records)} corpus queries, {len(lines)} generated events "
        f"(seed {args.seed}, malicious rate {args.malicious_rate}), {args.workers} workers",
        flush=True,
    )
    results = []
    context = multiprocessing.get_context("fork")
    with context.Pool(args.workers, initializer=_init, initargs=(lines,)) as pool:
        for i, result in enumerate(pool.imap_unordered(compare, records, chunksize=4), 1):
            results.append(result)
            if i % 500 == 0:
                print(f"  {i}/{len(records)} ({time.perf_counter() - started:.0f} s)", flush=True)

    by_kind: dict[str, list[tuple]] = {}
    for result in results:
        by_kind.setdefault(result[1], []).append(result)
    count = {kind: len(items) for kind, items in by_kind.items()}
    identical = count.get("identical", 0) + count.get("identical-empty", 0)
    bad = by_kind.get("differ", []) + by_kind.get("vm-error", [])
    compared = identical + len(bad)
    ref_s = sum(r[3] for r in results)
    vm_s = sum(r[4] for r in results)
    print(f"queries compared:           {compared}")
    print(f"  identical:                {identical} ({count.get('identical', 0)} with output rows)")
    print(f"  differing:                {count.get('differ', 0)}")
    print(f"  VM error (reference ran): {count.get('vm-error', 0)}")
    print(f"skipped, need parameters/lookups/external data: {count.get('external', 0)}")
    print(f"skipped, do not compile:    {count.get('not-compiled', 0)}")
    print(f"skipped, reference raised:  {count.get('reference-error', 0)}")
    print(f"engine time summed over queries: reference {ref_s:.1f} s, vm {vm_s:.1f} s")
    print(f"wall time: {time.perf_counter() - started:.1f} s")
    for kind in ("differ", "vm-error", "reference-error"):
        grouped: dict[str, list[str]] = {}
        for rid, _, detail, _, _ in sorted(by_kind.get(kind, [])):
            grouped.setdefault(detail, []).append(rid)
        for detail, ids in sorted(grouped.items(), key=lambda kv: -len(kv[1])):
            shown = " ".join(ids[:12]) + (" ..." if len(ids) > 12 else "")
            print(f"  {kind} x{len(ids)}: {detail}\n      {shown}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""The seed rule and its corrected version over a million generated events,
on both engines: the results must be identical.

    .venv/bin/python bench/seed_agreement.py              # 1,000,000 events
    .venv/bin/python bench/seed_agreement.py --events 100000

The events are generated once (``cqlmatch.synth.gen``, seed 1546, realistic mix,
default malicious rate) into an NDJSON file in a temporary directory.  Each
rule then runs on each engine twice:

* end to end, ``CompiledQuery.run(path, engine=...)``: reading and decoding
  the file is part of the time (the same Python reader for both engines);
* on pre-decoded events (``Event`` objects built once from the lines), through
  the engine objects ``CompiledQuery.run`` uses: the engine's own time.

Prints the row counts and each engine's times; exits 1 when any result
differs between the engines (or between the two ways of running).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cqlmatch
from cqlmatch.lang.events import Event, parse_line
from cqlmatch.synth.gen import write_file

ROOT = Path(__file__).resolve().parent.parent
RULES = {
    "seed (as published)": ROOT / "rules" / "seed" / "t1546_016.cql",
    "corrected (rules/t1546_016.cql)": ROOT / "rules" / "t1546_016.cql",
}
ENGINES = ("vm", "reference")


def _timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1546)
    args = parser.parse_args(argv)

    failures = 0
    with tempfile.TemporaryDirectory(prefix="cqlmatch-seed-") as tmp:
        path = Path(tmp) / "events.ndjson"
        size, seconds = _timed(lambda: write_file(path, args.events, seed=args.seed))
        print(
            f"generated {args.events:,} events (seed {args.seed}, realistic mix): "
            f"{size / 1e6:.0f} MB in {seconds:.1f} s",
            flush=True,
        )

        def decode() -> list[Event]:
            with open(path, encoding="utf-8") as fh:
                return [Event(parse_line(line.rstrip("\n")), line.rstrip("\n")) for line in fh]

        events, seconds = _timed(decode)
        print(f"decoded them into Event objects once: {seconds:.1f} s", flush=True)

        for label, rule in RULES.items():
            query = cqlmatch.compile(rule.read_text(encoding="utf-8"))
            print(f"\n{label}", flush=True)
            results = {}
            for engine in ENGINES:
                rows, end_to_end = _timed(
                    lambda query=query, engine=engine: query.run(path, engine=engine)
                )
                warnings = list(rows.warnings)
                runner = query.new_engine(engine)
                out, engine_only = _timed(lambda runner=runner: runner.run(events))
                decoded_rows = [dict(row.fields) for row in out]
                if decoded_rows != rows or list(runner.warnings) != warnings:
                    print(f"  MISMATCH: {engine} gives other rows on pre-decoded events")
                    failures += 1
                results[engine] = (rows, warnings)
                print(
                    f"  {engine:<9} {len(rows):>4} rows   end to end {end_to_end:7.1f} s "
                    f"({args.events / end_to_end / 1e3:7.0f} k events/s)   "
                    f"pre-decoded {engine_only:7.2f} s "
                    f"({args.events / engine_only / 1e6:7.2f} M events/s)",
                    flush=True,
                )
            if results["vm"] == results["reference"]:
                rows = results["vm"][0]
                total = sum(int(row.get("EventCount", 0)) for row in rows)
                print(f"  identical: {len(rows)} rows, EventCount total {total}")
            else:
                print("  DIFFERENT results between the engines")
                failures += 1
    print("\nall identical" if not failures else f"\n{failures} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

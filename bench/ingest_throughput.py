"""Throughput of the ingestion layer (cqlmatch.ingest) on generated Falcon
events, for the corrected seed rule (rules/t1546_016.cql).

Not a test and not timed in CI: run it by hand and read the figures.

    .venv/bin/python bench/ingest_throughput.py [--events 200000] [--mix realistic]

It reports, best of ``--repeat`` runs, rates in CPU time of this process
(the helper thread that decompresses gzip included; wall-clock rates for
``read_events`` too):
- the prefilter: MB/s of ``Prefilter.filter_batch`` (lists of 4,096 lines)
  and of ``Prefilter.scan`` (1 MiB blocks, what ``read_events`` uses), and
  the fraction of lines kept;
- decoding: events/s of ``Decoder(program.fields).decode`` over the kept
  lines and over all lines, of ``need_all=True``, and of ``parse_line``;
- ``read_events`` end to end from memory, a plain file and a gzip file.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cqlmatch
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.ingest.decode import Decoder
from cqlmatch.ingest.prefilter import Prefilter
from cqlmatch.ingest.reader import read_events
from cqlmatch.lang.events import parse_line
from cqlmatch.synth.gen import generate_lines

ROOT = Path(__file__).resolve().parent.parent


def best(repeat: int, work: Callable[[], object]) -> float:
    """The best of ``repeat`` runs, in CPU seconds of this process (on a
    shared machine wall time mostly measures the other processes; CPU time
    is what one core spends).  Wall times go to ``WALL``."""
    seconds = wall = float("inf")
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        work()
        seconds = min(seconds, time.process_time() - cpu)
        wall = min(wall, time.perf_counter() - start)
    WALL.append(wall)
    return seconds


WALL: list[float] = []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--mix", default="realistic")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rule = (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")
    program = compile_program(cqlmatch.compile(rule).checked)
    data = b"".join(generate_lines(args.events, seed=args.seed, mix=args.mix))
    lines = data.split(b"\n")[:-1]
    megabytes = len(data) / 1e6
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{len(lines):,} {args.mix} events, {megabytes:.1f} MB, {len(data) / len(lines):.0f} B/line"
    )
    print(f"prefilter CNF: {program.prefilter}")
    print(f"fields: {[f.name for f in program.fields]}")

    prefilter = Prefilter(program.prefilter)
    batches = [lines[i : i + 4096] for i in range(0, len(lines), 4096)]
    kept_indices: list[int] = []

    def run_filter_batch() -> None:
        kept_indices.clear()
        for n, batch in enumerate(batches):
            kept_indices.extend(n * 4096 + i for i in prefilter.filter_batch(batch))

    seconds = best(args.repeat, run_filter_batch)
    kept = [lines[i] for i in kept_indices]
    print(
        f"filter_batch: {megabytes / seconds:,.0f} MB/s, {len(lines) / seconds:,.0f} lines/s;"
        f" keeps {len(kept) / len(lines):.1%} ({len(kept):,} lines)"
    )
    blocks: list[bytes] = []
    start = 0
    while start < len(data):
        cut = data.rfind(b"\n", start, start + (1 << 20))
        cut = len(data) - 1 if cut <= start else cut
        blocks.append(data[start:cut])
        start = cut + 1
    seconds = best(args.repeat, lambda: [prefilter.scan(b) for b in blocks])
    print(
        f"scan (1 MiB blocks): {megabytes / seconds:,.0f} MB/s, {len(lines) / seconds:,.0f} lines/s"
    )

    decoder = Decoder(program.fields)
    whole = Decoder(need_all=True)
    for label, decoder_, sample in (
        ("decode, rule fields, kept lines", decoder, kept),
        ("decode, rule fields, all lines", decoder, lines),
        ("decode, need_all, kept lines", whole, kept),
    ):
        decode = decoder_.decode

        def run_decode(decode=decode, sample=sample) -> None:
            for line in sample:
                decode(line, 0)

        seconds = best(args.repeat, run_decode)
        print(
            f"{label}: {len(sample) / seconds:,.0f} events/s ({seconds / len(sample) * 1e6:.2f} us)"
        )
    reference_sample = kept[:20_000]

    def run_parse_line() -> None:
        for line in reference_sample:
            parse_line(line.decode("utf-8"))

    seconds = best(1, run_parse_line)
    print(
        f"events.parse_line, kept lines: {len(reference_sample) / seconds:,.0f} events/s"
        f" ({seconds / len(reference_sample) * 1e6:.2f} us)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "events.ndjson"
        plain.write_bytes(data)
        packed = Path(tmp) / "events.ndjson.gz"
        packed.write_bytes(gzip.compress(data, compresslevel=6))
        for label, source, use_prefilter in (
            ("read_events, memory, prefilter", data, True),
            ("read_events, file, prefilter", plain, True),
            ("read_events, gzip file, prefilter", packed, True),
            ("read_events, file, no prefilter", plain, False),
        ):

            def run_read(source=source, use_prefilter=use_prefilter) -> None:
                for _ in read_events(source, program, prefilter=use_prefilter):
                    pass

            seconds = best(args.repeat if use_prefilter else 1, run_read)
            print(
                f"{label}: {len(lines) / seconds:,.0f} input events/s,"
                f" {megabytes / seconds:,.0f} MB/s (uncompressed);"
                f" wall {len(lines) / WALL[-1]:,.0f} events/s"
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MB (the generated input is held in memory several times)")


if __name__ == "__main__":
    main()

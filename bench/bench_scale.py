"""Throughput in one process and through Dask and Spark (docs/scale-out.md).

    .venv/bin/python bench/bench_scale.py --events 400000 --files 8 [--pack]

Generates ``--events`` realistic Falcon events (``cqlmatch gen``, planted
techniques) in ``--files`` plain NDJSON files, then times the corrected
seed rule (and with ``--pack`` the pack of every compilable Sigma-converted
corpus query, as bench_pack.py builds it) over all of them:

* one process, ``run(..., workers=1)`` and ``workers=2`` (the worker pool);
* ``cqlmatch.dask.run`` on a LocalCluster of 1 and of 2 worker processes;
* ``cqlmatch.spark.run`` in ``local[1]`` and ``local[2]``.

Every contender's rows are checked equal to the one-process rows.  A
cluster is started, and each job run once to warm it up (its workers
compile the query or pack once), before the timed runs; times are
wall-clock seconds of the call, best of ``--repeat``.  The machine is
shared: compare within one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from bench_pack import sigma_sources

import cqlmatch
from cqlmatch.ingest.sources import Inputs
from cqlmatch.packs.pack import compile_pack
from cqlmatch.packs.sources import PackSource
from cqlmatch.synth import gen

ROOT = Path(__file__).resolve().parents[1]


def timed(repeat: int, call):
    best, out = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        out = call()
        best = min(best, time.perf_counter() - started)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pack", action="store_true", help="the Sigma pack too")
    parser.add_argument("--dir", default="build/bench-scale")
    args = parser.parse_args()
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(args.files):
        path = folder / f"part-{i:03d}.ndjson"
        if not path.exists():
            gen.write_file(path, args.events // args.files, seed=1546 + i)
        names.append(str(path))
    size = sum(os.path.getsize(n) for n in names)
    print(f"{args.events:,} events in {args.files} files, {size / (1 << 20):,.0f} MiB")
    targets = {"rule": cqlmatch.compile((ROOT / "rules" / "t1546_016.cql").read_text())}
    if args.pack:
        pack = compile_pack(PackSource("sigma", sigma_sources()))
        targets["sigma pack"] = pack

    rows = []

    def record(name: str, what: str, cores: int, seconds: float, out, expected) -> None:
        assert list(out) == list(expected), f"{name}: rows differ from one process"
        rate = args.events / seconds
        rows.append((what, name, cores, seconds, rate, rate / cores))
        print(
            f"{what:11} {name:24} {seconds:7.2f} s {rate:12,.0f} ev/s {rate / cores:12,.0f} ev/s/core",
            flush=True,
        )

    expected = {}
    for what, target in targets.items():
        for workers in (1, 2):
            seconds, out = timed(
                args.repeat, lambda t=target, w=workers: t.run(Inputs(*names), workers=w)
            )
            expected.setdefault(what, out)
            record(f"one process, {workers} worker(s)", what, workers, seconds, out, expected[what])

    import distributed

    from cqlmatch.dask import run as dask_run

    for workers in (1, 2):
        with (
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=40,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            for what, target in targets.items():
                dask_run(client, target, names)  # warm-up
                seconds, out = timed(args.repeat, lambda c=client, t=target: dask_run(c, t, names))
                record(f"dask, {workers} worker(s)", what, workers, seconds, out, expected[what])

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from cqlmatch.spark import run as spark_run

    for workers in (1, 2):
        spark = (
            SparkSession.builder.master(f"local[{workers}]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate()
        )
        spark.sparkContext.setLogLevel("ERROR")
        try:
            for what, target in targets.items():
                spark_run(spark, target, names)  # warm-up
                seconds, out = timed(args.repeat, lambda s=spark, t=target: spark_run(s, t, names))
                record(f"spark, local[{workers}]", what, workers, seconds, out, expected[what])
        finally:
            spark.stop()

    print()
    print("| query | contender | cores | s | events/s | events/s per core |")
    print("|---|---|---|---|---|---|")
    for what, name, cores, seconds, rate, per_core in rows:
        print(f"| {what} | {name} | {cores} | {seconds:.2f} | {rate:,.0f} | {per_core:,.0f} |")


if __name__ == "__main__":
    main()

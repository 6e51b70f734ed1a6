"""``cqlmatch run ... --on spark:MASTER | dask:ADDRESS``: the engine a
target names, started for the run and stopped after it."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from ..runtime.result import Result

TARGETS = "spark:MASTER (e.g. spark:local[2], spark:spark://host:7077) or dask:ADDRESS (dask:local starts a local cluster)"


class TargetError(ValueError):
    """An ``--on`` value that names no engine, or one not installed."""


def parse_target(text: str) -> tuple[str, str]:
    """``(engine, where)`` of ``spark:MASTER`` or ``dask:ADDRESS``."""
    engine, sep, where = text.partition(":")
    if not sep or engine not in ("spark", "dask") or not where:
        raise TargetError(f"--on {text!r}: expected {TARGETS}")
    return engine, where


def run_on(target: str, what: Any, paths: Sequence[str], *, on_error: str = "skip") -> Result:
    """``what`` (a compiled query or pack) over ``paths`` on ``target``."""
    engine, where = parse_target(target)
    if engine == "spark":
        return _spark(where, what, paths, on_error)
    return _dask(where, what, paths, on_error)


def _spark(master: str, what: Any, paths: Sequence[str], on_error: str) -> Result:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise TargetError("--on spark: needs pyspark: pip install 'cqlmatch[spark]'") from None
    from .spark import run

    # Executors on this machine run this Python (with cqlmatch); a cluster's own setting wins.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("cqlmatch")
    builder = builder.config("spark.ui.enabled", "false").config(
        "spark.ui.showConsoleProgress", "false"
    )
    if master.startswith("local"):  # everything on this machine: loopback only
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1")
        builder = builder.config("spark.driver.host", "127.0.0.1")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    try:
        return run(session, what, list(paths), on_error=on_error)
    finally:
        session.stop()


def _dask(address: str, what: Any, paths: Sequence[str], on_error: str) -> Result:
    try:
        import distributed
    except ImportError:
        raise TargetError(
            "--on dask: needs dask.distributed: pip install 'cqlmatch[dask]'"
        ) from None
    from .dask import run

    if address != "local":
        with distributed.Client(address, timeout=60) as client:
            return run(client, what, list(paths), on_error=on_error)
    with (
        distributed.LocalCluster(
            processes=True, threads_per_worker=1, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster, timeout=60) as client,
    ):
        return run(client, what, list(paths), on_error=on_error)

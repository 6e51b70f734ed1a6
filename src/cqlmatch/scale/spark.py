"""A query or a pack on Spark (``pyspark``).

The job is broadcast (sent once to each executor, made again there once
per Python worker); each file is one task that returns its part's partial
state as bytes, keyed by the file's place in the input; states of
consecutive parts merge pairwise, level by level (a shuffle of a few
states per level, log2 of the files levels); the driver finishes the last
state.  Local files are read by path (every executor must see them);
URLs go through Spark's own file system (``binaryFiles``: ``s3a://``,
``abfss://``, ``hdfs://``, ``file://`` ... whatever the cluster is set up
to read), a file's bytes handed to the task.

``hits`` gives a pack's per-event hits as a DataFrame, made on the
executors and never collected to the driver.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from ..packs.pack import Pack
from ..runtime.query import CompiledQuery
from .parts import Job, files, finish, is_url, make_job, merge_parts, run_part, runner_of, target


def _normal(path: str) -> str:
    """A path as Spark's file listing writes it back (``file:/x`` for ``file:///x``)."""
    if path.startswith("file:"):
        return "file:" + "/" + path[len("file:") :].lstrip("/")
    return path.rstrip("/")


def _parts(spark: Any, job: Any, names: list[str]) -> Any:
    """An RDD of (part index, serialised state), one per file."""
    context = spark.sparkContext
    if not any(is_url(name) for name in names):
        tasks = context.parallelize(list(enumerate(names)), max(1, len(names)))
        return tasks.map(lambda task: (task[0], run_part(job.value, task[0], task[1])))
    place = {_normal(name): index for index, name in enumerate(names)}
    contents = context.binaryFiles(",".join(names), minPartitions=max(1, len(names)))

    def one(item: tuple[str, bytes]) -> tuple[int, bytes]:
        path, data = item
        index = place[_normal(path)]
        return index, run_part(job.value, index, names[index], data)

    return contents.map(one)


def _tree(states: Any, job: Any, count: int) -> bytes:
    """The states of parts 0..count-1 merged pairwise in order: at level
    L the state of parts [k*2^L, (k+1)*2^L) joins its neighbour."""

    def pair(a: tuple[int, bytes], b: tuple[int, bytes]) -> tuple[int, bytes]:
        first, second = (a, b) if a[0] < b[0] else (b, a)
        return first[0], merge_parts(job.value, first[1], second[1])

    level = 0
    while (1 << level) < count:
        shift = level + 1
        states = (
            states.map(lambda kv, s=shift: (kv[0] >> s, kv))
            .reduceByKey(pair, numPartitions=max(1, (count >> shift) + 1))
            .values()
        )
        level += 1
    merged = states.collect()
    if len(merged) != 1:
        raise RuntimeError(f"expected one merged state, Spark gave {len(merged)}")
    return merged[0][1]


def run(
    spark: Any,
    query_or_pack: str | CompiledQuery | Pack,
    paths: Sequence[str | os.PathLike[str]] | str,
    *,
    to_dataframe: bool = False,
    on_error: str = "skip",
    prefilter: bool = True,
    max_line_bytes: int | None = None,
) -> Any:
    """The rows of ``query_or_pack`` (query text, a compiled query or a
    pack) over the NDJSON files ``paths`` (plain, gzip, zstd; local paths
    as ``cqlmatch run`` takes them, or URLs Spark reads), run by the
    ``SparkSession`` ``spark``: the ``Result`` one process gives (a
    ``PackResult`` for a pack), or with ``to_dataframe`` its rows as a
    DataFrame of string columns."""
    what = target(query_or_pack)
    job = make_job(what, on_error=on_error, prefilter=prefilter, max_line_bytes=max_line_bytes)
    names = files(paths)
    shipped = spark.sparkContext.broadcast(job)
    try:
        data = _tree(_parts(spark, shipped, names), shipped, len(names))
    finally:
        shipped.unpersist()
    result = finish(what, data)
    return rows_frame(spark, list(result)) if to_dataframe else result


def rows_frame(spark: Any, rows: list[dict[str, str]]) -> Any:
    """Rows as a DataFrame: one nullable string column per field, in order
    of first appearance."""
    from pyspark.sql.types import StringType, StructField, StructType

    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    schema = StructType([StructField(name, StringType(), True) for name in names])
    return spark.createDataFrame([tuple(row.get(n) for n in names) for row in rows], schema)


HIT_COLUMNS = ("rule_id", "rule_name", "rule_severity", "rule_tags", "source", "fields")


def hits(
    spark: Any,
    pack: Pack,
    paths: Sequence[str | os.PathLike[str]] | str,
    *,
    prefilter: bool = True,
    max_line_bytes: int | None = None,
) -> Any:
    """A pack's per-event hits as a DataFrame, made on the executors (never
    collected): the rule's id, name, severity and tags, the file, and the
    event as the rule leaves it (a map of field to value).  Aggregating
    rules' rows need every part: ``run`` gives them.  Write it out with
    ``.write.parquet(...)`` and the like."""
    from pyspark.sql.types import MapType, StringType, StructField, StructType

    job = make_job(pack, prefilter=prefilter, max_line_bytes=max_line_bytes)
    names = files(paths)
    shipped = spark.sparkContext.broadcast(job)
    tasks = spark.sparkContext.parallelize(list(enumerate(names)), max(1, len(names)))
    schema = StructType(
        [StructField(name, StringType(), True) for name in HIT_COLUMNS[:-1]]
        + [StructField("fields", MapType(StringType(), StringType()), True)]
    )
    return spark.createDataFrame(tasks.flatMap(lambda task: _hits(shipped.value, *task)), schema)


def _hits(job: Job, index: int, name: str) -> Iterator[tuple[Any, ...]]:
    runner = runner_of(job)
    state = runner.run(
        name, index, prefilter=job.prefilter, max_line_bytes=job.max_line_bytes, name=name
    )
    for hit in state.payload.hits:
        fields = {k: v for k, v in hit.items() if not k.startswith("rule.")}
        yield (
            hit.get("rule.id"),
            hit.get("rule.name"),
            hit.get("rule.severity"),
            hit.get("rule.tags"),
            name,
            fields,
        )

"""Queries and a pack on a real Spark session (``local[2]``, one per
module) give one process's result; a pack's hits as a DataFrame."""

from __future__ import annotations

import os
import sys

import pytest
from pyspark.sql import SparkSession

import cqlmatch.spark

from .dataset import KINDS, make_dataset, one_process, same_result


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable  # the executors run this venv's Python
    session = (
        SparkSession.builder.master("local[2]")
        .appName("cqlmatch-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="module")
def names(tmp_path_factory) -> list[str]:
    return make_dataset(tmp_path_factory.mktemp("spark"))


@pytest.mark.parametrize("kind", KINDS)
def test_spark_gives_one_process(spark, names, kind) -> None:
    what, expected = one_process(kind, names)
    got = cqlmatch.spark.run(spark, what, names)
    same_result(got, expected)
    if kind != "seed":
        assert list(expected), "the query has rows on the dataset"


def test_urls_and_a_dataframe(spark, names) -> None:
    """Files named by URLs go through Spark's own reader; rows come back
    as a DataFrame of string columns."""
    what, expected = one_process("group_sort_head", names)
    frame = cqlmatch.spark.run(spark, what, [f"file://{n}" for n in names], to_dataframe=True)
    assert frame.columns == list(expected[0])
    assert [row.asDict() for row in frame.collect()] == list(expected)


def test_pack_hits_as_a_dataframe(spark, names) -> None:
    pack, expected = one_process("pack", names)
    aggregating = {rule.id for rule in pack.rules if rule.plan.aggregating}
    per_event = [row for row in expected if row["rule.id"] not in aggregating]
    frame = cqlmatch.spark.hits(spark, pack, names)
    got = [row.asDict() for row in frame.orderBy("source").collect()]
    assert len(got) == len(per_event) > 0
    assert sorted((r["rule_id"], r["fields"].get("aid")) for r in got) == sorted(
        (r["rule.id"], r.get("aid")) for r in per_event
    )

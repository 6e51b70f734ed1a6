"""Queries and a pack on a real Dask LocalCluster (two worker processes)
give one process's result."""

from __future__ import annotations

import distributed
import pytest

import cqlmatch.dask

from .dataset import KINDS, make_dataset, one_process, same_result


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        with distributed.Client(cluster, timeout=60) as running:
            yield running
    finally:
        cluster.close(timeout=30)


@pytest.fixture(scope="module")
def names(tmp_path_factory) -> list[str]:
    return make_dataset(tmp_path_factory.mktemp("dask"))


@pytest.mark.parametrize("kind", KINDS)
def test_dask_gives_one_process(client, names, kind) -> None:
    what, expected = one_process(kind, names)
    got = cqlmatch.dask.run(client, what, names)
    same_result(got, expected)
    if kind != "seed":
        assert list(expected), "the query has rows on the dataset"
    if kind == "group_sort_head":  # (no literal to look for: every line is decoded)
        assert [(m.source, m.line_number) for m in got.malformed] == [
            (names[0], 101),
            (names[0], 2001),
            (names[3], 8),
        ]


def test_query_text_and_urls(client, names) -> None:
    """A query given as text; files named by ``file://`` URLs (read by fsspec)."""
    what, expected = one_process("collect_distinct", names)
    got = cqlmatch.dask.run(client, what.text, [f"file://{n}" for n in names])
    assert list(got) == list(expected)
    assert got.malformed_count == expected.malformed_count

"""The DuckDB and Polars queries of bench/compare.py give cqlmatch's rows.

Needs the ``bench`` extra (``pip install -e '.[test,bench]'``); run with
``.venv/bin/python -m pytest bench/test_peer_queries.py``.  It is not in the
default test run (``testpaths = tests``) so that CI need not install DuckDB
and Polars (about 190 MB); ``tests/cli/test_compare_queries.py`` checks the rest
of the comparison everywhere.

Rows are compared with ``peers.compare_rows`` (equal counts in any order);
files: small generated ones for both mixes and ``peers.CORNER_LINES``.
"""

from __future__ import annotations

from pathlib import Path

import peers
import pytest

import cqlmatch
from cqlmatch.synth.gen import write_file


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("peer-queries")
    out = {
        "worst": root / "worst.ndjson",
        "realistic": root / "realistic.ndjson",
        "corners": root / "corners.ndjson",
    }
    write_file(out["worst"], 12_000, seed=41, mix="worst", malicious_rate=0.05)
    write_file(out["realistic"], 12_000, seed=42, malicious_rate=0.01)
    out["corners"].write_text("\n".join(peers.CORNER_LINES) + "\n", encoding="utf-8")
    return out


PEERS = {"duckdb": peers.run_duckdb, "polars": peers.run_polars}


@pytest.mark.parametrize("peer", list(PEERS))
@pytest.mark.parametrize("workload", ["seed", "every", "count"])
@pytest.mark.parametrize("name", ["worst", "realistic", "corners"])
def test_peer_gives_cqlmatch_rows(files, peer: str, workload: str, name: str) -> None:
    query = cqlmatch.compile(peers.RULES[workload].read_text(encoding="utf-8"))
    expected = query.run(files[name])
    assert expected
    got = PEERS[peer](files[name], workload)
    assert peers.compare_rows(expected, got, peers.naive_groups(files[name], workload)) == []


def test_duckdb_single_thread_agrees(files) -> None:
    """The comparison runs DuckDB on all threads; one thread must give the same rows."""
    path = files["worst"]
    assert (
        peers.compare_rows(
            peers.run_duckdb(path, "seed"),
            peers.run_duckdb(path, "seed", threads=1),
            peers.naive_groups(path, "seed"),
        )
        == []
    )

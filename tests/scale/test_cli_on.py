"""``cqlmatch run QUERY PATHS --on ...``: the same output as a local run,
with a Dask local cluster and Spark in local mode."""

from __future__ import annotations

import sys

import pytest

from cqlmatch.cli.commands import main

from ..conftest import ROOT
from .dataset import make_dataset

QUERY = str(ROOT / "rules" / "t1546_016.cql")


@pytest.fixture(scope="module")
def names(tmp_path_factory) -> list[str]:
    return make_dataset(tmp_path_factory.mktemp("cli-on"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["run", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("target", ["dask:local", "spark:local[2]"])
def test_on_gives_the_local_output(capsys, names, target, monkeypatch) -> None:
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    local = run(capsys, QUERY, *names, "--format", "ndjson", "--workers", "1")
    assert local[0] == 0 and local[1].count("\n") > 10
    remote = run(capsys, QUERY, *names, "--format", "ndjson", "--on", target)
    assert remote[0] == 0
    assert remote[1] == local[1]
    said = [line for line in remote[2].splitlines() if line.startswith(("cqlmatch:", "  "))]
    assert said == [line for line in local[2].splitlines() if line.startswith(("cqlmatch:", "  "))]


def test_an_unknown_target_is_a_usage_error(capsys, names) -> None:
    code, _, err = run(capsys, QUERY, names[0], "--on", "ray:local")
    assert code == 2
    assert "spark:MASTER" in err and "dask:ADDRESS" in err

"""End to end on a file: ``cqlmatch.compile(text).run(path)`` against the naive
Python peer (``json`` + ``re``, ``bench/peers.py``), in the same run.

Run: ``.venv/bin/python -m pytest bench/bench_ingest.py --benchmark-enable``
(without ``--benchmark-enable`` each benchmark runs once, as a check).

One 100,000-event file of the realistic mix (``cqlmatch gen``, seed 1546),
both workloads of ``bench/compare.py`` (the corrected seed rule, whose
prefilter keeps about one line in fifty: its event types and, ignoring
case, its installer names; and ``bench/every_event.cql``, which decodes
every line).  Timed: compiling the query and running it over the
file to a list of rows, on one core (``workers=1`` when ``run`` takes
``workers``), with the raw-byte prefilter and, when ``run`` takes
``prefilter``, without it; and the naive peer.  Every variant must give the
naive peer's rows.  A summary gives events/s from the median round and the
ratio to the naive peer.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import peers
import pytest

import cqlmatch
from cqlmatch.synth.gen import write_file

EVENTS = 100_000
PARAMETERS = inspect.signature(cqlmatch.CompiledQuery.run).parameters
ONE_CORE = {"workers": 1} if "workers" in PARAMETERS else {}
VARIANTS = {"cqlmatch": dict(ONE_CORE)}
if "prefilter" in PARAMETERS:
    VARIANTS["cqlmatch-no-prefilter"] = {**ONE_CORE, "prefilter": False}

RESULTS: dict[tuple[str, str], float] = {}


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ingest") / "realistic.ndjson"
    write_file(out, EVENTS, seed=1546)
    return out


@pytest.fixture(scope="module")
def expected(path: Path) -> dict[str, list[dict[str, str]]]:
    rows = {workload: peers.naive(path, workload) for workload in peers.RULES}
    assert all(rows.values()), "both workloads must give rows on this file"
    return rows


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest):
    """Print events/s and the ratio to the naive peer once every benchmark has run."""
    yield
    if not RESULTS:
        return
    lines = ["", f"end to end over {EVENTS:,} events; events/s from the median round"]
    for workload in peers.RULES:
        rates = {name: EVENTS / s for (name, w), s in RESULTS.items() if w == workload}
        naive = rates.get("python")
        for name, rate in rates.items():
            ratio = f"  {rate / naive:5.1f}x python" if naive else ""
            lines.append(f"  {workload:<6} {name:<22} {rate / 1e6:7.3f} M/s{ratio}")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


def _bench(benchmark, name: str, workload: str, call, rounds: int):
    rows = benchmark.pedantic(call, rounds=rounds, iterations=1, warmup_rounds=1)
    stats = getattr(benchmark, "stats", None)
    if stats is not None and not benchmark.disabled:
        RESULTS[(name, workload)] = stats.stats.median
        benchmark.extra_info["events_per_s"] = round(EVENTS / stats.stats.median)
    return rows


@pytest.mark.parametrize("workload", list(peers.RULES))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_cqlmatch_run(benchmark, path, expected, variant: str, workload: str) -> None:
    text = peers.RULES[workload].read_text(encoding="utf-8")
    options = VARIANTS[variant]

    def run() -> list[dict[str, str]]:
        return cqlmatch.compile(text).run(path, **options)

    assert _bench(benchmark, variant, workload, run, 5) == expected[workload]


@pytest.mark.parametrize("workload", list(peers.RULES))
def test_naive_python(benchmark, path, expected, workload: str) -> None:
    rows = _bench(benchmark, "python", workload, lambda: peers.naive(path, workload), 3)
    assert rows == expected[workload]

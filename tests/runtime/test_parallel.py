"""Workers (``run(path, workers=N)``): a plain file split into byte ranges
gives exactly the rows, warnings, counts and global line numbers of one
process and of the reference engine."""

from __future__ import annotations

import gzip
import itertools
import multiprocessing
import signal
from multiprocessing.connection import wait
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.errors import BadEventError
from cqlmatch.runtime import parallel, pool as pool_module
from cqlmatch.runtime.result import Result
from cqlmatch.synth.gen import generate_lines

from ..conftest import ROOT

CORRECTED = (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8")

QUERIES = {
    "corrected": CORRECTED,
    "per_event": "#event_simpleName=ProcessRollup2 FileName=/^(powershell|cmd)\\.exe$/i",
    "head": "#event_simpleName=DnsRequest | head(7)",
    "tail": "#event_simpleName=DnsRequest | tail(4)",
    "sort": "#event_simpleName=UserLogon | sort(ContextTimeStamp, limit=15)",
    "count": "#event_simpleName=DnsRequest | count()",
    "group": "groupBy([event_simpleName, event_platform])",
    "count_distinct": (
        "#event_simpleName=DnsRequest"
        " | groupBy(event_platform, function=[count(DomainName, distinct=true), count()])"
    ),
    # floats: sums and averages must add in input order to give the same digits
    "numbers": (
        "groupBy(event_simpleName, function=[sum(ContextTimeStamp), avg(ContextTimeStamp),"
        " min(ContextTimeStamp), max(ContextTimeStamp), count(ContextTimeStamp)])"
    ),
    "collect": "#event_simpleName=DnsRequest | groupBy(ComputerName, function=collect(DomainName))",
    "top": "#event_simpleName=ProcessRollup2 | top(FileName, limit=5)",
}


@pytest.fixture
def small_ranges(monkeypatch) -> None:
    """Split even small files (the decision is made in the parent)."""
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 16)


@pytest.fixture
def split_calls(monkeypatch) -> list[int]:
    """How many ranges each parallel run used."""
    calls: list[int] = []
    original = parallel.run_parts

    def spy(query, parts, workers, result, **kw):
        calls.append(len(parts))
        return original(query, parts, workers, result, **kw)

    monkeypatch.setattr(parallel, "run_parts", spy)
    return calls


@pytest.fixture(scope="module")
def events_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "events.ndjson"
    path.write_bytes(b"".join(generate_lines(6000, seed=21, malicious_rate=0.01)))
    return path


@pytest.mark.parametrize("name", list(QUERIES))
def test_workers_give_the_rows_of_one_process(name, events_file, small_ranges, split_calls) -> None:
    query = cqlmatch.compile(QUERIES[name])
    one = query.run(events_file, workers=1)
    one_warnings, one_stats = one.warnings, one.stats.as_dict()
    assert not split_calls
    two = query.run(events_file, workers=2)
    if query.plan.splits:
        assert split_calls and split_calls[0] > 2
    else:  # aggregate stages over every kept event: one process is faster
        assert not split_calls
    assert two == one
    assert two.warnings == one_warnings
    assert two.stats.as_dict() == one_stats
    assert one == query.run(events_file, engine="reference")
    assert one, "the query has output on the generated file"


def test_group_limit_reached_in_a_later_range_gives_one_pass_results(
    events_file, small_ranges, split_calls
) -> None:
    query = cqlmatch.compile("groupBy(aid, limit=5)")
    one = query.run(events_file, workers=1)
    warnings = one.warnings
    assert [code for code, _ in warnings] == ["W401"]
    two = query.run(events_file, workers=2)
    assert two == one
    assert two.warnings == warnings
    assert split_calls


def _with_bad_lines(events_file: Path, tmp_path: Path) -> tuple[Path, list[int]]:
    lines = events_file.read_bytes().splitlines(keepends=True)
    out: list[bytes] = []
    bad: list[int] = []
    for i, line in enumerate(lines):
        if i % 450 == 7:
            out.append(b'{"event_simpleName":"DnsRequest",\n')
            bad.append(len(out))
        out.append(line)
    path = tmp_path / "dirty.ndjson"
    path.write_bytes(b"".join(out))
    return path, bad


def test_malformed_line_numbers_are_global(events_file, tmp_path, small_ranges) -> None:
    path, bad = _with_bad_lines(events_file, tmp_path)
    query = cqlmatch.compile(QUERIES["count_distinct"])
    assert query.plan.splits
    clean = query.run(events_file, workers=1)
    for workers in (1, 2):
        rows = query.run(path, workers=workers, prefilter=False)
        assert rows == clean
        assert [m.line_number for m in rows.malformed] == bad
        assert rows.malformed_count == len(bad)


def test_fail_stops_at_the_first_bad_line_with_its_global_number(
    events_file, tmp_path, small_ranges
) -> None:
    path, bad = _with_bad_lines(events_file, tmp_path)
    query = cqlmatch.compile(QUERIES["count_distinct"])
    assert query.plan.splits
    for workers in (1, 2):
        with pytest.raises(BadEventError) as caught:
            query.run(path, workers=workers, on_error="fail")
        assert caught.value.line_number == bad[0]
        assert f"{path}:{bad[0]}:" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "splits"),
    [("corrected", True), ("group", True), ("per_event", True), ("count", True), ("head", False)],
)
def test_workers_only_where_they_pay(name, splits) -> None:
    """Aggregate stages without a group table would ship every kept event
    to the parent, which then runs them alone: those queries run in one
    process (count() over 200,000 events was 2.6 times slower with two
    before count() ran in the group table; head() still does)."""
    assert cqlmatch.compile(QUERIES[name]).plan.splits is splits


def test_compressed_input_runs_in_one_process(
    events_file, tmp_path, small_ranges, split_calls
) -> None:
    packed = tmp_path / "events.ndjson.gz"
    packed.write_bytes(gzip.compress(events_file.read_bytes()))
    query = cqlmatch.compile(CORRECTED)
    assert query.run(packed, workers=2) == query.run(events_file, workers=1)
    assert not split_calls


def test_ranges_cut_after_line_feeds(events_file) -> None:
    parallel_ranges = parallel.plan_ranges(events_file, 2)
    assert parallel_ranges is None  # too small at the default range size
    data = events_file.read_bytes()
    original = parallel.MIN_RANGE_BYTES
    try:
        parallel.MIN_RANGE_BYTES = 1 << 15
        ranges = parallel.plan_ranges(str(events_file), 3)
    finally:
        parallel.MIN_RANGE_BYTES = original
    assert ranges is not None and len(ranges) == 12
    assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert end == start and data[end - 1 : end] == b"\n"


def test_a_worker_that_cannot_start_reports_its_error(
    events_file, small_ranges, monkeypatch
) -> None:
    """A bad shipped program fails the run with its error, not a hang (a
    worker that is not forked loads the program it is sent).  The parent,
    which runs parts too, waits here for the worker's first answer before
    its own first part, so that the worker surely takes one."""
    query = cqlmatch.compile(CORRECTED)
    monkeypatch.setattr(type(query.program), "dumps", lambda self: b"not a program")
    monkeypatch.setattr(
        parallel, "start_context", lambda: multiprocessing.get_context("forkserver")
    )
    pools = []
    start_pool = pool_module.worker_pool
    monkeypatch.setattr(
        pool_module, "worker_pool", lambda *args: pools.append(start_pool(*args)) or pools[-1]
    )
    run_part = parallel._run_part

    def after_the_worker(*args):
        wait(pools[0]._conns, timeout=60)
        return run_part(*args)

    monkeypatch.setattr(parallel, "_run_part", after_the_worker)
    parts = parallel.plan_parts([str(events_file)], 2)
    assert parts
    with pytest.raises(ValueError, match="not a cqlmatch program"):
        parallel.run_parts(
            query, parts, 2, Result(), prefilter=True, on_error="skip", max_line_bytes=1 << 20
        )


def test_a_forked_worker_takes_the_parents_engine() -> None:
    """With fork the spec holds the runner itself: no query is compiled."""
    runner = cqlmatch.compile(CORRECTED).partial_runner("vm")
    spec = {"runner": runner, "text": "this would not compile |||"}
    handler = signal.getsignal(signal.SIGINT)  # a worker ignores Ctrl-C; this process must not
    try:
        parallel._init(spec)
        assert parallel._WORKER["runner"] is runner and "error" not in parallel._WORKER
    finally:
        parallel._WORKER.clear()
        signal.signal(signal.SIGINT, handler)


def test_workers_start_by_fork_unless_threads_run(events_file, small_ranges, split_calls) -> None:
    """A single-threaded process forks its workers (they start warm in
    milliseconds); with another thread alive the forkserver starts them
    (forking could copy a lock that thread holds), with the same rows."""
    import threading

    single = threading.active_count() == 1  # (an earlier test may have left a thread)
    assert (parallel.start_context().get_start_method() == "fork") == single
    query = cqlmatch.compile(CORRECTED)
    one = query.run(events_file, workers=1)
    release = threading.Event()
    helper = threading.Thread(target=release.wait)
    helper.start()
    try:
        assert parallel.start_context().get_start_method() == "forkserver"
        assert query.run(events_file, workers=2) == one
    finally:
        release.set()
        helper.join()
    assert split_calls
    assert (parallel.start_context().get_start_method() == "fork") == single


def test_a_native_plan_waits_for_enough_input_to_start_a_pool(tmp_path, monkeypatch) -> None:
    """Workers pay only past a size (issue 19): a native plan reads gigabytes
    a second, so it needs POOL_MIN_RANGES ranges of input, a compressed byte
    weighing COMPRESSED_WEIGHT plain ones; a slow plan splits from two."""
    import gzip
    import random

    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 12)
    line = b'{"event_simpleName":"ProcessRollup2","CommandLine":"cmd /c whoami"}\n'
    small = tmp_path / "small.ndjson"
    small.write_bytes(line * ((3 << 12) // len(line) + 1))
    assert parallel.plan_parts([str(small)], 2) is not None
    assert parallel.plan_parts([str(small)], 2, fast=True) is None
    big = tmp_path / "big.ndjson"
    big.write_bytes(line * ((parallel.POOL_MIN_RANGES << 12) // len(line) + 1))
    assert parallel.plan_parts([str(big)], 2, fast=True) is not None
    # two compressed files: weighed by what they will cost to read, so
    # fewer bytes than a plain file needs start the pool
    rng = random.Random(19)
    for name in ("a.gz", "b.gz"):
        text = b"".join(b'{"c":"%s"}\n' % rng.randbytes(40).hex().encode() for _ in range(150))
        (tmp_path / name).write_bytes(gzip.compress(text, mtime=0))
    packed = [str(tmp_path / "a.gz"), str(tmp_path / "b.gz")]
    size = sum((tmp_path / n).stat().st_size for n in ("a.gz", "b.gz"))
    assert 2 << 12 <= size < parallel.POOL_MIN_RANGES << 12 <= size * parallel.COMPRESSED_WEIGHT
    assert parallel.plan_parts(packed, 2, fast=True) is not None
    assert parallel.plan_parts(packed, 2) is not None
    (tmp_path / "b.gz").write_bytes(gzip.compress(b"", mtime=0))
    assert parallel.plan_parts(packed, 2, fast=True) is None  # too little left


def test_a_native_query_over_a_small_file_runs_in_one_process(tmp_path) -> None:
    query = cqlmatch.compile("CommandLine=/whoami/i | groupBy([CommandLine])")
    assert query.plan.native
    path = tmp_path / "e.ndjson"
    path.write_bytes(b'{"CommandLine":"cmd /c whoami"}\n' * 1000)
    assert parallel.plan_parts([str(path)], 2, fast=query.plan.native) is None

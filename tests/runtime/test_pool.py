"""runtime.pool: ordered results like ``Pool.imap``, and a shutdown that
cannot hang, above all when a caller leaves ``imap`` early while workers are
still sending large results (what hung ``multiprocessing.Pool.terminate``)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from cqlmatch.runtime import pool as pool_module
from cqlmatch.runtime.pool import RemoteTraceback, WorkerLost, worker_pool

FORK = multiprocessing.get_context("fork")
BIG = 1 << 18  # a result larger than a pipe's buffer: its worker blocks in the write

_STATE: dict[str, object] = {}


class Stop(Exception):
    pass


def _init(tag: str) -> None:
    _STATE["tag"] = tag


def _tagged(n: int) -> tuple[int, object, int]:
    return n, _STATE.get("tag"), os.getpid()


def _square(n: int) -> int:
    time.sleep(0.001 * (n % 3))  # finish out of order
    return n * n


def _fail_at_three(n: int) -> int:
    if n == 3:
        raise KeyError(f"task {n}")
    return n


def _bad_init() -> None:
    raise OSError("no engine")


def _die(n: int) -> int:
    if n == 1:
        os._exit(3)
    return n


def _sleep_but_the_first(n: int) -> int:
    if n:
        time.sleep(60)
    return n


def _ignore_term_but_the_first(n: int) -> int:
    if n:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)
    return n


def _unpicklable(n: int) -> object:
    return threading.Lock()


def _chunk(n: int) -> tuple[str, bytes]:
    """Like parallel._work under on_error="fail": one range reports a bad
    line, the others send a large payload."""
    if n == 1:
        return "bad", b""
    return "ok", b"x" * BIG


def _all_ended(pool) -> bool:
    return all(p.exitcode is not None for p in pool.processes)


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_results_in_task_order_and_the_initializer_runs_in_each_worker(method) -> None:
    context = multiprocessing.get_context(method)
    with worker_pool(context, 2, _init, ("ready",)) as pool:
        assert list(pool.imap(_square, range(20))) == [n * n for n in range(20)]
        tagged = list(pool.imap(_tagged, range(6)))
    assert [n for n, _, _ in tagged] == list(range(6))
    assert {tag for _, tag, _ in tagged} == {"ready"}
    assert {pid for _, _, pid in tagged} <= {p.pid for p in pool.processes}
    assert _all_ended(pool)


def test_no_tasks_and_fewer_tasks_than_workers() -> None:
    with worker_pool(FORK, 3) as pool:
        assert list(pool.imap(_square, [])) == []
        assert list(pool.imap(_square, [4])) == [16]


def test_a_task_error_is_raised_in_order_with_the_worker_traceback() -> None:
    got = []
    with worker_pool(FORK, 2) as pool, pytest.raises(KeyError, match="task 3") as caught:
        for value in pool.imap(_fail_at_three, range(8)):
            got.append(value)
    assert got == [0, 1, 2]
    assert isinstance(caught.value.__cause__, RemoteTraceback)
    assert "_fail_at_three" in str(caught.value.__cause__)
    assert _all_ended(pool)


def test_a_failing_initializer_fails_the_first_task_instead_of_restarting() -> None:
    context = multiprocessing.get_context("forkserver")
    with worker_pool(context, 2, _bad_init) as pool, pytest.raises(OSError, match="no engine"):
        list(pool.imap(_square, range(4)))
    assert _all_ended(pool)


def test_a_worker_that_dies_in_a_task_is_reported_not_waited_for() -> None:
    with worker_pool(FORK, 2) as pool, pytest.raises(WorkerLost, match="exit code 3"):
        list(pool.imap(_die, range(4)))
    assert _all_ended(pool)


def test_a_result_that_cannot_be_pickled_is_an_error() -> None:
    with worker_pool(FORK, 1) as pool, pytest.raises(TypeError, match="cannot pickle"):
        list(pool.imap(_unpicklable, range(2)))


def test_leaving_early_with_large_results_in_flight_never_hangs() -> None:
    """The hang of ``Pool.terminate`` (module docstring), many times over:
    the loop raises at the first result while the other workers are blocked
    writing results larger than their pipe's buffer."""
    started = time.monotonic()
    for _ in range(100):
        pool = worker_pool(FORK, 2)
        with pytest.raises(Stop), pool:
            for kind, _payload in pool.imap(_chunk, range(12)):
                if kind == "bad":
                    raise Stop
        assert _all_ended(pool)
    # a worker killed on its way out is not waited for: well under a second each
    assert time.monotonic() - started < 100 * pool_module.STOP_SECONDS / 2


def test_leaving_early_by_break_then_a_new_imap_gets_its_own_results() -> None:
    with worker_pool(FORK, 2) as pool:
        for kind, _payload in pool.imap(_chunk, range(12)):
            if kind == "bad":
                break
        assert list(pool.imap(_square, range(5))) == [0, 1, 4, 9, 16]
    assert _all_ended(pool)


def test_shutdown_ends_a_worker_in_a_long_task_at_once() -> None:
    pool = worker_pool(FORK, 2)
    results = pool.imap(_sleep_but_the_first, range(2))
    assert next(results) == 0  # task 1 is running, task 0's worker idle
    started = time.monotonic()
    pool.shutdown()
    assert time.monotonic() - started < 2
    assert sorted(p.exitcode for p in pool.processes) == [-signal.SIGTERM, 0]
    pool.shutdown()  # idempotent
    with pytest.raises(ValueError, match="shut down"):
        pool.imap(_square, range(2))
    with pytest.raises(ValueError, match="shut down"):
        next(results)


def test_a_worker_that_ignores_sigterm_is_killed(monkeypatch) -> None:
    monkeypatch.setattr(pool_module, "KILL_SECONDS", 0.5)
    pool = worker_pool(FORK, 2)
    results = pool.imap(_ignore_term_but_the_first, range(2))
    assert next(results) == 0
    time.sleep(0.2)  # task 1 has set its handler
    started = time.monotonic()
    pool.shutdown()
    assert time.monotonic() - started < 3
    assert sorted(p.exitcode for p in pool.processes) == [-signal.SIGKILL, 0]


def test_a_sigterm_handler_of_the_parent_does_not_protect_forked_workers() -> None:
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        pool = worker_pool(FORK, 2)
    finally:
        signal.signal(signal.SIGTERM, previous)
    results = pool.imap(_sleep_but_the_first, range(2))
    assert next(results) == 0
    started = time.monotonic()
    pool.shutdown()
    assert sorted(p.exitcode for p in pool.processes) == [-signal.SIGTERM, 0]
    assert time.monotonic() - started < pool_module.KILL_SECONDS


def test_a_sigterm_that_comes_before_the_worker_resets_its_handler_still_ends_it() -> None:
    """Shut down at once, before the forked workers (which start with the
    parent's handler) have run a line: SIGTERM waits, blocked, for them."""
    for _ in range(20):
        previous = signal.signal(signal.SIGTERM, lambda *_: None)
        try:
            pool = worker_pool(FORK, 2)
            pool._busy.update(range(2))  # as if both had a task
            started = time.monotonic()
            pool.shutdown()
        finally:
            signal.signal(signal.SIGTERM, previous)
        assert [p.exitcode for p in pool.processes] == [-signal.SIGTERM] * 2
        assert time.monotonic() - started < pool_module.KILL_SECONDS


def test_the_parent_starts_no_threads() -> None:
    """So ``parallel.start_context`` keeps choosing fork (it forks only while the
    process runs a single thread)."""
    before = threading.active_count()
    with worker_pool(FORK, 2) as pool:
        for _ in pool.imap(_square, range(10)):
            assert threading.active_count() == before
    assert threading.active_count() == before


def test_one_imap_at_a_time() -> None:
    with worker_pool(FORK, 2) as pool:
        first = pool.imap(_square, range(10))
        assert next(first) == 0
        with pytest.raises(RuntimeError, match="one imap at a time"):
            next(pool.imap(_square, range(2)))
        assert list(first) == [n * n for n in range(1, 10)]


def test_at_least_one_process() -> None:
    with pytest.raises(ValueError):
        worker_pool(FORK, 0)


# --- the parent taking part (imap's local, through the shared queue) ------------------------


def _slow_tagged(n: int) -> tuple[int, object, int]:
    time.sleep(0.02)  # long enough for every process to take some tasks
    return n, _STATE.get("tag"), os.getpid()


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_the_parent_takes_tasks_too_and_results_stay_in_order(method) -> None:
    context = multiprocessing.get_context(method)
    _STATE["tag"] = "parent"
    with worker_pool(context, 2, _init, ("ready",)) as pool:
        tagged = list(pool.imap(_slow_tagged, range(40), local=_slow_tagged))
        assert list(pool.imap(_square, range(7), local=_square)) == [n * n for n in range(7)]
        assert list(pool.imap(_square, [], local=_square)) == []
    assert [n for n, _, _ in tagged] == list(range(40))
    by_pid = {pid: tag for _, tag, pid in tagged}
    assert by_pid[os.getpid()] == "parent"  # run here, not pickled
    workers = {p.pid for p in pool.processes}
    assert set(by_pid) - {os.getpid()} <= workers
    if method == "fork":  # (a forkserver's worker may start after the tasks are all done)
        assert set(by_pid) & workers
    assert _all_ended(pool)


def test_errors_of_the_parent_and_of_workers_are_raised_in_order() -> None:
    got = []
    with worker_pool(FORK, 1) as pool, pytest.raises(KeyError, match="task 3") as caught:
        for value in pool.imap(_fail_at_three, range(8), local=_fail_at_three):
            got.append(value)
    assert got == [0, 1, 2]
    assert _all_ended(pool)
    # Where task 3 ran decides the cause: a worker's traceback, or none.
    cause = caught.value.__cause__
    assert cause is None or isinstance(cause, RemoteTraceback)


def test_leaving_the_shared_queue_early_stops_the_workers_and_a_new_imap_works() -> None:
    with worker_pool(FORK, 2) as pool:
        for kind, _payload in pool.imap(_chunk, range(30), local=_chunk):
            if kind == "bad":
                break
        assert pool_module._take(pool._queue) is None  # nothing left for the workers
        assert list(pool.imap(_square, range(5), local=_square)) == [0, 1, 4, 9, 16]
        assert list(pool.imap(_square, range(5))) == [0, 1, 4, 9, 16]
    assert _all_ended(pool)


def test_a_worker_that_dies_in_a_shared_task_is_reported() -> None:
    def parent_waits(n: int) -> int:
        time.sleep(0.2)  # the worker takes task 1 meanwhile
        return n

    with worker_pool(FORK, 1) as pool, pytest.raises(WorkerLost, match="exit code 3"):
        list(pool.imap(_die, range(4), local=parent_waits))
    assert _all_ended(pool)


def test_more_tasks_than_the_queue_holds_are_handed_out_one_by_one() -> None:
    count = pool_module.QUEUE_TASKS + 5
    ran_here = []

    def local(n: int) -> int:
        ran_here.append(n)
        return n * n

    with worker_pool(FORK, 2) as pool:
        assert list(pool.imap(_square, range(count), local=local)) == [n * n for n in range(count)]
    assert ran_here == []


_DONE_IN_WORKERS = FORK.Value("i", 0)


def _large_counted(n: int) -> bytes:
    with _DONE_IN_WORKERS.get_lock():
        _DONE_IN_WORKERS.value += 1
    return bytes([n % 256]) * (8 * BIG)  # more than a connection's buffer


def test_a_worker_goes_on_while_its_large_result_waits_for_a_busy_parent() -> None:
    """The parent runs a task of its own and reads no result meanwhile: a
    worker whose result does not fit in its connection's buffer still takes
    the next tasks (the result waits in its sending thread), and every
    result arrives in order."""
    _DONE_IN_WORKERS.value = 0
    count = 6
    ran_here = []

    def local(n: int) -> bytes:
        ran_here.append(n)
        if len(ran_here) == 1:  # until the worker ran every other task (at most 30 s)
            deadline = time.monotonic() + 30
            while _DONE_IN_WORKERS.value < count - 1 and time.monotonic() < deadline:
                time.sleep(0.01)
        return bytes([n % 256]) * (8 * BIG)

    with worker_pool(FORK, 1) as pool:
        out = list(pool.imap(_large_counted, range(count), local=local))
    assert [chunk[:1] for chunk in out] == [bytes([n]) for n in range(count)]
    assert all(len(chunk) == 8 * BIG for chunk in out)
    assert len(ran_here) == 1 and _DONE_IN_WORKERS.value == count - 1
    assert _all_ended(pool)


def test_the_parent_taking_part_starts_no_threads() -> None:
    before = threading.active_count()
    with worker_pool(FORK, 1) as pool:
        for _ in pool.imap(_square, range(10), local=_square):
            assert threading.active_count() == before


def test_close_tells_the_workers_to_end_and_shutdown_waits_for_them() -> None:
    with worker_pool(FORK, 2) as pool:
        assert list(pool.imap(_square, range(6), local=_square)) == [n * n for n in range(6)]
        pool.close()
        with pytest.raises(ValueError, match="shut down"):
            list(pool.imap(_square, range(3)))
        pool.close()  # (again: nothing more)
    assert _all_ended(pool)

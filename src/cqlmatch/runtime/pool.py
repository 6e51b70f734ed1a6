"""Worker processes that run tasks in order and always shut down.

    with worker_pool(context, processes, initializer, initargs) as pool:
        for result in pool.imap(func, tasks):
            ...  # leaving early (return, raise, break) is fine

Why not ``multiprocessing.Pool``: leaving ``with pool:`` calls
``Pool.terminate()``, and that can hang for good when results are still on
their way.  The pool's workers all write their results into one shared pipe
(``outqueue``), each write under one shared lock.  ``terminate()`` stops the
thread that reads that pipe (after at most ten more reads), kills the
workers, then joins the thread that fed the tasks; that thread, on its way
out, writes a last sentinel into the same pipe.  Two ways it never returns:

* the pipe is full of results nobody reads any more (a group table or the
  rows of a byte range fill its 64 KiB at once): the write blocks forever;
* a worker was killed in the middle of writing a result: it held the shared
  lock, which nobody releases now, and the sentinel's write waits on it
  forever (a semaphore).

Either way the main thread waits in ``_terminate_pool`` -> ``join`` (or on
the same lock) while the workers are already dead.  It takes a run that
leaves the loop while workers are still sending (``on_error="fail"``: the
first bad line raises from inside the loop).  With results of a few KiB it
needs the timing of a loaded machine (the suite hung once in two full runs;
``tests/runtime/test_parallel.py`` hung on the second of a few runs with two
copies running at once beside three busy processes); with results of 70 KB,
leaving ``imap`` at the second of twelve results hung ``Pool`` within 200
tries in each of four runs (on the same loaded 2-core machine).

Here nothing is shared: each worker has its own pipe to the parent, gets a
task only when it is idle (so nothing is ever queued behind a task), and the
parent has no threads.  The parent never waits on a lock a worker can take,
so killing a worker cannot leave anything locked, and every wait on shutdown
has a time limit.  On leaving the ``with`` block (normally or by an
exception):

1. no task is handed out any more;
2. an idle worker is told to stop and exits at once;
3. a worker still running a task whose result nobody will read gets SIGTERM
   (safe here: it holds nothing the parent needs);
4. each worker is joined, within ``STOP_SECONDS`` of being told to stop or
   ``KILL_SECONDS`` of SIGTERM; one still alive then gets SIGKILL.

A worker that dies while running a task (killed, ``os._exit``, a crash)
raises ``WorkerLost`` in the parent instead of leaving ``imap`` waiting for a
result that will never come (what ``multiprocessing.Pool`` does).

Also unlike ``multiprocessing.Pool``: an initializer that raises does not
start replacement workers forever; its exception is raised for the first
task instead.

The parent can take part (``imap(..., local=f)``): a run on N cores then
needs N - 1 workers, and the parent's core works instead of waiting while
they start.  The tasks' numbers then go into one shared queue, a pipe of
4-byte records that every worker and the parent take from (the kernel hands
each record to one reader; nothing is locked that a killed worker could
hold), so a worker never waits for the parent to hand it the next task
while the parent runs one of its own, and the last tasks go to whoever is
free first.  A worker sends each result as it is done and says when the
queue is empty; leaving ``imap`` early empties the queue, so the workers
stop after the task they are running.  A worker sends those results from a
thread of its own: one larger than its connection's buffer waits there
while the parent runs a task (and reads nothing), not the worker.
"""

from __future__ import annotations

import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.reduction import ForkingPickler
from typing import Any

from ..errors import WorkerLost

__all__ = ["STOP_SECONDS", "RemoteTraceback", "WorkerLost", "WorkerPool", "worker_pool"]

STOP_SECONDS = 5.0  # an idle worker told to stop (it may still be in its initializer)
KILL_SECONDS = 5.0  # after SIGTERM, before SIGKILL

_STOP = None  # the message that ends a worker
_EMPTY = None  # a worker's message: the shared queue is empty
_RECORD = 4  # bytes of a task number in the shared queue
# The tasks the shared queue takes at most: their records must fit in the
# pipe before anyone reads (4096 bytes, the least a Linux pipe holds when
# the user's pipes are over their limit); more tasks are handed out one by one.
QUEUE_TASKS = 4096 // _RECORD


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (its ``__cause__``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def worker_pool(
    context: BaseContext,
    processes: int,
    initializer: Callable[..., object] | None = None,
    initargs: Iterable[Any] = (),
) -> WorkerPool:
    """Start ``processes`` workers of ``context`` (each runs
    ``initializer(*initargs)`` first); use the result in a ``with`` block."""
    return WorkerPool(context, processes, initializer, initargs)


class WorkerPool:
    """``processes`` worker processes, started at construction.  One
    ``imap`` at a time; ``shutdown()`` (or leaving ``with``) ends them."""

    def __init__(
        self,
        context: BaseContext,
        processes: int,
        initializer: Callable[..., object] | None = None,
        initargs: Iterable[Any] = (),
    ) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self._processes: list[Any] = []
        self._conns: list[Connection] = []
        self._busy: set[int] = set()  # workers running a task not yet answered
        self._pulling: set[int] = set()  # busy workers taking from the shared queue
        self._iterating = False
        self._closed = False  # told to end (``close``)
        self._joined = False  # and waited for (``shutdown``)
        self._deadlines: list[float] = []
        # The shared queue (module docstring): read without blocking by all.
        self._queue, self._feed = context.Pipe(duplex=False)
        os.set_blocking(self._queue.fileno(), False)
        args = tuple(initargs)
        try:
            for _ in range(processes):
                parent, child = context.Pipe(duplex=True)
                process = context.Process(
                    target=_serve, args=(child, initializer, args, self._queue), daemon=True
                )
                # SIGTERM blocked while it starts: a forked worker has the
                # parent's handlers until _serve resets SIGTERM, and one that
                # arrived before would be swallowed by them.  It stays
                # pending instead, and _serve unblocks it.
                blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
                try:
                    process.start()
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                    child.close()  # the worker has its copy
                self._processes.append(process)
                self._conns.append(parent)
        except BaseException:
            self.shutdown()
            raise

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    @property
    def processes(self) -> list[Any]:
        """The worker processes (for tests and diagnostics)."""
        return list(self._processes)

    def imap(
        self,
        func: Callable[[Any], Any],
        iterable: Iterable[Any],
        local: Callable[[Any], Any] | None = None,
    ) -> Iterator[Any]:
        """``func(task)`` for each task in a worker, results in the order of
        the tasks (as ``multiprocessing.Pool.imap``).  A task's exception is
        raised at its place in the order, with the worker's traceback as its
        ``__cause__``.  ``func`` and the tasks are pickled, the results too.
        ``local``: the parent takes tasks too, running them as
        ``local(task)`` (module docstring); its results (not pickled) and
        exceptions take their places in the order the same way."""
        if self._closed:
            raise ValueError("the worker pool is shut down")
        if local is not None:
            tasks = list(iterable)
            if len(tasks) <= QUEUE_TASKS:
                return self._shared(func, tasks, local)
            iterable = tasks
        return self._results(func, iter(iterable))

    def _results(self, func: Callable[[Any], Any], tasks: Iterator[Any]) -> Iterator[Any]:
        if self._iterating:
            raise RuntimeError("one imap at a time on a worker pool")
        self._iterating = True
        try:
            self._drain()  # a previous imap left early: its answers are not ours
            index_of: dict[int, int] = {}  # worker -> its task's position
            done: dict[int, tuple[bool, Any]] = {}  # position -> (ok, result or error)
            sent = wanted = 0
            more = True
            while True:
                while more and len(self._busy) < len(self._processes):
                    try:
                        task = next(tasks)
                    except StopIteration:
                        more = False
                        break
                    worker = next(i for i in range(len(self._processes)) if i not in self._busy)
                    self._send(worker, (func, task))
                    index_of[worker] = sent
                    sent += 1
                wanted = yield from _in_order(done, wanted)
                if not more and wanted == sent:
                    return
                if self._closed:  # shut down while this generator was paused
                    raise ValueError("the worker pool is shut down")
                for worker, _, answer in self._receive():
                    done[index_of.pop(worker)] = answer
        finally:
            self._iterating = False

    def _shared(
        self, func: Callable[[Any], Any], tasks: list[Any], local: Callable[[Any], Any]
    ) -> Iterator[Any]:
        """``imap`` with the parent taking part, through the shared queue."""
        if self._iterating:
            raise RuntimeError("one imap at a time on a worker pool")
        self._iterating = True
        try:
            self._drain()  # a previous imap left early: its answers are not ours
            if not tasks:
                return
            # Raw records, written at once (at most PIPE_BUF bytes: one write).
            records = b"".join(i.to_bytes(_RECORD, "little") for i in range(len(tasks)))
            os.write(self._feed.fileno(), records)
            for worker in range(len(self._processes)):
                self._send(worker, (func, tasks, None))
                self._pulling.add(worker)
            done: dict[int, tuple[bool, Any]] = {}  # position -> (ok, result or error)
            wanted = 0
            mine = True  # the parent still finds tasks in the queue
            while True:
                wanted = yield from _in_order(done, wanted)
                if wanted == len(tasks):
                    return
                if self._closed:  # shut down while this generator was paused
                    raise ValueError("the worker pool is shut down")
                index = _take(self._queue) if mine else None
                if index is None:
                    mine = False
                    ready = self._receive()
                else:
                    try:
                        done[index] = (True, local(tasks[index]))
                    except Exception as err:
                        done[index] = (False, err)
                    ready = self._receive(block=False) if self._busy else []
                for _, position, answer in ready:
                    done[position] = answer
        finally:
            self._iterating = False
            while _take(self._queue) is not None:  # left early: the workers stop
                pass

    def _send(self, worker: int, message: object) -> None:
        try:
            self._conns[worker].send(message)
        except (BrokenPipeError, ConnectionResetError) as err:
            raise self._lost(worker) from err
        self._busy.add(worker)

    def _receive(self, block: bool = True) -> list[tuple[int, int, tuple[bool, Any]]]:
        """Wait for at least one busy worker to answer or die (``block``
        false: only what is there already): (worker, task number in the
        shared queue or -1, answer) for each answer."""
        if not self._busy:  # nothing would ever wake the wait
            raise RuntimeError("no task is running")
        by_handle: dict[Any, int] = {}
        for worker in self._busy:
            by_handle[self._conns[worker]] = worker
            by_handle[self._processes[worker].sentinel] = worker
        answers = []
        for worker in sorted({by_handle[h] for h in wait(list(by_handle), None if block else 0)}):
            conn = self._conns[worker]
            if not conn.poll():  # its sentinel only: it ended without answering
                raise self._lost(worker)
            try:
                message = conn.recv()
            except (EOFError, OSError) as err:
                raise self._lost(worker) from err
            if worker not in self._pulling:
                self._busy.discard(worker)
                answers.append((worker, -1, _answer(message)))
            elif message is _EMPTY:
                self._pulling.discard(worker)
                self._busy.discard(worker)
            else:
                index, message = message
                answers.append((worker, index, _answer(message)))
        return answers

    def _drain(self) -> None:
        while self._busy:
            self._receive()

    def _lost(self, worker: int) -> WorkerLost:
        process = self._processes[worker]
        process.join(KILL_SECONDS)
        self._busy.discard(worker)
        self._pulling.discard(worker)
        return WorkerLost(
            f"worker process {process.pid} ended while running a task"
            f" (exit code {process.exitcode})"
        )

    def close(self) -> None:
        """Tell the workers to end (steps 1-3 of the module docstring)
        without waiting for them: the caller's own work overlaps their
        exits, and ``shutdown`` (or leaving ``with``) waits.  Idempotent."""
        if self._closed:
            return
        self._closed = True
        now = time.monotonic()
        self._deadlines = []
        for worker, process in enumerate(self._processes):
            if worker not in self._busy:
                try:
                    self._conns[worker].send(_STOP)
                    self._deadlines.append(now + STOP_SECONDS)
                    continue
                except OSError:  # already gone
                    pass
            process.terminate()
            self._deadlines.append(now + KILL_SECONDS)
        self._busy.clear()
        self._pulling.clear()

    def shutdown(self) -> None:
        """End the workers (see the module docstring); never blocks for
        longer than ``max(STOP_SECONDS, KILL_SECONDS) + KILL_SECONDS``.
        Idempotent."""
        if self._joined:
            return
        self._joined = True
        self.close()
        deadlines = self._deadlines
        for process, deadline in zip(self._processes, deadlines, strict=True):
            process.join(max(0.0, deadline - time.monotonic()))
        alive = [p for p in self._processes if p.exitcode is None]
        for process in alive:
            process.kill()
        deadline = time.monotonic() + KILL_SECONDS
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
        for conn in self._conns:
            conn.close()
        self._queue.close()
        self._feed.close()


def _answer(message: tuple[Any, ...]) -> tuple[bool, Any]:
    if message[0] == "ok":
        return True, message[1]
    _, error, text = message
    error.__cause__ = RemoteTraceback(text)
    return False, error


def _serve(
    conn: Connection,
    initializer: Callable[..., object] | None,
    initargs: tuple[Any, ...],
    queue: Connection,
) -> None:
    """A worker: the initializer, then one task per message, or (a message
    with every task) the tasks it takes from the shared ``queue``, until
    told to stop (or the parent is gone)."""
    # A handler inherited from a forking parent must not keep SIGTERM from
    # ending the worker: shutdown() relies on it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # see WorkerPool
    failed: BaseException | None = None
    if initializer is not None:
        try:
            initializer(*initargs)
        except Exception as err:  # raised for each task instead
            failed = err
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is _STOP:
            return
        if len(message) == 2:
            func, task = message
            if not _reply(conn, _call(func, task, failed)):
                return
            continue
        func, tasks, _ = message
        # Results go out from a thread of their own: a result larger than
        # the connection's buffer (the hits of a part of a rule pack) waits
        # there for the parent, which may be running a task of its own,
        # while this worker goes on with the next task.
        sender = _Sender(conn)
        while (index := _take(queue)) is not None:
            if not sender.send(_encoded(_call(func, tasks[index], failed), index)):
                break
        if not (sender.send(_encoded(_EMPTY)) and sender.close()):
            return


class _Sender:
    """Sends a worker's encoded answers in order, from a thread."""

    def __init__(self, conn: Connection) -> None:
        import queue
        import threading

        self._conn = conn
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self.gone = False  # the parent is gone (a send failed)

    def send(self, data: bytes) -> bool:
        """Queue ``data``; False when the parent is gone."""
        self._queue.put(data)
        return not self.gone

    def close(self) -> bool:
        """Wait until everything queued is sent; False when the parent is gone."""
        self._queue.put(None)
        self._thread.join()
        return not self.gone

    def _run(self) -> None:
        while (data := self._queue.get()) is not None:
            if not self.gone:
                try:
                    self._conn.send_bytes(data)
                except OSError:
                    self.gone = True


def _in_order(done: dict[int, tuple[bool, Any]], wanted: int) -> Generator[Any, None, int]:
    """The results in ``done`` (position -> (ok, result or error)) from
    position ``wanted`` on, as long as they follow each other, a failed
    task's error raised at its place; returns the next position wanted."""
    while wanted in done:
        ok, value = done.pop(wanted)
        wanted += 1
        if not ok:
            raise value
        yield value
    return wanted


def _take(queue: Connection) -> int | None:
    """The next task number in the shared queue, or None when it is empty."""
    try:
        record = os.read(queue.fileno(), _RECORD)
    except BlockingIOError:
        return None
    return int.from_bytes(record, "little") if record else None


def _call(func: Callable[[Any], Any], task: Any, failed: BaseException | None) -> Any:
    """A task's answer: ("ok", result) or ("error", exception, traceback)."""
    try:
        if failed is not None:
            raise failed
        return ("ok", func(task))
    except Exception as err:
        return ("error", _picklable(err), traceback.format_exc())


def _reply(conn: Connection, answer: Any) -> bool:
    """Send ``answer``; False when the parent is gone."""
    try:
        conn.send_bytes(_encoded(answer))
    except OSError:  # the parent is gone
        return False
    return True


def _encoded(answer: Any, index: int | None = None) -> bytes:
    """``answer`` pickled (with its task number ``index`` from the shared
    queue), or the error of one that cannot be."""
    try:
        return bytes(ForkingPickler.dumps(answer if index is None else (index, answer)))
    except Exception as err:  # a result that cannot be pickled
        error = ("error", _picklable(err), traceback.format_exc())
        return bytes(ForkingPickler.dumps(error if index is None else (index, error)))


def _picklable(error: BaseException) -> BaseException:
    """``error`` if it survives pickling, else a RuntimeError that names it."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error

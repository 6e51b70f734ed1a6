"""Reliability II through ``cqlmatch run``: bad values, incomplete input,
lost workers and SIGTERM end with a message and a documented status,
never a traceback, a hang or silently missing events."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from multiprocessing.connection import wait
from pathlib import Path

import pytest

from cqlmatch.cli.commands import EXIT_INPUT_INCOMPLETE, EXIT_OK, EXIT_WORKER_LOST, main
from cqlmatch.runtime import parallel, pool as pool_module

SURROGATE_LINE = b'{"CommandLine":"A\\ud800"}\n'
NAN_LINE = b'{"CommandLine":NaN}\n'
GOOD_LINE = b'{"CommandLine":"B"}\n'


@pytest.mark.parametrize("fmt", ["table", "json", "ndjson", "csv"])
def test_lone_surrogates_and_nan_are_malformed_in_every_format(
    fmt: str, tmp_path: Path, capsysbinary
) -> None:
    query = tmp_path / "q.cql"
    query.write_text("CommandLine=*", encoding="utf-8")
    events = tmp_path / "e.ndjson"
    events.write_bytes(SURROGATE_LINE + GOOD_LINE + NAN_LINE + GOOD_LINE)
    status = main(["run", str(query), str(events), "--format", fmt, "--workers", "1"])
    out, err = capsysbinary.readouterr()
    assert status == EXIT_OK
    text = out.decode("utf-8")  # valid UTF-8
    assert text.count("B") == 2 and "NaN" not in text
    if fmt == "json":
        assert json.loads(text) == [{"CommandLine": "B"}] * 2
    assert b"2 malformed line(s) skipped: 1, 3" in err
    assert b"lone surrogate escape in a string" in err


def _big_file(tmp_path: Path, lines: int = 200_000) -> Path:
    path = tmp_path / "big.ndjson"
    row = b'{"event_simpleName":"ProcessRollup2","CommandLine":"cmd /c %d","FileName":"a.exe"}\n'
    path.write_bytes(b"".join(row % i for i in range(lines)))
    return path


def test_a_truncated_input_exits_4_with_the_rows_read(tmp_path: Path, capsys) -> None:
    import zstandard

    blob = zstandard.ZstdCompressor().compress(GOOD_LINE * 50_000)
    events = tmp_path / "cut.zst"
    events.write_bytes(blob[: len(blob) // 2])
    query = tmp_path / "q.cql"
    query.write_text("groupBy([CommandLine])", encoding="utf-8")
    status = main(["run", str(query), str(events), "--format", "json"])
    out, err = capsys.readouterr()
    assert status == EXIT_INPUT_INCOMPLETE == 4
    assert json.loads(out)[0]["CommandLine"] == "B"  # the rows read are printed
    assert "input incomplete" in err and str(events) in err


def test_a_killed_worker_is_a_message_and_exit_5(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 16)
    monkeypatch.setattr(parallel, "start_context", lambda: multiprocessing.get_context("fork"))

    def die(spec) -> None:  # as the OOM killer would
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(parallel, "_init", die)
    # The parent runs parts too: it waits for the worker to be gone first,
    # or it could run every part itself before it sees the loss.
    pools = []
    start_pool = pool_module.worker_pool
    monkeypatch.setattr(
        pool_module, "worker_pool", lambda *args: pools.append(start_pool(*args)) or pools[-1]
    )
    run_part = parallel._run_part

    def after_the_worker(*args):
        wait([p.sentinel for p in pools[0].processes], timeout=30)
        return run_part(*args)

    monkeypatch.setattr(parallel, "_run_part", after_the_worker)
    events = _big_file(tmp_path, 20_000)
    query = tmp_path / "q.cql"
    query.write_text("groupBy([FileName])", encoding="utf-8")
    started = time.monotonic()
    status = main(["run", str(query), str(events), "--workers", "2"])
    out, err = capsys.readouterr()
    assert status == EXIT_WORKER_LOST == 5
    assert "worker process" in err and "exit code -9" in err and "Traceback" not in err
    assert out == ""
    assert time.monotonic() - started < 30


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        found += [int(x) for x in text.split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_sigterm_stops_the_workers_and_exits_143(tmp_path: Path) -> None:
    events = _big_file(tmp_path, 600_000)
    query = tmp_path / "q.cql"
    # lower() runs on the interpreter's slow path for every event: the run
    # lasts seconds on a quiet machine, so the signal lands while it runs
    query.write_text("x := lower(CommandLine) | groupBy([x], function=count())", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cqlmatch", "run", str(query), str(events), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # Two workers: the parent, which runs parts too, and one process it starts.
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while not workers and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
        workers = _children(proc.pid)
    assert len(workers) == 1, "the run ended before its worker was seen"
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert b"Traceback" not in err and b"BrokenPipe" not in err
    assert b"cqlmatch: terminated" in err
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (MemoryError("regex set 0 (field c): RE2 ran out of memory while matching"), "regex set 0"),
        (MemoryError(), "out of memory"),
    ],
)
def test_memory_running_out_stops_a_run_with_one_line(
    tmp_path, monkeypatch, capsys, error, said
) -> None:
    """RE2 past its budget for a regex set, or the process out of memory:
    one line naming it and exit 5, no traceback, for a query and a pack."""
    from cqlmatch.cli import commands
    from cqlmatch.packs.pack import Pack

    (tmp_path / "q.cql").write_text("c=/x/\n")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "one.cql").write_text("c=/x/\n")
    (tmp_path / "e.ndjson").write_text('{"c": "x"}\n')

    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(commands, "_run_query", fails)
    monkeypatch.setattr(Pack, "run", fails)
    for argv in (["run", "q.cql", "e.ndjson"], ["pack", "run", "p", "e.ndjson"]):
        monkeypatch.chdir(tmp_path)
        assert main(argv) == EXIT_WORKER_LOST
        err = capsys.readouterr().err
        assert f"run stopped, no rows: {said}" in err and "Traceback" not in err

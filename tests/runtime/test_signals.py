"""Signals and closed pipes (issue 7): Ctrl-C ends ``cqlmatch run`` with
status 130 and a one-line progress summary; a standard output closed by
the reader (``cqlmatch run ... | head``) ends quietly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cqlmatch.cli.commands import EXIT_INTERRUPTED
from cqlmatch.synth.gen import generate_lines

from ..conftest import ROOT

CQLMATCH = [sys.executable, "-m", "cqlmatch"]
RULE = ROOT / "rules" / "t1546_016.cql"


@pytest.fixture(scope="module")
def sample() -> bytes:
    return b"".join(generate_lines(20000, seed=8, malicious_rate=0.01))


def _feed(fifo: Path, data: bytes, written: list[int], stop: threading.Event) -> None:
    """Writes ``data`` over and over into ``fifo``: an input without end."""
    try:
        with open(fifo, "wb") as fh:
            while not stop.is_set():
                for start in range(0, len(data), 1 << 20):
                    fh.write(data[start : start + (1 << 20)])
                    written[0] += min(1 << 20, len(data) - start)
    except (BrokenPipeError, OSError):
        pass  # the reader went away


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_ctrl_c_exits_130_with_a_progress_line(tmp_path, sample) -> None:
    """The events come from a named pipe fed without end, so the run is
    certainly reading when SIGINT arrives, however fast the machine."""
    # A child inherits an ignored SIGINT and would never see this one.
    assert signal.getsignal(signal.SIGINT) is not signal.SIG_IGN, "an earlier test ignored SIGINT"
    fifo = tmp_path / "events.ndjson"
    os.mkfifo(fifo)
    written = [0]
    stop = threading.Event()
    feeder = threading.Thread(target=_feed, args=(fifo, sample, written, stop), daemon=True)
    feeder.start()
    proc = subprocess.Popen(
        [*CQLMATCH, "run", str(RULE), str(fifo), "--on-error", "fail"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while written[0] < 4 * len(sample) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert written[0] >= 4 * len(sample), "the run did not start reading"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = err.decode()
    assert proc.returncode == EXIT_INTERRUPTED == 130, text
    assert out == b""
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.startswith("cqlmatch:")]
    assert len(lines) == 1 and lines[0].startswith("cqlmatch: interrupted: "), text
    read = int(lines[0].split("interrupted: ")[1].split(" lines")[0].replace(",", ""))
    assert read >= 20000  # at least the lines of the whole first copy


def test_a_closed_standard_output_ends_quietly(tmp_path, sample) -> None:
    events = tmp_path / "events.ndjson"
    events.write_bytes(sample)
    query = tmp_path / "q.cql"
    query.write_text("#event_simpleName=DnsRequest", encoding="utf-8")
    proc = subprocess.Popen(
        [*CQLMATCH, "run", str(query), str(events), "--format", "ndjson"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -n 1` does once it has its line
    err = proc.stderr.read()
    proc.stderr.close()
    proc.wait(timeout=120)
    assert first.startswith(b'{"')
    assert err == b""
    assert proc.returncode == 0


def test_head_in_a_shell_pipeline(tmp_path, sample) -> None:
    events = tmp_path / "events.ndjson"
    events.write_bytes(sample)
    query = tmp_path / "q.cql"
    query.write_text("#event_simpleName=DnsRequest | select([DomainName])", encoding="utf-8")
    command = " ".join(
        [
            *CQLMATCH,
            "run",
            str(query),
            str(events),
            "--format",
            "csv",
            "| head -n 3; echo status=${PIPESTATUS[0]} >&2",
        ]
    )
    proc = subprocess.run(
        ["bash", "-c", command], capture_output=True, cwd=ROOT, timeout=120, check=False
    )
    assert proc.stdout.decode().splitlines()[0] == "DomainName"
    assert len(proc.stdout.splitlines()) == 3
    assert proc.stderr.decode() == "status=0\n"

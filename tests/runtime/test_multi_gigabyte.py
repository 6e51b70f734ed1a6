"""Every streaming aggregate stage runs over a multi-gigabyte stream in
bounded memory: ``cqlmatch run QUERY -`` reads 2 GiB of events generated
on the fly (nothing stored) from a pipe, and its peak resident memory
(the kernel's high-water mark of the process) stays under a limit
(Reliability II: head(10) and count() took 3.2 GB over 740 MB, groupBy with
collect 3.4 GB)."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading

import pytest

#: Bytes of events fed to each run.
STREAM_BYTES = 2 << 30
#: Peak resident memory allowed to the whole process (the interpreter and
#: its modules take about 45 MiB of it; the runs here peak near 70 MiB).
PEAK_RSS = 100 << 20

#: Seconds a run may take before it is killed (about 10 s each here).
TIMEOUT = 300

HOSTS = 700  # distinct: 7919 is prime to 700


def chunk() -> bytes:
    """About 1 MiB of events: 700 hosts, a padding field the queries do
    not read (so a gigabyte is fewer, larger events, as in FDR data)."""
    lines = []
    pad = "x" * 1500
    for i in range(700):
        host, task, size = (i * 7919) % HOSTS, i % 37, (i * 31) % 1000
        lines.append(
            f'{{"event_simpleName":"ProcessRollup2","ComputerName":"host-{host}",'
            f'"CommandLine":"cmd.exe /c task-{task}","Size":"{size}","pad":"{pad}"}}\n'
        )
    return "".join(lines).encode()


def feed(stdin, total: int) -> None:
    block = chunk()
    sent = 0
    try:
        while sent < total:
            stdin.write(block)
            sent += len(block)
    except (BrokenPipeError, ValueError):
        pass  # the run stopped reading (head): fine
    finally:
        with contextlib.suppress(BrokenPipeError):
            stdin.close()


#: ``cqlmatch run QUERY -`` that then prints its peak resident memory.  The
#: peak is the kernel's VmHWM of this process image: the getrusage maximum
#: would also count the pages of the (large) test process it was forked
#: from, before exec.
_MEASURED_RUN = """
import sys
from cqlmatch.cli.commands import main
code = main(["run", sys.argv[1], "-", "--format", "ndjson"])
sys.stdout.flush()
with open("/proc/self/status") as status:
    hwm = next(line for line in status if line.startswith("VmHWM:"))
print("peak", hwm.split()[1], "kB", file=sys.stderr)
sys.exit(code)
"""


def run_stream(query: str, tmp_path) -> tuple[int, str, str, int]:
    """(exit status, stdout, stderr, peak RSS in bytes) of ``cqlmatch run``."""
    path = tmp_path / "q.cql"
    path.write_text(query, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", _MEASURED_RUN, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    writer = threading.Thread(target=feed, args=(proc.stdin, STREAM_BYTES), daemon=True)
    writer.start()
    out, err = [], []
    readers = [
        threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),
        threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True),
    ]
    for thread in readers:
        thread.start()
    watchdog = threading.Timer(TIMEOUT, proc.kill)  # never hang the suite
    watchdog.start()
    proc.wait()
    watchdog.cancel()
    for thread in (writer, *readers):
        thread.join(timeout=60)
    proc.stdout.close()
    proc.stderr.close()
    text = err[0].decode()
    peak = re.search(r"^peak (\d+) kB$", text, re.MULTILINE)
    assert peak is not None, text
    return proc.returncode, out[0].decode(), text, int(peak.group(1)) * 1024


CASES = {
    "head(10)": lambda rows: len(rows) == 10,
    "count()": lambda rows: len(rows) == 1 and int(rows[0].split('"')[3]) > 1_000_000,
    "sort(Size, limit=200)": lambda rows: len(rows) == 200 and '"Size":"999"' in rows[0],
    "groupBy([ComputerName], function=collect([CommandLine]))": lambda rows: len(rows) == HOSTS,
    "tail(10)": lambda rows: len(rows) == 10,
    "top(ComputerName, limit=5)": lambda rows: len(rows) == 5,
    "[count(), sum(Size), avg(Size), min(Size), max(Size)]": lambda rows: len(rows) == 1,
    "table([ComputerName, Size], sortby=Size, limit=20)": lambda rows: len(rows) == 20,
    "CommandLine=/task-1[0-9]/ | groupBy([ComputerName], function=[count(), sum(Size)])": (
        lambda rows: 0 < len(rows) <= HOSTS
    ),
}


@pytest.mark.parametrize("query", list(CASES))
def test_a_stage_over_two_gigabytes_stays_in_bounded_memory(query, tmp_path) -> None:
    status, out, err, peak = run_stream(query, tmp_path)
    assert status == 0, err
    rows = out.splitlines()
    assert CASES[query](rows), rows[:3]
    print(f"{query}: peak RSS {peak / 2**20:.0f} MiB")
    assert peak < PEAK_RSS, f"{query}: peak RSS {peak / 2**20:.0f} MiB"

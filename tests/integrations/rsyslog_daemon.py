"""rsyslog's real daemon in the foreground, on a private configuration:
what tests/integrations/test_rsyslog.py and bench/bench_rsyslog.py start.

The daemon is the one scripts/setup.sh unpacks into build/rsyslog (Debian's
rsyslog package conflicts with syslog-ng-core, which the syslog-ng tests
install), else an ``rsyslogd`` installed on the machine.  A configuration is
a file of examples/rsyslog/ as it is, only its paths changed, included from
a main configuration that sets a work directory (what a distribution's
/etc/rsyslog.conf does around a drop-in).  Every wait has a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "rsyslog"
RULE = ROOT / "rules" / "t1546_016.cql"
UNPACKED = ROOT / "build" / "rsyslog"
WAIT = 120.0  # seconds any one thing may take on a loaded machine

# What a test changes in an example: its paths, nothing else.
EVENTS_AT = "/var/log/falcon/events.ndjson"
CQLMATCH_AT = "/opt/cqlmatch/.venv/bin/cqlmatch"
RULE_AT = "/etc/cqlmatch/t1546_016.cql"
LOGS_AT = "/var/log/cqlmatch/"


def _daemon() -> tuple[Path, Path | None]:
    """rsyslogd and the folder of its modules (None: its own default)."""
    binary = UNPACKED / "usr" / "sbin" / "rsyslogd"
    if binary.exists():
        modules = sorted(UNPACKED.glob("usr/lib/*/rsyslog/omprog.so"))
        assert modules, f"{UNPACKED} has rsyslogd but no modules: run bash scripts/setup.sh"
        return binary, modules[0].parent
    installed = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    if not Path(installed).exists():
        pytest.fail(
            "rsyslogd not found: bash scripts/setup.sh unpacks Debian's rsyslog into "
            "build/rsyslog (docs/embedding.md, 'rsyslog')"
        )
    return Path(installed), None


def cqlmatch_command() -> Path:
    """The cqlmatch command of the environment running the tests."""
    script = Path(sys.executable).parent / "cqlmatch"
    found = script if script.exists() else shutil.which("cqlmatch")
    assert found, "the cqlmatch command is not installed (bash scripts/setup.sh)"
    return Path(found)


class Rsyslog:
    """One example configuration, run by the real daemon in ``folder``."""

    def __init__(self, example: str | Path, folder: Path, rule: Path = RULE) -> None:
        """``example``: a file of examples/rsyslog/ by name, or a configuration
        of the benchmarks by path (it may leave out some of the paths)."""
        self.binary, self.modules = _daemon()
        self.folder = folder
        self.events = folder / "events.ndjson"
        self.logs = folder / "out"
        self.logs.mkdir()
        (folder / "work").mkdir()
        source = example if isinstance(example, Path) else EXAMPLES / example
        text = source.read_text(encoding="utf-8")
        places = {
            EVENTS_AT: str(self.events),
            CQLMATCH_AT: str(cqlmatch_command()),
            RULE_AT: str(rule),
            LOGS_AT: f"{self.logs}/",
        }
        for placeholder, path in places.items():
            assert placeholder in text or source.parent != EXAMPLES, (
                f"{example} no longer names {placeholder}"
            )
            text = text.replace(placeholder, path)
        (folder / source.name).write_text(text, encoding="utf-8")
        # What a distribution's /etc/rsyslog.conf provides around a drop-in.
        self.config = folder / "rsyslog.conf"
        self.config.write_text(
            f'global(workDirectory="{folder / "work"}")\ninclude(file="{folder / source.name}")\n',
            encoding="utf-8",
        )
        self.output = folder / "rsyslogd.out"
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def command(self, *options: str) -> list[str]:
        modules = ["-M", str(self.modules)] if self.modules is not None else []
        return [str(self.binary), *options, "-f", str(self.config), *modules]

    def check_config(self) -> None:
        done = subprocess.run(
            self.command("-N1"), capture_output=True, text=True, timeout=WAIT, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        assert self.proc is None
        self.runs += 1
        pidfile = self.folder / f"rsyslogd.{self.runs}.pid"
        with self.output.open("ab") as out:
            self.proc = subprocess.Popen(
                self.command("-n", "-i", str(pidfile)),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its programs too: see kill()
            )
        self.wait_for(pidfile.exists, "rsyslogd to start")

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it: it must exit cleanly."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout=WAIT)
        finally:
            self.proc = None
        assert status == 0, f"rsyslogd exited with {status}:\n{self.said()}"

    def kill(self) -> None:
        """After a failed test: the daemon and the programs it started."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def said(self) -> str:
        """The daemon's own messages (in the foreground: on its standard error)."""
        return self.output.read_text(errors="replace") if self.output.exists() else ""

    def log(self, name: str) -> str:
        path = self.logs / name
        return path.read_text(errors="replace") if path.exists() else ""

    def log_after_stop(self, name: str, expected: str) -> str:
        """The log file ``name`` once it holds ``expected``, or as it is after
        WAIT seconds: rsyslogd may exit before the program it ran has
        written its last words (its summary on end of input)."""
        deadline = time.monotonic() + WAIT
        while expected not in (text := self.log(name)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return text

    def lines(self, name: str) -> list[str]:
        return self.log(name).splitlines()

    def write(self, lines: list[str]) -> None:
        with self.events.open("a", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in lines)

    def wait_for(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not ready():
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"rsyslogd exited while waiting for {what}:\n{self.said()}")
            if time.monotonic() > deadline:
                logs = {p.name: p.read_text(errors="replace")[-2000:] for p in self.logs.iterdir()}
                raise AssertionError(f"no {what} within {WAIT} s:\n{self.said()}\n{logs}")
            time.sleep(0.1)

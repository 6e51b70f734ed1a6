"""A real syslog-ng daemon, run in the foreground on a private configuration
from examples/syslog-ng/ (only its paths replaced), with its own persist
file, pid file and control socket in a temporary directory."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import ROOT

EXAMPLES = ROOT / "examples" / "syslog-ng"
START_SECONDS = 60  # the daemon answers its control socket (a loaded machine: rules compile)
WAIT_SECONDS = 120  # it has read every line
STOP_SECONDS = 60  # it has exited after SIGTERM


def daemon_binary() -> str:
    """syslog-ng with its Python module; scripts/setup.sh installs both when
    it runs as root (CI), so only a user's unprivileged setup may lack them."""
    found = shutil.which("syslog-ng") or shutil.which("syslog-ng", path="/usr/sbin:/sbin")
    modules = list(Path("/usr/lib/syslog-ng").glob("*/libmod-python*.so"))
    if found and modules:
        return found
    missing = "syslog-ng" if not found else "syslog-ng-mod-python"
    if os.geteuid() == 0:
        pytest.fail(f"{missing} is not installed: scripts/setup.sh installs it as root")
    pytest.skip(f"{missing} is not installed (as root: bash scripts/setup.sh)")


def daemon_python() -> str:
    """The Python version the daemon embeds (its module's ABI tag, ``311``)."""
    for module in Path("/usr/lib/syslog-ng").glob("*/libmod-python.cpython-*.so"):
        match = re.search(r"cpython-(\d)(\d+)", module.name)
        if match:
            return f"{match[1]}.{match[2]}"
    return "?"


def pythonpath() -> str:
    """What the daemon's Python needs to import cqlmatch from this checkout:
    the source tree (an editable install's .pth files are not read from
    PYTHONPATH) and the virtualenv's site-packages (msgspec, pyre2, ...)."""
    site = sysconfig.get_paths()
    return os.pathsep.join(dict.fromkeys([str(ROOT / "src"), site["purelib"], site["platlib"]]))


def cli(*args: str, timeout: float = 300) -> str:
    """``cqlmatch ARGS`` (this checkout's), its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "cqlmatch", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"cqlmatch {' '.join(args)}: {done.stderr}"
    return done.stdout


class SyslogNg:
    """One daemon on ``config`` (an examples/syslog-ng file) whose paths are
    replaced by those in ``paths``."""

    def __init__(
        self,
        home: Path,
        config: str,
        paths: dict[str, Path | str],
        env: dict[str, str] | None = None,
        text: str | None = None,
    ) -> None:
        """``text``: the configuration itself, when it is not the example file
        ``config`` (the benchmark's variants of one)."""
        self.binary = daemon_binary()
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        if text is None:
            text = (EXAMPLES / config).read_text(encoding="utf-8")
        for old, new in paths.items():
            assert old in text, f"{config} has no {old}"
            text = text.replace(old, str(new))
        self.config = home / "syslog-ng.conf"
        self.config.write_text(text, encoding="utf-8")
        self.control = home / "syslog-ng.ctl"
        self.log_path = home / "daemon.log"
        self.env = {**os.environ, "PYTHONPATH": pythonpath(), **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            self.binary,
            "--foreground",
            "--stderr",
            "--no-caps",
            f"--cfgfile={self.config}",
            f"--persist-file={self.home / 'syslog-ng.persist'}",
            f"--pidfile={self.home / 'syslog-ng.pid'}",
            f"--control={self.control}",
        ]

    def start(self) -> None:
        """Start it and wait until its control socket answers; fail with its
        log when it exits first or never answers."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.env
            )
        deadline = time.monotonic() + START_SECONDS
        while self.stats() is None:
            if self.process.poll() is not None:
                pytest.fail(f"syslog-ng exited ({self.process.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"syslog-ng did not answer in {START_SECONDS} s:\n{self.log()}")
            time.sleep(0.2)

    def start_failing(self) -> int:
        """Start it on a configuration it must refuse: its exit status (it
        must exit by itself, in time)."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.env
            )
        try:
            return self.process.wait(START_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"syslog-ng started on a configuration it should refuse:\n{self.log()}")

    def stats(self) -> dict[str, int] | None:
        """The daemon's counters (``source.s_falcon.processed``: ...), read
        from its control socket as ``syslog-ng-ctl stats`` does, or None
        when it does not answer."""
        if not self.control.exists():
            return None
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
                control.settimeout(10)
                control.connect(str(self.control))
                control.sendall(b"STATS\n")
                answer = b""
                while not answer.endswith(b"\n.\n"):
                    data = control.recv(65536)
                    if not data:
                        break
                    answer += data
        except OSError:
            return None
        counters = {}
        for line in answer.decode("utf-8", "replace").splitlines()[1:]:
            parts = line.split(";")
            if len(parts) == 6 and parts[5].isdigit():
                kind, name, instance, _state, what, number = parts
                counters[".".join(p for p in (kind, name, instance, what) if p)] = int(number)
        return counters or None

    def wait_read(self, lines: int, source: str = "s_falcon") -> None:
        """Until the source has passed on ``lines`` messages in all."""
        key = f"source.{source}.processed"
        deadline = time.monotonic() + WAIT_SECONDS
        seen = None
        while time.monotonic() < deadline:
            stats = self.stats() or {}
            seen = stats.get(key)
            if seen is not None and seen >= lines:
                return
            assert self.process is not None and self.process.poll() is None, self.log()
            time.sleep(0.2)
        pytest.fail(f"syslog-ng read {seen} of {lines} lines in {WAIT_SECONDS} s:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM and wait for a clean exit (status 0)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"syslog-ng did not stop in {STOP_SECONDS} s:\n{self.log()}")
        assert status == 0, f"syslog-ng exited with {status}:\n{self.log()}"

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[list[SyslogNg]]:
    """Daemons a test starts (append them); killed if the test left them running."""
    started: list[SyslogNg] = []
    yield started
    for daemon in started:
        daemon.kill()


def read_json_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

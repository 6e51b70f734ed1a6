"""rsyslog's real daemon running cqlmatch with the shipped configurations.

Each test starts ``rsyslogd -n`` (in the foreground, its own session) on a
private main configuration that sets a work directory and includes one file
of examples/rsyslog/ as it is, only its paths changed; feeds it generated
Falcon events through ``imfile``; stops it with SIGTERM; and compares what
came out with ``cqlmatch run`` over the same events: the same events kept,
with the same assigned fields.  Every wait has a deadline, so a daemon or a
plugin that never answers fails the test instead of hanging it.

The daemon is the one scripts/setup.sh unpacks into build/rsyslog (Debian's
rsyslog package conflicts with syslog-ng-core, which the syslog-ng tests
install), else an ``rsyslogd`` installed on the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cqlmatch.synth.gen import generate_lines

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

NOT_JSON = "this message is not JSON"


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


def _cqlmatch() -> Path:
    """The cqlmatch command of the environment running the tests."""
    script = Path(sys.executable).parent / "cqlmatch"
    found = script if script.exists() else shutil.which("cqlmatch")
    assert found, "the cqlmatch command is not installed (bash scripts/setup.sh)"
    return Path(found)


class Rsyslog:
    """One example configuration, run by the real daemon in ``folder``."""

    def __init__(self, example: str, folder: Path, rule: Path = RULE) -> None:
        self.binary, self.modules = _daemon()
        self.folder = folder
        self.events = folder / "events.ndjson"
        self.logs = folder / "out"
        self.logs.mkdir()
        (folder / "work").mkdir()
        text = (EXAMPLES / example).read_text(encoding="utf-8")
        places = {
            EVENTS_AT: str(self.events),
            CQLMATCH_AT: str(_cqlmatch()),
            RULE_AT: str(rule),
            LOGS_AT: f"{self.logs}/",
        }
        for placeholder, path in places.items():
            assert placeholder in text, f"{example} no longer names {placeholder}"
            text = text.replace(placeholder, path)
        (folder / example).write_text(text, encoding="utf-8")
        # What a distribution's /etc/rsyslog.conf provides around a drop-in.
        self.config = folder / "rsyslog.conf"
        self.config.write_text(
            f'global(workDirectory="{folder / "work"}")\ninclude(file="{folder / example}")\n',
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


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Callable[..., Rsyslog]]:
    made: list[Rsyslog] = []

    def make(example: str, rule: Path = RULE) -> Rsyslog:
        folder = tmp_path / f"{Path(example).stem}-{len(made)}"
        folder.mkdir()
        made.append(Rsyslog(example, folder, rule))
        return made[-1]

    yield make
    for daemon in made:
        daemon.kill()


def _events(count: int, seed: int) -> list[str]:
    """Generated Falcon events, planted with the seed rule's scenarios."""
    return [
        line.decode().rstrip("\n") for line in generate_lines(count, seed=seed, malicious_rate=0.05)
    ]


def _run(events: list[str], folder: Path) -> dict[str, dict[str, str]]:
    """``cqlmatch run`` of the rule's per-event part over ``events``: the
    fields it assigned to each event it kept, by event id.  (The rule ends
    in groupBy and sort; a shipper's stream matches event by event.)"""
    text = RULE.read_text(encoding="utf-8")
    cut = text.index("| groupBy(")
    per_event = folder / "per_event.cql"
    per_event.write_text(text[:cut], encoding="utf-8")
    data = folder / "expected-input.ndjson"
    data.write_text("".join(e + "\n" for e in events), encoding="utf-8")
    done = subprocess.run(
        [str(_cqlmatch()), "run", str(per_event), str(data), "--format", "ndjson"],
        capture_output=True,
        timeout=WAIT,
        check=True,
    )
    originals = {e["id"]: e for e in map(json.loads, events) if "id" in e}
    expected = {}
    for row in map(json.loads, done.stdout.splitlines()):
        original = originals[row["id"]]
        # run's rows are LogScale fields: every value a string.
        expected[row["id"]] = {k: v for k, v in row.items() if _text(original.get(k)) != v}
    assert len(expected) >= 10, "too few hits to compare: change the seed or the rate"
    return expected


def _text(value: object) -> str | None:
    """A JSON value as the LogScale field's text (None: no such field)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _assigned(event: dict, out: dict) -> dict:
    """The fields ``out`` has that ``event`` had not, or had otherwise."""
    return {k: v for k, v in out.items() if event.get(k) != v}


def _parts(folder: Path) -> tuple[list[str], list[str], dict[str, dict[str, str]]]:
    """Two batches of events, each ending in a line that is not JSON, and
    what ``cqlmatch run`` keeps of both."""
    events = _events(1600, seed=11)
    first, second = events[:900], events[900:]
    return [*first, NOT_JSON], [*second, NOT_JSON], _run(events, folder)


def test_omprog_agrees_with_run_across_a_restart(rsyslog, tmp_path: Path) -> None:
    daemon = rsyslog("omprog.conf")
    daemon.check_config()
    first, second, expected = _parts(tmp_path)
    kept_first = sum(1 for e in first[:-1] if json.loads(e)["id"] in expected)

    daemon.write(first)
    daemon.start()
    # The line that is not JSON comes last: once it is reported, all were read.
    daemon.wait_for(lambda: f"message {len(first)}: " in daemon.log("cqlmatch.log"), "report")
    daemon.wait_for(lambda: len(daemon.lines("hits.ndjson")) >= kept_first, "hits")
    daemon.stop()
    summary = f"{len(first)} message(s), {kept_first} kept, 1 malformed"
    assert summary in daemon.log("cqlmatch.log")

    # Restarted, it goes on where it stopped: nothing read twice, nothing lost.
    daemon.write(second)
    daemon.start()
    daemon.wait_for(lambda: f"message {len(second)}: " in daemon.log("cqlmatch.log"), "report")
    daemon.wait_for(lambda: len(daemon.lines("hits.ndjson")) >= len(expected), "hits")
    daemon.stop()
    summary = f"{len(second)} message(s), {len(expected) - kept_first} kept, 1 malformed"
    assert summary in daemon.log("cqlmatch.log")

    originals = {e["id"]: e for e in map(json.loads, first[:-1] + second[:-1])}
    hits = [json.loads(line) for line in daemon.lines("hits.ndjson")]
    assert len(hits) == len(expected)  # each once
    got = {hit["id"]: _assigned(originals[hit["id"]], hit) for hit in hits}
    assert got == expected
    # The events themselves come back whole.
    assert all({k: hit[k] for k in originals[hit["id"]]} == originals[hit["id"]] for hit in hits)
    # Standard output carried the confirmations only; the daemon had nothing to say.
    assert "cqlmatch" not in daemon.said(), daemon.said()


def test_mmexternal_agrees_with_run_across_a_restart(rsyslog, tmp_path: Path) -> None:
    daemon = rsyslog("mmexternal.conf")
    daemon.check_config()
    first, second, expected = _parts(tmp_path)
    kept_first = sum(1 for e in first[:-1] if json.loads(e)["id"] in expected)

    daemon.write(first)
    daemon.start()
    daemon.wait_for(lambda: len(daemon.lines("not-events.log")) == 1, "the rejected message")
    daemon.wait_for(lambda: len(daemon.lines("hits.ndjson")) >= kept_first, "hits")
    daemon.stop()
    summary = f"{len(first)} message(s), {kept_first} kept, 1 malformed"
    assert summary in daemon.log("cqlmatch.log")

    daemon.write(second)
    daemon.start()
    daemon.wait_for(lambda: len(daemon.lines("not-events.log")) == 2, "the rejected message")
    daemon.wait_for(lambda: len(daemon.lines("hits.ndjson")) >= len(expected), "hits")
    daemon.stop()
    summary = f"{len(second)} message(s), {len(expected) - kept_first} kept, 1 malformed"
    assert summary in daemon.log("cqlmatch.log")

    originals = {e["id"]: e for e in map(json.loads, first[:-1] + second[:-1])}
    hits = [json.loads(line) for line in daemon.lines("hits.ndjson")]
    assert len(hits) == len(expected)
    assert all(hit["event"] == originals[hit["event"]["id"]] for hit in hits)
    assert all(hit["cql"]["hit"] == 1 for hit in hits)
    assert {hit["event"]["id"]: hit["cql"]["fields"] for hit in hits} == expected
    # The message that is not JSON was routed on $!cql!error, with the reason.
    for rejected in daemon.lines("not-events.log"):
        reason, _, message = rejected.partition("\t")
        assert message == NOT_JSON and reason
    assert "mmexternal" not in daemon.said(), daemon.said()  # every reply was valid


@pytest.mark.parametrize("example", ["omprog.conf", "mmexternal.conf"])
def test_a_rule_that_does_not_compile_is_reported_and_the_daemon_runs_on(
    rsyslog, tmp_path: Path, example: str
) -> None:
    bad = tmp_path / "bad.cql"
    bad.write_text("#event_simpleName=ProcessRollup2 | EventType := \n", encoding="utf-8")
    daemon = rsyslog(example, rule=bad)
    daemon.check_config()
    daemon.write(_events(20, seed=3))
    daemon.start()
    reason = "bad.cql:1:48: error E100"
    if example == "omprog.conf":
        # In cqlmatch's log (omprog's output file); rsyslog says the program failed.
        daemon.wait_for(lambda: reason in daemon.log("cqlmatch.log"), "the compile error")
        daemon.wait_for(lambda: "omprog" in daemon.said(), "rsyslog's report")
    else:
        # mmexternal reads the program's standard error: rsyslog logs the line.
        daemon.wait_for(lambda: reason in daemon.said(), "the compile error")
    assert daemon.proc is not None and daemon.proc.poll() is None  # still running
    daemon.stop()
    assert "Traceback" not in daemon.said() + daemon.log("cqlmatch.log")
    assert daemon.lines("hits.ndjson") == []

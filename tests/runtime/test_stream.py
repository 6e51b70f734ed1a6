"""``cqlmatch stream`` driven the way a log shipper drives it: a child
process fed lines interactively, its answers read back with a timeout."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.lang.events import Event
from cqlmatch.runtime.stream import output_line

ROOT = Path(__file__).resolve().parents[2]
RULE = ROOT / "rules" / "t1546_016.cql"

CHILD = {
    "event_simpleName": "ProcessRollup2",
    "ParentBaseFileName": "msiexec.exe",
    "FileName": "cmd.exe",
    "CommandLine": "cmd /c whoami",
    "ComputerName": "WKS-1",
    "UserName": "alice",
    "aid": "a1",
}
CRADLE = {**CHILD, "FileName": "powershell.exe", "CommandLine": "iex (New-Object Net.WebClient)"}
BENIGN = {**CHILD, "ParentBaseFileName": "explorer.exe"}
DNS = {"event_simpleName": "DnsRequest", "DomainName": "example.com", "aid": "a1"}


def line(event: dict) -> bytes:
    return json.dumps(event).encode() + b"\n"


class Child:
    """``cqlmatch stream`` as a shipper's child process."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cqlmatch", "stream", str(RULE), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)
        self.pending = b""

    def send(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_line(self, timeout: float = 60.0) -> bytes:
        """One output line, or fail after ``timeout`` seconds (the output
        must arrive without the input being closed: line buffering)."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                raise AssertionError(f"no output line within {timeout} s")
            chunk = os.read(self.proc.stdout.fileno(), 65536)  # type: ignore[union-attr]
            if not chunk:
                raise AssertionError("stream closed its output")
            self.pending += chunk
        first, _, self.pending = self.pending.partition(b"\n")
        return first

    def nothing_within(self, seconds: float) -> bool:
        return b"\n" not in self.pending and not self.selector.select(seconds)

    def finish(self, timeout: float = 60.0) -> tuple[int, bytes, str]:
        """Wait for the exit; the rest of standard output and standard error."""
        out, err = self.proc.communicate(timeout=timeout)
        self.selector.close()
        return self.proc.returncode, self.pending + out, err.decode()

    def close_input(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.stdin = None  # communicate() must not flush it


@pytest.fixture
def child():
    made: list[Child] = []

    def make(*args: str) -> Child:
        made.append(Child(*args))
        return made[-1]

    yield make
    for c in made:
        if c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait()


def test_each_line_comes_back_before_the_next_is_written_then_sigterm_loses_nothing(
    child,
) -> None:
    stream = child()
    stream.send(line(CHILD))
    first = json.loads(stream.read_line())
    assert first == {**CHILD, "EventType": "INSTALLER_SCRIPT_CHILD", "RemoteAddressIP4": "-"}
    stream.send(line(DNS) + line(BENIGN))  # both dropped: no output
    stream.send(line(CRADLE))
    assert json.loads(stream.read_line())["EventType"] == "INSTALLER_DOWNLOAD_CRADLE"
    stream.send(b"not json\n")
    stream.send(line(CHILD)[:40])  # half a line, then the rest
    assert stream.nothing_within(0.5)
    stream.send(line(CHILD)[40:])
    assert json.loads(stream.read_line())["EventType"] == "INSTALLER_SCRIPT_CHILD"
    # A last line without its line feed, then SIGTERM: it is matched, flushed, exit 0.
    stream.send(line(CRADLE)[:-1])
    time.sleep(0.3)
    stream.proc.send_signal(signal.SIGTERM)
    status, rest, err = stream.finish()
    assert status == 0
    assert [json.loads(x)["EventType"] for x in rest.splitlines()] == ["INSTALLER_DOWNLOAD_CRADLE"]
    assert "cqlmatch stream: line 5: " in err  # the malformed line, with its number
    assert "7 line(s), 4 kept, 1 malformed" in err


def test_aggregates_are_written_periodically_and_at_eof(child) -> None:
    stream = child("--aggregate-every", "0.5")
    stream.send(line(CHILD) + line(CHILD) + line(DNS))
    rows = [json.loads(stream.read_line())]
    assert rows[0]["EventCount"] == "2" and rows[0]["EventType"] == "INSTALLER_SCRIPT_CHILD"
    stream.send(line(CRADLE) + line(CHILD))
    time.sleep(0.2)
    stream.close_input()  # EOF: the rows of the last window are flushed
    status, rest, _err = stream.finish()
    assert status == 0
    window = sorted((r["EventType"], r["EventCount"]) for r in map(json.loads, rest.splitlines()))
    # Windows cover the events since the previous write; the last one may
    # have been split by a timer tick, so add the windows up.
    totals: dict[str, int] = {}
    for event_type, count in window:
        totals[event_type] = totals.get(event_type, 0) + int(count)
    assert totals == {"INSTALLER_DOWNLOAD_CRADLE": 1, "INSTALLER_SCRIPT_CHILD": 1}


def test_whole_files_through_stream_equal_run(tmp_path: Path) -> None:
    from cqlmatch.synth.gen import generate_lines

    data = b"".join(generate_lines(3000, seed=4, malicious_rate=0.02))
    events = [json.loads(x) for x in data.splitlines()]
    done = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", str(RULE)],
        input=data,
        capture_output=True,
        check=True,
    )
    compiled = cqlmatch.compile(RULE.read_text())
    kept = [json.loads(x) for x in done.stdout.splitlines()]
    expected = [(e, out) for e in events if (out := compiled.match(e)) is not None]
    assert len(kept) == len(expected) > 0
    for got, (event, fields) in zip(kept, expected, strict=True):
        assert got == {**event, **{k: v for k, v in fields.items() if k not in event}}
    rows = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", str(RULE), "--aggregate-every", "3600"],
        input=data,
        capture_output=True,
        check=True,
    )
    assert [json.loads(x) for x in rows.stdout.splitlines()] == compiled.run(events)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    plain = tmp_path / "plain.cql"
    plain.write_text("FileName=cmd.exe")
    for args, message in [
        ([str(plain), "--aggregate-every", "5"], "needs a query with an aggregate stage"),
        ([str(RULE), "--aggregate-every", "0"], "needs a positive number"),
        (["-"], "standard input carries the events"),
    ]:
        done = subprocess.run(
            [sys.executable, "-m", "cqlmatch", "stream", *args],
            input=b"",
            capture_output=True,
            check=False,
        )
        assert done.returncode == 2, args
        assert message in done.stderr.decode()


def test_output_line_keeps_the_input_text_and_appends_assigned_fields() -> None:
    raw = b'{"a": 1.50, "s": "\\u0041"}  '
    fields = {"a": "1.50", "s": "A"}
    assert output_line(raw, fields, Event({**fields, "T": "x"})) == (
        b'{"a": 1.50, "s": "\\u0041","T":"x"}'
    )
    assert output_line(b"{}", {}, Event({"T": "é"})) == '{"T":"é"}'.encode()
    assert output_line(raw, fields, Event(fields)) == raw.strip()
    # A changed or removed field: the line is decoded and written again.
    assert json.loads(output_line(raw, fields, Event({"a": "2", "s": "A"}))) == {
        "a": "2",
        "s": "A",
    }
    assert json.loads(output_line(raw, fields, Event({"s": "A"}))) == {"s": "A"}


def test_output_line_removes_dropped_fields_from_nested_objects() -> None:
    raw = b'{"a": "1", "x": {"secret": "s", "keep": 2}, "y": [{"p": "q"}, "z"]}'
    fields = {"a": "1", "x.secret": "s", "x.keep": "2", "y[0].p": "q", "y[1]": "z"}
    dropped = {k: v for k, v in fields.items() if k != "x.secret"}
    assert json.loads(output_line(raw, fields, Event(dropped))) == {
        "a": "1",
        "x": {"keep": 2},
        "y": [{"p": "q"}, "z"],
    }
    assert json.loads(output_line(raw, fields, Event({"a": "1", "y[1]": "z"}))) == {
        "a": "1",
        "y": [None, "z"],
    }
    changed = {**fields, "x.secret": "r", "T": "t"}
    assert json.loads(output_line(raw, fields, Event(changed))) == {
        "a": "1",
        "x": {"secret": "r", "keep": 2},
        "y": [{"p": "q"}, "z"],
        "T": "t",
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("drop([x.secret])", {"a": "1", "x": {"keep": "k"}, "b": "2"}),
        ("select([a, x.keep])", {"a": "1", "x": {"keep": "k"}}),
        ("a=1 | select([a])", {"a": "1"}),
    ],
)
def test_stream_never_writes_a_dropped_nested_field(
    tmp_path: Path, query: str, expected: dict
) -> None:
    rule = tmp_path / "q.cql"
    rule.write_text(query + "\n", encoding="utf-8")
    event = {"a": "1", "x": {"secret": "s", "keep": "k"}, "b": "2"}
    done = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", str(rule)],
        input=line(event) * 2,
        capture_output=True,
        check=True,
    )
    assert [json.loads(x) for x in done.stdout.splitlines()] == [expected, expected]
    assert b"secret" not in done.stdout or "secret" in json.dumps(expected)

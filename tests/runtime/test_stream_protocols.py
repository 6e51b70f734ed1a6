"""``cqlmatch stream --protocol omprog|mmexternal``, driven as rsyslog drives
them (its plugins/external/INTERFACE.md): one message written, its reply
read back with a timeout, before the next is written.  And what every
protocol promises: standard output carries its lines only, ``--quiet``
empties standard error, a query that cannot stream is one line and status 2.
tests/integrations/test_rsyslog.py runs the same against the real daemon."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULE = ROOT / "rules" / "t1546_016.cql"

CHILD = {
    "event_simpleName": "ProcessRollup2",
    "ParentBaseFileName": "msiexec.exe",
    "FileName": "cmd.exe",
    "CommandLine": "cmd /c whoami",
    "ComputerName": "WKS-1",
    "aid": "a1",
}
ASSIGNED = {"EventType": "INSTALLER_SCRIPT_CHILD", "UserName": "-", "RemoteAddressIP4": "-"}
CRADLE = {**CHILD, "FileName": "powershell.exe", "CommandLine": "iex (New-Object Net.WebClient)"}
DNS = {"event_simpleName": "DnsRequest", "DomainName": "example.com", "aid": "a1"}


def text(event: dict) -> str:
    return json.dumps(event)


def rsyslog_object(message: str) -> bytes:
    """What mmexternal writes with interface.input="fulljson": rsyslog's
    message object (rsyslog spaces it this way), the event in ``msg``."""
    envelope = {"msg": message, "rawmsg": message, "hostname": "h", "$!": {"metadata": {}}}
    return json.dumps(envelope, separators=(", ", ": ")).encode() + b"\n"


class Plugin:
    """``cqlmatch stream`` as rsyslog's child: write, then read the reply."""

    def __init__(self, *args: str, rule: Path = RULE) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cqlmatch", "stream", str(rule), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)
        self.pending = b""

    def reply(self, timeout: float = 60.0) -> bytes:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.pending:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                raise AssertionError(f"no reply within {timeout} s")
            chunk = os.read(self.proc.stdout.fileno(), 65536)  # type: ignore[union-attr]
            if not chunk:
                raise AssertionError("the plugin closed its output")
            self.pending += chunk
        first, _, self.pending = self.pending.partition(b"\n")
        return first

    def ask(self, data: bytes) -> bytes:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()
        return self.reply()

    def close(self, timeout: float = 60.0) -> tuple[int, bytes, str]:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.stdin = None
        out, err = self.proc.communicate(timeout=timeout)
        self.selector.close()
        return self.proc.returncode, self.pending + out, err.decode()


@pytest.fixture
def plugin():
    made: list[Plugin] = []

    def make(*args: str, **kwargs: Path) -> Plugin:
        made.append(Plugin(*args, **kwargs))
        return made[-1]

    yield make
    for p in made:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait()


def test_omprog_confirms_each_message_after_writing_its_output(plugin, tmp_path: Path) -> None:
    hits = tmp_path / "hits.ndjson"
    hits.write_bytes(b'{"earlier":"line"}\n')  # appended to, never truncated
    p = plugin("--protocol", "omprog", "--output", str(hits))
    assert p.reply() == b"OK"  # ready: the rule compiled
    assert p.ask(text(CHILD).encode() + b"\n") == b"OK"
    # Confirmed means written: the hit is in the file when OK arrives.
    assert [json.loads(x) for x in hits.read_bytes().splitlines()] == [
        {"earlier": "line"},
        {**CHILD, **ASSIGNED},
    ]
    assert p.ask(text(DNS).encode() + b"\n") == b"OK"  # dropped
    assert p.ask(b"not json\n") == b"OK"  # reported, and not sent again
    status, rest, err = p.close()
    assert status == 0 and rest == b""
    assert len(hits.read_bytes().splitlines()) == 2
    assert "cqlmatch stream: message 3: " in err
    assert "3 message(s), 1 kept, 1 malformed" in err


def test_omprog_transactions_write_on_commit(plugin, tmp_path: Path) -> None:
    hits = tmp_path / "hits.ndjson"
    p = plugin("--protocol", "omprog", "--output", str(hits))
    assert p.reply() == b"OK"
    assert p.ask(b"BEGIN TRANSACTION\n") == b"OK"
    for event in (CHILD, DNS, CRADLE):
        assert p.ask(text(event).encode() + b"\n") == b"DEFER_COMMIT"
    assert p.ask(b"not json\n") == b"DEFER_COMMIT"
    assert not hits.exists() or hits.read_bytes() == b""  # nothing before the commit
    assert p.ask(b"COMMIT TRANSACTION\n") == b"OK"
    kinds = [json.loads(x)["EventType"] for x in hits.read_bytes().splitlines()]
    assert kinds == ["INSTALLER_SCRIPT_CHILD", "INSTALLER_DOWNLOAD_CRADLE"]
    # A transaction cut short (rsyslog stopped, or will send it again): not written.
    assert p.ask(b"BEGIN TRANSACTION\n") == b"OK"
    assert p.ask(text(CHILD).encode() + b"\n") == b"DEFER_COMMIT"
    status, rest, err = p.close()
    assert status == 0 and rest == b""
    assert len(hits.read_bytes().splitlines()) == 2
    assert "1 output line(s) of a transaction that was not committed" in err
    assert "5 message(s), 3 kept, 1 malformed" in err  # the marks are not messages


@pytest.mark.parametrize("protocol", ["omprog", "mmexternal"])
def test_a_rule_that_does_not_compile_is_one_line_in_place_of_the_first_reply(
    plugin, tmp_path: Path, protocol: str
) -> None:
    bad = tmp_path / "bad.cql"
    bad.write_text("FileName=cmd.exe | x := \n", encoding="utf-8")
    args = ["--output", str(tmp_path / "hits")] if protocol == "omprog" else []
    p = plugin("--protocol", protocol, *args, rule=bad)
    status, out, err = p.close()
    # omprog: no OK but the reason, which rsyslog logs (reportFailures="on")
    # before retrying later.  mmexternal: standard error is its reply pipe.
    assert status == 1
    assert err.count("\n") == 1 and "bad.cql:1:" in err and "error E100" in err
    assert out == (err.encode() if protocol == "omprog" else b"")
    assert not (tmp_path / "hits").exists()


def test_mmexternal_replies_once_per_message_in_order(plugin, tmp_path: Path) -> None:
    log = tmp_path / "cqlmatch.log"
    p = plugin("--protocol", "mmexternal", "--max-line-bytes", "2000", "--log", str(log))
    assert json.loads(p.ask(rsyslog_object(text(CHILD)))) == {
        "$!": {"cql": {"hit": 1, "fields": ASSIGNED}}
    }
    assert json.loads(p.ask(rsyslog_object(text(DNS)))) == {"$!": {"cql": {"hit": 0}}}
    # rsyslog's msg of a syslog message may start with a space.
    cradle = json.loads(p.ask(rsyslog_object(" " + text(CRADLE))))["$!"]["cql"]
    assert cradle["hit"] == 1 and cradle["fields"]["EventType"] == "INSTALLER_DOWNLOAD_CRADLE"
    # Each message that is not an event still gets its one reply, with the reason.
    bad = json.loads(p.ask(rsyslog_object("not json")))["$!"]["cql"]
    assert bad["hit"] == 0 and bad["error"]
    unset = json.loads(p.ask(text(CHILD).encode() + b"\n"))["$!"]["cql"]
    assert unset["hit"] == 0 and 'interface.input="fulljson"' in unset["error"]
    overlong = rsyslog_object(text({**CHILD, "CommandLine": "x" * 3000}))
    too_long = json.loads(p.ask(overlong))["$!"]["cql"]
    assert too_long["hit"] == 0 and "longer than the limit" in too_long["error"]
    # ... and the next message is answered as itself.
    assert json.loads(p.ask(rsyslog_object(text(CHILD))))["$!"]["cql"]["hit"] == 1
    status, rest, err = p.close()
    # mmexternal reads standard error as replies: nothing may go there.
    assert status == 0 and rest == b"" and err == ""
    logged = log.read_text()
    assert "warning W330" in logged  # the rule's own warnings
    assert "message 4: " in logged and "message 5: " in logged and "message 6: " in logged
    assert "7 message(s), 3 kept, 3 malformed" in logged


def test_mmexternal_reports_removed_fields_and_pack_hits(tmp_path: Path) -> None:
    rule = tmp_path / "q.cql"
    rule.write_text('FileName=cmd.exe | drop([aid]) | Tag := "t"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", str(rule), "--protocol", "mmexternal"],
        input=rsyslog_object(text(CHILD)) + rsyslog_object(text(DNS)),
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert [json.loads(x)["$!"]["cql"] for x in done.stdout.splitlines()] == [
        {"hit": 1, "fields": {"Tag": "t"}, "removed": ["aid"]},
        {"hit": 0},
    ]
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "cmd.cql").write_text("FileName=cmd.exe\n", encoding="utf-8")
    (pack / "wks.cql").write_text('ComputerName=WKS-1 | Where := "desk"\n', encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cqlmatch",
            "stream",
            "--pack",
            str(pack),
            "--protocol",
            "mmexternal",
        ],
        input=rsyslog_object(text(CHILD)) + rsyslog_object(text(DNS)),
        capture_output=True,
        timeout=120,
        check=True,
    )
    first, second = (json.loads(x)["$!"]["cql"] for x in done.stdout.splitlines())
    assert first["hit"] == 2 and second == {"hit": 0}
    by_rule = {hit["fields"]["rule.id"]: hit["fields"] for hit in first["hits"]}
    assert set(by_rule) == {"cmd", "wks"} and by_rule["wks"]["Where"] == "desk"


def test_standard_output_is_protocol_only_and_quiet_empties_standard_error(tmp_path) -> None:
    """omprog without confirmMessages sends standard output and standard
    error to one file: with --quiet it holds nothing but events."""
    data = (text(CHILD) + "\nnot json\n" + text(DNS) + "\n" + text(CRADLE) + "\n").encode()
    both = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", str(RULE), "--quiet"],
        input=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=120,
        check=True,
    )
    assert [json.loads(x)["EventType"] for x in both.stdout.splitlines()] == [
        "INSTALLER_SCRIPT_CHILD",
        "INSTALLER_DOWNLOAD_CRADLE",
    ]
    loud = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", str(RULE)],
        input=data,
        capture_output=True,
        timeout=120,
        check=True,
    )
    # The rule's warnings (W330...), the bad line and the summary: all on standard error.
    assert loud.stdout == b"".join(x + b"\n" for x in both.stdout.splitlines())
    assert "warning W330" in loud.stderr.decode() and "line 2: " in loud.stderr.decode()
    assert "4 line(s), 2 kept, 1 malformed" in loud.stderr.decode()
    for protocol in ("omprog", "mmexternal"):
        extra = ["--output", str(tmp_path / "o")] if protocol == "omprog" else []
        quiet = subprocess.run(
            [
                sys.executable,
                "-m",
                "cqlmatch",
                "stream",
                str(RULE),
                "-q",
                "--protocol",
                protocol,
                *extra,
            ],
            input=rsyslog_object("not json") if protocol == "mmexternal" else b"not json\n",
            capture_output=True,
            timeout=120,
            check=True,
        )
        assert quiet.stderr == b"", protocol
        assert len(quiet.stdout.splitlines()) == (2 if protocol == "omprog" else 1)


JOIN = (
    "#event_simpleName=ProcessRollup2 "
    "| join({#event_simpleName=NetworkConnectIP4}, field=aid, include=[RemoteAddressIP4])\n"
)
DEFINE = (
    'defineTable(query={#event_simpleName=ProcessRollup2}, name="t", include=[aid]) '
    '| #event_simpleName=NetworkConnectIP4 | match(table="t", field=aid)\n'
)


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [
        ({"q.cql": JOIN}, ["q.cql"], "cannot stream; run it with cqlmatch run"),
        ({"q.cql": DEFINE}, ["q.cql"], "cannot stream; run it with cqlmatch run"),
        ({"p/a.cql": JOIN}, ["--pack", "p"], "cannot run on events as they come: a"),
        ({"p/d.cql": DEFINE}, ["--pack", "p"], "cannot run on events as they come: d"),
        ({"q.cql": JOIN}, ["q.cql", "--protocol", "mmexternal"], "cannot stream"),
        ({}, ["-"], "standard input carries the events"),
        ({}, [], "give a query file, or a pack with --pack"),
        ({"q.cql": "x=1"}, ["q.cql", "--aggregate-every", "5"], "needs a query with an aggr"),
        ({"q.cql": "x=1"}, ["q.cql", "--aggregate-every", "0"], "needs a positive number"),
        ({"q.cql": "x=1"}, ["q.cql", "--max-line-bytes", "0"], "needs a positive number"),
        ({"q.cql": "x=1"}, ["q.cql", "--protocol", "omprog"], "needs --output FILE"),
        (
            {"q.cql": "x=1"},
            ["q.cql", "--protocol", "mmexternal", "--output", "o"],
            "--output is not used with --protocol mmexternal",
        ),
        (
            {"q.cql": "x=1 | count()"},
            ["q.cql", "--protocol", "mmexternal", "--aggregate-every", "5"],
            "--aggregate-every is not used with --protocol mmexternal",
        ),
        ({"q.cql": "x=1"}, ["q.cql", "--output", "missing/o"], "--output missing/o: No such"),
        ({"p/a.cql": "x=1"}, ["--pack", "p", "--protocol", "omprog"], "needs --output FILE"),
    ],
)
def test_what_cannot_stream_is_one_line_and_status_2(
    tmp_path: Path, files: dict[str, str], args: list[str], message: str
) -> None:
    for name, body in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(body, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cqlmatch", "stream", "--quiet", *args],
        input=b"{}\n",
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    # Under omprog the line also stands in place of the start-up OK.
    assert done.stdout == (done.stderr if "omprog" in args else b"")
    assert err.count("\n") == 1 and err.startswith("cqlmatch stream: "), err
    assert message in err

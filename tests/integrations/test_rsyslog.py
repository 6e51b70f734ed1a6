"""rsyslog's real daemon running cqlmatch with the shipped configurations.

Each test starts ``rsyslogd -n`` (in the foreground, its own session) on a
private main configuration that sets a work directory and includes one file
of examples/rsyslog/ as it is, only its paths changed; feeds it generated
Falcon events through ``imfile``; stops it with SIGTERM; and compares what
came out with ``cqlmatch run`` over the same events: the same events kept,
with the same assigned fields.  Every wait has a deadline, so a daemon or a
plugin that never answers fails the test instead of hanging it.  The
daemon and how it is started: ``rsyslog_daemon``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cqlmatch.synth.gen import generate_lines

from .rsyslog_daemon import RULE, WAIT, Rsyslog, cqlmatch_command

NOT_JSON = "this message is not JSON"


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
        [str(cqlmatch_command()), "run", str(per_event), str(data), "--format", "ndjson"],
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
    assert summary in daemon.log_after_stop("cqlmatch.log", summary)

    # Restarted, it goes on where it stopped: nothing read twice, nothing lost.
    daemon.write(second)
    daemon.start()
    daemon.wait_for(lambda: f"message {len(second)}: " in daemon.log("cqlmatch.log"), "report")
    daemon.wait_for(lambda: len(daemon.lines("hits.ndjson")) >= len(expected), "hits")
    daemon.stop()
    summary = f"{len(second)} message(s), {len(expected) - kept_first} kept, 1 malformed"
    assert summary in daemon.log_after_stop("cqlmatch.log", summary)

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
    assert summary in daemon.log_after_stop("cqlmatch.log", summary)

    daemon.write(second)
    daemon.start()
    daemon.wait_for(lambda: len(daemon.lines("not-events.log")) == 2, "the rejected message")
    daemon.wait_for(lambda: len(daemon.lines("hits.ndjson")) >= len(expected), "hits")
    daemon.stop()
    summary = f"{len(second)} message(s), {len(expected) - kept_first} kept, 1 malformed"
    assert summary in daemon.log_after_stop("cqlmatch.log", summary)

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

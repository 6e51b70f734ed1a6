"""cqlmatch inside a real syslog-ng (``cqlmatch.integrations.syslog_ng``):
the configurations of examples/syslog-ng/ run by the daemon on generated
Falcon events agree with ``cqlmatch run`` / ``cqlmatch pack run`` on the
same events (the same hits, the same assigned fields, the same rows)."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import cqlmatch
from cqlmatch.lang.events import flatten

from ..conftest import ROOT
from .conftest import SyslogNg, cli, daemon_python, read_json_lines

SEED_RULE = ROOT / "rules" / "t1546_016.cql"
PACK = ROOT / "rules" / "packs" / "falcon.cqlpack.yaml"
EVENTS = 3000
NOT_EVENTS = ["this is not JSON", '{"cut off": ', "[1, 2, 3]"]


@pytest.fixture(autouse=True)
def _same_python() -> None:
    """The daemon loads the compiled extensions this venv built: the same
    Python minor version is needed (Debian 12: 3.11 on both sides)."""
    wanted = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if daemon_python() != wanted:
        pytest.skip(f"syslog-ng embeds Python {daemon_python()}, this venv is {wanted}")


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Generated Falcon events with planted detections, one JSON line each."""
    path = tmp_path_factory.mktemp("events") / "events.ndjson"
    cli(
        "gen",
        f"--events={EVENTS}",
        "--seed=11",
        "--malicious-rate=0.02",
        "--technique-rate=0.01",
        f"--out={path}",
    )
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def rule(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed rule's per-event part (its classification and defaults)."""
    text = SEED_RULE.read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("rule") / "rule.cql"
    path.write_text(text[: text.index("| groupBy(")], encoding="utf-8")
    return path


def write_lines(path: Path, lines: list[str], mode: str = "w") -> None:
    with path.open(mode, encoding="utf-8") as out:
        out.writelines(line + "\n" for line in lines)


def dotted(value: Any, prefix: str = "") -> dict[str, str]:
    """format-json's nested objects back to the dotted name-value pairs."""
    if not isinstance(value, dict):
        return {prefix[:-1]: value}
    out: dict[str, str] = {}
    for key, item in value.items():
        out.update(dotted(item, f"{prefix}{key}."))
    return out


def assigned(event: dict[str, Any], output: dict[str, str]) -> dict[str, str]:
    """The fields ``output`` has that the event had not, or had otherwise."""
    before = flatten(event)
    return {name: value for name, value in output.items() if before.get(name) != value}


def expected_hits(rule: Path, path: Path) -> dict[str, dict[str, str]]:
    """``cqlmatch run``'s kept events, by event id: the fields the rule
    assigned, under ``cql.``, as CQLParser sets them."""
    events = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events[event["id"]] = event
    hits = {}
    out = cli("run", str(rule), str(path), "--format=ndjson", "--workers=1")
    for line in out.splitlines():
        kept = json.loads(line)
        fields = assigned(events[kept["id"]], kept)
        hits[kept["id"]] = {f"cql.{k}": v for k, v in fields.items()} | {"cql.hits": "1"}
    assert hits, "the generated events should hold hits of the rule"
    return hits


def daemon_hits(path: Path) -> dict[str, dict[str, str]]:
    """The messages syslog-ng wrote, by the id of their event: their cql.* pairs."""
    hits: dict[str, dict[str, str]] = {}
    for record in read_json_lines(path):
        event = json.loads(record["MESSAGE"])
        assert event["id"] not in hits, f"written twice: {event['id']}"
        hits[event["id"]] = dotted(record.get("cql", {}), "cql.")
    return hits


def aggregating(pack: Path) -> set[str]:
    return {r.id for r in cqlmatch.compile_pack(pack).rules if r.plan.aggregating}


def pack_hits(pack: Path, path: Path, events: list[str]) -> dict[str, dict[str, str]]:
    """``cqlmatch pack run``'s per-event hits, by event id, as CQLParser sets
    them: the first hit's pairs under ``cql.``, the next under ``cql.hitN.``."""
    skip = aggregating(pack)
    by_id = {json.loads(line)["id"]: json.loads(line) for line in events}
    hits: dict[str, dict[str, str]] = {}
    for line in cli("pack", "run", str(pack), str(path), "--format=ndjson").splitlines():
        hit = json.loads(line)
        if hit["rule.id"] in skip:
            continue
        pairs = hits.setdefault(hit["id"], {})
        number = sum(1 for k in pairs if k.endswith("rule.id")) + 1
        at = "cql." if number == 1 else f"cql.hit{number}."
        pairs.update({at + k: v for k, v in assigned(by_id[hit["id"]], hit).items()})
        pairs["cql.hits"] = str(number)
    return hits


def pack_rows(pack: Path, path: Path) -> list[dict[str, str]]:
    """``cqlmatch pack run``'s rows of the aggregating rules."""
    skip = aggregating(pack)
    out = cli("pack", "run", str(pack), str(path), "--format=ndjson")
    return [row for row in map(json.loads, out.splitlines()) if row["rule.id"] in skip]


def paths(tmp: Path, **more: Path) -> dict[str, Path | str]:
    out = tmp / "out"
    out.mkdir(exist_ok=True)
    return {
        "/var/log/falcon/events.ndjson": tmp / "events.ndjson",
        "/var/log/cqlmatch/": f"{out}/",
        **more,
    }


def statistics(log: str) -> str:
    lines = [line for line in log.splitlines() if " messages, " in line and "cqlmatch:" in line]
    assert lines, f"no statistics in the daemon's log:\n{log}"
    return lines[-1].rstrip(";")  # syslog-ng ends a record with ";"


def test_filter_mode_keeps_the_hits_of_cqlmatch_run(
    tmp_path: Path, daemons: list[SyslogNg], events: list[str], rule: Path
) -> None:
    """filter.conf: only the hits reach the destination, each with the fields
    the rule assigned; messages that are not events are counted and logged."""
    lines = events[:1000] + NOT_EVENTS + events[1000:]
    write_lines(tmp_path / "events.ndjson", lines)
    daemon = SyslogNg(
        tmp_path / "daemon", "filter.conf", paths(tmp_path, **{"/etc/cqlmatch/rule.cql": rule})
    )
    daemons.append(daemon)
    daemon.start()
    daemon.wait_read(len(lines))
    daemon.stop()

    want = expected_hits(rule, tmp_path / "events.ndjson")
    assert daemon_hits(tmp_path / "out" / "hits.json") == want
    log = daemon.log()
    assert "Traceback" not in log
    assert statistics(log).endswith(
        f"{len(lines)} messages, {len(want)} kept ({len(want)} hits), "
        f"{len(lines) - len(want) - len(NOT_EVENTS)} dropped, {len(NOT_EVENTS)} not JSON, "
        "0 without MESSAGE, 0 aggregate rows emitted"
    )
    assert log.count("is not a Falcon event") == len(NOT_EVENTS), log


def test_a_restart_goes_on_where_the_file_was_left(
    tmp_path: Path, daemons: list[SyslogNg], events: list[str], rule: Path
) -> None:
    """Stopped and started again on the same persist file, the daemon reads
    only the new lines: every hit once, as ``cqlmatch run`` over all of them."""
    source = tmp_path / "events.ndjson"
    config = paths(tmp_path, **{"/etc/cqlmatch/rule.cql": rule})
    write_lines(source, events[:1500])
    first = SyslogNg(tmp_path / "daemon", "filter.conf", config)
    daemons.append(first)
    first.start()
    first.wait_read(1500)
    first.stop()
    after_first = daemon_hits(tmp_path / "out" / "hits.json")

    write_lines(source, events[1500:], mode="a")
    second = SyslogNg(tmp_path / "daemon", "filter.conf", config)
    daemons.append(second)
    second.start()
    second.wait_read(len(events) - 1500)
    second.stop()

    want = expected_hits(rule, source)
    assert 0 < len(after_first) < len(want)
    assert daemon_hits(tmp_path / "out" / "hits.json") == want
    assert f"{len(events) - 1500} messages" in statistics(second.log())


def test_tag_mode_keeps_every_message_and_marks_the_hits(
    tmp_path: Path, daemons: list[SyslogNg], events: list[str], rule: Path
) -> None:
    lines = events[:500] + NOT_EVENTS[:1] + events[500:1500]
    write_lines(tmp_path / "events.ndjson", lines)
    daemon = SyslogNg(
        tmp_path / "daemon", "tag.conf", paths(tmp_path, **{"/etc/cqlmatch/rule.cql": rule})
    )
    daemons.append(daemon)
    daemon.start()
    daemon.wait_read(len(lines))
    daemon.stop()

    want = expected_hits(rule, tmp_path / "events.ndjson")
    assert daemon_hits(tmp_path / "out" / "hits.json") == want
    everything = read_json_lines(tmp_path / "out" / "all.json")
    assert [r["MESSAGE"] for r in everything] == lines  # all kept, in order
    marked = {r["MESSAGE"]: dotted(r.get("cql", {}), "cql.") for r in everything}
    assert marked[NOT_EVENTS[0]] == {"cql.error": "Expecting value: line 1 column 1 (char 0)"}
    assert sum(1 for pairs in marked.values() if "cql.hits" in pairs) == len(want)


def test_a_pack_gives_each_hit_its_rule_and_the_rows_at_shutdown(
    tmp_path: Path, daemons: list[SyslogNg], events: list[str]
) -> None:
    """pack.conf with a built .cqlpack: the per-event rules' hits carry
    rule.id/name/severity; the aggregating rules' rows come from CQLResults
    (cumulative: its last emission, at shutdown, covers every event)."""
    built = tmp_path / "falcon.cqlpack"
    cli("pack", "build", str(PACK), f"--output={built}")
    write_lines(tmp_path / "events.ndjson", events)
    daemon = SyslogNg(
        tmp_path / "daemon", "pack.conf", paths(tmp_path, **{"/etc/cqlmatch/falcon.cqlpack": built})
    )
    daemons.append(daemon)
    daemon.start()
    daemon.wait_read(len(events))
    daemon.stop()

    want_hits = pack_hits(built, tmp_path / "events.ndjson", events)
    want_rows = pack_rows(built, tmp_path / "events.ndjson")
    assert want_hits and want_rows

    got = daemon_hits(tmp_path / "out" / "hits.json")
    assert got == want_hits
    assert {pairs["cql.rule.id"] for pairs in got.values()} >= {"certutil-download"}
    rows = read_json_lines(tmp_path / "out" / "rows.json")
    last = rows[len(rows) - len(want_rows) :]
    key = lambda row: json.dumps(row, sort_keys=True)  # noqa: E731
    assert sorted(map(key, last)) == sorted(map(key, want_rows))


def test_aggregate_rows_every_interval_add_up_to_cqlmatch_run(
    tmp_path: Path, daemons: list[SyslogNg], events: list[str]
) -> None:
    """aggregate.conf: the groupBy rows come every five seconds, each window
    over the events since the last; summed they are ``cqlmatch run``'s rows."""
    source = tmp_path / "events.ndjson"
    rows_path = tmp_path / "out" / "rows.json"
    write_lines(source, events[:2000])
    daemon = SyslogNg(
        tmp_path / "daemon",
        "aggregate.conf",
        paths(tmp_path, **{"/etc/cqlmatch/t1546_016.cql": SEED_RULE}),
    )
    daemons.append(daemon)
    daemon.start()
    daemon.wait_read(2000)
    deadline = time.monotonic() + 60
    while not read_json_lines(rows_path):  # the first interval's rows, while it runs
        assert time.monotonic() < deadline, f"no rows within 60 s:\n{daemon.log()}"
        time.sleep(0.5)
    write_lines(source, events[2000:], mode="a")
    daemon.wait_read(len(events))
    daemon.stop()

    def summed(rows: list[dict[str, str]]) -> Counter[str]:
        total: Counter[str] = Counter()
        for row in rows:
            group = {k: v for k, v in row.items() if k != "EventCount"}
            total[json.dumps(group, sort_keys=True)] += int(row["EventCount"])
        return total

    want = [
        json.loads(line)
        for line in cli("run", str(SEED_RULE), str(source), "--format=ndjson").splitlines()
    ]
    assert want
    assert summed(read_json_lines(rows_path)) == summed(want)
    assert "aggregate rows emitted" in statistics(daemon.log())


def test_a_rule_that_does_not_compile_stops_the_start(
    tmp_path: Path, daemons: list[SyslogNg]
) -> None:
    """The daemon refuses to start, saying where the rule is wrong; no traceback."""
    bad = tmp_path / "bad.cql"
    bad.write_text("#event_simpleName=ProcessRollup2\n| groupBy([FileName]\n", encoding="utf-8")
    write_lines(tmp_path / "events.ndjson", [])
    daemon = SyslogNg(
        tmp_path / "daemon", "filter.conf", paths(tmp_path, **{"/etc/cqlmatch/rule.cql": bad})
    )
    daemons.append(daemon)
    assert daemon.start_failing() != 0
    log = daemon.log()
    assert f"cqlmatch: the rule {bad} cannot be used:" in log
    assert f"cqlmatch: {bad}:2:" in log and " error E" in log, log
    assert "init() returned FALSE" in log
    assert "Traceback" not in log


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("src", "cqlmatch: cannot import cqlmatch's runtime into syslog-ng's Python"),
        ("", "No module named 'cqlmatch'"),
    ],
)
def test_without_cqlmatch_on_its_path_the_daemon_says_so(
    tmp_path: Path, daemons: list[SyslogNg], rule: Path, path: str, says: str
) -> None:
    """Only the source tree (no msgspec, pyre2: the venv's site-packages are
    missing), or nothing: the daemon stops at start-up with the reason."""
    write_lines(tmp_path / "events.ndjson", [])
    daemon = SyslogNg(
        tmp_path / "daemon",
        "filter.conf",
        paths(tmp_path, **{"/etc/cqlmatch/rule.cql": rule}),
        env={"PYTHONPATH": str(ROOT / path) if path else ""},
    )
    daemons.append(daemon)
    assert daemon.start_failing() != 0
    assert says in daemon.log()


def test_a_reload_emits_the_rows_and_goes_on(
    tmp_path: Path, daemons: list[SyslogNg], events: list[str]
) -> None:
    """SIGHUP (syslog-ng reloads its configuration): the CQLResults source
    emits the rows so far before the parser is made again, and the new
    parser matches what comes next."""
    write_lines(tmp_path / "events.ndjson", events[:1500])
    daemon = SyslogNg(
        tmp_path / "daemon", "pack.conf", paths(tmp_path, **{"/etc/cqlmatch/falcon.cqlpack": PACK})
    )
    daemons.append(daemon)
    daemon.start()
    started = time.monotonic()
    daemon.wait_read(1500)
    rows_path = tmp_path / "out" / "rows.json"
    assert not read_json_lines(rows_path)
    assert daemon.process is not None
    daemon.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    while not read_json_lines(rows_path):
        assert time.monotonic() < deadline, f"no rows after the reload:\n{daemon.log()}"
        time.sleep(0.2)
    assert time.monotonic() - started < 60, "too slow to tell the reload from the interval"
    assert "Configuration reload finished" in daemon.log()
    write_lines(tmp_path / "events.ndjson", events[1500:], mode="a")
    daemon.wait_read(len(events))  # a reload keeps the counters
    daemon.stop()
    assert daemon_hits(tmp_path / "out" / "hits.json") == pack_hits(
        PACK, tmp_path / "events.ndjson", events
    )

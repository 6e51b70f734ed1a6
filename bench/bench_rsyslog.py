"""rsyslog's real daemon with cqlmatch in its pipeline, against the same
daemon without it, in the same run: what running the rule costs per message.

Run: ``.venv/bin/python -m pytest bench/bench_rsyslog.py --benchmark-enable``
(without ``--benchmark-enable`` each contender runs once, as a check).

Each round starts ``rsyslogd -n`` (tests/integrations/rsyslog_daemon.py) on
a fresh folder whose file holds 50,000 events of the realistic mix (seed
1546) and a last line that is not JSON, and times it from the start until
the last message came through; the daemon is then stopped, untimed.
Contenders:

- ``rsyslog alone``: ``imfile`` to ``omfile``, every message written as it
  came (done when the output is as long as the input);
- ``omprog``: examples/rsyslog/omprog.conf (confirmations, transactions;
  done when cqlmatch reported the last line and wrote every hit);
- ``mmexternal``: examples/rsyslog/mmexternal.conf (one reply per message,
  rsyslog waiting for each; done when the last line was routed as not an
  event and every hit written).

Both cqlmatch contenders must write as many hits as ``cqlmatch.Matcher``
keeps of the same events.  A summary
gives messages/s from the median round and the time each configuration adds
per message over rsyslog alone (the cqlmatch process's start-up included).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.synth.gen import generate_lines

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the daemon helper lives with the tests
    sys.path.insert(0, str(ROOT))

from tests.integrations.rsyslog_daemon import RULE, Rsyslog  # noqa: E402

EVENTS = 50_000
NOT_JSON = "the last line, not JSON"

ALONE = """\
module(load="imfile")

input(type="imfile" file="/var/log/falcon/events.ndjson" tag="falcon" ruleset="alone")

template(name="alone_line" type="string" string="%msg%\\n")

ruleset(name="alone") {
    action(type="omfile" file="/var/log/cqlmatch/all.ndjson" template="alone_line")
}
"""

RESULTS: dict[str, float] = {}


@pytest.fixture(scope="module")
def events() -> list[str]:
    lines = [line.decode().rstrip("\n") for line in generate_lines(EVENTS, seed=1546)]
    return [*lines, NOT_JSON]


@pytest.fixture(scope="module")
def hits(events: list[str]) -> int:
    """How many events the rule keeps: every cqlmatch contender's count."""
    matcher = cqlmatch.Matcher(RULE.read_text(encoding="utf-8"), aggregate=False)
    kept = len(matcher.feed("".join(line + "\n" for line in events).encode()))
    assert kept > 10
    return kept


@pytest.fixture(scope="module")
def alone_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rsyslog-configs") / "alone.conf"
    path.write_text(ALONE, encoding="utf-8")
    return path


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest):
    """Print messages/s and the cost per message once every benchmark has run."""
    yield
    if not RESULTS:
        return
    alone = RESULTS.get("rsyslog alone")
    lines = ["", f"rsyslog, {EVENTS + 1:,} messages; median round, from start to last message"]
    for name, seconds in RESULTS.items():
        added = ""
        if alone is not None and name != "rsyslog alone":
            added = f"  +{(seconds - alone) / (EVENTS + 1) * 1e6:6.1f} us per message"
        rate = (EVENTS + 1) / seconds / 1e3
        lines.append(f"  {name:<15} {seconds:7.3f} s  {rate:7.1f} k msg/s{added}")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


def _done(daemon: Rsyslog, name: str, size: int, hits: int):
    """When the daemon of contender ``name`` has passed the last message."""
    if name == "rsyslog alone":
        out = daemon.logs / "all.ndjson"
        return lambda: out.exists() and out.stat().st_size >= size
    if name == "omprog":
        last = f"message {EVENTS + 1}: "
        return lambda: (
            last in daemon.log("cqlmatch.log") and len(daemon.lines("hits.ndjson")) >= hits
        )
    return lambda: daemon.log("not-events.log") and len(daemon.lines("hits.ndjson")) >= hits


@pytest.mark.parametrize("name", ["rsyslog alone", "omprog", "mmexternal"])
def test_rsyslog_pipeline(
    benchmark, tmp_path: Path, events, hits: int, alone_config, name: str
) -> None:
    source = {"rsyslog alone": alone_config, "omprog": "omprog.conf"}.get(name, "mmexternal.conf")
    data = "".join(line + "\n" for line in events)
    size = len(data.encode())
    daemons: list[Rsyslog] = []

    def setup():
        folder = tmp_path / f"round-{len(daemons)}"
        folder.mkdir()
        daemon = Rsyslog(source, folder)
        daemon.events.write_text(data, encoding="utf-8")
        daemons.append(daemon)
        return (daemon,), {}

    def run(daemon: Rsyslog) -> None:
        daemon.start()
        daemon.wait_for(_done(daemon, name, size, hits), "the last message")

    def teardown(daemon: Rsyslog) -> None:
        daemon.stop()
        if name != "rsyslog alone":
            assert len(daemon.lines("hits.ndjson")) == hits

    try:
        benchmark.pedantic(run, setup=setup, teardown=teardown, rounds=3, warmup_rounds=0)
    finally:
        for daemon in daemons:
            daemon.kill()
    if name == "mmexternal":
        last = json.loads(daemons[-1].lines("hits.ndjson")[-1])
        assert last["cql"]["hit"] == 1
    stats = getattr(benchmark, "stats", None)
    if stats is not None and not benchmark.disabled:
        RESULTS[name] = stats.stats.median
        benchmark.extra_info["messages_per_s"] = round((EVENTS + 1) / stats.stats.median)

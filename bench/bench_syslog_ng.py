"""What the syslog-ng parser (``cqlmatch.integrations.syslog_ng.CQLParser``)
adds to a real syslog-ng pipeline, per message.

Run from the repository root (the daemon runner is the tests'):
``.venv/bin/python -m pytest bench/bench_syslog_ng.py --benchmark-enable
--benchmark-columns=min,median,rounds`` (without ``--benchmark-enable``
each variant runs one round, as a check).  Needs syslog-ng and
syslog-ng-mod-python (``scripts/setup.sh`` as root).

One daemon per variant, each on examples/syslog-ng/filter.conf (file
source, the parser, file destination with ``format-json``, flow control)
with the source polled every 10 ms instead of every second:

* ``without``: the same pipeline without the parser (the baseline);
* ``tag``: the parser in tag mode, every message written (the parser's
  cost alone: the destination writes the same messages as the baseline);
* ``filter``: the parser in filter mode, only the hits written (what a
  user of filter.conf gets).

The rule is the corrected seed rule's per-event part; the events are
20,000 generated ones of the realistic mix (1% malicious).  A round appends
them all to the followed file and waits until the destination has
received every message it will get (read from the daemon's control
socket).  A warm-up round (not timed) lets the daemon settle.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cqlmatch.synth.writer import generate_lines
from tests.integrations.conftest import EXAMPLES, SyslogNg

ROOT = Path(__file__).resolve().parent.parent
SEED_RULE = ROOT / "rules" / "t1546_016.cql"
EVENTS = 20_000
ROUNDS = 5
SOURCE = 'file("/var/log/falcon/events.ndjson" flags(no-parse)'


def variant_text(variant: str) -> str:
    """filter.conf as the variant runs it."""
    text = (EXAMPLES / "filter.conf").read_text(encoding="utf-8")
    assert SOURCE in text
    text = text.replace(SOURCE, SOURCE + " follow-freq(0.01)")
    if variant == "without":
        text = text.replace("parser(p_cql); ", "")
    elif variant == "tag":
        text = text.replace(
            '"rule" "/etc/cqlmatch/rule.cql"', '"rule" "/etc/cqlmatch/rule.cql" "mode" "tag"'
        )
    return text


@pytest.fixture(scope="module")
def data() -> bytes:
    return b"".join(generate_lines(EVENTS, seed=21, malicious_rate=0.01))


@pytest.fixture(scope="module")
def rule(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = SEED_RULE.read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("rule") / "rule.cql"
    path.write_text(text[: text.index("| groupBy(")], encoding="utf-8")
    return path


@pytest.mark.parametrize("variant", ["without", "tag", "filter"])
@pytest.mark.benchmark(group="syslog-ng pipeline, 20,000 events")
def test_pipeline(benchmark, tmp_path: Path, data: bytes, rule: Path, variant: str) -> None:
    source = tmp_path / "events.ndjson"
    source.write_bytes(b"")
    (tmp_path / "out").mkdir()
    paths = {
        "/var/log/falcon/events.ndjson": source,
        "/var/log/cqlmatch/": f"{tmp_path / 'out'}/",
        "/etc/cqlmatch/rule.cql": rule,
    }
    daemon = SyslogNg(tmp_path / "daemon", "filter.conf", paths, text=variant_text(variant))
    daemon.start()
    try:
        rounds = 0
        written_per_round = 0

        def counters() -> tuple[int, int]:
            stats = daemon.stats() or {}
            return stats.get("source.s_falcon.processed", 0), stats.get(
                "destination.d_hits.processed", 0
            )

        def one_round() -> None:
            nonlocal rounds
            rounds += 1
            with source.open("ab") as out:
                out.write(data)
            while True:
                read, written = counters()
                if read >= rounds * EVENTS and written >= rounds * written_per_round:
                    return
                assert daemon.process is not None and daemon.process.poll() is None, daemon.log()
                time.sleep(0.005)

        one_round()  # warm-up, and how many messages a round writes
        written_per_round = counters()[1]
        if variant == "filter":
            assert 0 < written_per_round < EVENTS  # the hits only
        else:
            assert written_per_round == EVENTS
        benchmark.extra_info["messages written per round"] = written_per_round
        benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
        daemon.stop()
    finally:
        daemon.kill()

"""``cqlmatch stream`` through a pipe, as a shipper runs it, against peers in
the same run: ``cat`` (what the pipe itself costs), ``cqlmatch run`` over the
same bytes on its standard input, and the process starting on no input.

Run: ``.venv/bin/python -m pytest bench/bench_stream.py --benchmark-enable``
(without ``--benchmark-enable`` each benchmark runs once, as a check).

One 100,000-event file of the realistic mix (``cqlmatch gen``, seed 1546)
and the corrected seed rule.  Each round runs ``cat FILE | COMMAND >
/dev/null`` in a shell: the whole process, start-up included, one core (a
stream is one process).  Contenders:

- ``stream``: the default NDJSON protocol, every line parsed (the default,
  so that every bad line is reported);
- ``stream --prefilter``: lines that cannot match skipped unparsed;
- ``stream --protocol mmexternal``: rsyslog's per-message protocol, fed
  rsyslog's ``fulljson`` message objects (the same events inside) without
  waiting for each reply, so the figure is cqlmatch's cost per message,
  not rsyslog's round trip;
- ``run``: ``cqlmatch run`` of the rule's per-event part over standard
  input, ``--format ndjson`` (one process, ``--workers 1``);
- ``cat``: the pipe alone;
- ``start-up``: ``cqlmatch stream`` on empty input.

``stream`` and ``run`` must keep the same number of events, and
``mmexternal`` must answer every message.  A summary prints, from the median
round, the wall time and lines/s, the same net of start-up, and the CPU time
of the whole pipeline (user + system of the shell, ``cat`` and the command:
on a shared machine, less disturbed by the other load than the wall time).
"""

from __future__ import annotations

import json
import resource
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from cqlmatch.synth.gen import write_file

EVENTS = 100_000
ROOT = Path(__file__).resolve().parents[1]
RULE = ROOT / "rules" / "t1546_016.cql"
CQLMATCH = shlex.quote(str(Path(sys.executable).parent / "cqlmatch"))

RESULTS: dict[str, float] = {}
CPU: dict[str, list[float]] = {}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("stream")
    events = folder / "realistic.ndjson"
    write_file(events, EVENTS, seed=1546)
    # What mmexternal writes with interface.input="fulljson": the message
    # object, the event as its msg string.
    envelopes = folder / "fulljson.ndjson"
    with events.open("rb") as src, envelopes.open("w", encoding="utf-8") as out:
        for line in src:
            message = line.decode().rstrip("\n")
            out.write(json.dumps({"msg": message, "hostname": "h", "$!": {}}) + "\n")
    text = RULE.read_text(encoding="utf-8")
    per_event = folder / "per_event.cql"
    per_event.write_text(text[: text.index("| groupBy(")], encoding="utf-8")
    return {"events": events, "fulljson": envelopes, "per_event": per_event}


def _commands(files: dict[str, Path]) -> dict[str, tuple[str, Path | None]]:
    """Each contender: its command and the file piped into it."""
    rule = shlex.quote(str(RULE))
    return {
        "stream": (f"{CQLMATCH} stream -q {rule}", files["events"]),
        "stream --prefilter": (f"{CQLMATCH} stream -q --prefilter {rule}", files["events"]),
        "stream --protocol mmexternal": (
            f"{CQLMATCH} stream --protocol mmexternal {rule}",
            files["fulljson"],
        ),
        "run": (
            f"{CQLMATCH} run {shlex.quote(str(files['per_event']))} - --format ndjson --workers 1",
            files["events"],
        ),
        "cat": ("cat", files["events"]),
        "start-up": (f"{CQLMATCH} stream -q {rule}", None),
    }


def _pipeline(command: str, source: Path | None) -> str:
    feed = f"cat {shlex.quote(str(source))}" if source is not None else "true"
    return f"{feed} | {command}"


def _output(command: str, source: Path | None) -> list[bytes]:
    done = subprocess.run(
        ["sh", "-c", _pipeline(command, source)], capture_output=True, timeout=600, check=True
    )
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def checked(files: dict[str, Path]) -> dict[str, tuple[str, Path | None]]:
    """The contenders, once their outputs were checked against each other."""
    commands = _commands(files)
    kept = _output(*commands["stream"])
    assert len(kept) > 100, "the file must give hits"
    assert len(_output(*commands["stream --prefilter"])) == len(kept)
    assert len(_output(*commands["run"])) == len(kept)
    replies = _output(*commands["stream --protocol mmexternal"])
    assert len(replies) == EVENTS
    assert sum(json.loads(r)["$!"]["cql"]["hit"] for r in replies) == len(kept)
    return commands


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest):
    """Print lines/s once every benchmark has run."""
    yield
    if not RESULTS:
        return
    start = RESULTS.get("start-up", 0.0)
    start_cpu = statistics.median(CPU.get("start-up", [0.0]))
    lines = [
        "",
        f"through a pipe, {EVENTS:,} lines; median round: wall s, lines/s, the same net of "
        "start-up; CPU s of the pipeline, lines per CPU s net of start-up",
    ]
    for name, seconds in RESULTS.items():
        cpu = statistics.median(CPU[name])
        if name == "start-up":
            lines.append(f"  {name:<30} {seconds:6.3f} s{'':36}cpu {cpu:6.3f} s")
            continue
        net, net_cpu = (seconds, cpu) if name == "cat" else (seconds - start, cpu - start_cpu)
        lines.append(
            f"  {name:<30} {seconds:6.3f} s  {EVENTS / seconds / 1e6:6.3f} M/s"
            f"  ({EVENTS / net / 1e6:6.3f} M/s net)  cpu {cpu:6.3f} s"
            f"  ({EVENTS / net_cpu / 1e6:6.3f} M/cpu-s net)"
        )
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.mark.parametrize(
    "name",
    ["stream", "stream --prefilter", "stream --protocol mmexternal", "run", "cat", "start-up"],
)
def test_through_a_pipe(benchmark, checked, name: str) -> None:
    pipeline = _pipeline(*checked[name])

    def once() -> int:
        before = _children_cpu()
        status = subprocess.run(
            ["sh", "-c", f"{pipeline} > /dev/null"], timeout=600, check=True
        ).returncode
        CPU.setdefault(name, []).append(_children_cpu() - before)
        return status

    assert benchmark.pedantic(once, rounds=5, iterations=1, warmup_rounds=1) == 0
    stats = getattr(benchmark, "stats", None)
    if stats is not None and not benchmark.disabled:
        RESULTS[name] = stats.stats.median
        benchmark.extra_info["lines_per_s"] = round(EVENTS / stats.stats.median)

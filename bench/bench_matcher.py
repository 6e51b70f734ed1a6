"""Embedding cost: ``Matcher.match(dict)`` per event, ``match_many`` and
``feed`` against the same rule written by hand in Python and against the
file path, all in one run.

Run, on one core, with a timer that leaves out the time other processes
hold it (without ``--benchmark-enable`` each benchmark runs once, as a
check)::

    taskset -c 1 .venv/bin/python -m pytest bench/bench_matcher.py --benchmark-enable \
        --benchmark-timer time.process_time --benchmark-columns=min,median,rounds

Per-event group (``embedding``): the corrected seed rule's per-event part
(classification, a ``Matcher`` made with ``aggregate=False``: the event with
``EventType`` and the ``default()`` fields, or None) over decoded events of
the realistic generated mix (plain dicts, as ``json.loads`` gives them), one
pass over all of them per round, on two working sets: ``warm``, the first
``WARM`` events (about 7 MB: they stay in the 32 MB L3 cache between
rounds, as an event matched right after it was decoded is), and ``cold``,
all ``EVENTS`` (about 70 MB: each event is fetched from memory, which costs
any filter about as much as its first dict lookup):

* ``match``: ``matcher.match(event)`` once per event (what an embedder pays
  per call);
* ``match_many``: ``list(matcher.match_many(events))``;
* ``python``: ``seed_filter(event)`` below, the rule as a user would write it
  by hand (dict lookups and the ``re`` module), once per event.  It must
  give ``match``'s output on every event (``test_handwritten_agrees``).

Stream group (``stream``): the whole rule (``groupBy`` and ``sort``) over
``FILE_EVENTS`` events of the same mix as NDJSON:

* ``feed``: ``matcher.feed(chunk)`` over the bytes in 64 KiB chunks, then
  ``flush()`` and ``results()`` (one long-lived ``Matcher``, made outside
  the timing; ``results(reset=True)`` so every round starts from nothing);
* ``file``: ``CompiledQuery.run(path, workers=1)`` over the same bytes as a
  file (compiled outside the timing).

Both must give the same rows.  A summary printed at the end gives events/s
from the median round and the ratios the targets are stated in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import cqlmatch
from cqlmatch.runtime.matcher import Matcher
from cqlmatch.synth.gen import generate_lines

RULE = Path(__file__).resolve().parent.parent / "rules" / "t1546_016.cql"
EVENTS = 20_000
WARM = 2_000
SETS = ("warm", "cold")
FILE_EVENTS = 100_000
CHUNK = 65536

RESULTS: dict[str, float] = {}  # benchmark name -> events/s (median round)

# --- the rule by hand, as a user would write it ------------------------------------------------

PARENT = re.compile(
    r"msiexec\.exe|installer|pkgutil|dpkg|rpm|yum|apt-get|apt|chocolatey|winget", re.I
)
CHILD = re.compile(
    r"powershell\.exe|pwsh\.exe|cmd\.exe|wscript\.exe|cscript\.exe|mshta\.exe|certutil\.exe"
    r"|bitsadmin\.exe|bash|sh|python",
    re.I,
)
CRADLE = re.compile(r"invoke-webrequest|downloadstring|net\.webclient|-encodedcommand", re.I)
ENCODED = re.compile(r"certutil.{0,20}urlcache|bitsadmin.{0,20}transfer", re.I)
DOWNLOAD = re.compile(r"curl.{0,30}https?://|wget.{0,30}https?://", re.I)
IMAGE = re.compile(r"msiexec\.exe|installer", re.I)
PRIVATE = ("10.", "127.", "192.168.", *(f"172.{n}." for n in range(16, 32)))
DEFAULTS = ("ComputerName", "UserName", "ParentBaseFileName", "FileName", "CommandLine")


def seed_filter(event: dict) -> dict | None:
    """rules/t1546_016.cql up to its groupBy, by hand."""
    name = event.get("#event_simpleName") or event.get("event_simpleName")
    if name == "ProcessRollup2":
        command = event.get("CommandLine", "")
        if not PARENT.search(event.get("ParentBaseFileName", "")):
            return None
        if CRADLE.search(command):
            kind = "INSTALLER_DOWNLOAD_CRADLE"
        elif ENCODED.search(command):
            kind = "INSTALLER_ENCODED_EXECUTION"
        elif CHILD.search(event.get("FileName", "")) or DOWNLOAD.search(command):
            kind = "INSTALLER_SCRIPT_CHILD"
        else:
            return None
    elif name == "NetworkConnectIP4":
        remote = event.get("RemoteAddressIP4", "")
        if not IMAGE.search(event.get("ImageFileName", "")) or remote.startswith(PRIVATE):
            return None
        kind = "INSTALLER_NETWORK_CALLBACK"
    else:
        return None
    out = {**event, "EventType": kind, "RemoteAddressIP4": event.get("RemoteAddressIP4", "-")}
    for field in DEFAULTS:
        out.setdefault(field, "-")
    return out


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return [json.loads(line) for line in generate_lines(EVENTS, seed=21, malicious_rate=0.01)]


@pytest.fixture(scope="module", params=SETS)
def working(request: pytest.FixtureRequest, events: list[dict]) -> tuple[str, list[dict]]:
    return request.param, events[:WARM] if request.param == "warm" else events


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(RULE.read_text(encoding="utf-8"), aggregate=False)


@pytest.fixture(scope="module")
def data() -> bytes:
    return b"".join(generate_lines(FILE_EVENTS, seed=1546, malicious_rate=0.01))


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> Path:
    out = tmp_path_factory.mktemp("matcher") / "realistic.ndjson"
    out.write_bytes(data)
    return out


@pytest.fixture(scope="module", autouse=True)
def summary(request: pytest.FixtureRequest):
    """Print events/s and the ratios of the targets once every benchmark has run."""
    yield
    if not RESULTS:
        return
    lines = ["", "events/s from the median round (one core)"]
    lines += [f"  {name:<18} {rate / 1e6:7.3f} M/s" for name, rate in RESULTS.items()]
    ratios = [("feed / file", "feed", "file", 0.8)]
    for kind in SETS:
        ratios += [
            (f"match / python [{kind}]", f"match[{kind}]", f"python[{kind}]", 3.0),
            (f"match_many / match [{kind}]", f"match_many[{kind}]", f"match[{kind}]", 1.0),
        ]
    for label, a, b, target in ratios:
        if a in RESULTS and b in RESULTS:
            lines.append(f"  {label:<26} {RESULTS[a] / RESULTS[b]:5.2f}x (target {target}x)")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n".join(lines))


def _bench(benchmark, name: str, count: int, call, rounds: int | None = None):
    if rounds is None:
        result = benchmark(call)
    else:
        result = benchmark.pedantic(call, rounds=rounds, iterations=1, warmup_rounds=1)
    stats = getattr(benchmark, "stats", None)
    if stats is not None and not benchmark.disabled:
        RESULTS[name] = count / stats.stats.median
        benchmark.extra_info["events_per_s"] = round(count / stats.stats.median)
    return result


# --- agreement -----------------------------------------------------------------------------------


def test_handwritten_agrees(matcher: Matcher, events: list[dict]) -> None:
    expected = [matcher.match(e) for e in events]
    assert sum(x is not None for x in expected) > 10
    assert [seed_filter(e) for e in events] == expected


# --- per event -----------------------------------------------------------------------------------


@pytest.mark.benchmark(group="embedding")
def test_match(benchmark, matcher: Matcher, working: tuple[str, list[dict]]) -> None:
    kind, events = working
    match = matcher.match
    kept = _bench(
        benchmark, f"match[{kind}]", len(events), lambda: sum(match(e) is not None for e in events)
    )
    assert kept > 0


@pytest.mark.benchmark(group="embedding")
def test_match_many(benchmark, matcher: Matcher, working: tuple[str, list[dict]]) -> None:
    kind, events = working
    out = _bench(
        benchmark, f"match_many[{kind}]", len(events), lambda: list(matcher.match_many(events))
    )
    assert len(out) == len(events)


@pytest.mark.benchmark(group="embedding")
def test_python(benchmark, working: tuple[str, list[dict]]) -> None:
    kind, events = working
    kept = _bench(
        benchmark,
        f"python[{kind}]",
        len(events),
        lambda: sum(seed_filter(e) is not None for e in events),
    )
    assert kept > 0


# --- a stream of bytes against the file path ----------------------------------------------------


@pytest.mark.benchmark(group="stream")
def test_feed(benchmark, data: bytes, path: Path) -> None:
    chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    streaming = Matcher(RULE.read_text(encoding="utf-8"))

    def run() -> list[dict[str, str]]:
        for chunk in chunks:
            streaming.feed(chunk)
        streaming.flush()
        return streaming.results(reset=True)

    rows = _bench(benchmark, "feed", FILE_EVENTS, run, rounds=5)
    assert rows and rows == cqlmatch.compile(RULE.read_text(encoding="utf-8")).run(path, workers=1)


@pytest.mark.benchmark(group="stream")
def test_file(benchmark, path: Path) -> None:
    compiled = cqlmatch.compile(RULE.read_text(encoding="utf-8"))
    rows = _bench(benchmark, "file", FILE_EVENTS, lambda: compiled.run(path, workers=1), rounds=5)
    assert len(rows) > 0

"""Embedding cost: ``Matcher.match(dict)`` per event, ``match_many`` and
``feed`` against the same rule written by hand in Python over the same dicts.

Run: ``.venv/bin/python -m pytest bench/bench_matcher.py --benchmark-enable
--benchmark-columns=min,median,rounds`` (without ``--benchmark-enable`` each
benchmark runs once, as a check).

The workload is what an embedding program has: decoded JSON events (plain
dicts, as ``json.loads`` gives them) from the realistic generated mix, and
the corrected seed rule's per-event part (classification: the event with
``EventType``, or None).  Timed per round: one pass over all events.

* ``match``: ``matcher.match(event)`` called once per event (the per-call
  cost an embedder pays);
* ``match_many``: ``list(matcher.match_many(events))``;
* ``feed``: the same events as NDJSON bytes, ``matcher.feed`` in 64 KiB
  chunks (decode included);
* ``python``: ``classify(event)`` below, the rule by hand with ``re`` and
  ``ipaddress``, per event.

The matchers are made with ``aggregate=False`` (classification only); the
hand-written function must agree with ``match`` on every event.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from peers import CHILD, COMMAND, CRADLE, ENCODED, IMAGE, PARENT, SEED_KEYS, private

from cqlmatch.runtime.matcher import Matcher
from cqlmatch.synth.gen import generate_lines

RULE = Path(__file__).resolve().parent.parent / "rules" / "t1546_016.cql"
EVENTS = 20_000

_PARENT, _CHILD, _COMMAND, _CRADLE, _ENCODED, _IMAGE = (
    re.compile(p) for p in (PARENT, CHILD, COMMAND, CRADLE, ENCODED, IMAGE)
)
_DEFAULTS = SEED_KEYS
_private = private


def classify(event: dict) -> dict | None:
    """The corrected rule's per-event part by hand: the event plus EventType
    and the default() fields, or None."""
    name = event.get("#event_simpleName", event.get("event_simpleName"))
    if name == "ProcessRollup2":
        parent = event.get("ParentBaseFileName")
        if not isinstance(parent, str) or not _PARENT.search(parent):
            return None
        child, command = event.get("FileName"), event.get("CommandLine")
        child_ok = isinstance(child, str) and _CHILD.search(child)
        command_ok = isinstance(command, str) and _COMMAND.search(command)
        if not (child_ok or command_ok):
            return None
        if isinstance(command, str) and _CRADLE.search(command):
            kind = "INSTALLER_DOWNLOAD_CRADLE"
        elif isinstance(command, str) and _ENCODED.search(command):
            kind = "INSTALLER_ENCODED_EXECUTION"
        else:
            kind = "INSTALLER_SCRIPT_CHILD"
    elif name == "NetworkConnectIP4":
        image = event.get("ImageFileName")
        if not isinstance(image, str) or not _IMAGE.search(image):
            return None
        remote = event.get("RemoteAddressIP4")
        if not isinstance(remote, str) or _private(remote):
            return None
        kind = "INSTALLER_NETWORK_CALLBACK"
    else:
        return None
    out = dict(event)
    out["EventType"] = kind
    for field in _DEFAULTS:
        out.setdefault(field, "-")
    return out


@pytest.fixture(scope="module")
def lines() -> list[bytes]:
    return list(generate_lines(EVENTS, seed=21, malicious_rate=0.01))


@pytest.fixture(scope="module")
def events(lines: list[bytes]) -> list[dict]:
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(RULE.read_text(encoding="utf-8"), aggregate=False)


def test_handwritten_agrees(matcher: Matcher, events: list[dict]) -> None:
    expected = [matcher.match(e) for e in events]
    assert sum(x is not None for x in expected) > 10
    assert [classify(e) for e in events] == expected


@pytest.mark.benchmark(group="embedding")
def test_match(benchmark, matcher: Matcher, events: list[dict]) -> None:
    match = matcher.match
    kept = benchmark(lambda: sum(match(e) is not None for e in events))
    assert kept > 10


@pytest.mark.benchmark(group="embedding")
def test_match_many(benchmark, matcher: Matcher, events: list[dict]) -> None:
    out = benchmark(lambda: list(matcher.match_many(events)))
    assert len(out) == len(events)


@pytest.mark.benchmark(group="embedding")
def test_feed(benchmark, matcher: Matcher, lines: list[bytes]) -> None:
    data = b"".join(lines)
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]

    def run() -> int:
        return sum(len(matcher.feed(c)) for c in chunks) + len(matcher.flush())

    assert benchmark(run) > 10


@pytest.mark.benchmark(group="embedding")
def test_python(benchmark, events: list[dict]) -> None:
    kept = benchmark(lambda: sum(classify(e) is not None for e in events))
    assert kept > 10

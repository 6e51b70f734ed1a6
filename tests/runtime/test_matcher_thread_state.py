"""The matcher's per-thread state (its engine, its decoder) is kept per OS
thread, not per Python thread state: a C host such as syslog-ng gives each
call a fresh thread state, and the engine must not be built per event."""

from __future__ import annotations

import threading

import pytest

from cqlmatch.runtime.matcher import Matcher, _PerThread

RULE = '#event_simpleName=ProcessRollup2 | EventType := "x"'


def test_each_thread_sees_its_own_attributes() -> None:
    state = _PerThread()
    state.engine = "main"
    seen: list[object] = []

    def other() -> None:
        seen.append(getattr(state, "engine", None))
        state.engine = "other"
        seen.append(state.engine)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [None, "other"]
    assert state.engine == "main"
    with pytest.raises(AttributeError):
        _ = state.decoder


def test_the_threads_remembered_are_bounded() -> None:
    state = _PerThread()
    for _ in range(_PerThread._THREADS_KEPT + 10):
        thread = threading.Thread(target=lambda: setattr(state, "engine", object()))
        thread.start()
        thread.join()
    assert len(state._threads) <= _PerThread._THREADS_KEPT


def test_one_engine_per_thread_across_calls() -> None:
    matcher = Matcher(RULE)
    line = b'{"event_simpleName":"ProcessRollup2"}\n'
    first = matcher._engine()
    for _ in range(3):
        assert matcher.feed(line)[0]["EventType"] == "x"
    assert matcher._engine() is first

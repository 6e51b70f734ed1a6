"""The collector pause around a pack's long-lived objects nests, also
across threads, and leaves the collector as it found it."""

from __future__ import annotations

import gc
import threading

from cqlmatch.packs.nogc import collector_paused


def test_pauses_nest_and_restore_the_collector() -> None:
    was = gc.isenabled()
    try:
        gc.enable()
        with collector_paused():
            assert not gc.isenabled()
            with collector_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the outer pause still holds
        assert gc.isenabled()
        gc.disable()
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        (gc.enable if was else gc.disable)()


def test_a_thread_leaving_first_does_not_end_another_threads_pause() -> None:
    """The linking thread used to switch the collector back on while the
    index was still adapting in the main thread."""
    was = gc.isenabled()
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            entered.set()
            leave.wait(10)

    try:
        gc.enable()
        worker = threading.Thread(target=other)
        worker.start()
        assert entered.wait(10)
        with collector_paused():
            leave.set()
            worker.join(10)
            assert not gc.isenabled()  # the other thread left; this pause holds
        assert gc.isenabled()
    finally:
        leave.set()
        (gc.enable if was else gc.disable)()

"""What a command leaves to the process's end: held only when the console
script ends the process itself, freed as usual inside another program."""

from __future__ import annotations

import gc
import weakref

from cqlmatch.cli import exiting


class _Big:
    pass


def test_objects_are_held_only_once_the_console_script_holds_them(monkeypatch) -> None:
    monkeypatch.setattr(exiting, "_KEPT", None)
    one = _Big()
    gone = weakref.ref(one)
    exiting.keep_until_exit(one)
    del one
    gc.collect()
    assert gone() is None  # inside another program: freed as usual
    exiting.hold()
    two = _Big()
    kept = weakref.ref(two)
    exiting.keep_until_exit(two)
    del two
    gc.collect()
    assert kept() is not None  # the console script: left for the process's end

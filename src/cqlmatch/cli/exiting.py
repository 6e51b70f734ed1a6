"""Objects a command leaves for the process's end instead of freeing them.

The console script ends the process without the interpreter's teardown
(``cli.entry``); a command's large objects (a loaded pack: about 30 ms to
free) are worth leaving to that end too.  Inside another program (``main``
called from Python) nothing is held: the objects are freed as usual.  The
console script's start-up also runs without the collector (``settled``).
"""

from __future__ import annotations

import gc

_KEPT: list[object] | None = None  # a list once the console script holds objects


def hold() -> None:
    """From now on ``keep_until_exit`` holds what it is given (the console
    script, which ends the process without freeing them)."""
    global _KEPT
    if _KEPT is None:
        _KEPT = []


def keep_until_exit(*objects: object) -> None:
    """Hold ``objects`` until the process ends, when ``hold`` was called;
    otherwise nothing."""
    if _KEPT is not None:
        _KEPT.extend(objects)


def settled() -> None:
    """The console script's start-up is over (the command's modules are
    imported): what it made is frozen out of the collector's sight, and the
    collector, off since the script began (``entry.run``), is on again.
    Its collections went through those objects again and again and found
    no garbage (a run over an empty file took 2% less time without them).
    Inside another program (``main`` called from Python), nothing."""
    if _KEPT is not None and not gc.isenabled():
        gc.freeze()
        gc.enable()

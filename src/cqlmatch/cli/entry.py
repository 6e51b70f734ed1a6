"""The ``cqlmatch`` console script (and ``python -m cqlmatch``): the
command, then a quick exit.

When a command has returned, the interpreter would tear down every module
and object one by one before the process ends (about 40 M instructions
after an empty run, 8 ms; about 18 ms after a run over a million events).
Nothing of it reaches the user, so once the command is done the exit
handlers run and the standard streams are flushed, as the interpreter
does, and the process ends without that teardown.  When another thread
still runs, or a stream cannot be flushed, the interpreter's own exit
(which waits for threads and reports the error) is used instead.

A command's own large objects (a loaded pack of 1,690 rules: about 30 ms
to free) would still be freed as it returns; it hands them to
``exiting.keep_until_exit``, which holds them for this quick exit (and
does nothing when the command runs inside another program, ``main``)."""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading

from . import exiting


def run() -> None:
    gc.disable()  # until the command's modules are imported (``exiting.settled``)
    import_msgspec_plainly()
    from .commands import main

    exiting.hold()
    try:
        code = main()
    except SystemExit as stop:
        if stop.code is not None and not isinstance(stop.code, int):
            raise  # a message: the interpreter prints it and exits 1
        code = stop.code
    code = code or 0
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None or threading.active_count() > 1:
        sys.exit(code)
    run_handlers()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # the interpreter's exit reports what it can
    os._exit(code)


def import_msgspec_plainly() -> None:
    """Import msgspec without ``typing_extensions``.

    msgspec takes its type-hint helpers from ``typing_extensions`` when that
    package is installed (other packages often bring it), and importing it
    loads ``inspect``, ``ast`` and ``dis``: 8 ms of the 74 ms a run over an
    empty file took here.  On the Python versions cqlmatch runs on,
    ``typing``'s own helpers serve cqlmatch's types just as well, and this
    process runs no one else's msgspec types, so the console script hides
    the package while msgspec loads; it stays importable afterwards."""
    if "msgspec" in sys.modules or "typing_extensions" in sys.modules:
        return
    sys.modules["typing_extensions"] = None  # type: ignore[assignment]
    try:
        import msgspec  # noqa: F401
    finally:
        if sys.modules.get("typing_extensions", 0) is None:
            del sys.modules["typing_extensions"]

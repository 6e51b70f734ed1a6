"""Making a pack's many long-lived objects without the cycle collector.

Loading a pack makes hundreds of thousands of objects that live as long as
the pack (rules, programs, the candidate index's tables).  Their allocation
keeps triggering the collector, which goes through all of them again and
again and frees nothing: a fifth of loading the 1,690-rule Sigma pack
(0.16-0.19 s with it, 0.13 s without).  It is paused while they are made
and left as it was found.

Pauses nest, also across threads (a pack's rules are linked in a thread
while its index adapts): the collector is paused by the first to enter and
set back as it was found by the last to leave.  (Restoring it on each
exit let the linking thread turn it back on in the middle of the adapting:
222 collections in a pack run's parent, most of them there.)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_HELD = 0  # pauses entered and not yet left
_WAS_ENABLED = False  # the collector's state when the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic collection inside the block (an explicit
    ``gc.collect()`` still runs); enabled again once no pause is held,
    and only if it was enabled when the first began."""
    global _HELD, _WAS_ENABLED
    with _LOCK:
        if _HELD == 0:
            _WAS_ENABLED = gc.isenabled()
            gc.disable()
        _HELD += 1
    try:
        yield
    finally:
        with _LOCK:
            _HELD -= 1
            if _HELD == 0 and _WAS_ENABLED:
                gc.enable()

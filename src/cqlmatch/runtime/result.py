"""What one run gives: its rows, and what it found along the way.

A compiled query is immutable and may be shared by threads and runs; each
run's counts, malformed lines and warnings belong to the run, so they live
on the ``Result`` it returns, never on the query.
"""

from __future__ import annotations

from ..errors import BadEventError
from ..ingest.lines import MalformedLine
from ..ingest.reader import IngestStats
from ..limits import MALFORMED_KEPT


class Result(list):
    """The output rows (aggregating queries) or kept events of one run, as
    dicts, in order; a ``list`` with these attributes besides:

    ``stats``            the input's counts (``IngestStats``: lines, skipped, ...)
    ``events_read``      events the run read (malformed lines aside)
    ``malformed``        the first ``limits.MALFORMED_KEPT`` bad lines with their reasons
    ``malformed_count``  every bad line
    ``warnings``         run-time warnings ``(code, message)``
    ``incomplete``       the sources that ended early (a corrupt or truncated
                         compressed file), by name: the rows are those of the
                         lines read before; each also has a malformed entry
                         ``input incomplete: ...`` at the line where it stopped
    ``columns``          the columns the query names for its rows
                         (``select()``, ``table()``), in the query's order,
                         whether or not a row has them; ``()`` when the
                         rows decide (``semantics.columns``)
    ``read_all``         whether the run read its input to the end; false
                         when it had its rows before (a ``head(N)`` first
                         in the aggregate stages stops reading at its N-th
                         event): the stats count only what was read
    """

    def __init__(self) -> None:
        super().__init__()
        self.stats = IngestStats()
        self.malformed: list[MalformedLine] = []
        self.malformed_count = 0
        self.warnings: list[tuple[str, str]] = []
        self.incomplete: list[str] = []
        self.read_all = False
        self.columns: tuple[str, ...] = ()

    def clear_run(self) -> None:
        """Forget what a run recorded, to run the input again from the start."""
        self.clear()
        self.stats = IngestStats()
        self.malformed = []
        self.malformed_count = 0
        self.warnings = []
        self.incomplete = []
        self.read_all = False

    @property
    def events_read(self) -> int:
        return self.stats.events

    def note_malformed(self, item: MalformedLine, on_error: str, name: str) -> None:
        """Record one bad line (``on_error="skip"``) or raise ``BadEventError``
        for it (``"fail"``); ``name`` is how messages call the input."""
        if on_error == "fail":
            raise BadEventError(item.source or name, item.line_number, item.reason)
        self.malformed_count += 1
        if len(self.malformed) < MALFORMED_KEPT:
            self.malformed.append(item)

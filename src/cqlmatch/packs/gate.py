"""The pack's shared prefilter: a raw line is decoded only when some rule of
the pack can keep it.

``CandidateGate`` puts a ``CandidateIndex`` (every rule's literal groups in
one automaton) where the reader expects a ``Prefilter``: a line framed as
one JSON object is ruled out when no rule has all its groups in it, so
nothing a rule could keep is skipped and malformed lines are still
decoded, and reported.  Which rules each kept line is a candidate for is
worked out again per batch (``run.Candidates``) over the kept lines only.
"""

from __future__ import annotations

from typing import Any, Protocol

from .._candidates import CandidateIndex
from ..ingest.prefilter import framed


class Adaptive(Protocol):
    """What the gate needs of ``run.Candidates``: the index, and choosing
    its groups from the first lines read."""

    index: CandidateIndex
    adapted: bool

    def adapt(self, lines: list[Any]) -> None: ...

    def adapt_block(self, block: bytes) -> None: ...


class CandidateGate:
    """The ``ingest.prefilter.LineFilter`` of a pack's candidate index."""

    def __init__(self, candidates: Adaptive) -> None:
        self.candidates = candidates
        self.index = candidates.index

    @property
    def active(self) -> bool:
        return True

    def scan_counted(self, block: bytes, packed: bool = False) -> tuple[Any, int]:
        """The spans of the lines of ``block`` to decode (``packed``: as
        bytes, ``CandidateIndex.scan_block``), and its line count."""
        block = bytes(block)
        if not self.candidates.adapted:
            self.candidates.adapt_block(block)
        return self.index.scan_block(block, packed)

    def filter_batch(self, lines: list[bytes]) -> list[int]:
        """The indexes of ``lines`` to decode, ascending."""
        if not self.candidates.adapted:
            self.candidates.adapt(lines)
        admits = self.index.admits
        return [i for i, line in enumerate(lines) if not framed(line) or admits(line)]

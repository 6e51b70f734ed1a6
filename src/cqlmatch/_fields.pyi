"""Types of the C field extractor (cext/fields.pyx)."""

from collections.abc import Iterable

MAX_NAMES: int

def extractable(names: Iterable[str]) -> bool: ...

class FieldExtractor:
    def __init__(
        self,
        names: tuple[str, ...],
        own: tuple[int, ...],
        fallback: tuple[int, ...],
        raw: tuple[bool, ...],
        lines: bool = False,
    ) -> None: ...
    def extract(
        self, block: bytes, spans: list[tuple[int, int]]
    ) -> tuple[tuple[list[str | None], ...], list[str] | None] | None: ...

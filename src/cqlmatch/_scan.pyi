"""Types of the ingest kernels (cext/scan.pyx)."""

from typing import Any

def scan(
    block: bytes, groups: tuple[tuple[bytes, ...], ...], escapes: bytes, slash: bool
) -> tuple[list[tuple[int, int]], int]: ...
def join_lines(block: bytes, spans: list[tuple[int, int]]) -> tuple[bytes, bool]: ...
def gather(
    rows: list[Any], own: tuple[str, ...], fallback: tuple[str | None, ...], unset: object
) -> tuple[list[str | None], ...]: ...

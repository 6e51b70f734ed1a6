"""Types of the C prefilter scan (cext/scan.pyx)."""

def scan(
    block: bytes, groups: tuple[tuple[bytes, ...], ...], escapes: bytes, slash: bool
) -> tuple[list[tuple[int, int]], int]: ...

"""Lines of NDJSON input: what a line that cannot be an event looks like."""

from __future__ import annotations


class MalformedLine:
    """A line of input that is not a JSON object: kept with its number."""

    __slots__ = ("line_number", "reason")

    def __init__(self, line_number: int, reason: str) -> None:
        self.line_number = line_number
        self.reason = reason

    def __repr__(self) -> str:
        return f"line {self.line_number}: {self.reason}"

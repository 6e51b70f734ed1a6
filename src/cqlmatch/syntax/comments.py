"""Comments: kept beside the syntax tree, so ``cqlmatch fmt`` prints them
where they stood instead of deleting them.

The lexer notes every ``// ...`` and ``/* ... */`` it skips as trivia, by
offset.  Comments never change what a query means, so the tree does not
hold them; ``Comments`` is the side table the printer reads, and each
comment goes back next to the stage it was written beside
(``syntax.printer``: before the stage, or after it on its line).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..records import Record, record
from . import ast as A


@record
class Comment(Record):
    """One comment as written (``text`` includes ``//`` or ``/* */``)."""

    start: int
    end: int
    text: str

    @property
    def line(self) -> bool:
        """Whether it is a ``//`` comment, which runs to the end of its line."""
        return self.text.startswith("//")


_LEAVES = (A.Str, A.Bare, A.Number, A.Regex, A.Param)


def collect(text: str, found: dict[int, int], tree: A.Node) -> tuple[Comment, ...]:
    """The comments of ``text`` in source order, from the lexer's notes
    ``found`` (start -> end offset).  A note inside a value the parse read
    (a speculative lexing position, or trivia inside ``?{name=...}``) is not
    a comment of the query and is left out."""
    leaves = sorted((n.span.start, n.span.end) for n in A.walk(tree) if isinstance(n, _LEAVES))
    out = []
    for start in sorted(found):
        end = found[start]
        if any(a < end and start < b for a, b in leaves):
            continue
        if out and start < out[-1].end:
            continue  # (inside the previous comment)
        out.append(Comment(start, end, text[start:end].rstrip()))
    return tuple(out)


class Comments:
    """The side table the printer takes comments from, each once, in order."""

    def __init__(self, text: str, comments: Iterable[Comment]) -> None:
        self.text = text
        self.items = sorted(comments, key=lambda c: c.start)
        self.taken = [False] * len(self.items)

    def take(self, lo: int, hi: int) -> list[Comment]:
        """The comments not taken yet that start in ``[lo, hi)``."""
        out = []
        for i, comment in enumerate(self.items):
            if not self.taken[i] and lo <= comment.start < hi:
                self.taken[i] = True
                out.append(comment)
        return out

    def take_same_line(self, after: int, hi: int) -> list[Comment]:
        """The comments not taken yet after offset ``after`` and before
        ``hi`` on the same source line as ``after`` (trailing comments)."""
        out = []
        for i, comment in enumerate(self.items):
            if self.taken[i] or not after <= comment.start < hi:
                continue
            if "\n" in self.text[after : comment.start]:
                break
            self.taken[i] = True
            out.append(comment)
        return out

    def rest(self) -> list[Comment]:
        """Every comment not taken yet."""
        return self.take(0, len(self.text) + 1)

"""How many corpus queries with comments ``cqlmatch fmt`` prints back with
every comment, the same meaning, and idempotently.

Run: ``.venv/bin/python bench/fmt_comments.py [QUERIES.jsonl]``; without an
argument it reads the repository's copy of the corpus
(``corpus/queries.jsonl``, which ``tests/syntax/test_comments.py`` checks
query by query); give another corpus file of the same format (one JSON
object with a ``query`` per line) to check that one.  Prints one line of
counts and each failure.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from cqlmatch.errors import CQLError
from cqlmatch.syntax.parser import parse_with_comments
from cqlmatch.syntax.printer import format_query

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / "corpus" / "queries.jsonl"


def verdict(text: str) -> str | None:
    """None when ``text`` has no comment; else "ok" or what went wrong."""
    tree, comments = parse_with_comments(text)
    if not comments:
        return None
    printed = format_query(tree, comments, text)
    try:
        again, kept = parse_with_comments(printed)
    except CQLError:
        return "the printed query does not parse"
    if again != tree:
        return "the printed query means something else"
    if [c.text for c in kept] != [c.text for c in comments]:
        return "a comment was lost or moved out of order"
    if format_query(again, kept, printed) != printed:
        return "printing again changes it"
    return "ok"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else LOCAL
    counts: Counter[str] = Counter()
    failures = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            try:
                result = verdict(record["query"])
            except CQLError:
                counts["does not parse"] += 1
                continue
            counts["queries"] += 1
            if result is None:
                continue
            counts["with comments"] += 1
            counts[result] += 1
            if result != "ok":
                failures.append((record.get("id", "?"), result))
    print(
        f"{path}: {counts['queries']} queries parse, {counts['with comments']} have comments, "
        f"{counts['ok']} of those keep every comment, mean the same and print idempotently"
    )
    for ident, reason in failures:
        print(f"  {ident}: {reason}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

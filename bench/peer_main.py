"""One peer as a user would run it: a fresh interpreter, imports included, rows printed.

    python bench/peer_main.py {python,duckdb,polars} {seed,every} EVENTS.ndjson

``bench/compare.py`` times this whole process (exec to exit) for its whole-process
column; the query each peer runs is the one in ``peers.py``.  Prints the rows as one
JSON array on standard output.
"""

from __future__ import annotations

import json
import sys

import peers


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    contender, workload, path = argv
    if contender == "python":
        rows = peers.naive(path, workload)
    elif contender == "duckdb":
        rows = peers.run_duckdb(path, workload)
    elif contender == "polars":
        rows = peers.run_polars(path, workload)
    else:
        print(f"peer_main.py: unknown peer {contender!r}", file=sys.stderr)
        return 2
    json.dump([dict(r) for r in rows], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

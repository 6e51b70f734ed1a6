"""Front-end speed: parsing the seed rule and the whole corpus of real CQL.

Run: ``.venv/bin/python -m pytest bench/bench_parse.py --benchmark-enable``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cqlmatch import CQLSyntaxError, format_query, parse

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "rules" / "seed" / "t1546_016.cql"
CORPUS = ROOT / "corpus" / "queries.jsonl"


def _corpus() -> list[str]:
    if not CORPUS.exists():
        pytest.fail(f"corpus not found at {CORPUS}: corpus/queries.jsonl is part of the repository")
    with open(CORPUS, encoding="utf-8") as fh:
        return [json.loads(line)["query"] for line in fh]


def test_parse_seed(benchmark) -> None:
    text = SEED.read_text(encoding="utf-8")
    tree = benchmark(parse, text)
    assert len(tree.stages) == 4


def test_format_seed(benchmark) -> None:
    tree = parse(SEED.read_text(encoding="utf-8"))
    text = benchmark(format_query, tree)
    assert parse(text) == tree


def test_parse_corpus(benchmark) -> None:
    queries = _corpus()

    def parse_all() -> int:
        ok = 0
        for query in queries:
            try:
                parse(query)
                ok += 1
            except CQLSyntaxError:
                pass
        return ok

    parsed = benchmark.pedantic(parse_all, rounds=3, iterations=1)
    assert parsed >= 0.98 * len(queries)

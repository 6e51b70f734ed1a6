"""The dataset and queries the Dask and Spark tests share: several files of
uneven sizes, plain and gzip, one empty, with malformed lines; each
query's expected result is one process's ``run`` over the same files."""

from __future__ import annotations

import gzip
from pathlib import Path

from cqlmatch.ingest.sources import Inputs
from cqlmatch.packs.pack import compile_pack
from cqlmatch.runtime.query import compile as compile_query
from cqlmatch.synth.gen import generate_lines

from ..conftest import ROOT, SEED

QUERIES = {
    "seed": SEED.read_text(encoding="utf-8"),
    "corrected": (ROOT / "rules" / "t1546_016.cql").read_text(encoding="utf-8"),
    "group_sort_head": (
        "groupBy([event_simpleName, event_platform], function=count())"
        " | sort(_count, order=desc) | head(5)"
    ),
    "collect_distinct": (
        "#event_simpleName=DnsRequest | groupBy(ComputerName, function=[collect(DomainName),"
        " count(DomainName, distinct=true)]) | sort(ComputerName, order=asc)"
    ),
}
PACK = ROOT / "rules" / "packs" / "falcon.cqlpack.yaml"


def make_dataset(folder: Path) -> list[str]:
    """The files, in the order they are read."""
    bad = b'{"event_simpleName":"DnsRequest",\n'

    def lines(count: int, seed: int) -> list[bytes]:
        return list(generate_lines(count, seed=seed, malicious_rate=0.03, technique_rate=0.02))

    first = lines(2500, 1)
    first[100:100] = [bad]
    first[2000:2000] = [b"not json at all\n", b"\n"]
    small = lines(40, 4)
    small[7:7] = [bad]
    files = {
        "a.ndjson": b"".join(first),
        "b.ndjson.gz": gzip.compress(b"".join(lines(1200, 2))),
        "c-empty.ndjson": b"",
        "d.ndjson": b"".join(small),
        "e.ndjson.gz": gzip.compress(b"".join(lines(3000, 5))),
    }
    names = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        names.append(str(path))
    return names


def one_process(kind: str, names: list[str]):
    """The query (or ``"pack"``) and its result in one process."""
    what = compile_pack(str(PACK)) if kind == "pack" else compile_query(QUERIES[kind])
    return what, what.run(Inputs(*names), workers=1)


def same_result(got, expected) -> None:
    """Rows, warnings, counts and malformed lines (with their files) alike."""
    assert list(got) == list(expected)
    assert got.warnings == expected.warnings
    assert got.stats.as_dict() == expected.stats.as_dict()
    assert [(m.source, m.line_number, m.reason) for m in got.malformed] == [
        (m.source, m.line_number, m.reason) for m in expected.malformed
    ]
    assert got.malformed_count == expected.malformed_count
    if hasattr(expected, "rule_stats"):
        assert {k: (v.evaluated, v.hits) for k, v in got.rule_stats.items()} == {
            k: (v.evaluated, v.hits) for k, v in expected.rule_stats.items()
        }


KINDS = [*QUERIES, "pack"]

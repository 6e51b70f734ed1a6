"""A read stopped part of the way (an early ``head``, Ctrl-C) counts the
lines up to the last item it handed out: its stats add up and never show
more lines decoded than read (Reliability II: an interrupted run printed
89,630 lines and 90,112 events decoded)."""

from __future__ import annotations

import pytest

import cqlmatch
from cqlmatch.bytecode.compiler import compile_program
from cqlmatch.ingest.columns import ColumnBatch
from cqlmatch.ingest.lines import MalformedLine
from cqlmatch.ingest.reader import read_events

QUERIES = {
    # prefilter on "ProcessRollup2"; whole events
    "filter": "#event_simpleName=ProcessRollup2",
    # prefilter, native groupBy: column batches after the scan
    "grouped": "#event_simpleName=ProcessRollup2 | groupBy([n])",
    # no literal: every line decoded (column batches when grouped)
    "all": "groupBy([n])",
    "all-events": "n=*",
}


def numbered_lines(count: int = 3000) -> bytes:
    lines = []
    for i in range(1, count + 1):
        if i % 97 == 0:
            lines.append(b"garbage %d" % i)
        elif i % 89 == 0:
            lines.append(b"   ")
        else:
            kind = b"ProcessRollup2" if i % 3 else b"DnsRequest"
            lines.append(b'{"event_simpleName":"%s","n":"%d"}' % (kind, i))
    return b"\n".join(lines) + b"\n"


def stopped_after(query: str, stop: int, prefilter: bool):
    data = numbered_lines()
    checked = cqlmatch.compile(query).checked
    program = compile_program(checked)
    grouped = program.group is not None
    reader = read_events(
        data,
        program,
        need_all=not grouped,
        prefilter=prefilter,
        chunk_size=4096,
        columns=grouped,
    )
    last = None
    for taken, item in enumerate(reader, 1):
        last = item
        if taken == stop:
            break
    reader.close()
    return reader.stats, last


@pytest.mark.parametrize("prefilter", [True, False])
@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize("stop", [1, 2, 7, 40, 300])
def test_a_stopped_read_counts_its_lines_up_to_the_last_item(name, prefilter, stop) -> None:
    stats, last = stopped_after(QUERIES[name], stop, prefilter)
    assert stats.lines == stats.skipped + stats.blank + stats.events + stats.malformed
    assert stats.lines >= stats.decoded
    if isinstance(last, MalformedLine):
        assert stats.lines == last.line_number
    elif last is not None and not isinstance(last, ColumnBatch):
        # the last event handed out is the last line counted
        assert stats.lines == int(last.fields["n"])


def test_an_early_head_reads_no_further_than_it_needs() -> None:
    query = cqlmatch.compile("#event_simpleName=ProcessRollup2 | head(5)")
    rows = query.run(numbered_lines(100_000), workers=1)
    assert [row["n"] for row in rows] == ["1", "2", "4", "5", "7"]
    stats = rows.stats
    assert stats.lines == stats.skipped + stats.blank + stats.events + stats.malformed
    assert stats.lines < 20_000  # stopped within a block or so of the fifth event

"""Reliability II, item 2: a compressed input cut short (a ``.zst`` cut at a
block boundary, where the decompressor itself says nothing) or corrupt is
reported as an incomplete input: a malformed entry with the line where it
stopped, and ``Result.incomplete`` naming the source, on one process and on
workers."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
import zstandard

import cqlmatch
from cqlmatch.ingest.lines import MalformedLine
from cqlmatch.ingest.reader import read_events
from cqlmatch.runtime import parallel

COUNT = 20_000
DATA = b"".join(b'{"event_simpleName":"E","n":"%d"}\n' % i for i in range(COUNT))


def _zstd_blocks(data: bytes) -> bytes:
    """One frame, flushed every 64 KiB: many blocks to cut between."""
    out = io.BytesIO()
    with zstandard.ZstdCompressor(level=3).stream_writer(out, closefd=False) as writer:
        for at in range(0, len(data), 1 << 16):
            writer.write(data[at : at + (1 << 16)])
            writer.flush(zstandard.FLUSH_BLOCK)
    return out.getvalue()


def _block_boundary(blob: bytes) -> int:
    """An offset in the middle of ``blob`` where zstd's reader ends quietly."""
    for cut in range(len(blob) // 2, len(blob)):
        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(blob[:cut]), read_across_frames=True
        )
        try:
            reader.read()
        except zstandard.ZstdError:
            continue
        return cut
    raise AssertionError("no block boundary")


def _inputs(tmp_path: Path) -> dict[str, Path]:
    blob = _zstd_blocks(DATA)
    zipped = gzip.compress(DATA)
    made = {
        "zst cut at a block boundary": blob[: _block_boundary(blob)],
        "zst cut anywhere": blob[: len(blob) // 2 + 7],
        "gz cut": zipped[: len(zipped) // 2],
        "gz corrupt": zipped[:200] + bytes(64) + zipped[264:],
    }
    paths = {}
    for name, data in made.items():
        path = tmp_path / (name.replace(" ", "_") + (".zst" if "zst" in name else ".gz"))
        path.write_bytes(data)
        paths[name] = path
    return paths


def test_a_zst_cut_at_a_block_boundary_is_not_silent(tmp_path: Path) -> None:
    path = _inputs(tmp_path)["zst cut at a block boundary"]
    reader = read_events(path)
    items = list(reader)
    assert reader.incomplete
    last = items[-1]
    assert type(last) is MalformedLine and last.reason.startswith("input incomplete")
    assert reader.stats.events < COUNT
    assert last.line_number == reader.stats.lines


@pytest.mark.parametrize(
    "kind", ["zst cut at a block boundary", "zst cut anywhere", "gz cut", "gz corrupt"]
)
@pytest.mark.parametrize("workers", [1, 2])
def test_result_says_the_input_is_incomplete(
    kind: str, workers: int, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1 << 10)
    paths = _inputs(tmp_path)
    whole = tmp_path / "whole.ndjson"
    whole.write_bytes(DATA)
    query = cqlmatch.compile("groupBy([event_simpleName])")
    result = query.run([whole, paths[kind]], workers=workers)
    assert result.incomplete == [str(paths[kind])]
    stops = [m for m in result.malformed if m.reason.startswith("input incomplete")]
    assert len(stops) == 1 and stops[0].source == str(paths[kind])
    assert COUNT <= result.stats.events < 2 * COUNT
    assert result == [{"event_simpleName": "E", "_count": str(result.stats.events)}]
    single = query.run(paths[kind], workers=1)
    assert single.incomplete == [str(paths[kind])]


def test_complete_inputs_are_not_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "ok.zst"
    path.write_bytes(_zstd_blocks(DATA) + zstandard.ZstdCompressor().compress(DATA))
    result = cqlmatch.compile("groupBy([event_simpleName])").run(path, workers=1)
    assert result.incomplete == [] and result.malformed_count == 0
    assert result.stats.events == 2 * COUNT

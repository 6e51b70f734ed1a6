"""A query or a pack on a Dask cluster (``dask.distributed``).

The job is scattered to every worker once; each file is one task that
returns its part's partial state as bytes; states of consecutive parts
merge pairwise, level by level, in tasks too (a tree of depth log2 of the
files); the driver finishes the last state.  Local files are read by path
(every worker must see them: one machine, or a shared file system);
URLs (``s3://``, ``gs://``, ``file://`` ...) through ``fsspec``, which
Dask brings.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..packs.pack import Pack
from ..runtime.query import CompiledQuery
from ..runtime.result import Result
from .parts import Job, files, finish, is_url, make_job, merge_parts, run_part, target


def _part(job: Job, index: int, name: str) -> bytes:
    if not is_url(name):
        return run_part(job, index, name)
    import fsspec

    with fsspec.open(name, "rb") as fh:
        return run_part(job, index, name, fh)


def run(
    client: Any,
    query_or_pack: str | CompiledQuery | Pack,
    paths: Sequence[str | os.PathLike[str]] | str,
    *,
    on_error: str = "skip",
    prefilter: bool = True,
    max_line_bytes: int | None = None,
) -> Result:
    """The rows of ``query_or_pack`` (query text, a compiled query or a
    pack) over the NDJSON files ``paths`` (plain, gzip, zstd; directories
    and patterns as ``cqlmatch run`` takes them, or URLs), run on the Dask
    ``client``'s cluster: the same ``Result`` (a ``PackResult`` for a pack)
    one process gives.  Options as for ``CompiledQuery.run``."""
    what = target(query_or_pack)
    job = make_job(what, on_error=on_error, prefilter=prefilter, max_line_bytes=max_line_bytes)
    names = files(paths)
    # (a key of its own: a run right after another with the same job would
    # otherwise scatter to the key the first one is releasing, and wait forever)
    shipped = client.scatter(job, broadcast=True, hash=False)
    states = [
        client.submit(_part, shipped, index, name, pure=False) for index, name in enumerate(names)
    ]
    level = 0
    while len(states) > 1:
        level += 1
        paired = []
        for at in range(0, len(states) - 1, 2):
            paired.append(
                client.submit(merge_parts, shipped, states[at], states[at + 1], pure=False)
            )
        if len(states) % 2:
            paired.append(states[-1])
        states = paired
    data = states[0].result()
    return finish(what, data)

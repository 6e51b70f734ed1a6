"""What Dask and Spark share: the job (a query or a pack as plain values,
made again once per worker process), the parts (the input's files, in the
order one process reads them), a part's state as bytes, the merge of two
consecutive states and the end.

Only bytes and plain values cross the network: the job once per worker
(the program as bytes, the query text, parameters and lookup rows; or the
pack's rule sources), a part's path or contents, and the states back.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Sequence
from typing import Any

from ..ingest.sources import Inputs
from ..limits import MAX_LINE_BYTES
from ..packs.model import PackSource
from ..packs.pack import Pack, compile_pack
from ..records import replace
from ..runtime.partial import PartialState
from ..runtime.query import CompiledQuery, compile as compile_query, rebuild
from ..runtime.result import Result


@dataclasses.dataclass(frozen=True)
class Job:
    """A query or a pack as plain, picklable values, with the run's options."""

    kind: str  # "query" or "pack"
    spec: Any  # CompiledQuery.shipped() or (pack name, rule sources, compile options)
    key: str  # the state hash: a worker's cache key
    on_error: str = "skip"
    prefilter: bool = True
    max_line_bytes: int = MAX_LINE_BYTES


def target(query_or_pack: str | CompiledQuery | Pack) -> CompiledQuery | Pack:
    """A query's text compiled; a compiled query or pack as it is."""
    if isinstance(query_or_pack, str):
        return compile_query(query_or_pack)
    if isinstance(query_or_pack, CompiledQuery | Pack):
        return query_or_pack
    raise TypeError(
        f"expected a query (text or compiled) or a pack, not {type(query_or_pack).__name__}"
    )


def make_job(
    what: CompiledQuery | Pack,
    *,
    on_error: str = "skip",
    prefilter: bool = True,
    max_line_bytes: int | None = None,
) -> Job:
    """The job for ``what`` (a ``PartialStateError`` when it cannot run in parts)."""
    from ..runtime.choices import ON_ERROR

    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
    limit = MAX_LINE_BYTES if max_line_bytes is None else max_line_bytes
    runner = what.partial_runner()
    if isinstance(what, Pack):
        sources = [replace(rule.source, enabled=True) for rule in what.rules]
        spec = (what.name, sources, what.lookup_options)
        return Job("pack", spec, runner.hash, on_error, prefilter, limit)
    return Job("query", what.shipped(), runner.hash, on_error, prefilter, limit)


_MADE = threading.local()  # per worker thread: its job key and runner (runners hold engines)


def runner_of(job: Job) -> Any:
    """The job's runner in this thread, made at its first part."""
    runner = getattr(_MADE, "runner", None)
    if getattr(_MADE, "key", None) != job.key:
        if job.kind == "pack":
            name, sources, options = job.spec
            pack = compile_pack(PackSource(name, list(sources)), **(options or {}))
            runner = pack.partial_runner()
        else:
            runner = rebuild(job.spec).partial_runner()
        if runner.hash != job.key:
            raise RuntimeError("the job was made again differently on this worker")
        _MADE.key, _MADE.runner = job.key, runner  # (a worker keeps one job at a time)
    return runner


def files(paths: Sequence[str | os.PathLike[str]] | str) -> list[str]:
    """The files of ``paths`` in the order one process reads them: local
    directories and patterns expanded as ``cqlmatch run`` does; a URL
    (``s3://...``, ``file://...``) kept as it is."""
    names = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not names:
        raise ValueError("no input named")
    out: list[str] = []
    for name in names:
        text = os.fspath(name)
        out.extend([text] if is_url(text) else Inputs(text).paths)
    if "-" in out:
        raise ValueError("standard input cannot be read by a cluster: name files")
    return out


def is_url(path: str) -> bool:
    return "://" in path


def run_part(job: Job, index: int, name: str, source: Any = None) -> bytes:
    """Part ``index``: the file ``name`` (or ``source``, its contents or a
    binary file object the engine opened), as a serialised partial state."""
    runner = runner_of(job)
    state = runner.run(
        name if source is None else source,
        index,
        on_error=job.on_error,
        prefilter=job.prefilter,
        max_line_bytes=job.max_line_bytes,
        name=name,
    )
    return state.to_bytes()


def merge_parts(job: Job, first: bytes, second: bytes) -> bytes:
    """Two serialised states of consecutive parts as one."""
    runner = runner_of(job)
    return PartialState.load(first, runner).merge(PartialState.load(second, runner)).to_bytes()


def finish(what: CompiledQuery | Pack, data: bytes) -> Result:
    """The rows of the merged state ``data`` (a ``Result``, or a
    ``PackResult`` for a pack), with counts, malformed lines and warnings."""
    return what.finish(PartialState.from_bytes(data, what))  # type: ignore[arg-type]

"""cqlmatch against its peers on the same generated files (issue 5).

    .venv/bin/python bench/compare.py [--events 1000000] [--repeat 3] [--keep]
        [--only cqlmatch-1,duckdb] [--mixes realistic,worst,compact] [--workloads seed,every,count]
        [--columns process,whole]

Generates with ``cqlmatch gen`` (seed 1546) one NDJSON file per mix, in
``build/compare/`` (reused when present, deleted at the end unless ``--keep``),
then runs on each file and each workload, in this process tree, one run at a
time (the machine is shared; contenders take turns within each repetition so
that a noisy minute hurts all of them alike):

* ``cqlmatch-1``: ``cqlmatch.compile(text).run(path, workers=1)`` (``run(path)``
  when ``run`` takes no ``workers``);
* ``cqlmatch-all``: ``run(path, workers=os.cpu_count())``, "not available"
  when ``run`` takes no ``workers``;
* ``python``: the rule by hand with ``json`` and ``re`` (``bench/peers.py``);
* ``duckdb``: SQL over ``read_ndjson``, all threads;
* ``polars``: a lazy query over ``scan_ndjson``, all threads;
* ``duckdb-cli``: the same SQL through DuckDB's command-line binary (the
  ``duckdb-cli`` package of the ``bench`` extra; whole-process column only).

Mixes: ``realistic`` and ``worst`` as ``cqlmatch gen`` writes them, and
``compact``, the realistic events cut down to the fields the workloads read
(about a quarter of the bytes a line): the same matches in smaller lines, where
the raw-byte prefilter saves less and decoding weighs more.

Two columns (``--columns``):

* ``process`` (in-process), described below;
* ``whole`` (whole-process): what a user times, exec to exit of a fresh
  process: ``cqlmatch run RULE FILE --workers N --format ndjson`` for cqlmatch,
  ``bench/peer_main.py`` (a fresh interpreter: imports, planning, rows printed)
  for the Python peers, and the ``duckdb`` binary.  The wall time runs from
  just before the process is started to its exit.

Workloads: ``seed``, the corrected seed rule (``rules/t1546_016.cql``),
``every``, ``bench/every_event.cql``, whose regexes run on every event, and
``count``, ``bench/count_events.cql``, ``count(aid)`` over every event (no line
ruled out; an aggregate alone, which workers split).

In-process: each run is a child process (``--child``): the time measured is compiling or
planning the query plus running it to a list of rows, imports excluded.  This
script makes itself a child subreaper (Linux), so that it also reaps the
processes a child leaves behind (cqlmatch's worker pool runs under a
forkserver process): CPU time is user + system time of the child and all its
descendants from the start of the timed part to their exit; peak RSS is the
largest resident set of any one of them.  Every contender's rows are checked against cqlmatch's (the
naive peer's exactly, order included; DuckDB's and Polars' as
``peers.compare_rows`` explains: they do not keep first-appearance order among
equal counts).  The table gives the minimum and median wall time, events/s
and MB/s from the median, and the speed relative to DuckDB's median.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peers

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "compare"
CONTENDERS = ("cqlmatch-1", "cqlmatch-all", "python", "duckdb", "polars", "duckdb-cli")
MIXES = ("realistic", "worst", "compact")
COLUMNS = ("process", "whole")
COLUMN_TITLES = {"process": "in process, imports excluded", "whole": "whole process, exec to exit"}
WHOLE_ONLY = ("duckdb-cli",)
WORKLOADS = ("seed", "every", "count")
SEED = 1546
EXACT = ("cqlmatch-1", "cqlmatch-all", "python")  # rows in cqlmatch's order, ties included
LAZY_IMPORTS = (
    "cqlmatch.bytecode.compiler",
    "cqlmatch.semantics.lint",
    "cqlmatch.runtime.engine",
    "cqlmatch.runtime.parallel",
    "multiprocessing.pool",
)


# --- the child: one timed run -------------------------------------------------------------------


def supports_workers() -> bool:
    """Whether ``CompiledQuery.run`` takes ``workers`` (main gains it during issue 5)."""
    import cqlmatch

    return "workers" in inspect.signature(cqlmatch.CompiledQuery.run).parameters


def cpu_seconds() -> float:
    """User + system CPU time of this process and of the children it has reaped (the
    workers of a process pool, once it is closed)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def child(contender: str, workload: str, path: str, workers: int) -> dict[str, Any]:
    """Run one contender once; the result is printed as JSON for the parent, with the CPU
    time used before the timed part (the parent subtracts it from the whole tree's)."""
    module = {"duckdb": "duckdb", "polars": "polars", "python": None}.get(contender, "cqlmatch")
    if module:
        __import__(module)
    if module == "cqlmatch":
        # What a run imports on first use (the compiler, the VM, the worker pool) is
        # imported here too: imports stay out of the timed part, as for the peers.
        for name in LAZY_IMPORTS:
            with contextlib.suppress(ImportError):  # (an older cqlmatch may lack one)
                __import__(name)
    before = cpu_seconds()
    result = _child(contender, workload, path, workers)
    result["cpu_before"] = before
    result["cpu"] = cpu_seconds() - before  # without processes this one did not reap
    return result


def _child(contender: str, workload: str, path: str, workers: int) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if contender.startswith("cqlmatch"):
        import cqlmatch

        text = peers.RULES[workload].read_text(encoding="utf-8")
        kwargs = {"workers": workers} if supports_workers() else {}
        start = time.perf_counter()
        query = cqlmatch.compile(text)
        rows = query.run(path, **kwargs)
        seconds = time.perf_counter() - start
        extra["malformed"] = len(
            getattr(rows, "malformed", None) or getattr(query, "malformed", ())
        )
    elif contender == "python":
        start = time.perf_counter()
        groups = peers.naive_groups(path, workload)
        rows = groups[: peers.LIMIT]
        seconds = time.perf_counter() - start
        extra["groups"] = groups
    elif contender == "duckdb":
        import duckdb  # noqa: F401  (imported before the clock starts)

        start = time.perf_counter()
        rows = peers.run_duckdb(path, workload)
        seconds = time.perf_counter() - start
    elif contender == "polars":
        import polars  # noqa: F401

        start = time.perf_counter()
        rows = peers.run_polars(path, workload)
        seconds = time.perf_counter() - start
    else:
        raise SystemExit(f"unknown contender {contender!r}")
    return {"seconds": seconds, "rows": [dict(r) for r in rows], **extra}


# --- the parent ---------------------------------------------------------------------------------


@dataclass
class Runs:
    """The runs of one contender on one file and workload."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: float = 0.0
    rows: list[dict[str, str]] | None = None
    groups: list[dict[str, str]] | None = None
    error: str | None = None
    check: str = ""


def run_child(contender: str, workload: str, path: Path, workers: int, timeout: float):
    """One in-process run in a child process: (result, peak RSS in MB) or an error text."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        contender,
        "--workloads",
        workload,
        "--path",
        str(path),
        "--workers",
        str(workers),
    ]
    spawned = spawn(command, timeout)
    if spawned.error:
        return None, spawned.rss_mb, spawned.error
    result = json.loads(spawned.out)
    if SUBREAPER:
        result["cpu"] = spawned.cpu - result["cpu_before"]
    return result, spawned.rss_mb, None


def whole_command(contender: str, workload: str, path: Path, workers: int) -> list[str] | None:
    """The command a user would time for ``contender``, or None when it is not installed."""
    bin_dir = Path(sys.executable).parent
    if contender.startswith("cqlmatch"):
        return [
            str(bin_dir / "cqlmatch"),
            "run",
            str(peers.RULES[workload]),
            str(path),
            "--workers",
            str(1 if contender == "cqlmatch-1" else workers),
            "--format",
            "ndjson",
        ]
    if contender == "duckdb-cli":
        binary = bin_dir / "duckdb"
        if not binary.exists():
            return None
        return [str(binary), "-json", "-c", peers.duckdb_sql(path, workload)]
    script = Path(__file__).resolve().parent / "peer_main.py"
    return [sys.executable, str(script), contender, workload, str(path)]


def whole_rows(contender: str, out: bytes) -> list[dict[str, str]]:
    """The rows a whole-process contender printed, with every value as text."""
    text = out.decode("utf-8")
    if contender.startswith("cqlmatch"):
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        rows = json.loads(text) if text.strip() else []
    return [{k: str(v) for k, v in row.items()} for row in rows]


def run_whole(contender: str, workload: str, path: Path, workers: int, timeout: float):
    """One whole-process run: (result, peak RSS in MB) or an error text."""
    command = whole_command(contender, workload, path, workers)
    if command is None:
        return None, 0.0, "not available (not installed)"
    spawned = spawn(command, timeout)
    if spawned.error:
        return None, spawned.rss_mb, spawned.error
    result = {"seconds": spawned.seconds, "cpu": spawned.cpu}
    result["rows"] = whole_rows(contender, spawned.out)
    return result, spawned.rss_mb, None


@dataclass
class Spawned:
    """What one child process printed and used."""

    out: bytes = b""
    seconds: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    error: str | None = None


def spawn(command: list[str], timeout: float) -> Spawned:
    """Run ``command`` to its exit, reading both pipes (the rows can exceed a pipe buffer),
    and reap it with wait4 for its resource usage (and that of the descendants it left)."""
    import selectors

    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    out = bytearray()
    err = bytearray()
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ, out)  # type: ignore[arg-type]
        sel.register(proc.stderr, selectors.EVENT_READ, err)  # type: ignore[arg-type]
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                os.wait4(proc.pid, 0)
                return Spawned(error=f"timed out after {timeout:.0f} s")
            for key, _ in sel.select(timeout=min(left, 1.0)):
                chunk = os.read(key.fd, 1 << 16)
                if chunk:
                    key.data.extend(chunk)
                else:
                    sel.unregister(key.fileobj)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    rss_mb = usage.ru_maxrss / 1024
    for orphan in reap_orphans():
        cpu += orphan.ru_utime + orphan.ru_stime
        rss_mb = max(rss_mb, orphan.ru_maxrss / 1024)
    if proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()
        last = lines[-1] if lines else f"exit status {proc.returncode}"
        error = last if len(last) <= 160 else last[:157] + "..."
        return Spawned(rss_mb=rss_mb, error=error)
    return Spawned(bytes(out), seconds, cpu, rss_mb)


def become_subreaper() -> bool:
    """Adopt the orphaned descendants of the children (Linux ``PR_SET_CHILD_SUBREAPER``):
    cqlmatch's worker pool lives under a forkserver process that outlives the child that
    started it, and its CPU time and memory belong to the run."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap_orphans(wait: float = 10.0) -> list[Any]:
    """The resource usage of adopted descendants as they exit (they do once the child is
    gone), waiting at most ``wait`` seconds."""
    usages = []
    deadline = time.monotonic() + wait
    while SUBREAPER and time.monotonic() < deadline:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid:
            usages.append(usage)
        else:
            time.sleep(0.01)
    return usages


SUBREAPER = False


def ensure_file(mix: str, events: int) -> Path:
    """The generated file for ``mix``, made once with ``cqlmatch gen``."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{mix}-{events}-s{SEED}.ndjson"
    if mix == "compact" and not path.exists():
        compact(ensure_file("realistic", events), path)
    if not path.exists():
        partial = path.with_suffix(".part")
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cqlmatch",
                "gen",
                "--events",
                str(events),
                "--seed",
                str(SEED),
                "--mix",
                mix,
                "--out",
                str(partial),
            ],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        partial.rename(path)
        note(f"generated {path} in {time.perf_counter() - started:.0f} s")
    return path


def compact(source: Path, path: Path) -> None:
    """Write ``source``'s events with only the fields the workloads read (a line that is not
    a JSON object is copied as it is)."""
    keep = {name for fields in peers.FIELDS.values() for name in fields}
    partial = path.with_suffix(".part")
    with source.open("rb") as src, partial.open("wb") as out:
        for line in src:
            try:
                event = json.loads(line)
            except ValueError:
                out.write(line)
                continue
            if not isinstance(event, dict):
                out.write(line)
                continue
            kept = {k: v for k, v in event.items() if k in keep}
            out.write(json.dumps(kept, separators=(",", ":")).encode() + b"\n")
    partial.rename(path)
    note(f"wrote {path} ({path.stat().st_size / source.stat().st_size:.0%} of {source.name})")


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def machine() -> list[str]:
    """Cores, CPU model, load and versions, for the header of the report."""
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = []
    for name in ("cqlmatch", "duckdb", "polars"):
        try:
            module = __import__(name)
            versions.append(f"{name} {getattr(module, '__version__', '?')}")
        except ImportError:
            versions.append(f"{name} not installed")
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [
        f"machine: {os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}",
        f"load average at start: {load}",
        f"python {platform.python_version()}; {'; '.join(versions)}; cqlmatch commit {commit}",
        "cqlmatch run(workers=...): "
        + ("available" if supports_workers() else "not available (cqlmatch-all skipped)"),
    ]


def checked(results: dict[str, Runs]) -> None:
    """Compare every contender's rows with cqlmatch's (or the naive peer's)."""
    reference_name = next(
        (n for n in EXACT if n in results and results[n].rows is not None),
        None,
    )
    if reference_name is None:
        for runs in results.values():
            runs.check = "unchecked"
        return
    expected = results[reference_name].rows or []
    groups = results["python"].groups if "python" in results else None
    for name, runs in results.items():
        if runs.rows is None:
            runs.check = "-"
        elif name == reference_name:
            runs.check = "reference"
        elif name in EXACT:
            runs.check = "same rows" if runs.rows == expected else "DIFFERENT ROWS"
        else:
            problems = peers.compare_rows(expected, runs.rows, groups)
            runs.check = "same rows*" if not problems else "DIFFERENT: " + "; ".join(problems)


def table(results: dict[str, Runs], events: int, size: int) -> list[str]:
    """The results as a Markdown table (paste it into bench/README.md)."""
    duck = results.get("duckdb")
    duck_median = statistics.median(duck.seconds) if duck and duck.seconds else None
    lines = [
        "| contender | min s | median s | CPU s | events/s | MB/s | vs DuckDB | peak RSS | rows |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for name, runs in results.items():
        if runs.error or not runs.seconds:
            lines.append(f"| {name} | {runs.error or 'no run'} | | | | | | | |")
            continue
        median = statistics.median(runs.seconds)
        ratio = f"{duck_median / median:.2f}x" if duck_median else "-"
        lines.append(
            f"| {name} | {min(runs.seconds):.2f} | {median:.2f} | {statistics.median(runs.cpu):.2f}"
            f" | {events / median / 1e6:.3f} M | {size / median / 1e6:.0f} | {ratio}"
            f" | {runs.rss_mb:.0f} MB | {len(runs.rows or [])}, {runs.check} |"
        )
    return lines


TARGETS = (
    # (column, mix, workload, contender, what, test); the ratios are to DuckDB's Python
    # package in the same column
    ("process", "realistic", "seed", "cqlmatch-all", ">= 3x DuckDB", lambda r, d: r >= 3 * d),
    ("process", "realistic", "seed", "cqlmatch-all", ">= 2 M events/s", lambda r, d: r >= 2e6),
    ("process", "realistic", "seed", "cqlmatch-1", ">= 1 M events/s", lambda r, d: r >= 1e6),
    ("process", "worst", "seed", "cqlmatch-all", ">= 1.5x DuckDB", lambda r, d: r >= 1.5 * d),
    ("whole", "realistic", "seed", "cqlmatch-all", ">= 4x DuckDB", lambda r, d: r >= 4 * d),
    ("whole", "worst", "seed", "cqlmatch-all", ">= 2x DuckDB", lambda r, d: r >= 2 * d),
)


def targets(all_results: dict[tuple[str, str, str], dict[str, Runs]], events: int) -> list[str]:
    """The targets (issue 5 in process, issue 19 whole process), met or not, from the
    median runs."""
    lines = ["targets (median runs, corrected seed rule):"]
    for column, mix, workload, contender, what, test in TARGETS:
        results = all_results.get((column, mix, workload), {})
        runs = results.get(contender)
        duck = results.get("duckdb")
        label = f"  {column:<7} {mix:<9} {contender:<12} {what:<16}"
        if runs is None or not runs.seconds:
            lines.append(f"{label} not measured")
            continue
        rate = events / statistics.median(runs.seconds)
        duck_rate = events / statistics.median(duck.seconds) if duck and duck.seconds else None
        if duck_rate is None and "DuckDB" in what:
            lines.append(f"{label} not measured (no DuckDB run) ({rate / 1e6:.2f} M/s)")
            continue
        verdict = "met" if test(rate, duck_rate or 0.0) else "NOT met"
        ratio = f", {rate / duck_rate:.2f}x DuckDB" if duck_rate else ""
        lines.append(f"{label} {verdict} ({rate / 1e6:.2f} M/s{ratio})")
    return lines


def split(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    items = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in items if x not in allowed]
    if unknown or not items:
        raise SystemExit(
            f"compare.py: unknown {what} {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(allowed)}"
        )
    return items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events per file")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--only", default=",".join(CONTENDERS), help="contenders, comma-separated")
    parser.add_argument("--mixes", default=",".join(MIXES), help="mixes, comma-separated")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="cqlmatch-all's workers"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    parser.add_argument(
        "--columns",
        default=",".join(COLUMNS),
        help="process (imports excluded) and/or whole (exec to exit), comma-separated",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        workers = 1 if args.child == "cqlmatch-1" else args.workers
        result = child(args.child, args.workloads, args.path, workers)
        sys.stdout.write(json.dumps(result))
        return 0

    if args.events < 1 or args.repeat < 1:
        parser.error("--events and --repeat must be at least 1")
    contenders = split(args.only, CONTENDERS, "contender")
    mixes = split(args.mixes, MIXES, "mix")
    workloads = split(args.workloads, WORKLOADS, "workload")
    columns = split(args.columns, COLUMNS, "column")
    global SUBREAPER
    SUBREAPER = become_subreaper()
    if "cqlmatch-all" in contenders and not supports_workers():
        note("cqlmatch run() takes no workers: cqlmatch-all is not available")
    header = machine()
    print("\n".join(header), flush=True)

    files = {mix: ensure_file(mix, args.events) for mix in mixes}
    all_results: dict[tuple[str, str, str], dict[str, Runs]] = {}
    try:
        for mix, path in files.items():
            size = path.stat().st_size
            for workload in workloads:
                measured = measure(args, contenders, columns, workload, path)
                for column, results in measured.items():
                    all_results[(column, mix, workload)] = results
                    print(
                        f"\n{mix} mix, {args.events:,} events, {size / 1e6:.0f} MB; "
                        f"workload {workload} ({peers.RULES[workload].relative_to(ROOT)}); "
                        f"{COLUMN_TITLES[column]}; {args.repeat} runs each",
                        flush=True,
                    )
                    print("\n".join(table(results, args.events, size)), flush=True)
    finally:
        if not args.keep:
            for path in files.values():
                path.unlink(missing_ok=True)
    print()
    print("\n".join(targets(all_results, args.events)))
    print(
        "\n* same rows as cqlmatch; among equal counts in any order (see peers.compare_rows).\n"
        f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    bad = [
        f"{column}/{mix}/{workload}/{name}"
        for (column, mix, workload), results in all_results.items()
        for name, runs in results.items()
        if "DIFFERENT" in runs.check or (runs.error and "not available" not in runs.error)
    ]
    if bad:
        print(f"problems: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


def measure(
    args: argparse.Namespace, contenders: list[str], columns: list[str], workload: str, path: Path
) -> dict[str, dict[str, Runs]]:
    """Every contender's runs on one file and workload, per column.  Within a repetition the
    contenders (and columns) take turns, so a noisy minute hurts all of them alike."""
    measured: dict[str, dict[str, Runs]] = {}
    for column in columns:
        results = {
            name: Runs() for name in contenders if column == "whole" or name not in WHOLE_ONLY
        }
        if "cqlmatch-all" in results and not supports_workers():
            results["cqlmatch-all"].error = "not available (run() takes no workers)"
        measured[column] = results
    for rep in range(args.repeat):
        for column, results in measured.items():
            runner = run_child if column == "process" else run_whole
            for name, runs in results.items():
                if runs.error:
                    continue
                note(f"{path.name} {workload} {column} {name} run {rep + 1}/{args.repeat}")
                result, rss, error = runner(name, workload, path, args.workers, args.timeout)
                if error:
                    runs.error = error if "not available" in error else f"failed: {error}"
                    continue
                runs.seconds.append(result["seconds"])
                runs.cpu.append(result["cpu"])
                runs.rss_mb = max(runs.rss_mb, rss)
                if runs.rows is None:
                    runs.rows = result["rows"]
                    runs.groups = result.get("groups")
                elif (
                    runs.rows != result["rows"]
                    if name in EXACT
                    else peers.compare_rows(runs.rows, result["rows"], runs.groups)
                ):
                    runs.error = "rows differ between runs"
    for column, results in measured.items():
        if column == "whole" and "python" in results and "process" in measured:
            # the naive peer's full groups (for the tie check) come from its in-process run
            results["python"].groups = measured["process"]["python"].groups
        checked(results)
    return measured


if __name__ == "__main__":
    sys.exit(main())

"""Rule packs against their peer, the same rules run one at a time.

    .venv/bin/python bench/bench_pack.py --events 200000 --sample 20000

Generates realistic telemetry (``cqlmatch gen --seed 1546``, planted
techniques at the default rate), then in one run:

1. builds the pack of every compilable Sigma-converted corpus query
   (``corpus/queries.jsonl``) and times the build, writes it as a built
   pack file (``cqlmatch pack build``) and times loading that file;
2. runs the loaded pack over the events with one worker and with all cores,
   and the single corrected seed rule over the same file, for the
   throughput ratio; then the whole process as a user runs it
   (``cqlmatch pack run FILE.cqlpack EVENTS --format ndjson`` against
   ``cqlmatch run SEED EVENTS --format ndjson``, output to /dev/null);
3. a scaling table over a smaller sample: the first 1, 10, 100, 1,000 and
   all rules as one pack against the sum of running each rule alone
   (``CompiledQuery.run``, one worker), on the realistic and the worst mix;
   every rule's hits are checked equal in both.

Times are wall-clock seconds of ``perf_counter`` around the call, best of
``--repeat``; the machine is shared, so compare ratios within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cqlmatch
from cqlmatch.packs.pack import compile_pack
from cqlmatch.packs.packfile import write_pack
from cqlmatch.packs.sources import PackSource, RuleSource
from cqlmatch.synth import gen

ROOT = Path(__file__).resolve().parents[1]


def sigma_sources() -> list[RuleSource]:
    records = [
        json.loads(line)
        for line in (ROOT / "corpus" / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    return [
        RuleSource(id=r["id"], name=r["sigma_title"], text=r["query"])
        for r in records
        if r.get("sigma_title")
    ]


def best(repeat: int, call) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = call()
        times.append(time.perf_counter() - started)
    return min(times), out


def events_file(folder: Path, events: int, mix: str) -> Path:
    path = folder / f"pack-{mix}-{events}.ndjson"
    if not path.exists():
        gen.write_file(path, events, seed=1546, mix=mix)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=20_000, help="events for the scaling table")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "build" / "bench-pack"))
    args = parser.parse_args()
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    cores = len(os.sched_getaffinity(0))

    sources = sigma_sources()
    build, pack = best(1, lambda: compile_pack(PackSource("sigma", sources)))
    print(
        f"pack build: {len(sources)} Sigma-converted queries, {len(pack)} compiled, "
        f"{len(pack.problems)} left out, {build:.2f} s"
    )
    built = folder / "sigma.cqlpack"
    write_s, size = best(1, lambda: write_pack(pack, built))
    load_s, loaded = best(args.repeat, lambda: compile_pack(built))
    print(f"built pack file: {size:,} bytes written in {write_s:.2f} s; loads in {load_s:.3f} s")
    path = events_file(folder, args.events, "realistic")
    seed_path = ROOT / "rules" / "t1546_016.cql"
    seed = cqlmatch.compile(seed_path.read_text(encoding="utf-8"))
    print(f"\nthroughput over {args.events:,} realistic events ({path.stat().st_size >> 20} MiB):")
    print("| contender | s | events/s |")
    print("|---|---|---|")
    rates = {}
    cli = str(Path(sys.executable).with_name("cqlmatch"))
    out = ["--format", "ndjson", "--workers", str(cores)]
    for label, call in [
        (f"pack of {len(pack)}, 1 worker", lambda: loaded.run(str(path), workers=1)),
        (f"pack of {len(pack)}, {cores} workers", lambda: loaded.run(str(path), workers=cores)),
        ("seed rule alone, 1 worker", lambda: seed.run(str(path), workers=1)),
        (f"seed rule alone, {cores} workers", lambda: seed.run(str(path), workers=cores)),
        (
            f"whole process: pack run {built.name}, {cores} workers",
            lambda: _process([cli, "pack", "run", str(built), str(path), *out]),
        ),
        (
            f"whole process: run seed rule, {cores} workers",
            lambda: _process([cli, "run", str(seed_path), str(path), *out]),
        ),
    ]:
        seconds, _ = best(args.repeat, call)
        rates[label] = args.events / seconds
        print(f"| {label} | {seconds:.2f} | {args.events / seconds:,.0f} |")
    pack_rate = rates[f"pack of {len(pack)}, {cores} workers"]
    seed_rate = rates[f"seed rule alone, {cores} workers"]
    print(
        f"\npack / seed rule throughput ({cores} workers, in process): {pack_rate / seed_rate:.3f}"
    )
    whole_pack = rates[f"whole process: pack run {built.name}, {cores} workers"]
    whole_seed = rates[f"whole process: run seed rule, {cores} workers"]
    print(f"pack / seed rule throughput (whole processes): {whole_pack / whole_seed:.3f}")

    print(f"\nscaling over {args.sample:,} events: the pack against each rule alone")
    print("| mix | rules | pack s | one at a time s | ratio |")
    print("|---|---|---|---|---|")
    for mix in ("realistic", "worst"):
        sample = events_file(folder, args.sample, mix)
        for count in (1, 10, 100, 1000, len(pack)):
            chosen = pack.rules[:count]
            subset = pack.select(disable=[r.id for r in pack.rules[count:]])
            pack_s, result = best(
                args.repeat, lambda subset=subset, sample=sample: subset.run(str(sample), workers=1)
            )

            def each_alone(rules=chosen, sample=sample):
                return {r.id: r.query.run(str(sample), workers=1) for r in rules}

            alone_s, alone = best(1, each_alone)
            for rule in chosen:
                mine = [
                    {k: v for k, v in row.items() if not k.startswith("rule.")}
                    for row in result
                    if row["rule.id"] == rule.id
                ]
                if sorted(map(str, mine)) != sorted(map(str, alone[rule.id])):
                    print(f"MISMATCH: rule {rule.id}", file=sys.stderr)
                    return 1
            print(f"| {mix} | {count} | {pack_s:.2f} | {alone_s:.2f} | {alone_s / pack_s:.1f}x |")
    return 0


def _process(command: list[str]) -> None:
    """Run ``command`` to its end, output to /dev/null; exit 6 (rules left
    out of the pack) is expected."""
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    if done.returncode not in (0, 6):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-500:]!r}")


if __name__ == "__main__":
    sys.exit(main())

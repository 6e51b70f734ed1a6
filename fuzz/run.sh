#!/usr/bin/env bash
# Run one atheris target for SECONDS in total (default 600), restarting after a
# crash so one finding does not end the run; crash inputs go to
# fuzz/artifacts/TARGET/, the log to fuzz/artifacts/TARGET.log.
#
#   bash fuzz/run.sh parser|compiler|decoder|vm [SECONDS] [extra libFuzzer flags]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target=${1:?usage: fuzz/run.sh parser|compiler|decoder|vm [SECONDS]}
total=${2:-600}
shift $(($# < 2 ? $# : 2))
corpus=fuzz/corpus/$target
artifacts=fuzz/artifacts/$target
log=fuzz/artifacts/$target.log
mkdir -p "$artifacts" "$corpus"
if [[ $target != vm && -z $(ls -A "$corpus") ]]; then
    .venv/bin/python fuzz/seed_corpus.py "$target"
fi
flags=(-timeout=30 -rss_limit_mb=3072 -print_final_stats=1 "-artifact_prefix=$artifacts/")
if [[ $target == parser || $target == compiler ]]; then
    flags+=(-dict=fuzz/cql.dict)
fi

start=$(date +%s)
: >"$log"
while true; do
    left=$((total - ($(date +%s) - start)))
    ((left > 5)) || break
    if .venv/bin/python "fuzz/fuzz_$target.py" "$corpus" "${flags[@]}" "-max_total_time=$left" "$@" \
        >>"$log" 2>&1; then
        break
    fi
    echo "== $(date +%T) finding kept in $artifacts; restarting" >>"$log"
done
runs=$(grep -aho 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
echo "$target: $(($(date +%s) - start)) s, $runs executions, findings: $(ls "$artifacts" | wc -l)"

#!/usr/bin/env bash
# The main job: set up the environment if needed, generate sample Falcon
# telemetry, check the seed rule as written (its warnings), run it and its
# corrected version over the telemetry, print the corrected rule's four
# categories with their counts and the throughput (events/s, MB/s), run
# the rule pack (rules/packs/falcon.cqlpack.yaml: the corrected rule and rules for the
# planted ATT&CK techniques) in one pass with its per-rule table, and end
# with those rules and the corpus's Sigma-converted rules built into one
# pack file and run in one pass: its per-rule table of the rules that hit.
#
# CQLMATCH_EVENTS sets the number of generated events (default 200000).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh "${CQLMATCH_EXTRAS:-test}"

SEED="${CQLMATCH_SEED:-rules/seed/t1546_016.cql}"  # as published (rules/seed/README.md)
EVENTS="${CQLMATCH_EVENTS:-200000}"
DATA="build/sample-telemetry.ndjson"
mkdir -p build

echo "== cqlmatch gen --events $EVENTS --seed 1546 --out $DATA" >&2
.venv/bin/cqlmatch gen --events "$EVENTS" --seed 1546 --out "$DATA"

echo "== cqlmatch check $SEED (the seed rule as written)" >&2
.venv/bin/cqlmatch check "$SEED"

echo "== cqlmatch run $SEED (as written: groupBy drops every event)" >&2
.venv/bin/cqlmatch run "$SEED" "$DATA" --format table

echo "== cqlmatch run rules/t1546_016.cql (corrected: the first 20 of its rows)" >&2
.venv/bin/cqlmatch run rules/t1546_016.cql "$DATA" --format table --stats | head -n 22

echo "== cqlmatch run rules/t1546_016_categories.cql (the four categories)" >&2
.venv/bin/cqlmatch run rules/t1546_016_categories.cql "$DATA" --format table --stats

PACK=rules/packs/falcon.cqlpack.yaml
echo "== cqlmatch pack run $PACK (hits in build/pack-hits.ndjson; per-rule table)" >&2
.venv/bin/cqlmatch pack run "$PACK" "$DATA" --format ndjson --stats > build/pack-hits.ndjson

# The seed and technique rules with the 1,695 Sigma-converted rules of the
# corpus (scripts/main_pack.py); five of those do not compile and are left
# out with their reasons (exit 6 says so; anything else is an error).
echo "== cqlmatch pack build build/main.cqlpack.yaml -o build/main.cqlpack" >&2
.venv/bin/python scripts/main_pack.py build/main.cqlpack.yaml >&2
status=0
.venv/bin/cqlmatch pack build build/main.cqlpack.yaml -o build/main.cqlpack \
    2> build/main-pack-build.txt || status=$?
tail -n 1 build/main-pack-build.txt >&2
[[ $status -eq 0 || $status -eq 6 ]] || { cat build/main-pack-build.txt >&2; exit "$status"; }

echo "== cqlmatch pack run build/main.cqlpack (hits in build/main-pack-hits.ndjson;" \
    "the rules that hit; every rule in build/main-pack-stats.txt)" >&2
status=0
.venv/bin/cqlmatch pack run build/main.cqlpack "$DATA" --format ndjson --stats \
    > build/main-pack-hits.ndjson 2> build/main-pack-stats.txt || status=$?
[[ $status -eq 0 || $status -eq 6 ]] || { cat build/main-pack-stats.txt >&2; exit "$status"; }
# The per-rule table (rule, events, hits, ms) without the rules that hit
# nothing, and the pack's summary line.
awk '/^rule +events +hits/ { table = 1; print; next }
     table && /^-/ { print; next }
     table && /^\(/ { table = 0; print "(" silent " rules without hits not shown)"; next }
     table { if ($3 != "0") print; else silent++; next }
     /^cqlmatch: pack / { print }' build/main-pack-stats.txt

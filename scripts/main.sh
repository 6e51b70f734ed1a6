#!/usr/bin/env bash
# The main job: set up the environment if needed, generate sample Falcon
# telemetry, check the seed rule as written (its warnings), run it and its
# corrected version over the telemetry, print the corrected rule's four
# categories with their counts and the throughput (events/s, MB/s), and run
# the rule pack (rules/packs/falcon.cqlpack.yaml: the corrected rule and rules for the
# planted ATT&CK techniques) in one pass, ending with its per-rule table.
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

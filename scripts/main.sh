#!/usr/bin/env bash
# The main job: set up the environment if needed, generate sample Falcon
# telemetry, check the seed rule as written (its warnings), and run it and
# its corrected version over the telemetry.
#
# CQLMATCH_EVENTS sets the number of generated events (default 200000).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh "${CQLMATCH_EXTRAS:-test}"

SEED="${CQLMATCH_SEED:-../shared/seed/t1546_016.cql}"
EVENTS="${CQLMATCH_EVENTS:-200000}"
DATA="build/sample-telemetry.ndjson"
mkdir -p build

echo "== cqlmatch gen --events $EVENTS --seed 1546 --out $DATA" >&2
.venv/bin/cqlmatch gen --events "$EVENTS" --seed 1546 --out "$DATA"

echo "== cqlmatch check $SEED (the seed rule as written)" >&2
.venv/bin/cqlmatch check "$SEED"

echo "== cqlmatch run $SEED (as written: groupBy drops every event)" >&2
.venv/bin/cqlmatch run "$SEED" "$DATA" --format table

echo "== cqlmatch run rules/t1546_016.cql (corrected)" >&2
.venv/bin/cqlmatch run rules/t1546_016.cql "$DATA" --format table --stats

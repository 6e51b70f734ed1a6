#!/usr/bin/env bash
# The main job: set up the environment if needed, then run cqlmatch on the
# seed rule from ../shared/seed (for now: parse it and print it in canonical
# form; the detection itself comes with the engine).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh "${CQLMATCH_EXTRAS:-test}"

SEED="${CQLMATCH_SEED:-../shared/seed/t1546_016.cql}"
echo "== cqlmatch fmt $SEED" >&2
.venv/bin/cqlmatch fmt "$SEED"

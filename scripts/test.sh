#!/usr/bin/env bash
# Set up the environment if needed, then lint, check formatting and run tests.
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -k regexset -x  # extra arguments go to pytest
#
# CQLMATCH_EXTRAS selects the extras installed by setup.sh (default: test).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh "${CQLMATCH_EXTRAS:-test}"

echo "== ruff check" >&2
.venv/bin/ruff check .
echo "== ruff format --check" >&2
.venv/bin/ruff format --check .
echo "== pytest" >&2
exec .venv/bin/python -m pytest "$@"

#!/usr/bin/env bash
# Memory-safety check of the native extensions (cqlmatch._vm, cqlmatch._regexset).
#
#   bash scripts/sanitize.sh                 # build, test suite, leak check
#   bash scripts/sanitize.sh -k vm -x        # extra arguments go to pytest
#   SANITIZE_SKIP_TESTS=1 bash scripts/sanitize.sh   # build and leak check only
#   SANITIZE_SKIP_BUILD=1 bash scripts/sanitize.sh   # reuse the last sanitized build
#
# 1. Builds the extensions with AddressSanitizer + UndefinedBehaviorSanitizer
#    (CQLMATCH_SANITIZE=1, see setup.py) into build/sanitize/, leaving the
#    .venv's own build alone, and assembles build/sanitize/pkg/cqlmatch: the
#    Python sources linked from src/, the sanitized .so files beside them.
# 2. Runs the test suite against that package with libasan preloaded (Python
#    itself is not instrumented), leak detection off (the interpreter keeps
#    memory until exit on purpose), and UBSan set to stop at the first report.
# 3. Leak check: the corrected seed rule over generated telemetry, once with
#    LEAK_SMALL and once with LEAK_LARGE events (default 20,000 and 200,000),
#    in this process (workers=1: the VM LeakSanitizer watches, no forks),
#    under LeakSanitizer.  Memory the interpreter keeps to its exit shows up in
#    both runs alike; a leak in the VM grows with the number of events.  The
#    check fails when the large run leaks more bytes directly than the small.
#
# Run it once per change to cext/.  Needs g++ with libasan (gcc's runtime).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=build/sanitize
py=.venv/bin/python
small=${LEAK_SMALL:-20000}
large=${LEAK_LARGE:-200000}

if [[ -z ${SANITIZE_SKIP_BUILD:-} || ! -d $out/lib ]]; then
    echo "== build with ASan + UBSan into $out" >&2
    mkdir -p "$out"
    CQLMATCH_SANITIZE=1 "$py" setup.py -q build_ext --force \
        --build-lib "$out/lib" --build-temp "$out/tmp" >"$out.build.log" 2>&1 ||
        { tail -n 40 "$out.build.log" >&2; exit 1; }
fi
rm -rf "$out/pkg"
mkdir -p "$out/pkg/cqlmatch"
for path in "$PWD"/src/cqlmatch/*; do
    [[ $path == *.so ]] || ln -s "$path" "$out/pkg/cqlmatch/"
done
cp "$out"/lib/cqlmatch/*.so "$out/pkg/cqlmatch/"

libasan=$(c++ -print-file-name=libasan.so)
[[ -f $libasan ]] || { echo "libasan.so not found (install gcc's sanitizer runtime)" >&2; exit 1; }
export LD_PRELOAD=$libasan
export PYTHONPATH=$PWD/$out/pkg
export PYTHONMALLOC=malloc # every object through malloc, so ASan sees each one
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=0 # on only for the leak check below

"$py" - <<'EOF'
import cqlmatch._regexset as r, cqlmatch._vm as v
for m in (r, v):
    assert "/build/sanitize/pkg/" in m.__file__, f"not the sanitized build: {m.__file__}"
print("sanitized extensions:", v.__file__, r.__file__)
EOF

if [[ -z ${SANITIZE_SKIP_TESTS:-} ]]; then
    echo "== test suite under ASan + UBSan (leak detection off)" >&2
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 \
        "$py" -m pytest -q -p no:cacheprovider "$@"
fi

echo "== leak check: seed rule over $small and $large events under LeakSanitizer" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" -m cqlmatch gen --events "$large" --seed 7 --out "$work/large.ndjson" >/dev/null
head -n "$small" "$work/large.ndjson" >"$work/small.ndjson"
cat >"$work/run.py" <<'EOF'
import sys

import cqlmatch

query = cqlmatch.compile(open("rules/t1546_016.cql", encoding="utf-8").read())
for _ in range(2):  # twice: state carried between runs must not pile up either
    rows = query.run(sys.argv[1], engine="vm", workers=1)  # the VM in this process
print(f"{sys.argv[1]}: {len(rows)} rows", file=sys.stderr)
EOF
direct_leak() {
    ASAN_OPTIONS=detect_leaks=1:leak_check_at_exit=1:exitcode=0 \
        "$py" "$work/run.py" "$1" 2>"$work/lsan.txt" || true
    grep -E "ndjson: [0-9]+ rows" "$work/lsan.txt" >&2 || { cat "$work/lsan.txt" >&2; exit 1; }
    awk '/^Direct leak of/ {sum += $4} END {print sum + 0}' "$work/lsan.txt"
}
small_bytes=$(direct_leak "$work/small.ndjson")
cp "$work/lsan.txt" "$out/lsan-small.txt"
large_bytes=$(direct_leak "$work/large.ndjson")
cp "$work/lsan.txt" "$out/lsan-large.txt"
echo "direct leaks: $small_bytes bytes after $small events, $large_bytes bytes after $large events" \
    "(reports in $out/lsan-*.txt)"
if ((large_bytes > small_bytes)); then
    echo "FAIL: direct leaks grow with the number of events" >&2
    exit 1
fi
echo "OK: no direct leak grows with the input"

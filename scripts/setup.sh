#!/usr/bin/env bash
# Idempotent development setup for cqlmatch on Debian/Ubuntu.
#
#   bash scripts/setup.sh              # .venv with the "test" extras
#   bash scripts/setup.sh test,bench   # other extras, comma-separated
#
# Installs only the missing system packages (C++ compiler, RE2 headers,
# venv/ensurepip, Python headers; a Java runtime for Spark with the "test"
# or "spark" extras), creates .venv in the repository root if it
# is absent, and installs the project editable into it.  Re-running is cheap:
# the pip step is skipped while pyproject.toml, setup.py, cext/ and the
# requested extras are unchanged and the extension still imports.
#
# Environment: PYTHON (interpreter for the venv, default python3).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
EXTRAS="${1:-test}"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"

log() { printf '[setup] %s\n' "$*" >&2; }

# --- system packages ---------------------------------------------------------

have_cxx() {
    command -v "${CXX:-c++}" >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 ||
        command -v clang++ >/dev/null 2>&1
}

have_re2_headers() {
    local d
    for d in ${RE2_PREFIX:+"$RE2_PREFIX/include"} /usr/include /usr/local/include; do
        [[ -f "$d/re2/set.h" ]] && return 0
    done
    return 1
}

have_hyperscan_headers() {
    [[ -f /usr/include/hs/hs.h || -f /usr/local/include/hs/hs.h ]]
}

# Hyperscan finds a rule pack's literals fast (cqlmatch._hsscan); without it
# the pack's own automaton does, slower.  Debian packages it for amd64 only.
wants_hyperscan() {
    [[ -z "${CQLMATCH_NO_HYPERSCAN:-}" ]] && ! have_hyperscan_headers &&
        command -v dpkg >/dev/null 2>&1 && [[ "$(dpkg --print-architecture)" == amd64 ]]
}

have_java() {
    command -v java >/dev/null 2>&1
}

# Spark (the "spark" extra, and "test", which runs Spark in local mode)
# needs a Java runtime; Debian 12 has 17.
wants_java() {
    [[ ",$EXTRAS," == *,spark,* || ",$EXTRAS," == *,test,* ]] && ! have_java
}

have_venv() {
    # Debian splits ensurepip (needed by `python3 -m venv`) into python3-venv.
    "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1
}

have_python_headers() {
    local inc
    inc="$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')" &&
        [[ -f "$inc/Python.h" ]]
}

if ! command -v "$PYTHON" >/dev/null 2>&1; then
    log "error: $PYTHON not found; install Python >= 3.11 (Debian: apt-get install python3)"
    exit 1
fi

missing=()
have_cxx || missing+=(g++)
have_re2_headers || missing+=(libre2-dev)
have_venv || missing+=(python3-venv)
have_python_headers || missing+=(python3-dev)
if wants_java; then
    if ((${#missing[@]})) || [[ $(id -u) -eq 0 ]] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
        missing+=(openjdk-17-jre-headless)
    else
        log "note: no Java runtime: Spark (its tests too) needs one;"
        log "install it as root: apt-get install -y openjdk-17-jre-headless"
    fi
fi
if wants_hyperscan; then
    if ((${#missing[@]})) || [[ $(id -u) -eq 0 ]] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
        missing+=(libhyperscan-dev)
    else
        log "note: libhyperscan-dev is not installed (rule packs find literals more slowly);"
        log "install it as root for the fast scanner: apt-get install -y libhyperscan-dev"
    fi
fi

if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo=(sudo)
    else
        log "error: missing system packages: ${missing[*]}"
        log "install them as root, e.g.: apt-get update && apt-get install -y ${missing[*]}"
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "error: missing system packages (${missing[*]}) and no apt-get here."
        log "Fedora: dnf install gcc-c++ re2-devel python3-devel; macOS: brew install re2"
        exit 1
    fi
    log "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- virtualenv --------------------------------------------------------------

if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"

stamp_file="$VENV/.cqlmatch-setup-stamp"
stamp="$(
    {
        echo "extras=$EXTRAS"
        have_hyperscan_headers && [[ -z "${CQLMATCH_NO_HYPERSCAN:-}" ]] && echo "hyperscan"
        cat pyproject.toml setup.py
        find cext -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pxi' -o -name '*.h' \) -print0 |
            sort -z | xargs -0 cat
    } | sha256sum | cut -d' ' -f1
)"

# Bytecode for the package's modules, as a regular (non-editable) install
# gets from pip: where PYTHONDONTWRITEBYTECODE=1 is set, Python never writes
# it, and every start would compile each module from source again (about
# 150 ms of a run's start-up here).  Up-to-date files are skipped.
compile_bytecode() {
    "$PY" -m compileall -q src/cqlmatch >/dev/null
}

if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp" ]] &&
    "$PY" -c 'import cqlmatch._regexset' >/dev/null 2>&1; then
    compile_bytecode
    log "environment up to date ($VENV)"
    exit 0
fi

log "installing cqlmatch[$EXTRAS] (editable) into $VENV"
"$PY" -m pip install --quiet --upgrade pip
# Build requirements too, so `pip install -e . --no-build-isolation` can
# rebuild the extension quickly after editing cext/.
"$PY" -m pip install --quiet --upgrade "setuptools>=64" wheel "Cython>=3.0"
"$PY" -m pip install --quiet -e ".[$EXTRAS]"
"$PY" -c 'import cqlmatch._regexset'
compile_bytecode
echo "$stamp" >"$stamp_file"
log "done: $VENV"

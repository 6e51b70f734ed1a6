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

# --- syslog-ng, for the in-process parser ------------------------------------
# tests/integrations/test_syslog_ng.py runs the real daemon with
# cqlmatch.integrations.syslog_ng (docs/embedding.md).  Installed only as root
# or with passwordless sudo, and never over an installed rsyslog: the two
# packages conflict, so apt-get would remove the system's logger.  Failing to
# install it is not fatal (the tests then say what is missing).
# CQLMATCH_NO_SYSLOG_NG=1 leaves it out.

have_syslog_ng() {
    { command -v syslog-ng >/dev/null 2>&1 || [[ -x /usr/sbin/syslog-ng ]]; } &&
        compgen -G '/usr/lib/syslog-ng/*/libmod-python*.so' >/dev/null
}

setup_syslog_ng() {
    local packages=(syslog-ng-core syslog-ng-mod-python) root=()
    if [[ -n "${CQLMATCH_NO_SYSLOG_NG:-}" ]] || have_syslog_ng; then
        return 0
    fi
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            root=(sudo)
        else
            log "note: syslog-ng is not installed; its integration tests are skipped."
            log "install it as root: apt-get install -y ${packages[*]}"
            return 0
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "note: no apt-get here; install ${packages[*]} to test the syslog-ng parser"
        return 0
    fi
    if dpkg-query -W -f='${Status}' rsyslog 2>/dev/null | grep -q 'install ok installed'; then
        log "note: rsyslog is installed and conflicts with syslog-ng; not installing ${packages[*]}"
        return 0
    fi
    log "installing system packages: ${packages[*]}"
    local install=("${root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q
        --no-install-recommends "${packages[@]}")
    # the package lists may be missing or stale (a fresh container): update once then
    if ! "${install[@]}" >&2; then
        "${root[@]}" apt-get update -q >&2 && "${install[@]}" >&2 ||
            log "note: could not install ${packages[*]}; the syslog-ng tests will fail"
    fi
}

setup_syslog_ng

# --- rsyslog, unpacked (for tests/integrations/test_rsyslog.py) --------------
#
# The rsyslog tests run the real daemon.  Debian's rsyslog package conflicts
# with syslog-ng-core (which the syslog-ng tests install), so rsyslog is not
# installed: its .deb is downloaded and unpacked into build/rsyslog, and the
# tests start build/rsyslog/usr/sbin/rsyslogd with -M pointing at the unpacked
# modules (docs/embedding.md, "rsyslog").  Only the libraries it links are
# installed as packages; they conflict with nothing.  Skipped unless the
# "test" extras are wanted, or with CQLMATCH_NO_RSYSLOG=1.

RSYSLOG_DIR="$ROOT/build/rsyslog"

rsyslog_runs() {
    "$RSYSLOG_DIR/usr/sbin/rsyslogd" -v >/dev/null 2>&1
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        return 1
    fi
}

unpack_rsyslog() {
    local tmp deb dep name missing=()
    tmp="$(mktemp -d)"
    # apt-get download writes into the working directory; as root it warns
    # that the _apt user cannot write there, which is harmless.
    if ! (cd "$tmp" && apt-get download -q rsyslog >/dev/null 2>&1); then
        as_root apt-get update -q >&2 || true
        if ! (cd "$tmp" && apt-get download -q rsyslog >/dev/null); then
            log "warning: could not download the rsyslog package; the rsyslog tests will fail"
            rm -rf "$tmp"
            return 0
        fi
    fi
    deb="$(ls "$tmp"/rsyslog_*.deb)"
    # The libraries rsyslogd links: the first alternative of each dependency.
    while IFS= read -r dep; do
        name="${dep%% *}"
        name="${name%%|*}"
        [[ -z "$name" ]] && continue
        dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$name")
    done < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/ *(.*//; s/ *|.*//')
    if ((${#missing[@]})); then
        log "installing the libraries rsyslogd needs: ${missing[*]}"
        if ! DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q \
            --no-install-recommends "${missing[@]}" >&2; then
            log "warning: cannot install ${missing[*]} (not root?); the rsyslog tests will fail"
            log "install them as root: apt-get install -y ${missing[*]}"
        fi
    fi
    rm -rf "$RSYSLOG_DIR.tmp"
    mkdir -p "$(dirname "$RSYSLOG_DIR")"
    dpkg -x "$deb" "$RSYSLOG_DIR.tmp"
    rm -rf "$RSYSLOG_DIR"
    mv "$RSYSLOG_DIR.tmp" "$RSYSLOG_DIR"
    log "rsyslog $(dpkg-deb -f "$deb" Version) unpacked into $RSYSLOG_DIR"
    rm -rf "$tmp"
}

if [[ ",$EXTRAS," == *",test,"* && -z "${CQLMATCH_NO_RSYSLOG:-}" ]] && ! rsyslog_runs; then
    if command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
        unpack_rsyslog
        rsyslog_runs || log "warning: $RSYSLOG_DIR/usr/sbin/rsyslogd does not run; the rsyslog tests will fail"
    else
        log "note: no apt-get here: install rsyslog (rsyslogd on PATH) for the rsyslog tests"
    fi
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

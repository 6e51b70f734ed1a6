"""Native build for cqlmatch: the Cython/C++ extensions ``cqlmatch._regexset``
(the RE2::Set wrapper), ``cqlmatch._vm`` (the bytecode VM), ``cqlmatch._scan``
(the ingest prefilter), ``cqlmatch._fields`` (NDJSON field extraction) and
``cqlmatch._blockio`` (block reads).  Each is one C unit: ``cext/NAME.pyx``
with its table of contents ``cext/NAME.pxd`` and the ``.pxi`` files it
includes (the VM's parts are ``cext/vm/*.pxi``).

Project metadata lives in pyproject.toml; this file only describes the
extension, because it needs logic (locating RE2) that pyproject.toml cannot
express.

The extension links the system RE2 library.  Before compiling anything we
check that RE2's headers can be found, so a machine without them gets one
actionable message instead of a compiler traceback.

Environment switches (all optional):

``RE2_PREFIX=/opt/re2``
    Extra install prefix(es) of RE2, separated by ``os.pathsep``; each is
    expected to hold ``include/re2/set.h`` and ``lib/libre2.*``.
``CQLMATCH_RE2_INCLUDE=/some/include``
    Look for ``re2/set.h`` ONLY in these directories (``os.pathsep``-
    separated), skipping the automatic search.  Also handy for testing the
    missing-RE2 message: ``CQLMATCH_RE2_INCLUDE=/nonexistent pip install .``
``CQLMATCH_DEBUG=1``
    Build with ``-O0 -g`` (for gdb) instead of ``-O2``.
``CQLMATCH_SANITIZE=1``
    Build with AddressSanitizer + UndefinedBehaviorSanitizer
    (``-fsanitize=address,undefined -fno-omit-frame-pointer`` on compile and
    link).  The Python interpreter itself is not instrumented, so the ASan
    runtime must be preloaded when running, e.g.::

        LD_PRELOAD="$(c++ -print-file-name=libasan.so)" \\
        ASAN_OPTIONS=detect_leaks=0 .venv/bin/python -m pytest

``CXX``
    The C++ compiler to ask for its default include directories.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
RE2_HEADER = Path("re2") / "set.h"

MISSING_RE2_MESSAGE = """\
cqlmatch: cannot find RE2's C++ header re2/set.h, which is needed to build the
native extensions cqlmatch._regexset and cqlmatch._vm.  Install the RE2
development package:

    Debian/Ubuntu:  apt-get install libre2-dev
    Fedora:         dnf install re2-devel
    macOS:          brew install re2

If RE2 is installed under a non-standard prefix, set RE2_PREFIX=/that/prefix.
Searched: {searched}
"""


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _split_paths(value: str | None) -> list[str]:
    return [p for p in (value or "").split(os.pathsep) if p]


def _pkg_config(*args: str) -> list[str]:
    """Return pkg-config's answer for re2 as argv words, or [] if unavailable."""
    exe = shutil.which("pkg-config")
    if exe is None:
        return []
    try:
        out = subprocess.run(
            [exe, *args, "re2"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return shlex.split(out)


def _compiler_include_dirs() -> list[str]:
    """The C++ compiler's built-in ``#include <...>`` search list (best effort)."""
    cxx = shlex.split(os.environ.get("CXX", "")) or ["c++"]
    if shutil.which(cxx[0]) is None:
        return []
    try:
        proc = subprocess.run(
            [*cxx, "-x", "c++", "-E", "-v", os.devnull],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    dirs: list[str] = []
    inside = False
    for line in proc.stderr.splitlines():
        if line.startswith("#include <...> search starts here"):
            inside = True
        elif line.startswith("End of search list"):
            break
        elif inside:
            # macOS lists frameworks as "/path (framework directory)".
            dirs.append(line.strip().removesuffix(" (framework directory)"))
    return dirs


def re2_search_dirs() -> list[str]:
    """Directories to search for re2/set.h, most specific first."""
    only = _split_paths(os.environ.get("CQLMATCH_RE2_INCLUDE"))
    if only:
        return only
    dirs = [str(Path(p) / "include") for p in _split_paths(os.environ.get("RE2_PREFIX"))]
    for var in ("CPLUS_INCLUDE_PATH", "CPATH", "C_INCLUDE_PATH"):
        dirs += _split_paths(os.environ.get(var))
    dirs += [w[2:] for w in _pkg_config("--cflags-only-I") if w.startswith("-I")]
    dirs += _compiler_include_dirs()
    dirs += ["/usr/local/include", "/usr/include", "/opt/homebrew/include", "/opt/local/include"]
    return list(dict.fromkeys(os.path.normpath(d) for d in dirs))


def find_re2_include() -> str | None:
    """Return the directory containing re2/set.h, or None if there is none."""
    for d in re2_search_dirs():
        if (Path(d) / RE2_HEADER).is_file():
            return d
    return None


def require_re2_include() -> str:
    """Like find_re2_include(), but exit with installation advice if missing."""
    found = find_re2_include()
    if found is None:
        # SystemExit prints just the message: no traceback for a missing package.
        raise SystemExit(MISSING_RE2_MESSAGE.format(searched=", ".join(re2_search_dirs())))
    return found


def configure_re2(ext: Extension, include_dir: str) -> None:
    """Point ``ext`` at the RE2 found in ``include_dir`` (and pkg-config's flags)."""
    system_dirs = {os.path.normpath(d) for d in _compiler_include_dirs()}
    system_dirs |= {"/usr/include", "/usr/local/include"}
    # Never pass -I/usr/include: it breaks libstdc++'s #include_next chain.
    if os.path.normpath(include_dir) not in system_dirs:
        ext.include_dirs.append(include_dir)
        prefix = Path(include_dir).parent
        for libdir in (prefix / "lib", prefix / "lib64"):
            if libdir.is_dir():
                ext.library_dirs.append(str(libdir))
                if sys.platform != "win32":
                    ext.runtime_library_dirs.append(str(libdir))
    # Recent RE2 is built on Abseil; pkg-config knows its include dirs and libs.
    for word in _pkg_config("--cflags"):
        if word.startswith("-I"):
            if os.path.normpath(word[2:]) not in system_dirs:
                ext.include_dirs.append(word[2:])
        else:
            ext.extra_compile_args.append(word)
    libs = _pkg_config("--libs")
    for word in libs:
        if word.startswith("-L"):
            ext.library_dirs.append(word[2:])
        elif word.startswith("-l"):
            ext.libraries.append(word[2:])
        else:
            ext.extra_link_args.append(word)
    if "re2" not in ext.libraries:
        ext.libraries.append("re2")
    ext.include_dirs[:] = list(dict.fromkeys(ext.include_dirs))
    ext.libraries[:] = list(dict.fromkeys(ext.libraries))


class BuildExt(build_ext):
    """build_ext that checks for RE2 and cythonizes only when actually building.

    Doing this in run() (not at import time or in finalize_options, which
    egg_info/sdist also trigger) keeps metadata and sdist steps free of any
    dependency on RE2 or Cython.
    """

    def run(self) -> None:
        include_dir = require_re2_include()
        from Cython.Build import cythonize

        pxd_dir = self._stage_pxds()
        for ext in self.extensions:
            configure_re2(ext, include_dir)
            # cythonize() returns copies; only their (generated .cpp) sources
            # are taken so setuptools keeps its own annotated Extension objects.
            (cythonized,) = cythonize(
                [ext],
                include_path=[str(HERE / "cext"), pxd_dir],
                compiler_directives={
                    "language_level": 3,
                    "boundscheck": False,
                    "wraparound": False,
                    "embedsignature": True,
                },
            )
            ext.sources = cythonized.sources
        super().run()

    def _stage_pxds(self) -> str:
        """Cython looks for a module's own .pxd by the module's full name
        (``cqlmatch/_vm.pxd``), not beside its .pyx (``cext/vm.pxd``): copy
        each extension's .pxd there, under build_temp, and return that root."""
        root = Path(self.build_temp).resolve() / "pxd"
        for ext in self.extensions:
            pxd = (HERE / ext.sources[0]).with_suffix(".pxd")
            if not pxd.is_file():
                continue
            target = root.joinpath(*ext.name.split(".")).with_suffix(".pxd")
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.is_file() or target.read_bytes() != pxd.read_bytes():
                shutil.copy2(pxd, target)  # keeps the mtime: cythonize's dependency check
        return str(root)


def _compile_and_link_args() -> tuple[list[str], list[str]]:
    compile_args = ["-std=c++17"]
    link_args: list[str] = []
    if _env_flag("CQLMATCH_DEBUG"):
        compile_args += ["-O0", "-g"]
        link_args += ["-g"]
    else:
        compile_args += ["-O2"]
    if _env_flag("CQLMATCH_SANITIZE"):
        sanitize = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
        compile_args += sanitize
        link_args += sanitize
    return compile_args, link_args


_compile_args, _link_args = _compile_and_link_args()


def _includes(folder: str) -> list[str]:
    """The .pxi files under ``folder`` (relative to this file), sorted: the
    parts a .pyx includes, so that a change to any of them rebuilds it."""
    return sorted(p.relative_to(HERE).as_posix() for p in (HERE / folder).rglob("*.pxi"))


def _extension(name: str, source: str, depends: tuple[str, ...] = ()) -> Extension:
    # Each extension's .pxd (its table of contents, beside the .pyx) is a
    # dependency too; _stage_pxds puts it where Cython looks for it.
    own = [p for p in (Path(source).with_suffix(".pxd").as_posix(),) if (HERE / p).is_file()]
    return Extension(
        name,
        sources=[source],
        language="c++",
        include_dirs=["cext"],
        depends=["cext/re2.pxd", *own, *depends],
        extra_compile_args=_compile_args,
        extra_link_args=_link_args,
    )


def _hyperscan_extensions() -> list[Extension]:
    """``cqlmatch._hsscan`` (a pack's literal scanner) where the Hyperscan
    headers are (Debian: libhyperscan-dev, amd64); without them the candidate
    index uses its own automaton.  CQLMATCH_NO_HYPERSCAN=1 leaves it out."""
    if _env_flag("CQLMATCH_NO_HYPERSCAN"):
        return []
    if not any(Path(d, "hs", "hs.h").is_file() for d in ("/usr/include", "/usr/local/include")):
        return []
    ext = _extension(
        "cqlmatch._hsscan", "cext/hsscan.pyx", ("cext/literalscan.h", "cext/literalscan.pxd")
    )
    ext.libraries.append("hs")
    return [ext]


setup(
    ext_modules=[
        _extension("cqlmatch._regexset", "cext/regexset.pyx"),
        # vm.pyx includes opcodes.pxi (written by tools/gen_opcodes.py) and
        # its parts, cext/vm/*.pxi: one C unit.
        _extension(
            "cqlmatch._vm",
            "cext/vm.pyx",
            ("cext/opcodes.pxi", *_includes("cext/vm")),
        ),
        _extension(
            "cqlmatch._scan",
            "cext/scan.pyx",
            (
                "cext/textscan.h",
                "cext/jsonfields.h",
                "cext/fieldscope.h",
                "cext/framelines.h",
                "cext/rawjson.h",
            ),
        ),
        _extension("cqlmatch._fields", "cext/fields.pyx", ("cext/jsonfields.h",)),
        _extension("cqlmatch._blockio", "cext/blockio.pyx"),
        _extension(
            "cqlmatch._candidates",
            "cext/candidates.pyx",
            (
                "cext/literalscan.h",
                "cext/literalscan.pxd",
                "cext/keyfind.h",
                "cext/keyscope.h",
                "cext/valuememo.h",
                "cext/escapefind.h",
                "cext/framelines.h",
                "cext/rawjson.h",
            ),
        ),
        *_hyperscan_extensions(),
    ],
    cmdclass={"build_ext": BuildExt},
)

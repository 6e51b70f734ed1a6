"""A clone is self-contained: nothing in the repository reads or points at the
shared folder that development machines and CI lay beside it (a user's
``git clone`` has no such folder).  The data the project needs is copied in:
``rules/seed/`` (the seed rule as published) and ``corpus/`` (real CQL)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

from .conftest import CORPUS, ROOT, SEED

# ``../shared``, ``parent / "shared"``, ``parents[3] / "shared"``, ``/work/shared``
OUTSIDE = re.compile(r"""\.\./shared\b|\bparents?(\[\d+\])?\s*/\s*["']shared["']|/work/shared\b""")

# Without git (an unpacked archive), walk the tree but skip what is built or
# installed locally.
SKIP_DIRS = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache"}

SEED_SHA256 = "2fe8d63038abedabce44ce79d214ae39f446e27943ea9900fa170b137b0286df"


def _repository_files() -> list[Path]:
    if (ROOT / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8", "surrogateescape")
        return [ROOT / name for name in listed.split("\0") if name]
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        found += [Path(folder) / name for name in files]
    return found


def test_no_file_refers_to_the_shared_folder_beside_the_repository() -> None:
    me = Path(__file__).resolve()
    offending = []
    for path in _repository_files():
        if path.resolve() == me or not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # compiled extensions and other binaries
        name = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offending.append(f"{name}:{number}: {line.strip()}")
    assert not offending, "use the copies in rules/seed/ and corpus/ instead:\n" + "\n".join(
        offending
    )


def test_the_pattern_finds_what_it_must() -> None:
    for text in (
        "../shared/seed/t1546_016.cql",
        'SHARED = ROOT.parent / "shared"',
        "Path(__file__).resolve().parents[3] / 'shared' / 'seed'",
        "rule: ../../../shared/seed/t1546_016.cql",
        "(/work/shared/seed/)",
    ):
        assert OUTSIDE.search(text), text
    for text in ("a shared machine", "shared by both engines", "test_shared_between_threads"):
        assert not OUTSIDE.search(text), text


def test_the_data_is_in_the_repository() -> None:
    assert SEED.is_relative_to(ROOT) and CORPUS.is_relative_to(ROOT)
    assert CORPUS.is_file() and (CORPUS.parent / "SOURCES.md").is_file()
    assert {p.name for p in (CORPUS.parent / "LICENSES").iterdir()} >= {"MIT.txt", "Apache-2.0.txt"}
    assert (SEED.parent / "000_63a5fd4d1e7818d6.txt").is_file()


def test_the_seed_is_byte_for_byte_as_published() -> None:
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == SEED_SHA256

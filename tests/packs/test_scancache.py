"""The cache of compiled literal scanners (packs/scancache.py): where it is,
what a key depends on, and that a damaged, foreign or unwritable cache
costs a compile, never a wrong scanner or an error."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from cqlmatch.packs import run, scancache
from cqlmatch.packs.pack import compile_pack
from cqlmatch.packs.scancache import MAGIC, cache_dir, cached, keep, lookup, scanner_key
from cqlmatch.packs.sources import PackSource
from cqlmatch.synth.gen import generate_lines


class Fake:
    """A scanner that serialises to its patterns (as Hyperscan's does to
    its database): enough to test the cache without Hyperscan."""

    def __init__(self, data: bytes) -> None:
        if data.startswith(b"foreign"):
            raise ValueError("made by another Hyperscan")
        self.data = data

    def serialize(self) -> bytes:
        return self.data


@pytest.fixture
def where(tmp_path, monkeypatch):
    monkeypatch.setenv("CQLMATCH_CACHE_DIR", str(tmp_path))
    return tmp_path / "scanners"


def counting(data: bytes):
    made: list[bytes] = []

    def compile_new() -> Fake:
        made.append(data)
        return Fake(data)

    return made, compile_new


def test_where_the_cache_is(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CQLMATCH_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine" / "scanners"
    for off in ("off", "", " "):
        monkeypatch.setenv("CQLMATCH_CACHE_DIR", off)
        assert cache_dir() is None
    monkeypatch.delenv("CQLMATCH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "cqlmatch" / "scanners"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "cqlmatch" / "scanners"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv("HOME")
    assert cache_dir() is None


def test_a_key_names_everything_a_database_is_made_from() -> None:
    base = scanner_key("5.4.0", [b"ab", b"c"], None, False)
    assert base == scanner_key("5.4.0", [b"ab", b"c"], [0, 1], False)
    others = {
        scanner_key("5.4.1", [b"ab", b"c"], None, False),
        scanner_key("5.4.0", [b"c", b"ab"], None, False),
        scanner_key("5.4.0", [b"a", b"bc"], None, False),
        scanner_key("5.4.0", [b"ab", b"c"], [0, 2], False),
        scanner_key("5.4.0", [b"ab", b"c"], None, True),
    }
    assert base not in others and len(others) == 5


def test_a_key_keeps_its_layout() -> None:
    """The bytes hashed stay as they were (each pattern's number and size,
    4 bytes little-endian, then the pattern), so that scanners kept by an
    earlier version still load."""
    digest = hashlib.sha256(b"hyperscan 5.4.0\0once\0")
    digest.update(b"\0\0\0\0\2\0\0\0ab\7\0\0\0\1\0\0\0c")
    assert scanner_key("5.4.0", [b"ab", b"c"], [0, 7], False) == digest.hexdigest()
    assert digest.hexdigest().startswith("34b726e8")
    with pytest.raises(ValueError):
        scanner_key("5.4.0", [b"ab", b"c"], [0], False)


def test_compiled_once_then_loaded(where) -> None:
    made, compile_new = counting(b"db-1")
    first = cached("k1", Fake, compile_new)
    second = cached("k1", Fake, compile_new)
    assert made == [b"db-1"] and first.data == second.data == b"db-1"
    assert second is not first
    assert sorted(p.name for p in where.iterdir()) == ["k1.hsdb"]
    assert lookup("k2", Fake) is None


@pytest.mark.parametrize(
    "spoil",
    [
        lambda b: b[: len(b) - 1],  # cut short
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # a byte changed
        lambda b: b"x" + b[1:],  # not a kept scanner
        lambda b: b"",
        lambda b: MAGIC,
    ],
)
def test_a_damaged_file_is_compiled_again(where, spoil) -> None:
    made, compile_new = counting(b"db-1")
    cached("k1", Fake, compile_new)
    path = where / "k1.hsdb"
    path.write_bytes(spoil(path.read_bytes()))
    assert cached("k1", Fake, compile_new).data == b"db-1"
    assert made == [b"db-1", b"db-1"]
    assert cached("k1", Fake, compile_new).data == b"db-1" and len(made) == 2  # replaced


class Foreign:
    def serialize(self) -> bytes:
        return b"foreign database"


def test_a_database_this_hyperscan_refuses_is_compiled_again(where) -> None:
    keep("k1", Foreign())
    made, compile_new = counting(b"db-1")
    assert cached("k1", Fake, compile_new).data == b"db-1" and made == [b"db-1"]
    assert lookup("k1", Fake).data == b"db-1"


def test_no_cache_or_an_unwritable_one_only_compiles(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CQLMATCH_CACHE_DIR", "off")
    made, compile_new = counting(b"db-1")
    cached("k1", Fake, compile_new)
    cached("k1", Fake, compile_new)
    assert len(made) == 2
    blocked = tmp_path / "file"
    blocked.write_text("a file where the directory would be")
    monkeypatch.setenv("CQLMATCH_CACHE_DIR", str(blocked))
    assert cached("k1", Fake, compile_new).data == b"db-1" and len(made) == 3
    assert blocked.read_text() == "a file where the directory would be"


def test_the_least_recently_used_go_first(where, monkeypatch) -> None:
    monkeypatch.setattr(scancache, "KEEP", 3)
    for n in range(3):
        keep(f"k{n}", Fake(b"db"))
        os.utime(where / f"k{n}.hsdb", ns=(n * 10**9, n * 10**9))
    assert lookup("k0", Fake) is not None  # used: now the most recent
    stale = where / ".k9.hsdb.1.part"
    stale.write_bytes(b"left by a run that stopped")
    os.utime(stale, ns=(0, 0))
    fresh = where / ".k8.hsdb.2.part"
    fresh.write_bytes(b"being written now")
    keep("k3", Fake(b"db"))
    names = sorted(p.name for p in where.iterdir())
    assert names == [".k8.hsdb.2.part", "k0.hsdb", "k2.hsdb", "k3.hsdb"]
    assert time.time() - (where / "k0.hsdb").stat().st_mtime < 3600


def test_hyperscan_scanners_round_trip(where) -> None:
    """A real scanner loaded from the cache finds what the compiled one
    found, and the second call compiles nothing."""
    patterns = [b"cmd.exe", b"powershell", b"certutil"]
    first = run.literal_scanner(patterns, [7, 8, 9])
    if first is None:
        pytest.skip("Hyperscan is not built here (libhyperscan-dev)")
    assert len(list(where.iterdir())) == 1
    again = run.kept_scanner(patterns, [7, 8, 9])
    assert again is not None
    line = b'{"CommandLine":"C:\\\\Windows\\\\CMD.EXE /c certutil -f"}'
    assert again.found(line) == first.found(line) == [7, 9]
    assert run.kept_scanner(patterns, [7, 8, 10]) is None
    assert run.kept_scanner(patterns, [7, 8, 9], every=True) is None


def test_a_pack_run_loads_the_scanners_an_earlier_run_compiled(
    where, monkeypatch, tmp_path
) -> None:
    """The second run of a pack (loaded afresh) compiles no scanner and
    gives the same hits, in one process and in two; with the cache off,
    nothing is written."""
    from cqlmatch import _hsscan

    from .test_pack import corpus_rules

    if run.literal_scanner([b"x"]) is None:
        pytest.skip("Hyperscan is not built here (libhyperscan-dev)")
    events = tmp_path / "events.ndjson"
    events.write_bytes(b"".join(generate_lines(3000, seed=4, malicious_rate=0.05)))
    compiles: list[int] = []
    real = _hsscan.LiteralScanner

    def counted(patterns, ids=None, database=None, every=False):
        if database is None:
            compiles.append(len(patterns))
        return real(patterns, ids, database, every)

    monkeypatch.setattr(_hsscan, "LiteralScanner", counted)
    source = PackSource("corpus", corpus_rules(80))
    first = list(compile_pack(source).run(str(events), workers=1))
    kept = len(list(where.glob("*.hsdb")))  # (and the one of the check above)
    assert len(compiles) >= kept - 1 > 2  # the scanner of every literal and typed ones
    compiles.clear()
    assert list(compile_pack(source).run(str(events), workers=1)) == first and first
    assert list(compile_pack(source).run(str(events), workers=2)) == first
    assert compiles == []
    monkeypatch.setenv("CQLMATCH_CACHE_DIR", "off")
    assert list(compile_pack(source).run(str(events), workers=1)) == first
    assert len(compiles) >= kept - 1  # compiled again, and kept nowhere
    assert len(list(where.glob("*.hsdb"))) == kept


def test_counts_and_the_stats_line_tell_loaded_from_compiled(where, tmp_path, capsys) -> None:
    """``scancache.counts`` adds up this process's loads and compiles, and
    ``pack run --stats`` ends with them (a second run only loads)."""
    from cqlmatch.cli.commands import main

    before = dict(scancache.counts)
    _, compile_new = counting(b"db-1")
    cached("k1", Fake, compile_new)
    cached("k1", Fake, compile_new)
    assert scancache.counts == {
        "loaded": before["loaded"] + 1,
        "compiled": before["compiled"] + 1,
    }
    if run.literal_scanner([b"x"]) is None:
        pytest.skip("Hyperscan is not built here (libhyperscan-dev)")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "enc.cql").write_text("#event_simpleName=ProcessRollup2 CommandLine=/-enc/i\n")
    (rules / "dns.cql").write_text("#event_simpleName=DnsRequest DomainName=/evil/i\n")
    events = tmp_path / "events.ndjson"
    events.write_bytes(b"".join(generate_lines(500, seed=3)))
    command = ["pack", "run", str(rules), str(events), "--stats", "--workers", "1"]
    lines = []
    for _ in range(2):
        scancache.counts.update(loaded=0, compiled=0)
        assert main(command) == 0
        lines.append(capsys.readouterr().err.splitlines()[-1])
    first, second = (line.split("; literal scanners: ")[1] for line in lines)
    assert first.endswith(" compiled") and not first.endswith(" 0 compiled")
    assert second == f"{scancache.counts['loaded']} loaded from {where}, 0 compiled"


def test_a_directory_others_may_write_to_is_not_used(where) -> None:
    keep("k1", Fake(b"db-1"))
    assert lookup("k1", Fake).data == b"db-1"
    where.chmod(0o777)  # (a group or world may write: another user could plant a file)
    made, compile_new = counting(b"db-2")
    assert lookup("k1", Fake) is None
    assert cached("k2", Fake, compile_new).data == b"db-2" and made == [b"db-2"]
    assert not (where / "k2.hsdb").exists()  # nor written there
    where.chmod(0o700)
    assert lookup("k1", Fake).data == b"db-1"

"""The progress line: its rendering, the throttled redraws, the decision to
stay silent when standard error is not a terminal, and byte counting."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from cqlmatch.cli import progress as P


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_render_with_a_known_size() -> None:
    line = P.render(events=250_000, bytes_read=50_000_000, total_bytes=200_000_000, elapsed=10.0)
    assert line == (
        "[#####---------------]  25%  250,000 events  25,000 events/s  5.0 MB/s  ETA 0:30"
    )


def test_render_eta_over_an_hour_and_at_the_end() -> None:
    line = P.render(1, 1_000_000, 4_000_000_000, 1.0, width=4)
    assert line.startswith("[----]   0%") and line.endswith("ETA 1:06:39")
    done = P.render(10, 500, 500, 2.0, width=4)
    assert done == "[####] 100%  10 events  5 events/s  0.0 MB/s  ETA 0:00"


def test_render_before_any_time_or_bytes() -> None:
    assert P.render(0, 0, 1000, 0.0, width=2) == "[--]   0%  0 events  0 events/s  0.0 MB/s  ETA ?"


def test_render_without_a_size() -> None:
    assert P.render(3_000, 12_500_000, None, 2.0) == (
        "3,000 events  1,500 events/s  6.2 MB/s  12.5 MB read"
    )


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (59.6, "1:00"), (61, "1:01"), (3600, "1:00:00")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert P.format_duration(seconds) == text


def test_silent_unless_the_stream_is_a_terminal(tmp_path: Path) -> None:
    assert P.should_show(FakeTerminal())
    assert not P.should_show(io.StringIO())
    with open(tmp_path / "log", "w", encoding="utf-8") as fh:
        assert not P.should_show(fh)
    assert not P.should_show(fh)  # closed: isatty() raises ValueError
    assert not P.should_show(object())


def test_for_run_decides_when_to_show(tmp_path: Path) -> None:
    plain = tmp_path / "e.ndjson"
    plain.write_text('{"a": 1}\n', encoding="utf-8")
    packed = tmp_path / "e.ndjson.gz"
    packed.write_bytes(gzip.compress(b'{"a": 1}\n'))
    tty = FakeTerminal()
    assert P.for_run(str(plain), io.StringIO(), workers=1) is None  # not a terminal
    assert P.for_run("-", tty, workers=1) is None  # standard input: no size
    assert P.for_run(str(tmp_path), tty, workers=1) is None  # not a regular file
    assert P.for_run(str(tmp_path / "missing"), tty, workers=1) is None
    shown = P.for_run(str(plain), tty, workers=1)
    assert shown is not None and shown.total_bytes == plain.stat().st_size
    # split across worker processes: no bar rather than a wrong one
    assert P.for_run(str(plain), tty, workers=2) is None
    assert P.for_run(str(plain), tty, engine="reference", workers=2) is not None
    # compressed files are read in one process whatever the workers
    assert P.for_run(str(packed), tty, workers=2) is not None


def test_progress_throttles_redraws_and_erases_its_line() -> None:
    out, clock = FakeTerminal(), Clock()
    bar = P.Progress(1000, out, interval=0.5, clock=clock)
    clock.now += 1.0
    bar(10, 100)
    first = out.getvalue()
    assert first.startswith("\r[##------------------]  10%  10 events  10 events/s")
    clock.now += 0.1
    bar(20, 200)  # within the interval: not drawn
    assert out.getvalue() == first
    clock.now += 0.5
    bar(bytes_read=900)  # events kept from the last call
    assert out.getvalue().split("\r")[-1].startswith("[##################--]  90%  20 events")
    bar.close()
    assert out.getvalue().endswith("\r" + " " * len(first.lstrip("\r")) + "\r")
    written = out.getvalue()
    bar(30, 1000)  # after close: silent
    assert out.getvalue() == written


def test_disabled_progress_writes_nothing() -> None:
    out = FakeTerminal()
    bar = P.Progress(1000, out, enabled=False)
    bar(1, 1)
    bar.close()
    assert out.getvalue() == ""
    assert (bar.events, bar.bytes_read) == (1, 1)


def test_a_broken_terminal_silences_the_bar() -> None:
    class Broken(FakeTerminal):
        def write(self, text: str) -> int:
            raise OSError("gone")

    bar = P.Progress(10, Broken(), interval=0)
    bar(1, 1)  # no exception
    assert not bar.enabled


def test_counting_reader_reports_bytes_as_stored(tmp_path: Path) -> None:
    data = b"".join(b'{"n": %d}\n' % i for i in range(2000))
    path = tmp_path / "e.ndjson.gz"
    path.write_bytes(gzip.compress(data))
    out, clock = FakeTerminal(), Clock()
    bar = P.Progress(path.stat().st_size, out, interval=0, clock=clock)
    reader = P.open_counted(str(path), bar, events=lambda: 7)
    with reader, gzip.open(io.BufferedReader(reader)) as unpacked:
        assert unpacked.read() == data
    assert reader.count == path.stat().st_size
    assert (bar.events, bar.bytes_read) == (7, path.stat().st_size)
    assert reader.name == str(path)


def _run_files(tmp_path: Path) -> tuple[Path, Path]:
    rule = tmp_path / "rule.cql"
    rule.write_text("#event_simpleName=ProcessRollup2 | count()\n", encoding="utf-8")
    events = tmp_path / "e.ndjson.gz"
    lines = b"".join(
        b'{"event_simpleName": "%s", "n": %d}\n' % (name, i)
        for i in range(3000)
        for name in (b"ProcessRollup2", b"DnsRequest")
    )
    events.write_bytes(gzip.compress(lines))
    return rule, events


def test_cli_run_draws_the_bar_on_a_terminal_and_erases_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cqlmatch.cli.commands import main

    rule, events = _run_files(tmp_path)
    terminal = FakeTerminal()
    monkeypatch.setattr("sys.stderr", terminal)
    bars: list[P.Progress | None] = []
    real_for_run = P.for_run

    def unthrottled(*args: object, **kwargs: object) -> P.Progress | None:
        bar = real_for_run(*args, **kwargs)  # type: ignore[arg-type]
        if bar is not None:
            bar.interval = 0  # draw every read, so the last state is on record
        bars.append(bar)
        return bar

    monkeypatch.setattr(P, "for_run", unthrottled)
    assert main(["run", str(rule), str(events), "--format", "ndjson", "--workers", "2"]) == 0
    assert capsys.readouterr().out == '{"_count":"3000"}\n'
    (bar,) = bars
    assert bar is not None and bar.bytes_read == bar.total_bytes == events.stat().st_size
    written = terminal.getvalue()
    drawn = [part for part in written.split("\r") if part.strip()]
    assert drawn, written
    assert drawn[-1].startswith("[####################] 100%")
    # (a draw shorter than the one before is padded with blanks to cover it)
    assert " events/s " in drawn[-1] and drawn[-1].rstrip().endswith("ETA 0:00")
    assert written.endswith("\r" + " " * len(drawn[-1].rstrip()) + "\r")  # erased at the end


def test_cli_run_is_silent_when_stderr_is_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cqlmatch.cli.commands import main

    rule, events = _run_files(tmp_path)
    assert main(["run", str(rule), str(events), "--format", "ndjson", "--workers", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.out == '{"_count":"3000"}\n'
    assert captured.err == ""

"""The command line: ``commands`` (the parser and every command but
``pack``), ``pack``, ``output``, ``progress``, ``corpus``.  Here: what
``commands`` and ``pack`` share and the start-up may load (no engine)."""

from __future__ import annotations

import argparse
import os
import sys

#: The ``pack`` command's one-line help (listed even when its module is not loaded).
PACK_HELP = "run, check, test or build a pack of rules (a YAML manifest or a folder of .cql files)"


class _Sized:
    """An argparse formatter with the terminal's width read here as
    ``shutil.get_terminal_size`` reads it: argparse imports ``shutil`` for
    it (with ``bz2``, ``lzma`` and ``fnmatch``), a few milliseconds of every
    start, as each parser is made."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)  # type: ignore[call-arg]


class Formatter(_Sized, argparse.RawDescriptionHelpFormatter):
    """argparse's formatter that keeps descriptions as written (``_Sized``)."""


class PlainFormatter(_Sized, argparse.HelpFormatter):
    """argparse's default formatter (``_Sized``)."""


def _columns() -> int:
    """``shutil.get_terminal_size().columns``: $COLUMNS when a positive
    number, else the width of the terminal on standard output, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80
    return size.columns or 80


# --- options several commands share beyond the query's own (run, check, disasm,
# stream and pack): the tags of the source and the user's enrichment data, with
# what they become for ``compile``


def enrichment_options(p: argparse.ArgumentParser) -> None:
    """``--geoip``, ``--asn`` and ``--iocs``: the user's own data for
    ipLocation(), asn() and ioc:lookup() (docs/semantics.md, "Enrichment")."""
    p.add_argument(
        "--geoip",
        metavar="FILE.mmdb",
        help="a MaxMind GeoIP database (GeoLite2 City or the like) for ipLocation()",
    )
    p.add_argument(
        "--asn", metavar="FILE.mmdb", help="a MaxMind ASN database (GeoLite2 ASN) for asn()"
    )
    p.add_argument(
        "--iocs",
        metavar="FILE.csv",
        help="an indicator file for ioc:lookup() (CSV: indicator,type,malicious_confidence,...)",
    )


def tag_options(p: argparse.ArgumentParser) -> None:
    """``--tag`` and ``--no-default-tags`` (run, check, disasm, stream, pack run)."""
    p.add_argument(
        "--tag",
        action="append",
        metavar="NAME=VALUE",
        help="a tag of the source the events come from, read by #NAME when an event has "
        "neither #NAME nor NAME (repeatable; e.g. --tag repo=detections)",
    )
    p.add_argument(
        "--no-default-tags",
        action="store_true",
        help="inputs are not Falcon sensor telemetry: no #repo=base_sensor, "
        "#type=falcon-raw-data, #kind=Primary by default",
    )


def enrichment_args(args: argparse.Namespace) -> dict:
    """``--geoip``, ``--asn`` and ``--iocs`` as ``compile``'s keywords."""
    return {kind: getattr(args, kind, None) for kind in ("geoip", "asn", "iocs")}


def tag_args(args: argparse.Namespace) -> dict:
    """``--tag NAME=VALUE`` and ``--no-default-tags`` as ``compile``'s
    ``tags`` and ``default_tags`` (docs/semantics.md, "Tags of the source")."""
    from ..lang.tags import TagError, input_tags

    try:
        tags = input_tags(getattr(args, "tag", None) or (), defaults=False)
    except TagError as err:
        raise SystemExit(f"cqlmatch: --tag: {err}") from None
    return {"tags": tags, "default_tags": not getattr(args, "no_default_tags", False)}


def out_of_memory(err: MemoryError) -> str:
    """What a MemoryError says: RE2 past its budget names the regex set and
    field; the process's own has no message."""
    return str(err) or "out of memory (the process could not allocate more)"

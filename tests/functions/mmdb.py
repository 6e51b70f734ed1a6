"""A small writer of MaxMind DB files, for tests of ipLocation() and asn().

Written from the MaxMind DB format specification (version 2.0): a binary
search tree over the address bits, sixteen zero bytes, a data section of
typed values, and a metadata map after the marker ``\\xab\\xcd\\xefMaxMind.com``.
The tree here is an IPv6 one (IPv4 networks live under ``::/96``, where
readers look for them), with 28-bit records; each network points at its
value, written once in the data section.
"""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path
from typing import Any

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"
RECORD_BITS = 28


def _control(kind: int, size: int) -> bytes:
    """The control byte(s) of a value of type ``kind`` and ``size``."""
    if size < 29:
        head, extra = size, b""
    elif size < 29 + 256:
        head, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        head, extra = 30, (size - 285).to_bytes(2, "big")
    else:
        head, extra = 31, (size - 65821).to_bytes(3, "big")
    if kind <= 7:
        return bytes([(kind << 5) | head]) + extra
    return bytes([head, kind - 7]) + extra  # an extended type


def encode(value: Any) -> bytes:
    """``value`` (str, bool, int, float, dict, list) in the data section's encoding."""
    if isinstance(value, bool):
        return _control(14, int(value))
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _control(2, len(raw)) + raw
    if isinstance(value, float):
        return _control(3, 8) + struct.pack(">d", value)
    if isinstance(value, int):
        if value < 0:
            raise ValueError("this writer stores unsigned integers only")
        kind = 6 if value < 1 << 32 else 9  # uint32, else uint64
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return _control(kind, len(raw)) + raw
    if isinstance(value, dict):
        out = _control(7, len(value))
        for key, item in value.items():
            out += encode(str(key)) + encode(item)
        return out
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(encode(item) for item in value)
    raise TypeError(f"cannot store {type(value).__name__}")


def _uint(kind: int, value: int) -> bytes:
    """An unsigned integer of type ``kind`` (5 uint16, 6 uint32, 9 uint64):
    the metadata's keys have fixed types, which strict readers check."""
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return _control(kind, len(raw)) + raw


def _bits(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[int]:
    """The network's prefix as bits of an IPv6 address (IPv4 under ::/96)."""
    if network.version == 4:
        address, length = int(network.network_address), network.prefixlen + 96
    else:
        address, length = int(network.network_address), network.prefixlen
    return [(address >> (127 - i)) & 1 for i in range(length)]


def write_mmdb(path: Path, networks: dict[str, Any], database_type: str = "Test") -> Path:
    """Write a database mapping each network (``"192.0.2.0/24"``) to its
    record, and return ``path``.  Networks must not contain one another."""
    data = b""
    offsets: dict[int, int] = {}  # id of a record -> its offset in the data section
    tree: list[list[Any]] = [
        [None, None]
    ]  # per node: two children (node index, ("data", off), None)
    for text, record in networks.items():
        if id(record) not in offsets:
            offsets[id(record)] = len(data)
            data += encode(record)
        node = 0
        bits = _bits(ipaddress.ip_network(text))
        for depth, bit in enumerate(bits):
            child = tree[node][bit]
            if depth == len(bits) - 1:
                if child is not None:
                    raise ValueError(f"{text} overlaps another network")
                tree[node][bit] = ("data", offsets[id(record)])
                break
            if child is None:
                tree.append([None, None])
                child = tree[node][bit] = len(tree) - 1
            elif not isinstance(child, int):
                raise ValueError(f"{text} lies inside another network")
            node = child
    count = len(tree)

    def record_value(child: Any) -> int:
        if child is None:
            return count  # no data
        if isinstance(child, int):
            return child
        return count + 16 + child[1]

    body = b""
    for left, right in tree:
        a, b = record_value(left), record_value(right)
        # 28-bit records: 3 low bytes of each, the middle byte holds both high nibbles
        body += (a & 0xFFFFFF).to_bytes(3, "big")
        body += bytes([((a >> 24) << 4) | (b >> 24)])
        body += (b & 0xFFFFFF).to_bytes(3, "big")
    metadata = _control(7, 9)
    for key, value in (
        ("node_count", _uint(6, count)),
        ("record_size", _uint(5, RECORD_BITS)),
        ("ip_version", _uint(5, 6)),
        ("database_type", encode(database_type)),
        ("languages", encode(["en"])),
        ("binary_format_major_version", _uint(5, 2)),
        ("binary_format_minor_version", _uint(5, 0)),
        ("build_epoch", _uint(9, 1_700_000_000)),
        ("description", encode({"en": "cqlmatch test database"})),
    ):
        metadata += encode(key) + value
    path.write_bytes(body + bytes(16) + data + METADATA_MARKER + metadata)
    return path

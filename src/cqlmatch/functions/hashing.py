"""Hash functions: crypto:md5/sha1/sha256, hash and communityId.

``crypto:md5/sha1/sha256(field=[...], as=_md5|_sha1|_sha256)``
    Lower-case hex digest of the UTF-8 bytes of the concatenated values; a
    missing field counts as the empty string (page: "If a given field is
    missing ... it is treated as the empty string").  When none of the fields
    exists there is nothing to hash and no value (UNCONFIRMED).

``hash(field, limit, seed, as=_hash)``
    MurmurHash3 (x86, 32 bit) of the UTF-8 values joined by NUL, an unsigned
    integer; ``limit`` takes it modulo.  The algorithm LogScale uses is not
    documented: the values are stable here but will not equal LogScale's
    (UNCONFIRMED).

``communityId(proto, sourceip, destinationip, sourceport, destinationport,
icmptype, icmpcode, seed=0, as=_community_id)``
    The Community ID v1 specification (SHA-1, base64, ``1:`` prefix, ICMP
    type and code mapped to port equivalents); invalid input gives the empty
    string (page).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress

from ..lang.values import parse_number
from .registry import value_function

# --- crypto ---------------------------------------------------------------------------


def _digest(algorithm: str):
    def digest(rt, call, event):
        values = [event.get(name) for name in call.get("field")]
        if all(v is None for v in values):
            return None
        data = "".join(v for v in values if v is not None).encode("utf-8", "replace")
        return hashlib.new(algorithm, data).hexdigest()

    return digest


value_function("crypto:md5")(_digest("md5"))
value_function("crypto:sha1")(_digest("sha1"))
value_function("crypto:sha256")(_digest("sha256"))


# --- hash -------------------------------------------------------------------------------


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3, x86 32-bit variant."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & mask

    h = seed & mask
    whole = len(data) - len(data) % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = rotl(k * c1 & mask, 15) * c2 & mask
        h = (rotl(h ^ k, 13) * 5 + 0xE6546B64) & mask
    tail = data[whole:]
    if tail:
        k = int.from_bytes(tail, "little")
        h ^= rotl(k * c1 & mask, 15) * c2 & mask
    h ^= len(data)
    h = (h ^ (h >> 16)) * 0x85EBCA6B & mask
    h = (h ^ (h >> 13)) * 0xC2B2AE35 & mask
    return h ^ (h >> 16)


@value_function("hash")
def _hash(rt, call, event):
    values = [event.get(name) for name in call.get("field")]
    if all(v is None for v in values):
        return None
    data = "\x00".join(v or "" for v in values).encode("utf-8", "surrogatepass")
    seed_text = call.get("seed")
    seed = 0
    if seed_text is not None:
        number = parse_number(str(seed_text))
        seed = number if isinstance(number, int) else murmur3_32(str(seed_text).encode())
    result = murmur3_32(data, seed)
    limit = call.get("limit")
    if limit:
        result %= int(limit)
    return str(result)


# --- communityId ------------------------------------------------------------------------------

_PROTOCOL_NUMBERS = {
    "icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
    "icmp6": 58, "icmpv6": 58, "ipv6-icmp": 58, "eigrp": 88, "ospf": 89, "ospfigp": 89,
    "pim": 103, "sctp": 132,
}  # fmt: skip
_WITH_PORTS = frozenset({1, 6, 17, 58, 132})
_ICMP4_PAIRS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 17: 18, 18: 17}
_ICMP6_PAIRS = {
    128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
    130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144,
}  # fmt: skip


def community_id(
    proto: int,
    source: str,
    destination: str,
    source_port: int | None = None,
    destination_port: int | None = None,
    seed: int = 0,
) -> str | None:
    """Community ID v1 of a flow; for ICMP the ports are type and code.
    None when an address is invalid or the families differ."""
    try:
        a, b = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    except ValueError:
        return None
    if a.version != b.version:
        return None
    sa, da = a.packed, b.packed
    one_way = False
    ports = source_port is not None and destination_port is not None and proto in _WITH_PORTS
    sp, dp = source_port or 0, destination_port or 0
    if ports and proto in (1, 58):
        pairs = _ICMP4_PAIRS if proto == 1 else _ICMP6_PAIRS
        if sp in pairs:
            dp = pairs[sp]
        else:
            one_way = True
    if not one_way and not (sa < da or (sa == da and sp < dp)):
        sa, da, sp, dp = da, sa, dp, sp
    data = seed.to_bytes(2, "big") + sa + da + bytes([proto, 0])
    if ports:
        data += sp.to_bytes(2, "big") + dp.to_bytes(2, "big")
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")


def _port(event, call, name) -> int | bool | None:
    """The port read from the field named by parameter ``name``: None when the
    parameter is not given, False when the value is not a valid port."""
    if not call.given(name):
        return None
    number = parse_number(event.get(call.get(name)))
    return number if isinstance(number, int) and 0 <= number <= 65535 else False


@value_function("communityId")
def _community_id(rt, call, event):
    proto_text = event.get(call.get("proto"))
    if proto_text is None:
        return ""
    proto = parse_number(proto_text)
    if proto is None:
        proto = _PROTOCOL_NUMBERS.get(proto_text.strip().lower())
    if not isinstance(proto, int) or not 0 <= proto <= 255:
        return ""
    source = event.get(call.get("sourceip"))
    destination = event.get(call.get("destinationip"))
    sp, dp = _port(event, call, "sourceport"), _port(event, call, "destinationport")
    if proto in (1, 58) and call.given("icmptype"):
        sp, dp = _port(event, call, "icmptype"), _port(event, call, "icmpcode")
    seed = int(call.get("seed"))
    if sp is False or dp is False or source is None or destination is None or seed > 0xFFFF:
        return ""
    return community_id(proto, source, destination, sp, dp, seed) or ""

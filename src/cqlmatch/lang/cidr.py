"""Addresses in subnets, as ``cidr()`` tests them: IPv4 and IPv6, a
value that is not an address in no subnet.  Both engines call this (the VM
for subnets it cannot test with its own IPv4 code), so they cannot disagree."""

from __future__ import annotations

import ipaddress
from functools import lru_cache


@lru_cache(maxsize=4096)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=65536)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def in_subnets(value: str, subnets: tuple[str, ...]) -> bool:
    """Whether an IPv4 or IPv6 address lies in any of the subnets; a value that
    is not an address lies in none."""
    address = _address(value)
    if address is None:
        return False
    for subnet in subnets:
        network = _network(subnet)
        if network is not None and address.version == network.version and address in network:
            return True
    return False


def prefix_length(subnet: str) -> int:
    """How specific a subnet is (its prefix length; -1 for text that is no
    subnet): match(mode=cidr) prefers the longest of those that hold the value."""
    network = _network(subnet)
    return -1 if network is None else network.prefixlen

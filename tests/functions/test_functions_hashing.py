"""crypto:md5/sha1/sha256, hash and communityId (functions/hashing.py),
written from the LogScale function pages and the Community ID
specification (digests are the standard test vectors, or coreutils'
md5sum/sha1sum/sha256sum for non-ASCII input).  Every test runs on each
engine."""

from __future__ import annotations

import pytest

from .helpers import match, value

# --- crypto -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "output", "abc", "empty"),
    [
        (
            "crypto:md5",
            "_md5",
            "900150983cd24fb0d6963f7d28e17f72",
            "d41d8cd98f00b204e9800998ecf8427e",
        ),
        (
            "crypto:sha1",
            "_sha1",
            "a9993e364706816aba3e25717850c26c9cd0d89d",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        (
            "crypto:sha256",
            "_sha256",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
    ],
)
def test_crypto_hex_digests(engine, function, output, abc, empty):
    assert match(f"{function}(a)", {"a": "abc"}, engine)[output] == abc
    assert match(f"{function}(field=a)", {"a": ""}, engine)[output] == empty
    # Several fields hash their concatenation; a missing one counts as "".
    assert match(f"{function}([a, b, c])", {"a": "ab", "c": "c"}, engine)[output] == abc
    assert match(f"h := {function}(a)", {"a": "abc"}, engine)["h"] == abc


def test_crypto_non_ascii_hashes_utf8(engine):
    assert match("crypto:md5(a)", {"a": "é"}, engine)["_md5"] == "66ddcd97cfdeabb2f6fb8a999b4bc76f"
    assert match("crypto:sha1(a)", {"a": "é"}, engine)["_sha1"] == (
        "bf15be717ac1b080b4f1c456692825891ff5073d"
    )
    assert match("crypto:sha256(a)", {"a": "日本"}, engine)["_sha256"] == (
        "cf2abf0c5be326cb922a70f8163f91079c4d9aa8655c60ead89ad545c9de2e92"
    )


def test_crypto_with_no_field_present_writes_nothing(engine):
    assert match("crypto:md5([a, b])", {"c": "x"}, engine) == {"c": "x"}
    assert match("crypto:sha256(a, as=h)", {}, engine) == {}


# --- hash -----------------------------------------------------------------------------


def test_hash(engine):
    # MurmurHash3 x86 32-bit of "hello" with seed 0 is 613153351
    assert value("hash(a)", {"a": "hello"}, "_hash", engine) == "613153351"
    assert value("hash(a, limit=10)", {"a": "hello"}, "_hash", engine) == "1"
    same = value("id := hash([a, b])", {"a": "x", "b": "y"}, "id", engine)
    assert same == value("id := hash([a, b])", {"a": "x", "b": "y", "c": "z"}, "id", engine)
    assert same != value("id := hash([a, b])", {"a": "xy", "b": ""}, "id", engine)
    assert value("hash(a, seed=10)", {"a": "hello"}, "_hash", engine) != "613153351"
    assert 0 <= int(value("hash(a)", {"a": "日本"}, "_hash", engine)) <= 4294967295
    assert match("hash(a)", {"b": "1"}, engine) == {"b": "1"}


# --- communityId --------------------------------------------------------------------------

_FLOW = "communityId(proto=p, sourceip=s, destinationip=d, sourceport=sp, destinationport=dp)"


def test_community_id_tcp(engine):
    # Community ID spec example: 1.2.3.4:4584 -> 43.3.132.3:3483 over TCP
    event = {"p": "6", "s": "1.2.3.4", "sp": "4584", "d": "43.3.132.3", "dp": "3483"}
    assert value(_FLOW, event, "_community_id", engine) == "1:koNcqhFRD5kb254ZrLsdv630jCM="
    # the protocol may be a keyword, and the reverse direction has the same ID
    back = {"p": "tcp", "s": "43.3.132.3", "sp": "3483", "d": "1.2.3.4", "dp": "4584"}
    assert value(_FLOW, back, "_community_id", engine) == "1:koNcqhFRD5kb254ZrLsdv630jCM="


def test_community_id_without_ports(engine):
    q = "x := communityId(proto=p, sourceip=s, destinationip=d)"
    event = {"p": "udp", "s": "1.2.3.4", "d": "43.3.132.3"}
    assert value(q, event, "x", engine) == "1:7TrrMeH98PrUKC0ySu3RNmpUr48="


def test_community_id_icmp6(engine):
    # baseline vectors of the Community ID spec (ICMPv6 type/code as ports)
    a, b = "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea"
    solicit = {"p": "58", "s": a, "d": b, "sp": "135", "dp": "0"}
    assert value(_FLOW, solicit, "_community_id", engine) == "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="
    advert = {"p": "58", "s": b, "d": a, "sp": "136", "dp": "0"}
    assert value(_FLOW, advert, "_community_id", engine) == "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="
    q = "communityId(proto=p, sourceip=s, destinationip=d, icmptype=t, icmpcode=c)"
    other = {"p": "58", "s": b, "d": a, "t": "135", "c": "0"}
    assert value(q, other, "_community_id", engine) == "1:zavyT/cezQr1fmImYCwYnMXbgck="
    one_way = {"p": "58", "s": "3ffe:501:1800:2345::2", "d": "3ffe:507:0:1:200:86ff:fe05:80da"}
    one_way |= {"sp": "3", "dp": "0"}
    assert value(_FLOW, one_way, "_community_id", engine) == "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="


def test_community_id_invalid_input_is_empty(engine):
    base = {"p": "6", "s": "1.2.3.4", "sp": "1", "d": "5.6.7.8", "dp": "2"}
    for bad in ({"s": "1.2.3"}, {"dp": "70000"}, {"p": "nope"}, {"d": "::1"}, {"sp": "x"}):
        assert value(_FLOW, base | bad, "_community_id", engine) == ""
    missing = {k: v for k, v in base.items() if k != "d"}
    assert value(_FLOW, missing, "_community_id", engine) == ""


def test_community_id_seed_changes_the_hash(engine):
    event = {"p": "6", "s": "1.2.3.4", "sp": "4584", "d": "43.3.132.3", "dp": "3483"}
    seeded = value(_FLOW[:-1] + ", seed=1)", event, "_community_id", engine)
    assert seeded.startswith("1:")
    assert seeded != "1:koNcqhFRD5kb254ZrLsdv630jCM="

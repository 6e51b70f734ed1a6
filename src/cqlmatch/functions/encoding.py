"""Encodings: urlEncode, base64Encode, parseHexString and tokenHash.

``urlEncode(field, as=_urlencode)``
    Form encoding of the UTF-8 bytes: letters, digits and ``.-*_`` stay,
    a space becomes ``+`` and every other byte ``%XX`` in upper case (page:
    ``https://www.example.com`` gives ``https%3A%2F%2Fwww.example.com``,
    ``Title with spaces/special characters!`` gives
    ``Title+with+spaces%2Fspecial+characters%21``).  ``type`` is accepted;
    its page lists no values, and both encodings here are the form one
    (UNCONFIRMED).

``base64Encode(field, charset=UTF-8, as=_base64Encode)``
    Standard base64 with padding of the value's bytes in ``charset`` (W484
    for a charset Python does not know, as base64Decode).

``parseHexString(field, charset=UTF-8, as=_parsehexstring)``
    The text whose bytes the hex digits spell (``48656c6c6f`` is ``Hello``),
    decoded with ``charset``; a value that is not an even count of hex
    digits gives no output (UNCONFIRMED).

``tokenHash(field, as=_tokenHash)``
    The value split on spaces, each token hashed and the hashes added
    (page: "abc def ghi" and "def ghi abc" give the same hash), shown as
    8 lower-case hex digits.  The token hash LogScale uses is not
    documented: equal inputs agree here, but the digits will not equal
    LogScale's (UNCONFIRMED, as for hash()).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import string

from .hashing import murmur3_32
from .registry import value_function

_URL_SAFE = frozenset((string.ascii_letters + string.digits + ".-*_").encode("ascii"))


@value_function("urlEncode")
def _url_encode(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return None
    out = []
    for byte in value.encode("utf-8", "surrogatepass"):
        if byte in _URL_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _codec(rt, call) -> str | None:
    charset = str(call.get("charset") or "UTF-8")
    try:
        return codecs.lookup(charset).name
    except LookupError:
        rt.warn("W484", f"{call.spec.name}() does not know the charset {charset!r}")
        return None


@value_function("base64Encode")
def _base64_encode(rt, call, event):
    value = event.get(call.get("field"))
    codec = _codec(rt, call)
    if value is None or codec is None:
        return None
    try:
        data = value.encode(codec)
    except UnicodeEncodeError:
        return None
    return base64.b64encode(data).decode("ascii")


@value_function("parseHexString")
def _parse_hex_string(rt, call, event):
    value = event.get(call.get("field"))
    codec = _codec(rt, call)
    if value is None or codec is None:
        return None
    text = value.strip()
    if text[:2].lower() == "0x":
        text = text[2:]
    try:
        data = binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        return None
    return data.decode(codec, "replace")


@value_function("tokenHash")
def _token_hash(rt, call, event):
    value = event.get(call.get("field"))
    if value is None:
        return None
    total = sum(murmur3_32(token.encode("utf-8", "surrogatepass")) for token in value.split(" "))
    return f"{total & 0xFFFFFFFF:08x}"

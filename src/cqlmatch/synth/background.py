"""The background event stream of the ``realistic`` and ``worst`` mixes:
per-host pre-encoded line pieces and one builder per event type, with the
planted scenario instances interleaved at ``malicious_rate`` and the planted
ATT&CK technique instances (:mod:`.techniques`) at ``technique_rate``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

from .catalogue import (
    _COMMON_ORDER,
    _KINDS,
    _PLATFORM_INDEX,
    _PLATFORMS,
    _TRANSMISSION,
    _VERSIONED,
    MIXES,
    START_MS,
    _kind_table,
)
from .encode import _e2, _encode_object, _encode_value, gson_escape
from .hosts import _build_hosts
from .processes import (
    _LIN_MODULES,
    _LIN_PROCS,
    _LIN_WRITE_DIRS,
    _MAC_MODULES,
    _MAC_PROCS,
    _MAC_WRITE_DIRS,
    _PS_SCRIPT_LINES,
    _WIN_MODULES,
    _WIN_PROCS,
    _WIN_REG,
    _WIN_WRITE_DIRS,
    _Cmd,
)
from .scenarios import _SCENARIO_PLATFORMS, LOOKALIKES, SCENARIOS, scenario_events
from .techniques import TECHNIQUES, technique_events
from .values import (
    _ATTACKS,
    _DOMAINS,
    _LOGON_TYPES,
    _PUBLIC_FIRST_OCTETS,
    _TAGS,
    _dev_path,
    _digest,
    _ip,
    _private_ip,
    _secs,
    _split,
)

_ESCAPED_SHARE = 0.25  # events whose non-ASCII text is \u-escaped
_FLIP_SHARE = 0.08  # events whose common keys move to the other end
_NO_USER_SHARE = 0.07  # background ProcessRollup2 events without UserName
_NET_IMAGE_SHARE = 1 / 3  # background network events enriched with ImageFileName
_ATTACKS_SHARE = 0.08  # ClassifiedModuleLoad events with an Attacks array
_WORST_KINDS = ("ProcessRollup2", "NetworkConnectIP4")  # what the worst mix keeps of planted chains

PlantedRecord = dict[str, Any]
"""What is known of one planted technique instance: ``technique`` (the
ATT&CK id), ``name`` (the ATT&CK name), ``tactic``, ``scenario`` (the
catalogue entry), ``platform``, ``aid`` and ``event_ids`` (the ``id`` of
each of its events, in output order)."""


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


class _Gen:
    def __init__(
        self,
        seed: int,
        mix: str,
        malicious_rate: float,
        technique_rate: float = 0.0,
        on_planted: Callable[[PlantedRecord], object] | None = None,
    ) -> None:
        if mix not in MIXES:
            raise ValueError(f"unknown mix {mix!r}; expected one of {', '.join(MIXES)}")
        if not 0.0 <= malicious_rate <= 1.0:
            raise ValueError("malicious_rate must be between 0 and 1")
        if not 0.0 <= technique_rate <= 1.0:
            raise ValueError("technique_rate must be between 0 and 1")
        self.rng = random.Random(seed)
        self.mix = mix
        self.rate = malicious_rate
        self.technique_rate = technique_rate
        self.on_planted = on_planted
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
        trate = self.technique_rate
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
            # Drawn only when techniques are asked for, so that rate 0 gives
            # the same bytes as a generator without them.
            if trate and rnd() < trate:
                block = self._technique(events - emitted)
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
            evs = [e for e in evs if e["event_simpleName"] in _WORST_KINDS]
        if not evs or len(evs) > budget:
            return []
        a = rng.random() < _ESCAPED_SHARE
        self.t = int(evs[-1]["timestamp"])
        return [_encode_object(e, a) + "\n" for e in evs]

    def _technique(self, budget: int) -> list[str]:
        """One instance of a catalogue technique picked uniformly, on a host
        of its platform; reported to ``on_planted`` when it is kept."""
        rng = self.rng
        tech = TECHNIQUES[int(rng.random() * len(TECHNIQUES))]
        pool = self.by_platform[tech.platform]
        h = pool[int(rng.random() * len(pool))]
        evs = technique_events(tech, rng, h.pub, start_ms=self.t + 1)
        if self.mix == "worst":
            evs = [e for e in evs if e["event_simpleName"] in _WORST_KINDS]
        if not evs or len(evs) > budget:
            return []
        a = rng.random() < _ESCAPED_SHARE
        self.t = int(evs[-1]["timestamp"])
        if self.on_planted is not None:
            self.on_planted(
                {
                    "technique": tech.id,
                    "name": tech.name,
                    "tactic": tech.tactic,
                    "scenario": tech.scenario,
                    "platform": tech.platform,
                    "aid": h.pub["aid"],
                    "event_ids": [e["id"] for e in evs],
                }
            )
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

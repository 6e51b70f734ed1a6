"""Which fields Falcon event types carry, for checks that catch rules reading
fields an event type never has.

Sources: the project's research notes on Falcon telemetry (CrowdStrike FDR
samples in the Elastic integration test data, Splunk security_content, IBM QRadar DSM docs)
and the LogScale-side fields Falcon LTR / Next-Gen SIEM derive on process
events (FileName, FilePath, ComputerName, UserName).  The table lists what an
event *can* carry; absence from it means the type never has the field.
"""

from __future__ import annotations

# Keys on every raw FDR event, plus the host name late sensors add and the
# LogScale tag and timestamp fields (#repo, #type and #kind: every input has
# them, by default the Falcon sensor tags of lang.tags).
COMMON = frozenset(
    {
        "aid",
        "aip",
        "cid",
        "event_simpleName",
        "#event_simpleName",
        "event_platform",
        "#event_platform",
        "timestamp",
        "@timestamp",
        "@rawstring",
        "@id",
        "#repo",
        "#type",
        "#kind",
        "id",
        "name",
        "ConfigBuild",
        "ConfigStateHash",
        "Entitlements",
        "EffectiveTransmissionClass",
        "ComputerName",
        "LocalAddressIP4",
    }
)

_PROCESS = {
    "TargetProcessId",
    "ParentProcessId",
    "SourceProcessId",
    "RawProcessId",
    "ImageFileName",
    "CommandLine",
    "ParentBaseFileName",
    "UserSid",
    "SHA256HashData",
    "MD5HashData",
    "SHA1HashData",
    "ProcessStartTime",
    "ProcessEndTime",
    "AuthenticationId",
    "IntegrityLevel",
    "Tags",
    "SignInfoFlags",
    "UID",
    "GID",
    "RUID",
    "FileName",
    "FilePath",
    "UserName",
}
_NETWORK = {
    "LocalAddressIP4",
    "LocalPort",
    "RemoteAddressIP4",
    "RemotePort",
    "Protocol",
    "ConnectionDirection",
    "ConnectionFlags",
    "ContextProcessId",
    "ContextTimeStamp",
    "InContext",
}
_NETWORK6 = {n.replace("IP4", "IP6") for n in _NETWORK}

EVENT_FIELDS: dict[str, frozenset[str]] = {
    name: COMMON | frozenset(fields)
    for name, fields in {
        "ProcessRollup2": _PROCESS,
        "SyntheticProcessRollup2": _PROCESS,
        "NetworkConnectIP4": _NETWORK,
        "NetworkReceiveAcceptIP4": _NETWORK,
        "NetworkCloseIP4": _NETWORK,
        "NetworkConnectIP6": _NETWORK6,
        "NetworkReceiveAcceptIP6": _NETWORK6,
        "DnsRequest": {
            "DomainName",
            "RequestType",
            "ContextProcessId",
            "ContextBaseFileName",
            "IP4Records",
            "FirstIP4Record",
            "DnsResponseType",
            "QueryStatus",
        },
        "EndOfProcess": {"TargetProcessId", "RawProcessId", "ContextProcessId"},
        "SensorHeartbeat": {
            "ConfigIDBase",
            "SensorStateBitMap",
            "NetworkContainmentState",
            "ProvisionState",
        },
        "ClassifiedModuleLoad": {
            "ImageFileName",
            "TargetImageFileName",
            "ModuleSize",
            "SHA256HashData",
        },
        "RegGenericValueUpdate": {
            "RegObjectName",
            "RegValueName",
            "RegStringValue",
            "RegType",
            "RegOperationType",
        },
        "ScriptControlScanTelemetry": {
            "ScriptContent",
            "ScriptContentName",
            "ContentSHA256HashData",
            "OriginalContentLength",
        },
        "UserLogon": {
            "UserName",
            "UserSid",
            "LogonType",
            "LogonDomain",
            "UserPrincipal",
            "AuthenticationPackage",
            "UserLogonFlags",
        },
    }.items()
}


def carries(event_type: str, field: str) -> bool | None:
    """Whether an event type can carry a field; None for types not in the table
    and for indexed fields of arrays (``Attacks[0].Tactic``)."""
    fields = EVENT_FIELDS.get(event_type)
    if fields is None or "[" in field:
        return None
    return field in fields

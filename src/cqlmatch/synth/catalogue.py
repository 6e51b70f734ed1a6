"""The event-type catalogue: which Falcon event types exist per platform
(and their versioned names), the common keys every event carries and their
order, and the per-mille weights of each type in the ``realistic`` and
``worst`` mixes.
"""

from __future__ import annotations

MIXES = ("realistic", "worst")
START_MS = 1_760_000_000_000  # 2025-10-09T08:53:20Z


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
# Event types that only planted technique instances produce (the background
# mixes never draw them, so they stay out of ``_VERSIONED`` and its kind
# indices).  The names follow Falcon's sensor event names; the version
# suffixes are illustrative, as no public source lists the current ones.
# An empty name: the type does not exist on that platform.
_PLANTED_VERSIONED = {
    "ScheduledTaskRegistered": ("ScheduledTaskRegisteredV6", "", ""),
    "ServiceStarted": ("ServiceStartedV4", "", ""),
    "AsepValueUpdate": ("AsepValueUpdateV3", "", ""),
    "UserAccountCreated": ("UserAccountCreatedV2", "", "UserAccountCreatedLinV1"),
}
_PLATFORMS = ("Win", "Mac", "Lin")
_PLATFORM_INDEX = {"Win": 0, "Mac": 1, "Lin": 2}
_KINDS = tuple(_VERSIONED)
_KIND_INDEX = {k: i for i, k in enumerate(_KINDS)}


def _versioned_name(simple: str, platform: str) -> str:
    """The versioned event name of ``simple`` on ``platform`` (``""`` when
    the type does not exist there), background and planted-only types alike."""
    names = _VERSIONED.get(simple) or _PLANTED_VERSIONED.get(simple)
    if names is None:
        raise ValueError(f"unknown event type {simple!r}")
    return names[_PLATFORM_INDEX[platform]]


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


def _kind_table(mix: str, platform: str) -> list[int]:
    table: list[int] = []
    for simple, weight in _MIX_WEIGHTS[mix][platform]:
        table += [_KIND_INDEX[simple]] * weight
    if len(table) != 1000:  # pragma: no cover - guarded by the weights above
        raise AssertionError(f"weights of {mix}/{platform} sum to {len(table)}")
    return table

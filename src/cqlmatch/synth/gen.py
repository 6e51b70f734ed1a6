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
* **Planted techniques.**  Before each background event, with probability
  ``technique_rate`` (default :data:`DEFAULT_TECHNIQUE_RATE`), one instance
  of an ATT&CK technique from :data:`TECHNIQUES` is emitted on a host of its
  platform: Windows, Linux and macOS activity such as encoded PowerShell
  from Office, LOLBin downloads and callbacks, credential dumping,
  scheduled tasks, services, Run keys, cron and shell-profile persistence,
  LaunchAgents and Gatekeeper bypasses (:mod:`.techniques` lists them and
  says what each instance writes).  None of them satisfies the seed rule.
  Their ids go to the ``planted`` list of :func:`generate_lines` or the
  side file of :func:`write_file` and ``cqlmatch gen --planted``, so a
  detection's hits can be checked against what was planted.  The draw is
  only made when the rate is above 0: ``technique_rate=0`` gives exactly
  the output of the generator before techniques existed.

Everything is driven by one ``random.Random(seed)``; no hash randomisation,
clock, locale or unordered iteration reaches the output, so the same
arguments give the same bytes on any machine.

This module is the package's public face; the code lives in the modules next
to it, each one concern:

* :mod:`.catalogue`: the event types per platform, the common keys and the
  weights of the ``realistic`` and ``worst`` mixes;
* :mod:`.encode`: Gson style escaping and encoding;
* :mod:`.values`: addresses, ids, hashes, paths and the shared vocabularies;
* :mod:`.hosts`: the host pool of a seed;
* :mod:`.processes`: the background process catalogues and command lines,
  modules, written directories and registry values;
* :mod:`.background`: the background event stream of a mix;
* :mod:`.scenarios`: the planted installer chains and their look-alikes;
* :mod:`.techniques`: the planted ATT&CK technique catalogue;
* :mod:`.writer`: :func:`generate_lines`, :func:`write_file` and the
  ``cqlmatch gen`` command.
"""

from __future__ import annotations

from .catalogue import MIXES, START_MS
from .encode import gson_escape
from .hosts import make_hosts, sample_host
from .scenarios import LOOKALIKES, SCENARIOS, scenario_events
from .techniques import TECHNIQUES, Technique, technique_events
from .writer import (
    DEFAULT_TECHNIQUE_RATE,
    add_arguments,
    generate_lines,
    planted_line,
    run,
    write_file,
)

__all__ = [
    "DEFAULT_TECHNIQUE_RATE",
    "LOOKALIKES",
    "MIXES",
    "SCENARIOS",
    "START_MS",
    "TECHNIQUES",
    "Technique",
    "add_arguments",
    "generate_lines",
    "gson_escape",
    "make_hosts",
    "planted_line",
    "run",
    "sample_host",
    "scenario_events",
    "technique_events",
    "write_file",
]

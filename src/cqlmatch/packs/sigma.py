"""Sigma rules in a pack: converted to CQL with pySigma's CrowdStrike backend.

A manifest entry ``sigma: PATH`` names one Sigma rule file or a folder of
them (``*.yml``/``*.yaml``, subfolders too, sorted).  Each rule is converted
by ``pysigma-backend-crowdstrike`` (``LogScaleBackend`` with the
``crowdstrike_falcon_pipeline``: Falcon's event types and field names) and
becomes a pack rule: its id is the Sigma ``id`` (the entry's ``id:`` for a
single file, the file name when the rule has none), its name the
``title``, its severity the ``level`` and its tags the Sigma ``tags``.  A
rule the backend cannot convert, or whose log source the Falcon pipeline
does not map (the output would name Sigma's fields, not Falcon's), is a
problem with the backend's reason, and the others are kept.  The backend is
the optional extra ``cqlmatch[sigma]``; without it each ``sigma:`` entry is
one problem saying how to install it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .model import DEFAULT_SEVERITY, SEVERITIES, Problem, RuleSource

SUFFIXES = (".yml", ".yaml")
INSTALL = "Sigma rules need pySigma's CrowdStrike backend: pip install 'cqlmatch[sigma]'"


def _backend() -> Any:
    """The CrowdStrike LogScale backend with the Falcon pipeline, or None."""
    try:
        from sigma.backends.crowdstrike import LogScaleBackend
        from sigma.pipelines.crowdstrike import crowdstrike_falcon_pipeline
    except ImportError:
        return None
    return LogScaleBackend(processing_pipeline=crowdstrike_falcon_pipeline())


def sigma_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.name.endswith(SUFFIXES)
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    return [path]


def convert(
    path: Path, where: str, entry_id: str | None, base: RuleSource
) -> tuple[list[RuleSource], list[Problem]]:
    """The pack rules of the Sigma file or folder ``path`` (``where``: the
    manifest position of the entry, for problems); ``base`` carries the
    entry's own settings (enabled, tests)."""
    backend = _backend()
    if backend is None:
        return [], [Problem(where, entry_id or path.name, INSTALL)]
    if not path.exists():
        return [], [Problem(where, entry_id or path.name, f"no such file or directory: {path}")]
    files = sigma_files(path)
    if not files:
        return [], [Problem(where, entry_id or path.name, f"no Sigma rules (.yml) in {path}")]
    rules: list[RuleSource] = []
    problems: list[Problem] = []
    single = len(files) == 1 and not path.is_dir()
    for file in files:
        rule, problem = _convert_file(backend, file, entry_id if single else None, base)
        if rule is not None:
            rules.append(rule)
        if problem is not None:
            problems.append(problem)
    return rules, problems


def _convert_file(
    backend: Any, file: Path, entry_id: str | None, base: RuleSource
) -> tuple[RuleSource | None, Problem | None]:
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    name = entry_id or file.stem
    try:
        text = file.read_text(encoding="utf-8")
        collection = SigmaCollection.from_yaml(text)
        if len(collection.rules) != 1:
            return None, Problem(str(file), name, "a Sigma file must hold exactly one rule")
        rule = collection.rules[0]
        queries = backend.convert(collection)
    except (OSError, UnicodeDecodeError) as err:
        return None, Problem(str(file), name, f"cannot read: {err}")
    except yaml.YAMLError as err:
        return None, Problem(str(file), name, f"not a Sigma rule: invalid YAML: {_one_line(err)}")
    except SigmaError as err:
        return None, Problem(str(file), name, f"the Sigma backend cannot convert it: {err}")
    except Exception as err:  # the backend's own failures, never a traceback
        return None, Problem(str(file), name, f"the Sigma backend failed: {_one_line(err)}")
    rule_id = entry_id or (str(rule.id) if rule.id else file.stem)
    if isinstance(queries, str):
        queries = [queries]
    if len(queries) != 1 or not isinstance(queries[0], str):
        return None, Problem(str(file), rule_id, "the Sigma backend gave no single query")
    if not _mapped(rule):
        return None, Problem(
            str(file),
            rule_id,
            "the Falcon pipeline does not map this rule's log source "
            f"({_logsource(rule)}): its query would name Sigma's fields",
        )
    level = str(rule.level.name).lower() if rule.level is not None else DEFAULT_SEVERITY
    return (
        RuleSource(
            id=rule_id,
            name=rule.title or rule_id,
            severity=level if level in SEVERITIES else DEFAULT_SEVERITY,
            tags=tuple(str(tag) for tag in rule.tags),
            enabled=base.enabled,
            text=queries[0],
            path=str(file),
            tests=base.tests,
        ),
        None,
    )


def _logsource(rule: Any) -> str:
    source = rule.logsource
    parts = [
        f"{key}: {value}"
        for key, value in (
            ("category", source.category),
            ("product", source.product),
            ("service", source.service),
        )
        if value
    ]
    return ", ".join(parts) or "none"


def _mapped(rule: Any) -> bool:
    """Whether the Falcon pipeline mapped the rule's log source (to event
    types and Falcon's fields): pySigma records the pipeline items that
    applied, and the log-source item's id says ``logsource``."""
    applied = getattr(rule, "applied_processing_items", None) or ()
    return any("logsource" in str(item) for item in applied)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())

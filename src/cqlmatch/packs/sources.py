"""Where a pack's rules come from: a YAML manifest or a folder of ``.cql`` files.

A manifest (``*.yaml``/``*.yml``)::

    name: falcon-detections
    rules:
      - id: installer-child          # unique in the pack, required
        name: Installer package spawns a script interpreter
        severity: high               # informational | low | medium | high | critical
        tags: [attack.persistence, attack.t1546.016]
        enabled: true                # default true
        query: |                     # or query_file: a path relative to the manifest
          #event_simpleName=ProcessRollup2 ...
        tests: tests/installer-child.cqltest.yaml   # optional

A folder: every ``*.cql`` file under it (subfolders too, sorted, hidden
ones skipped) is a rule whose id is the file name without ``.cql``; its
name, severity, tags and enabled flag come from ``// key: value`` lines in
the comment block that opens the file (``// tags: a, b``); the name defaults
to the id, the severity to ``medium``.

Reading a source never compiles a query: a rule whose entry is malformed
(no id, both ``query`` and ``query_file``, an unknown severity ...) is a
``Problem`` and left out, so one bad entry never sinks the pack; a
manifest that is not YAML, or not a mapping with ``rules:``, is a
``PackError`` for the whole pack.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..lang.tags import TagError, parse_tag
from ..records import replace
from ..testing.yamlnodes import NodeReader, compose
from .model import DEFAULT_SEVERITY, SEVERITIES, PackError, PackSource, Problem, RuleSource
from .sigma import convert as convert_sigma

MANIFEST_SUFFIXES = (".yaml", ".yml")

_MANIFEST_KEYS = ("name", "description", "source_tags", "rules")
_RULE_KEYS = (
    "id",
    "name",
    "severity",
    "tags",
    "enabled",
    "query",
    "query_file",
    "sigma",
    "tests",
    "description",
)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}\Z")
_HEADER_LINE = re.compile(r"//\s*([A-Za-z_]+)\s*:\s*(.*?)\s*\Z")


@dataclass(frozen=True)
class SigmaEntry:
    """A manifest entry ``sigma: PATH``: converted to rules by ``packs.sigma``."""

    base: RuleSource  # the entry's own settings (enabled, tests)
    path: Path
    where: str
    id: str | None


def read_source(path: str | Path) -> PackSource:
    """The rules of a manifest file or a folder of ``.cql`` files."""
    where = Path(path)
    if where.is_dir():
        return read_folder(where)
    if where.is_file() and where.name.endswith(MANIFEST_SUFFIXES):
        return read_manifest(where)
    if where.exists():
        raise PackError(where, "a pack is a manifest (.yaml, .yml) or a folder of .cql files")
    raise PackError(where, "no such file or directory")


# --- folders ---------------------------------------------------------------------------


def read_folder(folder: Path) -> PackSource:
    pack = PackSource(folder.resolve().name)  # "." names the folder it is
    files = sorted(
        p
        for p in folder.rglob("*.cql")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    seen: dict[str, str] = {}
    for file in files:
        rule_id = file.stem
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            pack.problems.append(Problem(str(file), rule_id, f"cannot read: {err}"))
            continue
        if rule_id in seen:
            pack.problems.append(
                Problem(str(file), rule_id, f"id given twice (also {seen[rule_id]})")
            )
            continue
        if not _ID.match(rule_id):
            pack.problems.append(Problem(str(file), rule_id, _bad_id(rule_id)))
            continue
        seen[rule_id] = str(file)
        header, problem = _header(text)
        if problem:
            pack.problems.append(Problem(f"{file}:{problem[0]}", rule_id, problem[1]))
            continue
        pack.rules.append(
            RuleSource(
                id=rule_id,
                name=header.get("name") or rule_id,
                severity=header.get("severity", DEFAULT_SEVERITY),
                tags=_split_tags(header.get("tags", "")),
                enabled=header.get("enabled", "true") == "true",
                text=text,
                path=str(file),
            )
        )
    if not files:
        raise PackError(folder, "no .cql files in this folder")
    return pack


def _header(text: str) -> tuple[dict[str, str], tuple[int, str] | None]:
    """The ``// key: value`` metadata of the comment block opening ``text``,
    or the line and message of a bad value."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("//"):
            break
        match = _HEADER_LINE.match(stripped)
        if match is None:
            continue  # an ordinary comment
        key, value = match.group(1).lower(), match.group(2)
        if key == "severity":
            value = value.lower()
            if value not in SEVERITIES:
                return found, (number, f"severity {value!r} is not one of {', '.join(SEVERITIES)}")
        elif key == "enabled":
            value = value.lower()
            if value not in ("true", "false"):
                return found, (number, f"enabled must be true or false, not {value!r}")
        elif key not in ("name", "tags"):
            continue
        found[key] = value
    return found, None


def _split_tags(text: str) -> tuple[str, ...]:
    return tuple(tag for tag in (t.strip() for t in text.split(",")) if tag)


def _bad_id(rule_id: str) -> str:
    return (
        f"id {rule_id!r} must start with a letter or digit and hold only letters, "
        "digits, '_', '.', ':' and '-' (at most 128)"
    )


# --- manifests ---------------------------------------------------------------------------


class _ManifestReader(NodeReader):
    error = PackError

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.written = path.read_text(encoding="utf-8")  # the manifest, for query positions

    def at(self, node: yaml.Node) -> str:
        return f"{self.path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"

    def pack(self, root: yaml.Node) -> PackSource:
        top = self.mapping(root, "", _MANIFEST_KEYS)
        if "rules" not in top:
            raise self.fail(root, "", "a pack manifest needs 'rules:' (a list of rules)")
        name = self.text_of(top, "name", "") or self.path.stem
        pack = PackSource(name)
        if "source_tags" in top:
            node = top["source_tags"][1]
            for key, (_, value) in self.mapping(node, "source_tags").items():
                text = self.text(value, f"source_tags.{key}", "a tag value")
                try:
                    tag, text = parse_tag(f"{key}={text}")
                except TagError as err:
                    raise self.fail(value, f"source_tags.{key}", str(err)) from None
                pack.source_tags[tag] = text
        seen: dict[str, str] = {}
        for index, node in enumerate(self.sequence(top["rules"][1], "rules", "rules")):
            where = f"rules[{index}]"
            try:
                entry = self.rule(node, where)
            except PackError as err:
                pack.problems.append(
                    Problem(
                        f"{err.path}:{err.line}:{err.column}",
                        self.rule_id(node, where),
                        err.message,
                    )
                )
                continue
            if isinstance(entry, SigmaEntry):
                rules, problems = convert_sigma(entry.path, entry.where, entry.id, entry.base)
                pack.problems.extend(problems)
            else:
                rules = [entry]
            for rule in rules:
                if rule.id in seen:
                    pack.problems.append(
                        Problem(self.at(node), rule.id, f"id given twice (also at {seen[rule.id]})")
                    )
                    continue
                seen[rule.id] = self.at(node)
                pack.rules.append(rule)
        return pack

    def text_of(self, entries: dict, key: str, default: str) -> str:
        if key not in entries:
            return default
        return self.text(entries[key][1], key)

    @staticmethod
    def rule_id(node: yaml.Node, fallback: str) -> str:
        """The entry's id as written, for naming a rule that could not be read."""
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                named = isinstance(key, yaml.ScalarNode) and key.value == "id"
                if named and isinstance(value, yaml.ScalarNode) and value.value:
                    return value.value
        return fallback

    def rule(self, node: yaml.Node, where: str) -> RuleSource | SigmaEntry:
        entries = self.mapping(node, where, _RULE_KEYS)
        explicit_id = None
        if "id" in entries:
            explicit_id = self.text(entries["id"][1], f"{where}.id")
            if not _ID.match(explicit_id):
                raise self.fail(entries["id"][1], f"{where}.id", _bad_id(explicit_id))
        elif "sigma" not in entries:
            raise self.fail(node, where, "a rule needs an 'id:'")
        rule_id = explicit_id or where
        severity = self.text_of(entries, "severity", DEFAULT_SEVERITY).lower()
        if severity not in SEVERITIES:
            raise self.fail(
                entries["severity"][1],
                f"{where}.severity",
                f"{severity!r} is not one of {', '.join(SEVERITIES)}",
            )
        tags: tuple[str, ...] = ()
        if "tags" in entries:
            tags = tuple(
                self.text(tag, f"{where}.tags")
                for tag in self.sequence(entries["tags"][1], f"{where}.tags", "tags")
            )
        enabled = (
            self.flag(entries["enabled"][1], f"{where}.enabled") if "enabled" in entries else True
        )
        given = [key for key in ("query", "query_file", "sigma") if key in entries]
        if len(given) != 1:
            problem = "no query" if not given else f"both {' and '.join(given)}"
            raise self.fail(
                node,
                where,
                f"a rule needs exactly one of 'query:', 'query_file:' or 'sigma:' ({problem})",
            )
        tests = None
        if "tests" in entries:
            tests = str(self.relative(entries["tests"][1], f"{where}.tests"))
        base = RuleSource(
            id=rule_id,
            name=self.text_of(entries, "name", rule_id),
            severity=severity,
            tags=tags,
            enabled=enabled,
            tests=tests,
        )
        _, value = entries[given[0]]
        if given[0] == "sigma":
            path = self.relative(value, f"{where}.sigma")
            return SigmaEntry(base, path, self.at(value), explicit_id)
        if given[0] == "query_file":
            path = self.relative(value, f"{where}.query_file")
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise self.fail(
                    value, f"{where}.query_file", f"cannot read {path}: {err}"
                ) from None
            return replace(base, text=text, path=str(path))
        text = self.text(value, f"{where}.query", "the query text")
        line_offset, column_offset = self.placement(value)
        return replace(
            base,
            text=text,
            path=str(self.path),
            line_offset=line_offset,
            column_offset=column_offset,
        )

    def relative(self, node: yaml.Node, where: str) -> Path:
        written = self.text(node, where, "a path")
        return Path(os.path.normpath(self.base / written))

    def placement(self, node: yaml.ScalarNode) -> tuple[int, int]:
        """Where a query scalar's first line and column are in the manifest,
        as offsets from line 1, column 1."""
        if node.style in ("|", ">"):
            lines = self.written.splitlines()
            first = node.start_mark.line + 1  # the line after the indicator (0-based)
            while first < len(lines) and not lines[first].strip():
                first += 1
            indent = len(lines[first]) - len(lines[first].lstrip()) if first < len(lines) else 0
            return first, indent
        quote = 1 if node.style in ("'", '"') else 0
        return node.start_mark.line, node.start_mark.column + quote


def read_manifest(path: Path) -> PackSource:
    root = compose(path, PackError, "empty pack manifest: expected 'rules:'")
    return _ManifestReader(path).pack(root)

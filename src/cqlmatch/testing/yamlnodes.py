"""Bounded, located reading of the project's YAML files (detection tests,
pack manifests).

The YAML is composed node by node (``yaml.compose``) rather than loaded
into plain objects, so every problem is reported with the file, line and
column and the key path it concerns (``cases[2].rows[0]``), and values
stay the text written in the file.  ``compose`` bounds what a file can make
the reader walk (aliases expanded, nesting depth, no alias cycles);
``NodeReader`` checks node shapes and raises ``YamlFileError`` (or the
subclass a format names) at the node concerned.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from ..errors import YamlFileError
from ..limits import MAX_YAML_DEPTH, MAX_YAML_VALUES

NULL_TAG = "tag:yaml.org,2002:null"


def compose(path: Path, error: type[YamlFileError] = YamlFileError, empty: str = "") -> yaml.Node:
    """The root node of the YAML file at ``path``; problems raise ``error``
    (``empty``: the message for a file with no document)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise error(path, f"cannot read: {err}") from None
    try:
        root = yaml.compose(text, Loader=BoundedLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "invalid YAML"
        if mark is None:
            raise error(path, f"invalid YAML: {problem}") from None
        raise error(path, f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as err:
        raise error(path, f"invalid YAML: {err}") from None
    except RecursionError:  # not expected past the depth limit; never a traceback
        raise error(path, "invalid YAML: nested too deeply") from None
    if root is None:
        raise error(path, empty or "empty file")
    return root


class BoundedLoader(yaml.SafeLoader):
    """``SafeLoader`` that bounds what a file can make the reader walk: the
    values it holds once aliases are expanded (``MAX_YAML_VALUES``), how
    deep mappings and lists nest (``MAX_YAML_DEPTH``), and no alias to a node
    that contains it (a cycle, which no JSON event can be).  Each refusal is
    a ``ComposerError`` at the alias or node concerned, so ``compose`` reports
    it with its line and column."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._values = 0  # values composed so far, aliases counted expanded
        self._depth = 0
        self._open: set[str] = set()  # anchors whose node is being composed
        self._sizes: dict[int, int] = {}  # id(node) -> its values, expanded

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"the alias *{event.anchor} refers to the node that contains it",
                    event.start_mark,
                )
            node = super().compose_node(parent, index)
            self._count(self._size(node), event.start_mark)
            return node
        self._count(1, event.start_mark)
        anchor = getattr(event, "anchor", None)
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"nested too deeply (more than {MAX_YAML_DEPTH} levels)",
                event.start_mark,
            )
        if anchor is not None:
            self._open.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor)  # type: ignore[arg-type]

    def _count(self, values: int, mark: yaml.Mark) -> None:
        self._values += values
        if self._values > MAX_YAML_VALUES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"the aliases in this file expand to more than {MAX_YAML_VALUES:,} values "
                "(put large inputs in an 'events: {file: PATH.ndjson}' file)",
                mark,
            )

    def _size(self, node: yaml.Node) -> int:
        """The values ``node`` stands for with its aliases expanded (memoised:
        aliases make the nodes a DAG, so this is linear in its nodes)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self._size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(self._size(key) + self._size(value) for key, value in node.value)
        self._sizes[id(node)] = size
        return size


class NodeReader:
    """Checks the shapes of one file's nodes; errors are ``self.error``
    located at the node."""

    error: type[YamlFileError] = YamlFileError

    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent

    def fail(self, node: yaml.Node, where: str, message: str) -> YamlFileError:
        prefix = f"{where}: " if where else ""
        return self.error(
            self.path, prefix + message, node.start_mark.line + 1, node.start_mark.column + 1
        )

    # --- node shapes ---------------------------------------------------------------

    def mapping(
        self, node: yaml.Node, where: str, allowed: tuple[str, ...] | None = None
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Key text -> (key node, value node); unknown and repeated keys are errors."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, f"expected a mapping (key: value), got {kind_of(node)}")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == NULL_TAG:
                raise self.fail(key_node, where, "keys must be plain names")
            key = key_node.value
            if key in out:
                raise self.fail(key_node, where, f"key {key!r} given twice")
            if allowed is not None and key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                known = ", ".join(allowed)
                raise self.fail(key_node, where, f"unknown key {key!r}{hint} (known: {known})")
            out[key] = (key_node, value_node)
        return out

    def sequence(self, node: yaml.Node, where: str, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, where, f"expected a list of {what}, got {kind_of(node)}")
        return list(node.value)

    def text(self, node: yaml.Node, where: str, what: str = "a string") -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag == NULL_TAG:
            raise self.fail(node, where, f"expected {what}, got {kind_of(node)}")
        return node.value

    def flag(self, node: yaml.Node, where: str) -> bool:
        if isinstance(node, yaml.ScalarNode) and node.value.lower() in ("true", "false"):
            return node.value.lower() == "true"
        raise self.fail(node, where, f"expected true or false, got {kind_of(node)}")

    def string_map(self, node: yaml.Node, where: str) -> dict[str, str]:
        return {
            key: self.text(value, f"{where}.{key}")
            for key, (_, value) in self.mapping(node, where).items()
        }


def kind_of(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == NULL_TAG and node.style is None:
        return "nothing (null)"
    return f"{node.value!r}"

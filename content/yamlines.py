"""YAML that remembers where things are: mappings and lists carry the line of each entry.

The culture officer who edits the library needs `file:line: message`, so every mapping and
list that the safe loader builds records its own line and the line of each key or element.
"""

from __future__ import annotations

from typing import Any

import yaml


class Mapping(dict):
    """A YAML mapping with the line it starts on and the line of each key."""

    line: int = 0
    lines: dict[Any, int]
    repeated: list[tuple[Any, int]]  # keys written twice: YAML would keep only the last

    def line_of(self, key: Any) -> int:
        """Return the line of `key`, or of the mapping itself when the key is missing."""
        return self.lines.get(key, self.line)


class Sequence(list):
    """A YAML list with the line it starts on and the line of each element."""

    line: int = 0
    lines: list[int]

    def line_of(self, index: int) -> int:
        """Return the line of element `index`, or of the list itself."""
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


class _Loader(yaml.SafeLoader):
    """The safe loader, building Mapping and Sequence with their lines."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode):
    data = Mapping()
    data.line, data.lines, data.repeated = node.start_mark.line + 1, {}, []
    yield data
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            key = str(key)
        line = key_node.start_mark.line + 1
        if key in data.lines:
            data.repeated.append((key, line))
        data.lines[key] = line
        data[key] = loader.construct_object(value_node, deep=True)


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode):
    data = Sequence()
    data.line, data.lines = node.start_mark.line + 1, []
    yield data
    for child in node.value:
        data.lines.append(child.start_mark.line + 1)
        data.append(loader.construct_object(child, deep=True))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


class YamlError(ValueError):
    """A file that is not valid YAML, with the line the parser stopped at."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def load(text: str) -> Any:
    """Parse one YAML document, keeping lines; raise YamlError with a line on bad syntax."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        message = f"not valid YAML: {exc.problem or exc}"
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        raise YamlError(line, message) from exc
    except yaml.YAMLError as exc:
        raise YamlError(1, f"not valid YAML: {exc}") from exc

"""Safe YAML loading that remembers where every value came from.

Spec and case files are untrusted input: only plain YAML (no object tags, no anchors or
aliases, no duplicate keys) is accepted, and every value keeps its line so that a problem
found later (by the JSON Schema or a consistency rule) can name the line it stands on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from chfa_conformance.bounded_read import FileNotRead, read_bounded
from chfa_conformance.errors import SourceError

JsonPath = tuple[str | int, ...]

_PLAIN_TAGS = frozenset("tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "map", "seq"))
# PyYAML reads in pure Python: 4 MiB (about 19,000 explicit hubs) took 16 s and 450 MB, 60 MB
# took 4 minutes and 5.6 GB. A larger scenario is a wave: block, which stays a few lines.
MAX_YAML_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class YamlDocument:
    """Plain data loaded from a file plus the line of each value (1-based)."""

    path: Path
    data: Any
    lines: Mapping[JsonPath, int]

    def line_of(self, where: JsonPath) -> int:
        """The line of the nearest value on `where` that has one."""
        for cut in range(len(where), -1, -1):
            line = self.lines.get(where[:cut])
            if line is not None:
                return line
        return 1


class _PlainLoader(yaml.SafeLoader):
    """A private SafeLoader: the global yaml loaders stay untouched."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """YAML 1.1 reads `0b_` or a 5000-digit number as an int that Python cannot make: a YAML error with its place."""
        try:
            return super().construct_yaml_int(node)
        except ValueError as exc:
            problem = f"{_short(repr(node.value), 40)} cannot be read as a number (quote it if it is text)"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from exc


_PlainLoader.add_constructor("tag:yaml.org,2002:int", _PlainLoader.construct_yaml_int)  # on the subclass only


def load_yaml(path: Path, shown_as: Path | None = None) -> YamlDocument:
    """Read one YAML document; any problem raises SourceError naming file (as `shown_as`) and line."""
    name = shown_as or path
    try:
        raw = read_bounded(path, MAX_YAML_BYTES)  # /dev/zero or a FIFO would never end
    except FileNotRead as exc:
        hint = " (describe a scenario that large with a wave: block)" if exc.too_large else ""
        raise SourceError(name, None, f"cannot read: {exc.reason}{hint}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(name, _line_at(raw, exc.start), "not valid UTF-8") from exc
    return parse_yaml(text, name)


def parse_yaml(text: str, path: Path) -> YamlDocument:
    """Parse YAML text; see load_yaml. Every yaml error, the reader's too, becomes a SourceError."""
    try:
        loader = _PlainLoader(text)  # the reader refuses a control character here, before any parsing
    except yaml.reader.ReaderError as exc:
        raise _unreadable_character(exc, text, path) from exc
    try:
        node = loader.get_single_node()
        if node is None:
            raise SourceError(path, 1, "empty file")
        lines: dict[JsonPath, int] = {}
        _vet(node, (), lines, path, set())
        data = loader.construct_document(node)
    except yaml.reader.ReaderError as exc:
        raise _unreadable_character(exc, text, path) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "cannot be read"
        if exc.context and exc.problem and exc.problem.startswith("but "):  # "expected a single document in the stream, but found ..."
            problem = f"{exc.context}, {exc.problem}"
        raise SourceError(path, line, f"YAML error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise SourceError(path, None, f"YAML error: {exc}") from exc
    except RecursionError as exc:
        raise SourceError(path, None, "nesting too deep to read") from exc
    finally:
        loader.dispose()
    return YamlDocument(path=path, data=data, lines=lines)


def _vet(node: yaml.Node, where: JsonPath, lines: dict[JsonPath, int], path: Path, seen_nodes: set[int]) -> None:
    line = node.start_mark.line + 1
    lines[where] = line
    if node.tag not in _PLAIN_TAGS:
        hint = '; quote a date-time: "2025-06-01T10:00:00Z"' if node.tag == "tag:yaml.org,2002:timestamp" else ""
        raise SourceError(path, line, f"tag {node.tag!r} is not allowed (plain YAML only{hint})")
    seen_nodes.add(id(node))
    if isinstance(node, yaml.ScalarNode) and _SURROGATE.search(node.value):
        # "\udfff" in a double-quoted string: no UTF-8 can carry it, so every report writing it would fail
        raise SourceError(path, line, "a lone surrogate (\\ud800-\\udfff) is not a character; write the character itself")
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _refuse_alias(item, seen_nodes, path, line)
            _vet(item, (*where, index), lines, path, seen_nodes)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                raise SourceError(path, key_line, "mapping keys must be plain scalars")
            key = str(key_node.value)
            if key in seen:
                raise SourceError(path, key_line, f"duplicate key {key!r} (first on line {seen[key]})")
            seen[key] = key_line
            _refuse_alias(value_node, seen_nodes, path, key_line)
            _vet(value_node, (*where, key), lines, path, seen_nodes)


_SURROGATE = re.compile("[\ud800-\udfff]")
_YAML_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # as the yaml reader counts lines


def _unreadable_character(exc: yaml.reader.ReaderError, text: str, path: Path) -> SourceError:
    """A character YAML does not allow (a control character, U+FFFE...), named as a code point with its line and column."""
    position = exc.position
    if not isinstance(exc.character, int) or not 0 <= position < len(text):
        return SourceError(path, None, f"YAML error: {_short(str(exc))}")
    breaks = list(_YAML_LINE_BREAK.finditer(text, 0, position))
    line = len(breaks) + 1
    column = position - (breaks[-1].end() if breaks else 0) + 1
    code = exc.character
    escape = f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}"
    problem = f"character U+{code:04X} at column {column} is not allowed (to mean it, write {escape} in a double-quoted string)"
    return SourceError(path, line, f"YAML error: {problem}")


def _refuse_alias(node: yaml.Node, seen_nodes: set[int], path: Path, line: int) -> None:
    """An alias composes to a node already seen; plain YAML has no use for them."""
    if id(node) in seen_nodes:
        raise SourceError(path, line, "aliases are not allowed (write the value out)")


def _line_at(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _is_whole_number(checker: Any, instance: Any) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


# JSON Schema counts 15.0 as an integer; the engine counts with it, so a written '15.0' is refused here
_STRICT_INTEGERS: Any = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number),
)


def check_against_schema(document: YamlDocument, schema: Mapping[str, Any], what: str) -> None:
    """Validate with JSON Schema; the first error (deepest path first) becomes a SourceError."""
    validator = _STRICT_INTEGERS(schema)
    errors = sorted(validator.iter_errors(document.data), key=lambda e: (-len(e.absolute_path), str(e.message)))
    if not errors:
        return
    error = jsonschema.exceptions.best_match(errors) or errors[0]
    where: JsonPath = tuple(error.absolute_path)
    problem = _problem(error)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        unexpected = sorted(str(key) for key in error.instance if key not in allowed)
        if unexpected:
            where = (*where, unexpected[0])
    elif error.validator in ("oneOf", "anyOf"):
        closest = _closest_alternative(error)
        if closest is not None:
            below, problem = closest
            where = (*where, *below)
    field = "/".join(str(part) for part in where) or "(top level)"
    raise SourceError(document.path, document.line_of(where), f"{what}: at {field}: {problem}")


def _problem(error: jsonschema.exceptions.ValidationError) -> str:
    """The error in a line; a repeated item is named first, since a long list would push it past the cut.

    jsonschema starts many messages with the instance itself: that is cut short, so the reason stays in view."""
    if error.validator == "uniqueItems" and isinstance(error.instance, list):
        seen: list[Any] = []
        for item in error.instance:
            if item in seen:
                return _short(f"lists {item!r} more than once")
            seen.append(item)
    message = error.message
    shown = repr(error.instance)
    if len(shown) > _SHOWN_VALUE and message.startswith(shown):
        message = _short(shown, _SHOWN_VALUE) + message[len(shown) :]
    return _short(message)


_SHOWN_VALUE = 60


def _closest_alternative(error: jsonschema.exceptions.ValidationError) -> tuple[JsonPath, str] | None:
    """What is wrong with a mapping under oneOf/anyOf, judged against the alternative it comes closest to.

    jsonschema says only "{the whole mapping} is not valid under any of the given schemas". The closest
    alternative is the one with most of the keys it requires present (a case file's `users`, `wave` or
    `generate` tells which kind it means), then the one with fewest errors. None: jsonschema's own message
    stands (an alternative matched, or the instance is not a mapping)."""
    instance, options = error.instance, error.validator_value
    if not isinstance(instance, dict) or not isinstance(options, list) or not error.context:
        return None
    errors_of: dict[int, list[jsonschema.exceptions.ValidationError]] = {}
    for sub in error.context:
        errors_of.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    if len(errors_of) < len(options):
        return None
    required = [[str(key) for key in option.get("required", [])] if isinstance(option, dict) else [] for option in options]
    present = [[key for key in keys if key in instance] for keys in required]
    best = max(range(len(options)), key=lambda index: (len(present[index]), -len(errors_of[index]), -index))
    if not present[best] and all(required):
        return (), "needs " + ", or ".join(_and(keys) for keys in required)
    own = [sub for sub in errors_of[best] if not sub.relative_path]  # errors about the mapping itself, not a value in it
    missing = [key for key in required[best] if key not in instance] if any(sub.validator == "required" for sub in own) else []
    forbidden = sorted({key for sub in own if sub.validator == "not" for key in _required_keys(sub.validator_value) if key in instance})
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}" + (f" (needed with {_and(present[best])})" if present[best] else ""))
    if forbidden:
        parts.append(f"{_and(forbidden)} cannot be combined with {_and(present[best] or required[best])}")
    if parts:
        return ((forbidden[0],) if forbidden and not missing else ()), "; ".join(parts)
    sub = jsonschema.exceptions.best_match(errors_of[best]) or errors_of[best][0]
    return tuple(sub.relative_path), _problem(sub)


def _required_keys(schema: Any) -> list[str]:
    """Every key a `required` names anywhere in a schema (the keys a `not` forbids)."""
    if isinstance(schema, dict):
        own = [str(key) for key in schema.get("required", [])] if isinstance(schema.get("required"), list) else []
        return own + [key for value in schema.values() for key in _required_keys(value)]
    if isinstance(schema, list):
        return [key for value in schema for key in _required_keys(value)]
    return []


def _and(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(filter(None, [", ".join(words[:-1]), *words[-1:]]))


def _short(message: str, limit: int = 200) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."

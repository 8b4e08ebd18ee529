"""Case files: a scenario with its description and the requirement ids it exercises.

A case file holds its scenario written out, a `wave:` block that expands into one, or a
`generate:` block asking for scenarios drawn by hypothesis (see generation.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from chfa_conformance.errors import SourceError
from chfa_conformance.scenario import Scenario, build_scenario
from chfa_conformance.specs import Profile, Spec, profile_override_schema
from chfa_conformance.waves import expand_wave
from chfa_conformance.yaml_source import YamlDocument, check_against_schema, load_yaml

SCENARIO_SCHEMA_FILE = "scenario-v1.schema.json"
CASE_SUFFIXES = (".yaml", ".yml")  # what pytest collects as case files, and what a folder given to check holds


@dataclass(frozen=True)
class Case:
    id: str
    description: str
    requirements: tuple[str, ...]
    scenario: Scenario
    path: Path
    line: int


@cache
def scenario_schema(schemas_dir: Path) -> dict[str, Any]:
    """The protocol's scenario schema (also the case-file schema), read once per directory."""
    path = schemas_dir / SCENARIO_SCHEMA_FILE
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SourceError(path, None, f"cannot load the scenario schema: {exc}") from exc
    return loaded


@dataclass(frozen=True)
class Generation:
    """A case file with a `generate:` block: its scenarios are drawn, not written out."""

    id: str
    description: str
    requirements: tuple[str, ...]
    profile: Profile
    profile_overrides: Mapping[str, Any]
    examples: int
    thorough_examples: int
    path: Path
    line: int


def load_entry(path: Path, spec: Spec, schemas_dir: Path, shown_as: Path | None = None) -> Case | Generation:
    """Read and validate one case file: a scenario case, or a generated-scenarios entry."""
    document = load_yaml(path, shown_as)
    return entry_from_document(document, spec, schemas_dir)


def load_case(path: Path, spec: Spec, schemas_dir: Path, shown_as: Path | None = None) -> Case:
    """Read, validate and build one case file; problems raise SourceError with file and line."""
    entry = load_entry(path, spec, schemas_dir, shown_as)
    if isinstance(entry, Generation):
        raise SourceError(entry.path, entry.line, "holds a generate: block (generated scenarios), not a scenario")
    return entry


def load_wave(path: Path, spec: Spec, schemas_dir: Path) -> tuple[str, Mapping[str, Any], Profile]:
    """A wave case file's id, its `wave:` block (not expanded) and its profile, for streaming."""
    document = load_yaml(path)
    data, profile = _checked(document, spec, schemas_dir)
    if "wave" not in data:
        raise SourceError(document.path, 1, "has no wave: block to stream")
    return data.get("id", document.path.stem), data["wave"], profile


def entry_from_document(document: YamlDocument, spec: Spec, schemas_dir: Path) -> Case | Generation:
    data, profile = _checked(document, spec, schemas_dir)
    case_id = data.get("id", document.path.stem)
    description = " ".join(data["description"].split())
    if "generate" in data:
        block = data["generate"]
        overrides = data.get("profile", {})
        return Generation(
            case_id,
            description,
            tuple(data["requirements"]),
            profile,
            overrides,
            block["examples"],
            block["thorough_examples"],
            document.path,
            1,
        )
    return _case(document, data, profile, case_id, description)


def case_from_document(document: YamlDocument, spec: Spec, schemas_dir: Path) -> Case:
    entry = entry_from_document(document, spec, schemas_dir)
    if isinstance(entry, Generation):
        raise SourceError(entry.path, entry.line, "holds a generate: block (generated scenarios), not a scenario")
    return entry


def _checked(document: YamlDocument, spec: Spec, schemas_dir: Path) -> tuple[Mapping[str, Any], Profile]:
    """The document's data after the schema and the spec accepted it, and the profile in force."""
    schema = scenario_schema(schemas_dir)
    check_against_schema(document, {"$defs": schema["$defs"], "$ref": "#/$defs/caseFile"}, "case file")
    data: Mapping[str, Any] = document.data
    known = set(spec.ids())
    for index, requirement_id in enumerate(data["requirements"]):
        if requirement_id not in known:
            line = document.line_of(("requirements", index))
            raise SourceError(document.path, line, f"unknown requirement id {requirement_id!r}")
    profile = spec.profile
    if "profile" in data:
        overrides = YamlDocument(document.path, data["profile"], _sub_lines(document, "profile"))
        check_against_schema(overrides, profile_override_schema(spec), "profile override")
        profile = profile.overridden(data["profile"])
        problem = profile.contradiction()
        if problem is not None:
            raise SourceError(document.path, document.line_of(("profile",)), f"profile override: {problem[1]}")
    return data, profile


def _case(document: YamlDocument, data: Mapping[str, Any], profile: Profile, case_id: str, description: str) -> Case:
    body: dict[str, Any] = dict(data)
    if "wave" in data:
        try:
            body.update(expand_wave(data["wave"], profile.duis_versions_with_alert))
        except ValueError as exc:  # the only value the schema cannot vet fully is the start's zone
            raise SourceError(document.path, document.line_of(("wave", "start")), str(exc)) from exc
    scenario_data: dict[str, Any] = {key: body[key] for key in ("users", "hubs", "events", "notices") if key in body}
    try:
        scenario = build_scenario(case_id, scenario_data, profile, str(document.path), document.line_of)
    except ValueError as exc:
        raise SourceError(document.path, None, str(exc)) from exc
    return Case(
        id=case_id,
        description=description,
        requirements=tuple(data["requirements"]),
        scenario=scenario,
        path=document.path,
        line=1,
    )


def _sub_lines(document: YamlDocument, key: str) -> dict[tuple[str | int, ...], int]:
    return {where[1:]: line for where, line in document.lines.items() if where[:1] == (key,)}

"""Requirements and the profile in force, loaded from specs/ and checked on load."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from chfa_conformance.errors import SourceError
from chfa_conformance.findings import JUDGED_REQUIREMENTS
from chfa_conformance.yaml_source import YamlDocument, check_against_schema, load_yaml

Level = Literal["MUST", "SHOULD", "MAY"]
SPEC_SCHEMA_FILE = "spec-files.schema.json"


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    scope: str
    summary: str
    source: str
    assumption: str | None = None
    overlaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """Settings the checks depend on; a case may override single fields."""

    alert_code: str
    mismatch_alert_code: str
    dcc_originator: str
    duis_versions_with_alert: tuple[str, ...]
    duis_versions_without_alert: tuple[str, ...]
    version_mismatch_policy: Literal["mismatch-alert", "suppress"]
    response_id_required: bool
    latency_limit_seconds: int
    notice_days: int
    rollout_min_activations: int
    assumptions: Mapping[str, str] = field(default_factory=dict)

    def overridden(self, settings: Mapping[str, Any]) -> Profile:
        """A copy with the given settings replaced (already schema-checked by the caller)."""
        changes: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value for key, value in settings.items()}
        if "dcc_originator" in changes:
            changes["dcc_originator"] = changes["dcc_originator"].upper()  # EUIs compare in one case, as in specs/
        return replace(self, **changes)

    def changes_from(self, other: Profile) -> list[str]:
        """The settings that differ from `other` (a case's overrides against the run's profile), as 'name value'."""
        names = [setting.name for setting in fields(self) if setting.name != "assumptions"]
        return [f"{name} {_setting_text(getattr(self, name))}" for name in names if getattr(self, name) != getattr(other, name)]

    def contradiction(self) -> tuple[str, str] | None:
        """A setting that contradicts another (its key, and why), or None."""
        both = set(self.duis_versions_with_alert) & set(self.duis_versions_without_alert)
        if both:
            return "duis_versions_without_alert", f"DUIS {', '.join(sorted(both))} listed both with and without the alert"
        if self.mismatch_alert_code == self.alert_code:
            return "mismatch_alert_code", f"mismatch_alert_code is alert_code ({self.alert_code}): the two alerts could not be told apart"
        return None

    def known_duis_versions(self) -> tuple[str, ...]:
        return self.duis_versions_without_alert + self.duis_versions_with_alert

    def as_protocol(self) -> dict[str, Any]:
        """The profile as the candidate protocol sends it."""
        return {
            "alert_code": self.alert_code,
            "mismatch_alert_code": self.mismatch_alert_code,
            "dcc_originator": self.dcc_originator,
            "duis_versions_with_alert": list(self.duis_versions_with_alert),
            "duis_versions_without_alert": list(self.duis_versions_without_alert),
            "version_mismatch_policy": self.version_mismatch_policy,
            "response_id_required": self.response_id_required,
            "latency_limit_seconds": self.latency_limit_seconds,
        }

    def header_lines(self) -> list[str]:
        """How the profile is printed at the top of every report, assumptions included."""
        lines = [
            f"alert code {self.alert_code}; DCC originator {self.dcc_originator}; "
            f"DUIS versions carrying the alert {', '.join(self.duis_versions_with_alert)}",
            f"recipients on {', '.join(self.duis_versions_without_alert) or '-'}: {self.version_mismatch_policy} "
            f"({self.mismatch_alert_code}); ResponseID required: {self.response_id_required}; "
            f"latency limit {self.latency_limit_seconds}s; notice {self.notice_days} days; "
            f"rollout from {self.rollout_min_activations} activations",
        ]
        lines += [f"assumed {name}: {text}" for name, text in sorted(self.assumptions.items())]
        return lines


def _setting_text(value: Any) -> str:
    return ", ".join(value) if isinstance(value, tuple) else str(value)


@dataclass(frozen=True)
class Spec:
    requirements: tuple[Requirement, ...]
    profile: Profile
    schema: Mapping[str, Any]

    def ids(self) -> tuple[str, ...]:
        return tuple(requirement.id for requirement in self.requirements)

    def requirement(self, requirement_id: str) -> Requirement:
        for requirement in self.requirements:
            if requirement.id == requirement_id:
                return requirement
        raise KeyError(requirement_id)

    def overlap(self, first: str, second: str) -> bool:
        """True when the spec declares that the two requirements overlap by definition."""
        return second in self.requirement(first).overlaps or first in self.requirement(second).overlaps


def load_spec(specs_dir: Path) -> Spec:
    """Load requirements.yaml and profile.yaml from specs_dir, validated against the spec schema."""
    schema = _load_json_schema(specs_dir / SPEC_SCHEMA_FILE)
    requirements_doc = load_yaml(specs_dir / "requirements.yaml")
    check_against_schema(requirements_doc, _subschema(schema, "requirementsFile"), "requirements file")
    profile_doc = load_yaml(specs_dir / "profile.yaml")
    check_against_schema(profile_doc, _subschema(schema, "profileFile"), "profile file")
    requirements = _requirements_from(requirements_doc)
    profile = _profile_from(profile_doc)
    return Spec(requirements=requirements, profile=profile, schema=schema)


def profile_override_schema(spec: Spec) -> dict[str, Any]:
    """The JSON Schema that a case's `profile:` overrides must satisfy."""
    return _subschema(spec.schema, "profileSettings")


def _load_json_schema(path: Path) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(path, None, f"cannot read: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise SourceError(path, exc.lineno, f"not valid JSON: {exc.msg}") from exc
    return loaded


def _subschema(schema: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {"$defs": schema["$defs"], "$ref": f"#/$defs/{name}"}


def _requirements_from(document: YamlDocument) -> tuple[Requirement, ...]:
    requirements: list[Requirement] = []
    seen: set[str] = set()
    for index, item in enumerate(document.data["requirements"]):
        if item["id"] in seen:
            raise SourceError(document.path, document.line_of(("requirements", index, "id")), f"duplicate requirement id {item['id']}")
        seen.add(item["id"])
        requirements.append(
            Requirement(
                id=item["id"],
                level=item["level"],
                scope=item["scope"],
                summary=" ".join(item["summary"].split()),
                source=item["source"],
                assumption=" ".join(item["assumption"].split()) if "assumption" in item else None,
                overlaps=tuple(item.get("overlaps", ())),
            )
        )
    for index, requirement in enumerate(requirements):
        for other in requirement.overlaps:
            if other not in seen:
                line = document.line_of(("requirements", index, "overlaps"))
                raise SourceError(document.path, line, f"{requirement.id} overlaps unknown requirement id {other}")
    _check_judged(document, seen)
    return tuple(requirements)


def _check_judged(document: YamlDocument, ids: set[str]) -> None:
    missing = sorted(JUDGED_REQUIREMENTS - ids)
    if missing:
        raise SourceError(document.path, None, f"has no entry for {', '.join(missing)}, which the checks judge")
    for index, item in enumerate(document.data["requirements"]):
        if item["id"] not in JUDGED_REQUIREMENTS:
            line = document.line_of(("requirements", index, "id"))
            raise SourceError(document.path, line, f"no check judges requirement {item['id']}: add its check and mutant first")


def _profile_from(document: YamlDocument) -> Profile:
    settings = dict(document.data["profile"])
    assumptions = {key: " ".join(text.split()) for key, text in document.data.get("assumptions", {}).items()}
    for key in assumptions:
        if key not in settings:
            raise SourceError(document.path, document.line_of(("assumptions", key)), f"assumption for unknown setting {key!r}")
    profile = Profile(
        alert_code=settings["alert_code"],
        mismatch_alert_code=settings["mismatch_alert_code"],
        dcc_originator=settings["dcc_originator"].upper(),
        duis_versions_with_alert=tuple(settings["duis_versions_with_alert"]),
        duis_versions_without_alert=tuple(settings["duis_versions_without_alert"]),
        version_mismatch_policy=settings["version_mismatch_policy"],
        response_id_required=settings["response_id_required"],
        latency_limit_seconds=settings["latency_limit_seconds"],
        notice_days=settings["notice_days"],
        rollout_min_activations=settings["rollout_min_activations"],
        assumptions=assumptions,
    )
    problem = profile.contradiction()
    if problem is not None:
        key, reason = problem
        raise SourceError(document.path, document.line_of(("profile", key)), reason)
    return profile

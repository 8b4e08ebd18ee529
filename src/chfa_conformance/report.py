"""Human-readable text for case results: what a failing item prints, what the header says."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from chfa_conformance.evaluation import CaseResult, RunSettings
from chfa_conformance.findings import Finding
from chfa_conformance.specs import Spec

LEVEL_ORDER = {"MUST": 0, "SHOULD": 1, "MAY": 2}


def header_lines(settings: RunSettings) -> list[str]:
    lines = [f"chfa-conformance profile: {line}" for line in settings.spec.profile.header_lines()]
    lines.append(f"chfa-conformance candidate: {settings.candidate.name}; schemas: {settings.schemas.description}")
    return lines


def failing(findings: Sequence[Finding], spec: Spec, fail_on: str) -> list[Finding]:
    """The findings at or above the level that fails a case (MUST < SHOULD < MAY)."""
    limit = LEVEL_ORDER[fail_on.upper()]
    return [finding for finding in findings if LEVEL_ORDER[spec.requirement(finding.requirement).level] <= limit]


def describe_failure(result: CaseResult, spec: Spec, replay: str) -> str:
    case = result.case
    lines = [
        f"case {case.id} ({case.path}:{case.line}): {case.description}",
        f"candidate {result.candidate}: expected {result.expected_count} alert(s), delivered {result.delivered_count}",
    ]
    if result.error is not None:
        lines.append(f"CANDIDATE FAILED: {result.error}")
    for finding in sorted(result.findings, key=lambda item: (item.requirement, item.delivery or 0)):
        level = spec.requirement(finding.requirement).level
        lines.append(f"{finding.requirement} ({level}): {finding.message}")
        evidence = finding.evidence()
        if evidence:
            lines.append(f"    {evidence}")
    if result.stderr.strip():
        lines.append("candidate stderr (last lines):")
        lines += ["    " + line for line in result.stderr.strip().splitlines()[-10:]]
    lines.append(f"replay: {replay}")
    return "\n".join(lines)


def replay_command(case_path: str, candidate: str, duis_xsd: str | None, options: Sequence[str] = ()) -> str:
    """The command line that runs one case file again the same way (`options` come before it)."""
    parts = ["pytest", *options, case_path]
    if candidate != "reference":
        parts += ["--candidate", candidate]
    if duis_xsd:
        parts += ["--duis-xsd", duis_xsd]
    return " ".join(shlex.quote(part) for part in parts)

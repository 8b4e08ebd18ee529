"""Human-readable text for case results: what a failing item prints, what the header says."""

from __future__ import annotations

import argparse
import os
import shlex
from collections.abc import Callable, Sequence
from pathlib import Path

from chfa_conformance.evaluation import CaseResult, RunSettings
from chfa_conformance.findings import Finding
from chfa_conformance.printable import one_line, visible
from chfa_conformance.signatures import shared_key_notes
from chfa_conformance.specs import Spec

LEVEL_ORDER = {"MUST": 0, "SHOULD": 1, "MAY": 2}
MAX_FINDINGS_SHOWN = 20  # per requirement: a candidate silent on a 5,000-hub wave has 7,000 findings of one id


def header_lines(settings: RunSettings) -> list[str]:
    lines = [f"chfa-conformance profile: {line}" for line in settings.spec.profile.header_lines()]
    lines.append(f"chfa-conformance candidate: {settings.candidate.name}; schemas: {settings.schemas.description}")
    certificates = settings.dsp_certificates
    if certificates:
        lines.append(f"chfa-conformance signatures: verified against {'; '.join(c.describe() for c in certificates)}")
        lines += [f"chfa-conformance signatures: note: {note}" for note in shared_key_notes(certificates)]
    else:
        lines.append("chfa-conformance signatures: not checked (no --dsp-cert given; SIGNED is not exercised)")
    return lines


def failing(findings: Sequence[Finding], spec: Spec, fail_on: str) -> list[Finding]:
    """The findings at or above the level that fails a case (MUST < SHOULD < MAY)."""
    limit = LEVEL_ORDER[fail_on.upper()]
    return [finding for finding in findings if LEVEL_ORDER[spec.requirement(finding.requirement).level] <= limit]


def describe_failure(result: CaseResult, spec: Spec, replay: str) -> str:
    """What a failing case prints: the case, the candidate's error, its findings (the first
    MAX_FINDINGS_SHOWN of each requirement, then a count), its own output, how to replay."""
    case = result.case
    lines = [
        f"{_what_failed(result)} in case {one_line(case.id)} ({one_line(str(case.path))}:{case.line}): {one_line(case.description)}",
        f"candidate {result.candidate}: expected {result.expected_count} alert(s), delivered {result.delivered_count}",
    ]
    overrides = case.scenario.profile.changes_from(spec.profile)
    if overrides:
        lines.append(f"profile overridden by this case: {'; '.join(overrides)}")
    if result.error is not None:
        lines.append(f"CANDIDATE FAILED: {one_line(result.error)}")
    shown: dict[str, int] = {}
    for finding in sorted(result.findings, key=lambda item: (item.requirement, item.delivery or 0)):
        shown[finding.requirement] = shown.get(finding.requirement, 0) + 1
        if shown[finding.requirement] <= MAX_FINDINGS_SHOWN:
            lines += _finding_lines(finding, spec)
    for requirement_id, count in shown.items():
        if count > MAX_FINDINGS_SHOWN:
            lines.append(f"{requirement_id}: {count - MAX_FINDINGS_SHOWN} more finding(s) not shown ({count} in all)")
    if result.stderr.strip():
        lines.append("candidate's own output, stderr or prints (last lines):")
        lines += ["    " + visible(line) for line in result.stderr.strip().splitlines()[-10:]]
    lines.append(f"replay: {one_line(replay)}")
    return "\n".join(lines)


def _what_failed(result: CaseResult) -> str:
    """The first line's lead, all pytest's one-line summary keeps: the ids, or the candidate error."""
    if result.error is not None:
        return "candidate error"
    return ", ".join(sorted(result.failed_requirements())) or "no finding"


def _finding_lines(finding: Finding, spec: Spec) -> list[str]:
    lines = [f"{finding.requirement} ({spec.requirement(finding.requirement).level}): {one_line(finding.message)}"]
    evidence = one_line(finding.evidence())
    return [*lines, f"    {evidence}"] if evidence else lines


def shown_from(path: Path, start: Path) -> Path:
    """The path as the user would type it from `start`: relative when under it, so lines stay short."""
    return path.relative_to(start) if path.is_relative_to(start) else path


MAX_CASE_SECONDS = 86400


def whole_number(minimum: int) -> Callable[[str], int]:
    """A command-line count of at least `minimum` (a worker count of 0 or -5 shrink runs is a typo, not a setting)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {minimum} or more")
        return value

    return parse


def writable_folder(text: str | Path, option: str) -> Path:
    """An output folder named on the command line, made before the run: one that cannot be
    written must stop the run at its start, not throw away its results at the end."""
    folder = Path(text)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{option} {folder}: cannot make the folder ({exc.strerror or exc})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {folder}: the folder is not writable")
    return folder


def positive_seconds(text: str) -> float:
    """A time limit given on the command line: a positive number of seconds, at most a day."""
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not 0 < value <= MAX_CASE_SECONDS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0 and at most {MAX_CASE_SECONDS}")
    return value


def replay_command(case_path: str, candidate: str, duis_xsd: str | None, dsp_certs: Sequence[str] = (), options: Sequence[str] = ()) -> str:
    """The command line that runs one case file again the same way (`options` come before it).

    Options take the `--opt=value` form: pytest looks for its configuration among the folders
    named on the command line before it knows the plugin's options."""
    parts = ["pytest", *options, case_path]
    if candidate != "reference":
        parts += [f"--candidate={candidate}"]
    if duis_xsd:
        parts += [f"--duis-xsd={duis_xsd}"]
    parts += [f"--dsp-cert={path}" for path in dsp_certs]
    return " ".join(shlex.quote(part) for part in parts)

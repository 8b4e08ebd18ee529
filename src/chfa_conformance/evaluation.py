"""Run one case against one candidate and judge the result: the unit the plugin, the CLI
and the self-tests all share."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chfa_conformance.candidates import Candidate, CandidateOutput, Limits, make_candidate
from chfa_conformance.cases import Case
from chfa_conformance.checks import Judgement, judge
from chfa_conformance.duis_schema import SchemaSet, compact_schemas, official_schemas
from chfa_conformance.expectations import expected_alerts
from chfa_conformance.findings import Finding
from chfa_conformance.signatures import DspCertificate, load_certificates
from chfa_conformance.specs import Spec, load_spec


@dataclass(frozen=True)
class RunSettings:
    """Everything a run is configured with; passed in, never read from globals."""

    spec: Spec
    schemas: SchemaSet
    candidate: Candidate
    limits: Limits
    schemas_dir: Path
    dsp_certificates: tuple[DspCertificate, ...] = ()  # empty: signatures are not judged (SIGNED not exercised)


@dataclass(frozen=True)
class CaseResult:
    case: Case
    candidate: str
    findings: tuple[Finding, ...]
    applicable: frozenset[str]
    error: str | None
    stderr: str
    expected_count: int
    delivered_count: int
    seconds: float

    def failed_requirements(self) -> frozenset[str]:
        return frozenset(finding.requirement for finding in self.findings)


def run_case(case: Case, settings: RunSettings) -> CaseResult:
    started = time.perf_counter()
    output = settings.candidate.run(case.scenario.as_protocol(), settings.limits)
    return result_of(case, settings, output, started)


def result_of(case: Case, settings: RunSettings, output: CandidateOutput, started: float) -> CaseResult:
    if output.error is not None:
        due = len(expected_alerts(case.scenario))
        return CaseResult(
            case, settings.candidate.name, (), frozenset(), output.error, output.stderr, due, 0, time.perf_counter() - started
        )
    judgement: Judgement = judge(case.scenario, output, settings.schemas, settings.dsp_certificates)
    return CaseResult(
        case=case,
        candidate=settings.candidate.name,
        findings=judgement.findings,
        applicable=judgement.applicable,
        error=None,
        stderr=output.stderr,
        expected_count=len(judgement.expected),
        delivered_count=len(judgement.observed),
        seconds=time.perf_counter() - started,
    )


def project_specs(project: Path) -> Path:
    """The project's specs/ folder; a folder that is not a project is named in one line."""
    if not (project / "specs").is_dir():
        raise ValueError(f"{project} holds no specs/ folder: run from the project's folder or pass --project")
    return project / "specs"


def build_settings(
    project: Path,
    candidate: str,
    duis_xsd: Path | None = None,
    timeout_seconds: float | None = None,
    specs_dir: Path | None = None,
    schemas_dir: Path | None = None,
    dsp_certs: Sequence[Path] = (),
) -> RunSettings:
    """Load the spec and the schemas a run needs; every problem raises before any case runs."""
    spec = load_spec(specs_dir or project_specs(project))
    schemas_dir = schemas_dir or project / "schemas"
    schemas = official_schemas(duis_xsd) if duis_xsd is not None else compact_schemas(schemas_dir, spec.profile)
    schemas.compile_all()
    limits = Limits() if timeout_seconds is None else Limits(timeout_seconds=timeout_seconds)
    certificates = load_certificates(dsp_certs)
    return RunSettings(spec, schemas, make_candidate(candidate, project, limits.timeout_seconds), limits, schemas_dir, certificates)

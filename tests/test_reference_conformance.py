"""The reference emitter passes every case, against the compact and the official schemas."""

from __future__ import annotations

import sys
from pathlib import Path

from chfa_conformance.candidates import Limits, make_candidate
from chfa_conformance.checks import judge
from chfa_conformance.duis_schema import version_key
from tests.conftest import RunAll, settings_for


def test_reference_passes_every_case_with_the_compact_schemas(run_all: RunAll) -> None:
    results = run_all("reference")
    failures = {case_id: [str(f) for f in r.findings] or r.error for case_id, r in results.items() if r.findings or r.error}
    assert failures == {}
    assert sum(result.delivered_count for result in results.values()) > 5000


def test_reference_alerts_are_valid_against_the_official_schemas(run_all: RunAll, official_duis: Path) -> None:

    settings = settings_for("reference", official_duis)
    results = run_all("reference", official_duis)
    assert {case_id: r.findings for case_id, r in results.items() if r.findings or r.error} == {}
    versions = set()
    for result in results.values():
        output = make_candidate("reference").run(result.case.scenario.as_protocol(), Limits())
        for alert in judge(result.case.scenario, output, settings.schemas).observed:
            assert alert.schema is not None and alert.schema.valid, alert.schema
            assert alert.content is not None
            versions.add(str(version_key(alert.content.schema_version)))
    assert versions == {"5.0", "5.1", "5.3", "5.4"}


def test_command_line_reference_passes_too(run_all: RunAll) -> None:
    results = run_all(f"cmd:{sys.executable} -m reference_impl", skip=("pilot-wave-5000",))
    assert {case_id: (r.findings, r.error) for case_id, r in results.items() if r.findings or r.error} == {}

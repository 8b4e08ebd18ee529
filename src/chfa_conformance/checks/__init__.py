"""Requirement checks: plain functions from a scenario and a candidate's output to findings.

Each finding carries exactly one requirement id; grep an id to find where it is judged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chfa_conformance.candidates import CandidateOutput
from chfa_conformance.checks.applicability import applicable_requirements
from chfa_conformance.checks.content import check_pair
from chfa_conformance.checks.recipients import check_recipients
from chfa_conformance.checks.records import check_counters, check_inventory, check_notices, check_schema
from chfa_conformance.checks.signing import check_signatures
from chfa_conformance.duis_schema import SchemaSet
from chfa_conformance.expectations import ExpectedAlert, expected_alerts
from chfa_conformance.findings import Finding
from chfa_conformance.matching import pair_alerts
from chfa_conformance.observation import ObservedAlert, observe
from chfa_conformance.scenario import Scenario
from chfa_conformance.signatures import DspCertificate


@dataclass(frozen=True)
class Judgement:
    """Everything judged about one scenario's output."""

    findings: tuple[Finding, ...]
    applicable: frozenset[str]
    expected: tuple[ExpectedAlert, ...]
    observed: tuple[ObservedAlert, ...]


def judge(scenario: Scenario, output: CandidateOutput, schemas: SchemaSet, certificates: Sequence[DspCertificate] = ()) -> Judgement:
    """Apply every requirement check to what a candidate delivered for `scenario`."""
    expected = expected_alerts(scenario)
    observed = observe(output.deliveries, schemas, certificates)
    return judge_observed(scenario, expected, observed, output, signing=bool(certificates))


def judge_observed(
    scenario: Scenario,
    expected: Sequence[ExpectedAlert],
    observed: Sequence[ObservedAlert],
    output: CandidateOutput,
    signing: bool = False,
) -> Judgement:
    pairing = pair_alerts(expected, observed, scenario)
    findings: list[Finding] = list(check_schema(observed))
    for wanted, delivered in pairing.pairs:
        findings += check_pair(wanted, delivered, scenario.profile)
    findings += check_recipients(pairing, expected, scenario)
    findings += check_counters(observed)
    findings += check_inventory(output.inventory, scenario)
    findings += check_notices(scenario)
    findings += check_signatures(observed)
    return Judgement(
        findings=tuple(findings),
        applicable=applicable_requirements(scenario, output, expected, signing) | {finding.requirement for finding in findings},
        expected=tuple(expected),
        observed=tuple(observed),
    )

"""Which requirements a scenario exercises: the 'pass' cells of the compliance matrix.

A requirement with no finding counts as passed in a case only where the case gave the
candidate a chance to break it; elsewhere the matrix says 'not exercised'.
"""

from __future__ import annotations

from collections.abc import Sequence

from chfa_conformance.candidates import CandidateOutput
from chfa_conformance.expectations import ExpectedAlert, is_rollout, split_supply
from chfa_conformance.scenario import Scenario

ALWAYS_WHEN_ALERTING = frozenset(
    {
        "ALERT-TRIGGER",
        "ALERT-FW-VERSION",
        "ALERT-DEVICE",
        "RECIPIENTS-RESPONSIBLE",
        "RECIPIENTS-ONLY-SUPPLIERS",
        "DUIS-SCHEMA",
        "DUIS-VERSION",
        "ALERT-CODE",
        "HEADER-IDS",
        "HEADER-TIME",
        "ALERT-ONCE",
        "ALERT-LATENCY",
    }
)


def applicable_requirements(
    scenario: Scenario, output: CandidateOutput, expected: Sequence[ExpectedAlert], signing: bool = False
) -> frozenset[str]:
    """`signing`: DSP certificates are configured, so every delivered alert's signature is judged."""
    exercised: set[str] = set()
    if expected:
        exercised |= ALWAYS_WHEN_ALERTING
    if scenario.hubs:
        exercised.add("ALERT-TRIGGER")  # any hub could be alerted without cause
    if output.deliveries:
        exercised |= {"DUIS-SCHEMA", "RECIPIENTS-ONLY-SUPPLIERS"}
    if output.deliveries and signing:
        exercised.add("SIGNED")
    events_by_hub = {event.hub for event in scenario.events}
    activated_hubs = [scenario.hubs[event.hub] for event in scenario.activations()]
    if any(event.outcome != "activated" for event in scenario.events):
        exercised.add("ALERT-NOT-ON-FAILURE")
    if any(split_supply(event, scenario) for event in scenario.activations()):
        exercised.add("RECIPIENTS-SPLIT")
    if any(len(meter.responsible) > 1 for hub in activated_hubs for meter in hub.commissioned_meters):
        exercised.add("RECIPIENTS-CHANGE-OF-SUPPLIER")
    if any(hub.smets == 2 and not hub.commissioned_meters for hub in activated_hubs):
        exercised.add("ALERT-NO-RECIPIENT")
    if any(scenario.hubs[chf].smets != 2 for chf in events_by_hub):
        exercised.add("SMETS2-ONLY")
    if output.inventory is not None and activated_hubs:
        exercised.add("SMI-CONSISTENT")
    if is_rollout(scenario):
        exercised.add("ROLLOUT-SCALE")
    if scenario.notices is not None:
        exercised.add("NOTICE-7-DAYS")
    return frozenset(exercised)

"""The oracle: the alerts a conforming DSP delivers for a scenario.

Written independently of reference_impl/ (which the suite checks like any candidate), so a
mistake in one is caught by the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from chfa_conformance.scenario import SUPPLIER_ROLE_FOR_METER, FirmwareEvent, Hub, Scenario

AlertKind = Literal["activation", "version-mismatch"]


@dataclass(frozen=True)
class ExpectedAlert:
    """One alert the recipient must receive for one activation."""

    event: FirmwareEvent
    recipient: str
    kind: AlertKind
    schema_version: str

    @property
    def device(self) -> str:
        return self.event.hub


def responsible_suppliers(hub: Hub, at: datetime, roles: dict[str, str]) -> list[str]:
    """Distinct User IDs responsible at `at` for the hub's commissioned meters, in meter order."""
    found: list[str] = []
    for meter in hub.commissioned_meters:
        user = meter.supplier_at(at)
        if user is not None and roles.get(user) == SUPPLIER_ROLE_FOR_METER[meter.type] and user not in found:
            found.append(user)
    return found


def expected_alerts(scenario: Scenario) -> list[ExpectedAlert]:
    """Every alert the scenario calls for, in event order then meter order."""
    profile = scenario.profile
    roles = {user.id: user.role for user in scenario.users.values()}
    expected: list[ExpectedAlert] = []
    for event in sorted(scenario.activations(), key=lambda item: (item.at, item.index)):
        hub = scenario.hubs[event.hub]
        if hub.smets != 2:
            continue
        for recipient in responsible_suppliers(hub, event.at, roles):
            version = scenario.users[recipient].duis_version
            if version in profile.duis_versions_with_alert:
                expected.append(ExpectedAlert(event, recipient, "activation", version))
            elif profile.version_mismatch_policy == "mismatch-alert":
                expected.append(ExpectedAlert(event, recipient, "version-mismatch", version))
    return expected


def is_rollout(scenario: Scenario) -> bool:
    """Whether the scenario is a rollout wave in the sense of ROLLOUT-SCALE."""
    return sum(1 for _ in scenario.activations()) >= scenario.profile.rollout_min_activations


def split_supply(event: FirmwareEvent, scenario: Scenario) -> bool:
    """Whether the hub's import and gas supplies are held by different parties at the event."""
    parties: dict[str, set[str]] = {"ESME": set(), "GSME": set()}
    for meter in scenario.hubs[event.hub].commissioned_meters:
        supplier = meter.supplier_at(event.at)
        if supplier is not None:
            parties[meter.type].add(scenario.users[supplier].party)
    return bool(parties["ESME"]) and bool(parties["GSME"]) and parties["ESME"] != parties["GSME"]

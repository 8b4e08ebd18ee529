"""Checks over all of a run's output at once: schema validity, counters, inventory, notices."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import timedelta

from chfa_conformance.candidates import InventoryEntry
from chfa_conformance.findings import Finding
from chfa_conformance.observation import ObservedAlert
from chfa_conformance.scenario import Scenario, eui

_COUNTER = re.compile(r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}:[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}:(0|[1-9][0-9]{0,19})")


def check_schema(observed: Sequence[ObservedAlert]) -> Iterator[Finding]:
    """DUIS-SCHEMA: well-formed, and valid against the schema its schemaVersion names."""
    for alert in observed:
        if alert.problem is not None:
            yield Finding(
                "DUIS-SCHEMA",
                f"the alert was refused before validation: {alert.problem}",
                alert.recipient,
                None,
                "a well-formed DUIS document",
                alert.problem.kind,
                alert.number,
            )
        elif alert.schema is not None and not alert.schema.valid:
            version = alert.content.schema_version if alert.content else None
            reason = "; ".join(alert.schema.errors)
            message = f"not valid against the DUIS schema for schemaVersion {version}: {reason}"
            yield Finding("DUIS-SCHEMA", message, alert.recipient, "/Response", f"valid DUIS {version}", "invalid", alert.number)


def check_counters(observed: Sequence[ObservedAlert]) -> Iterator[Finding]:
    """HEADER-IDS: the ResponseID counter is never reused for one recipient."""
    first_use: dict[tuple[str, int], int] = {}
    for alert in observed:
        content = alert.content
        if content is None or content.response_id is None:
            continue
        match = _COUNTER.fullmatch(content.response_id.value)
        if match is None:
            continue
        key = (alert.recipient, int(match.group(1)))
        if key in first_use:
            yield Finding(
                "HEADER-IDS",
                f"ResponseID counter {key[1]} was already used for this recipient in alert #{first_use[key]}",
                alert.recipient,
                content.response_id.location,
                "a counter not used before",
                content.response_id.value,
                alert.number,
            )
        else:
            first_use[key] = alert.number


def check_inventory(inventory: Sequence[InventoryEntry] | None, scenario: Scenario) -> Iterator[Finding]:
    """SMI-CONSISTENT: the DSP's inventory reports the alerted version as active afterwards."""
    if inventory is None:
        return
    reported = {eui(entry.device): entry.firmware_version for entry in inventory}
    active: dict[str, str] = {}
    for event in sorted(scenario.activations(), key=lambda item: (item.at, item.index)):
        if scenario.hubs[event.hub].smets == 2:
            active[event.hub] = event.firmware_to
    for chf, version in active.items():
        seen = reported.get(chf)
        if seen != version:
            yield Finding(
                "SMI-CONSISTENT",
                f"the inventory does not report the alerted version as active for {chf}",
                None,
                f"inventory[{chf}].firmware_version",
                version,
                seen if seen is not None else "(not reported)",
            )


def check_notices(scenario: Scenario) -> Iterator[Finding]:
    """NOTICE-7-DAYS: every non-urgent activation follows a notice given early enough."""
    if scenario.notices is None:
        return
    lead = timedelta(days=scenario.profile.notice_days)
    for event in scenario.activations():
        if event.urgent_security or scenario.hubs[event.hub].smets != 2:
            continue
        covering = [n.at for n in scenario.notices if not n.hubs or event.hub in n.hubs]
        if not any(at <= event.at - lead for at in covering):
            latest = max((at for at in covering if at <= event.at), default=None)
            yield Finding(
                "NOTICE-7-DAYS",
                f"the activation of {event.hub} at {event.at.isoformat()} had no notice {scenario.profile.notice_days} days ahead",
                None,
                f"events[{event.index}]",
                f"a notice by {(event.at - lead).isoformat()}",
                latest.isoformat() if latest else "(no notice)",
            )

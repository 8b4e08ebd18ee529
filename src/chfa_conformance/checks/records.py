"""Checks over all of a run's output at once: schema validity, counters, inventory, notices."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
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
            which = f"schemaVersion {version}" if version is not None else "an alert without schemaVersion"
            message = f"not valid against the DUIS schema for {which}: {reason}"
            expected = f"valid DUIS {version}" if version is not None else "a schemaVersion naming a DUIS version"
            where = alert.content.root if alert.content else "/Response"
            yield Finding("DUIS-SCHEMA", message, alert.recipient, where, expected, "invalid", alert.number)


def response_counter(alert: ObservedAlert) -> int | None:
    """The counter of a well-formed ResponseID (originator:recipient:counter), else None."""
    content = alert.content
    if content is None or content.response_id is None:
        return None
    match = _COUNTER.fullmatch(content.response_id.value)
    return int(match.group(1)) if match is not None else None


def check_counters(observed: Sequence[ObservedAlert]) -> Iterator[Finding]:
    """HEADER-IDS: the ResponseID counter is never reused for one recipient."""
    first_use: dict[tuple[str, int], int] = {}
    for alert in observed:
        counter = response_counter(alert)
        if counter is None:
            continue
        key = (alert.recipient, counter)
        if key in first_use:
            yield _reused(alert, f"ResponseID counter {counter} was already used for this recipient in alert #{first_use[key]}")
        else:
            first_use[key] = alert.number


@dataclass
class CounterLedger:
    """The ResponseID counters used so far per recipient, kept as disjoint ranges.

    For a rollout judged in chunks: a DSP that counts up uses one range per recipient, so the
    ledger stays a few numbers however many alerts go by, and reuse across chunks is still
    caught. Mutable by nature; one ledger belongs to one streamed run.
    """

    ranges: dict[str, list[list[int]]] = field(default_factory=dict)

    def holds(self, recipient: str, counter: int) -> bool:
        spans = self.ranges.get(recipient, [])
        index = bisect.bisect_right(spans, counter, key=_start) - 1
        return index >= 0 and spans[index][0] <= counter <= spans[index][1]

    def add(self, recipient: str, counter: int) -> None:
        spans = self.ranges.setdefault(recipient, [])
        if self.holds(recipient, counter):
            return
        index = bisect.bisect_right(spans, counter, key=_start)
        spans.insert(index, [counter, counter])
        if index + 1 < len(spans) and spans[index + 1][0] == counter + 1:
            spans[index][1] = spans.pop(index + 1)[1]
        if index > 0 and spans[index - 1][1] == counter - 1:
            spans[index - 1][1] = spans.pop(index)[1]

    def record(self, observed: Sequence[ObservedAlert]) -> None:
        for alert in observed:
            counter = response_counter(alert)
            if counter is not None:
                self.add(alert.recipient, counter)


def _start(span: list[int]) -> int:
    return span[0]


def check_counters_against(observed: Sequence[ObservedAlert], earlier: CounterLedger) -> Iterator[Finding]:
    """HEADER-IDS across chunks: a counter already used for the recipient in an earlier chunk.
    (Reuse within the chunk is check_counters' business.)"""
    for alert in observed:
        counter = response_counter(alert)
        if counter is not None and earlier.holds(alert.recipient, counter):
            yield _reused(alert, f"ResponseID counter {counter} was already used for this recipient earlier in the rollout")


def _reused(alert: ObservedAlert, message: str) -> Finding:
    content = alert.content
    assert content is not None and content.response_id is not None
    return Finding(
        "HEADER-IDS",
        message,
        alert.recipient,
        content.response_id.location,
        "a counter not used before",
        content.response_id.value,
        alert.number,
    )


def check_inventory(inventory: Sequence[InventoryEntry] | None, scenario: Scenario) -> Iterator[Finding]:
    """SMI-CONSISTENT: the DSP's inventory reports the alerted version as active afterwards."""
    if inventory is None:
        return
    reported: dict[str, dict[str, None]] = {}  # the distinct versions of each device, in order: two lines must agree
    for entry in inventory:
        reported.setdefault(eui(entry.device), {})[entry.firmware_version] = None
    active: dict[str, str] = {}
    for event in sorted(scenario.activations(), key=lambda item: (item.at, item.index)):
        if scenario.hubs[event.hub].smets == 2:
            active[event.hub] = event.firmware_to
    for chf, version in active.items():
        seen = list(reported.get(chf, {}))
        if seen != [version]:
            what = f"reports {len(seen)} versions" if len(seen) > 1 else "does not report the alerted version as active"
            yield Finding(
                "SMI-CONSISTENT",
                f"the inventory {what} for {chf}",
                None,
                f"inventory[{chf}].firmware_version",
                version,
                " and ".join(repr(v) for v in seen) if len(seen) > 1 else seen[0] if seen else "(not reported)",
            )


def check_notices(scenario: Scenario) -> Iterator[Finding]:
    """NOTICE-7-DAYS: every non-urgent activation follows a notice given early enough."""
    if scenario.notices is None:
        return
    lead = timedelta(days=scenario.profile.notice_days)
    for event in scenario.activations():
        if event.urgent_security or scenario.hubs[event.hub].smets != 2:
            continue
        covering = [n.at for n in scenario.notices if n.hubs is None or event.hub in n.hubs]
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

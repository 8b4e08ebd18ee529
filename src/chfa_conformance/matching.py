"""Pair each expected alert with the delivered alert that answers it.

Pairing decides which requirement a difference belongs to: an alert that reached the right
recipient for the right activation but says the wrong thing is a content fault, not a
missing plus an extra alert. Per recipient, alerts pair first on the CHF they name, then
(for alerts naming a meter of the hub, or no known device) on version and time; within a
group the closest in time wins, then the one with the expected version.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from chfa_conformance.expectations import ExpectedAlert
from chfa_conformance.observation import ObservedAlert
from chfa_conformance.scenario import Scenario

UNKNOWN_DISTANCE = 10.0**12
FULL_COMPARISON_LIMIT = 10_000

Pair = tuple[ExpectedAlert, ObservedAlert]


@dataclass
class Pairing:
    pairs: list[Pair] = field(default_factory=list)
    # broken alerts (not well-formed, or schema-invalid and unreadable) stand in for the expected
    # alert they most likely were: DUIS-SCHEMA reports them, nothing else does.
    absorbed: list[Pair] = field(default_factory=list)
    missing: list[ExpectedAlert] = field(default_factory=list)
    extra: list[ObservedAlert] = field(default_factory=list)


def pair_alerts(expected: Sequence[ExpectedAlert], observed: Sequence[ObservedAlert], scenario: Scenario) -> Pairing:
    """Pairs, plus the expected alerts nobody answered and the alerts nothing called for."""
    pairing = Pairing()
    wanted: dict[str, list[ExpectedAlert]] = defaultdict(list)
    for due in expected:
        wanted[due.recipient].append(due)
    received: dict[str, list[ObservedAlert]] = defaultdict(list)
    for delivered in observed:
        received[delivered.recipient].append(delivered)
    for recipient in sorted(set(wanted) | set(received)):
        _pair_recipient(wanted[recipient], received[recipient], scenario, pairing)
    return pairing


def _pair_recipient(wanted: list[ExpectedAlert], received: list[ObservedAlert], scenario: Scenario, pairing: Pairing) -> None:
    readable = [alert for alert in received if alert.readable]
    broken = [alert for alert in received if not alert.readable and not (alert.schema and alert.schema.valid)]
    foreign = [alert for alert in received if not alert.readable and alert.schema and alert.schema.valid]
    open_wanted, open_readable = _pair_groups(wanted, readable, lambda alert: alert.device, pairing.pairs)

    def meter_hub(alert: ObservedAlert) -> str | None:
        device = alert.device
        return scenario.meter_hubs.get(device) if device is not None else None

    open_wanted, open_readable = _pair_groups(open_wanted, open_readable, meter_hub, pairing.pairs)
    unnamed = [alert for alert in open_readable if alert.device is None or scenario.hub_of_device(alert.device) is None]
    named = [alert for alert in open_readable if alert not in unnamed]
    open_wanted, unnamed = _assign(open_wanted, unnamed, pairing.pairs)
    open_wanted, _ = _assign(open_wanted, broken, pairing.absorbed)
    pairing.missing += open_wanted
    pairing.extra += named + unnamed + foreign


def _pair_groups(
    wanted: list[ExpectedAlert],
    received: list[ObservedAlert],
    key: Callable[[ObservedAlert], str | None],
    pairs: list[Pair],
) -> tuple[list[ExpectedAlert], list[ObservedAlert]]:
    """Pair within groups of the same hub; return what stayed unpaired, in input order."""
    by_hub: dict[str, list[ObservedAlert]] = defaultdict(list)
    for delivered in received:
        hub = key(delivered)
        if hub is not None:
            by_hub[hub].append(delivered)
    wanted_by_hub: dict[str, list[ExpectedAlert]] = defaultdict(list)
    for due in wanted:
        wanted_by_hub[due.device].append(due)
    left_wanted: list[ExpectedAlert] = []
    used: set[int] = set()
    for hub, group in wanted_by_hub.items():
        candidates = by_hub.get(hub, [])
        rest_wanted, rest_received = _assign(group, candidates, pairs)
        left_wanted += rest_wanted
        unpaired = {id(alert) for alert in rest_received}
        used.update(id(alert) for alert in candidates if id(alert) not in unpaired)
    left_received = [alert for alert in received if id(alert) not in used]
    order = {id(alert): index for index, alert in enumerate(wanted)}
    return sorted(left_wanted, key=lambda alert: order[id(alert)]), left_received


def _assign(
    wanted: list[ExpectedAlert],
    received: list[ObservedAlert],
    pairs: list[Pair],
) -> tuple[list[ExpectedAlert], list[ObservedAlert]]:
    """Greedy assignment by (time distance, version mismatch, delivery order)."""
    if not wanted or not received:
        return wanted, received
    if len(wanted) * len(received) > FULL_COMPARISON_LIMIT:
        return _assign_in_time_order(wanted, received, pairs)
    options = sorted(
        ((_distance(e, o), _version_differs(e, o), o.number, wi, oi) for wi, e in enumerate(wanted) for oi, o in enumerate(received)),
    )
    taken_wanted: set[int] = set()
    taken_received: set[int] = set()
    for _, _, _, wi, oi in options:
        if wi in taken_wanted or oi in taken_received:
            continue
        taken_wanted.add(wi)
        taken_received.add(oi)
        pairs.append((wanted[wi], received[oi]))
    return (
        [alert for index, alert in enumerate(wanted) if index not in taken_wanted],
        [alert for index, alert in enumerate(received) if index not in taken_received],
    )


def _assign_in_time_order(
    wanted: list[ExpectedAlert],
    received: list[ObservedAlert],
    pairs: list[Pair],
) -> tuple[list[ExpectedAlert], list[ObservedAlert]]:
    """For large groups: both sides sorted by time and paired in order."""
    ordered_wanted = sorted(wanted, key=lambda alert: (alert.event.at, alert.event.index))
    ordered_received = sorted(
        received, key=lambda alert: (alert.sent_at.instant.timestamp() if alert.sent_at else UNKNOWN_DISTANCE, alert.number)
    )
    count = min(len(ordered_wanted), len(ordered_received))
    pairs += list(zip(ordered_wanted[:count], ordered_received[:count], strict=True))
    return ordered_wanted[count:], ordered_received[count:]


def _distance(expected: ExpectedAlert, observed: ObservedAlert) -> float:
    if observed.sent_at is None:
        return UNKNOWN_DISTANCE
    return abs((observed.sent_at.instant - expected.event.at).total_seconds())


def _version_differs(expected: ExpectedAlert, observed: ObservedAlert) -> bool:
    content = observed.content
    if content is None or content.firmware_version is None:
        return True
    return content.firmware_version.value != expected.event.firmware_to

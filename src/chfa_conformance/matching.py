"""Pair each expected alert with the delivered alert that answers it.

Pairing decides which requirement a difference belongs to: an alert that reached the right
recipient for the right activation but says the wrong thing is a content fault, not a
missing plus an extra alert. Per recipient:

1. an alert whose time marks it as the report of a failed, distribution-only or initiated
   event of its hub is withheld (it answers no activation);
2. alerts pair on the CHF they name, then on the hub of the meter they name; within a group
   the alert whose time points at the activation wins, then the one with its version;
3. alerts naming no known device pair on version and time;
4. a surplus alert naming another hub pairs with a still unanswered activation whose version
   and time it carries (a wrong DeviceID, not an extra plus a missing alert);
5. a broken document stands in for the alert it most likely was (DUIS-SCHEMA reports it),
   and a DUIS alert of another kind replaces the one that was due (ALERT-CODE reports it).

An alert's time points at an event by `explaining_event`: the latest event of the hub at or
before it, unless the next event follows within the latency limit and nearer (an alert
stamped a little early is that event's).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chfa_conformance.expectations import ExpectedAlert
from chfa_conformance.observation import ObservedAlert
from chfa_conformance.scenario import FirmwareEvent, Scenario

UNKNOWN_DISTANCE = 10.0**12
REFUSED = 100.0
FULL_COMPARISON_LIMIT = 10_000

Pair = tuple[ExpectedAlert, ObservedAlert]


@dataclass
class Pairing:
    pairs: list[Pair] = field(default_factory=list)
    absorbed: list[Pair] = field(default_factory=list)
    replaced: list[Pair] = field(default_factory=list)
    missing: list[ExpectedAlert] = field(default_factory=list)
    extra: list[ObservedAlert] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    scenario: Scenario
    events_by_hub: dict[str, list[FirmwareEvent]]
    window: float

    def explained(self, alert: ObservedAlert) -> FirmwareEvent | None:
        """The event of the named hub (or the named meter's hub) the alert's time points at."""
        if alert.sent_at is None or alert.device is None:
            return None
        hub = self.scenario.hub_of_device(alert.device)
        if hub is None:
            return None
        return explaining_event(alert.sent_at.instant, self.events_by_hub.get(hub.chf, []), self.window)


def explaining_event(at: datetime, events: Sequence[FirmwareEvent], window: float) -> FirmwareEvent | None:
    """The event an alert sent at `at` reports, among `events` (any order)."""
    before = [event for event in events if event.at <= at]
    after = [event for event in events if event.at > at]
    latest = max(before, key=lambda event: (event.at, event.index)) if before else None
    following = min(after, key=lambda event: (event.at, event.index)) if after else None
    if following is None:
        return latest
    ahead = (following.at - at).total_seconds()
    if latest is None or (ahead <= window and ahead < (at - latest.at).total_seconds()):
        return following
    return latest


def pair_alerts(expected: Sequence[ExpectedAlert], observed: Sequence[ObservedAlert], scenario: Scenario) -> Pairing:
    """Pairs, plus the expected alerts nobody answered and the alerts nothing called for."""
    events_by_hub: dict[str, list[FirmwareEvent]] = defaultdict(list)
    for event in scenario.events:
        events_by_hub[event.hub].append(event)
    context = _Context(scenario, events_by_hub, float(scenario.profile.latency_limit_seconds))
    pairing = Pairing()
    wanted: dict[str, list[ExpectedAlert]] = defaultdict(list)
    for due in expected:
        wanted[due.recipient].append(due)
    received: dict[str, list[ObservedAlert]] = defaultdict(list)
    for delivered in observed:
        received[delivered.recipient].append(delivered)
    for recipient in sorted(set(wanted) | set(received)):
        _pair_recipient(wanted[recipient], received[recipient], context, pairing)
    return pairing


def _pair_recipient(wanted: list[ExpectedAlert], received: list[ObservedAlert], context: _Context, pairing: Pairing) -> None:
    readable: list[ObservedAlert] = []
    withheld: list[ObservedAlert] = []
    for alert in (alert for alert in received if alert.readable):
        explained = context.explained(alert)
        (withheld if explained is not None and explained.outcome != "activated" else readable).append(alert)
    open_wanted, rest = _pair_groups(wanted, readable, lambda alert: alert.device, context, pairing.pairs)
    meter_hub = context.scenario.meter_hubs.get
    open_wanted, rest = _pair_groups(open_wanted, rest, lambda alert: meter_hub(alert.device or ""), context, pairing.pairs)
    unnamed = [alert for alert in rest if alert.device is None or context.scenario.hub_of_device(alert.device) is None]
    named = [alert for alert in rest if alert not in unnamed]
    open_wanted, unnamed = _assign(open_wanted, unnamed, _by_time_among_wanted(open_wanted, context), pairing.pairs)
    open_wanted, named = _repair_devices(open_wanted, named, context, pairing.pairs)
    foreign = [alert for alert in received if _foreign(alert, context)]
    broken = [alert for alert in received if not alert.readable and alert not in foreign]
    open_wanted, _ = _assign(open_wanted, broken, _by_order, pairing.absorbed)
    open_wanted, foreign = _assign(open_wanted, foreign, _by_order, pairing.replaced)
    pairing.missing += open_wanted
    pairing.extra += withheld + named + unnamed + foreign


def _foreign(alert: ObservedAlert, context: _Context) -> bool:
    """A DUIS alert of another kind, rather than a broken attempt at this one."""
    content = alert.content
    if content is None or content.body != "other":
        return False
    same_code = content.alert_code is not None and content.alert_code.value == context.scenario.profile.alert_code
    return not (same_code and alert.schema is not None and not alert.schema.valid)


Cost = Callable[[ExpectedAlert, ObservedAlert], tuple[float, float, int]]


def _by_explanation(context: _Context, rivals: list[ExpectedAlert]) -> Cost:
    """Fewest disagreements first (time pointing elsewhere, other version), then nearest.

    An alert whose version and time fit another of the recipient's activations better is not
    paired by the hub it names: it is that activation's alert with a wrong DeviceID."""

    lines: dict[tuple[str, str | None], _TimeLine] = {}
    for rival in sorted(rivals, key=lambda item: (item.event.at, item.event.index)):
        lines.setdefault(_content_key(rival), _TimeLine()).add(rival)

    def cost(expected: ExpectedAlert, observed: ObservedAlert) -> tuple[float, float, int]:
        differs = _version_differs(expected, observed)
        if (
            differs
            and observed.content is not None
            and _fits_another(observed, expected, lines.get(_observed_key(observed)), context.window)
        ):
            return REFUSED, 0.0, observed.number
        explained = context.explained(observed)
        penalty = int(explained is None or explained.index != expected.event.index) + int(differs)
        return penalty, _distance(expected, observed), observed.number

    return cost


def _fits_another(observed: ObservedAlert, expected: ExpectedAlert, rivals: _TimeLine | None, window: float) -> bool:
    """Whether the alert's version and time point at another activation than `expected`."""
    if observed.sent_at is None or rivals is None:
        return False
    others = [rival.event for rival in rivals.around(observed.sent_at.instant) if rival is not expected]
    explained = explaining_event(observed.sent_at.instant, [expected.event, *others], window)
    return explained is not None and explained.index != expected.event.index


def _by_time_among_wanted(wanted: list[ExpectedAlert], context: _Context) -> Cost:
    """For alerts naming no known device: explained among the recipient's open activations."""
    events = [alert.event for alert in wanted]

    def cost(expected: ExpectedAlert, observed: ObservedAlert) -> tuple[float, float, int]:
        explained = explaining_event(observed.sent_at.instant, events, context.window) if observed.sent_at else None
        penalty = int(explained is None or explained.index != expected.event.index) + int(_version_differs(expected, observed))
        return penalty, _distance(expected, observed), observed.number

    return cost


def _by_order(expected: ExpectedAlert, observed: ObservedAlert) -> tuple[float, float, int]:
    return 0, _distance(expected, observed), observed.number


def _pair_groups(
    wanted: list[ExpectedAlert],
    received: list[ObservedAlert],
    key: Callable[[ObservedAlert], str | None],
    context: _Context,
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
    cost = _by_explanation(context, wanted)
    for hub, group in wanted_by_hub.items():
        candidates = by_hub.get(hub, [])
        rest_wanted, rest_received = _assign(group, candidates, cost, pairs)
        left_wanted += rest_wanted
        unpaired = {id(alert) for alert in rest_received}
        used.update(id(alert) for alert in candidates if id(alert) not in unpaired)
    left_received = [alert for alert in received if id(alert) not in used]
    order = {id(alert): index for index, alert in enumerate(wanted)}
    return sorted(left_wanted, key=lambda alert: order[id(alert)]), left_received


def _repair_devices(
    wanted: list[ExpectedAlert], surplus: list[ObservedAlert], context: _Context, pairs: list[Pair]
) -> tuple[list[ExpectedAlert], list[ObservedAlert]]:
    """Surplus alerts naming another hub, matched to open activations by version and time."""
    groups: dict[tuple[str, str | None], _TimeLine] = {}
    for due in sorted(wanted, key=lambda item: (item.event.at, item.event.index)):
        groups.setdefault(_content_key(due), _TimeLine()).add(due)
    matched: set[int] = set()
    left = []
    for alert in sorted(surplus, key=lambda item: (item.sent_at.instant.timestamp() if item.sent_at else UNKNOWN_DISTANCE, item.number)):
        line = groups.get(_observed_key(alert))
        match = line.take_explained(alert.sent_at.instant, context.window) if line is not None and alert.sent_at else None
        if match is None:
            left.append(alert)
        else:
            matched.add(id(match))
            pairs.append((match, alert))
    return [due for due in wanted if id(due) not in matched], left


class _TimeLine:
    """Open expected alerts of one kind and version, in activation order."""

    def __init__(self) -> None:
        self.alerts: list[ExpectedAlert] = []
        self.times: list[datetime] = []

    def add(self, alert: ExpectedAlert) -> None:
        self.alerts.append(alert)
        self.times.append(alert.event.at)

    def around(self, at: datetime) -> list[ExpectedAlert]:
        """The alerts just before and just after `at` (all an explanation can choose from)."""
        cut = bisect.bisect_right(self.times, at)
        return self.alerts[max(0, cut - 2) : cut + 2]

    def take_explained(self, at: datetime, window: float) -> ExpectedAlert | None:
        """Remove and return the alert whose activation the time `at` points at."""
        cut = bisect.bisect_right(self.times, at)
        nearby = [self.alerts[index].event for index in (cut - 1, cut) if 0 <= index < len(self.alerts)]
        explained = explaining_event(at, nearby, window)
        if explained is None:
            return None
        index = next(index for index in (cut - 1, cut) if 0 <= index < len(self.alerts) and self.alerts[index].event is explained)
        self.times.pop(index)
        return self.alerts.pop(index)


def _content_key(expected: ExpectedAlert) -> tuple[str, str | None]:
    return expected.kind, expected.event.firmware_to if expected.kind == "activation" else None


def _observed_key(observed: ObservedAlert) -> tuple[str, str | None]:
    content = observed.content
    assert content is not None
    version = content.firmware_version.value if content.body == "activation" and content.firmware_version else None
    return content.body, version


def _assign(
    wanted: list[ExpectedAlert], received: list[ObservedAlert], cost: Cost, pairs: list[Pair]
) -> tuple[list[ExpectedAlert], list[ObservedAlert]]:
    """Greedy assignment, cheapest pairs first."""
    if not wanted or not received:
        return wanted, received
    if len(wanted) * len(received) > FULL_COMPARISON_LIMIT:
        return _assign_in_time_order(wanted, received, pairs)
    options = sorted((cost(e, o), wi, oi) for wi, e in enumerate(wanted) for oi, o in enumerate(received))
    options = [option for option in options if option[0][0] < REFUSED]
    taken_wanted: set[int] = set()
    taken_received: set[int] = set()
    for _, wi, oi in options:
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
    wanted: list[ExpectedAlert], received: list[ObservedAlert], pairs: list[Pair]
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
    if expected.kind == "version-mismatch":
        return content is None or content.body != "version-mismatch"
    if content is None or content.firmware_version is None:
        return True
    return content.firmware_version.value != expected.event.firmware_to

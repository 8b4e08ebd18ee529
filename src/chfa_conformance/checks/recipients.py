"""Who received alerts against who should have: missing and unexpected deliveries.

Each unpaired alert is explained by the first rule that fits, so one fault yields one
requirement id: the hub it names, that hub's events, the recipient's role and registration.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chfa_conformance.expectations import ExpectedAlert, is_rollout, split_supply
from chfa_conformance.findings import Finding
from chfa_conformance.matching import Pairing, explaining_event
from chfa_conformance.observation import ObservedAlert
from chfa_conformance.scenario import SUPPLIER_ROLE_FOR_METER, FirmwareEvent, Hub, Scenario


@dataclass
class _Context:
    scenario: Scenario
    expected_by_event: dict[int, list[ExpectedAlert]]
    open_missing: dict[tuple[int, str], ExpectedAlert]
    served_events: set[int]
    mismatch_alerts_sent: bool
    missed_by_recipient: dict[str, set[int]]


def check_recipients(pairing: Pairing, expected: Sequence[ExpectedAlert], scenario: Scenario) -> Iterator[Finding]:
    by_event: dict[int, list[ExpectedAlert]] = defaultdict(list)
    for alert in expected:
        by_event[alert.event.index].append(alert)
    served = {alert.event.index for alert, _ in pairing.pairs + pairing.absorbed + pairing.replaced}
    mismatch_sent = any(o.content is not None and o.content.body == "version-mismatch" for _, o in pairing.pairs)
    missing = {(a.event.index, a.recipient): a for a in pairing.missing}
    missed: dict[str, set[int]] = defaultdict(set)
    for alert in pairing.missing:
        missed[alert.recipient].add(alert.event.index)
    context = _Context(scenario, by_event, missing, served, mismatch_sent, missed)
    for due, observed in pairing.replaced:
        yield _replaced(due, observed, scenario)
    for observed in pairing.extra:
        yield _explain_extra(observed, context)
    for alert in context.open_missing.values():
        yield _explain_missing(alert, context)


def _explain_extra(observed: ObservedAlert, context: _Context) -> Finding:
    scenario = context.scenario
    if not observed.readable:
        kind = observed.content.body if observed.content else "unknown"
        return _extra("ALERT-TRIGGER", observed, f"an alert that is not this alert (body: {kind})")
    device = observed.device
    hub = scenario.hub_of_device(device) if device is not None else None
    if hub is None:
        return _extra("ALERT-TRIGGER", observed, f"DeviceID {device or '(absent)'} names no hub of the scenario")
    events = list(scenario.events_of(hub.chf))
    if not events:
        return _extra("ALERT-TRIGGER", observed, f"hub {hub.chf} had no firmware event")
    if hub.smets != 2:
        return _extra("SMETS2-ONLY", observed, f"hub {hub.chf} is SMETS{hub.smets}")
    if not hub.commissioned_meters:
        return _extra("ALERT-NO-RECIPIENT", observed, f"hub {hub.chf} serves no commissioned meter")
    event = _reported_event(observed, events, float(scenario.profile.latency_limit_seconds))
    if event.outcome != "activated":
        return _extra("ALERT-NOT-ON-FAILURE", observed, f"the event of {hub.chf} at {event.at.isoformat()} was {event.outcome}")
    return _explain_recipient(observed, hub, event, context)


def _explain_recipient(observed: ObservedAlert, hub: Hub, event: FirmwareEvent, context: _Context) -> Finding:
    scenario = context.scenario
    recipient = observed.recipient
    at = event.at.isoformat()
    if recipient in {alert.recipient for alert in context.expected_by_event[event.index]}:
        return _extra("ALERT-ONCE", observed, f"a second alert to {recipient} for the activation of {hub.chf} at {at}")
    user = scenario.users.get(recipient)
    if user is None:
        return _extra("RECIPIENTS-ONLY-SUPPLIERS", observed, f"{recipient} is no user of the scenario")
    if not user.is_supplier:
        return _extra("RECIPIENTS-ONLY-SUPPLIERS", observed, f"{recipient} is a user in the role {user.role}, not a Responsible Supplier")
    meters = [
        m
        for m in hub.commissioned_meters
        if SUPPLIER_ROLE_FOR_METER[m.type] == user.role and any(r.user == recipient for r in m.responsible)
    ]
    if any(meter.supplier_at(event.at) == recipient for meter in meters):
        return _extra("DUIS-VERSION", observed, f"{recipient} is on DUIS {user.duis_version} and the profile suppresses alerts for it")
    if not meters:
        return _extra("RECIPIENTS-ONLY-SUPPLIERS", observed, f"{recipient} is not a Responsible Supplier of hub {hub.chf}")
    for meter in meters:
        current = meter.supplier_at(event.at)
        swapped = context.open_missing.pop((event.index, current), None) if current else None
        if swapped is not None:
            return _extra(
                "RECIPIENTS-CHANGE-OF-SUPPLIER",
                observed,
                f"sent to {recipient} instead of {current}, the supplier of {meter.id} at the activation ({at})",
            )
    ended = all(r.end is not None and r.end <= event.at for m in meters for r in m.responsible if r.user == recipient)
    if ended:
        return _extra(
            "RECIPIENTS-ONLY-SUPPLIERS",
            observed,
            f"{recipient}'s responsibility for hub {hub.chf} ended at or before the activation at {at}",
        )
    return _extra(
        "RECIPIENTS-CHANGE-OF-SUPPLIER", observed, f"{recipient} became responsible for hub {hub.chf} only after the activation at {at}"
    )


def _explain_missing(alert: ExpectedAlert, context: _Context) -> Finding:
    event = alert.event
    what = f"no alert to {alert.recipient} for the activation of {event.hub} at {event.at.isoformat()}"
    served = event.index in context.served_events
    if alert.kind == "version-mismatch" and not context.mismatch_alerts_sent:
        # the candidate sends no version-mismatch alert at all: a version fault, not a recipient one
        requirement = "DUIS-VERSION"
        what += f" (no version-mismatch alert was sent to any recipient on DUIS {alert.schema_version})"
    elif context.missed_by_recipient[alert.recipient] == {event.index} and (ended := _left_just_after(alert, context)):
        # the supplier of that instant left a moment later, leaving the meter with none, and
        # this is the only alert it missed: what recipients resolved too late would send,
        # whatever else the scenario is (a rollout, say). A candidate that misses the supplier
        # elsewhere too, or did not alert a successor either, shows another cause.
        requirement = "RECIPIENTS-CHANGE-OF-SUPPLIER"
        what += f" ({alert.recipient} was its supplier at the activation; that responsibility ended at {ended.isoformat()})"
    elif not served and is_rollout(context.scenario):
        requirement = "ROLLOUT-SCALE"
        what += " (the activation reached nobody)"
    elif served and split_supply(event, context.scenario):
        requirement = "RECIPIENTS-SPLIT"
        what += " (split supply: the other supplier was alerted)"
    else:
        requirement = "RECIPIENTS-RESPONSIBLE"
    return Finding(requirement, what, alert.recipient, None, f"{alert.kind} alert", "(none)")


def _left_just_after(alert: ExpectedAlert, context: _Context) -> datetime | None:
    """When the recipient's responsibility for a meter of the hub ended after the activation,
    within the latency window (in which a candidate may still resolve recipients), and nobody
    took the meter over (a late resolver would have alerted the successor instead)."""
    event, scenario = alert.event, context.scenario
    window = timedelta(seconds=scenario.profile.latency_limit_seconds)
    hub = scenario.hubs.get(event.hub)
    ends = [
        registration.end
        for meter in (hub.commissioned_meters if hub else ())
        for registration in meter.responsible
        if registration.user == alert.recipient
        and registration.covers(event.at)
        and registration.end is not None
        and registration.end <= event.at + window
        and meter.supplier_at(registration.end) is None
    ]
    return min(ends, default=None)


def _reported_event(observed: ObservedAlert, events: list[FirmwareEvent], window: float) -> FirmwareEvent:
    """The event an unpaired alert reports: the one its time points at, unless another event
    within the latency window carries the alert's version (two events seconds apart are told
    apart by what they installed); without a time, by version."""
    version = observed.content.firmware_version.value if observed.content and observed.content.firmware_version else None
    if observed.sent_at is not None:
        sent = observed.sent_at.instant
        explained = explaining_event(sent, events, window)
        nearby = [e for e in events if e.firmware_to == version and abs((sent - e.at).total_seconds()) <= window]
        if explained is not None and explained.firmware_to != version and nearby:
            return min(nearby, key=lambda event: abs((sent - event.at).total_seconds()))
        if explained is not None:
            return explained
    return min(events, key=lambda event: (event.firmware_to != version, event.outcome != "activated", event.at))


def _replaced(due: ExpectedAlert, observed: ObservedAlert, scenario: Scenario) -> Finding:
    content = observed.content
    assert content is not None
    code = content.alert_code.value if content.alert_code else "(none)"
    return Finding(
        "ALERT-CODE",
        f"a DUIS alert of another kind (code {code}) where the alert for the activation of {due.device} "
        f"at {due.event.at.isoformat()} was due",
        observed.recipient,
        content.alert_code.location if content.alert_code else "/Response/Body",
        scenario.profile.alert_code if due.kind == "activation" else scenario.profile.mismatch_alert_code,
        code,
        observed.number,
    )


def _extra(requirement: str, observed: ObservedAlert, message: str) -> Finding:
    return Finding(requirement, f"unexpected alert: {message}", observed.recipient, None, "(no alert)", "an alert", observed.number)

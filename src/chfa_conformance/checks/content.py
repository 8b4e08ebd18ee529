"""What a delivered alert says, judged against the alert it answers.

Only values that are present and well-typed are judged here: a missing required element or
a malformed value is a DUIS-SCHEMA finding already, and is not reported twice. The one
exception is FirmwareVersion: a non-empty version of the wrong length is also not the new
version, and the spec declares the two requirements to overlap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TypeGuard

from chfa_conformance.alert_reading import Field
from chfa_conformance.duis_schema import version_key
from chfa_conformance.expectations import ExpectedAlert
from chfa_conformance.findings import Finding
from chfa_conformance.instants import span
from chfa_conformance.observation import ObservedAlert
from chfa_conformance.scenario import eui
from chfa_conformance.specs import Profile

_EUI = r"[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){7}"
_MESSAGE_ID = re.compile(rf"(?P<originator>{_EUI}):(?P<target>{_EUI}):(?P<counter>0|[1-9][0-9]{{0,19}})")


def check_pair(expected: ExpectedAlert, observed: ObservedAlert, profile: Profile) -> Iterator[Finding]:
    """Every content finding for one delivered alert that answers `expected`."""
    content = observed.content
    assert content is not None
    if content.body != expected.kind:
        yield _finding(
            "DUIS-VERSION",
            expected,
            observed,
            None,
            f"recipient on DUIS {expected.schema_version} needs the {expected.kind} alert",
            expected.kind,
            content.body,
        )
        return
    yield from _check_version(expected, observed)
    if expected.kind == "activation":
        yield from _check_activation(expected, observed, profile)
    else:
        yield from _check_mismatch(expected, observed, profile)
    yield from check_header_ids(expected, observed, profile)
    yield from check_timing(expected, observed, profile)


def _check_version(expected: ExpectedAlert, observed: ObservedAlert) -> Iterator[Finding]:
    content = observed.content
    assert content is not None
    seen = content.schema_version
    if version_key(seen) is not None and version_key(seen) != version_key(expected.schema_version):
        yield Finding(
            "DUIS-VERSION",
            "schemaVersion is not the recipient's DUIS version",
            observed.recipient,
            "/Response/@schemaVersion",
            expected.schema_version,
            seen,
            observed.number,
        )


def _check_activation(expected: ExpectedAlert, observed: ObservedAlert, profile: Profile) -> Iterator[Finding]:
    content = observed.content
    assert content is not None
    if _judgeable_code(content.alert_code) and content.alert_code.value != profile.alert_code:
        yield _finding("ALERT-CODE", expected, observed, content.alert_code, "wrong DCCAlertCode", profile.alert_code)
    if content.device is not None and _is_eui(content.device.value) and eui(content.device.value) != expected.device:
        yield _finding("ALERT-DEVICE", expected, observed, content.device, "DeviceID is not the activated CHF", expected.device)
    version = content.firmware_version
    if version is not None and version.value and version.value != expected.event.firmware_to:
        yield _finding(
            "ALERT-FW-VERSION", expected, observed, version, "FirmwareVersion is not the newly active version", expected.event.firmware_to
        )


def _check_mismatch(expected: ExpectedAlert, observed: ObservedAlert, profile: Profile) -> Iterator[Finding]:
    content = observed.content
    assert content is not None
    if _judgeable_code(content.alert_code) and content.alert_code.value != profile.mismatch_alert_code:
        yield _finding(
            "DUIS-VERSION",
            expected,
            observed,
            content.alert_code,
            "the version-mismatch alert has the wrong code",
            profile.mismatch_alert_code,
        )
    if content.named_alert_code is not None and content.named_alert_code.value != profile.alert_code:
        yield _finding(
            "ALERT-CODE",
            expected,
            observed,
            content.named_alert_code,
            "the version-mismatch alert names the wrong alert code",
            profile.alert_code,
        )
    if content.device is None:
        yield _finding(
            "DUIS-VERSION", expected, observed, None, "the version-mismatch alert does not name the CHF", expected.device, "(absent)"
        )
    elif _is_eui(content.device.value) and eui(content.device.value) != expected.device:
        yield _finding(
            "ALERT-DEVICE", expected, observed, content.device, "the version-mismatch alert names the wrong device", expected.device
        )
    named_version = content.user_duis_version
    if named_version is not None and named_version.value != expected.schema_version:
        yield _finding(
            "DUIS-VERSION",
            expected,
            observed,
            named_version,
            "ServiceUserDUISVersion is not the recipient's version",
            expected.schema_version,
        )


def check_header_ids(expected: ExpectedAlert, observed: ObservedAlert, profile: Profile) -> Iterator[Finding]:
    content = observed.content
    assert content is not None
    if content.request_id is not None:
        yield _finding(
            "HEADER-IDS", expected, observed, content.request_id, "an alert answers no request, so it has no RequestID", "(absent)"
        )
    response_id = content.response_id
    if response_id is None:
        if profile.response_id_required:
            yield _finding(
                "HEADER-IDS",
                expected,
                observed,
                None,
                "no ResponseID (required by the profile)",
                "originator:recipient:counter",
                "(absent)",
            )
        return
    parts = _MESSAGE_ID.fullmatch(response_id.value)
    if parts is None:
        return
    if eui(parts["originator"]) != profile.dcc_originator:
        yield _finding(
            "HEADER-IDS",
            expected,
            observed,
            response_id,
            "ResponseID's originator is not the DCC",
            profile.dcc_originator,
            parts["originator"],
        )
    if eui(parts["target"]) != observed.recipient:
        yield _finding(
            "HEADER-IDS", expected, observed, response_id, "ResponseID's target is not the recipient", observed.recipient, parts["target"]
        )


def check_timing(expected: ExpectedAlert, observed: ObservedAlert, profile: Profile) -> Iterator[Finding]:
    content = observed.content
    assert content is not None
    sent = observed.sent_at
    if sent is None or content.response_datetime is None:
        return
    stamp = content.response_datetime
    activation = expected.event.at.isoformat()
    if not sent.has_zone:
        yield _finding("HEADER-TIME", expected, observed, stamp, "ResponseDateTime has no time zone", "a date-time with a zone")
        return
    delay = (sent.instant - expected.event.at).total_seconds()
    if expected.event.at - sent.instant >= sent.resolution:  # earlier at the stamp's own precision (see instants.XsDateTime)
        yield _finding(
            "HEADER-TIME", expected, observed, stamp, f"ResponseDateTime is {span(-delay)} before the activation", f">= {activation}"
        )
    elif delay > profile.latency_limit_seconds:
        yield _finding(
            "ALERT-LATENCY",
            expected,
            observed,
            stamp,
            f"the alert came {span(delay)} after the activation (limit {span(profile.latency_limit_seconds)})",
            f"<= {profile.latency_limit_seconds}s after {activation}",
        )


def _finding(
    requirement: str,
    expected: ExpectedAlert,
    observed: ObservedAlert,
    field: Field | None,
    message: str,
    wanted: str,
    seen: str | None = None,
) -> Finding:
    return Finding(
        requirement,
        f"{message} (activation of {expected.device} at {expected.event.at.isoformat()})",
        observed.recipient,
        field.location if field is not None else None,
        wanted,
        seen if seen is not None else field.value if field is not None else None,
        observed.number,
    )


def _judgeable_code(code: Field | None) -> TypeGuard[Field]:
    """A code of the DCCAlertCode form; anything else is left to the schema check."""
    return code is not None and re.fullmatch(r"AD1|N[0-9]+", code.value) is not None


def _is_eui(text: str) -> bool:
    return re.fullmatch(_EUI, text) is not None

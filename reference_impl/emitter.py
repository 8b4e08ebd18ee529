"""Scenario in, delivered alerts out: the reference behaviour, one small function per rule."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
NSMAP = {"sr": SR}
PROCESSING_DELAY = timedelta(seconds=2)
ROLE_FOR_METER = {"ESME": "import_supplier", "GSME": "gas_supplier"}


@dataclass(frozen=True)
class Delivery:
    recipient: str
    duis_version: str
    chf: str
    firmware_version: str
    sent_at: datetime


def emit(scenario: Mapping[str, Any], counters: MutableMapping[str, int] | None = None) -> list[dict[str, Any]]:
    """Every line the reference DSP writes for this scenario (alerts, then its inventory).

    `counters` holds the last ResponseID counter used per recipient and is updated in place:
    a caller that feeds one long rollout in chunks passes the same mapping each time, so the
    DSP's counters run on across chunks as they would in one run.
    """
    return alert_lines(scenario, counters) + inventory_lines(scenario)


def alert_lines(scenario: Mapping[str, Any], counters: MutableMapping[str, int] | None = None) -> list[dict[str, Any]]:
    """One line per delivered alert, in activation order."""
    profile = scenario["profile"]
    counters = {} if counters is None else counters
    lines: list[dict[str, Any]] = []
    for delivery in _deliveries(scenario):
        counters[delivery.recipient] = counters.get(delivery.recipient, 0) + 1
        document = _alert_document(delivery, profile, counters[delivery.recipient])
        if document is not None:
            lines.append({"recipient": delivery.recipient, "xml": document})
    return lines


def inventory_lines(scenario: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The DSP's inventory afterwards, one line per activated CHF."""
    return [{"inventory": entry} for entry in _inventory_after(scenario)]


def _deliveries(scenario: Mapping[str, Any]) -> Iterator[Delivery]:
    """One delivery per Responsible Supplier User ID per successful activation of a SMETS2 hub."""
    users = {user["id"].upper(): user for user in scenario["users"]}
    hubs = {hub["chf"].upper(): hub for hub in scenario["hubs"]}
    for event in sorted(scenario["events"], key=lambda item: _instant(item["at"])):
        hub = hubs[event["hub"].upper()]
        if event["outcome"] != "activated" or hub["smets"] != 2:
            continue
        at = _instant(event["at"])
        for recipient in _responsible_suppliers(hub, at, users):
            yield Delivery(
                recipient=recipient,
                duis_version=users[recipient]["duis_version"],
                chf=hub["chf"].upper(),
                firmware_version=event["firmware_to"],
                sent_at=at + PROCESSING_DELAY,
            )


def _responsible_suppliers(hub: Mapping[str, Any], at: datetime, users: Mapping[str, Any]) -> list[str]:
    """Import Supplier of each commissioned ESME, Gas Supplier of each commissioned GSME, at `at`."""
    recipients: list[str] = []
    for meter in hub.get("meters", []):
        if not meter["commissioned"]:
            continue
        for registration in meter.get("responsible", []):
            user_id = registration["user"].upper()
            starts, ends = _instant(registration["from"]), registration.get("to")
            in_force = starts <= at and (ends is None or at < _instant(ends))
            right_role = users[user_id]["role"] == ROLE_FOR_METER[meter["type"]]
            if in_force and right_role and user_id not in recipients:
                recipients.append(user_id)
    return recipients


def _alert_document(delivery: Delivery, profile: Mapping[str, Any], counter: int) -> str | None:
    """The DUIS document for one delivery, in the recipient's DUIS version (None: send nothing)."""
    if delivery.duis_version in profile["duis_versions_with_alert"]:
        body = _activation_body(delivery, profile)
    elif profile["version_mismatch_policy"] == "mismatch-alert":
        body = _version_mismatch_body(delivery, profile)
    else:
        return None
    response = etree.Element(f"{{{SR}}}Response", nsmap=NSMAP, schemaVersion=delivery.duis_version)
    header = etree.SubElement(response, f"{{{SR}}}Header")
    _text(header, "ResponseID", f"{profile['dcc_originator']}:{delivery.recipient}:{counter}")
    _text(header, "ResponseCode", "I0")
    _text(header, "ResponseDateTime", _format(delivery.sent_at))
    etree.SubElement(response, f"{{{SR}}}Body").append(body)
    return etree.tostring(response, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _activation_body(delivery: Delivery, profile: Mapping[str, Any]) -> etree._Element:
    message = etree.Element(f"{{{SR}}}DCCAlertMessage")
    _text(message, "DCCAlertCode", profile["alert_code"])
    activation = etree.SubElement(etree.SubElement(message, f"{{{SR}}}DCCAlert"), f"{{{SR}}}CommsHubFirmwareActivation")
    _text(activation, "DeviceID", delivery.chf)
    _text(activation, "FirmwareVersion", delivery.firmware_version)
    return message


def _version_mismatch_body(delivery: Delivery, profile: Mapping[str, Any]) -> etree._Element:
    message = etree.Element(f"{{{SR}}}DCCAlertMessage")
    _text(message, "DCCAlertCode", profile["mismatch_alert_code"])
    mismatch = etree.SubElement(etree.SubElement(message, f"{{{SR}}}DCCAlert"), f"{{{SR}}}DUISVersionMismatch")
    detail = etree.SubElement(mismatch, f"{{{SR}}}DCCAlertVersionMismatch")
    _text(detail, "DCCAlertCode", profile["alert_code"])
    _text(detail, "DeviceID", delivery.chf)
    _text(mismatch, "ServiceUserDUISVersion", delivery.duis_version)
    return message


def _inventory_after(scenario: Mapping[str, Any]) -> list[dict[str, str]]:
    """The version the DSP's inventory holds as active for each CHF that activated firmware."""
    active: dict[str, str] = {}
    smets2 = {hub["chf"].upper() for hub in scenario["hubs"] if hub["smets"] == 2}
    for event in sorted(scenario["events"], key=lambda item: _instant(item["at"])):
        if event["outcome"] == "activated" and event["hub"].upper() in smets2:
            active[event["hub"].upper()] = event["firmware_to"]
    return [{"device": chf, "firmware_version": version} for chf, version in active.items()]


def _text(parent: etree._Element, name: str, value: str) -> None:
    etree.SubElement(parent, f"{{{SR}}}{name}").text = value


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _format(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"  # %Y drops a year's zeros

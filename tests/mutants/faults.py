"""One faulty behaviour per function: each is the reference emitter broken in one place.

The names say what breaks; tests/mutants/catalogue.py says which requirement ids must
catch each one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from lxml import etree

from reference_impl.emitter import PROCESSING_DELAY
from reference_impl.signing import emit_signed
from tests.mutants.wrapping import (
    SR,
    Line,
    Scenario,
    alerts_of,
    element,
    freeze_registrations_at,
    inventory_of,
    parties,
    parties_by_meter_type,
    roles,
    set_counter,
    shift_time,
    with_altered_scenario,
    with_edited_documents,
    with_edited_lines,
)

# --- what the alert says -------------------------------------------------------------


def _version(root: etree._Element) -> etree._Element | None:
    return element(root, "FirmwareVersion")


def _trim(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    found = _version(root)
    if found is not None and found.text:
        found.text = found.text.strip()


def _pad(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    found = _version(root)
    if found is not None and found.text:
        found.text = found.text.rjust(8, "0")


def _upper(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    found = _version(root)
    if found is not None and found.text:
        found.text = found.text.upper()


def _previous_version(scenario: Scenario) -> None:
    for event in scenario["events"]:
        event["firmware_to"] = event["firmware_from"]


def _first_meter_of_each_hub(scenario: Mapping[str, Any]) -> dict[str, str]:
    """CHF -> the hub's ESME, or its GSME when it has no ESME."""
    chosen = {}
    for hub in scenario["hubs"]:
        meters = sorted(hub.get("meters", []), key=lambda meter: meter["type"])
        if meters:
            chosen[hub["chf"].upper()] = meters[0]["id"].upper()
    return chosen


def _meter_as_device(root: etree._Element, first_meters: dict[str, str]) -> None:
    found = element(root, "DeviceID")
    assert found is not None and found.text is not None
    found.text = first_meters[found.text.upper()]


def _other_alert_code(scenario: Scenario) -> None:
    scenario["profile"]["alert_code"] = "N63"


emit_version_trimmed = with_edited_documents(_trim)
emit_version_padded = with_edited_documents(_pad)
emit_version_upper_cased = with_edited_documents(_upper)
emit_previous_version = with_altered_scenario(_previous_version)
emit_meter_as_device = with_edited_documents(_meter_as_device, _first_meter_of_each_hub)
emit_other_alert_code = with_altered_scenario(_other_alert_code)

# --- when an alert is sent -------------------------------------------------------------


def _outcome_as_activated(outcome: str) -> Any:
    def alter(scenario: Scenario) -> None:
        for event in scenario["events"]:
            if event["outcome"] == outcome:
                event["outcome"] = "activated"

    return alter


def _every_hub_in_the_batch(scenario: Scenario) -> None:
    """Any activation also 'activates' every hub that had no firmware event at all."""
    with_events = {event["hub"].upper() for event in scenario["events"]}
    activations = [event for event in scenario["events"] if event["outcome"] == "activated"]
    if not activations:
        return
    first = activations[0]
    for hub in scenario["hubs"]:
        if hub["chf"].upper() not in with_events:
            scenario["events"].append(dict(first, hub=hub["chf"]))


def _smets1_too(scenario: Scenario) -> None:
    for hub in scenario["hubs"]:
        hub["smets"] = 2


def _uncommissioned_meters_count(scenario: Scenario) -> None:
    for hub in scenario["hubs"]:
        if not any(meter["commissioned"] for meter in hub.get("meters", [])):
            for meter in hub.get("meters", []):
                meter["commissioned"] = True


def _drop_one_activation_in_a_wave(scenario: Scenario) -> None:
    activated = [event for event in scenario["events"] if event["outcome"] == "activated"]
    if len(activated) >= 10:
        scenario["events"].remove(activated[len(activated) // 2])


emit_alert_on_failed_activation = with_altered_scenario(_outcome_as_activated("activation_failed"))
emit_alert_on_distribution = with_altered_scenario(_outcome_as_activated("distributed"))
emit_alert_on_initiation = with_altered_scenario(_outcome_as_activated("initiated"))
emit_every_hub_in_the_batch = with_altered_scenario(_every_hub_in_the_batch)
emit_smets1_hub_alerted = with_altered_scenario(_smets1_too)
emit_hub_without_meters_alerted = with_altered_scenario(_uncommissioned_meters_count)
emit_wave_activation_dropped = with_altered_scenario(_drop_one_activation_in_a_wave)

# --- who receives it -----------------------------------------------------------------


def _forget_suppliers_of(meter_type: str) -> Any:
    def alter(scenario: Scenario) -> None:
        for hub in scenario["hubs"]:
            for meter in hub.get("meters", []):
                if meter["type"] == meter_type:
                    meter["responsible"] = []

    return alter


def forget_gas_supplier_at_split_hubs(scenario: Scenario) -> None:
    for hub in scenario["hubs"]:
        found = parties_by_meter_type(scenario, hub)
        if found["ESME"] and found["GSME"] and found["ESME"] != found["GSME"]:
            for meter in hub.get("meters", []):
                if meter["type"] == "GSME":
                    meter["responsible"] = []


def _one_alert_per_party(lines: list[Line], scenario: Mapping[str, Any]) -> list[Line]:
    """Two User IDs of one supplier count as one recipient (first alert of each party kept)."""
    party = parties(scenario)
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for line in lines:
        root = etree.fromstring(line["xml"].encode("utf-8"))
        device, sent = element(root, "DeviceID"), element(root, "ResponseDateTime")
        assert device is not None and sent is not None
        key = (str(device.text), str(sent.text), party[line["recipient"].upper()])
        if key not in seen:
            seen.add(key)
            kept.append(line)
    return kept


def _network_operators_as_suppliers(scenario: Scenario) -> None:
    """Every network operator named on a meter is treated as one of its suppliers."""
    role = roles(scenario)
    users = {user["id"].upper(): user for user in scenario["users"]}
    wanted = {"ESME": "import_supplier", "GSME": "gas_supplier"}
    for hub in scenario["hubs"]:
        for meter in hub.get("meters", []):
            for other in meter.get("other_parties", []):
                if role[other.upper()].endswith("network_operator"):
                    users[other.upper()]["role"] = wanted[meter["type"]]
                    meter.setdefault("responsible", []).append({"user": other, "from": "2000-01-01T00:00:00Z", "to": None})


def _former_suppliers_too(scenario: Scenario) -> None:
    """A supplier whose responsibility ended is still treated as responsible."""
    for hub in scenario["hubs"]:
        for meter in hub.get("meters", []):
            for registration in meter.get("responsible", []):
                registration["to"] = None


def _daily_snapshot(at: datetime) -> datetime:
    return at.replace(hour=0, minute=0, second=0, microsecond=0)


def _at_sending(at: datetime) -> datetime:
    return at + timedelta(seconds=2)


def _duis_50_as_51(scenario: Scenario) -> None:
    for user in scenario["users"]:
        if user["duis_version"] == "5.0":
            user["duis_version"] = "5.1"


def _skip_users_without_the_alert(scenario: Scenario) -> None:
    scenario["profile"]["version_mismatch_policy"] = "suppress"


emit_gas_supplier_missed = with_altered_scenario(_forget_suppliers_of("GSME"))
emit_import_supplier_missed = with_altered_scenario(_forget_suppliers_of("ESME"))
emit_one_alert_per_party = with_edited_lines(_one_alert_per_party)
emit_network_operator_alerted = with_altered_scenario(_network_operators_as_suppliers)
emit_former_supplier_alerted = with_altered_scenario(_former_suppliers_too)
emit_recipients_from_daily_snapshot = with_altered_scenario(lambda s: freeze_registrations_at(s, _daily_snapshot))
emit_recipients_at_sending_time = with_altered_scenario(lambda s: freeze_registrations_at(s, _at_sending))
emit_duis_50_gets_51_alert = with_altered_scenario(_duis_50_as_51)
emit_duis_50_gets_nothing = with_altered_scenario(_skip_users_without_the_alert)

# --- the header and the document -------------------------------------------------------


def _duplicate_with_new_counter(lines: list[Line], scenario: Mapping[str, Any]) -> list[Line]:
    doubled = []
    for line in lines:
        root = etree.fromstring(line["xml"].encode("utf-8"))
        response_id = element(root, "ResponseID")
        assert response_id is not None and response_id.text is not None
        set_counter(root, int(response_id.text.rsplit(":", 1)[1]) + 1_000_000)
        doubled += [line, {"recipient": line["recipient"], "xml": etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()}]
    return doubled


def _reuse_counter(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    set_counter(root, 1)


def _fixed_schema_version(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    root.set("schemaVersion", "5.1")


def _no_zone(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    found = element(root, "ResponseDateTime")
    assert found is not None and found.text is not None
    found.text = found.text.removesuffix("Z")


def _before_activation(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    shift_time(root, -62)


def _a_millisecond_early(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    """Stamped 1 ms before the activation, at millisecond precision: the boundary of HEADER-TIME."""
    shift_time(root, -PROCESSING_DELAY.total_seconds() - 0.001)


def _an_hour_late(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    shift_time(root, 3600)


def _with_request_id(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    header = element(root, "Header")
    response_id = element(root, "ResponseID")
    assert header is not None and response_id is not None and response_id.text is not None
    originator, target, counter = response_id.text.split(":")
    request_id = etree.Element(f"{{{SR}}}RequestID")
    request_id.text = f"{target}:{originator}:{counter}"
    header.insert(0, request_id)


def _without_response_id(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    header, response_id = element(root, "Header"), element(root, "ResponseID")
    assert header is not None and response_id is not None
    header.remove(response_id)


def _header_out_of_order(root: etree._Element, scenario: Mapping[str, Any]) -> None:
    code, sent = element(root, "ResponseCode"), element(root, "ResponseDateTime")
    assert code is not None and sent is not None
    sent.addnext(code)


def _truncated(lines: list[Line], scenario: Mapping[str, Any]) -> list[Line]:
    return [{"recipient": line["recipient"], "xml": line["xml"][:-12]} for line in lines]


emit_duplicate_with_new_counter = with_edited_lines(_duplicate_with_new_counter)
emit_counter_reused = with_edited_documents(_reuse_counter)
emit_fixed_schema_version = with_edited_documents(_fixed_schema_version)
emit_time_without_zone = with_edited_documents(_no_zone)
emit_time_before_activation = with_edited_documents(_before_activation)
emit_a_millisecond_early = with_edited_documents(_a_millisecond_early)
emit_an_hour_late = with_edited_documents(_an_hour_late)
emit_request_id_added = with_edited_documents(_with_request_id)
emit_response_id_missing = with_edited_documents(_without_response_id)
emit_header_out_of_order = with_edited_documents(_header_out_of_order)
emit_truncated_documents = with_edited_lines(_truncated)

# --- the inventory -----------------------------------------------------------------


def emit_inventory_keeps_old_version(scenario: Mapping[str, Any]) -> list[Line]:
    previous = {event["hub"].upper(): event["firmware_from"] for event in scenario["events"] if event["outcome"] == "activated"}
    stale = [
        {"inventory": dict(line["inventory"], firmware_version=previous[line["inventory"]["device"]])} for line in inventory_of(scenario)
    ]
    return alerts_of(scenario) + stale


# --- the signature -----------------------------------------------------------------


def emit_unsigned(scenario: Mapping[str, Any]) -> list[Line]:
    return alerts_of(scenario) + inventory_of(scenario)


def _a_millisecond_later(xml: str) -> str:
    return re.sub(r"([0-9])Z</sr:ResponseDateTime>", lambda m: f"{(int(m.group(1)) + 1) % 10}Z</sr:ResponseDateTime>", xml, count=1)


def emit_tampered_after_signing(scenario: Mapping[str, Any]) -> list[Line]:
    """Signed, then ResponseDateTime moved by a millisecond: only the signature can tell."""
    return [dict(line, xml=_a_millisecond_later(line["xml"])) if "xml" in line else line for line in emit_signed(scenario)]

"""Building blocks for mutants: run the reference emitter on an altered scenario, keep the
inventory of the true scenario, or edit each delivered document."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from reference_impl import alert_lines, inventory_lines

Scenario = dict[str, Any]
Line = dict[str, Any]
EmitFunction = Callable[[Mapping[str, Any]], list[Line]]
SR = "http://www.dccinterface.co.uk/ServiceUserGateway"


def alerts_of(scenario: Mapping[str, Any]) -> list[Line]:
    return alert_lines(scenario)


def inventory_of(scenario: Mapping[str, Any]) -> list[Line]:
    return inventory_lines(scenario)


def with_altered_scenario(alter: Callable[[Scenario], None]) -> EmitFunction:
    """Alerts as the reference sends them for the altered scenario; the true inventory."""

    def mutant(scenario: Mapping[str, Any]) -> list[Line]:
        altered = copy.deepcopy(dict(scenario))
        alter(altered)
        return alerts_of(altered) + inventory_of(scenario)

    return mutant


def with_edited_lines(edit: Callable[[list[Line], Mapping[str, Any]], list[Line]]) -> EmitFunction:
    """The reference's alert lines passed through `edit` as a whole; the true inventory."""

    def mutant(scenario: Mapping[str, Any]) -> list[Line]:
        return edit(alerts_of(scenario), scenario) + inventory_of(scenario)

    return mutant


def with_edited_documents(
    edit: Callable[[etree._Element, Any], None], prepare: Callable[[Mapping[str, Any]], Any] = lambda scenario: scenario
) -> EmitFunction:
    """Each alert document parsed, changed in place by `edit`, and serialised again.

    `prepare` turns the scenario once into whatever `edit` looks things up in.
    """

    def per_line(lines: list[Line], scenario: Mapping[str, Any]) -> list[Line]:
        edited = []
        context = prepare(scenario)
        for line in lines:
            root = etree.fromstring(line["xml"].encode("utf-8"))
            edit(root, context)
            edited.append({"recipient": line["recipient"], "xml": serialise(root)})
        return edited

    return with_edited_lines(per_line)


def with_edited_text(edit: Callable[[str], str]) -> EmitFunction:
    """Each alert document changed as text (for spellings a tree cannot express)."""

    def per_line(lines: list[Line], scenario: Mapping[str, Any]) -> list[Line]:
        return [{"recipient": line["recipient"], "xml": edit(line["xml"])} for line in lines]

    return with_edited_lines(per_line)


def serialise(root: etree._Element) -> str:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def element(root: etree._Element, name: str) -> etree._Element | None:
    return next(root.iter(f"{{{SR}}}{name}"), None)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamp(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def shift_time(root: etree._Element, seconds: float) -> None:
    found = element(root, "ResponseDateTime")
    assert found is not None and found.text is not None
    found.text = stamp(instant(found.text) + timedelta(seconds=seconds))


def set_counter(root: etree._Element, counter: int) -> None:
    found = element(root, "ResponseID")
    assert found is not None and found.text is not None
    originator, target, _ = found.text.split(":")
    found.text = f"{originator}:{target}:{counter}"


def parties(scenario: Mapping[str, Any]) -> dict[str, str]:
    """Party of each User ID (the User ID itself when none is named)."""
    return {user["id"].upper(): user.get("party", user["id"].upper()) for user in scenario["users"]}


def roles(scenario: Mapping[str, Any]) -> dict[str, str]:
    return {user["id"].upper(): user["role"] for user in scenario["users"]}


def parties_by_meter_type(scenario: Mapping[str, Any], hub: Mapping[str, Any]) -> dict[str, set[str]]:
    """The parties ever responsible for the hub's commissioned ESMEs and GSMEs."""
    party = parties(scenario)
    found: dict[str, set[str]] = {"ESME": set(), "GSME": set()}
    for meter in hub.get("meters", []):
        if meter["commissioned"]:
            found[meter["type"]] |= {party[r["user"].upper()] for r in meter.get("responsible", [])}
    return found


def supplier_at(meter: Mapping[str, Any], at: datetime) -> str | None:
    for registration in meter.get("responsible", []):
        ends = registration.get("to")
        if instant(registration["from"]) <= at and (ends is None or at < instant(ends)):
            return str(registration["user"])
    return None


def freeze_registrations_at(scenario: Scenario, moment: Callable[[datetime], datetime]) -> None:
    """Make each activated hub's registry read as it stood at `moment(activation time)`."""
    hubs = {hub["chf"].upper(): hub for hub in scenario["hubs"]}
    for event in scenario["events"]:
        if event["outcome"] != "activated":
            continue
        when = moment(instant(event["at"]))
        for meter in hubs[event["hub"].upper()].get("meters", []):
            user = supplier_at(meter, when)
            meter["responsible"] = [] if user is None else [{"user": user, "from": "2000-01-01T00:00:00Z", "to": None}]
